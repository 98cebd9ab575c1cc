//! Flags of `apply` that produce evidence, and the `evidence` command.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::ConnectionArgs;

/// `apply --receipt` and `--approvals`.
#[derive(Debug, Args)]
pub struct ReceiptArgs {
    /// Write a receipt of this apply (JSON, sealed with SHA-256 digests) to FILE: what changed
    /// with each outcome, the policy and plan digests, the git commit and CI run, the approvals.
    /// Written for a failed, refused or interrupted apply too. See docs/evidence.md.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
    /// The pull request's reviews as JSON (the example GitHub workflow writes it). With
    /// `settings.reviewers`, a grant approved only by the person receiving it is refused.
    #[arg(long, value_name = "FILE")]
    pub approvals: Option<PathBuf>,
}

/// `coupa-access evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check apply receipts: each one's digests (an edited field is named) and, with
    /// credentials, whether each verified change still holds in Coupa.
    ///
    /// Exit codes: 0 every receipt is intact (changes made since in Coupa are reported, not
    /// errors); 1 a receipt is edited, unreadable or not a receipt, or Coupa could not be read.
    Verify(VerifyArgs),
}

/// Arguments of `evidence verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Receipt files (from `apply --receipt`).
    #[arg(required = true, value_name = "RECEIPT")]
    pub receipts: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
