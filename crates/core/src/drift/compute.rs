//! `drift(&Desired, &Live)`: who holds what the policy does not give them, and who lacks what
//! it does, for every managed group, role and license; plus coverage and recent memberships.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};

use super::report::*;
use super::since::parse_timestamp;
use crate::model::{Desired, Live, LiveIndex, Mode, NameKey, Target, User, UserMatch};

/// Why drift cannot be computed: the policy names something Coupa does not have. (`policy::check`
/// explains these with file positions; this is the backstop.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriftError {
    #[error("{kind} `{name}` is not in Coupa")]
    UnknownTarget { kind: &'static str, name: String },
    #[error("`{identity}` (in {kind} `{target}`) names no single Coupa user")]
    UnknownUser {
        kind: &'static str,
        target: String,
        identity: String,
    },
}

/// One managed target resolved to live: its members and holders by user id.
struct Resolved {
    kind: TargetKind,
    name: String,
    id: Option<u64>,
    mode: Governance,
    /// Policy members.
    wanted: BTreeSet<u64>,
    /// Live holders: user id -> membership ids (empty for roles and licenses).
    holders: BTreeMap<u64, Vec<u64>>,
}

/// Computes the drift report. `since` lists memberships created at or after it.
pub fn drift(
    desired: &Desired,
    live: &Live,
    since: Option<DateTime<FixedOffset>>,
) -> Result<DriftReport, DriftError> {
    let ix = LiveIndex::new(live);
    let protected: BTreeSet<u64> = desired
        .settings
        .protected_users
        .iter()
        .filter_map(|m| match ix.user(&m.identity) {
            UserMatch::One(u) => Some(u.id),
            _ => None,
        })
        .collect();

    let mut resolved = Vec::new();
    // Groups: merged by live id (declarations differing only in case name one group).
    let mut groups: BTreeMap<u64, Resolved> = BTreeMap::new();
    for t in desired.groups.values() {
        let g = ix
            .group_named(&t.name, t.id)
            .one()
            .ok_or_else(|| DriftError::UnknownTarget {
                kind: "group",
                name: t.name.clone(),
            })?;
        let r = groups
            .entry(g.id)
            .or_insert_with(|| empty(TargetKind::Group, &g.name, Some(g.id)));
        add_declaration(r, t, &ix)?;
    }
    for m in &live.memberships {
        if let Some(r) = groups.get_mut(&m.group_id) {
            r.holders.entry(m.user_id).or_default().push(m.id);
        }
    }
    let managed_group_ids: BTreeSet<u64> = groups.keys().copied().collect();
    resolved.extend(groups.into_values());

    let mut roles: BTreeMap<u64, Resolved> = BTreeMap::new();
    for t in desired.roles.values() {
        let role = ix.role(&t.name).ok_or_else(|| DriftError::UnknownTarget {
            kind: "role",
            name: t.name.clone(),
        })?;
        let r = roles
            .entry(role.id)
            .or_insert_with(|| empty(TargetKind::Role, &role.name, Some(role.id)));
        add_declaration(r, t, &ix)?;
    }
    for u in &live.users {
        for id in &u.roles {
            if let Some(r) = roles.get_mut(id) {
                r.holders.entry(u.id).or_default();
            }
        }
    }
    resolved.extend(roles.into_values());

    for (license, t) in &desired.licenses {
        let mut r = empty(TargetKind::License, license.key(), None);
        add_declaration(&mut r, t, &ix)?;
        for u in live.users.iter().filter(|u| u.licenses.contains(license)) {
            r.holders.entry(u.id).or_default();
        }
        resolved.push(r);
    }
    resolved.sort_by(|a, b| {
        (a.kind, NameKey::new(&a.name), &a.name).cmp(&(b.kind, NameKey::new(&b.name), &b.name))
    });

    let created: BTreeMap<u64, &str> = live
        .memberships
        .iter()
        .filter_map(|m| m.created_at.as_deref().map(|c| (m.id, c)))
        .collect();
    let targets: Vec<TargetDrift> = resolved
        .into_iter()
        .map(|r| target_drift(r, &ix, &protected, &created))
        .collect();
    let people = people(&targets, &ix);
    let summary = DriftSummary {
        extra: targets.iter().map(|t| t.extra.len()).sum(),
        missing: targets.iter().map(|t| t.missing.len()).sum(),
        reported_only: targets
            .iter()
            .filter(|t| !t.applies)
            .map(|t| t.extra.len() + t.missing.len())
            .sum(),
        targets_drifted: targets
            .iter()
            .filter(|t| !t.extra.is_empty() || !t.missing.is_empty())
            .count(),
        targets_managed: targets.len(),
        people: people.len(),
    };
    let coverage = coverage(live, &targets, &managed_group_ids);
    let since = since.map(|at| recent(live, &ix, &managed_group_ids, at));
    Ok(DriftReport {
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
        since,
        roles_read: true,
    })
}

fn empty(kind: TargetKind, name: &str, id: Option<u64>) -> Resolved {
    Resolved {
        kind,
        name: name.to_string(),
        id,
        // Additive until an explicit declaration says otherwise (as the planner reads it).
        mode: Governance::Additive,
        wanted: BTreeSet::new(),
        holders: BTreeMap::new(),
    }
}

/// Folds one declaration into a resolved target: its members, and its mode when it was
/// declared explicitly (targets named only from `users:` are additive).
fn add_declaration(r: &mut Resolved, t: &Target, ix: &LiveIndex<'_>) -> Result<(), DriftError> {
    if !t.implicit && t.mode == Mode::Authoritative {
        r.mode = Governance::Authoritative;
    }
    for m in &t.members {
        match ix.user(&m.identity) {
            UserMatch::One(u) => {
                r.wanted.insert(u.id);
            }
            _ => {
                return Err(DriftError::UnknownUser {
                    kind: r.kind.word(),
                    target: r.name.clone(),
                    identity: m.identity.to_string(),
                })
            }
        }
    }
    Ok(())
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
    }
}

fn by_login(rows: &mut [DriftRow]) {
    // Keys computed once per row: these lists can hold 100,000 rows.
    rows.sort_by_cached_key(|r| (NameKey::new(&r.user), r.user.clone(), r.user_id));
}

fn target_drift(
    r: Resolved,
    ix: &LiveIndex<'_>,
    protected: &BTreeSet<u64>,
    created: &BTreeMap<u64, &str>,
) -> TargetDrift {
    let mut extra = Vec::new();
    let mut not_governed = 0;
    for (uid, mids) in &r.holders {
        if r.wanted.contains(uid) {
            continue;
        }
        if r.mode == Governance::Additive {
            not_governed += 1;
            continue;
        }
        let Some(u) = ix.user_by_id(*uid) else {
            continue;
        };
        let mut row = row(u);
        row.membership_ids = mids.clone();
        // The earliest creation among duplicates: when the access first appeared.
        row.created_at = mids
            .iter()
            .filter_map(|id| created.get(id).copied())
            .min_by_key(|c| parse_timestamp(c))
            .map(String::from);
        row.protected = protected.contains(uid);
        row.owner = mids.iter().any(|id| ix.is_owner_membership(*id));
        extra.push(row);
    }
    let mut missing: Vec<DriftRow> = r
        .wanted
        .iter()
        .filter(|id| !r.holders.contains_key(id))
        .filter_map(|id| ix.user_by_id(*id))
        .map(row)
        .collect();
    by_login(&mut extra);
    by_login(&mut missing);
    TargetDrift {
        kind: r.kind,
        target: r.name,
        target_id: r.id,
        mode: r.mode,
        applies: r.kind == TargetKind::Group,
        holders: r.holders.len(),
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
        .filter(|t| t.kind == TargetKind::Group && t.mode == Governance::Authoritative)
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
    }
}
