//! Role removals are clear-then-set in Coupa (a user update only adds roles), so the plan
//! records, for each user it removes a role from, the roles the user holds now: the review
//! shows what is cleared and set again, and a saved plan is stale when they change.

use std::collections::{BTreeMap, BTreeSet};

use crate::index::LiveIndex;
use crate::model::{Action, Change, Kind, RoleRewrite, Warning, WarningCode};

/// One [`RoleRewrite`] per user (by login) with an applied role removal.
pub(crate) fn role_rewrites(
    ix: &LiveIndex<'_>,
    changes: &[Change],
) -> BTreeMap<String, RoleRewrite> {
    let users: BTreeSet<u64> = changes
        .iter()
        .filter(|c| c.applies && c.kind() == Kind::Role && c.action == Action::Remove)
        .map(|c| c.user_id)
        .collect();
    users
        .into_iter()
        .filter_map(|id| ix.user_by_id(id))
        .map(|u| {
            let mut roles: Vec<String> = ix
                .live
                .roles
                .iter()
                .filter(|r| u.roles.contains(&r.id))
                .map(|r| r.name.clone())
                .collect();
            roles.sort();
            let rewrite = RoleRewrite {
                user_id: u.id,
                role_ids: u.roles.iter().copied().collect(),
                roles,
            };
            (u.login.clone(), rewrite)
        })
        .collect()
}

/// Holds back (marks reported-only) the applied role removals of users whose roles must never
/// be cleared, even for a moment: API (integration) users — the OAuth client's own account is
/// one, and an integration left roleless stops working — and the only active holder of an
/// omnipotent role (clearing would leave the tenant with no admin until the set). One warning
/// per user.
pub(crate) fn hold_back(ix: &LiveIndex<'_>, changes: &mut [Change]) -> Vec<Warning> {
    let users: BTreeSet<u64> = changes
        .iter()
        .filter(|c| c.applies && c.kind() == Kind::Role && c.action == Action::Remove)
        .map(|c| c.user_id)
        .collect();
    let mut warnings = Vec::new();
    for id in users {
        let Some(user) = ix.user_by_id(id) else {
            continue;
        };
        let why = crate::bind::roles_not_cleared(ix, user);
        let Some(why) = why else {
            continue;
        };
        for c in changes.iter_mut() {
            if c.user_id == id && c.kind() == Kind::Role && c.action == Action::Remove {
                c.applies = false;
            }
        }
        warnings.push(
            Warning::new(
                WarningCode::RolesNotCleared,
                format!(
                    "role removals for {} are reported, not applied: {} {why}, and removing a role clears all of a user's roles before setting the rest again",
                    user.login, user.login
                ),
            )
            .about_user(&user.login),
        );
    }
    warnings
}

/// One warning per active user the applied role changes leave holding no role at all: the
/// policy may mean it, but a reviewer should see that someone is locked out of Coupa.
pub(crate) fn roleless(ix: &LiveIndex<'_>, changes: &[Change]) -> Vec<Warning> {
    let mut after: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.applies && c.kind() == Kind::Role)
    {
        let (Some(user), Some(role)) = (ix.user_by_id(c.user_id), c.target.id()) else {
            continue;
        };
        let roles = after
            .entry(user.id)
            .or_insert_with(|| user.roles.iter().copied().collect());
        match c.action {
            Action::Add => roles.insert(role),
            Action::Remove => roles.remove(&role),
        };
    }
    after
        .into_iter()
        .filter(|(_, roles)| roles.is_empty())
        .filter_map(|(id, _)| ix.user_by_id(id))
        .filter(|u| u.active)
        .map(|u| {
            Warning::new(
                WarningCode::LeftWithoutRoles,
                format!(
                    "{} is active and holds no role once this plan is applied",
                    u.login
                ),
            )
            .about_user(&u.login)
        })
        .collect()
}
