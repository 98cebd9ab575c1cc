//! The one rule for comparing names: group, role and user names (logins, emails) match when
//! their keys are equal. Every comparison in the workspace goes through [`NameKey`], so the
//! scoped read, the checks and the planner cannot disagree about which group a name means.

use std::borrow::{Borrow, Cow};
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
        NameKey(NameKey::fold(name).into_owned())
    }

    /// The key's text without building a key: borrowed when `name` is already a key (trimmed,
    /// no upper case, as most logins and emails are), so lookups in large indexes allocate
    /// nothing. Always equal to `NameKey::new(name).as_str()`.
    pub fn fold(name: &str) -> Cow<'_, str> {
        let name = name.trim();
        let folded = if name.is_ascii() {
            !name.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            // Lower-casing can change non-ASCII text in ways a byte test cannot see.
            false
        };
        if folded {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(name.to_lowercase())
        }
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

    #[test]
    fn fold_borrows_keys_and_agrees_with_new() {
        assert!(matches!(
            NameKey::fold(" alice@acme.com"),
            Cow::Borrowed("alice@acme.com")
        ));
        assert!(matches!(NameKey::fold("Alice"), Cow::Owned(_)));
        for name in [
            "Alice",
            " ZOË ",
            "zoë",
            "ǅemal",
            "İstanbul",
            "ß",
            "a\u{a0}",
            "",
            " x y ",
        ] {
            assert_eq!(NameKey::fold(name), NameKey::new(name).as_str(), "{name:?}");
        }
    }
}
