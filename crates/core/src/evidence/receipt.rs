//! The apply receipt: what one `apply` run did, where its change came from and who approved
//! it. Written as JSON (format [`RECEIPT_FORMAT_VERSION`]) and sealed by [`super::seal`];
//! `docs/evidence.md` describes every field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::approvals::{Review, SelfApproval};
use crate::model::time::rfc3339;
use crate::model::{Action, Change, Kind, Plan, Restore};

/// The receipt JSON version this build writes and reads.
pub const RECEIPT_FORMAT_VERSION: u32 = 1;

/// What a receipt file says it is (`"kind"`), so a plan or snapshot passed by mistake is named.
pub const RECEIPT_KIND: &str = "coupa-access apply receipt";

/// One apply run, as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// [`RECEIPT_FORMAT_VERSION`].
    pub format_version: u32,
    /// [`RECEIPT_KIND`].
    pub kind: String,
    /// The coupa-access version that applied.
    pub tool_version: String,
    /// The Coupa instance written to (`https://acme.coupahost.com`).
    pub instance: String,
    /// When the run started and ended (UTC, whole seconds).
    #[serde(with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub finished_at: DateTime<Utc>,
    /// How the run ended.
    pub status: Status,
    /// Why the run stopped without writing (`refused`), or the error that ended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `sha256:` of the policy files applied; absent when the run stopped before reading them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_digest: Option<String>,
    /// [`plan_digest`] of the plan applied; absent when the run stopped before planning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_digest: Option<String>,
    /// True when a saved plan file was applied (it equalled the fresh plan, or apply refused).
    pub from_plan_file: bool,
    /// `sha256:` of that plan file's bytes as read (`sha256sum plan.json` gives the same hex),
    /// so the plan shown for approval can be matched to this apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_file_sha256: Option<String>,
    /// Where the change came from: the git commit and the CI run.
    pub source: Source,
    /// The approvals given with `--approvals`, and whether they were checked.
    pub approvals: ApprovalsRecord,
    /// Every change of the plan with its outcome, in plan order.
    pub changes: Vec<ReceiptChange>,
    /// Access given back from the journal of an interrupted apply, with outcomes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<ReceiptRestore>,
    /// Memberships a clear-then-set of a user's `user-groups` re-created with new ids and
    /// dates: the user's other groups, kept, not granted (`drift --since --receipts` leaves
    /// them out of its new memberships).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recreated_memberships: Vec<Recreated>,
    /// Counts of the outcomes above.
    pub summary: ReceiptSummary,
}

/// One user's memberships re-created by a clear-then-set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recreated {
    pub user: String,
    pub user_id: u64,
    pub membership_ids: Vec<u64>,
}

/// How an apply run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every change written was verified.
    Applied,
    /// Some change failed, was skipped or kept by Coupa (see `changes`).
    Failed,
    /// Stopped by a signal part-way: what was not attempted is `skipped`.
    Interrupted,
    /// Stopped before writing anything (stale plan, guard, self-approval, Coupa error): see
    /// `error`.
    Refused,
    /// Confirmation was not given at the prompt; nothing was written.
    Cancelled,
    /// The plan held nothing to write.
    NoChanges,
    /// Exited at a second interrupt while writes were in flight: outcomes are `unknown`.
    Abandoned,
}

impl Status {
    /// The status as the receipt writes it (`applied`, `no_changes`, …).
    pub fn word(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
            Status::Refused => "refused",
            Status::Cancelled => "cancelled",
            Status::NoChanges => "no_changes",
            Status::Abandoned => "abandoned",
        }
    }
}

/// The git commit and CI run an apply ran from. Every field is what the tool could read;
/// absent means unknown (no git, not CI), never guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// `git rev-parse HEAD` of the policy folder's repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The branch checked out (or the CI's branch name on a detached checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// True when `git status --porcelain` listed nothing under the policy folder's repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean: Option<bool>,
    /// Why git facts are missing (not a repository, git not installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_unavailable: Option<String>,
    /// The CI run, when the environment says there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiRun>,
}

/// A CI run, from the environment its CI system sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiRun {
    /// `github-actions` or `gitlab-ci`.
    pub system: String,
    /// The run's web address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// The account that started the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// The approvals an apply was given, and what was concluded from them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsRecord {
    /// True when self-approval was checked: `--approvals` and `settings.reviewers` both given.
    pub checked: bool,
    /// Why not, when `checked` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_checked_because: Option<String>,
    /// `sha256:` of the approvals file as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_digest: Option<String>,
    /// The repository and pull request the reviews belong to, as the file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    /// Every review in the file.
    #[serde(default)]
    pub reviews: Vec<Review>,
    /// Grants approved only by the person receiving them (the apply was refused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_approvals: Vec<SelfApproval>,
}

/// One change of the plan and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptChange {
    pub action: Action,
    pub kind: Kind,
    /// The group or role name, or the license key.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<u64>,
    /// The user's Coupa login and id.
    pub user: String,
    pub user_id: u64,
    /// For a group change: the Coupa membership ids it created (read back) or deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub membership_ids: Vec<u64>,
    pub outcome: ChangeOutcome,
    /// Coupa's message for a failure, or why the change was skipped or kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ReceiptChange {
    /// A change of `plan` with no outcome yet (`unknown`).
    pub fn of(change: &Change) -> ReceiptChange {
        ReceiptChange {
            action: change.action,
            kind: change.kind(),
            target: change.target.name().to_string(),
            target_id: change.target.id(),
            user: change.user.clone(),
            user_id: change.user_id,
            membership_ids: change.membership_id.into_iter().collect(),
            outcome: if change.applies {
                ChangeOutcome::Unknown
            } else {
                ChangeOutcome::ReportedOnly
            },
            message: None,
        }
    }

    /// `add alice to group "AP Clerks"`, for messages.
    pub fn describe(&self) -> String {
        let kind = self.kind.word();
        match self.action {
            Action::Add => format!("add {} to {kind} \"{}\"", self.user, self.target),
            Action::Remove => format!("remove {} from {kind} \"{}\"", self.user, self.target),
        }
    }
}

/// What became of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOutcome {
    /// Written and read back.
    Verified,
    /// The write failed or the read-back does not show it (`message` says why).
    Failed,
    /// Not attempted (`message` says why).
    Skipped,
    /// Written, but Coupa kept what it takes away (a license it does not revoke).
    Kept,
    /// A kind not in `settings.writes`: planned and reported, never written.
    ReportedOnly,
    /// The run ended before this change's outcome was known.
    Unknown,
}

/// One restore from the journal and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRestore {
    pub restore: Restore,
    pub outcome: ChangeOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Counts of change outcomes (restores included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSummary {
    pub verified: usize,
    pub failed: usize,
    pub skipped: usize,
    pub kept: usize,
    pub reported_only: usize,
    pub unknown: usize,
}

impl ReceiptSummary {
    /// Counts the outcomes of `changes` and `restores`.
    pub fn count(changes: &[ReceiptChange], restores: &[ReceiptRestore]) -> ReceiptSummary {
        let mut s = ReceiptSummary::default();
        let outcomes = changes
            .iter()
            .map(|c| c.outcome)
            .chain(restores.iter().map(|r| r.outcome));
        for o in outcomes {
            match o {
                ChangeOutcome::Verified => s.verified += 1,
                ChangeOutcome::Failed => s.failed += 1,
                ChangeOutcome::Skipped => s.skipped += 1,
                ChangeOutcome::Kept => s.kept += 1,
                ChangeOutcome::ReportedOnly => s.reported_only += 1,
                ChangeOutcome::Unknown => s.unknown += 1,
            }
        }
        s
    }
}

/// `sha256:` of what a plan asks, independent of when it was made: the plan JSON without
/// `generated_at` and `tool_version`, canonical. A plan saved in review and the plan apply made
/// from the same policy against the same live state have one digest.
pub fn plan_digest(plan: &Plan) -> String {
    let mut value = serde_json::to_value(plan).unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.remove("generated_at");
        map.remove("tool_version");
    }
    super::canonical::digest(&value)
}

impl Receipt {
    /// A receipt with nothing known yet but the run's start.
    pub fn started(tool_version: &str, instance: &str, started_at: DateTime<Utc>) -> Receipt {
        Receipt {
            format_version: RECEIPT_FORMAT_VERSION,
            kind: RECEIPT_KIND.to_string(),
            tool_version: tool_version.to_string(),
            instance: instance.to_string(),
            started_at,
            finished_at: started_at,
            status: Status::Refused,
            error: None,
            policy_digest: None,
            plan_digest: None,
            from_plan_file: false,
            plan_file_sha256: None,
            source: Source::default(),
            approvals: ApprovalsRecord::default(),
            changes: Vec::new(),
            restores: Vec::new(),
            recreated_memberships: Vec::new(),
            summary: ReceiptSummary::default(),
        }
    }

    /// Records the plan about to be applied: its digests and every change, outcome unknown.
    pub fn planned(&mut self, plan: &Plan) {
        self.policy_digest = Some(plan.policy_digest.clone());
        self.plan_digest = Some(plan_digest(plan));
        self.changes = plan.changes.iter().map(ReceiptChange::of).collect();
        self.restores = plan
            .restores
            .iter()
            .map(|r| ReceiptRestore {
                restore: r.clone(),
                outcome: ChangeOutcome::Unknown,
                message: None,
            })
            .collect();
        self.count();
    }

    /// Recounts `summary` from the outcomes.
    pub fn count(&mut self) {
        self.summary = ReceiptSummary::count(&self.changes, &self.restores);
    }
}
