//! `plan --changed-since REF`: which targets a pull request changes, so its plan reads and shows
//! only those (and their people) instead of everything the policy manages.
//!
//! Two steps, both comparing meaning rather than text:
//! 1. Before Coupa is read, [`declared_changes`] compares the two policies as declared, target
//!    by target (names and identities by [`NameKey`], line positions ignored): a superset of
//!    what changed, since binding is a function of the declaration and the tenant. Settings
//!    that affect every target (protected users, guards, writes, …) changed: everything.
//! 2. After the scoped read, [`bound_changes`] binds both versions of those targets to the
//!    tenant (`crate::bind`) and keeps those whose bound meaning differs: members by user id,
//!    mode, whether apply writes them, and the `until` dates that take effect on the plan's
//!    day (expired or within the warning window); separation-of-duties rules by their resolved
//!    sides and exceptions.
//!
//! The plan of the kept targets is [`restrict`]ed policy's plan: the same changes the full plan
//! makes for those targets (property-tested in `proptests`).

mod declared;
mod meaning;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Desired, EveryTarget, Kind, NameKey, ScopeTarget, Target};

pub use declared::declared_changes;
pub use meaning::bound_changes;

/// A managed target as compared across policy versions: its kind and name key (a license by
/// its key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetKey {
    pub kind: Kind,
    pub key: NameKey,
}

impl TargetKey {
    /// The key of a target named `name` (as written or as Coupa spells it).
    pub fn new(kind: Kind, name: &str) -> TargetKey {
        TargetKey {
            kind,
            key: NameKey::new(name),
        }
    }
}

/// What changed between two versions of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// Every target must be planned, for this reason.
    Every(EveryTarget),
    /// These targets (possibly none, possibly some the newer version no longer declares).
    Targets(BTreeSet<TargetKey>),
}

/// Every target of `d`, by kind (groups, roles, licenses), with the name it is first written
/// under (two spellings of one name are one target).
fn targets_of(d: &Desired) -> impl Iterator<Item = (TargetKey, &str, &Target)> {
    let groups = d.groups.values().map(|t| (Kind::Group, t.name.as_str(), t));
    let roles = d.roles.values().map(|t| (Kind::Role, t.name.as_str(), t));
    let licenses = d.licenses.iter().map(|(l, t)| (Kind::License, l.key(), t));
    groups
        .chain(roles)
        .chain(licenses)
        .map(|(kind, name, t)| (TargetKey::new(kind, name), name, t))
}

/// The targets `d` manages.
pub fn managed(d: &Desired) -> BTreeSet<TargetKey> {
    targets_of(d).map(|(k, _, _)| k).collect()
}

/// `d` with only the targets in `keep` (settings, rules and files as they are): what a plan of
/// those targets alone is made from.
pub fn restrict(d: &Desired, keep: &BTreeSet<TargetKey>) -> Desired {
    let kept = |kind: Kind, name: &str| keep.contains(&TargetKey::new(kind, name));
    Desired {
        groups: d
            .groups
            .values()
            .filter(|t| kept(Kind::Group, &t.name))
            .cloned()
            .collect(),
        roles: d
            .roles
            .values()
            .filter(|t| kept(Kind::Role, &t.name))
            .cloned()
            .collect(),
        licenses: d
            .licenses
            .iter()
            .filter(|(l, _)| kept(Kind::License, l.key()))
            .map(|(l, t)| (*l, t.clone()))
            .collect(),
        settings: d.settings.clone(),
        sod_rules: d.sod_rules.clone(),
        policy_digest: d.policy_digest.clone(),
        files: d.files.clone(),
    }
}

/// A policy that is only read for, never planned: `head`'s targets, settings and rules with
/// `base`'s added (members of a target both declare joined; a target authoritative in either is
/// authoritative). A live read scoped to it (`ReadScope::for_plan`) fetches everything both
/// versions name, so both can be bound to it.
pub fn for_reading(base: &Desired, head: &Desired) -> Desired {
    let mut out = head.clone();
    fn join(have: &mut Target, t: &Target) {
        have.members.extend(t.members.iter().cloned());
        if !t.implicit && t.mode == crate::model::Mode::Authoritative {
            have.implicit = false;
            have.mode = crate::model::Mode::Authoritative;
        }
    }
    for (into, from) in [
        (&mut out.groups, &base.groups),
        (&mut out.roles, &base.roles),
    ] {
        for t in from.values() {
            match into.get_mut(&t.name) {
                Some(have) => join(have, t),
                None => {
                    into.insert(t.clone());
                }
            }
        }
    }
    for (l, t) in &base.licenses {
        match out.licenses.get_mut(l) {
            Some(have) => join(have, t),
            None => {
                out.licenses.insert(*l, t.clone());
            }
        }
    }
    out.settings
        .protected_users
        .extend(base.settings.protected_users.iter().cloned());
    out.sod_rules.extend(base.sod_rules.iter().cloned());
    out
}

/// The targets of `d` in `keep`, by kind and first-written name, in kind and key order: what a
/// scoped plan records.
pub fn scope_targets(d: &Desired, keep: &BTreeSet<TargetKey>) -> Vec<ScopeTarget> {
    let mut seen = BTreeMap::new();
    for (k, name, _) in targets_of(d) {
        if keep.contains(&k) {
            let kind = k.kind;
            seen.entry(k).or_insert_with(|| ScopeTarget {
                kind,
                target: name.to_string(),
            });
        }
    }
    seen.into_values().collect()
}

/// The keys of a saved plan's scope targets (for `apply PLAN.json`).
pub fn keys_of(targets: &[ScopeTarget]) -> BTreeSet<TargetKey> {
    targets
        .iter()
        .map(|t| TargetKey::new(t.kind, &t.target))
        .collect()
}
