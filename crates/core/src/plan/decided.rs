//! Which live roles and groups a plan decides: the managed targets whose changes `apply`
//! writes, as the bound policy says (the one place that resolves names and `settings.writes`).
//! A journal restore never gives these back — the plan says whether the user holds them — so a
//! restore cannot undo a removal the policy asks for, nor add what the plan adds.

use std::collections::BTreeSet;

use crate::bind::{bind, Bound};
use crate::index::LiveIndex;
use crate::model::{ChangeTarget, Desired, Kind, Live};

/// Ids of the live roles and groups the plan for `desired` decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decided {
    pub roles: BTreeSet<u64>,
    pub groups: BTreeSet<u64>,
}

impl Decided {
    /// What the plan for `desired` against `live` decides. A policy that does not bind makes
    /// no plan; then everything counts as decided, so nothing is restored on a guess.
    pub fn of(desired: &Desired, live: &Live) -> Decided {
        let ix = LiveIndex::new(live);
        match bind(desired, &ix) {
            Ok(bound) => Decided::from_bound(&bound),
            Err(_) => Decided {
                roles: live.roles.iter().map(|r| r.id).collect(),
                groups: live
                    .groups
                    .iter()
                    .chain(&live.projects)
                    .map(|g| g.id)
                    .collect(),
            },
        }
    }

    /// The targets of `bound` that apply writes.
    pub fn from_bound(bound: &Bound<'_>) -> Decided {
        let mut d = Decided::default();
        for t in bound.targets.iter().filter(|t| t.applies) {
            match &t.target {
                ChangeTarget::Group { id, .. } => {
                    d.groups.insert(*id);
                }
                ChangeTarget::Role { id, .. } => {
                    d.roles.insert(*id);
                }
                ChangeTarget::License(_) => {}
            }
        }
        d
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Group, PolicyFile, Role, User};

    fn load(yaml: &str) -> Desired {
        crate::policy::load_files(vec![PolicyFile {
            path: "p.yaml".into(),
            text: yaml.into(),
        }])
        .expect("loads")
    }

    #[test]
    fn only_managed_targets_that_apply_writes_are_decided() {
        let live = Live {
            users: vec![User::new(1, "alice", "alice@acme.com")],
            groups: vec![Group::new(10, "AP Clerks"), Group::new(11, "ap clerks")],
            projects: vec![],
            roles: vec![Role::new(2, "User", false), Role::new(3, "Buyer", false)],
            memberships: vec![],
        };
        let yaml =
            "groups:\n  AP Clerks:\n    members: [alice]\nroles:\n  Buyer:\n    members: [alice]\n";
        let desired = load(yaml);
        let d = Decided::of(&desired, &live);
        assert_eq!(
            d.groups,
            [10].into(),
            "the exact spelling, not its case twin"
        );
        assert!(
            d.roles.is_empty(),
            "roles are reported only without settings.writes"
        );
        let yaml = format!("settings:\n  writes: [groups, roles]\n{yaml}");
        let desired = load(&yaml);
        assert_eq!(Decided::of(&desired, &live).roles, [3].into());
    }
}
