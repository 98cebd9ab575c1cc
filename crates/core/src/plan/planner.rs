//! `diff`: policy against live Coupa.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Action, Change, Desired, GroupPrecondition, Kind, License, Live, LiveIndex, Member, Mode,
    NameKey, Plan, Preconditions, Summary, User, UserMatch, PLAN_FORMAT_VERSION,
};

use super::targets::{self, Wanted};
use super::{fingerprint, kind_word, PlanError};

/// Who holds a target now: user id -> membership ids (empty for roles and licenses, which have
/// no membership records).
type Holders = BTreeMap<u64, Vec<u64>>;

/// Diffs what the policy asks for against live Coupa.
///
/// The result is deterministic for the same inputs. `domain` and `generated_at` are left empty
/// for the caller to fill in (the planner reads no clock and knows no connection).
pub fn diff(desired: &Desired, live: &Live) -> Result<Plan, PlanError> {
    let ix = LiveIndex::new(live);
    let mut acc = Acc {
        ix: &ix,
        protected: protected_ids(&ix, &desired.settings.protected_users)?,
        changes: Vec::new(),
        warnings: Vec::new(),
    };

    let group_holders = plan_groups(desired, live, &mut acc)?;
    plan_roles(desired, live, &mut acc)?;
    plan_licenses(desired, live, &mut acc)?;

    let Acc {
        mut changes,
        warnings,
        protected,
        ..
    } = acc;
    changes.sort_by(|a, b| order_key(a).cmp(&order_key(b)));

    let summary = Summary {
        add: count(&changes, |c| c.applies && c.action == Action::Add),
        remove: count(&changes, |c| c.applies && c.action == Action::Remove),
        reported_only: count(&changes, |c| !c.applies),
    };
    let mut preconditions = preconditions(&ix, &changes, &group_holders);
    // Saved plans carry the guards and exemptions they were made under, for `apply PLAN.json`.
    preconditions.max_removals = desired.settings.max_removals;
    preconditions.protected_user_ids = protected.into_iter().collect();

    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        domain: String::new(),
        generated_at: String::new(),
        policy_digest: desired.policy_digest.clone(),
        changes,
        summary,
        warnings,
        preconditions,
    })
}

/// What the planner collects while walking targets.
struct Acc<'a> {
    ix: &'a LiveIndex<'a>,
    protected: BTreeSet<u64>,
    changes: Vec<Change>,
    warnings: Vec<String>,
}

/// The live target a declaration resolved to.
struct Resolved<'a> {
    kind: Kind,
    /// As Coupa spells it (the license key for licenses).
    name: &'a str,
    /// Group or role id; 0 for licenses.
    id: u64,
    applies: bool,
    privileged: bool,
}

impl Resolved<'_> {
    fn describe(&self) -> String {
        format!("{} \"{}\"", kind_word(self.kind), self.name)
    }

    fn change(&self, action: Action, user: &User, membership_id: Option<u64>) -> Change {
        Change {
            action,
            kind: self.kind,
            target: self.name.to_string(),
            target_id: self.id,
            user: user.login.clone(),
            user_id: user.id,
            applies: self.applies,
            membership_id,
            privileged: self.privileged,
        }
    }
}

/// Resolves `settings.protected_users`. An identity that names two users protects both: when in
/// doubt, keep access rather than remove it.
fn protected_ids(ix: &LiveIndex<'_>, members: &[Member]) -> Result<BTreeSet<u64>, PlanError> {
    let mut ids = BTreeSet::new();
    for m in members {
        match ix.user(&m.identity) {
            UserMatch::One(u) => {
                ids.insert(u.id);
            }
            UserMatch::Ambiguous(a, b) => {
                ids.insert(a.id);
                ids.insert(b.id);
            }
            UserMatch::None => {
                return Err(PlanError::UnknownProtectedUser {
                    identity: m.identity.clone(),
                })
            }
        }
    }
    Ok(ids)
}

/// Plans every declared group; returns the live holders of each managed group (by group id)
/// for the preconditions.
fn plan_groups(
    desired: &Desired,
    live: &Live,
    acc: &mut Acc<'_>,
) -> Result<BTreeMap<u64, Holders>, PlanError> {
    let wanted = targets::merge(Kind::Group, desired.groups.values())?;
    let mut managed = Vec::with_capacity(wanted.len());
    for w in wanted.values() {
        let group = match acc.ix.group(w.name) {
            Some(g) => g,
            None if acc.ix.project(w.name).is_some() => {
                return Err(PlanError::GroupIsProject {
                    name: w.name.to_string(),
                })
            }
            None => {
                return Err(PlanError::UnknownGroup {
                    name: w.name.to_string(),
                })
            }
        };
        managed.push((w, group));
    }

    // One pass over the memberships, keeping only managed groups (tenants are large).
    let mut holders: BTreeMap<u64, Holders> = managed
        .iter()
        .map(|(_, g)| (g.id, Holders::new()))
        .collect();
    for m in &live.memberships {
        if let Some(h) = holders.get_mut(&m.group_id) {
            h.entry(m.user_id).or_default().push(m.id);
        }
    }

    for (w, group) in managed {
        let h = &holders[&group.id];
        for (&user_id, ids) in h {
            if acc.ix.user_by_id(user_id).is_none() {
                return Err(PlanError::UnknownMember {
                    group: group.name.clone(),
                    membership_id: ids.first().copied().unwrap_or_default(),
                    user_id,
                });
            }
        }
        let target = Resolved {
            kind: Kind::Group,
            name: &group.name,
            id: group.id,
            applies: true,
            privileged: false,
        };
        plan_target(acc, &target, w, h)?;
    }
    Ok(holders)
}

fn plan_roles(desired: &Desired, live: &Live, acc: &mut Acc<'_>) -> Result<(), PlanError> {
    let wanted = targets::merge(Kind::Role, desired.roles.values())?;
    let mut managed = Vec::with_capacity(wanted.len());
    for w in wanted.values() {
        let role = acc.ix.role(w.name).ok_or_else(|| PlanError::UnknownRole {
            name: w.name.to_string(),
        })?;
        managed.push((w, role));
    }
    let mut holders: BTreeMap<u64, Holders> = managed
        .iter()
        .map(|(_, r)| (r.id, Holders::new()))
        .collect();
    for u in &live.users {
        for role_id in &u.roles {
            if let Some(h) = holders.get_mut(role_id) {
                h.insert(u.id, Vec::new());
            }
        }
    }
    for (w, role) in managed {
        let target = Resolved {
            kind: Kind::Role,
            name: &role.name,
            id: role.id,
            applies: false,
            privileged: role.omnipotent,
        };
        plan_target(acc, &target, w, &holders[&role.id])?;
    }
    Ok(())
}

fn plan_licenses(desired: &Desired, live: &Live, acc: &mut Acc<'_>) -> Result<(), PlanError> {
    for (license, t) in &desired.licenses {
        let w = Wanted {
            name: license.key(),
            mode: if t.implicit { Mode::Additive } else { t.mode },
            members: t.members.iter().collect(),
        };
        let holders: Holders = live
            .users
            .iter()
            .filter(|u| u.licenses.contains(license))
            .map(|u| (u.id, Vec::new()))
            .collect();
        let target = Resolved {
            kind: Kind::License,
            name: License::key(*license),
            id: 0,
            applies: false,
            privileged: false,
        };
        plan_target(acc, &target, &w, &holders)?;
    }
    Ok(())
}

/// Adds and removals for one target.
fn plan_target(
    acc: &mut Acc<'_>,
    target: &Resolved<'_>,
    wanted: &Wanted<'_>,
    holders: &Holders,
) -> Result<(), PlanError> {
    let mut members: BTreeMap<u64, &User> = BTreeMap::new();
    for m in &wanted.members {
        match acc.ix.user(&m.identity) {
            UserMatch::One(u) => {
                members.insert(u.id, u);
            }
            UserMatch::Ambiguous(a, b) => {
                return Err(PlanError::AmbiguousUser {
                    kind: target.kind,
                    target: target.name.to_string(),
                    identity: m.identity.clone(),
                    first: a.login.clone(),
                    second: b.login.clone(),
                })
            }
            UserMatch::None => {
                return Err(PlanError::UnknownUser {
                    kind: target.kind,
                    target: target.name.to_string(),
                    identity: m.identity.clone(),
                })
            }
        }
    }

    for (id, user) in &members {
        if holders.contains_key(id) {
            continue;
        }
        if !user.active {
            acc.warnings.push(format!(
                "{} is inactive in Coupa; the plan still adds them to {}",
                user.login,
                target.describe()
            ));
        }
        acc.changes.push(target.change(Action::Add, user, None));
    }

    for (user_id, membership_ids) in holders {
        let Some(user) = acc.ix.user_by_id(*user_id) else {
            // Holders of groups were checked by the caller; roles and licenses come from users.
            continue;
        };
        let keep = wanted.mode == Mode::Additive || members.contains_key(user_id);
        if keep {
            if membership_ids.len() > 1 {
                acc.warnings.push(format!(
                    "{} has {} memberships of {} (ids {}); left as they are",
                    user.login,
                    membership_ids.len(),
                    target.describe(),
                    join_ids(membership_ids)
                ));
            }
            continue;
        }
        if acc.protected.contains(user_id) {
            acc.warnings.push(format!(
                "kept {} in {}: protected user (settings.protected_users)",
                user.login,
                target.describe()
            ));
            continue;
        }
        if membership_ids.is_empty() {
            acc.changes.push(target.change(Action::Remove, user, None));
        }
        // Every duplicate goes: removing only one would leave the user a member.
        for &mid in membership_ids {
            acc.changes
                .push(target.change(Action::Remove, user, Some(mid)));
        }
    }
    Ok(())
}

fn join_ids(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn count(changes: &[Change], f: impl Fn(&Change) -> bool) -> usize {
    changes.iter().filter(|c| f(c)).count()
}

/// Kind (group, role, license), target name (case-insensitively, then exactly), removals before
/// adds, user login (likewise), then membership id.
fn order_key(c: &Change) -> impl Ord + '_ {
    (
        c.kind,
        NameKey::new(&c.target),
        c.target.as_str(),
        c.action == Action::Add,
        NameKey::new(&c.user),
        c.user.as_str(),
        c.membership_id,
    )
}

/// Live member sets of every group the plan touches.
fn preconditions(
    ix: &LiveIndex<'_>,
    changes: &[Change],
    group_holders: &BTreeMap<u64, Holders>,
) -> Preconditions {
    let mut groups = BTreeMap::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Group) {
        if groups.contains_key(&c.target) {
            continue;
        }
        let holders = group_holders.get(&c.target_id);
        let ids = holders.into_iter().flat_map(|h| h.keys().copied());
        let mut members: Vec<String> = holders
            .into_iter()
            .flat_map(|h| h.keys())
            .filter_map(|id| ix.user_by_id(*id))
            .map(|u| u.login.clone())
            .collect();
        members.sort();
        groups.insert(
            c.target.clone(),
            GroupPrecondition {
                group_id: c.target_id,
                members_fingerprint: fingerprint(ids),
                members,
            },
        );
    }
    Preconditions {
        groups,
        ..Preconditions::default()
    }
}
