//! Caps how many diagnostics of one kind are reported: 20,000 unknown users are one mistake
//! (a wrong tenant, a pasted list), and megabytes of near-identical errors bury it. The first
//! [`MAX_PER_KIND`] of each kind (diagnostic code) are kept, then one summary says exactly how
//! many more there were.

use std::collections::HashMap;
use std::hash::Hash;

use miette::Severity;

use super::diagnostic::PolicyDiagnostic;
use super::Code;
use crate::render::thousands;

/// How many diagnostics of one code are shown before the rest are summarised.
pub(crate) const MAX_PER_KIND: usize = 50;

/// Keeps the first `limit` items of each code, in order, and returns them with how many of
/// each code were left out (codes in the order their first item was left out).
pub(crate) fn cap<T, K: Copy + Eq + Hash>(
    items: Vec<T>,
    code_of: impl Fn(&T) -> K,
    limit: usize,
) -> (Vec<T>, Vec<(K, usize)>) {
    let mut shown: HashMap<K, usize> = HashMap::new();
    let mut left_out: Vec<(K, usize)> = Vec::new();
    let mut kept = Vec::new();
    for item in items {
        let code = code_of(&item);
        let n = shown.entry(code).or_default();
        if *n < limit {
            *n += 1;
            kept.push(item);
        } else {
            match left_out.iter_mut().find(|(c, _)| *c == code) {
                Some((_, count)) => *count += 1,
                None => left_out.push((code, 1)),
            }
        }
    }
    (kept, left_out)
}

/// Caps sorted diagnostics and appends one summary per capped code at the end.
pub(crate) fn cap_diagnostics(diags: Vec<PolicyDiagnostic>) -> Vec<PolicyDiagnostic> {
    let severities: HashMap<Code, Severity> =
        diags.iter().map(|d| (d.code(), d.severity())).collect();
    let (mut kept, left_out) = cap(diags, PolicyDiagnostic::code, MAX_PER_KIND);
    for (code, n) in left_out {
        let severity = severities.get(&code).copied().unwrap_or(Severity::Error);
        kept.push(summary(severity, code, n));
    }
    kept
}

/// "and 19,950 more unknown users", with the same code and severity as the ones it stands for.
pub(crate) fn summary(severity: Severity, code: Code, n: usize) -> PolicyDiagnostic {
    let what = match code {
        Code::UnknownUser => "unknown users",
        Code::UnknownProtectedUser => "unknown users in `protected_users`",
        Code::UnknownGroup => "unknown groups",
        Code::UnknownRole => "unknown roles",
        Code::UnknownLicense => "unknown licenses",
        Code::InactiveUser => "inactive users",
        Code::InactiveGroup => "inactive groups",
        Code::AmbiguousUser => "ambiguous users",
        Code::AmbiguousName => "ambiguous names",
        Code::SamePersonTwice => "people listed twice under different names",
        Code::DuplicateMember => "people listed twice",
        Code::UnknownField => "unknown fields",
        _ => "problems of this kind",
    };
    let message = format!("and {} more {what}", thousands(n));
    PolicyDiagnostic::new(severity, code, message).help(format!(
        "only the first {MAX_PER_KIND} of each kind are shown; fix those and run again to see the rest"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_keeps_the_first_of_each_code_and_counts_the_rest() {
        let items = vec![("a", 1), ("b", 2), ("a", 3), ("a", 4), ("b", 5), ("c", 6)];
        let (kept, left_out) = cap(items, |(c, _)| *c, 1);
        assert_eq!(kept, [("a", 1), ("b", 2), ("c", 6)]);
        assert_eq!(left_out, [("a", 2), ("b", 1)]);
    }

    #[test]
    fn capped_diagnostics_end_with_an_exact_summary() {
        let diags: Vec<PolicyDiagnostic> = (0..MAX_PER_KIND + 7)
            .map(|i| PolicyDiagnostic::error(Code::UnknownUser, format!("u{i}")))
            .chain(std::iter::once(PolicyDiagnostic::warning(
                Code::InactiveUser,
                "w",
            )))
            .collect();
        let out = cap_diagnostics(diags);
        assert_eq!(out.len(), MAX_PER_KIND + 2);
        let last = out.last().unwrap();
        assert_eq!(last.message(), "and 7 more unknown users");
        assert_eq!(last.severity(), Severity::Error);
    }
}
