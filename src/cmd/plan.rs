//! `coupa-access plan`: diff policy against live Coupa (or a snapshot) and print the plan.

use super::common::{self, connect, load_policies, make_plan, render_plan};
use super::{Output, EXIT_CHANGES};
use crate::cli::PlanArgs;
use coupa_access_client::Access;

pub async fn run(args: PlanArgs, out: Output) -> miette::Result<i32> {
    let desired = load_policies(&args.policies)?;
    let (live, domain) = match &args.snapshot {
        // A snapshot does not prove which instance it came from, so its plan names the
        // snapshot, never an instance: apply refuses it (plan against the instance to apply).
        Some(path) => (
            common::read_snapshot(path)?.0,
            format!("snapshot:{}", path.display()),
        ),
        None => {
            let mut client = connect(&args.connection, Access::Read)?;
            let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await?;
            (live, client.domain().to_string())
        }
    };
    let plan = make_plan(&desired, &live, &domain)?;
    if let Some(path) = &args.out {
        common::write_atomically(path, &coupa_access_core::render::json(&plan))?;
        eprintln!("Plan written to {}", path.display());
    }
    super::emit(&render_plan(&plan, args.format, out.stdout_color))?;
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        EXIT_CHANGES
    } else {
        0
    })
}
