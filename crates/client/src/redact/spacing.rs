//! Spaced-out copies: a secret with whitespace or invisible characters inside it
//! (`zz - Cli ent`), or with the same separator between every character or pair of hex digits
//! (`z z - C l i`, `z.z.-.C`, `7a:7a:2d`, `\x7a\x7a`). Each reading keeps only the characters.

use super::seg::Seg;

/// Characters between which a separator is looked for: one (`z z`) or two (`7a 7a`).
const ITEM_LENGTHS: [usize; 2] = [1, 2];
/// Longest separator looked for (`, 0x` between hex pairs).
const MAX_SEPARATOR: usize = 4;

/// UTF-8 encodings of invisible and space characters dropped by [`despaced`], besides ASCII
/// whitespace: no-break, en to hair spaces, zero-width space, joiners, word joiner, BOM, soft
/// hyphen, line and paragraph separators, narrow and ideographic spaces.
const INVISIBLE: &[&[u8]] = &[
    b"\xC2\xA0",
    b"\xC2\xAD",
    b"\xE2\x80\x80",
    b"\xE2\x80\x81",
    b"\xE2\x80\x82",
    b"\xE2\x80\x83",
    b"\xE2\x80\x84",
    b"\xE2\x80\x85",
    b"\xE2\x80\x86",
    b"\xE2\x80\x87",
    b"\xE2\x80\x88",
    b"\xE2\x80\x89",
    b"\xE2\x80\x8A",
    b"\xE2\x80\x8B",
    b"\xE2\x80\x8C",
    b"\xE2\x80\x8D",
    b"\xE2\x80\xA8",
    b"\xE2\x80\xA9",
    b"\xE2\x80\xAF",
    b"\xE2\x81\xA0",
    b"\xE3\x80\x80",
    b"\xEF\xBB\xBF",
];

/// Every spaced-out reading of `seg` holding at least `min` bytes.
pub(super) fn readings(seg: &Seg, min: usize) -> Vec<Seg> {
    let mut out: Vec<Seg> = despaced(seg).into_iter().collect();
    for k in ITEM_LENGTHS {
        for l in 1..=MAX_SEPARATOR {
            separated(seg, k, l, min, &mut out);
        }
    }
    out
}

/// `seg` without whitespace and invisible characters, or `None` when it has none.
fn despaced(seg: &Seg) -> Option<Seg> {
    let b = &seg.bytes;
    let mut out = Seg::default();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if let Some(inv) = INVISIBLE.iter().find(|inv| b[i..].starts_with(inv)) {
            i += inv.len();
            continue;
        }
        seg.emit(&mut out, b[i], i, i + 1);
        i += 1;
    }
    (out.len() < b.len()).then_some(out)
}

/// Runs of `k`-byte items each followed by the same `l`-byte separator, as the items alone,
/// kept when they hold at least `min` bytes. Every alignment is walked, so every such run is
/// found wherever it starts.
fn separated(seg: &Seg, k: usize, l: usize, min: usize, out: &mut Vec<Seg>) {
    let b = &seg.bytes;
    let step = k + l;
    for start in 0..step {
        let mut run = Seg::default();
        let mut sep: Option<&[u8]> = None;
        let mut p = start;
        while p + k <= b.len() {
            let next = b.get(p + k..p + step);
            let item_ends_run = next.is_none() || sep.is_some_and(|s| Some(s) != next);
            (p..p + k).for_each(|i| seg.emit(&mut run, b[i], i, i + 1));
            if item_ends_run {
                // The item ends this run (a different separator, or the end) and starts the next.
                keep(std::mem::take(&mut run), k, min, out);
                sep = None;
                if next.is_none() {
                    break;
                }
                (p..p + k).for_each(|i| seg.emit(&mut run, b[i], i, i + 1));
            }
            if sep.is_none() {
                sep = next;
            }
            p += step;
        }
        keep(run, k, min, out);
    }
}

/// Keeps a run of more than one item holding at least `min` bytes.
fn keep(run: Seg, k: usize, min: usize, out: &mut Vec<Seg>) {
    if run.len() > k && run.len() >= min {
        out.push(run);
    }
}
