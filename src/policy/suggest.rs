//! "Did you mean" suggestions (edit distance, case-insensitive).

use crate::model::fold;

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
    let wanted = fold(name);
    let limit = threshold(wanted.chars().count());
    candidates
        .into_iter()
        .filter_map(|c| {
            let d = strsim::levenshtein(&wanted, &fold(c));
            (d <= limit).then_some((d, c))
        })
        .min()
        .map(|(_, c)| c)
}

/// Finds close identities among many (100k users have 200k logins and emails) without comparing
/// against all of them: only candidates sharing the first character and of similar length are
/// scored, so a typo in the very first character gets no suggestion.
pub(crate) struct IdentitySuggester<'a> {
    /// (folded identity, identity as Coupa has it), sorted.
    sorted: Vec<(String, &'a str)>,
}

impl<'a> IdentitySuggester<'a> {
    pub(crate) fn new(identities: impl Iterator<Item = &'a str>) -> Self {
        let mut sorted: Vec<(String, &'a str)> = identities.map(|s| (fold(s), s)).collect();
        sorted.sort();
        sorted.dedup_by(|a, b| a.0 == b.0);
        IdentitySuggester { sorted }
    }

    pub(crate) fn suggest(&self, name: &str) -> Option<&'a str> {
        let wanted = fold(name);
        let first = wanted.chars().next()?;
        let len = wanted.chars().count();
        let limit = threshold(len);
        let lo = self
            .sorted
            .partition_point(|(f, _)| f.as_str() < first.to_string().as_str());
        self.sorted[lo..]
            .iter()
            .take_while(|(f, _)| f.starts_with(first))
            .filter(|(f, _)| f.chars().count().abs_diff(len) <= limit)
            .filter_map(|(f, orig)| {
                let d = strsim::levenshtein(&wanted, f);
                (d <= limit).then_some((d, *orig))
            })
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
        assert_eq!(s.suggest(""), None);
    }
}
