//! Separation of duties on the bound policy: each rule's targets resolved once, and the verdict
//! on each person's holdings — live, or after a plan's changes (reported-only ones included:
//! Coupa would still hold them).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::index::LiveIndex;
use crate::model::{Action, Change, ChangeTarget, License, SodException, SodRule};

/// A rule with its sides' targets resolved against the tenant.
pub struct BoundRule<'a> {
    pub rule: &'a SodRule,
    /// Each side's targets, as Coupa names them.
    pub sides: Vec<Vec<ChangeTarget>>,
    /// Exceptions by user id.
    pub exceptions: Vec<(u64, &'a SodException)>,
}

/// Every rule of `rules` with what its names resolved to ([`super::Resolution::sides`] and
/// [`super::Resolution::exceptions`], one entry per rule).
pub(crate) fn bind_rules<'a>(
    rules: &'a [SodRule],
    sides: Vec<Vec<Vec<(ChangeTarget, crate::model::Loc)>>>,
    exceptions: Vec<Vec<(u64, &'a SodException)>>,
) -> Vec<BoundRule<'a>> {
    rules
        .iter()
        .zip(sides.into_iter().zip(exceptions))
        .map(|(rule, (sides, exceptions))| BoundRule {
            rule,
            sides: sides
                .into_iter()
                .map(|side| side.into_iter().map(|(t, _)| t).collect())
                .collect(),
            exceptions,
        })
        .collect()
}

/// Every rule target each person holds.
pub type Holdings = BTreeMap<u64, BTreeSet<ChangeTarget>>;

/// What people hold live of the rules' targets.
pub fn live_holdings(rules: &[BoundRule<'_>], ix: &LiveIndex<'_>) -> Holdings {
    let targets: BTreeSet<&ChangeTarget> = rules
        .iter()
        .flat_map(|r| r.sides.iter().flatten())
        .collect();
    let mut groups: BTreeMap<u64, &ChangeTarget> = BTreeMap::new();
    let mut roles: BTreeMap<u64, &ChangeTarget> = BTreeMap::new();
    let mut licenses: Vec<(License, &ChangeTarget)> = Vec::new();
    for t in &targets {
        match t {
            ChangeTarget::Group { id, .. } => {
                groups.insert(*id, t);
            }
            ChangeTarget::Role { id, .. } => {
                roles.insert(*id, t);
            }
            ChangeTarget::License(l) => licenses.push((*l, t)),
        }
    }
    let mut out = Holdings::new();
    if targets.is_empty() {
        return out;
    }
    for m in &ix.live.memberships {
        if let Some(t) = groups.get(&m.group_id) {
            out.entry(m.user_id).or_default().insert((*t).clone());
        }
    }
    for u in &ix.live.users {
        for id in u.roles.iter() {
            if let Some(t) = roles.get(id) {
                out.entry(u.id).or_default().insert((*t).clone());
            }
        }
        for (l, t) in &licenses {
            if u.licenses.contains(l) {
                out.entry(u.id).or_default().insert((*t).clone());
            }
        }
    }
    out
}

/// `holdings` after `changes` (every change, applied or reported only).
pub fn after(mut holdings: Holdings, changes: &[Change]) -> Holdings {
    for c in changes {
        match c.action {
            Action::Add => {
                holdings
                    .entry(c.user_id)
                    .or_default()
                    .insert(c.target.clone());
            }
            Action::Remove => {
                if let Some(h) = holdings.get_mut(&c.user_id) {
                    h.remove(&c.target);
                }
            }
        }
    }
    holdings
}

/// An exception's standing on the day of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    /// No exception for this person.
    None,
    /// Valid, and not ending within the warning window.
    Valid,
    /// Valid, ending within the warning window.
    Expiring,
    /// Ended: it counts as no exception.
    Expired,
}

impl ExceptionStatus {
    /// True when the exception makes the conflict allowed.
    pub fn excepts(self) -> bool {
        matches!(self, ExceptionStatus::Valid | ExceptionStatus::Expiring)
    }
}

/// One person on two or more sides of one rule.
#[derive(Debug, Clone)]
pub struct Conflict<'a> {
    pub rule: &'a SodRule,
    pub user_id: u64,
    /// What they hold on each side (empty for a side they do not hold).
    pub held: Vec<Vec<ChangeTarget>>,
    /// The exception for this person, if the rule has one.
    pub exception: Option<&'a SodException>,
    pub status: ExceptionStatus,
}

/// The conflicts in `holdings`: for each rule (in policy order) its people by id.
pub fn conflicts<'a>(
    rules: &[BoundRule<'a>],
    holdings: &Holdings,
    today: NaiveDate,
    window_days: u32,
) -> Vec<Conflict<'a>> {
    let mut out = Vec::new();
    for r in rules {
        for (&user_id, held) in holdings {
            let per_side: Vec<Vec<ChangeTarget>> = r
                .sides
                .iter()
                .map(|side| side.iter().filter(|t| held.contains(t)).cloned().collect())
                .collect();
            if per_side.iter().filter(|s| !s.is_empty()).count() < 2 {
                continue;
            }
            let exception = r
                .exceptions
                .iter()
                .filter(|(id, _)| *id == user_id)
                .map(|(_, e)| *e)
                .max_by_key(|e| e.until);
            let status = match exception {
                None => ExceptionStatus::None,
                Some(e) if today > e.until => ExceptionStatus::Expired,
                Some(e) if (e.until - today).num_days() < i64::from(window_days) => {
                    ExceptionStatus::Expiring
                }
                Some(_) => ExceptionStatus::Valid,
            };
            out.push(Conflict {
                rule: r.rule,
                user_id,
                held: per_side,
                exception,
                status,
            });
        }
    }
    out
}

/// Sides held of one rule in `holdings` for one person.
pub fn sides_held(r: &BoundRule<'_>, holdings: &Holdings, user_id: u64) -> BTreeSet<usize> {
    let Some(held) = holdings.get(&user_id) else {
        return BTreeSet::new();
    };
    r.sides
        .iter()
        .enumerate()
        .filter(|(_, side)| side.iter().any(|t| held.contains(t)))
        .map(|(n, _)| n)
        .collect()
}
