//! `diff`: policy against live Coupa.

use std::collections::{BTreeMap, HashMap};

use crate::bind::{Bound, BoundTarget, HoldersByTarget, Kept};
use crate::compact::ShortText;
use crate::index::{Listings, LiveIndex};
use crate::model::{
    summarize, Action, Change, ChangeTarget, Desired, GroupPrecondition, Live, Loc, Locator, Mode,
    NameKey, Preconditions, SourcePos, Summary, User, Warning, WarningCode,
};

use super::{fingerprint, PlanError};

/// What must change, before it is stamped with where and when (see [`super::make`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Deterministic order: kind (group, role, license), target, action (remove first), user.
    pub changes: Vec<Change>,
    pub summary: Summary,
    /// The planner's warnings, one per fact.
    pub warnings: Vec<Warning>,
    pub preconditions: Preconditions,
}

impl Diff {
    /// True when nothing would change and nothing is reported.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Diffs what the policy asks for against live Coupa.
///
/// The result is deterministic for the same inputs. It reads no clock and knows no connection:
/// [`super::make`] turns it into a [`crate::model::Plan`].
pub fn diff(desired: &Desired, live: &Live) -> Result<Diff, PlanError> {
    let ix = LiveIndex::new(live);
    diff_with(&Listings::new(desired, &ix))
}

/// [`diff`] over listings already resolved (the plan use case resolves them once for the
/// check and the diff).
pub fn diff_with(listings: &Listings<'_>) -> Result<Diff, PlanError> {
    Ok(diff_bound(&crate::bind::bind_listings(listings)?))
}

/// What must change for a bound policy: every target's additions and removals, with the
/// warnings that explain what is kept.
pub fn diff_bound(bound: &Bound<'_>) -> Diff {
    let (desired, ix) = (bound.desired, bound.ix);
    let mut acc = Acc {
        bound,
        locator: Locator::new(&desired.files),
        changes: Vec::new(),
        warnings: Vec::new(),
        inactive: HashMap::new(),
    };
    for t in &bound.targets {
        plan_target(&mut acc, t);
    }

    let Acc {
        changes,
        mut warnings,
        inactive,
        ..
    } = acc;
    // One warning per inactive user, naming every target the plan still adds them to.
    for (index, targets) in inactive.into_values() {
        let w = &mut warnings[index];
        let login = w.user.clone().unwrap_or_default();
        w.message = format!(
            "{login} is inactive in Coupa; the plan still adds them to {}",
            targets.join(", ")
        );
    }
    let mut changes = sort_changes(changes);
    warnings.extend(api_user_warnings(ix, &changes));
    warnings.extend(super::rewrites::hold_back(ix, &mut changes));
    warnings.extend(super::rewrites::roleless(ix, &changes));

    let summary = summarize(&changes);
    let mut preconditions = preconditions(ix, &changes, bound.group_holders());
    // Saved plans carry the guards and exemptions they were made under, for `apply PLAN.json`.
    preconditions.max_removals = desired.settings.max_removals;
    preconditions.protected_user_ids = bound.protected.keys().copied().collect();
    preconditions.role_rewrites = super::rewrites::role_rewrites(ix, &changes);
    preconditions.group_removals = desired.settings.group_removals;

    Diff {
        changes,
        summary,
        warnings,
        preconditions,
    }
}

/// One warning per API (integration) user whose access the plan changes, naming the changes:
/// reviewers should know an integration's account is touched.
fn api_user_warnings(ix: &LiveIndex<'_>, changes: &[Change]) -> Vec<Warning> {
    let mut touched: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for c in changes {
        if ix.user_by_id(c.user_id).is_some_and(|u| u.api_user) {
            let verb = match c.action {
                Action::Add => "gains",
                Action::Remove => "loses",
            };
            touched
                .entry(c.user_id)
                .or_default()
                .push(format!("{verb} {}", c.target.describe()));
        }
    }
    touched
        .into_iter()
        .filter_map(|(id, what)| {
            let user = ix.user_by_id(id)?;
            let w = Warning::new(
                WarningCode::ApiUserChanged,
                format!(
                    "{} is an API (integration) user in Coupa and {}",
                    user.login,
                    what.join(", ")
                ),
            )
            .about_user(&user.login);
            Some(w)
        })
        .collect()
}

/// What the planner collects while walking targets.
struct Acc<'a> {
    bound: &'a Bound<'a>,
    /// Positions of warnings in the policy files.
    locator: Locator<'a>,
    changes: Vec<Change>,
    warnings: Vec<Warning>,
    /// Inactive users the plan adds somewhere: user id -> (index of their warning, targets).
    inactive: HashMap<u64, (usize, Vec<String>)>,
}

impl Acc<'_> {
    fn pos(&self, loc: Loc) -> Option<SourcePos> {
        self.locator.locate(loc)
    }
}

fn change(t: &BoundTarget<'_>, action: Action, user: &User, membership_id: Option<u64>) -> Change {
    Change {
        action,
        target: t.target.clone(),
        user: user.login.clone(),
        user_id: user.id,
        applies: t.applies,
        membership_id,
        privileged: t.privileged,
        expired: None,
    }
}

/// The expiry a removal carries out.
fn expiry(m: &crate::model::Member) -> Option<crate::model::Expiry> {
    m.grant.as_ref().map(|g| crate::model::Expiry {
        until: g.until,
        reason: g.reason.clone(),
    })
}

/// Adds and removals for one target.
fn plan_target(acc: &mut Acc<'_>, bt: &BoundTarget<'_>) {
    let t = &bt.target;
    let holders = acc.bound.holders(bt);
    for &(user, m) in &bt.members {
        if holders.contains(user.id) {
            continue;
        }
        if !user.active {
            inactive_added(acc, user, m.loc, t);
        }
        acc.changes.push(change(bt, Action::Add, user, None));
    }
    for &(user, m) in &bt.expiring {
        let Some(g) = m.grant.as_ref() else { continue };
        let reason = g
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let w = Warning::new(
            WarningCode::GrantExpiring,
            format!(
                "{}'s grant of {} ends {}{reason}: from the day after, the plan removes it",
                user.login,
                t.describe(),
                g.until
            ),
        )
        .help("extend `until` if the access is still needed, or let it expire")
        .about_user(&user.login)
        .about_target(t.clone())
        .at(acc.pos(g.loc));
        acc.warnings.push(w);
    }

    for (user_id, rows) in holders.by_user() {
        let Some(user) = acc.bound.user_of(&rows[0]) else {
            // Holders of groups were checked by the binding; roles and licenses come from users.
            continue;
        };
        let membership_ids = rows.iter().filter_map(|h| h.membership_id);
        // An expired grant gives nothing in any mode: its holder loses the target.
        let expired = bt.expired_grant(user_id);
        let keep = expired.is_none() && (bt.mode == Mode::Additive || bt.lists(user_id));
        if keep {
            let count = membership_ids.clone().count();
            if count > 1 {
                let w = Warning::new(
                    WarningCode::DuplicateMembership,
                    format!(
                        "{} has {count} memberships of {} (ids {}); left as they are",
                        user.login,
                        t.describe(),
                        join_ids(membership_ids)
                    ),
                )
                .about_user(&user.login)
                .about_target(t.clone());
                acc.warnings.push(w);
            }
            continue;
        }
        match bt.keeps(acc.bound, user_id) {
            Some(Kept::Protected) => {
                let loc = acc
                    .bound
                    .protected
                    .get(&user_id)
                    .copied()
                    .unwrap_or_default();
                let w = Warning::new(
                    WarningCode::ProtectedUserKept,
                    format!(
                        "kept {} in {}: protected user (settings.protected_users)",
                        user.login,
                        t.describe()
                    ),
                )
                .about_user(&user.login)
                .about_target(t.clone())
                .at(acc.pos(loc));
                acc.warnings.push(w);
                continue;
            }
            // Owners administer the group in Coupa: removing one could lock the group's admins
            // out, so it takes an explicit opt-in per group.
            Some(Kept::Owner) => {
                let w = Warning::new(
                    WarningCode::OwnerKept,
                    format!(
                        "kept owner {} in {}: group owners are removed only when the group sets remove_owners: true",
                        user.login,
                        t.describe()
                    ),
                )
                .about_user(&user.login)
                .about_target(t.clone())
                .at(acc.pos(bt.loc));
                acc.warnings.push(w);
                continue;
            }
            Some(Kept::RolesNotCleared) | None => {}
        }
        let expired = expired.and_then(expiry);
        if let Some(e) = &expired {
            let g = bt.expired_grant(user_id).and_then(|m| m.grant.as_ref());
            let w = Warning::new(
                WarningCode::GrantExpired,
                format!(
                    "{}'s grant of {} {}; the plan removes it",
                    user.login,
                    t.describe(),
                    e.label()
                ),
            )
            .about_user(&user.login)
            .about_target(t.clone())
            .at(g.and_then(|g| acc.pos(g.loc)));
            acc.warnings.push(w);
        }
        let remove = |mid| Change {
            expired: expired.clone(),
            ..change(bt, Action::Remove, user, mid)
        };
        if membership_ids.clone().next().is_none() {
            acc.changes.push(remove(None));
        }
        // Every duplicate goes: removing only one would leave the user a member.
        for mid in membership_ids {
            acc.changes.push(remove(Some(mid)));
        }
    }
}

/// Records that the plan adds an inactive user to `t`: one warning per user (the fact is that
/// they are inactive), pointing where they were first listed; its text is finished in `diff`.
fn inactive_added(acc: &mut Acc<'_>, user: &User, loc: Loc, t: &ChangeTarget) {
    if let Some((_, targets)) = acc.inactive.get_mut(&user.id) {
        targets.push(t.describe());
        return;
    }
    let w = Warning::new(WarningCode::InactiveUser, String::new())
        .about_user(&user.login)
        .at(acc.pos(loc));
    acc.inactive
        .insert(user.id, (acc.warnings.len(), vec![t.describe()]));
    acc.warnings.push(w);
}

fn join_ids(ids: impl Iterator<Item = u64>) -> String {
    ids.map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
}

/// Kind (group, role, license), target name (case-insensitively, then exactly), removals before
/// adds, user login (likewise), then membership id.
fn order_key(c: &Change) -> impl Ord + '_ {
    (
        c.kind(),
        NameKey::fold(c.target.name()),
        c.target.name(),
        c.action == Action::Add,
        NameKey::fold(&c.user),
        c.user.as_str(),
        c.membership_id,
    )
}

/// Sorts changes by [`order_key`], each key computed once (plans can hold many thousands of
/// changes). Stable: equal keys keep their order.
fn sort_changes(changes: Vec<Change>) -> Vec<Change> {
    let order: Vec<usize> = {
        let mut keyed: Vec<_> = changes
            .iter()
            .enumerate()
            .map(|(i, c)| (order_key(c), i))
            .collect();
        // The index breaks ties, so an unstable sort gives the stable order.
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    };
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Live member sets of every group the plan touches.
fn preconditions(
    ix: &LiveIndex<'_>,
    changes: &[Change],
    group_holders: &HoldersByTarget,
) -> Preconditions {
    let mut groups = BTreeMap::new();
    for c in changes {
        let ChangeTarget::Group { id, name } = &c.target else {
            continue;
        };
        if groups.contains_key(name) {
            continue;
        }
        let holders = group_holders.of(*id);
        let ids = holders.by_user().map(|(id, _)| id);
        // Sorted as references, copied once.
        let mut logins: Vec<&str> = holders
            .by_user()
            .filter_map(|(_, rows)| ix.live.users.get(rows[0].user))
            .map(|u| u.login.as_str())
            .collect();
        logins.sort_unstable();
        let members = logins.into_iter().map(ShortText::from).collect();
        groups.insert(
            name.clone(),
            GroupPrecondition {
                group_id: *id,
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
