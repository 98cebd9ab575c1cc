//! Binary-to-text encodings of an echoed secret or of a whole request holding it: Base64
//! (standard and URL-safe, padded or not, starting anywhere) and hex (either case, either
//! alignment). A request's Base64 puts the secret at any offset, so every run of Base64
//! characters is decoded from each of its first four characters.

use super::seg::Seg;

fn base64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Maximal runs `i..j` of bytes for which `is_digit` holds, at least `min` long.
fn runs(b: &[u8], min: usize, is_digit: impl Fn(u8) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_digit(b[i]) {
            i += 1;
            continue;
        }
        let j = i + b[i..].iter().take_while(|&&c| is_digit(c)).count();
        if j - i >= min {
            out.push((i, j));
        }
        i = j;
    }
    out
}

/// The Base64 readings of `seg` that could hold `min` bytes: each run decoded from each of
/// its first four characters (a partial last group gives its whole bytes).
pub(super) fn base64(seg: &Seg, min: usize) -> Vec<Seg> {
    let b = &seg.bytes;
    // `min` bytes need at least ceil(min * 4 / 3) characters.
    let min_chars = (min * 4).div_ceil(3);
    let mut out = Vec::new();
    for (i, j) in runs(b, min_chars, |c| base64_value(c).is_some()) {
        for shift in 0..4 {
            let mut dec = Seg::default();
            let mut g = i + shift;
            while g + 1 < j {
                let n = (j - g).min(4);
                let v: Vec<u32> = b[g..g + n]
                    .iter()
                    .filter_map(|&c| base64_value(c))
                    .collect();
                let bits = v.iter().fold(0u32, |acc, x| (acc << 6) | x) << (6 * (4 - n));
                // Byte `k` of the group is made of characters `k` and `k + 1`.
                for k in 0..n - 1 {
                    let byte = (bits >> (16 - 8 * k)) as u8;
                    seg.emit(&mut dec, byte, g + k, g + k + 2);
                }
                g += 4;
            }
            if dec.len() >= min {
                out.push(dec);
            }
        }
    }
    out
}

/// The hex readings of `seg` that could hold `min` bytes: each run of hex digits decoded in
/// pairs from its first and from its second digit.
pub(super) fn hex(seg: &Seg, min: usize) -> Vec<Seg> {
    let b = &seg.bytes;
    let mut out = Vec::new();
    for (i, j) in runs(b, 2 * min, |c| c.is_ascii_hexdigit()) {
        for shift in 0..2 {
            let mut dec = Seg::default();
            let mut p = i + shift;
            while p + 2 <= j {
                let hi = (b[p] as char).to_digit(16).unwrap_or(0);
                let lo = (b[p + 1] as char).to_digit(16).unwrap_or(0);
                seg.emit(&mut dec, (hi * 16 + lo) as u8, p, p + 2);
                p += 2;
            }
            if dec.len() >= min {
                out.push(dec);
            }
        }
    }
    out
}
