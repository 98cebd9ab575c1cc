//! `coupa-access demo`: the no-credentials first run. Starts the sandbox in-process on the sample
//! tenant and plans `policies/` against it, exactly as `plan` would against a real instance.
//! Run anywhere (an installed binary, an empty folder), it plans the example policies built into
//! the binary instead.

use miette::IntoDiagnostic;
use secrecy::SecretString;

use super::common::{self, load_policies, make_plan, render_plan};
use super::Output;
use crate::cli::DemoArgs;
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use coupa_access_core::model::{Origin, PolicyFile};
use coupa_access_core::policy;
use coupa_access_sandbox::{sample_tenant, Sandbox, SandboxConfig};

/// The repository's example policies, built in so `demo` works from an installed binary.
const BUILT_IN: [(&str, &str); 3] = [
    (
        "policies/finance.yaml",
        include_str!("../../policies/finance.yaml"),
    ),
    (
        "policies/people.yaml",
        include_str!("../../policies/people.yaml"),
    ),
    (
        "policies/procurement.yaml",
        include_str!("../../policies/procurement.yaml"),
    ),
];

pub async fn run(args: DemoArgs, out: Output) -> miette::Result<i32> {
    let local = std::path::Path::new("policies");
    let (desired, shown, built_in) = match &args.policies {
        Some(dir) => (load_policies(dir)?, dir.display().to_string(), false),
        None if local.is_dir() => (load_policies(local)?, "policies/".to_string(), false),
        None => {
            let files = BUILT_IN
                .iter()
                .map(|(path, text)| PolicyFile {
                    path: path.to_string(),
                    text: text.to_string(),
                })
                .collect();
            let desired = policy::load_files(files).map_err(miette::Report::new)?;
            (desired, "the built-in example policies".to_string(), true)
        }
    };
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(
        sample_tenant(),
        config.clone(),
        "127.0.0.1:0".parse().into_diagnostic()?,
    )
    .await
    .into_diagnostic()?;
    say!(
        "Demo: a sandbox Coupa is running at {} with a sample tenant; planning {} against it.\n",
        sandbox.url(),
        shown
    );
    let conn = Connection::new(
        &sandbox.url(),
        &config.client_id,
        SecretString::from(config.client_secret.clone()),
    )
    .into_diagnostic()?;
    let mut client = Client::new(
        conn,
        Access::Read,
        ClientOptions {
            read_roles: common::needs_roles(&desired),
            ..ClientOptions::default()
        },
    )
    .into_diagnostic()?;
    let live = common::read_live(&mut client, &common::plan_scope(&desired), out).await;
    let origin = Origin::Instance {
        domain: client.domain().to_string(),
    };
    let plan = live.and_then(|live| make_plan(&desired, &live, origin).map(|p| p.plan));
    sandbox.shutdown().await;
    let plan = plan?;
    super::emit(&render_plan(&plan, args.format, out.stdout_color))?;
    let next = if built_in {
        "write your own policy files in ./policies (or start from `coupa-access export`) and rerun"
    } else {
        "edit the policy files and rerun"
    };
    say!(
        "\nThis was a rehearsal against the built-in sandbox. Next: {next}, or point coupa-access \
         at your instance (see the README)."
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::BUILT_IN;

    /// Every example policy file in the repository is built in, and nothing else.
    #[test]
    fn built_in_policies_are_the_repository_examples() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| crate::policy_dir::is_policy_file(n))
            .map(|n| format!("policies/{n}"))
            .collect();
        on_disk.sort();
        let built_in: Vec<String> = BUILT_IN.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(built_in, on_disk);
    }
}
