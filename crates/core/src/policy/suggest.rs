//! "Did you mean" suggestions (edit distance, case-insensitive).

use crate::model::NameKey;

/// How far a candidate may be from what was written and still be suggested.
fn threshold(len: usize) -> usize {
    if len <= 3 {
        1
    } else {
        (len / 3).max(2)
    }
}

/// The candidate closest to `name`, if any is close enough. Ties go to the smallest candidate,
/// so suggestions are deterministic.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = NameKey::new(name);
    let len = wanted.chars().count();
    let limit = threshold(len);
    candidates
        .into_iter()
        .filter_map(|c| within(&wanted, len, limit, &NameKey::new(c)).map(|d| (d, c)))
        .min()
        .map(|(_, c)| c)
}

/// The edit distance from `wanted` (of `len` characters) to `candidate` if at most `limit`. The
/// distance is at least the difference in length, so most candidates are skipped unscored.
fn within(wanted: &str, len: usize, limit: usize, candidate: &str) -> Option<usize> {
    if candidate.chars().count().abs_diff(len) > limit {
        return None;
    }
    let d = strsim::levenshtein(wanted, candidate);
    (d <= limit).then_some(d)
}

/// Finds close identities among many (100k users have 200k logins and emails) without comparing
/// against all of them: candidates are the neighbours of the name in two sorted lists, one of the
/// identities and one of them spelled backwards. A typo late in a name keeps it near the right one
/// in the first list, a typo early in it keeps it near in the second; each lookup scores at most
/// `4 * NEIGHBOURS` candidates.
pub(crate) struct IdentitySuggester<'a> {
    /// (folded identity, identity as Coupa has it), sorted.
    forward: Vec<(String, &'a str)>,
    /// (folded identity reversed, identity as Coupa has it), sorted.
    backward: Vec<(String, &'a str)>,
}

/// Candidates taken on each side of where the name would sort.
const NEIGHBOURS: usize = 32;

/// The entries within `NEIGHBOURS` of where `key` sorts in `list`.
fn around<'l, T>(list: &'l [(String, T)], key: &str) -> &'l [(String, T)] {
    let at = list.partition_point(|(f, _)| f.as_str() < key);
    &list[at.saturating_sub(NEIGHBOURS)..(at + NEIGHBOURS).min(list.len())]
}

fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

impl<'a> IdentitySuggester<'a> {
    pub(crate) fn new(identities: impl Iterator<Item = &'a str>) -> Self {
        let mut forward: Vec<(String, &'a str)> = identities
            .map(|s| (NameKey::new(s).to_string(), s))
            .collect();
        forward.sort();
        forward.dedup_by(|a, b| a.0 == b.0);
        let mut backward: Vec<(String, &'a str)> =
            forward.iter().map(|(f, s)| (reversed(f), *s)).collect();
        backward.sort();
        IdentitySuggester { forward, backward }
    }

    pub(crate) fn suggest(&self, name: &str) -> Option<&'a str> {
        let wanted = NameKey::new(name);
        if wanted.is_empty() {
            return None;
        }
        let len = wanted.chars().count();
        let limit = threshold(len);
        let backward_key = reversed(&wanted);
        around(&self.forward, &wanted)
            .iter()
            .map(|(f, s)| (f.clone(), *s))
            .chain(
                around(&self.backward, &backward_key)
                    .iter()
                    .map(|(r, s)| (reversed(r), *s)),
            )
            .filter_map(|(f, orig)| within(&wanted, len, limit, &f).map(|d| (d, orig)))
            .min()
            .map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_small_typos_only() {
        let fields = ["description", "mode", "members"];
        assert_eq!(closest("membrs", fields), Some("members"));
        assert_eq!(closest("Mode", fields), Some("mode"));
        assert_eq!(closest("owner", fields), None);
    }

    #[test]
    fn identity_suggester_scores_only_nearby_candidates() {
        let ids = ["alice", "alice@acme.com", "bob", "bob@acme.com", "alfred"];
        let s = IdentitySuggester::new(ids.into_iter());
        assert_eq!(s.suggest("alise"), Some("alice"));
        assert_eq!(s.suggest("ALICE@acme.co"), Some("alice@acme.com"));
        assert_eq!(s.suggest("zed"), None);
        assert_eq!(
            s.suggest("xlice"),
            Some("alice"),
            "a typo in the first letter is found too"
        );
        assert_eq!(s.suggest(""), None);
    }
}
