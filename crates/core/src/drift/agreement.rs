//! Drift and plan agree: over generated tenants and policies (modes, `settings.writes`, owners,
//! protected users, names spelled in another case), drift's extra rows that apply changes are exactly the plan's
//! removals, its missing rows exactly the plan's additions, with the same `applies`; and one
//! refuses a policy exactly when the other does.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Action, Desired, Kind, Live, Loc, Member, Mode, Target, Writes};
use crate::testkit::{tenant_with_access, Seq, LICENSES, NAMES};

use super::{DriftReport, Kept};

/// (kind, group or role id or license key) — how both sides name a target.
type Key = (Kind, String);
/// One change: removal or addition, user, membership, whether apply writes it.
type Row = (bool, u64, Option<u64>, bool);
/// Per target, its changes.
type Side = BTreeMap<Key, BTreeSet<Row>>;

fn member(identity: &str) -> Member {
    Member {
        identity: identity.into(),
        loc: Loc::default(),
        grant: None,
    }
}

/// `name`, or a spelling that folds to the same key.
fn spelling(seq: &mut Seq, name: &str) -> String {
    match seq.below(5) {
        0 => name.to_uppercase(),
        1 => name.to_lowercase(),
        _ => name.to_string(),
    }
}

/// Mostly a user's login or email as Coupa spells it; sometimes any colliding name.
fn identity(seq: &mut Seq, live: &Live) -> String {
    loop {
        let n = match seq.below(16) {
            0 => seq.pick(&NAMES).to_string(),
            1..=4 => seq.pick(&live.users).email.clone(),
            _ => seq.pick(&live.users).login.clone(),
        };
        if !n.trim().is_empty() {
            return n;
        }
    }
}

fn declared(seq: &mut Seq, live: &Live, name: String) -> Target {
    let members = (0..seq.below(4))
        .map(|_| member(&identity(seq, live)))
        .collect();
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

/// A policy over `live`: some of its groups and roles (some spelled in another case),
/// licenses, writes and protected users, all at random.
fn policy(seed: u64, live: &Live) -> Desired {
    let mut seq = Seq::new(seed ^ 0xd00d);
    let mut d = Desired::default();
    for g in &live.groups {
        if g.name.trim().is_empty() || seq.one_in(3) {
            continue;
        }
        let name = spelling(&mut seq, &g.name);
        d.groups.insert(declared(&mut seq, live, name));
    }
    for r in &live.roles {
        if seq.one_in(2) {
            let name = spelling(&mut seq, &r.name);
            d.roles.insert(declared(&mut seq, live, name));
        }
    }
    for l in LICENSES {
        if seq.one_in(2) {
            let t = declared(&mut seq, live, l.key().to_string());
            d.licenses.insert(
                l,
                Target {
                    remove_owners: false,
                    ..t
                },
            );
        }
    }
    d.settings.writes = Writes::of(
        [Kind::Group, Kind::Role, Kind::License]
            .into_iter()
            .filter(|_| !seq.one_in(3)),
    );
    d.settings.protected_users = (0..seq.below(3))
        .map(|_| member(&identity(&mut seq, live)))
        .collect();
    d
}

fn plan_side(desired: &Desired, live: &Live) -> Option<Side> {
    let diff = crate::plan::diff(desired, live).ok()?;
    let mut side = Side::new();
    for c in diff.changes {
        let key = (
            c.kind(),
            c.target
                .id()
                .map_or(c.target.name().to_string(), |id| id.to_string()),
        );
        let remove = c.action == Action::Remove;
        side.entry(key)
            .or_default()
            .insert((remove, c.user_id, c.membership_id, c.applies));
    }
    Some(side)
}

fn drift_side(report: &DriftReport) -> Side {
    let mut side = Side::new();
    for t in &report.targets {
        let key = (
            t.kind,
            t.target_id.map_or(t.target.clone(), |id| id.to_string()),
        );
        let mut rows = BTreeSet::new();
        for r in &t.extra {
            // Held back as a whole: reported, never applied.
            let applies = t.applies && r.kept != Some(Kept::RolesNotCleared);
            if matches!(r.kept, Some(Kept::Protected | Kept::Owner)) {
                continue;
            }
            if r.membership_ids.is_empty() {
                rows.insert((true, r.user_id, None, applies));
            }
            rows.extend(
                r.membership_ids
                    .iter()
                    .map(|m| (true, r.user_id, Some(*m), applies)),
            );
        }
        rows.extend(
            t.missing
                .iter()
                .map(|r| (false, r.user_id, None, t.applies)),
        );
        if !rows.is_empty() {
            side.insert(key, rows);
        }
    }
    side
}

#[test]
fn drift_rows_apply_changes_are_the_plans_changes() {
    let mut compared = 0;
    for seed in 0..2000 {
        let live = tenant_with_access(seed);
        let desired = policy(seed, &live);
        let plan = plan_side(&desired, &live);
        let drift = super::drift(&desired, &live, None).ok();
        match (plan, drift) {
            (Some(plan), Some(drift)) => {
                compared += 1;
                assert_eq!(drift_side(&drift), plan, "seed {seed}: {desired:#?}");
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
    assert!(compared > 200, "only {compared} policies compared");
}
