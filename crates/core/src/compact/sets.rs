//! A user's roles and licenses as compact sets: a tenant has 100k users, and a `BTreeSet` node
//! per user per set was a tenth of a plan's memory. Both keep `BTreeSet`'s order, API and
//! serde form (a sorted JSON array), so snapshots and plans read and write the same.

use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::model::License;

/// Role ids, sorted and unique: one allocation of exactly its ids (users hold a few roles).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdSet(Box<[u64]>);

impl IdSet {
    pub fn new() -> Self {
        IdSet::default()
    }

    pub fn contains(&self, id: &u64) -> bool {
        self.0.binary_search(id).is_ok()
    }

    /// Adds `id`; false when it was there already.
    pub fn insert(&mut self, id: u64) -> bool {
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                let mut ids = std::mem::take(&mut self.0).into_vec();
                ids.insert(at, id);
                self.0 = ids.into_boxed_slice();
                true
            }
        }
    }

    /// Takes `id` out; false when it was not there.
    pub fn remove(&mut self, id: &u64) -> bool {
        match self.0.binary_search(id) {
            Ok(at) => {
                let mut ids = std::mem::take(&mut self.0).into_vec();
                ids.remove(at);
                self.0 = ids.into_boxed_slice();
                true
            }
            Err(_) => false,
        }
    }

    pub fn clear(&mut self) {
        self.0 = Box::default();
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, u64> {
        self.0.iter()
    }

    fn from_vec(mut ids: Vec<u64>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        IdSet(ids.into_boxed_slice())
    }
}

impl fmt::Debug for IdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = u64>>(iter: I) -> Self {
        IdSet::from_vec(iter.into_iter().collect())
    }
}

impl<'a> FromIterator<&'a u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = &'a u64>>(iter: I) -> Self {
        iter.into_iter().copied().collect()
    }
}

impl Extend<u64> for IdSet {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, iter: I) {
        let mut ids = std::mem::take(&mut self.0).into_vec();
        ids.extend(iter);
        *self = IdSet::from_vec(ids);
    }
}

impl<'a> Extend<&'a u64> for IdSet {
    fn extend<I: IntoIterator<Item = &'a u64>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<const N: usize> From<[u64; N]> for IdSet {
    fn from(ids: [u64; N]) -> Self {
        IdSet::from_vec(ids.to_vec())
    }
}

impl<'a> IntoIterator for &'a IdSet {
    type Item = &'a u64;
    type IntoIter = std::slice::Iter<'a, u64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for IdSet {
    type Item = u64;
    type IntoIter = std::vec::IntoIter<u64>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_vec().into_iter()
    }
}

impl Serialize for IdSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for IdSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // As `BTreeSet` reads it: any order, repeats folded.
        Vec::<u64>::deserialize(d).map(IdSet::from_vec)
    }
}

/// License flags that are true, as bits in [`License::ALL`] order (`BTreeSet<License>`'s
/// order too): no allocation.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LicenseSet(u16);

const _: () = assert!(License::ALL.len() <= 16, "a license is a bit of a u16");

impl LicenseSet {
    pub fn new() -> Self {
        LicenseSet::default()
    }

    fn bit(license: License) -> u16 {
        // `ALL` is in declaration order, so the discriminant is the index.
        1 << (license as u16)
    }

    pub fn contains(&self, license: &License) -> bool {
        self.0 & LicenseSet::bit(*license) != 0
    }

    /// Adds `license`; false when it was there already.
    pub fn insert(&mut self, license: License) -> bool {
        let had = self.contains(&license);
        self.0 |= LicenseSet::bit(license);
        !had
    }

    /// Takes `license` out; false when it was not there.
    pub fn remove(&mut self, license: &License) -> bool {
        let had = self.contains(license);
        self.0 &= !LicenseSet::bit(*license);
        had
    }

    pub fn clear(&mut self) {
        self.0 = 0;
    }

    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The licenses in [`License::ALL`] order.
    pub fn iter(&self) -> LicenseIter {
        LicenseIter {
            bits: self.0,
            next: 0,
        }
    }
}

/// The licenses of a [`LicenseSet`], by reference like a `BTreeSet`'s (into [`License::ALL`]).
#[derive(Debug, Clone)]
pub struct LicenseIter {
    bits: u16,
    next: usize,
}

impl Iterator for LicenseIter {
    type Item = &'static License;
    fn next(&mut self) -> Option<&'static License> {
        while let Some(license) = License::ALL.get(self.next) {
            self.next += 1;
            if self.bits & LicenseSet::bit(*license) != 0 {
                return Some(license);
            }
        }
        None
    }
}

impl fmt::Debug for LicenseSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<License> for LicenseSet {
    fn from_iter<I: IntoIterator<Item = License>>(iter: I) -> Self {
        let mut set = LicenseSet::new();
        set.extend(iter);
        set
    }
}

impl<'a> FromIterator<&'a License> for LicenseSet {
    fn from_iter<I: IntoIterator<Item = &'a License>>(iter: I) -> Self {
        iter.into_iter().copied().collect()
    }
}

impl Extend<License> for LicenseSet {
    fn extend<I: IntoIterator<Item = License>>(&mut self, iter: I) {
        for license in iter {
            self.insert(license);
        }
    }
}

impl<const N: usize> From<[License; N]> for LicenseSet {
    fn from(licenses: [License; N]) -> Self {
        licenses.into_iter().collect()
    }
}

impl IntoIterator for &LicenseSet {
    type Item = &'static License;
    type IntoIter = LicenseIter;
    fn into_iter(self) -> LicenseIter {
        self.iter()
    }
}

impl IntoIterator for LicenseSet {
    type Item = License;
    type IntoIter = std::iter::Copied<LicenseIter>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter().copied()
    }
}

impl Serialize for LicenseSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for license in self {
            seq.serialize_element(license)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for LicenseSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Flags;
        impl<'de> Visitor<'de> for Flags {
            type Value = LicenseSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of license names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LicenseSet, A::Error> {
                let mut set = LicenseSet::new();
                while let Some(license) = seq.next_element::<License>()? {
                    set.insert(license);
                }
                Ok(set)
            }
        }
        d.deserialize_seq(Flags)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The tests' one seeded generator, so the cases are the same on every run.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut seq = crate::testkit::Seq::new(seed);
        move || seq.next_u64()
    }

    #[test]
    fn id_sets_behave_and_serialize_as_btree_sets() {
        let mut next = rng(7);
        for _ in 0..500 {
            let mut ours = IdSet::new();
            let mut theirs = BTreeSet::new();
            for _ in 0..next() % 12 {
                let id = next() % 8;
                match next() % 3 {
                    0 | 1 => assert_eq!(ours.insert(id), theirs.insert(id)),
                    _ => assert_eq!(ours.remove(&id), theirs.remove(&id)),
                }
                assert_eq!(ours.contains(&id), theirs.contains(&id));
            }
            assert_eq!(ours.len(), theirs.len());
            assert_eq!(ours.is_empty(), theirs.is_empty());
            assert!(ours.iter().eq(theirs.iter()));
            let json = serde_json::to_string(&ours).unwrap();
            assert_eq!(json, serde_json::to_string(&theirs).unwrap());
            assert_eq!(serde_json::from_str::<IdSet>(&json).unwrap(), ours);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        }
        // Read as a BTreeSet reads: any order, repeats folded.
        let read: IdSet = serde_json::from_str("[3, 1, 3, 2]").unwrap();
        assert_eq!(read, IdSet::from([1, 2, 3]));
        assert!(serde_json::from_str::<IdSet>("[-1]").is_err());
        assert!(serde_json::from_str::<IdSet>("{}").is_err());
    }

    #[test]
    fn license_sets_behave_and_serialize_as_btree_sets() {
        let mut next = rng(11);
        for _ in 0..500 {
            let mut ours = LicenseSet::new();
            let mut theirs = BTreeSet::new();
            for _ in 0..next() % 20 {
                let l = License::ALL[(next() % 15) as usize];
                match next() % 3 {
                    0 | 1 => assert_eq!(ours.insert(l), theirs.insert(l)),
                    _ => assert_eq!(ours.remove(&l), theirs.remove(&l)),
                }
                assert_eq!(ours.contains(&l), theirs.contains(&l));
            }
            assert_eq!(ours.len(), theirs.len());
            assert!(ours.iter().eq(theirs.iter()));
            let json = serde_json::to_string(&ours).unwrap();
            assert_eq!(json, serde_json::to_string(&theirs).unwrap());
            assert_eq!(serde_json::from_str::<LicenseSet>(&json).unwrap(), ours);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        }
        for (i, l) in License::ALL.iter().enumerate() {
            assert_eq!(*l as usize, i, "ALL is in declaration order");
        }
        let read: LicenseSet = serde_json::from_str(r#"["travel", "expense", "travel"]"#).unwrap();
        assert_eq!(read, LicenseSet::from([License::Expense, License::Travel]));
        assert!(serde_json::from_str::<LicenseSet>(r#"["expense-user"]"#).is_err());
    }
}
