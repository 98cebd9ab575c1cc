//! `coupa-access apply`: plan (a saved plan must equal the fresh plan), guard, confirm, write,
//! verify; Ctrl-C stops issuing writes and reports.

use std::io::IsTerminal;

use miette::IntoDiagnostic;

use super::common::{self, load_policies, make_plan, render_plan};
use super::Output;
use crate::cli::{ApplyArgs, Format};
use crate::cli_words::cli_words;
use crate::receipt::Recorder;
use coupa_access_client::apply::{self, ApplyOptions};
use coupa_access_client::Access;
use coupa_access_core::evidence::Status;
use coupa_access_core::model::{Origin, Plan};

pub async fn run(args: ApplyArgs, out: Output) -> miette::Result<i32> {
    let receipt = Recorder::start(
        &args.evidence,
        &args.policies,
        args.connection.domain.as_deref(),
        args.plan.as_deref(),
    );
    let result = apply(args, out, &receipt).await;
    // A receipt is written however the run ended; an error of the run is the one reported.
    match (receipt.finish(&result), result) {
        (Err(e), Ok(_)) => Err(e),
        (Err(e), Err(run)) => {
            say!("{e:?}");
            Err(run)
        }
        (Ok(()), result) => result,
    }
}

async fn apply(args: ApplyArgs, out: Output, receipt: &Recorder) -> miette::Result<i32> {
    receipt.approvals_valid()?;
    // Policies first: whether roles are read (and their scope asked for) depends on them.
    let desired = load_policies(&args.policies)?;
    let domain = args.connection.domain.clone().unwrap_or_default();
    let journal_path = crate::journal::path(&args.journal, &domain)?;
    crate::journal::refuse_tracked(&journal_path)?;
    let journal_exists = crate::journal::exists(&journal_path);
    // Restored roles are named in the plan: read roles when a journal may hold some.
    let read_roles = common::needs_roles(&desired) || journal_exists;
    let access = if common::writes_users(&desired, journal_exists) {
        Access::ReadWriteUsers
    } else {
        Access::ReadWrite
    };
    let mut client = common::connect_reading_roles(&args.connection, access, read_roles)?;
    receipt.instance(client.domain());
    // Held for the whole run: one apply at a time per journal. Nothing in it is applied here:
    // what it may give back becomes part of the plan, shown and confirmed like any change.
    let (journal, loaded) = apply::Journal::open(
        &journal_path,
        client.domain(),
        client.journal_key(),
        chrono::Utc::now(),
    )
    .into_diagnostic()?;
    let journal = std::sync::Arc::new(journal);
    // A saved plan is only a claim of what was reviewed: cheap checks first (instance, shape),
    // then it must equal the fresh plan made below, which is the one applied.
    let saved = args
        .plan
        .as_deref()
        .map(|p| crate::plan_file::read(p, "apply"))
        .transpose()?;
    if let Some(saved) = &saved {
        apply::check_static(saved, client.domain()).into_diagnostic()?;
    }
    let (desired, scope) = scoped_to_saved(desired, saved.as_ref());
    let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await?;
    let origin = Origin::Instance {
        domain: client.domain().to_string(),
    };
    let planned = make_plan(&desired, &live, origin)?;
    let (plan, assessment) = crate::journal::fold_into(planned, &loaded, &client, &live).await?;
    let plan = Plan { scope, ..plan };
    receipt.planned(&plan, saved.is_some());
    // Plans record protected users by id: a mismatch names them by login.
    let login_of = |id: u64| {
        live.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.login.clone())
    };
    apply::Acceptance {
        saved: saved.as_ref(),
        domain: client.domain(),
        settings: &desired.settings,
        allow_removals: args.allow_removals,
        kept_users: &assessment.kept_users,
    }
    .check(&plan, login_of)
    .or_else(refused)?;
    receipt.check_approvals(&plan, &desired, &live)?;

    super::emit(&render_plan(&plan, Format::Text, out.stdout_color))?;
    if !plan.has_applied_changes() {
        // Entries owed nothing are closed: a local tidy-up, nothing is written to Coupa.
        apply::close_settled(&journal, &assessment.settled).into_diagnostic()?;
        say!("Nothing to apply.");
        receipt.status(Status::NoChanges);
        return Ok(0);
    }
    if !args.auto_approve && !confirm(&plan).await? {
        say!("Apply cancelled; nothing was written.");
        receipt.status(Status::Cancelled);
        return Ok(1);
    }
    apply::close_settled(&journal, &assessment.settled).into_diagnostic()?;
    let total = plan.summary.add + plan.summary.remove + plan.summary.restore;
    let bar = out.stderr_is_terminal.then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "writing to Coupa {bar:30} {pos}/{len} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let progress: Option<apply::WriteProgress> = bar.clone().map(|bar| {
        std::sync::Arc::new(move |done: usize| bar.set_position(done as u64))
            as apply::WriteProgress
    });
    let (handle, cancel) = apply::cancel_pair();
    let signals = tokio::spawn(interrupts(handle, receipt.clone()));
    let report = apply::run(
        &plan,
        &client,
        ApplyOptions {
            concurrency: args.concurrency,
            progress,
            cancel,
            grace: WRITE_GRACE,
            journal: Some(journal.clone()),
        },
    )
    .await;
    signals.abort();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.or_else(apply_error)?;
    receipt.applied(&report);
    let rendered = report.render(crate::cli_words::cli_words());
    say_raw!("{rendered}");
    crate::report::append_summary(args.summary, || {
        crate::report::text_summary("apply", report.is_success(), &rendered)
    })?;
    Ok(if report.interrupted {
        STOPPED_BY.load(std::sync::atomic::Ordering::Relaxed)
    } else if report.is_success() {
        0
    } else {
        1
    })
}

/// A saved `plan --changed-since` plan covers only its own targets: the fresh plan it must
/// equal is made for the same targets, and only they are written. Says so.
fn scoped_to_saved(
    desired: coupa_access_core::model::Desired,
    saved: Option<&Plan>,
) -> (
    coupa_access_core::model::Desired,
    Option<coupa_access_core::model::PlanScope>,
) {
    use coupa_access_core::plan::changed;
    let Some(scope) = saved.and_then(|p| p.scope.clone()) else {
        return (desired, None);
    };
    let Some(targets) = scope.targets() else {
        return (desired, Some(scope));
    };
    say!(
        "note: this plan covers {} of {} managed targets (planned with --changed-since {}): apply plans and writes only those; run apply without a plan file to converge every target",
        targets.len(),
        scope.managed,
        coupa_access_core::render::printable_str(&scope.since())
    );
    let desired = changed::restrict(&desired, &changed::keys_of(targets));
    (desired, Some(scope))
}

/// How long writes in flight may finish after the first Ctrl-C.
const WRITE_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The exit code of an apply stopped by a signal: 130 after SIGINT, 143 after SIGTERM.
static STOPPED_BY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(130);

/// The first Ctrl-C or SIGTERM (CI cancellation, `docker stop`) cancels: no new writes, the
/// report follows. A second one exits at once. On Unix one listener per signal catches both,
/// so a second signal sent right after the first is not lost between two registrations.
#[cfg(unix)]
async fn interrupts(handle: apply::CancelHandle, receipt: Recorder) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut sigint), Ok(mut sigterm)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let code = tokio::select! {
        s = sigint.recv() => s.map(|_| 130),
        s = sigterm.recv() => s.map(|_| 143),
    };
    let Some(code) = code else {
        return;
    };
    STOPPED_BY.store(code, std::sync::atomic::Ordering::Relaxed);
    first_interrupt(&handle);
    let again = tokio::select! {
        s = sigint.recv() => s.map(|_| 130),
        s = sigterm.recv() => s.map(|_| 143),
    };
    if let Some(code) = again {
        second_interrupt(code, &receipt);
    }
}

/// The first Ctrl-C cancels (no new writes; the report follows); the second exits at once.
#[cfg(not(unix))]
async fn interrupts(handle: apply::CancelHandle, receipt: Recorder) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    first_interrupt(&handle);
    if tokio::signal::ctrl_c().await.is_ok() {
        second_interrupt(130, &receipt);
    }
}

fn first_interrupt(handle: &apply::CancelHandle) {
    say!(
        "\nInterrupted: no new writes; waiting up to {} s for those in flight (interrupt again to exit now).",
        WRITE_GRACE.as_secs()
    );
    handle.cancel();
}

fn second_interrupt(code: i32, receipt: &Recorder) -> ! {
    say!(
        "Interrupted again: exiting now. Run `{}` to see what was written.",
        cli_words().plan
    );
    // Outcomes not yet known are recorded as unknown.
    receipt.abandon();
    std::process::exit(code);
}

/// Apply's refusal, with what to do about it.
fn refused(refusal: apply::Refusal) -> miette::Result<()> {
    let help = match &refusal {
        apply::Refusal::RestoresDiffer(_) => {
            "plan again (with the same journal) and review the restores, then apply that plan"
        }
        apply::Refusal::KeptUsers(_) => {
            "check those users in Coupa and remove their entries from the journal (the plan's warnings say what they held); applies that do not touch them go ahead"
        }
        apply::Refusal::Guard(violation) => {
            return Err(miette::miette!("{}", violation.message(cli_words())));
        }
        apply::Refusal::Mismatch(_) => {
            return Err(miette::miette!(
                "{refusal}Review a fresh `{}` of the reviewed commit and apply that",
                cli_words().plan
            ));
        }
        apply::Refusal::Refused(_) => return Err(refusal).into_diagnostic(),
    };
    Err(miette::miette!(help = help, "{refusal}"))
}

/// Why apply did not start, with the command that makes the plan to review instead (the
/// client's message says what is wrong; the binary names its commands).
fn apply_error<T>(e: apply::ApplyError) -> miette::Result<T> {
    match e {
        apply::ApplyError::Stale { .. } => Err(miette::miette!(
            "{e}. Run `{}` again and review the new plan",
            cli_words().plan
        )),
        other => Err(other).into_diagnostic(),
    }
}

/// Asks on the terminal; refuses when there is none.
async fn confirm(plan: &Plan) -> miette::Result<bool> {
    if !std::io::stdin().is_terminal() {
        miette::bail!(
            help = "review the plan, then rerun with --auto-approve (for CI), or run apply on a terminal",
            "refusing to apply without confirmation: standard input is not a terminal"
        );
    }
    let restores = match plan.summary.restore {
        0 => String::new(),
        n => format!(", {n} restore(s) from the journal"),
    };
    say_raw!(
        "\nApply {} addition(s) and {} removal(s){restores} to {}?\nOnly 'yes' will be accepted: ",
        plan.summary.add,
        plan.summary.remove,
        plan.origin
    );
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .into_diagnostic()?
    .into_diagnostic()?;
    Ok(answer.trim() == "yes")
}
