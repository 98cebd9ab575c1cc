//! Which live roles and groups a plan decides: the managed targets whose changes `apply`
//! writes, as the bound policy says (the one place that resolves names and `settings.writes`).
//! A journal restore never gives these back — the plan says whether the user holds them — so a
//! restore cannot undo a removal the policy asks for, nor add what the plan adds.

use std::collections::BTreeSet;

use crate::bind::Bound;
use crate::model::{ChangeTarget, Kind};

/// Ids of the live roles and groups a plan decides ([`crate::plan::Planned::decided`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decided {
    pub roles: BTreeSet<u64>,
    pub groups: BTreeSet<u64>,
}

impl Decided {
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
    use crate::model::{Desired, Group, Live, Origin, PolicyFile, Role, User};

    /// What the plan use case says the plan of `desired` decides.
    fn decided(desired: &Desired, live: &Live) -> Decided {
        let now = chrono::DateTime::UNIX_EPOCH;
        let origin = Origin::Instance {
            domain: "https://acme.coupahost.com".into(),
        };
        crate::plan::make(desired, live, origin, now, &crate::CliWords::for_tests())
            .expect("plans")
            .decided
    }

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
        let d = decided(&desired, &live);
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
        assert_eq!(decided(&desired, &live).roles, [3].into());
    }
}
