//! Text escapes a server may wrap an echoed secret in: percent-encoding (`%40`, `%u0040`, `+`
//! for a space in forms), HTML entities (`&#64;`, `&#x40;`, `&commat;`) and JSON or JavaScript
//! escapes (`\u0040`, `\/`, `\x40`). One pass decodes one layer of all of them; the caller
//! repeats it for text encoded twice or more.

use super::seg::Seg;

/// How many layers of escaping are undone (`%252540` is three).
pub(super) const MAX_LAYERS: usize = 4;

/// Named HTML entities for the characters that encodings change or that a page escapes.
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("plus", '+'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("equals", '='),
    ("percnt", '%'),
    ("num", '#'),
    ("excl", '!'),
    ("commat", '@'),
    ("dollar", '$'),
    ("lpar", '('),
    ("rpar", ')'),
    ("ast", '*'),
    ("comma", ','),
    ("period", '.'),
    ("colon", ':'),
    ("semi", ';'),
    ("quest", '?'),
    ("lowbar", '_'),
    ("hyphen", '-'),
    ("dash", '-'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("verbar", '|'),
    ("grave", '`'),
    ("Hat", '^'),
    ("tilde", '~'),
];

/// Every further layer of `seg` that decodes differently: with `+` kept, and with `+` read
/// as a form-encoded space. A secret holding `+` is found in the first chain, a form-encoded
/// space in the second (where a `+` may appear only after a layer is undone: `%2B` in a form
/// encoded twice).
pub(super) fn layers(seg: &Seg) -> Vec<Seg> {
    let mut out = Vec::new();
    for plus_is_space in [false, true] {
        // The second chain repeats the first until a layer holds a `+`.
        let mut differs = !plus_is_space;
        let mut cur = seg.clone();
        for _ in 0..MAX_LAYERS {
            differs |= cur.bytes.contains(&b'+');
            match decode(&cur, plus_is_space) {
                Some(next) => {
                    if differs {
                        out.push(next.clone());
                    }
                    cur = next;
                }
                None => break,
            }
        }
    }
    out
}

/// One layer of every escape in `seg`, or `None` when there is none.
fn decode(seg: &Seg, plus_is_space: bool) -> Option<Seg> {
    let b = &seg.bytes;
    let mut out = Seg::default();
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let decoded = match b[i] {
            b'%' => percent(b, i),
            b'&' => entity(b, i),
            b'\\' => backslash(b, i),
            b'+' if plus_is_space => Some((vec![b' '], 1)),
            _ => None,
        };
        match decoded {
            Some((bytes, used)) => {
                seg.emit_all(&mut out, &bytes, i, i + used);
                changed = true;
                i += used;
            }
            None => {
                seg.emit(&mut out, b[i], i, i + 1);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// `n` hex digits at `b[i..]` as a number.
fn hex_at(b: &[u8], i: usize, n: usize) -> Option<u32> {
    let digits = b.get(i..i + n)?;
    digits
        .iter()
        .try_fold(0u32, |acc, &d| Some(acc * 16 + hex(d)?))
}

fn utf8(c: u32) -> Option<Vec<u8>> {
    char::from_u32(c).map(|c| c.to_string().into_bytes())
}

/// `%XX` (a byte) or `%uXXXX` (JavaScript's `escape`).
fn percent(b: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    if let Some(v) = hex_at(b, i + 1, 2) {
        return Some((vec![v as u8], 3));
    }
    if matches!(b.get(i + 1), Some(b'u' | b'U')) {
        return Some((utf8(hex_at(b, i + 2, 4)?)?, 6));
    }
    None
}

/// `&#64;`, `&#x40;` (the `;` optional, as browsers read them) or a named entity.
fn entity(b: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    let rest = &b[i + 1..b.len().min(i + 12)];
    if rest.first() == Some(&b'#') {
        let (radix, start) = match rest.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let digits = rest[start..]
            .iter()
            .take_while(|d| (**d as char).is_digit(radix))
            .count();
        if digits == 0 {
            return None;
        }
        let text = std::str::from_utf8(&rest[start..start + digits]).ok()?;
        let value = u32::from_str_radix(text, radix).ok()?;
        let semi = usize::from(rest.get(start + digits) == Some(&b';'));
        return Some((utf8(value)?, 1 + start + digits + semi));
    }
    let name_len = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if rest.get(name_len) != Some(&b';') {
        return None;
    }
    let name = std::str::from_utf8(&rest[..name_len]).ok()?;
    let (_, ch) = ENTITIES.iter().find(|(n, _)| *n == name)?;
    Some((ch.to_string().into_bytes(), name_len + 2))
}

/// `\uXXXX` (a surrogate pair as two), `\xHH`, and the one-character JSON escapes.
fn backslash(b: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    match *b.get(i + 1)? {
        b'u' => {
            let hi = hex_at(b, i + 2, 4)?;
            if (0xD800..0xDC00).contains(&hi) && b.get(i + 6..i + 8) == Some(b"\\u") {
                let lo = hex_at(b, i + 8, 4)?;
                let c = 0x10000 + ((hi - 0xD800) << 10) + lo.checked_sub(0xDC00)?;
                return Some((utf8(c)?, 12));
            }
            Some((utf8(hi)?, 6))
        }
        b'x' => Some((vec![hex_at(b, i + 2, 2)? as u8], 4)),
        c @ (b'/' | b'\\' | b'"' | b'\'') => Some((vec![c], 2)),
        b'n' => Some((vec![b'\n'], 2)),
        b't' => Some((vec![b'\t'], 2)),
        b'r' => Some((vec![b'\r'], 2)),
        _ => None,
    }
}
