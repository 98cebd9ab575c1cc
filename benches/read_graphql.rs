//! Full reads through Coupa's GraphQL endpoint against REST: requests made by the real binary
//! (`drift`, and `plan` of the exported policy, every group managed) on a large tenant, beside
//! the REST full-read minimum (`records / 50 + 1` pages per resource), with the reports checked
//! identical. Rows, each through `--read-path auto` and `--read-path rest`:
//! - GraphQL present: target ≤ 0.35× the REST minimum, identical report and plan;
//! - GraphQL absent (`--graphql-absent`) and nested lists capped (`--graphql-nested-cap 2`):
//!   identical results, ≤ 1.05× the REST minimum.
//!
//! Requests are what is measured (Coupa's rate limit makes them the cost); the sandbox is not
//! rate limited here, so wall times are the machine's, not Coupa's. Measured, never asserted
//! (the results' equality is asserted).
//!
//! `cargo bench --bench read_graphql`. Smaller: `BENCH_GQL_USERS=20000 BENCH_GQL_GROUPS=400`.
#![forbid(unsafe_code)]

#[path = "support/tenant.rs"]
mod tenant;

use std::collections::BTreeSet;
use std::time::Instant;

use coupa_access_core::model::Membership;
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

const PAGE: usize = 50;

/// The shape of this bench's tenant.
const SHAPE: tenant::Shape = tenant::Shape {
    names: false,
    project: true,
    access: true,
    owner_every: Some(150),
};

fn pages(records: usize) -> u64 {
    (records / PAGE) as u64 + 1
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

struct Run<'a> {
    sandbox: &'a Sandbox,
    config: &'a SandboxConfig,
    policies: &'a std::path::Path,
}

impl Run<'_> {
    /// Runs the binary; its stdout, the requests it made and its wall time.
    fn binary(&self, args: &[&str], path: &str) -> (String, u64, f64) {
        self.sandbox.reset_counts();
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coupa-access"))
            .args(args)
            .arg("--policies")
            .arg(self.policies)
            .args([
                "--read-path",
                path,
                "--rate-limit",
                "1000",
                "--burst",
                "1000",
            ])
            .env("COUPA_DOMAIN", self.sandbox.url())
            .env("COUPA_CLIENT_ID", &self.config.client_id)
            .env("COUPA_CLIENT_SECRET", &self.config.client_secret)
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env_remove("RUST_LOG")
            .output()
            .expect("binary runs");
        let wall = start.elapsed().as_secs_f64();
        assert!(
            out.status.success() || out.status.code() == Some(2),
            "{args:?} --read-path {path} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            self.sandbox.total_api_requests(),
            wall,
        )
    }
}

/// The report without what says how it was read (path, reason, per-listing requests).
fn without_read_path(json: &str) -> (serde_json::Value, String) {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("drift JSON");
    let m = v.as_object_mut().expect("object");
    let via = m
        .remove("read_path")
        .and_then(|p| p.as_str().map(String::from))
        .unwrap_or_default();
    m.remove("read_path_reason");
    // The requests each REST listing made differ by path (GraphQL pages are not listings);
    // the rest of `completeness` must agree.
    if let Some(c) = m.get_mut("completeness").and_then(|c| c.as_object_mut()) {
        c.remove("listings");
    }
    (v, via)
}

fn main() {
    let users = env_or("BENCH_GQL_USERS", 100_000u64);
    let groups = env_or("BENCH_GQL_GROUPS", 2_000u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut live = tenant::tenant(users, groups, SHAPE);
    let dir = tempfile::tempdir().expect("tempdir");
    let policies = dir.path().join("policies");
    // Export the policy (every group managed, authoritative) from the tenant as it is ...
    {
        let config = SandboxConfig {
            rate_per_second: 1e6,
            burst: 1_000_000,
            ..SandboxConfig::default()
        };
        let sandbox = runtime
            .block_on(Sandbox::start(
                live.clone(),
                config.clone(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .expect("sandbox");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_coupa-access"))
            .args([
                "export",
                "--read-path",
                "rest",
                "--rate-limit",
                "1000",
                "--burst",
                "1000",
                "--out-dir",
            ])
            .arg(&policies)
            .env("COUPA_DOMAIN", sandbox.url())
            .env("COUPA_CLIENT_ID", &config.client_id)
            .env("COUPA_CLIENT_SECRET", &config.client_secret)
            .output()
            .expect("export runs");
        assert!(
            out.status.success(),
            "export: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        runtime.block_on(sandbox.shutdown());
    }
    // ... then drift by hand: 40 memberships granted, 40 removed (owners' among them).
    let top = live.memberships.iter().map(|m| m.id).max().unwrap_or(0);
    for k in 0..40u64 {
        live.memberships.push(Membership {
            id: top + 1 + k,
            user_id: 10_000 + (k * 977) % users,
            group_id: 1000 + (k * 31 + 1) % groups,
            created_at: Some("2026-02-01T09:00:00+00:00".into()),
            owner: false,
            participant: None,
        });
    }
    let removed: BTreeSet<u64> = (0..40u64).map(|k| 1 + k * 1_499).collect();
    live.memberships.retain(|m| !removed.contains(&m.id));
    // A user can already hold the group drawn: keep one row per pair, as a real tenant would.
    let mut seen = BTreeSet::new();
    live.memberships
        .retain(|m| seen.insert((m.user_id, m.group_id)));
    let minimum = pages(live.users.len())
        + pages(live.groups.len() + live.projects.len())
        + pages(live.memberships.len());
    println!(
        "tenant: {} users, {} groups, {} memberships; REST full-read minimum {minimum} requests \
         (users, groups, memberships: records / 50 + 1 pages each)",
        live.users.len(),
        live.groups.len(),
        live.memberships.len()
    );
    let variants: [(&str, Faults); 3] = [
        ("GraphQL present", Faults::default()),
        (
            "GraphQL absent",
            Faults {
                graphql_absent: true,
                ..Faults::default()
            },
        ),
        (
            "nested lists capped at 2",
            Faults {
                graphql_nested_cap: Some(2),
                ..Faults::default()
            },
        ),
    ];
    for (name, faults) in variants {
        let config = SandboxConfig {
            rate_per_second: 1e6,
            burst: 1_000_000,
            faults,
            ..SandboxConfig::default()
        };
        let sandbox = runtime
            .block_on(Sandbox::start(
                live.clone(),
                config.clone(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .expect("sandbox");
        let run = Run {
            sandbox: &sandbox,
            config: &config,
            policies: &policies,
        };
        let drift = ["drift", "--format", "json"];
        let (rest_json, rest_n, rest_t) = run.binary(&drift, "rest");
        let (auto_json, auto_n, auto_t) = run.binary(&drift, "auto");
        let (rest_report, _) = without_read_path(&rest_json);
        let (auto_report, via) = without_read_path(&auto_json);
        let same = rest_report == auto_report;
        let extra = rest_report["summary"]["extra"].as_u64().unwrap_or(0);
        let missing = rest_report["summary"]["missing"].as_u64().unwrap_or(0);
        println!(
            "{name}: drift (every group managed; {extra} extra, {missing} missing): auto read {via} \
             {auto_n} requests ({:.3}x the REST minimum, {auto_t:.1} s), REST {rest_n} ({:.3}x, \
             {rest_t:.1} s); reports identical: {same}",
            auto_n as f64 / minimum as f64,
            rest_n as f64 / minimum as f64,
        );
        assert!(same, "{name}: drift reports differ");
        let plan = ["plan", "--format", "json"];
        let (rest_plan, rest_n, rest_t) = run.binary(&plan, "rest");
        let (auto_plan, auto_n, auto_t) = run.binary(&plan, "auto");
        let changes = serde_json::from_str::<serde_json::Value>(&rest_plan)
            .ok()
            .and_then(|v| v["changes"].as_array().map(Vec::len))
            .unwrap_or(0);
        println!(
            "{name}: plan of the exported policy ({changes} changes): auto {auto_n} requests \
             ({:.3}x the REST minimum, {auto_t:.1} s), REST {rest_n} ({:.3}x, {rest_t:.1} s); \
             plans identical: {}",
            auto_n as f64 / minimum as f64,
            rest_n as f64 / minimum as f64,
            rest_plan == auto_plan
        );
        assert_eq!(rest_plan, auto_plan, "{name}: plans differ");
        runtime.block_on(sandbox.shutdown());
    }
}
