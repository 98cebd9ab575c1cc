use std::collections::BTreeSet;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of a group's member user ids, sorted and deduplicated, each written in decimal
/// and followed by a newline. Order and duplicates of the input do not matter.
pub fn fingerprint(member_user_ids: impl IntoIterator<Item = u64>) -> String {
    let ids: BTreeSet<u64> = member_user_ids.into_iter().collect();
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.to_string().as_bytes());
        hasher.update(b"\n");
    }
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hasher.finalize() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}
