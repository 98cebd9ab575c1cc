use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ChangeTarget, MaxRemovals, Origin, Warning};

/// The newest plan JSON version this build writes and reads: a plan with a
/// [`scope`](Plan::scope) (`plan --changed-since`) is written as this version, so an older
/// coupa-access refuses it instead of ignoring its scope; every other plan is written as
/// [`PLAN_FORMAT_UNSCOPED`]. It reads every earlier version (see `docs/plan-format.md`).
pub const PLAN_FORMAT_VERSION: u32 = 3;

/// The plan JSON version of a plan without a scope (a full plan).
pub const PLAN_FORMAT_UNSCOPED: u32 = 2;

/// Add or remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Remove,
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Group,
    Role,
    License,
}

impl Kind {
    /// The word for one: `group`, `role` or `license` (messages, JSON, drift rows).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::License => "license",
        }
    }

    /// [`word`](Self::word) capitalised, as a heading or a row starts: `Group`, `Role` or
    /// `License`.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Group => "Group",
            Kind::Role => "Role",
            Kind::License => "License",
        }
    }

    /// The policy's word for the kind, as a section and in `settings.writes`: `groups`,
    /// `roles` or `licenses`.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Group => "groups",
            Kind::Role => "roles",
            Kind::License => "licenses",
        }
    }
}

/// One membership to add or remove. Serialised with flat `kind`, `target` and `target_id`
/// fields (see `plan_json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    /// The group, role or license, as Coupa spells it.
    pub target: ChangeTarget,
    /// The user's Coupa login.
    pub user: String,
    pub user_id: u64,
    /// Whether `apply` writes it: its kind is in `settings.writes` (groups by default).
    pub applies: bool,
    /// For a group removal: the membership to delete.
    pub membership_id: Option<u64>,
    /// True for changes to an omnipotent (Admin) role; shown first for review.
    pub privileged: bool,
    /// For a removal: the time-bound grant that ended, when that is why.
    pub expired: Option<Expiry>,
}

/// The time-bound grant whose end a removal carries out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// The grant's last day (inclusive, UTC).
    pub until: chrono::NaiveDate,
    /// Its `reason`, when the policy gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Expiry {
    /// `expired 2025-12-31: FIN-881`, for text and markdown.
    pub fn label(&self) -> String {
        match &self.reason {
            Some(r) => format!("expired {}: {r}", self.until),
            None => format!("expired {}", self.until),
        }
    }
}

impl Change {
    /// Group, role or license.
    pub fn kind(&self) -> Kind {
        self.target.kind()
    }
}

/// Counts of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Changes `apply` will write that add a membership.
    pub add: usize,
    /// Changes `apply` will write that remove a membership.
    pub remove: usize,
    /// Changes of kinds not in `settings.writes`: reported, not written.
    pub reported_only: usize,
    /// Users whose roles or groups an interrupted apply cleared and `apply` gives back (see
    /// [`Restore`](super::Restore)).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restore: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The live state of one touched group when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPrecondition {
    pub group_id: u64,
    /// `sha256:<hex>` of the sorted live member user ids.
    pub members_fingerprint: String,
    /// Live member logins, sorted, for the member-list diff view (inline when short: a plan
    /// touching every group of a large tenant lists all its members here).
    pub members: Vec<crate::compact::ShortText>,
}

/// What `apply` checks before writing a saved plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Preconditions {
    /// Keyed by group name, for every group the plan touches.
    pub groups: BTreeMap<String, GroupPrecondition>,
    /// The removal guards in force when the plan was made (from `settings.max_removals`, or the
    /// default guard). Absent in a plan file: the default guard.
    #[serde(default)]
    pub max_removals: MaxRemovals,
    /// Ids of the protected users when the plan was made; apply refuses to remove them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected_user_ids: Vec<u64>,
    /// Keyed by login, for every user an applied change removes a role from: the roles they
    /// hold now. Coupa removes a role only by clearing the user's roles and setting the rest
    /// again, so the review shows both, and apply refuses the plan when these changed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub role_rewrites: BTreeMap<String, RoleRewrite>,
    /// How apply removes group members (`settings.group_removals`); absent: DELETE.
    #[serde(default, skip_serializing_if = "super::GroupRemovals::is_default")]
    pub group_removals: super::GroupRemovals,
}

/// The live roles of a user whose roles are cleared and set again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRewrite {
    pub user_id: u64,
    /// Ids of every role the user holds now, ascending.
    pub role_ids: Vec<u64>,
    /// Their names, sorted.
    pub roles: Vec<String>,
}

/// A plan: what must change for Coupa to match the policy, where and when it was made.
/// Serialised as the plan JSON (format [`PLAN_FORMAT_VERSION`]; see `plan_json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The coupa-access version that made it.
    pub tool_version: String,
    /// The live state it was made against.
    pub origin: Origin,
    /// When it was made (whole seconds, UTC).
    pub generated_at: DateTime<Utc>,
    /// `sha256:<hex>` of the policy files.
    pub policy_digest: String,
    /// Deterministic order: kind (group, role, license), target, action (remove first), user.
    pub changes: Vec<Change>,
    pub summary: Summary,
    /// One per fact, planner's first, then the policy check's, then the guards'.
    pub warnings: Vec<Warning>,
    /// Warnings the policy acknowledges (`settings.acknowledge`): kept out of `warnings` so
    /// later plans are not noisy, counted by the renderers, listed in the JSON.
    pub acknowledged: Vec<Warning>,
    pub preconditions: Preconditions,
    /// Access an interrupted apply of this tool took away, given back from its authenticated
    /// journal (see [`Restore`](super::Restore)); applied first, after confirmation.
    pub restores: Vec<super::Restore>,
    /// The targets a `plan --changed-since` covers; `None` for a full plan.
    pub scope: Option<super::PlanScope>,
}

impl Plan {
    /// True when nothing would change and nothing is reported.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.restores.is_empty()
    }

    /// True when `apply` would write something (reported-only changes do not count).
    pub fn has_applied_changes(&self) -> bool {
        self.changes.iter().any(|c| c.applies) || !self.restores.is_empty()
    }

    /// Sets the restores and counts them in the summary.
    pub fn with_restores(mut self, restores: Vec<super::Restore>) -> Plan {
        self.summary.restore = restores.len();
        self.restores = restores;
        self
    }
}

/// Counts the changes the way [`Summary`] does.
pub fn summarize(changes: &[Change]) -> Summary {
    let count = |f: &dyn Fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    Summary {
        add: count(&|c| c.applies && c.action == Action::Add),
        remove: count(&|c| c.applies && c.action == Action::Remove),
        reported_only: count(&|c| !c.applies),
        restore: 0,
    }
}
