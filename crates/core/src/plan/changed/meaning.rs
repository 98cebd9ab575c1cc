//! Step 2 of `--changed-since`: the candidate targets of both policy versions bound to the
//! tenant just read, and compared by what they mean there.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::bind::{self, Bound, BoundTarget};
use crate::index::{Listings, LiveIndex};
use crate::model::{ChangeTarget, Desired, Live, Member, Mode};

use super::TargetKey;

/// A grant as it shows in a plan: the day it ends and why.
type GrantForm = (u64, NaiveDate, Option<String>);

/// What a bound target means on the plan's day.
#[derive(Debug, PartialEq, Eq)]
struct Meaning {
    target: ChangeTarget,
    mode: Mode,
    applies: bool,
    remove_owners: bool,
    /// The users it grants, by id.
    members: Vec<u64>,
    /// Expired grants (their holders lose the target), and grants that end within the
    /// warning window: both show in the plan with their dates.
    expired: Vec<GrantForm>,
    expiring: Vec<GrantForm>,
}

fn grants(listings: &[(&crate::model::User, &Member)]) -> Vec<GrantForm> {
    listings
        .iter()
        .map(|(u, m)| {
            let g = m.grant.as_ref();
            (
                u.id,
                g.map_or(NaiveDate::MIN, |g| g.until),
                g.and_then(|g| g.reason.clone()),
            )
        })
        .collect()
}

fn meaning(t: &BoundTarget<'_>) -> Meaning {
    Meaning {
        target: t.target.clone(),
        mode: t.mode,
        applies: t.applies,
        remove_owners: t.remove_owners,
        members: t.members.iter().map(|(u, _)| u.id).collect(),
        expired: grants(&t.expired),
        expiring: grants(&t.expiring),
    }
}

/// A rule as bound: its name, each side's targets, and its exceptions by user id.
type RuleMeaning = (
    String,
    Vec<BTreeSet<ChangeTarget>>,
    Vec<(u64, NaiveDate, Option<String>, Option<String>)>,
);

fn rule_meanings(b: &Bound<'_>) -> Vec<(RuleMeaning, Vec<TargetKey>)> {
    b.rules
        .iter()
        .map(|r| {
            let sides = r
                .sides
                .iter()
                .map(|s| s.iter().cloned().collect())
                .collect();
            let exceptions = r
                .exceptions
                .iter()
                .map(|(id, e)| (*id, e.until, e.ticket.clone(), e.approved_by.clone()))
                .collect();
            let keys = r.sides.iter().flatten().map(key_of).collect();
            ((r.rule.name.clone(), sides, exceptions), keys)
        })
        .collect()
}

fn key_of(t: &ChangeTarget) -> TargetKey {
    TargetKey::new(t.kind(), t.name())
}

/// Of `candidates` (from [`super::declared_changes`]), the targets whose bound meaning on
/// `today` differs between `base` and `head` (each restricted to the candidates), against
/// `live` read for both ([`super::for_reading`]). When either version does not bind (an
/// unknown name, say), nothing can be told apart: every candidate is kept, and the plan then
/// reports the problem.
pub fn bound_changes(
    base: &Desired,
    head: &Desired,
    live: &Live,
    today: NaiveDate,
    candidates: &BTreeSet<TargetKey>,
) -> BTreeSet<TargetKey> {
    let ix = LiveIndex::new(live);
    let (lb, lh) = (
        Listings::new(base, &ix).on(today),
        Listings::new(head, &ix).on(today),
    );
    let (Ok(old), Ok(new)) = (bind::bind_listings(&lb), bind::bind_listings(&lh)) else {
        return candidates.clone();
    };
    let index = |b: &Bound<'_>| -> BTreeMap<TargetKey, Meaning> {
        b.targets
            .iter()
            .map(|t| (key_of(&t.target), meaning(t)))
            .collect()
    };
    let (was, now) = (index(&old), index(&new));
    let mut changed: BTreeSet<TargetKey> = was
        .keys()
        .chain(now.keys())
        .filter(|k| was.get(*k) != now.get(*k))
        .cloned()
        .collect();
    let (old_rules, new_rules) = (rule_meanings(&old), rule_meanings(&new));
    for (one, other) in [(&old_rules, &new_rules), (&new_rules, &old_rules)] {
        for (m, keys) in one.iter() {
            if !other.iter().any(|(n, _)| n == m) {
                changed.extend(keys.iter().cloned());
            }
        }
    }
    changed.retain(|k| candidates.contains(k));
    changed
}
