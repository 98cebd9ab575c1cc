//! Which live groups a plan is about: the rule a scoped read uses to pick the groups whose
//! memberships it fetches. It is the planner's own name rule ([`NameKey`], as in `LiveIndex`),
//! so a scoped read can never skip a group the planner would match.

use std::collections::BTreeSet;

use crate::model::{Desired, Group, NameKey};

/// The name keys of the groups a policy declares (in its own section or from `users:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedGroups {
    keys: BTreeSet<NameKey>,
}

impl ManagedGroups {
    /// The groups `desired` manages, and every group a separation-of-duties rule names: the
    /// rule check needs each affected person's holdings of them, whoever else holds them.
    pub fn of(desired: &Desired) -> ManagedGroups {
        let rule_groups = desired
            .sod_rules
            .iter()
            .flat_map(|r| r.sides.iter())
            .flat_map(|s| s.targets.iter())
            .filter(|(kind, _, _)| *kind == crate::model::Kind::Group)
            .map(|(_, name, _)| NameKey::new(name));
        ManagedGroups {
            keys: desired
                .groups
                .keys()
                .map(|n| NameKey::new(n))
                .chain(rule_groups)
                .collect(),
        }
    }

    /// The groups with these names (for tools and tests that pick groups by name).
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> ManagedGroups {
        ManagedGroups {
            keys: names.into_iter().map(NameKey::new).collect(),
        }
    }

    /// Whether a live group may be one the policy names. Every group sharing a key is selected
    /// (case twins too): the planner then picks by exact spelling or reports the ambiguity.
    pub fn selects(&self, group: &Group) -> bool {
        self.keys.contains(&NameKey::new(&group.name))
    }

    /// Whether no group is managed (a scoped read then fetches no memberships).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
