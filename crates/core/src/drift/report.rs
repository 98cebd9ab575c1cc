//! The drift report: typed, serialised as the versioned drift JSON (`format_version: 1`,
//! `kind: "drift"`), and rendered as text or markdown.

use serde::{Deserialize, Serialize};

pub use crate::bind::Kept;
pub use crate::model::{Kind, Mode};

/// The drift JSON version this build writes.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub format_version: u32,
    /// Always `drift`.
    pub kind: String,
    pub tool_version: String,
    /// The instance (or `snapshot:FILE`) compared; empty until the caller sets it.
    pub domain: String,
    /// RFC 3339; empty until the caller sets it (the core reads no clock).
    pub generated_at: String,
    pub policy_digest: String,
    pub summary: DriftSummary,
    /// Every managed target, drifted or not, in kind then name order.
    pub targets: Vec<TargetDrift>,
    /// Everyone with drift, by login.
    pub people: Vec<PersonDrift>,
    pub coverage: Coverage,
    /// Every live separation-of-duties conflict, by rule then person.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<DriftConflict>,
    /// With `--since`: memberships created since then, in any group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<SinceReport>,
    /// False when `/api/roles` was not read (the policy manages no role, so the report needs
    /// none); written only then. True until the caller says otherwise.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub roles_read: bool,
    /// How the live state compared was shown to be complete (a live read, a snapshot that
    /// matches its manifest, or unproven); `None` until the caller sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<crate::snapshot::Completeness>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Counts over the whole report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DriftSummary {
    /// Holders of authoritative targets the policy does not give it to.
    pub extra: usize,
    /// Policy members who do not hold the target.
    pub missing: usize,
    /// Of `extra + missing`, rows of targets `apply` does not write (kinds not in
    /// `settings.writes`).
    pub reported_only: usize,
    /// Of `extra`, rows of targets `apply` writes that it keeps all the same (see [`Kept`]).
    #[serde(default)]
    pub kept: usize,
    /// Managed targets with any extra or missing row.
    pub targets_drifted: usize,
    pub targets_managed: usize,
    /// People with any extra or missing row.
    pub people: usize,
    /// Live separation-of-duties conflicts (a person on two or more sides of a rule).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conflicts: usize,
    /// Of `conflicts`, those without a valid exception (`drift --detailed-exitcode` exits 2).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unexcepted_conflicts: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A live separation-of-duties conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftConflict {
    /// The rule's name.
    pub rule: String,
    pub user: String,
    pub user_id: u64,
    /// What the person holds on each side (`group "A"`, `role "B"`), one list per side.
    pub sides: Vec<Vec<String>>,
    /// The exception's standing on the report's day.
    pub exception: crate::bind::sod::ExceptionStatus,
    /// The exception's ticket and last day, when the rule has one for this person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::NaiveDate>,
}

impl DriftSummary {
    /// True when anything differs from policy.
    pub fn has_drift(&self) -> bool {
        self.extra + self.missing > 0
    }

    /// Rows `apply` would change: drift neither reported only nor kept.
    pub fn applies(&self) -> usize {
        (self.extra + self.missing).saturating_sub(self.reported_only + self.kept)
    }
}

/// One managed group, role or license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDrift {
    pub kind: Kind,
    /// Group or role name as Coupa spells it, or the license key.
    pub target: String,
    /// Group or role id; absent for licenses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<u64>,
    pub mode: Mode,
    /// Whether `apply` writes this target's kind (`settings.writes`); false: reported only.
    pub applies: bool,
    /// Holders now (distinct users).
    pub holders: usize,
    pub extra: Vec<DriftRow>,
    pub missing: Vec<DriftRow>,
    /// Additive targets: holders the policy does not list (not governed, so not drift).
    pub not_governed: usize,
}

/// One person's extra or missing access to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftRow {
    pub user: String,
    pub user_id: u64,
    pub active: bool,
    /// Extra group memberships: when the (earliest) membership was created, as Coupa reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Extra group memberships: their ids (more than one when Coupa holds duplicates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub membership_ids: Vec<u64>,
    /// A protected user (`settings.protected_users`): `apply` keeps them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
    /// An owner (admin) of the group in Coupa: `apply` keeps the membership unless the group
    /// sets `remove_owners: true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub owner: bool,
    /// Set on extra rows of targets `apply` writes that it keeps all the same, with why:
    /// listed and counted, never a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<Kept>,
    /// Set on extra rows held under a time-bound grant that has ended (in any mode): `apply`
    /// removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<crate::model::Expiry>,
}

/// Direction of a person's drift row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Extra,
    Missing,
}

/// One person's drift across targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDrift {
    pub user: String,
    pub user_id: u64,
    pub active: bool,
    pub items: Vec<PersonItem>,
}

/// One of a person's drift rows, seen from the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonItem {
    pub direction: Direction,
    pub kind: Kind,
    pub target: String,
    pub applies: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// How much of the tenant the policy governs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Coverage {
    pub groups_total: usize,
    pub groups_managed: usize,
    /// Managed groups in authoritative mode (fully described by policy).
    pub groups_authoritative: usize,
    pub memberships_total: usize,
    /// Memberships of managed groups.
    pub memberships_managed: usize,
    /// Memberships of authoritative managed groups.
    pub memberships_governed: usize,
    /// Groups no policy declares, most members first.
    pub unmanaged_groups: Vec<UnmanagedGroup>,
}

/// A group no policy declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmanagedGroup {
    pub name: String,
    pub id: u64,
    /// Distinct users holding a membership.
    pub members: usize,
}

/// Memberships created since a date, in any group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceReport {
    /// The date asked for, as RFC 3339.
    pub since: String,
    /// Oldest first.
    pub memberships: Vec<RecentMembership>,
    /// Memberships without a readable `created-at` (not listed).
    pub undated: usize,
    /// Memberships an apply's clear-then-set re-created (named by its receipts, `--receipts`):
    /// kept access under a new id, not a new grant, so not listed.
    #[serde(default, skip_serializing_if = "is_zero_count")]
    pub recreated_by_apply: usize,
}

fn is_zero_count(n: &usize) -> bool {
    *n == 0
}

impl SinceReport {
    /// Leaves out, and counts, the memberships an apply's clear-then-set re-created, as its
    /// receipts name them. A receipt is a file anyone could write, so it vouches for a row
    /// only where Coupa agrees: same instance (a receipt of another tenant names nothing here),
    /// same membership id *and* user, created while that apply ran. A receipt cannot hide a
    /// hand grant made at another time or to another person.
    pub fn leave_out_recreated(
        &mut self,
        receipts: &[crate::evidence::Receipt],
        instance: Option<&str>,
    ) {
        let Some(instance) = instance else {
            return;
        };
        let same = |a: &str| {
            a.trim_end_matches('/')
                .eq_ignore_ascii_case(instance.trim_end_matches('/'))
        };
        // A minute's grace: Coupa stamps the row, the tool stamps the run.
        let grace = chrono::Duration::seconds(60);
        let vouched = |m: &RecentMembership| {
            let Some(created) = super::parse_timestamp(&m.created_at) else {
                return false;
            };
            receipts.iter().filter(|r| same(&r.instance)).any(|r| {
                let during = created >= r.started_at - grace && created <= r.finished_at + grace;
                during
                    && r.recreated_memberships.iter().any(|x| {
                        x.user_id == m.user_id && x.membership_ids.contains(&m.membership_id)
                    })
            })
        };
        let before = self.memberships.len();
        self.memberships.retain(|m| !vouched(m));
        self.recreated_by_apply += before - self.memberships.len();
    }
}

/// A membership created since the date asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentMembership {
    pub created_at: String,
    pub group: String,
    pub group_id: u64,
    pub user: String,
    pub user_id: u64,
    pub membership_id: u64,
    /// Whether the group is managed by policy.
    pub managed: bool,
}
