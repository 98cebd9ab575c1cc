//! `coupa-access sandbox`: serve a local Coupa-compatible API until interrupted.

use std::time::Duration;

use miette::IntoDiagnostic;

use super::common;
use crate::cli::SandboxArgs;
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};

pub async fn run(args: SandboxArgs) -> miette::Result<i32> {
    let tenant = match &args.tenant {
        Some(path) => common::read_snapshot(path)?.0,
        None => sample_tenant(),
    };
    let mut config = SandboxConfig {
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        rate_per_second: args.rate,
        burst: args.burst,
        bucket_phase: args.bucket_phase_ms.map(Duration::from_millis),
        faults: Faults {
            latency: Duration::from_millis(args.latency_ms),
            error_rate: args.error_rate,
            error_status: args.error_status,
            seed: args.seed,
            retry_after: (!args.no_retry_after).then_some(args.retry_after),
            token_lifetime: Duration::from_secs(args.token_lifetime),
            delete_disabled: args.disable_delete,
            delete_refused_status: args.refuse_delete,
            token_warmup: Duration::from_secs(args.token_warmup),
            retry_after_raw: args.retry_after_raw.clone(),
            echo_requests: args.echo_requests,
            ignore_in_filters: args.ignore_in_filters,
            write_error_rate: args.write_error_rate,
            fail_set_after_clear: args.fail_set_after_clear,
            lenient_scopes: args.lenient_scopes,
            missing_scope_401: args.missing_scope_401,
            vague_invalid_scope: args.vague_invalid_scope,
            sticky_licenses: if args.revocable_licenses {
                Default::default()
            } else {
                Faults::default().sticky_licenses
            },
            membership_in_first_only: args.membership_in_first_only,
            reject_in_filters: args.reject_in_filters,
            ignore_id_upper_bound: args.ignore_id_upper_bound,
            omit_user_fields: args.omit_user_field.iter().cloned().collect(),
            graphql_absent: args.graphql_absent,
            graphql_nested_cap: args.graphql_nested_cap,
            graphql_missing_fields: args.graphql_missing_field.iter().cloned().collect(),
            ignore_owner_filter: args.ignore_owner_filter,
            reject_users: args.reject_member.iter().copied().collect(),
            fail_set_after_clear_status: args.fail_set_after_clear_status,
            hide_user_groups: args.hide_user_groups,
            user_groups_view_omits: args.user_groups_omit.iter().copied().collect(),
            ignored_clears: args
                .ignore_clear
                .iter()
                .map(|c| match c {
                    crate::cli::ClearSpellingArg::EmptyList => {
                        coupa_access_sandbox::ClearForm::EmptyList
                    }
                    crate::cli::ClearSpellingArg::Null => coupa_access_sandbox::ClearForm::Null,
                })
                .collect(),
            reject_user_updates: args.reject_user_update.iter().copied().collect(),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    if let Some(scopes) = &args.scopes {
        config.scopes = scopes.split_whitespace().map(str::to_string).collect();
    }
    let users = tenant.users.len();
    let groups = tenant.groups.len();
    let sandbox = Sandbox::start(tenant, config, args.addr)
        .await
        .into_diagnostic()?;
    // Through `emit` (never a panic): tests and scripts read these lines, then may close the pipe.
    super::emit(&format!(
        "Coupa sandbox listening on {url} ({users} users, {groups} groups)\n  export COUPA_DOMAIN={url}\n  export COUPA_CLIENT_ID={}\n  export COUPA_CLIENT_SECRET={}\nPress Ctrl-C to stop.\n",
        args.client_id,
        args.client_secret,
        url = sandbox.url(),
    ))?;
    tokio::signal::ctrl_c().await.into_diagnostic()?;
    sandbox.shutdown().await;
    Ok(0)
}
