//! Report rows: from the bound policy and its holders ([`from_bound`]), or from the policy
//! alone as of a date ([`as_of`]). Provenance is attached afterwards
//! ([`super::AccessReport::attach`]), from the lines these rows point at.

use std::collections::{BTreeMap, BTreeSet};

use super::{AccessReport, ExceptionEntry, PolicyEntry, Row, Source, Status, Summary};
use super::{History, REPORT_FORMAT_VERSION};
use crate::bind::{Bound, BoundTarget};
use crate::model::{
    ChangeTarget, Desired, Kind, License, Locator, Member, Mode, NameKey, SodRule, Target,
};
use crate::snapshot::Completeness;

/// What the caller knows that the rows do not.
#[derive(Debug, Clone)]
pub struct Options {
    pub source: Source,
    pub generated_at: String,
    pub history: History,
    pub completeness: Option<Completeness>,
    /// List targets the policy does not manage too.
    pub all: bool,
}

/// The report of `bound` (a policy bound to live state on the report's day): every holder of
/// every managed target, every listed person who does not hold it, and with `opts.all`, every
/// holder of every other group, role and license.
pub fn from_bound(bound: &Bound<'_>, opts: Options) -> AccessReport {
    let desired = bound.desired;
    let live = bound.ix.live;
    let locator = Locator::new(&desired.files);
    // The earliest `created-at` of each (group, user) membership.
    let mut created: BTreeMap<(u64, u64), &str> = BTreeMap::new();
    for m in &live.memberships {
        if let Some(c) = m.created_at.as_deref() {
            created
                .entry((m.group_id, m.user_id))
                .and_modify(|e| {
                    if c < *e {
                        *e = c
                    }
                })
                .or_insert(c);
        }
    }
    let mut rows = Vec::new();
    for t in &bound.targets {
        target_rows(bound, t, &locator, &created, &mut rows);
    }
    if opts.all {
        unmanaged_rows(bound, &created, &mut rows);
    }
    finish(desired, opts, rows)
}

fn target_rows(
    bound: &Bound<'_>,
    t: &BoundTarget<'_>,
    locator: &Locator<'_>,
    created: &BTreeMap<(u64, u64), &str>,
    rows: &mut Vec<Row>,
) {
    let holders = bound.holders(t);
    let row = |user: String, user_id: u64, status: Status, listing: Option<&Member>| Row {
        kind: t.target.kind(),
        target: t.target.name().to_string(),
        target_id: t.target.id(),
        managed: true,
        user,
        user_id: Some(user_id),
        status,
        policy: listing.and_then(|m| entry(locator, m)),
        exceptions: exceptions(bound, &t.target, user_id, locator),
        coupa_created_at: t
            .target
            .group_id()
            .and_then(|g| created.get(&(g, user_id)))
            .map(|c| c.to_string()),
        kept: None,
    };
    for (user_id, holdings) in holders.by_user() {
        let login = holdings
            .first()
            .and_then(|h| bound.user_of(h))
            .map_or_else(|| format!("user #{user_id}"), |u| u.login.clone());
        let r = if let Some(m) = t.listing(user_id) {
            row(login, user_id, Status::GrantedByPolicy, Some(m))
        } else if let Some(m) = t.expired_grant(user_id) {
            row(login, user_id, Status::ExpiredGrant, Some(m))
        } else {
            let mut r = row(login, user_id, Status::OutsidePolicy, None);
            if t.mode == Mode::Authoritative {
                r.kept = t.keeps(bound, user_id);
            }
            r
        };
        rows.push(r);
    }
    for (u, m) in &t.members {
        if !holders.contains(u.id) {
            rows.push(row(u.login.clone(), u.id, Status::NotHeld, Some(m)));
        }
    }
}

/// Holders of every group, role and license the policy does not manage.
fn unmanaged_rows(bound: &Bound<'_>, created: &BTreeMap<(u64, u64), &str>, rows: &mut Vec<Row>) {
    let live = bound.ix.live;
    let managed: BTreeSet<(Kind, String)> = bound
        .targets
        .iter()
        .map(|t| (t.target.kind(), managed_key(&t.target)))
        .collect();
    let login: BTreeMap<u64, &str> = live.users.iter().map(|u| (u.id, &*u.login)).collect();
    let outside = |target: &ChangeTarget, user_id: u64, created: Option<&str>| Row {
        kind: target.kind(),
        target: target.name().to_string(),
        target_id: target.id(),
        managed: false,
        user: login
            .get(&user_id)
            .map_or_else(|| format!("user #{user_id}"), |l| l.to_string()),
        user_id: Some(user_id),
        status: Status::OutsidePolicy,
        policy: None,
        exceptions: Vec::new(),
        coupa_created_at: created.map(str::to_string),
        kept: None,
    };
    let groups: BTreeMap<u64, ChangeTarget> = live
        .groups
        .iter()
        .map(|g| {
            let t = ChangeTarget::Group {
                id: g.id,
                name: g.name.clone(),
            };
            (g.id, t)
        })
        .filter(|(_, t)| !managed.contains(&(Kind::Group, managed_key(t))))
        .collect();
    // Who holds them is read where the plan and drift read it (`bind`'s holder tables).
    let (held, _owners) = crate::bind::of_groups(bound.ix, groups.keys().copied().collect());
    for (id, t) in &groups {
        for (user_id, _) in held.of(*id).by_user() {
            let c = created.get(&(*id, user_id)).copied();
            rows.push(outside(t, user_id, c));
        }
    }
    let roles: BTreeMap<u64, ChangeTarget> = live
        .roles
        .iter()
        .map(|r| {
            let t = ChangeTarget::Role {
                id: r.id,
                name: r.name.clone(),
            };
            (r.id, t)
        })
        .filter(|(_, t)| !managed.contains(&(Kind::Role, managed_key(t))))
        .collect();
    let held = crate::bind::of_roles(bound.ix, roles.keys().copied().collect());
    for (id, t) in &roles {
        for (user_id, _) in held.of(*id).by_user() {
            rows.push(outside(t, user_id, None));
        }
    }
    let licenses: Vec<License> = License::ALL
        .into_iter()
        .filter(|l| !managed.contains(&(Kind::License, managed_key(&ChangeTarget::License(*l)))))
        .collect();
    let held = crate::bind::of_licenses(bound.ix, &licenses);
    for (license, n) in licenses.iter().zip(0u64..) {
        let t = ChangeTarget::License(*license);
        for (user_id, _) in held.of(n).by_user() {
            rows.push(outside(&t, user_id, None));
        }
    }
}

/// A target's identity for "is it managed": the Coupa id, or a license's key.
fn managed_key(t: &ChangeTarget) -> String {
    match t.id() {
        Some(id) => id.to_string(),
        None => t.name().to_string(),
    }
}

/// What the policy granted on `date` (YYYY-MM-DD): every listing of every declared target, as
/// written; a grant whose `until` is before `date` is an expired grant.
pub fn as_of(desired: &Desired, date: chrono::NaiveDate, opts: Options) -> AccessReport {
    let locator = Locator::new(&desired.files);
    let mut rows = Vec::new();
    let mut add = |kind: Kind, name: &str, t: &Target| {
        let mut listed = BTreeSet::new();
        for m in &t.members {
            // The first listing of an identity is the one that grants.
            if !listed.insert(NameKey::new(&m.identity)) {
                continue;
            }
            let expired = m.grant.as_ref().is_some_and(|g| g.expired_on(date));
            rows.push(Row {
                kind,
                target: name.to_string(),
                target_id: None,
                managed: true,
                user: m.identity.to_string(),
                user_id: None,
                status: if expired {
                    Status::ExpiredGrant
                } else {
                    Status::GrantedByPolicy
                },
                policy: entry(&locator, m),
                exceptions: exceptions_named(&desired.sod_rules, kind, name, m, &locator),
                coupa_created_at: None,
                kept: None,
            });
        }
    };
    for t in desired.groups.values() {
        add(Kind::Group, &t.name, t);
    }
    for t in desired.roles.values() {
        add(Kind::Role, &t.name, t);
    }
    for (license, t) in &desired.licenses {
        add(Kind::License, license.key(), t);
    }
    finish(desired, opts, rows)
}

fn finish(desired: &Desired, opts: Options, mut rows: Vec<Row>) -> AccessReport {
    rows.sort_by(|a, b| {
        (
            a.kind,
            NameKey::new(&a.target),
            &a.target,
            a.status,
            &a.user,
        )
            .cmp(&(
                b.kind,
                NameKey::new(&b.target),
                &b.target,
                b.status,
                &b.user,
            ))
    });
    let mut summary = Summary::default();
    for r in &rows {
        match r.status {
            Status::GrantedByPolicy => summary.granted_by_policy += 1,
            Status::OutsidePolicy => summary.outside_policy += 1,
            Status::ExpiredGrant => summary.expired_grant += 1,
            Status::NotHeld => summary.not_held += 1,
        }
    }
    AccessReport {
        format_version: REPORT_FORMAT_VERSION,
        kind: "access_report",
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_at: opts.generated_at,
        source: opts.source,
        policy_digest: desired.policy_digest.clone(),
        history: opts.history,
        completeness: opts.completeness,
        all_targets: opts.all,
        summary,
        rows,
    }
}

fn entry(locator: &Locator<'_>, m: &Member) -> Option<PolicyEntry> {
    let pos = locator.locate(m.loc)?;
    Some(PolicyEntry {
        file: pos.file,
        line: pos.line,
        identity: m.identity.to_string(),
        until: m.grant.as_ref().map(|g| g.until),
        reason: m.grant.as_ref().and_then(|g| g.reason.clone()),
        provenance: None,
    })
}

/// The exceptions of rules naming `target` that cover `user_id`.
fn exceptions(
    bound: &Bound<'_>,
    target: &ChangeTarget,
    user_id: u64,
    locator: &Locator<'_>,
) -> Vec<ExceptionEntry> {
    let mut out = Vec::new();
    for rule in &bound.rules {
        if !rule.sides.iter().flatten().any(|t| t == target) {
            continue;
        }
        for (_, e) in rule.exceptions.iter().filter(|(id, _)| *id == user_id) {
            out.push(exception(&rule.rule.name, e, locator));
        }
    }
    out
}

/// [`exceptions`] for `--as-of`, by the identity as written.
fn exceptions_named(
    rules: &[SodRule],
    kind: Kind,
    name: &str,
    m: &Member,
    locator: &Locator<'_>,
) -> Vec<ExceptionEntry> {
    let key = NameKey::new(name);
    let who = NameKey::new(&m.identity);
    let mut out = Vec::new();
    for rule in rules {
        let names_it = rule
            .sides
            .iter()
            .flat_map(|s| s.targets.iter())
            .any(|(k, n, _)| *k == kind && NameKey::new(n) == key);
        if !names_it {
            continue;
        }
        for e in rule
            .exceptions
            .iter()
            .filter(|e| NameKey::new(&e.user.identity) == who)
        {
            out.push(exception(&rule.name, e, locator));
        }
    }
    out
}

fn exception(rule: &str, e: &crate::model::SodException, locator: &Locator<'_>) -> ExceptionEntry {
    let pos = locator.locate(e.user.loc);
    ExceptionEntry {
        rule: rule.to_string(),
        until: e.until,
        ticket: e.ticket.clone(),
        approved_by: e.approved_by.clone(),
        file: pos.as_ref().map(|p| p.file.clone()).unwrap_or_default(),
        line: pos.map_or(0, |p| p.line),
    }
}
