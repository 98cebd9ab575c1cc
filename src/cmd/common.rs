//! Steps several commands share: loading policies, connecting, reading live state, planning and
//! printing the plan.

use std::path::Path;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use miette::{IntoDiagnostic, Report, WrapErr};

use super::Output;
use crate::cli::{ConnectionArgs, Format, ReadPathArg};
use coupa_access_client::{
    Access, Client, ClientOptions, Connection, ReadPath, ReadProgress, ReadScope,
};
use coupa_access_core::model::{Desired, Live, Origin, Plan};
use coupa_access_core::plan::{self, PlanFailure};
use coupa_access_core::policy::{self, PolicyDiagnostic};
use coupa_access_core::render;
use coupa_access_core::snapshot::SnapshotMeta;

/// Problems found when checking policy names against live Coupa, reported together.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{} problem(s) in the policy files when checked against Coupa", .diagnostics.len())]
pub struct LiveCheckFailed {
    #[related]
    pub diagnostics: Vec<PolicyDiagnostic>,
}

/// A plan that would create separation-of-duties conflicts, each named with its policy lines.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("plan refused: it would create {} separation-of-duties conflict(s)", .diagnostics.len())]
pub struct SodRefused {
    #[related]
    pub diagnostics: Vec<PolicyDiagnostic>,
}

/// Reads and validates the policy folder; every problem is reported at once. Files that are not
/// policy files are named on stderr, and so is a folder with no policy files at all.
pub fn load_policies(dir: &Path) -> miette::Result<Desired> {
    let (desired, ignored) = crate::policy_dir::load(dir).map_err(Report::new)?;
    for path in &ignored {
        say!(
            "note: ignoring {}: policy files end in .yaml or .yml",
            render::printable_str(path)
        );
    }
    if desired.files.is_empty() {
        say!(
            "warning: {} holds no policy files (*.yaml, *.yml): nothing is managed",
            render::printable_str(&dir.display().to_string())
        );
    }
    Ok(desired)
}

/// Whether reading live state for `desired` needs `/api/roles` (and its scope): only when the
/// policy declares a role, in `roles:` or `users:`, or a separation-of-duties rule names one.
pub fn needs_roles(desired: &Desired) -> bool {
    !desired.roles.is_empty()
        || desired
            .sod_rules
            .iter()
            .flat_map(|r| r.sides.iter().flat_map(|s| s.targets.iter()))
            .any(|(kind, _, _)| *kind == coupa_access_core::model::Kind::Role)
}

/// Whether apply writes through the user update (and so asks for `core.user.write`): the
/// policy writes roles or licenses and declares some, removes group members through
/// `user-groups`, or a journal left by an earlier run may hold something to restore.
pub fn writes_users(desired: &Desired, journal_exists: bool) -> bool {
    let w = &desired.settings.writes;
    (w.applies(coupa_access_core::model::Kind::Role) && !desired.roles.is_empty())
        || (w.applies(coupa_access_core::model::Kind::License) && !desired.licenses.is_empty())
        || desired.settings.group_removals == coupa_access_core::model::GroupRemovals::UserGroups
        || journal_exists
}

/// Builds a client from flags and environment, reading roles (and asking for their scope,
/// core.common.read) only when `read_roles`. The secret comes only from a file or the
/// environment, never from a flag value (see `secret`); client errors become diagnostics
/// naming the flags (see `errors`).
pub fn connect_reading_roles(
    args: &ConnectionArgs,
    access: Access,
    read_roles: bool,
) -> miette::Result<Client> {
    let domain = args.domain.as_deref().ok_or_else(|| {
        miette::miette!(
            help = "pass --domain https://YOUR-ORG.coupahost.com or set COUPA_DOMAIN",
            "no Coupa instance given"
        )
    })?;
    let client_id = args.client_id.as_deref().ok_or_else(|| {
        miette::miette!(
            help = "pass --client-id or set COUPA_CLIENT_ID (from Coupa's OAuth2/OpenID Connect Clients page)",
            "no OAuth2 client id given"
        )
    })?;
    let secret = crate::secret::resolve(args.client_secret_file.as_deref())?;
    let conn = Connection::new(domain, client_id, secret).map_err(crate::errors::report_config)?;
    let opts = ClientOptions {
        burst: args.burst,
        per_second: args.rate_limit,
        read_roles,
        deadline: Some(std::time::Duration::from_secs(args.deadline)),
        read_path: match args.read_path {
            ReadPathArg::Auto => ReadPath::Auto,
            ReadPathArg::Rest => ReadPath::Rest,
            ReadPathArg::Graphql => ReadPath::Graphql,
        },
        ..ClientOptions::default()
    };
    Client::new(conn, access, opts).map_err(crate::errors::report)
}

/// What a plan needs from Coupa: every group and role, memberships only of the groups the
/// policy manages (the planner never looks at others) and only the users it names or finds in
/// them (every user when it manages a role or license authoritatively), which on a large tenant
/// saves most requests.
pub fn plan_scope(desired: &Desired) -> ReadScope {
    ReadScope::for_plan(desired)
}

/// Whether a plan reads everything (through [`full_read`](super::full_read), GraphQL when it
/// proves itself) instead of its scoped read: when the scoped read would read every user
/// anyway (an authoritative role or license), or name more identities than a full user read
/// costs pages, or `--read-path graphql` asks for it. This is the one place the choice is
/// made; a finer cost model replaces it here.
pub fn plan_reads_full(desired: &Desired, path: ReadPathArg) -> bool {
    // With `rest` the full-read path reads the plan's own scope (scoped or full per part, by
    // the client's cost model).
    path == ReadPathArg::Graphql
        || match coupa_access_core::plan::UsersNeeded::of(desired) {
            coupa_access_core::plan::UsersNeeded::All => true,
            coupa_access_core::plan::UsersNeeded::Named(names) => names.len() > MANY_NAMES,
        }
}

/// Identities whose by-name batches cost about what a full user read does, on a tenant large
/// enough for the difference to matter.
const MANY_NAMES: usize = 2_000;

/// Reads live state, with a progress bar when stderr is a terminal and a line about every ten
/// seconds when it is not.
pub async fn read_live(
    client: &mut Client,
    scope: &ReadScope,
    out: Output,
) -> miette::Result<Live> {
    let bar = start_progress(client, out);
    let live = client.read_live_scoped(scope).await;
    let live = read_done(bar, client.domain(), live)?;
    tracing::debug!(
        users = live.users.len(),
        groups = live.groups.len(),
        memberships = live.memberships.len(),
        "read live state"
    );
    Ok(live)
}

/// Shows read progress: a bar when stderr is a terminal, a line about every ten seconds when
/// it is not. Hand the result to [`finish_progress`].
pub fn start_progress(client: &mut Client, out: Output) -> Option<ProgressBar> {
    let bar = out.stderr_is_terminal.then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} reading Coupa: {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    if let Some(bar) = bar.clone() {
        let counts = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
        client.set_progress(Arc::new(move |p: ReadProgress| {
            let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
            counts.insert(p.resource, p.fetched);
            let msg = counts
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect::<Vec<_>>()
                .join(", ");
            bar.set_message(msg);
        }));
    }
    if bar.is_none() {
        // No terminal (a CI log): a line about every ten seconds instead of a bar.
        let beat = std::sync::Mutex::new(crate::heartbeat::Heartbeat::new(
            std::time::Instant::now(),
            crate::heartbeat::INTERVAL,
        ));
        client.set_progress(Arc::new(move |p: ReadProgress| {
            let mut beat = beat.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(line) = beat.record(p.resource, p.fetched, std::time::Instant::now()) {
                say!("{line}");
            }
        }));
    }
    bar
}

/// Clears the bar [`start_progress`] drew.
/// Ends a read's progress and reports its failure as every read says it: Coupa's error, then
/// which instance could not be read.
pub fn read_done<T>(
    bar: Option<ProgressBar>,
    domain: &str,
    read: Result<T, coupa_access_client::CoupaError>,
) -> miette::Result<T> {
    finish_progress(bar);
    read.map_err(crate::errors::report)
        .wrap_err_with(|| format!("could not read live state from {domain}"))
}

pub fn finish_progress(bar: Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
}

/// Reads a snapshot file written by `coupa-access snapshot` (or a bare live-state JSON, as
/// earlier versions wrote and the sandbox's tenant files are), with where and when it was taken.
/// The file is fed to the core's reader in chunks, so its text is never held whole beside the
/// parsed state. Its content is held to its manifest (see `snapshot_manifest::check`).
pub fn read_snapshot(path: &Path) -> miette::Result<(Live, SnapshotMeta)> {
    read_snapshot_checked(path).map(|(live, meta, _)| (live, meta))
}

/// [`read_snapshot`], with how the snapshot's completeness is established.
pub fn read_snapshot_checked(
    path: &Path,
) -> miette::Result<(
    Live,
    SnapshotMeta,
    coupa_access_core::snapshot::Completeness,
)> {
    use std::io::Read as _;
    const CHUNK: usize = 256 * 1024;
    let cannot_read = || format!("cannot read snapshot {}", path.display());
    let not_snapshot = || format!("{} is not a coupa-access snapshot", path.display());
    let mut file = std::fs::File::open(path)
        .into_diagnostic()
        .wrap_err_with(cannot_read)?;
    let mut reader = coupa_access_core::snapshot::Reader::new();
    let mut chunk = vec![0; CHUNK];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).into_diagnostic().wrap_err_with(cannot_read),
        };
        reader
            .feed(&chunk[..n])
            .into_diagnostic()
            .wrap_err_with(not_snapshot)?;
    }
    let (live, meta) = reader
        .finish()
        .into_diagnostic()
        .wrap_err_with(not_snapshot)?;
    let completeness = crate::snapshot_manifest::check(path, &live, &meta)?;
    Ok((live, meta, completeness))
}

/// Refuses a snapshot taken without roles (`snapshot --no-roles`) for a command that needs
/// them: its empty role list would make every role look unknown, or none held.
pub fn snapshot_has_roles(path: &Path, meta: &SnapshotMeta, needed: bool) -> miette::Result<()> {
    if needed && meta.roles_read == Some(false) {
        miette::bail!(
            help = "take a snapshot with roles (without --no-roles; the client needs scope core.common.read)",
            "snapshot {} was taken without roles (\"roles_read\": false), and this needs them",
            path.display()
        );
    }
    Ok(())
}

/// Checks every policy name against live state. Warnings are printed to stderr; errors are
/// returned together.
pub fn check_against_live(desired: &Desired, live: &Live) -> miette::Result<()> {
    let report = policy::check(desired, live);
    print_warnings(report.warnings);
    if !report.errors.is_empty() {
        return Err(Report::new(LiveCheckFailed {
            diagnostics: report.errors,
        }));
    }
    Ok(())
}

fn print_warnings(warnings: Vec<PolicyDiagnostic>) {
    for warning in warnings {
        say!("{:?}", Report::new(warning));
    }
}

/// Makes the plan (the core's use case, on this binary's clock); the policy check's warnings
/// go to stderr with their source, before any error (they are taken out of what is returned).
pub fn make_plan(desired: &Desired, live: &Live, origin: Origin) -> miette::Result<plan::Planned> {
    let mut planned =
        plan::make(desired, live, origin, now(), crate::cli_words::cli_words()).map_err(refused)?;
    print_warnings(std::mem::take(&mut planned.diagnostics));
    Ok(planned)
}

/// The drift report of the policy against live state at `now` (the drift use case); the
/// check's warnings are printed, its errors returned together, as for a plan.
pub fn make_drift(
    desired: &Desired,
    live: &Live,
    since: Option<chrono::DateTime<chrono::FixedOffset>>,
    now: chrono::DateTime<chrono::Utc>,
) -> miette::Result<coupa_access_core::drift::DriftReport> {
    let drifted = coupa_access_core::drift::make(desired, live, since, now).map_err(refused)?;
    print_warnings(drifted.diagnostics);
    Ok(drifted.report)
}

/// Why no plan or drift report was made, for the terminal (the check's warnings first).
fn refused(failure: PlanFailure) -> Report {
    match failure {
        PlanFailure::Check { errors, warnings } => {
            print_warnings(warnings);
            Report::new(LiveCheckFailed {
                diagnostics: errors,
            })
        }
        PlanFailure::Sod { errors, warnings } => {
            print_warnings(warnings);
            Report::new(SodRefused {
                diagnostics: errors,
            })
        }
        PlanFailure::Plan(e) => miette::miette!("{e}"),
    }
}

/// The clock: `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) when
/// set, so golden outputs and reproducible reports carry a fixed time; otherwise now.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now)
}

/// Renders the plan in the chosen format.
pub fn render_plan(plan: &Plan, format: Format, color: bool) -> String {
    match format {
        Format::Text => render::text(
            plan,
            if color {
                render::Color::Always
            } else {
                render::Color::Never
            },
            crate::cli_words::cli_words(),
        ),
        Format::Json => render::json(plan),
        Format::Markdown => render::markdown(plan, crate::cli_words::cli_words()),
    }
}
