//! `coupa-access report access`: who holds what, the policy line that grants it and the git
//! commit that introduced that line, and what is held outside policy. Reads live Coupa or a
//! snapshot; with `--as-of`, the policy of a past commit alone.

use std::collections::BTreeMap;
use std::path::Path;

use miette::IntoDiagnostic;

use super::common;
use super::Output;
use crate::cli_report::ReportArgs;
use crate::cli_report::{AccessArgs, ReportCommand, ReportFormat};
use crate::git::Git;
use coupa_access_client::{Access, ReadScope};
use coupa_access_core::bind::bind_listings;
use coupa_access_core::index::{Listings, LiveIndex};
use coupa_access_core::report::{self, AccessReport, Blame, History, Options, Provenance, Source};

pub async fn run(args: ReportArgs, out: Output) -> miette::Result<i32> {
    match args.report {
        ReportCommand::Access(args) => access(args, out).await,
    }
}

async fn access(args: AccessArgs, out: Output) -> miette::Result<i32> {
    let now = common::now();
    let generated_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let git = Git::new(&args.policies);
    let (history, boundaries) = git.history();
    let report = match &args.as_of {
        Some(date) => as_of(&args, &git, date, history, generated_at)?,
        None => {
            let mut report = holders(&args, out, history, generated_at, now).await?;
            attach(&mut report, &git, &args.policies, &boundaries);
            report
        }
    };
    super::emit(&match args.format {
        ReportFormat::Markdown => report::markdown(&report),
        ReportFormat::Csv => report::csv(&report),
        ReportFormat::Json => report::json(&report),
    })?;
    Ok(0)
}

/// The report of who holds what now (live, or in a snapshot).
async fn holders(
    args: &AccessArgs,
    out: Output,
    history: History,
    generated_at: String,
    now: chrono::DateTime<chrono::Utc>,
) -> miette::Result<AccessReport> {
    let desired = common::load_policies(&args.policies)?;
    // `--all` lists roles the policy does not name: they are read then too.
    let needs_roles = common::needs_roles(&desired) || args.all;
    let (live, source, completeness) = match &args.snapshot {
        Some(path) => {
            let (live, meta, completeness) = common::read_snapshot_checked(path)?;
            common::snapshot_has_roles(path, &meta, needs_roles)?;
            let source = Source::Snapshot {
                file: path.display().to_string(),
                instance: meta.domain,
                taken_at: meta.taken_at,
            };
            (live, source, completeness)
        }
        None => {
            let mut client =
                common::connect_reading_roles(&args.connection, Access::Read, needs_roles)?;
            let live = common::read_live(&mut client, &ReadScope::Everything, out).await?;
            let completeness = coupa_access_core::snapshot::Completeness::LiveRead {
                listings: crate::snapshot_manifest::listings(&client),
            };
            let source = Source::Live {
                instance: client.domain().to_string(),
            };
            (live, source, completeness)
        }
    };
    common::check_against_live(&desired, &live)?;
    let ix = LiveIndex::new(&live);
    let bound =
        bind_listings(&Listings::new(&desired, &ix).on(now.date_naive())).into_diagnostic()?;
    Ok(report::from_bound(
        &bound,
        Options {
            source,
            generated_at,
            history,
            completeness: Some(completeness),
            all: args.all,
        },
    ))
}

/// What the policy granted as of `date`: the policy files at the last commit made by then.
fn as_of(
    args: &AccessArgs,
    git: &Git,
    date: &str,
    history: History,
    generated_at: String,
) -> miette::Result<AccessReport> {
    let (day, before) = parse_as_of(date)?;
    if let History::Unavailable { why } = &history {
        miette::bail!(
            help = "--as-of reads the policy from git history; run it in the policy repository",
            "--as-of {date}: {why}"
        );
    }
    let Some((commit, commit_date)) = git
        .commit_before(&before)
        .map_err(|e| miette::miette!("{e}"))?
    else {
        miette::bail!(
            help = if matches!(history, History::Shallow { .. }) {
                "this is a shallow clone: fetch the history with `git fetch --unshallow`"
            } else {
                "pick a date on or after the policy repository's first commit"
            },
            "--as-of {date}: no commit on HEAD was made by then"
        );
    };
    let base = crate::policy_dir::shown_base(&args.policies);
    let files = crate::git::policy_files_at(&args.policies, &commit, &base)
        .map_err(|e| miette::miette!("{e}"))?;
    let rel: BTreeMap<String, String> = files
        .iter()
        .map(|(f, rel)| (f.path.clone(), rel.clone()))
        .collect();
    let desired =
        coupa_access_core::policy::load_files(files.into_iter().map(|(f, _)| f).collect())
            .map_err(miette::Report::new)?;
    let boundaries = match &history {
        History::Shallow { boundaries, .. } => boundaries.clone(),
        _ => Vec::new(),
    };
    let mut report = report::as_of(
        &desired,
        day,
        Options {
            source: Source::PolicyAsOf {
                date: date.to_string(),
                commit: commit.clone(),
                commit_date,
            },
            generated_at,
            history,
            completeness: None,
            all: false,
        },
    );
    let blames = blame_files(
        git,
        report.policy_files(),
        |f| rel.get(f).cloned(),
        Some(&commit),
    );
    attach_blames(&mut report, git, &blames, &boundaries, &commit);
    Ok(report)
}

/// `--as-of`'s day (for `until`) and the moment git's `--before` is given.
fn parse_as_of(text: &str) -> miette::Result<(chrono::NaiveDate, String)> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok((day, format!("{day}T23:59:59Z")));
    }
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok((
            t.with_timezone(&chrono::Utc).date_naive(),
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )),
        Err(_) => miette::bail!(
            help = "for example --as-of 2026-01-31",
            "--as-of {text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"
        ),
    }
}

/// Provenance for every row of a report of the work tree.
fn attach(report: &mut AccessReport, git: &Git, policies: &Path, boundaries: &[String]) {
    if let History::Unavailable { why } = &report.history {
        let why = why.clone();
        report.attach(|_, _| Provenance::Unavailable { why: why.clone() });
        return;
    }
    let base = crate::policy_dir::shown_base(policies);
    let rel = |file: &str| -> Option<String> {
        if base.is_empty() {
            Some(file.to_string())
        } else {
            file.strip_prefix(&format!("{base}/")).map(str::to_string)
        }
    };
    let blames = blame_files(git, report.policy_files(), rel, None);
    let tip = match &report.history {
        History::Complete { head } | History::Shallow { head, .. } => head.clone(),
        History::Unavailable { .. } => String::new(),
    };
    attach_blames(report, git, &blames, boundaries, &tip);
}

/// Each file's blame (`Ok(None)`: not tracked yet), or why git could not say.
type Blames = BTreeMap<String, Result<Option<Blame>, String>>;

fn blame_files(
    git: &Git,
    files: Vec<String>,
    rel: impl Fn(&str) -> Option<String>,
    rev: Option<&str>,
) -> Blames {
    files
        .into_iter()
        .map(|f| {
            let blame = match rel(&f) {
                Some(r) => git.blame(&r, rev),
                None => Err(format!("{f} is not under the policy folder")),
            };
            (f, blame)
        })
        .collect()
}

/// Joins the blames into the report, with the merge that brought each commit in (looked up
/// once per commit).
fn attach_blames(
    report: &mut AccessReport,
    git: &Git,
    blames: &Blames,
    boundaries: &[String],
    tip: &str,
) {
    let mut merges: BTreeMap<String, Option<coupa_access_core::report::MergeInfo>> =
        BTreeMap::new();
    report.attach(|file, line| {
        let p = match blames.get(file) {
            Some(Ok(Some(b))) => b.provenance(line, boundaries),
            Some(Ok(None)) => Provenance::Uncommitted,
            Some(Err(why)) => Provenance::Unavailable { why: why.clone() },
            None => Provenance::Unavailable {
                why: "not blamed".into(),
            },
        };
        match p {
            Provenance::Commit(mut c) => {
                let merge = merges
                    .entry(c.sha.clone())
                    .or_insert_with(|| git.merge_of(&c.sha, tip))
                    .clone();
                if let Some(m) = merge {
                    c.merged_by(m);
                }
                Provenance::Commit(c)
            }
            other => other,
        }
    });
}
