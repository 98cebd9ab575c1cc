//! A saved plan carries no authority of its own: apply makes a fresh plan from the policy files
//! and live Coupa, and writes only when the saved plan is exactly that plan. This compares the
//! two (pure); everything apply then does comes from the fresh plan.

use std::collections::BTreeMap;
use std::fmt;

use coupa_access_core::model::{Action, Kind, MaxRemovals, Plan};

/// How a saved plan differs from the fresh plan made at apply time. Empty means they agree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanMismatch {
    /// The saved and fresh `policy_digest`, when they differ.
    pub policy_digest: Option<(String, String)>,
    /// Touched groups whose live members changed since the plan was made (by name).
    pub stale_groups: Vec<String>,
    /// Changes in the saved plan that the fresh plan does not make.
    pub not_in_fresh: Vec<String>,
    /// Changes the fresh plan makes that the saved plan does not hold.
    pub missing_from_saved: Vec<String>,
    /// Recorded facts (guards, protected users, counts) that differ, described.
    pub other: Vec<String>,
}

impl PlanMismatch {
    /// True when the saved plan is the fresh plan.
    pub fn is_empty(&self) -> bool {
        *self == PlanMismatch::default()
    }
}

impl fmt::Display for PlanMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((saved, fresh)) = &self.policy_digest {
            writeln!(
                f,
                "  the plan was made from different policy files (plan {saved}, policy files now {fresh}): apply the commit that was reviewed"
            )?;
        }
        if !self.stale_groups.is_empty() {
            writeln!(
                f,
                "  the plan is stale: the live members of {} changed since it was made",
                self.stale_groups.join(", ")
            )?;
        }
        for c in &self.not_in_fresh {
            writeln!(f, "  in the plan file, not in a fresh plan: {c}")?;
        }
        for c in &self.missing_from_saved {
            writeln!(f, "  in a fresh plan, not in the plan file: {c}")?;
        }
        for o in &self.other {
            writeln!(f, "  {o}")?;
        }
        Ok(())
    }
}

/// What identifies a change for comparison: kind, target id (licenses have none; their key
/// stands in), user id, action, whether it is written and which membership it deletes.
type Key = (Kind, Option<u64>, String, u64, Action, bool, Option<u64>);

fn keyed(plan: &Plan) -> BTreeMap<Key, Vec<String>> {
    let mut out: BTreeMap<Key, Vec<String>> = BTreeMap::new();
    for c in &plan.changes {
        let key = (
            c.kind(),
            c.target.id(),
            c.target
                .id()
                .map_or_else(|| c.target.name().to_string(), |_| String::new()),
            c.user_id,
            c.action,
            c.applies,
            c.membership_id,
        );
        let verb = match c.action {
            Action::Add => "add",
            Action::Remove => "remove",
        };
        let id = c
            .target
            .id()
            .map(|id| format!(" (id {id})"))
            .unwrap_or_default();
        let written = if c.applies { "" } else { ", reported only" };
        let membership = c
            .membership_id
            .map(|m| format!(", membership {m}"))
            .unwrap_or_default();
        out.entry(key).or_default().push(format!(
            "{verb} {} (user id {}) {} {}{id}{written}{membership}",
            c.user,
            c.user_id,
            if c.action == Action::Add {
                "to"
            } else {
                "from"
            },
            c.target.describe(),
        ));
    }
    out
}

/// Compares a saved plan with the fresh plan for the same policies and instance.
pub fn compare(saved: &Plan, fresh: &Plan) -> PlanMismatch {
    let mut m = PlanMismatch::default();
    if saved.policy_digest != fresh.policy_digest {
        m.policy_digest = Some((saved.policy_digest.clone(), fresh.policy_digest.clone()));
    }
    for (name, pre) in &saved.preconditions.groups {
        match fresh.preconditions.groups.get(name) {
            Some(now) if now.group_id == pre.group_id => {
                if now.members_fingerprint != pre.members_fingerprint {
                    m.stale_groups.push(name.clone());
                }
            }
            // A group the fresh plan does not touch: its change is listed below; a recorded
            // group with no change is listed here.
            _ => m.other.push(format!(
                "the plan file records group {name} (id {}), which a fresh plan does not touch",
                pre.group_id
            )),
        }
    }
    for (name, pre) in &fresh.preconditions.groups {
        if !saved.preconditions.groups.contains_key(name) {
            m.other.push(format!(
                "a fresh plan touches group {name} (id {}), which the plan file does not record",
                pre.group_id
            ));
        }
    }
    let (saved_changes, fresh_changes) = (keyed(saved), keyed(fresh));
    for (key, lines) in &saved_changes {
        let have = fresh_changes.get(key).map_or(0, Vec::len);
        m.not_in_fresh.extend(lines.iter().skip(have).cloned());
    }
    for (key, lines) in &fresh_changes {
        let have = saved_changes.get(key).map_or(0, Vec::len);
        m.missing_from_saved
            .extend(lines.iter().skip(have).cloned());
    }
    if saved.summary != fresh.summary {
        m.other.push(format!(
            "the plan file counts {} addition(s), {} removal(s) and {} reported-only; a fresh plan counts {}, {} and {}",
            saved.summary.add,
            saved.summary.remove,
            saved.summary.reported_only,
            fresh.summary.add,
            fresh.summary.remove,
            fresh.summary.reported_only
        ));
    }
    // 0.1.0 wrote "no settings.max_removals" as no limits; this version applies the default
    // guard there. Such a file still matches: the fresh plan's guard is the one enforced.
    let legacy_unset = saved.preconditions.max_removals == MaxRemovals::NONE
        && fresh.preconditions.max_removals == MaxRemovals::DEFAULT_GUARD;
    if saved.preconditions.max_removals != fresh.preconditions.max_removals && !legacy_unset {
        m.other.push(format!(
            "the plan file records removal guards {:?}; the policy files set {:?}",
            saved.preconditions.max_removals, fresh.preconditions.max_removals
        ));
    }
    // Role removals clear and set again what the user held: it must be what was reviewed.
    if saved.preconditions.role_rewrites != fresh.preconditions.role_rewrites {
        let users: std::collections::BTreeSet<&String> = saved
            .preconditions
            .role_rewrites
            .keys()
            .chain(fresh.preconditions.role_rewrites.keys())
            .filter(|k| {
                saved.preconditions.role_rewrites.get(*k)
                    != fresh.preconditions.role_rewrites.get(*k)
            })
            .collect();
        for login in users {
            let show = |p: &Plan| {
                p.preconditions
                    .role_rewrites
                    .get(login)
                    .map_or("no role rewrite".to_string(), |r| {
                        format!("roles {}", r.roles.join(", "))
                    })
            };
            m.other.push(format!(
                "the plan file records {login} with {}; a fresh plan has {}",
                show(saved),
                show(fresh)
            ));
        }
    }
    if saved.preconditions.group_removals != fresh.preconditions.group_removals {
        m.other.push(format!(
            "the plan file removes group members by {}; the policy files say {}",
            saved.preconditions.group_removals.word(),
            fresh.preconditions.group_removals.word()
        ));
    }
    let sorted = |ids: &[u64]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    if sorted(&saved.preconditions.protected_user_ids)
        != sorted(&fresh.preconditions.protected_user_ids)
    {
        m.other.push(format!(
            "the plan file records protected user ids {:?}; the policy files protect {:?}",
            sorted(&saved.preconditions.protected_user_ids),
            sorted(&fresh.preconditions.protected_user_ids)
        ));
    }
    m
}
