//! The groups or roles a policy manages, keyed by [`NameKey`]: one Coupa name is one entry,
//! so two declarations of one group (differing only in case) cannot both be held. The loader
//! refuses such twins where they are written.

use std::collections::BTreeMap;
use std::ops::{Deref, Index};

use super::{NameKey, Target};

/// Targets by the key of their name, iterated in key order (the order plans list them).
/// Read-only through `Deref`; entries go in only by [`Declared::insert`], which keys each
/// target by its own name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Declared(BTreeMap<NameKey, Target>);

impl Declared {
    /// Adds `t` under its name's key, giving back the target it replaces (one whose name
    /// differs only in case).
    pub fn insert(&mut self, t: Target) -> Option<Target> {
        self.0.insert(NameKey::new(&t.name), t)
    }

    /// The target `name` means, whatever its case.
    pub fn get(&self, name: &str) -> Option<&Target> {
        self.0.get(NameKey::fold(name).as_ref())
    }

    /// The target `name` means, to change its members or mode (its name stays: it is the key).
    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Target> {
        self.0.get_mut(NameKey::fold(name).as_ref())
    }

    /// True when a target goes by `name`, whatever its case.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The targets' names as written, in key order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(|t| t.name.as_str())
    }
}

impl Deref for Declared {
    type Target = BTreeMap<NameKey, Target>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// `declared["AP Clerks"]`: the target by name, whatever its case; panics when there is none.
impl Index<&str> for Declared {
    type Output = Target;
    fn index(&self, name: &str) -> &Target {
        self.get(name)
            .unwrap_or_else(|| panic!("no target named {name:?}"))
    }
}

impl FromIterator<Target> for Declared {
    fn from_iter<I: IntoIterator<Item = Target>>(iter: I) -> Self {
        let mut d = Declared::default();
        for t in iter {
            d.insert(t);
        }
        d
    }
}

impl<'a> IntoIterator for &'a Declared {
    type Item = (&'a NameKey, &'a Target);
    type IntoIter = std::collections::btree_map::Iter<'a, NameKey, Target>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str) -> Target {
        Target {
            name: name.into(),
            ..Target::default()
        }
    }

    #[test]
    fn names_differing_in_case_are_one_entry_found_by_any_spelling() {
        let mut d: Declared = [target("Zeta"), target("AP Clerks")].into_iter().collect();
        assert_eq!(d.names().collect::<Vec<_>>(), ["AP Clerks", "Zeta"]);
        assert_eq!(d["ap clerks "].name, "AP Clerks");
        assert!(d.contains_key("ZETA") && !d.contains_key("Alpha"));
        assert_eq!(
            d.insert(target("ap clerks")).map(|t| t.name),
            Some("AP Clerks".into())
        );
        assert_eq!(d.len(), 2);
    }
}
