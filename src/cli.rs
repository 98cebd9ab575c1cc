//! Command-line definitions (clap derive). Parsing only; `cmd` runs them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod evidence;
pub use evidence::{EvidenceCommand, ReceiptArgs, VerifyArgs};

/// Coupa user groups, roles and licenses as code.
///
/// Keep who-has-what in YAML under `policies/`, review `plan` output in pull requests, and let
/// `apply` write the group membership changes. Try `coupa-access demo` first: it needs no
/// credentials.
#[derive(Debug, Parser)]
#[command(name = "coupa-access", version, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (only on a terminal and without NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// More logging on stderr (-v: debug, -vv: trace). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// Colour choice for terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people at a terminal.
    Text,
    /// Versioned JSON for tools (the document names its format_version).
    Json,
    /// For pull-request comments (at most 65,000 characters).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diff the policy files against live Coupa and print what would change.
    ///
    /// Exit codes: 0 success, 1 error; with --detailed-exitcode, 2 means there are changes.
    Plan(PlanArgs),
    /// Apply group membership changes: plan, show, confirm, write, verify.
    ///
    /// With a plan file (from `plan --out`), applies exactly that plan after checking that it was
    /// made for this instance and that no touched group changed since.
    Apply(ApplyArgs),
    /// Check the policy files offline; with credentials, also resolve every name against Coupa.
    Validate(ValidateArgs),
    /// Report live access that differs from policy: extra and missing, with when it appeared,
    /// coverage and unmanaged groups.
    ///
    /// Exit codes: 0 success, 1 error; with --detailed-exitcode, 2 means there is drift.
    Drift(DriftArgs),
    /// Write policy YAML that reproduces today's live state (to bootstrap a policy repository).
    ///
    /// Writes groups.yaml (every group unless --groups says otherwise), roles.yaml (with --roles)
    /// and licenses.yaml (with --licenses) into --out-dir. Members are Coupa logins, sorted.
    Export(ExportArgs),
    /// Render a saved plan (from `plan --out`).
    Show(ShowArgs),
    /// Audit evidence: check apply receipts (from `apply --receipt`).
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Save live state (users, groups, roles, memberships) as JSON, for offline plans and the sandbox.
    Snapshot(SnapshotArgs),
    /// Evidence for auditors: `report access` lists who holds what, the policy line and the
    /// git commit that granted it, and access granted outside policy.
    Report(crate::cli_report::ReportArgs),
    /// Serve a local Coupa-compatible API for rehearsals and tests.
    Sandbox(SandboxArgs),
    /// Start the sandbox on a sample tenant and plan `policies/` against it (no credentials needed).
    Demo(DemoArgs),
    /// Print the policy files' JSON Schema (draft-07), for editors and CI validation.
    Schema,
    /// Print a shell completion script, e.g. `mkdir -p ~/.local/share/bash-completion/completions && coupa-access completions bash > ~/.local/share/bash-completion/completions/coupa-access`.
    Completions(CompletionsArgs),
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// How to reach Coupa. The client secret is never accepted as a plain flag value (it would land
/// in shell history): use COUPA_CLIENT_SECRET or a file.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Coupa instance, e.g. https://acme.coupahost.com (a URL pasted from the browser is fine).
    #[arg(long, env = "COUPA_DOMAIN")]
    pub domain: Option<String>,
    /// OAuth2 client id of the Coupa OAuth2/OpenID Connect client.
    #[arg(long, env = "COUPA_CLIENT_ID")]
    pub client_id: Option<String>,
    /// File holding the OAuth2 client secret. Given, it wins over COUPA_CLIENT_SECRET, which
    /// wins over COUPA_CLIENT_SECRET_FILE (a file named in the environment).
    #[arg(long)]
    pub client_secret_file: Option<PathBuf>,
    /// Client-side rate limit, requests per second (Coupa allows 25): 0.1 to 1000.
    #[arg(long, default_value_t = 25.0, value_parser = per_second)]
    pub rate_limit: f64,
    /// Client-side burst size (Coupa allows 20): 1 to 1000.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub burst: u32,
    /// Give up talking to Coupa after this many seconds in all (1 to 86400): a slow or hung
    /// instance ends the run with a clear error instead of retrying for ever. Writes in flight
    /// are never cut off; no new ones start.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub deadline: u64,
}

impl ConnectionArgs {
    /// True when any connection setting was given (validate then checks names against Coupa).
    pub fn any_given(&self) -> bool {
        self.domain.is_some() || self.client_id.is_some()
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Folder of policy files: every .yaml or .yml file under it (any letter case) is read.
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the plan as JSON to this file (for `apply PLAN.json`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0 when none, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// GitHub annotations on stderr for policy problems and plan warnings (auto: under GitHub
    /// Actions, when GITHUB_ACTIONS=true).
    #[arg(long, value_enum, default_value_t = Annotations::Auto)]
    pub annotations: Annotations,
    /// Append the markdown report (also of a failure) to the file GITHUB_STEP_SUMMARY names
    /// (written whenever that variable is set).
    #[arg(long)]
    pub summary: bool,
    /// Plan offline against a saved snapshot (from `coupa-access snapshot`) instead of live Coupa.
    /// Such a plan is for review only: `apply` refuses it, since a snapshot does not prove which
    /// instance it came from.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// Plan only the targets whose meaning differs from the policy at git ref REF (a branch,
    /// tag or commit), and the people they affect; drift elsewhere is not shown. `auto`: the
    /// pull or merge request's base (GITHUB_BASE_REF, CI_MERGE_REQUEST_DIFF_BASE_SHA), or
    /// every target when there is none. The checkout needs that history (fetch-depth: 0).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan file from `plan --out`; without it, apply plans first and asks for confirmation.
    pub plan: Option<PathBuf>,
    /// Folder of policy YAML files; a plan file is applied only if these files, planned again
    /// against live Coupa, make exactly that plan.
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Apply without asking (needed when not on a terminal, e.g. in CI).
    #[arg(long)]
    pub auto_approve: bool,
    /// Accept a plan over the removal guards in settings; must equal the plan's number of removals.
    #[arg(long, value_name = "N")]
    pub allow_removals: Option<usize>,
    /// Append the apply report to the file GITHUB_STEP_SUMMARY names (written whenever that
    /// variable is set).
    #[arg(long)]
    pub summary: bool,
    /// Membership writes in flight at once (all under the shared rate limiter): 1 to 64.
    #[arg(long, default_value_t = 4, value_parser = concurrency)]
    pub concurrency: usize,
    #[command(flatten)]
    pub evidence: ReceiptArgs,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The clear-then-set journal: a role removal (or a group removal through the user) records
    /// the user's list here, sealed with a key derived from the client secret, before clearing
    /// it. Entries left by an interrupted apply appear in the plan as restores. Default: a file
    /// per instance under $XDG_STATE_HOME/coupa-access (or ~/.local/state/coupa-access), outside
    /// the repository. A journal tracked by git, a symlink or a large file is refused.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Folder of policy YAML files.
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Check names against a saved snapshot instead of live Coupa.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Folder of policy YAML files (every *.yaml under it is read).
    #[arg(long, default_value = "policies")]
    pub policies: PathBuf,
    /// Output format on stdout (json is versioned and complete; text and markdown cap long lists).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 2 when there is drift that apply would change (0 when none, 1 on error). Drift apply
    /// leaves alone (reported-only kinds, protected users, kept owners) is listed, not counted.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// With --detailed-exitcode, exit 2 for any drift, including what apply leaves alone.
    #[arg(long, requires = "detailed_exitcode")]
    pub count_unapplied: bool,
    /// Report against a saved snapshot (from `coupa-access snapshot`) instead of live Coupa.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// Append the markdown drift report to the file GITHUB_STEP_SUMMARY names (written whenever
    /// that variable is set).
    #[arg(long)]
    pub summary: bool,
    /// Also list memberships created since this date (YYYY-MM-DD or RFC 3339), in any group.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// With --since: apply receipts whose re-created memberships (a clear-then-set keeps the
    /// user's other groups under new ids) are not listed as new. Each must verify.
    #[arg(long, value_name = "RECEIPT", num_args = 1.., requires = "since")]
    pub receipts: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Whether to print GitHub workflow-command annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Annotations {
    /// Under GitHub Actions (GITHUB_ACTIONS=true).
    Auto,
    /// Always, as `::error file=…,line=…::message` lines.
    Github,
    /// Never.
    None,
}

/// Mode written into exported policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportMode {
    /// Members not listed are removed (the policy default).
    Authoritative,
    /// Listed members are added; nobody is removed.
    Additive,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Folder to write groups.yaml, roles.yaml and licenses.yaml into (created if missing).
    #[arg(long, default_value = "policies")]
    pub out_dir: PathBuf,
    /// Groups to export, by name pattern (`*` any run of characters, `?` one; case-insensitive).
    /// Default: every group.
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub groups: Vec<String>,
    /// Roles to export, by name pattern (`*` for all). Default: none.
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub roles: Vec<String>,
    /// Licenses to export, by key pattern (`expense`, `*` for all). Default: none.
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub licenses: Vec<String>,
    /// Mode written for every exported group, role and license.
    #[arg(long, value_enum, default_value_t = ExportMode::Authoritative)]
    pub mode: ExportMode,
    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,
    /// Export offline from a saved snapshot (from `coupa-access snapshot`) instead of live Coupa.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Formats for `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// For people at a terminal.
    Text,
    /// For pull-request comments.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file from `plan --out`.
    pub plan: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where to write the snapshot JSON (`-` for standard output).
    #[arg(long)]
    pub out: PathBuf,
    /// Do not read roles (`/api/roles`, scope core.common.read), for a client without that
    /// scope: the snapshot records "roles_read": false, and plans of roles refuse it.
    #[arg(long)]
    pub no_roles: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Tenant to serve: a snapshot JSON file (default: the built-in sample tenant).
    #[arg(long)]
    pub tenant: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// OAuth2 client id the sandbox accepts.
    #[arg(long, default_value = "sandbox-client")]
    pub client_id: String,
    /// OAuth2 client secret the sandbox accepts (a rehearsal value, not a real secret).
    #[arg(long, default_value = "sandbox-secret")]
    pub client_secret: String,
    /// Scopes granted to the client (space-separated); default: all read and write scopes.
    #[arg(long)]
    pub scopes: Option<String>,
    /// Server-side rate limit, requests per second: 0.1 to 1000.
    #[arg(long, default_value_t = 25.0, value_parser = per_second)]
    pub rate: f64,
    /// Server-side burst: 1 to 100000.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub burst: u32,
    /// Latency added to every API answer, in milliseconds (at most 600000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub latency_ms: u64,
    /// Fraction (0 to 1) of API requests answered with --error-status (seeded, reproducible).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub error_rate: f64,
    /// Status used for injected errors (500 or 503).
    #[arg(long, default_value_t = 503, value_parser = error_status)]
    pub error_status: u16,
    /// Seed for injected faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Retry-After seconds sent with 429 answers (at most 86400).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub retry_after: u64,
    /// Send 429 answers without a Retry-After header.
    #[arg(long)]
    pub no_retry_after: bool,
    /// Token lifetime in seconds (short values make tokens expire mid-run; at most ten years).
    #[arg(long, default_value_t = 86399, value_parser = clap::value_parser!(u64).range(0..=315_360_000))]
    pub token_lifetime: u64,
    /// Refuse tokens younger than this many seconds with 401, as Coupa may in the first
    /// seconds after issuing one.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub token_warmup: u64,
    /// Send this exact text as Retry-After with 429 answers (hostile values for rehearsals).
    #[arg(long, value_name = "TEXT")]
    pub retry_after_raw: Option<String>,
    /// Quote each request (headers, body) back in error answers, as a careless proxy might.
    #[arg(long)]
    pub echo_requests: bool,
    /// Answer membership DELETE with 405, like a tenant that does not allow it.
    #[arg(long)]
    pub disable_delete: bool,
    /// Answer membership DELETE with this status (400, 403, 409 or 422) and delete nothing: a
    /// tenant refusing in other words than 405.
    #[arg(long, value_name = "STATUS", value_parser = refusal_status)]
    pub refuse_delete: Option<u16>,
    /// Drain the rate-limit bucket one request per 1/rate seconds, the first step this many
    /// milliseconds after start (a server clock out of step with the client's; at most 60000).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub bucket_phase_ms: Option<u64>,
    /// Ignore `[in]` filters in list queries and answer the unfiltered list, as a server
    /// without the operator might.
    #[arg(long)]
    pub ignore_in_filters: bool,
    /// Fraction (0 to 1) of API writes (not GETs) answered with --error-status.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    pub write_error_rate: f64,
    /// Fail the next N user updates that follow a clear of the same user's roles or groups (a
    /// failure between the two writes of a clear-then-set).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub fail_set_after_clear: u32,
    /// Let purchasing and contracts be revoked like every other license (by default, as Coupa
    /// has been seen to, setting them false keeps them).
    #[arg(long)]
    pub revocable_licenses: bool,
    /// Answer `user_group_id[in]=` membership queries with the first group's rows only (the
    /// other groups look empty).
    #[arg(long)]
    pub membership_in_first_only: bool,
    /// Refuse every `[in]` filter with 400, as a server without the operator might.
    #[arg(long)]
    pub reject_in_filters: bool,
    /// Ignore `id[lt_or_eq]` in list queries (id-range reads run past their upper bound).
    #[arg(long)]
    pub ignore_id_upper_bound: bool,
    /// Leave this key out of every user record even when asked for (`expense-user`, `roles`);
    /// repeat for several.
    #[arg(long, value_name = "KEY")]
    pub omit_user_field: Vec<String>,
    /// Refuse (400) every membership created for this user id, as Coupa refuses a create it
    /// will not make; repeat for several.
    #[arg(long, value_name = "USER_ID")]
    pub reject_member: Vec<u64>,
    /// Answer the user updates that --fail-set-after-clear fails with this status instead of
    /// 500: a 4xx (e.g. 422) is a definitive refusal, which the client does not resend.
    #[arg(long, default_value_t = 500, value_name = "STATUS", value_parser = clap::value_parser!(u16).range(400..=599))]
    pub fail_set_after_clear_status: u16,
    /// Leave `user-groups` out of every user record even when asked for.
    #[arg(long)]
    pub hide_user_groups: bool,
    /// Leave this group or project id out of every user's `user-groups` (a partial view; the
    /// membership rows still show it); repeat for several.
    #[arg(long, value_name = "GROUP_ID")]
    pub user_groups_omit: Vec<u64>,
    /// Accept a clear of `roles`/`user-groups` spelled this way and change nothing (which of
    /// `[]` and `null` Coupa honours is not documented); repeat for both.
    #[arg(long, value_enum, value_name = "SPELLING")]
    pub ignore_clear: Vec<ClearSpellingArg>,
    /// Refuse (400) every update of this user id, changing nothing; repeat for several.
    #[arg(long, value_name = "USER_ID")]
    pub reject_user_update: Vec<u64>,
    /// Grant tokens with only the asked scopes the client has (see --scopes), silently leaving
    /// out the rest instead of refusing the token request, as some OAuth2 servers do; writes
    /// needing a missing scope are then answered 403.
    #[arg(long)]
    pub lenient_scopes: bool,
    /// Answer a request whose token lacks the needed scope with 401 instead of 403.
    #[arg(long)]
    pub missing_scope_401: bool,
    /// Refuse a token request for a scope the client lacks without saying which scope.
    #[arg(long)]
    pub vague_invalid_scope: bool,
}

/// A clear spelling for `sandbox --ignore-clear`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClearSpellingArg {
    // `{"roles": []}` (no doc comment: per-value help would reflow the whole help text)
    EmptyList,
    // `{"roles": null}`
    Null,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder of policy YAML files to plan [default: ./policies when it exists, else the
    /// example policies built into coupa-access].
    #[arg(long)]
    pub policies: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A rate in requests per second: a finite number from 0.1 to 1000 (`0`, `NaN` or `1e-300`
/// would stall or crash the limiter).
fn per_second(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.1..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "`{s}` is out of range: give 0.1 to 1000 requests per second"
        ))
    }
}

/// A fraction from 0 to 1.
fn fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "`{s}` is out of range: give a fraction from 0 to 1"
        ))
    }
}

/// Writes in flight: 1 to 64.
fn concurrency(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is out of range: give 1 to 64")),
    }
}

/// A DELETE refusal status: 400, 403, 409 or 422.
fn refusal_status(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(n @ (400 | 403 | 409 | 422)) => Ok(n),
        _ => Err(format!("`{s}`: give 400, 403, 409 or 422")),
    }
}

/// An injected error status: 500 or 503.
fn error_status(s: &str) -> Result<u16, String> {
    match s.trim() {
        "500" => Ok(500),
        "503" => Ok(503),
        _ => Err(format!("`{s}`: injected errors are 500 or 503")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
