//! `coupa-access demo`: the no-credentials first run. Starts the sandbox in-process on the sample
//! tenant and plans `policies/` against it, exactly as `plan` would against a real instance.

use miette::IntoDiagnostic;
use secrecy::SecretString;

use super::common::{self, load_policies, make_plan, render_plan};
use super::Output;
use crate::cli::DemoArgs;
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use coupa_access_core::model::Origin;
use coupa_access_sandbox::{sample_tenant, Sandbox, SandboxConfig};

pub async fn run(args: DemoArgs, out: Output) -> miette::Result<i32> {
    if !args.policies.is_dir() {
        miette::bail!(
            help =
                "run the demo from the project root (where policies/ is), or pass --policies DIR",
            "policy folder {} not found",
            args.policies.display()
        );
    }
    let desired = load_policies(&args.policies)?;
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(
        sample_tenant(),
        config.clone(),
        "127.0.0.1:0".parse().into_diagnostic()?,
    )
    .await
    .into_diagnostic()?;
    eprintln!(
        "Demo: a sandbox Coupa is running at {} with a sample tenant; planning {} against it.\n",
        sandbox.url(),
        args.policies.display()
    );
    let conn = Connection::new(
        &sandbox.url(),
        &config.client_id,
        SecretString::from(config.client_secret.clone()),
    )
    .into_diagnostic()?;
    let mut client = Client::new(conn, Access::Read, ClientOptions::default()).into_diagnostic()?;
    let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await;
    let origin = Origin::Instance {
        domain: client.domain().to_string(),
    };
    let plan = live.and_then(|live| make_plan(&desired, &live, origin));
    sandbox.shutdown().await;
    let plan = plan?;
    super::emit(&render_plan(&plan, args.format, out.stdout_color))?;
    eprintln!(
        "\nThis was a rehearsal against the built-in sandbox. Next: edit policies/*.yaml and rerun, \
         or point coupa-access at your instance (see README.md)."
    );
    Ok(0)
}
