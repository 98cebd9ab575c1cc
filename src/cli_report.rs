//! Command-line definitions of `report` (clap derive), beside `cli.rs` so each command's
//! flags stay in one small file.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::ConnectionArgs;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Who holds every managed group, role and license: the policy line that grants it, the
    /// commit (author, date, pull request) that introduced that line, any until, reason or
    /// exception, and each holder granted outside policy with Coupa's created-at.
    ///
    /// Provenance is read with git from the repository holding the policy folder; in a shallow
    /// clone, lines older than the clone are reported as history incomplete, not guessed.
    Access(AccessArgs),
}

/// Formats of the access report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For an auditor: a table per group, role and license.
    Markdown,
    /// For a spreadsheet: one row per person and target.
    Csv,
    /// Complete and versioned (the document names its format_version).
    Json,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Folder of policy YAML files (every *.yaml under it is read).
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Also list every group, role and license the policy does not manage, with its holders.
    #[arg(long)]
    pub all: bool,
    /// Report what the policy granted on this day (YYYY-MM-DD, the end of that day in UTC, or
    /// RFC 3339): the policy files of the last commit on HEAD made by then, without reading
    /// Coupa.
    #[arg(long, value_name = "DATE", conflicts_with_all = ["snapshot", "all"])]
    pub as_of: Option<String>,
    /// Report against a saved snapshot (from `coupa-access snapshot`) instead of live Coupa.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
