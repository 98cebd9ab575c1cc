//! Which live roles and groups a plan decides: the managed targets whose changes `apply`
//! writes. A journal restore never gives these back — the plan says whether the user holds
//! them — so a restore cannot undo a removal the policy asks for, nor add what the plan adds.

use std::collections::BTreeSet;

use crate::model::{Desired, Kind, Live, NameKey};

use super::ManagedGroups;

/// Ids of the live roles and groups the plan for `desired` decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decided {
    pub roles: BTreeSet<u64>,
    pub groups: BTreeSet<u64>,
}

impl Decided {
    /// What the plan for `desired` against `live` decides. Names match as the planner matches
    /// them ([`NameKey`]), so case twins are all counted as decided.
    pub fn of(desired: &Desired, live: &Live) -> Decided {
        let managed = ManagedGroups::of(desired);
        let groups = if desired.settings.writes.applies(Kind::Group) {
            live.groups
                .iter()
                .filter(|g| managed.selects(g))
                .map(|g| g.id)
                .collect()
        } else {
            BTreeSet::new()
        };
        let roles = if desired.settings.writes.applies(Kind::Role) {
            let keys: BTreeSet<NameKey> = desired.roles.keys().map(|n| NameKey::new(n)).collect();
            live.roles
                .iter()
                .filter(|r| keys.contains(&NameKey::new(&r.name)))
                .map(|r| r.id)
                .collect()
        } else {
            BTreeSet::new()
        };
        Decided { roles, groups }
    }

    /// The decided ids of `kind` (licenses are never journaled: none).
    pub fn of_kind(&self, kind: Kind) -> &BTreeSet<u64> {
        static NONE: BTreeSet<u64> = BTreeSet::new();
        match kind {
            Kind::Role => &self.roles,
            Kind::Group => &self.groups,
            Kind::License => &NONE,
        }
    }
}
