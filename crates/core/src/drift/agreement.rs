//! Drift and plan agree: over generated tenants and policies (modes, `settings.writes`, owners,
//! protected users, case twins), drift's extra rows that apply changes are exactly the plan's
//! removals, its missing rows exactly the plan's additions, with the same `applies`; and one
//! refuses a policy exactly when the other does.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    Action, Desired, Kind, Live, Loc, Member, Mode, NameKey, Target, Writes,
};
use crate::testkit::{tenant_with_access, Seq, LICENSES, NAMES};

use super::{DriftReport, TargetKind};

/// (kind, group or role id or license key) — how both sides name a target.
type Key = (Kind, String);
/// Per target: applies, removals as (user, membership), additions as users.
type Side = BTreeMap<Key, (bool, BTreeSet<(u64, Option<u64>)>, BTreeSet<u64>)>;

fn member(identity: &str) -> Member {
    Member {
        identity: identity.into(),
        loc: Loc::default(),
    }
}

/// A spelling of `name` that folds to the same key (a case twin) half the time.
fn spelling(seq: &mut Seq, name: &str) -> String {
    match seq.below(3) {
        0 => name.to_uppercase(),
        1 => name.to_lowercase(),
        _ => name.to_string(),
    }
}

fn identity(seq: &mut Seq) -> &'static str {
    loop {
        let n = *seq.pick(&NAMES);
        if !n.trim().is_empty() {
            return n;
        }
    }
}

fn declared(seq: &mut Seq, name: String) -> Target {
    let members = (0..seq.below(4)).map(|_| member(identity(seq))).collect();
    Target {
        name,
        mode: if seq.one_in(3) {
            Mode::Additive
        } else {
            Mode::Authoritative
        },
        description: None,
        members,
        loc: Loc::default(),
        implicit: seq.one_in(5),
        remove_owners: seq.one_in(3),
        id: None,
    }
}

/// A policy over `live`: some of its groups and roles (some declared twice, as case twins),
/// licenses, writes and protected users, all at random.
fn policy(seed: u64, live: &Live) -> Desired {
    let mut seq = Seq::new(seed ^ 0xd00d);
    let mut d = Desired::default();
    for g in &live.groups {
        if g.name.trim().is_empty() || seq.one_in(3) {
            continue;
        }
        for _ in 0..1 + seq.below(2) {
            let name = spelling(&mut seq, &g.name);
            d.groups.insert(name.clone(), declared(&mut seq, name));
        }
    }
    for r in &live.roles {
        if seq.one_in(2) {
            let name = spelling(&mut seq, &r.name);
            d.roles.insert(name.clone(), declared(&mut seq, name));
        }
    }
    for l in LICENSES {
        if seq.one_in(2) {
            let t = declared(&mut seq, l.key().to_string());
            d.licenses.insert(l, Target { remove_owners: false, ..t });
        }
    }
    d.settings.writes = Writes::of(
        [Kind::Group, Kind::Role, Kind::License]
            .into_iter()
            .filter(|_| !seq.one_in(3)),
    );
    d.settings.protected_users = (0..seq.below(3)).map(|_| member(identity(&mut seq))).collect();
    d
}

fn plan_side(desired: &Desired, live: &Live) -> Option<Side> {
    let diff = crate::plan::diff(desired, live).ok()?;
    let mut side = Side::new();
    for c in diff.changes {
        let key = (
            c.kind(),
            c.target.id().map_or(c.target.name().to_string(), |id| id.to_string()),
        );
        let e = side.entry(key).or_default();
        e.0 = c.applies;
        match c.action {
            Action::Remove => e.1.insert((c.user_id, c.membership_id)),
            Action::Add => e.2.insert(c.user_id),
        };
    }
    Some(side)
}

fn kind(k: TargetKind) -> Kind {
    match k {
        TargetKind::Group => Kind::Group,
        TargetKind::Role => Kind::Role,
        TargetKind::License => Kind::License,
    }
}

/// Whether some explicit declaration of this group sets `remove_owners`.
fn removes_owners(desired: &Desired, name: &str) -> bool {
    desired
        .groups
        .values()
        .any(|t| !t.implicit && t.remove_owners && NameKey::new(&t.name) == NameKey::new(name))
}

fn drift_side(desired: &Desired, report: &DriftReport) -> Side {
    let mut side = Side::new();
    for t in &report.targets {
        let key = (
            kind(t.kind),
            t.target_id.map_or(t.target.clone(), |id| id.to_string()),
        );
        let mut removals = BTreeSet::new();
        for r in &t.extra {
            let kept = r.protected || (r.owner && !removes_owners(desired, &t.target));
            if kept {
                continue;
            }
            if r.membership_ids.is_empty() {
                removals.insert((r.user_id, None));
            }
            removals.extend(r.membership_ids.iter().map(|m| (r.user_id, Some(*m))));
        }
        let additions: BTreeSet<u64> = t.missing.iter().map(|r| r.user_id).collect();
        if !removals.is_empty() || !additions.is_empty() {
            side.insert(key, (t.applies, removals, additions));
        }
    }
    side
}

#[test]
fn drift_rows_apply_changes_are_the_plans_changes() {
    let mut compared = 0;
    for seed in 0..600 {
        let live = tenant_with_access(seed);
        let desired = policy(seed, &live);
        let plan = plan_side(&desired, &live);
        let drift = super::drift(&desired, &live, None).ok();
        match (plan, drift) {
            (Some(plan), Some(drift)) => {
                compared += 1;
                assert_eq!(drift_side(&desired, &drift), plan, "seed {seed}: {desired:#?}");
            }
            (None, None) => {}
            (plan, drift) => panic!(
                "seed {seed}: plan {} but drift {}",
                if plan.is_some() { "made" } else { "refused" },
                if drift.is_some() { "made" } else { "refused" },
            ),
        }
    }
    // The generator must reach the interesting cases, not only refusals.
    assert!(compared > 150, "only {compared} policies compared");
}
