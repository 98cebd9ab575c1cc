//! Every reading of a text a secret may hide in, built in stages: undo text escapes, then
//! drop spacing (and undo escapes again), then decode Base64 or hex (and undo escapes inside
//! that, twice over, for the Base64 of a form body). Each stage reads what the stage before it produced, so a chain like
//! "hex, spaced out" or "Base64 of a percent-encoded form" is read back to the secret.

use super::seg::Seg;
use super::{binary, spacing, unescape};

/// Every reading of `text`, the text itself first; `None` when they would exceed `budget`
/// bytes in all (a text built to be expensive to read is not quoted at all).
pub(super) fn readings(text: &str, min: usize, budget: usize) -> Option<Vec<Seg>> {
    let mut all = vec![Seg::of(text)];
    let mut size = text.len();
    let mut add = |all: &mut Vec<Seg>, new: Vec<Seg>| -> Option<()> {
        size += new.iter().map(Seg::len).sum::<usize>();
        all.extend(new);
        (size <= budget).then_some(())
    };
    // Escapes, then spacing (of what was escaped, or escaped once spacing is gone): each keeps
    // what it read, and adds its readings.
    let escaped: Vec<Seg> = all.iter().flat_map(unescape::layers).collect();
    add(&mut all, escaped)?;
    let spaced: Vec<Seg> = all.iter().flat_map(|s| spacing::readings(s, min)).collect();
    let spaced_escaped: Vec<Seg> = spaced.iter().flat_map(unescape::layers).collect();
    add(&mut all, spaced)?;
    add(&mut all, spaced_escaped)?;
    // Base64 or hex of anything so far, of what that decodes to, with escapes undone at each.
    let mut frontier = all.clone();
    for _ in 0..2 {
        let decoded: Vec<Seg> = frontier
            .iter()
            .flat_map(|s| {
                let mut d = binary::base64(s, min);
                d.extend(binary::hex(s, min));
                d
            })
            .collect();
        let escaped: Vec<Seg> = decoded.iter().flat_map(unescape::layers).collect();
        frontier = decoded.into_iter().chain(escaped).collect();
        add(&mut all, frontier.clone())?;
    }
    Some(all)
}
