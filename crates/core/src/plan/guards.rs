//! Removal guards: a plan that removes too much stops unless a human confirms the exact count.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Action, Kind, MaxRemovals, Plan, Settings};
use crate::CliWords;

/// A group that would lose more than `per_group_fraction` of its current members.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRemovals {
    pub group: String,
    /// Distinct users the plan removes from the group.
    pub removed: usize,
    /// Distinct live members when the plan was made.
    pub members: usize,
    /// `removed / members` (1.0 when the member count is unknown).
    pub fraction: f64,
}

/// Why a plan's removals were refused: the totals, the offending groups and the count that
/// would override. [`message`](Self::message) words it with the binary's flag names.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardViolation {
    /// Applied removals in the plan (membership deletions).
    pub removals: usize,
    /// `settings.max_removals.total` when the plan exceeds it.
    pub total_limit: Option<usize>,
    /// `settings.max_removals.per_group_fraction` when a group exceeds it.
    pub fraction_limit: Option<f64>,
    /// The number of members any group may lose regardless of the fraction (default guard).
    pub floor: Option<usize>,
    /// True when the limits are the default guard (no `settings.max_removals`).
    pub default_guard: bool,
    /// Groups over the fraction limit, by name.
    pub groups: Vec<GroupRemovals>,
    /// The exact count allowed (`--allow-removals N`) as given, when it did not match `removals`.
    pub allow: Option<usize>,
}

/// Checks the plan's applied removals against `settings.max_removals` (which is the default
/// guard, [`MaxRemovals::DEFAULT_GUARD`](crate::model::MaxRemovals::DEFAULT_GUARD), when the
/// policy sets none).
///
/// `allow` is `--allow-removals N`: it lifts tripped guards only when N equals the plan's
/// number of applied removals exactly, so an approval never covers a different plan. When no
/// guard trips, `allow` is not needed and not checked.
pub fn check_guards(
    plan: &Plan,
    settings: &Settings,
    allow: Option<usize>,
) -> Result<(), GuardViolation> {
    let removals: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.applies && c.action == Action::Remove)
        .collect();
    let limits = settings.max_removals;

    let total_limit = limits.total.filter(|&max| removals.len() > max);

    let mut groups = Vec::new();
    if let Some(max) = limits.per_group_fraction {
        let mut removed: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
        // The fraction is of a group's members; role and license removals count in `total`.
        for c in removals.iter().filter(|c| c.kind() == Kind::Group) {
            removed
                .entry(c.target.name())
                .or_default()
                .insert(c.user_id);
        }
        for (group, users) in removed {
            let members = plan
                .preconditions
                .groups
                .get(group)
                .map_or(0, |p| p.members.len());
            let fraction = if members == 0 {
                1.0
            } else {
                users.len() as f64 / members as f64
            };
            let within_floor = limits.per_group_floor.is_some_and(|f| users.len() <= f);
            if fraction > max && !within_floor {
                groups.push(GroupRemovals {
                    group: group.to_string(),
                    removed: users.len(),
                    members,
                    fraction,
                });
            }
        }
    }

    if total_limit.is_none() && groups.is_empty() {
        return Ok(());
    }
    if allow == Some(removals.len()) {
        return Ok(());
    }
    Err(GuardViolation {
        removals: removals.len(),
        total_limit,
        fraction_limit: if groups.is_empty() {
            None
        } else {
            limits.per_group_fraction
        },
        floor: limits.per_group_floor,
        default_guard: limits.default,
        groups,
        allow,
    })
}

/// How messages name the default guard.
const DEFAULT_GUARD_NAME: &str = "the default removal guard (no settings.max_removals)";

/// `0.25` -> `25%`, `1/3` -> `33.3%`.
fn percent(f: f64) -> String {
    let p = f * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

impl MaxRemovals {
    /// The limits in words, for messages: `at most 5 removals in all`, `at most 25% of a
    /// group's members (or 3 members, whichever is more)`, `no limits`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(total) = self.total {
            parts.push(format!(
                "at most {total} removal{} in all",
                if total == 1 { "" } else { "s" }
            ));
        }
        if let Some(fraction) = self.per_group_fraction {
            let floor = match self.per_group_floor {
                Some(f) => format!(" (or {f} members, whichever is more)"),
                None => String::new(),
            };
            parts.push(format!(
                "at most {} of a group's members{floor}",
                percent(fraction)
            ));
        }
        let limits = if parts.is_empty() {
            "no limits".to_string()
        } else {
            parts.join(" and ")
        };
        if self.default {
            format!("{limits}, {DEFAULT_GUARD_NAME}")
        } else {
            limits
        }
    }
}

impl GuardViolation {
    /// The first line: which guard tripped.
    pub fn title(&self) -> String {
        if self.default_guard {
            format!("{DEFAULT_GUARD_NAME} tripped")
        } else {
            "removal guard tripped".to_string()
        }
    }

    /// Each reason the guard tripped, one line each, e.g. `this plan removes 6 group
    /// memberships; the limit is 5 (settings.max_removals.total)`.
    pub fn reasons(&self, cli: &CliWords) -> Vec<String> {
        let n = self.removals;
        let source = |key: &str| {
            if self.default_guard {
                DEFAULT_GUARD_NAME.to_string()
            } else {
                format!("settings.max_removals.{key}")
            }
        };
        let mut out = Vec::new();
        if let Some(max) = self.total_limit {
            out.push(format!(
                "this plan removes {n} group memberships; the limit is {max} ({})",
                source("total")
            ));
        }
        if let Some(max) = self.fraction_limit {
            let floor = match self.floor {
                Some(f) => format!(" or {f} members, whichever is more"),
                None => String::new(),
            };
            for g in &self.groups {
                out.push(format!(
                    "group \"{}\" would lose {} of {} members ({}); the limit is {}{floor} ({})",
                    g.group,
                    g.removed,
                    g.members,
                    percent(g.fraction),
                    percent(max),
                    source("per_group_fraction")
                ));
            }
        }
        if let Some(given) = self.allow {
            out.push(format!(
                "{} {given} does not match: the plan removes exactly {n}",
                cli.allow_removals
            ));
        }
        out
    }

    /// How to go ahead anyway.
    pub fn advice(&self, cli: &CliWords) -> String {
        let n = self.removals;
        let mut s = format!(
            "Review the removals, then rerun with {} {n} to allow exactly these {n} removals.",
            cli.allow_removals
        );
        if self.default_guard {
            s.push_str(
                " To change the limit for every plan, set settings.max_removals (e.g. `max_removals: { per_group_fraction: 1 }` lifts it).",
            );
        }
        s
    }

    /// The whole refusal: the title, each reason on its own line, and the advice.
    pub fn message(&self, cli: &CliWords) -> String {
        let mut s = format!("{}:", self.title());
        for r in self.reasons(cli) {
            s.push_str("\n  ");
            s.push_str(&r);
        }
        s.push('\n');
        s.push_str(&self.advice(cli));
        s
    }
}
