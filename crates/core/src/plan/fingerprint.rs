use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of a group's member user ids, sorted and deduplicated, each written in decimal
/// and followed by a newline. Order and duplicates of the input do not matter.
pub fn fingerprint(member_user_ids: impl IntoIterator<Item = u64>) -> String {
    let mut ids: Vec<u64> = member_user_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut hasher = Sha256::new();
    // Every id's line into one buffer, hashed in large pieces (groups have many thousands).
    let mut text: Vec<u8> = Vec::with_capacity(ids.len().min(1 << 13) * 21);
    for id in ids {
        push_decimal(&mut text, id);
        text.push(b'\n');
        if text.len() >= 1 << 16 {
            hasher.update(&text);
            text.clear();
        }
    }
    hasher.update(&text);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hasher.finalize() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Appends `n` in decimal, as `n.to_string()` writes it (without formatting machinery: a
/// fingerprint writes one per member).
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sha2::{Digest, Sha256};

    use super::{fingerprint, push_decimal};

    #[test]
    fn decimals_are_written_as_to_string_writes_them() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            12345,
            u64::MAX / 10,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    /// The fingerprint as first written: a set, one update per id and per newline.
    fn fingerprint_plain(ids: impl IntoIterator<Item = u64>) -> String {
        let ids: BTreeSet<u64> = ids.into_iter().collect();
        let mut hasher = Sha256::new();
        for id in ids {
            hasher.update(id.to_string().as_bytes());
            hasher.update(b"\n");
        }
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }

    #[test]
    fn the_buffered_fingerprint_equals_the_plain_one() {
        let mut state = 5u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for n in [0usize, 1, 2, 10, 1000, 20_000] {
            let ids: Vec<u64> = (0..n)
                .map(|i| match i % 4 {
                    0 => next(),
                    1 => next() % 100,
                    2 => u64::MAX - next() % 3,
                    _ => i as u64,
                })
                .collect();
            assert_eq!(fingerprint(ids.clone()), fingerprint_plain(ids), "{n} ids");
        }
    }
}
