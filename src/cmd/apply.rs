//! `coupa-access apply`: plan (or read a saved plan), guard, confirm, write, verify.

use std::io::IsTerminal;

use miette::{IntoDiagnostic, WrapErr};

use super::common::{self, load_policies, make_plan, render_plan};
use super::Output;
use crate::cli::{ApplyArgs, Format};
use coupa_access_client::apply::{self, ApplyOptions};
use coupa_access_client::Access;
use coupa_access_core::model::{Origin, Plan, PlanReadError, Settings};

pub async fn run(args: ApplyArgs, out: Output) -> miette::Result<i32> {
    // Policies first: whether roles are read (and their scope asked for) depends on them.
    let desired = match &args.plan {
        Some(_) => None,
        None => Some(load_policies(&args.policies)?),
    };
    let read_roles = desired.as_ref().is_none_or(common::needs_roles);
    let mut client =
        common::connect_reading_roles(&args.connection, Access::ReadWrite, read_roles)?;
    let plan = match (&args.plan, desired) {
        (Some(path), _) => read_plan(path)?,
        (None, desired) => {
            let desired = desired.unwrap_or_default();
            let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await?;
            let origin = Origin::Instance {
                domain: client.domain().to_string(),
            };
            make_plan(&desired, &live, origin)?
        }
    };
    // Cheap checks first so a wrong plan fails before anything is shown or read.
    apply::preflight::check_static(&plan, client.domain()).into_diagnostic()?;
    let settings = Settings {
        max_removals: plan.preconditions.max_removals,
        ..Settings::default()
    };
    coupa_access_core::plan::check_guards(&plan, &settings, args.allow_removals)
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
    let report = apply::run(
        &plan,
        &client,
        ApplyOptions {
            concurrency: args.concurrency,
            progress,
        },
    )
    .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = report.into_diagnostic()?;
    eprint!("{}", report.render());
    Ok(if report.is_success() { 0 } else { 1 })
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
