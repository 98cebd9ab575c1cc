//! Name patterns for `export --groups/--roles/--licenses`: `*` matches any run of characters,
//! `?` any one character; everything else is literal. Matching ignores case, like every name
//! comparison in coupa-access.

use wildmatch::WildMatch;

/// A compiled name pattern ([`wildmatch`] does the matching: `*` and `?` only, as here).
#[derive(Debug, Clone)]
pub struct Glob {
    written: String,
    matcher: WildMatch,
}

impl Glob {
    /// A pattern as written (no syntax can be wrong: only `*` and `?` are special).
    pub fn new(pattern: &str) -> Glob {
        Glob {
            written: pattern.to_string(),
            matcher: WildMatch::new_case_insensitive(pattern),
        }
    }

    /// The pattern as written, for messages.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// True when `name` matches the whole pattern, ignoring case.
    pub fn matches(&self, name: &str) -> bool {
        self.matcher.matches(name)
    }
}

/// Two patterns are the same when written the same.
impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.written == other.written
    }
}

impl Eq for Glob {}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn stars_questions_and_case() {
        let g = Glob::new("AP *");
        assert!(g.matches("AP Clerks"));
        assert!(g.matches("ap managers"));
        assert!(!g.matches("Approvers"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("*").matches("anything at all"));
        assert!(Glob::new("b?yer*").matches("Buyers"));
        assert!(!Glob::new("b?yer").matches("Buyers"));
        assert!(Glob::new("*a*b*c*").matches("xxaxxbxxcxx"));
        assert!(!Glob::new("*a*b*c*").matches("xxaxxcxxbxx"));
        assert!(Glob::new("exact").matches("EXACT"));
        assert!(!Glob::new("exact").matches("exactly"));
        assert_eq!(Glob::new("A*").as_str(), "A*");
        // Everything but `*` and `?` is literal; case is ignored beyond ASCII too.
        assert!(Glob::new("[AP] {x}").matches("[ap] {X}"));
        assert!(!Glob::new("[AP]").matches("A"));
        assert!(Glob::new("ÉQUIPE ?").matches("équipe ß"));
        // Hostile patterns stay fast (one backtrack point, not exponential).
        let long = "a".repeat(5000);
        assert!(!Glob::new(&format!("{}b", "*a".repeat(50))).matches(&long));
    }
}
