//! `drift(&Desired, &Live)`: who holds what the policy does not give them, and who lacks what
//! it does, for every managed group, role and license; plus coverage and recent memberships.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};

use super::report::*;
use super::since::parse_timestamp;
use crate::bind::{bind, bind_listings, roles_not_cleared, Bound, BoundTarget};
use crate::index::{Listings, LiveIndex};
use crate::model::{Desired, Kind, Live, Mode, NameKey, User};
use crate::plan::PlanError;

/// Computes the drift report. `since` lists memberships created at or after it.
///
/// Drift reads the same bound policy the planner does, so a policy drift accepts is one the
/// planner accepts, and what it marks as changed by apply is what the plan changes.
pub fn drift(
    desired: &Desired,
    live: &Live,
    since: Option<DateTime<FixedOffset>>,
) -> Result<DriftReport, PlanError> {
    let ix = LiveIndex::new(live);
    let bound = bind(desired, &ix)?;
    Ok(drift_bound(&bound, since))
}

/// [`drift`] on the day `today` (UTC), which decides time-bound grants: an expired grant still
/// held is an extra row marked `expired`, in any mode.
pub fn drift_on(
    desired: &Desired,
    live: &Live,
    since: Option<DateTime<FixedOffset>>,
    today: chrono::NaiveDate,
) -> Result<DriftReport, PlanError> {
    let ix = LiveIndex::new(live);
    let bound = bind_listings(&Listings::new(desired, &ix).on(today))?;
    Ok(drift_bound(&bound, since))
}

/// The drift report of a bound policy.
pub fn drift_bound(bound: &Bound<'_>, since: Option<DateTime<FixedOffset>>) -> DriftReport {
    let (desired, ix) = (bound.desired, bound.ix);
    let live = ix.live;
    let managed_group_ids: BTreeSet<u64> = bound
        .targets
        .iter()
        .filter_map(|t| t.target.group_id())
        .collect();
    let created: BTreeMap<u64, &str> = live
        .memberships
        .iter()
        .filter_map(|m| m.created_at.as_deref().map(|c| (m.id, c)))
        .collect();
    let mut targets: Vec<TargetDrift> = bound
        .targets
        .iter()
        .map(|t| target_drift(bound, t, &created))
        .collect();
    targets.sort_by(|a, b| {
        (a.kind, NameKey::new(&a.target), &a.target).cmp(&(
            b.kind,
            NameKey::new(&b.target),
            &b.target,
        ))
    });
    let people = people(&targets, ix);
    let summary = DriftSummary {
        extra: targets.iter().map(|t| t.extra.len()).sum(),
        missing: targets.iter().map(|t| t.missing.len()).sum(),
        reported_only: targets
            .iter()
            .filter(|t| !t.applies)
            .map(|t| t.extra.len() + t.missing.len())
            .sum(),
        kept: targets
            .iter()
            // Rows of reported-only targets are counted there already.
            .filter(|t| t.applies)
            .map(|t| t.extra.iter().filter(|r| r.kept.is_some()).count())
            .sum(),
        targets_drifted: targets
            .iter()
            .filter(|t| !t.extra.is_empty() || !t.missing.is_empty())
            .count(),
        targets_managed: targets.len(),
        people: people.len(),
        conflicts: 0,
        unexcepted_conflicts: 0,
    };
    let coverage = coverage(live, &targets, &managed_group_ids);
    let conflicts = conflicts(bound);
    let summary = DriftSummary {
        conflicts: conflicts.len(),
        unexcepted_conflicts: conflicts.iter().filter(|c| !c.exception.excepts()).count(),
        ..summary
    };
    let since = since.map(|at| recent(live, ix, &managed_group_ids, at));
    DriftReport {
        format_version: DRIFT_FORMAT_VERSION,
        kind: "drift".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        domain: String::new(),
        generated_at: String::new(),
        policy_digest: desired.policy_digest.clone(),
        summary,
        targets,
        people,
        coverage,
        conflicts,
        since,
        roles_read: true,
        completeness: None,
        read_path: None,
        read_path_reason: None,
    }
}

/// Every live separation-of-duties conflict, judged on the bound policy's day.
fn conflicts(bound: &Bound<'_>) -> Vec<DriftConflict> {
    use crate::bind::sod;
    let today = bound.today.unwrap_or(chrono::NaiveDate::MIN);
    let window = bound.desired.settings.expiry_window();
    let holdings = sod::live_holdings(&bound.rules, bound.ix);
    let mut out: Vec<DriftConflict> = sod::conflicts(&bound.rules, &holdings, today, window)
        .into_iter()
        .map(|c| DriftConflict {
            rule: c.rule.name.clone(),
            user: bound
                .ix
                .user_by_id(c.user_id)
                .map(|u| u.login.clone())
                .unwrap_or_default(),
            user_id: c.user_id,
            sides: c
                .held
                .iter()
                .map(|s| s.iter().map(|t| t.describe()).collect())
                .collect(),
            exception: c.status,
            ticket: c.exception.and_then(|e| e.ticket.clone()),
            until: c.exception.map(|e| e.until),
        })
        .collect();
    out.sort_by_cached_key(|c| (c.rule.clone(), NameKey::new(&c.user), c.user_id));
    out
}

fn row(u: &User) -> DriftRow {
    DriftRow {
        user: u.login.clone(),
        user_id: u.id,
        active: u.active,
        created_at: None,
        membership_ids: Vec::new(),
        protected: false,
        owner: false,
        kept: None,
        expired: None,
    }
}

/// Why `apply` keeps an unlisted holder of an authoritative target, if it does: the binding's
/// rule, and role removals held back as a whole when the role is written.
fn kept(bound: &Bound<'_>, t: &BoundTarget<'_>, u: &User) -> Option<Kept> {
    t.keeps(bound, u.id).or_else(|| {
        (t.applies && t.target.kind() == Kind::Role && roles_not_cleared(bound.ix, u).is_some())
            .then_some(Kept::RolesNotCleared)
    })
}

fn by_login(rows: &mut [DriftRow]) {
    // Keys computed once per row: these lists can hold 100,000 rows.
    rows.sort_by_cached_key(|r| (NameKey::new(&r.user), r.user.clone(), r.user_id));
}

fn target_drift(
    bound: &Bound<'_>,
    t: &BoundTarget<'_>,
    created: &BTreeMap<u64, &str>,
) -> TargetDrift {
    let holders = bound.holders(t);
    let mut extra = Vec::new();
    let mut not_governed = 0;
    for (uid, rows) in holders.by_user() {
        if t.lists(uid) {
            continue;
        }
        let expired = t.expired_grant(uid).and_then(|m| m.grant.as_ref());
        if t.mode == Mode::Additive && expired.is_none() {
            not_governed += 1;
            continue;
        }
        let Some(u) = bound.user_of(&rows[0]) else {
            continue;
        };
        let mut row = row(u);
        row.membership_ids = rows.iter().filter_map(|h| h.membership_id).collect();
        // The earliest creation among duplicates: when the access first appeared.
        row.created_at = row
            .membership_ids
            .iter()
            .filter_map(|id| created.get(id).copied())
            .min_by_key(|c| parse_timestamp(c))
            .map(String::from);
        row.protected = bound.protected.contains_key(&uid);
        row.owner = t.owners.contains(&uid);
        row.kept = kept(bound, t, u);
        row.expired = expired.map(|g| crate::model::Expiry {
            until: g.until,
            reason: g.reason.clone(),
        });
        extra.push(row);
    }
    let mut missing: Vec<DriftRow> = t
        .members
        .iter()
        .filter(|(u, _)| !holders.contains(u.id))
        .map(|(u, _)| row(u))
        .collect();
    by_login(&mut extra);
    by_login(&mut missing);
    TargetDrift {
        kind: t.target.kind(),
        target: t.target.name().to_string(),
        target_id: t.target.id(),
        mode: t.mode,
        applies: t.applies,
        holders: holders.by_user().count(),
        extra,
        missing,
        not_governed,
    }
}

fn people(targets: &[TargetDrift], ix: &LiveIndex<'_>) -> Vec<PersonDrift> {
    let mut by_user: BTreeMap<u64, Vec<PersonItem>> = BTreeMap::new();
    for t in targets {
        for (direction, rows) in [
            (Direction::Extra, &t.extra),
            (Direction::Missing, &t.missing),
        ] {
            for r in rows {
                by_user.entry(r.user_id).or_default().push(PersonItem {
                    direction,
                    kind: t.kind,
                    target: t.target.clone(),
                    applies: t.applies,
                    created_at: r.created_at.clone(),
                });
            }
        }
    }
    let mut out: Vec<PersonDrift> = by_user
        .into_iter()
        .filter_map(|(id, items)| {
            ix.user_by_id(id).map(|u| PersonDrift {
                user: u.login.clone(),
                user_id: u.id,
                active: u.active,
                items,
            })
        })
        .collect();
    out.sort_by_cached_key(|p| (NameKey::new(&p.user), p.user.clone(), p.user_id));
    out
}

fn coverage(live: &Live, targets: &[TargetDrift], managed: &BTreeSet<u64>) -> Coverage {
    let authoritative: BTreeSet<u64> = targets
        .iter()
        .filter(|t| t.kind == Kind::Group && t.mode == Mode::Authoritative)
        .filter_map(|t| t.target_id)
        .collect();
    let mut members: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for m in &live.memberships {
        members.entry(m.group_id).or_default().insert(m.user_id);
    }
    let count_in = |ids: &BTreeSet<u64>| {
        live.memberships
            .iter()
            .filter(|m| ids.contains(&m.group_id))
            .count()
    };
    let mut unmanaged: Vec<UnmanagedGroup> = live
        .groups
        .iter()
        .filter(|g| !managed.contains(&g.id))
        .map(|g| UnmanagedGroup {
            name: g.name.clone(),
            id: g.id,
            members: members.get(&g.id).map_or(0, BTreeSet::len),
        })
        .collect();
    unmanaged.sort_by(|a, b| {
        (std::cmp::Reverse(a.members), NameKey::new(&a.name), &a.name).cmp(&(
            std::cmp::Reverse(b.members),
            NameKey::new(&b.name),
            &b.name,
        ))
    });
    Coverage {
        groups_total: live.groups.len(),
        groups_managed: managed.len(),
        groups_authoritative: authoritative.len(),
        memberships_total: live.memberships.len(),
        memberships_managed: count_in(managed),
        memberships_governed: count_in(&authoritative),
        unmanaged_groups: unmanaged,
    }
}

fn recent(
    live: &Live,
    ix: &LiveIndex<'_>,
    managed: &BTreeSet<u64>,
    at: DateTime<FixedOffset>,
) -> SinceReport {
    let names: BTreeMap<u64, &str> = live
        .groups
        .iter()
        .map(|g| (g.id, g.name.as_str()))
        .collect();
    let mut undated = 0;
    let mut rows = Vec::new();
    for m in &live.memberships {
        let Some(when) = m.created_at.as_deref().and_then(parse_timestamp) else {
            undated += 1;
            continue;
        };
        if when < at {
            continue;
        }
        let user = ix
            .user_by_id(m.user_id)
            .map_or_else(|| format!("user id {}", m.user_id), |u| u.login.clone());
        rows.push((
            when,
            RecentMembership {
                created_at: m.created_at.as_deref().unwrap_or_default().to_string(),
                group: names.get(&m.group_id).copied().unwrap_or("?").to_string(),
                group_id: m.group_id,
                user,
                user_id: m.user_id,
                membership_id: m.id,
                managed: managed.contains(&m.group_id),
            },
        ));
    }
    rows.sort_by(|a, b| {
        (a.0, NameKey::new(&a.1.group), a.1.membership_id).cmp(&(
            b.0,
            NameKey::new(&b.1.group),
            b.1.membership_id,
        ))
    });
    SinceReport {
        since: at.to_rfc3339(),
        memberships: rows.into_iter().map(|(_, r)| r).collect(),
        undated,
        recreated_by_apply: 0,
    }
}
