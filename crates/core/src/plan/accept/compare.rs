//! A saved plan carries no authority of its own: apply makes a fresh plan from the policy files
//! and live Coupa, and writes only when the saved plan is exactly that plan. This compares the
//! two (pure); everything apply then does comes from the fresh plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{Action, Kind, MaxRemovals, Plan, RoleRewrite};
use crate::render::printable_str;

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
                printable_str(&self.stale_groups.join(", "))
            )?;
        }
        // Names come from the plan file, which anyone may have edited: never raw to a terminal.
        for c in &self.not_in_fresh {
            writeln!(
                f,
                "  in the plan file, not in a fresh plan: {}",
                printable_str(c)
            )?;
        }
        for c in &self.missing_from_saved {
            writeln!(
                f,
                "  in a fresh plan, not in the plan file: {}",
                printable_str(c)
            )?;
        }
        for o in &self.other {
            writeln!(f, "  {}", printable_str(o))?;
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

/// Compares a saved plan with the fresh plan for the same policies and instance. `login_of`
/// names a user id where the plans record ids only (protected users); `None` shows the id.
pub fn compare(
    saved: &Plan,
    fresh: &Plan,
    login_of: impl Fn(u64) -> Option<String>,
) -> PlanMismatch {
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
            "the plan file records removal guards of {}; the policy files set {}",
            saved.preconditions.max_removals.describe(),
            fresh.preconditions.max_removals.describe()
        ));
    }
    // Role removals clear and set again what the user held: it must be what was reviewed.
    if saved.preconditions.role_rewrites != fresh.preconditions.role_rewrites {
        let users: BTreeSet<&String> = saved
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
                p.preconditions.role_rewrites.get(login).map_or_else(
                    || format!("no roles of {login} to clear and set again"),
                    |r| describe_rewrite(login, r),
                )
            };
            m.other.push(format!(
                "the plan file records {}; a fresh plan has {}",
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
    let saved_protected: BTreeSet<u64> = saved
        .preconditions
        .protected_user_ids
        .iter()
        .copied()
        .collect();
    let fresh_protected: BTreeSet<u64> = fresh
        .preconditions
        .protected_user_ids
        .iter()
        .copied()
        .collect();
    if saved_protected != fresh_protected {
        let people = |ids: &BTreeSet<u64>| match ids.len() {
            0 => "no users".to_string(),
            _ => ids
                .iter()
                .map(|&id| match login_of(id) {
                    Some(login) => format!("{login} (user id {id})"),
                    None => format!("user id {id}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        m.other.push(format!(
            "the plan file protects {}; the policy files protect {}",
            people(&saved_protected),
            people(&fresh_protected)
        ));
    }
    m
}

/// `alice (user id 2) holding roles Buyer, User (role ids 4, 7)`.
fn describe_rewrite(login: &str, r: &RoleRewrite) -> String {
    let roles = if r.roles.is_empty() {
        "no roles".to_string()
    } else {
        format!("roles {}", r.roles.join(", "))
    };
    let ids = match r.role_ids.len() {
        0 => String::new(),
        1 => format!(" (role id {})", r.role_ids[0]),
        _ => format!(
            " (role ids {})",
            r.role_ids
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("{login} (user id {}) holding {roles}{ids}", r.user_id)
}

/// Why a saved plan's restores (from the apply journal) are not the fresh plan's: by user,
/// kind, what is given back and onto which list. `None` when they agree.
pub fn restores_differ(saved: &Plan, fresh: &Plan) -> Option<String> {
    let key = |p: &Plan| -> Vec<(u64, Kind, Vec<u64>, Vec<u64>)> {
        p.restores
            .iter()
            .map(|r| {
                (
                    r.user_id,
                    r.kind,
                    r.targets.iter().map(|t| t.id).collect(),
                    r.held_ids.clone(),
                )
            })
            .collect()
    };
    if key(saved) == key(fresh) {
        return None;
    }
    let list = |p: &Plan| {
        if p.restores.is_empty() {
            "none".to_string()
        } else {
            p.restores
                .iter()
                .map(|r| r.one_line())
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    Some(format!(
        "it restores {}, the journal now gives {}",
        printable_str(&list(saved)),
        printable_str(&list(fresh))
    ))
}
