//! What a `plan --changed-since REF` covers: which targets were planned, of how many managed,
//! and against which earlier version of the policy. Recorded in the plan JSON (`scope`) so
//! `apply PLAN.json` plans the same targets again, and so readers see that the rest is not
//! shown.

use serde::{Deserialize, Serialize};

use super::Kind;

/// The part of the policy a plan covers (absent: all of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanScope {
    /// The git ref the policy was compared with, as given (`origin/main`), or `auto` when no
    /// pull request base was found.
    pub changed_since: String,
    /// The commit `changed_since` named, in full; absent when there was none to compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// How many targets (groups, roles, licenses) the policy manages.
    pub managed: usize,
    /// Which targets were planned.
    #[serde(flatten)]
    pub planned: Planned,
}

/// Which targets a scoped plan covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Planned {
    /// Only these: the targets whose bound meaning differs from the policy at the commit.
    /// `apply` of such a plan applies only them.
    Targets(Vec<ScopeTarget>),
    /// Every managed target, for this reason (the plan is a full plan).
    EveryTarget(EveryTarget),
}

/// Why a `--changed-since` plan planned every target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EveryTarget {
    /// Settings that affect every target changed (protected users, guards, writes, …).
    SettingsChanged,
    /// The policy at the commit does not load, so nothing can be compared with it.
    BaseUnreadable,
    /// `auto` found no pull or merge request base (not run for one).
    NoBase,
}

impl EveryTarget {
    /// Why, in a few words: `settings changed`.
    pub fn why(self) -> &'static str {
        match self {
            EveryTarget::SettingsChanged => "settings that affect every target changed",
            EveryTarget::BaseUnreadable => "the policy there does not load",
            EveryTarget::NoBase => "no pull or merge request base was found",
        }
    }
}

/// One planned target, by kind and name as the policy writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScopeTarget {
    pub kind: Kind,
    /// The group or role name, or the license key, as first written in the policy.
    pub target: String,
}

impl PlanScope {
    /// The targets planned, or `None` for every one.
    pub fn targets(&self) -> Option<&[ScopeTarget]> {
        match &self.planned {
            Planned::Targets(t) => Some(t),
            Planned::EveryTarget(_) => None,
        }
    }

    /// How many targets were planned.
    pub fn planned_count(&self) -> usize {
        self.targets().map_or(self.managed, <[_]>::len)
    }

    /// `origin/main (1a2b3c4d)`: the ref, and the commit's first 8 digits.
    pub fn since(&self) -> String {
        match &self.commit {
            // By characters: a plan file may hold anything here.
            Some(c) => format!(
                "{} ({})",
                self.changed_since,
                c.chars().take(8).collect::<String>()
            ),
            None => self.changed_since.clone(),
        }
    }
}
