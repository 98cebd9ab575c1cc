//! `coupa-access plan`: diff policy against live Coupa (or a snapshot) and print the plan.

use super::common::{self, load_policies, make_plan, render_plan};
use super::{Output, EXIT_CHANGES};
use crate::cli::{Format, PlanArgs};
use crate::report;
use coupa_access_client::Access;
use coupa_access_core::model::{Origin, Plan};

/// Plans; when that fails, the failure still reaches the pull request: as a markdown or JSON
/// error document on stdout (per `--format`), as annotations, and in the step summary.
pub async fn run(args: PlanArgs, out: Output) -> miette::Result<i32> {
    let annotate = report::annotate(args.annotations);
    match plan(&args, out).await {
        Ok(plan) => {
            if annotate {
                report::annotate_warnings(&plan.warnings);
            }
            report::append_summary(args.summary, || {
                coupa_access_core::render::markdown(&plan, crate::cli_words::cli_words())
            })?;
            // Only what apply would write counts: reported-only role and license rows do not.
            Ok(if args.detailed_exitcode && plan.has_applied_changes() {
                EXIT_CHANGES
            } else {
                0
            })
        }
        Err(e) => {
            let errors = report::errors_of(&e);
            match args.format {
                Format::Markdown => super::emit(&report::error_markdown("plan", &errors))?,
                Format::Json => super::emit(&report::error_json(&errors))?,
                Format::Text => {}
            }
            if annotate {
                report::annotate_errors(&errors);
            }
            report::append_summary(args.summary, || report::error_markdown("plan", &errors))?;
            Err(e)
        }
    }
}

/// Loads, reads, plans and prints the plan (and writes `--out`).
async fn plan(args: &PlanArgs, out: Output) -> miette::Result<Plan> {
    // Where the time goes, at debug level (`-v`): large tenants plan in about a second.
    let started = std::time::Instant::now();
    let lap = |step: &str| tracing::debug!(ms = started.elapsed().as_millis(), "{step}");
    // A snapshot is read on a second thread while the policy loads: on a 100k-user tenant
    // each takes about a quarter of a second. The policy's errors come first, as before.
    let (desired, snapshot) = std::thread::scope(|s| {
        let snapshot = args
            .snapshot
            .as_deref()
            .map(|path| s.spawn(move || common::read_snapshot(path)));
        let desired = load_policies(&args.policies);
        let snapshot = snapshot.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (desired, snapshot)
    });
    let desired = desired?;
    lap("policies loaded");
    // --changed-since: the policy at REF decides which targets are read and planned.
    let changed = args
        .changed_since
        .as_deref()
        .map(|spec| crate::changed_since::prepare(spec, &args.policies, &desired))
        .transpose()?;
    let (live, origin) = match (&args.snapshot, snapshot) {
        // A snapshot does not prove which instance it came from, so its plan names the
        // snapshot, never an instance: apply refuses it (plan against the instance to apply).
        (Some(path), Some(read)) => {
            let (live, meta) = read?;
            common::snapshot_has_roles(path, &meta, common::needs_roles(&desired))?;
            let taken_at = meta
                .taken_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
            (
                live,
                Origin::Snapshot {
                    path: path.display().to_string(),
                    domain: meta.domain,
                    taken_at,
                },
            )
        }
        _ => {
            let domain = args.connection.domain.clone().unwrap_or_default();
            // No state directory and no --journal: no journal to read (apply needs one; a plan
            // does not).
            let journal_path = match &args.journal.journal {
                Some(_) => Some(crate::journal::path(&args.journal, &domain)?),
                None => crate::journal::path(&args.journal, &domain).ok(),
            };
            // Only a journal that is there is read.
            let journal_path = journal_path.filter(|p| crate::journal::exists(p));
            let journal_exists = journal_path.is_some();
            // Restored roles are named in the plan: read roles when a journal may hold some.
            let read_roles = common::needs_roles(&desired) || journal_exists;
            let mut client =
                common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
            let loaded = journal_path
                .as_deref()
                .map(|p| crate::journal::read(p, &client))
                .transpose()?;
            let origin = Origin::Instance {
                domain: client.domain().to_string(),
            };
            // A --changed-since plan reads only what its changed targets need; any other plan
            // that would read everything anyway takes the full read (GraphQL when it proves
            // itself).
            let (live, full) = if changed.is_none()
                && common::plan_reads_full(&desired, args.connection.read_path)
            {
                // Without GraphQL, the plan's own read, which takes each part scoped or in
                // full, whichever costs fewer requests (the client's `choose`).
                let scope = common::plan_scope(&desired);
                let mut read = super::full_read::read_or(&mut client, &scope, out).await?;
                // Removals show membership ids: those rows are read by REST (placeholders
                // until then); a plan that cannot be made is reported below.
                // Only the ids are kept from the first plan (dropped before the reads).
                let shown = coupa_access_core::plan::make(
                    &desired,
                    &read.live,
                    origin.clone(),
                    common::now(),
                    crate::cli_words::cli_words(),
                )
                .ok()
                .map(|first| super::full_read::plan_ids(&first.plan));
                if let Some(ids) = shown {
                    super::full_read::complete(&client, &mut read, ids).await?;
                }
                let live = read.take_live();
                (live, Some(read))
            } else {
                let scope = match &changed {
                    Some(c) => c.read_scope(&desired),
                    None => common::plan_scope(&desired),
                };
                (common::read_live(&mut client, &scope, out).await?, None)
            };
            lap("live state read");
            let (desired, scope) = narrow(changed, desired, &live);
            let planned = make_plan(&desired, &live, origin)?;
            if let Some(read) = &full {
                super::full_read::none_left(read, super::full_read::plan_ids(&planned.plan))?;
            }
            let plan = match &loaded {
                Some(loaded) => {
                    crate::journal::fold_into(planned, loaded, &client, &live)
                        .await?
                        .0
                }
                None => planned.plan,
            };
            let plan = Plan { scope, ..plan };
            return finish(args, plan, live, desired, out);
        }
    };
    lap("live state read");
    let (desired, scope) = narrow(changed, desired, &live);
    let plan = Plan {
        scope,
        ..make_plan(&desired, &live, origin)?.plan
    };
    finish(args, plan, live, desired, out)
}

/// The policy a `--changed-since` plan plans (only the targets whose meaning changed) and the
/// scope it records; without the flag, the whole policy.
fn narrow(
    changed: Option<crate::changed_since::Prepared>,
    desired: coupa_access_core::model::Desired,
    live: &coupa_access_core::model::Live,
) -> (
    coupa_access_core::model::Desired,
    Option<coupa_access_core::model::PlanScope>,
) {
    match changed {
        Some(c) => {
            let (desired, scope) = c.narrow(desired, live, common::now().date_naive());
            (desired, Some(scope))
        }
        None => (desired, None),
    }
}

/// Prints the plan (and writes `--out`) while the tenant and policy are freed.
fn finish(
    args: &PlanArgs,
    plan: Plan,
    live: coupa_access_core::model::Live,
    desired: coupa_access_core::model::Desired,
    out: Output,
) -> miette::Result<Plan> {
    let started = std::time::Instant::now();
    let lap = |step: &str| tracing::debug!(ms = started.elapsed().as_millis(), "{step}");
    lap("planned");
    // The plan holds what rendering needs: the tenant and the policy are freed on another
    // thread while the output is built (on 100k users freeing them takes ~50 ms).
    let freed = std::thread::spawn(move || drop((live, desired)));
    let printed = print_plan(args, &plan, out);
    let _ = freed.join();
    printed?;
    lap("plan printed");
    Ok(plan)
}

/// Writes `--out` and prints the plan.
fn print_plan(args: &PlanArgs, plan: &Plan, out: Output) -> miette::Result<()> {
    if let Some(path) = &args.out {
        crate::out_file::write(path, &coupa_access_core::render::json(plan))?;
        say!("Plan written to {}", path.display());
    }
    super::emit(&render_plan(plan, args.format, out.stdout_color))
}
