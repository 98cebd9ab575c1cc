use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::MaxRemovals;

/// The plan JSON version this build writes and reads.
pub const PLAN_FORMAT_VERSION: u32 = 1;

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

/// One membership to add or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub action: Action,
    pub kind: Kind,
    /// Group name, role name or license key (`expense`), as Coupa spells it.
    pub target: String,
    /// Group or role id; 0 for licenses (they have no id).
    pub target_id: u64,
    /// The user's Coupa login.
    pub user: String,
    pub user_id: u64,
    /// Whether `apply` writes it (group changes); roles and licenses are reported only.
    pub applies: bool,
    /// For a group removal: the membership to delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_id: Option<u64>,
    /// True for changes to an omnipotent (Admin) role; shown first for review.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
}

/// Counts of changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Changes `apply` will write that add a membership.
    pub add: usize,
    /// Changes `apply` will write that remove a membership.
    pub remove: usize,
    /// Role and license changes: reported, not written.
    pub reported_only: usize,
}

/// The live state of one touched group when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPrecondition {
    pub group_id: u64,
    /// `sha256:<hex>` of the sorted live member user ids.
    pub members_fingerprint: String,
    /// Live member logins, sorted, for the member-list diff view.
    pub members: Vec<String>,
}

/// What `apply` checks before writing a saved plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Preconditions {
    /// Keyed by group name, for every group the plan touches.
    pub groups: BTreeMap<String, GroupPrecondition>,
    /// The removal guards in force when the plan was made (from `settings.max_removals`).
    #[serde(default)]
    pub max_removals: MaxRemovals,
    /// Ids of the protected users when the plan was made; apply refuses to remove them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected_user_ids: Vec<u64>,
}

/// The result of diffing policy against live Coupa. Serialised as the plan JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub tool_version: String,
    /// The instance the plan was made for (`https://acme.coupahost.com`); empty until set.
    pub domain: String,
    /// RFC 3339; empty until set by the caller (the planner is pure).
    pub generated_at: String,
    pub policy_digest: String,
    /// Deterministic order: kind (group, role, license), target, action (remove first), user.
    pub changes: Vec<Change>,
    pub summary: Summary,
    pub warnings: Vec<String>,
    pub preconditions: Preconditions,
}

impl Plan {
    /// True when nothing would change and nothing is reported.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}
