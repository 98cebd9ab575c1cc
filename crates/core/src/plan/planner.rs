//! `diff`: policy against live Coupa.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{
    summarize, Action, Change, ChangeTarget, Desired, GroupPrecondition, Kind, Listings, Live,
    LiveIndex, Loc, Locator, Mode, NameKey, Preconditions, ShortText, SourcePos, Summary, Unread,
    User, UserMatch, Warning, WarningCode,
};

use super::holders::{Count, Holders, HoldersByTarget, Holding, NO_USER};
use super::targets::{self, Wanted};
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
    let (desired, ix) = (listings.desired, listings.ix);
    let live = ix.live;
    let mut acc = Acc {
        ix,
        listings,
        locator: Locator::new(&desired.files),
        protected: protected_ids(listings)?,
        changes: Vec::new(),
        warnings: Vec::new(),
        inactive: HashMap::new(),
    };

    let group_holders = plan_groups(desired, live, &mut acc)?;
    plan_roles(desired, live, &mut acc)?;
    plan_licenses(desired, live, &mut acc)?;

    let Acc {
        changes,
        mut warnings,
        protected,
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
    let mut preconditions = preconditions(ix, &changes, &group_holders);
    // Saved plans carry the guards and exemptions they were made under, for `apply PLAN.json`.
    preconditions.max_removals = desired.settings.max_removals;
    preconditions.protected_user_ids = protected.into_keys().collect();
    preconditions.role_rewrites = super::rewrites::role_rewrites(ix, &changes);
    preconditions.group_removals = desired.settings.group_removals;

    Ok(Diff {
        changes,
        summary,
        warnings,
        preconditions,
    })
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
    ix: &'a LiveIndex<'a>,
    listings: &'a Listings<'a>,
    /// Positions of warnings in the policy files.
    locator: Locator<'a>,
    /// Protected user ids, with where each was first listed.
    protected: BTreeMap<u64, Loc>,
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

/// The live target a declaration resolved to.
struct Resolved {
    target: ChangeTarget,
    applies: bool,
    privileged: bool,
    /// Users with an `owner: true` membership of this group (empty for roles and licenses).
    owners: BTreeSet<u64>,
}

impl Resolved {
    fn change(&self, action: Action, user: &User, membership_id: Option<u64>) -> Change {
        Change {
            action,
            target: self.target.clone(),
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
fn protected_ids(listings: &Listings<'_>) -> Result<BTreeMap<u64, Loc>, PlanError> {
    let mut ids = BTreeMap::new();
    for (m, l) in listings.protected() {
        match listings.user(m, l) {
            UserMatch::One(u) => {
                ids.entry(u.id).or_insert(m.loc);
            }
            UserMatch::Ambiguous(a, b) => {
                ids.entry(a.id).or_insert(m.loc);
                ids.entry(b.id).or_insert(m.loc);
            }
            UserMatch::None => {
                return Err(PlanError::UnknownProtectedUser {
                    identity: m.identity.to_string(),
                })
            }
        }
    }
    Ok(ids)
}

/// Plans every declared group; returns the live holders of the managed groups for the
/// preconditions.
fn plan_groups(
    desired: &Desired,
    live: &Live,
    acc: &mut Acc<'_>,
) -> Result<HoldersByTarget, PlanError> {
    let wanted = targets::merge(Kind::Group, acc.listings.targets(Kind::Group))?;
    let mut managed = Vec::with_capacity(wanted.len());
    for w in wanted.values() {
        let group = match acc.ix.group_named(w.name, w.id).one() {
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

    // Memberships of managed groups only (tenants are large), counted, then placed: finding a
    // bucket twice (a binary search over the managed ids) costs less than remembering it.
    let mut count = Count::new(managed.iter().map(|(_, g)| g.id).collect());
    for m in &live.memberships {
        if let Some(b) = count.bucket(m.group_id) {
            count.count(b);
        }
    }
    let mut fill = count.fill();
    let mut owners: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for m in &live.memberships {
        let Some(b) = fill.bucket(m.group_id) else {
            continue;
        };
        fill.place(
            b,
            Holding {
                user_id: m.user_id,
                user: acc.ix.user_at_id(m.user_id).unwrap_or(NO_USER),
                membership_id: Some(m.id),
            },
        );
        if m.owner {
            owners.entry(m.group_id).or_default().insert(m.user_id);
        }
    }
    let holders = fill.finish();

    for (w, group) in managed {
        let h = holders.of(group.id);
        for (user_id, rows) in h.by_user() {
            if rows[0].user == NO_USER {
                return Err(PlanError::UnknownMember {
                    group: group.name.clone(),
                    membership_id: rows[0].membership_id.unwrap_or_default(),
                    user_id,
                });
            }
        }
        let target = Resolved {
            target: ChangeTarget::Group {
                id: group.id,
                name: group.name.clone(),
            },
            applies: desired.settings.writes.applies(Kind::Group),
            privileged: false,
            owners: owners.remove(&group.id).unwrap_or_default(),
        };
        plan_target(acc, &target, w, h)?;
    }
    Ok(holders)
}

fn plan_roles(desired: &Desired, live: &Live, acc: &mut Acc<'_>) -> Result<(), PlanError> {
    let wanted = targets::merge(Kind::Role, acc.listings.targets(Kind::Role))?;
    let mut managed = Vec::with_capacity(wanted.len());
    for w in wanted.values() {
        let role = acc.ix.role(w.name).ok_or_else(|| PlanError::UnknownRole {
            name: w.name.to_string(),
        })?;
        managed.push((w, role));
    }
    // Few roles: finding a role's bucket twice (count, then place) is cheap.
    let mut count = Count::new(managed.iter().map(|(_, r)| r.id).collect());
    for u in &live.users {
        for &id in u.roles.iter() {
            if let Some(b) = count.bucket(id) {
                count.count(b);
            }
        }
    }
    let mut fill = count.fill();
    for u in &live.users {
        for &id in u.roles.iter() {
            if let Some(b) = fill.bucket(id) {
                fill.place(b, holding(acc.ix, u));
            }
        }
    }
    let holders = fill.finish();
    for (w, role) in managed {
        let target = Resolved {
            target: ChangeTarget::Role {
                id: role.id,
                name: role.name.clone(),
            },
            applies: desired.settings.writes.applies(Kind::Role),
            privileged: role.omnipotent,
            owners: BTreeSet::new(),
        };
        plan_target(acc, &target, w, holders.of(role.id))?;
    }
    Ok(())
}

fn plan_licenses(desired: &Desired, live: &Live, acc: &mut Acc<'_>) -> Result<(), PlanError> {
    let listings = acc.listings;
    for (license, (t, listed)) in desired.licenses.keys().zip(listings.targets(Kind::License)) {
        let w = Wanted {
            name: license.key(),
            mode: if t.implicit { Mode::Additive } else { t.mode },
            members: t.members.iter().zip(listed.iter().copied()).collect(),
            remove_owners: false,
            loc: t.loc,
            id: None,
        };
        let holds = |u: &&User| u.licenses.contains(license);
        let mut count = Count::new(vec![0]);
        live.users.iter().filter(holds).for_each(|_| count.count(0));
        let mut fill = count.fill();
        for u in live.users.iter().filter(holds) {
            fill.place(0, holding(acc.ix, u));
        }
        let holders = fill.finish();
        let target = Resolved {
            target: ChangeTarget::License(*license),
            applies: desired.settings.writes.applies(Kind::License),
            privileged: false,
            owners: BTreeSet::new(),
        };
        plan_target(acc, &target, &w, holders.of(0))?;
    }
    Ok(())
}

/// Adds and removals for one target.
fn plan_target(
    acc: &mut Acc<'_>,
    target: &Resolved,
    wanted: &Wanted<'_>,
    holders: Holders<'_>,
) -> Result<(), PlanError> {
    let t = &target.target;
    // The listed users by id, each with where it was first listed (a stable sort keeps the
    // first listing first; dedup keeps it).
    let mut members: Vec<(&User, Loc)> = Vec::with_capacity(wanted.members.len());
    for &(m, l) in &wanted.members {
        match acc.listings.user(m, l) {
            UserMatch::One(u) => members.push((u, m.loc)),
            UserMatch::Ambiguous(a, b) => {
                return Err(PlanError::AmbiguousUser {
                    kind: t.kind(),
                    target: t.name().to_string(),
                    identity: m.identity.to_string(),
                    first: a.login.clone(),
                    second: b.login.clone(),
                })
            }
            UserMatch::None => {
                return Err(PlanError::UnknownUser {
                    kind: t.kind(),
                    target: t.name().to_string(),
                    identity: m.identity.to_string(),
                })
            }
        }
    }
    members.sort_by_key(|(u, _)| u.id);
    members.dedup_by_key(|(u, _)| u.id);
    let listed = |id: u64| members.binary_search_by_key(&id, |(u, _)| u.id).is_ok();
    // A role or license a user record left out is unknown: a guess would show false additions
    // or miss removals. Anyone may lose an authoritative target; an additive one only adds.
    let unread = if t.kind() == Kind::Group {
        None
    } else if wanted.mode == Mode::Additive {
        Unread::among(members.iter().map(|(u, _)| *u), t)
    } else {
        Unread::among(&acc.ix.live.users, t)
    };
    if let Some((count, first)) = unread {
        return Err(PlanError::UnreadField {
            kind: t.kind(),
            target: t.name().to_string(),
            field: Unread::field(t),
            count,
            first: first.login.clone(),
        });
    }

    for &(user, loc) in &members {
        if holders.contains(user.id) {
            continue;
        }
        if !user.active {
            inactive_added(acc, user, loc, t);
        }
        acc.changes.push(target.change(Action::Add, user, None));
    }

    for (user_id, rows) in holders.by_user() {
        let Some(user) = acc.ix.live.users.get(rows[0].user) else {
            // Holders of groups were checked by the caller; roles and licenses come from users.
            continue;
        };
        let membership_ids = rows.iter().filter_map(|h| h.membership_id);
        let keep = wanted.mode == Mode::Additive || listed(user_id);
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
        if let Some(&loc) = acc.protected.get(&user_id) {
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
        if target.owners.contains(&user_id) && !wanted.remove_owners {
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
            .at(acc.pos(wanted.loc));
            acc.warnings.push(w);
            continue;
        }
        if membership_ids.clone().next().is_none() {
            acc.changes.push(target.change(Action::Remove, user, None));
        }
        // Every duplicate goes: removing only one would leave the user a member.
        for mid in membership_ids {
            acc.changes
                .push(target.change(Action::Remove, user, Some(mid)));
        }
    }
    Ok(())
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

/// A role or license flag on `u`, as a holding (no membership record). The holder's place is
/// the one `LiveIndex::user_at_id` gives, as for group members.
fn holding(ix: &LiveIndex<'_>, u: &User) -> Holding {
    Holding {
        user_id: u.id,
        user: ix.user_at_id(u.id).unwrap_or(NO_USER),
        membership_id: None,
    }
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
