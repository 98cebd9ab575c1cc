//! `report access`: who holds each managed group, role and license, the policy entry that
//! grants it, the commit that introduced that entry, and what is held outside policy.
//!
//! - [`rows`]: the bound policy and its holders (or, for `--as-of`, the policy alone) into
//!   [`Row`]s, each pointing at its policy entry by file and line.
//! - [`provenance`]: `git blame --porcelain` output parsed into [`Provenance`] per line, and
//!   pull-request numbers found in commit subjects. The binary runs git; this only reads text.
//! - [`render`]: markdown (for an auditor), CSV (for a spreadsheet) and JSON (complete,
//!   versioned).

pub mod provenance;
mod render;
pub mod rows;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::model::Kind;
use crate::snapshot::Completeness;

pub use provenance::{pull_request_in, Blame, CommitInfo, History, MergeInfo, Provenance};
pub use render::{csv, json, markdown};
pub use rows::{as_of, from_bound, Options};

/// The access report format this build writes.
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The whole report (`report access --format json` writes it as is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessReport {
    pub format_version: u32,
    /// Always `access_report`.
    pub kind: &'static str,
    pub tool_version: String,
    /// RFC 3339; set by the caller (the core reads no clock).
    pub generated_at: String,
    pub source: Source,
    /// `sha256:<hex>` of the policy files the report is about.
    pub policy_digest: String,
    /// Whether the git history behind the provenance is whole.
    pub history: History,
    /// How the holders were shown to be complete (absent for `--as-of`: no holders are read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completeness: Option<Completeness>,
    /// With `--all`: targets the policy does not manage are listed too.
    pub all_targets: bool,
    pub summary: Summary,
    /// By kind, target name, then status and user.
    pub rows: Vec<Row>,
}

/// Where the holders came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// Live Coupa, read just now.
    Live { instance: String },
    /// A snapshot file.
    Snapshot {
        file: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        taken_at: Option<String>,
    },
    /// The policy as of a date's commit: what the reviewed policy granted then (no holders).
    PolicyAsOf {
        date: String,
        commit: String,
        commit_date: String,
    },
}

/// Row counts by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    pub granted_by_policy: usize,
    pub outside_policy: usize,
    pub expired_grant: usize,
    pub not_held: usize,
}

/// One person and one group, role or license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub kind: Kind,
    /// As Coupa spells it (as the policy spells it for `--as-of`); a license by its key.
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<u64>,
    /// Whether the policy declares the target.
    pub managed: bool,
    /// The Coupa login (for `--as-of`, the identity as written in the policy).
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u64>,
    pub status: Status,
    /// The policy entry that lists this person here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyEntry>,
    /// Separation-of-duties exceptions for this person on a rule naming this target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionEntry>,
    /// Coupa's `created-at` of the membership (groups only; the earliest when several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupa_created_at: Option<String>,
    /// Why `apply` keeps a holder the policy does not list (authoritative targets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<crate::bind::Kept>,
}

/// How a person came to hold (or be given) a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Listed by the policy (with a grant that has not expired), and held (for `--as-of`:
    /// listed, holding unknown).
    GrantedByPolicy,
    /// Held, and the policy does not list them here (or does not manage the target).
    OutsidePolicy,
    /// Listed with an `until` that has passed, and still held (or, for `--as-of`, listed).
    ExpiredGrant,
    /// Listed by the policy, not held in Coupa (yet).
    NotHeld,
}

impl Status {
    /// Words for people.
    pub fn words(self) -> &'static str {
        match self {
            Status::GrantedByPolicy => "granted by policy",
            Status::OutsidePolicy => "granted outside policy",
            Status::ExpiredGrant => "expired grant",
            Status::NotHeld => "listed, not held",
        }
    }
}

/// A policy entry: where it is written, and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyEntry {
    /// The policy file, as the policy folder names it.
    pub file: String,
    /// From 1.
    pub line: usize,
    /// The identity as written.
    pub identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who added the line and when; absent until [`AccessReport::attach`] fills it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// A separation-of-duties exception covering the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionEntry {
    pub rule: String,
    pub until: chrono::NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub file: String,
    pub line: usize,
}

impl AccessReport {
    /// Every distinct policy file the rows point at, sorted (what the caller blames).
    pub fn policy_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| r.policy.as_ref().map(|p| p.file.clone()))
            .collect();
        files.sort();
        files.dedup();
        files
    }

    /// Fills every policy entry's provenance from `lookup(file, line)`.
    pub fn attach(&mut self, mut lookup: impl FnMut(&str, usize) -> Provenance) {
        for row in &mut self.rows {
            if let Some(p) = &mut row.policy {
                p.provenance = Some(lookup(&p.file, p.line));
            }
        }
    }
}
