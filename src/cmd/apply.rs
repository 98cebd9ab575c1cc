//! `coupa-access apply`: plan (a saved plan must equal the fresh plan), guard, confirm, write,
//! verify; Ctrl-C stops issuing writes and reports.

use std::io::IsTerminal;

use miette::{IntoDiagnostic, WrapErr};

use super::common::{self, load_policies, make_plan, render_plan};
use super::Output;
use crate::cli::{ApplyArgs, Format};
use coupa_access_client::apply::{self, ApplyOptions};
use coupa_access_client::Access;
use coupa_access_core::model::{Origin, Plan, PlanReadError};

pub async fn run(args: ApplyArgs, out: Output) -> miette::Result<i32> {
    // Policies first: whether roles are read (and their scope asked for) depends on them.
    let desired = load_policies(&args.policies)?;
    let read_roles = common::needs_roles(&desired);
    let access = if common::writes_users(&desired, &args.journal) {
        Access::ReadWriteUsers
    } else {
        Access::ReadWrite
    };
    let mut client = common::connect_reading_roles(&args.connection, access, read_roles)?;
    // A journal left by a killed run is settled before anything is read or planned.
    let recovered = apply::recover(&client, &args.journal)
        .await
        .into_diagnostic()?;
    for r in &recovered {
        eprintln!(
            "Journal {} left by an interrupted apply: {r}",
            args.journal.display()
        );
    }
    // A saved plan is only a claim of what was reviewed: cheap checks first (instance, shape),
    // then it must equal the fresh plan made below, which is the one applied.
    let saved = args.plan.as_deref().map(read_plan).transpose()?;
    if let Some(saved) = &saved {
        apply::preflight::check_static(saved, client.domain()).into_diagnostic()?;
    }
    let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await?;
    let origin = Origin::Instance {
        domain: client.domain().to_string(),
    };
    let plan = make_plan(&desired, &live, origin)?;
    if let Some(saved) = &saved {
        let mismatch = apply::compare(saved, &plan);
        if !mismatch.is_empty() {
            return Err(apply::ApplyError::Mismatch(Box::new(mismatch))).into_diagnostic();
        }
    }
    apply::preflight::check_static(&plan, client.domain()).into_diagnostic()?;
    coupa_access_core::plan::check_guards(&plan, &desired.settings, args.allow_removals)
        .into_diagnostic()?;

    super::emit(&render_plan(&plan, Format::Text, out.stdout_color))?;
    if plan.summary.add + plan.summary.remove == 0 {
        eprintln!("Nothing to apply.");
        return Ok(0);
    }
    if !args.auto_approve && !confirm(&plan).await? {
        eprintln!("Apply cancelled; nothing was written.");
        return Ok(1);
    }
    let total = plan.summary.add + plan.summary.remove;
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
    let signals = tokio::spawn(interrupts(handle));
    let report = apply::run(
        &plan,
        &client,
        ApplyOptions {
            concurrency: args.concurrency,
            progress,
            cancel,
            grace: WRITE_GRACE,
            journal: args.journal.clone(),
        },
    )
    .await;
    signals.abort();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.into_diagnostic()?;
    let rendered = report.render();
    eprint!("{rendered}");
    crate::report::append_summary(args.summary, || {
        crate::report::text_summary("apply", report.is_success(), &rendered)
    })?;
    Ok(if report.interrupted {
        130
    } else if report.is_success() {
        0
    } else {
        1
    })
}

/// How long writes in flight may finish after the first Ctrl-C.
const WRITE_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The first Ctrl-C cancels (no new writes; the report follows); the second exits at once.
/// On Unix one listener catches both, so a second Ctrl-C sent right after the first is not
/// lost between two registrations.
#[cfg(unix)]
async fn interrupts(handle: apply::CancelHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut sigint) = signal(SignalKind::interrupt()) else {
        return;
    };
    if sigint.recv().await.is_none() {
        return;
    }
    first_interrupt(&handle);
    if sigint.recv().await.is_some() {
        second_interrupt();
    }
}

/// The first Ctrl-C cancels (no new writes; the report follows); the second exits at once.
#[cfg(not(unix))]
async fn interrupts(handle: apply::CancelHandle) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    first_interrupt(&handle);
    if tokio::signal::ctrl_c().await.is_ok() {
        second_interrupt();
    }
}

fn first_interrupt(handle: &apply::CancelHandle) {
    eprintln!(
        "\nInterrupted: no new writes; waiting up to {} s for those in flight (Ctrl-C again to exit now).",
        WRITE_GRACE.as_secs()
    );
    handle.cancel();
}

fn second_interrupt() -> ! {
    eprintln!("Interrupted again: exiting now. Run `coupa-access plan` to see what was written.");
    std::process::exit(130);
}

fn read_plan(path: &std::path::Path) -> miette::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read plan file {}", path.display()))?;
    match Plan::from_json(&text) {
        Err(e @ PlanReadError::UnsupportedVersion { .. }) => Err(miette::miette!(
            help = "make the plan with this coupa-access (`coupa-access plan --out`), or apply it with the version that made it",
            "cannot apply {}: {e}",
            path.display()
        )),
        other => other.into_diagnostic().wrap_err_with(|| {
            format!(
                "{} is not a coupa-access plan (from `plan --out`)",
                path.display()
            )
        }),
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
    eprint!(
        "\nApply {} addition(s) and {} removal(s) to {}?\nOnly 'yes' will be accepted: ",
        plan.summary.add, plan.summary.remove, plan.origin
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
