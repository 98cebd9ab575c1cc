//! The one rule for comparing names: group, role and user names (logins, emails) match when
//! their keys are equal. Every comparison in the workspace goes through [`NameKey`], so the
//! scoped read, the checks and the planner cannot disagree about which group a name means.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

/// A name as compared: surrounding whitespace dropped and lower-cased (Unicode-aware), so
/// `"AP Clerks "`, `"ap clerks"` and `"AP CLERKS"` are one key. Records whose names share a
/// key are told apart by exact spelling where that is unambiguous (see `LiveIndex`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NameKey(String);

impl NameKey {
    /// The key of a name as written in Coupa or a policy file.
    pub fn new(name: &str) -> NameKey {
        NameKey(name.trim().to_lowercase())
    }

    /// The key's text, for sorting and edit distances.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for NameKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for NameKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_surrounding_space_do_not_matter_inner_space_does() {
        assert_eq!(NameKey::new("AP Clerks "), NameKey::new("ap clerks"));
        assert_eq!(NameKey::new("\u{a0}Zoë\t"), NameKey::new("ZOË"));
        assert_ne!(NameKey::new("AP  Clerks"), NameKey::new("AP Clerks"));
        assert_eq!(NameKey::new("  ").as_str(), "");
    }
}
