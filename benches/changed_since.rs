//! `plan --changed-since` on an exported policy: 100,000 users, 2,000 groups, every group
//! managed (each lists its live members, as `export` writes it), and a pull request changing
//! 3 groups (one member added, one removed, one group made additive). The binary runs as a
//! child process against the sandbox at Coupa's limits (25 requests/s, burst 20, 50 ms per
//! answer, no `Retry-After`); the row prints the requests and wall time beside the rate-limit
//! floor, and the same pull request's full `plan` for comparison. Targets (issue 23): ≤ 10 s,
//! ≤ 150 requests. Measured, never asserted.
//!
//! `cargo bench --bench changed_since`. Smaller: `BENCH_PLAN_USERS=20000 BENCH_PLAN_GROUPS=400`;
//! `BENCH_FULL=0` skips the full plan.
#![forbid(unsafe_code)]

#[path = "support/tenant.rs"]
mod tenant;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use coupa_access_core::model::Live;
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

const RATE: f64 = 25.0;
const BURST: u32 = 20;

/// The exported policy: every group with its live members, sorted; `edit` changes some.
fn exported(live: &Live, edit: impl Fn(u64, &mut Vec<String>, &mut bool)) -> String {
    let mut members: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for m in &live.memberships {
        let login = &live.users[(m.user_id - 10_000) as usize].login;
        members.entry(m.group_id).or_default().push(login.clone());
    }
    let mut yaml = String::from("groups:\n");
    for g in &live.groups {
        let mut list = members.remove(&g.id).unwrap_or_default();
        list.sort();
        let mut additive = false;
        edit(g.id, &mut list, &mut additive);
        yaml.push_str(&format!("  {}:\n", g.name));
        if additive {
            yaml.push_str("    mode: additive\n");
        }
        yaml.push_str(&format!("    members: [{}]\n", list.join(", ")));
    }
    yaml
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

struct Cost {
    requests: u64,
    wall: f64,
}

impl Cost {
    fn describe(&self) -> String {
        let floor = self.requests.saturating_sub(u64::from(BURST)) as f64 / RATE;
        format!(
            "{} requests, {:.1} s (rate-limit floor {floor:.1} s)",
            self.requests, self.wall
        )
    }
}

/// Runs the binary's `plan` with `extra` arguments in `repo`; the plan JSON and the cost.
fn plan(
    sandbox: &Sandbox,
    config: &SandboxConfig,
    repo: &Path,
    extra: &[&str],
) -> (serde_json::Value, Cost) {
    std::thread::sleep(Duration::from_secs(2));
    sandbox.reset_counts();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_coupa-access"))
        .current_dir(repo)
        .args(["plan", "--format", "json", "--policies", "policies"])
        .args(extra)
        .env("COUPA_DOMAIN", sandbox.url())
        .env("COUPA_CLIENT_ID", &config.client_id)
        .env("COUPA_CLIENT_SECRET", &config.client_secret)
        .env_remove("RUST_LOG")
        .env_remove("GITHUB_BASE_REF")
        .output()
        .expect("binary runs");
    let wall = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = serde_json::from_slice(&out.stdout).expect("plan JSON");
    (
        json,
        Cost {
            requests: sandbox.total_api_requests(),
            wall,
        },
    )
}

fn main() {
    let users = env_or("BENCH_PLAN_USERS", 100_000u64);
    let groups = env_or("BENCH_PLAN_GROUPS", 2_000u64);
    let full = env_or("BENCH_FULL", 1) != 0;
    let latency = Duration::from_millis(env_or("BENCH_LATENCY_MS", 50));
    let live = tenant::tenant(users, groups, tenant::Shape::default());
    let memberships = live.memberships.len();
    let base = exported(&live, |_, _, _| {});
    // The pull request: one member added, one removed, one group made additive.
    let (a, b, c) = (1000 + 7, 1000 + groups / 2, 1000 + groups - 3);
    let head = exported(&live, |gid, list, additive| {
        if gid == a {
            list.push("user000000".into());
        } else if gid == b {
            list.pop();
        } else if gid == c {
            *additive = true;
        }
    });
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    std::fs::create_dir(dir.join("policies")).expect("policies");
    std::fs::write(dir.join("policies/groups.yaml"), &base).expect("policy");
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-q",
            "-m",
            "export",
        ],
    );
    std::fs::write(dir.join("policies/groups.yaml"), &head).expect("policy");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = SandboxConfig {
        rate_per_second: RATE,
        burst: BURST,
        bucket_phase: Some(Duration::from_millis(17)),
        faults: Faults {
            latency,
            retry_after: None,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let sandbox = runtime
        .block_on(Sandbox::start(
            live,
            config.clone(),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .expect("sandbox");
    println!(
        "sandbox: {RATE}/s burst {BURST}, {} ms per answer; {users} users, {groups} groups (every one managed), {memberships} memberships, a change to 3 groups",
        latency.as_millis()
    );
    let (p, cost) = plan(&sandbox, &config, dir, &["--changed-since", "HEAD"]);
    let scope = &p["scope"];
    println!(
        "plan --changed-since HEAD: {} of {} targets planned, {} changes: {} (targets: <= 10 s, <= 150 requests)",
        scope["targets"].as_array().map_or(0, Vec::len),
        scope["managed"],
        p["changes"].as_array().map_or(0, Vec::len),
        cost.describe()
    );
    if full {
        let (p, cost) = plan(&sandbox, &config, dir, &[]);
        println!(
            "  the same pull request's full plan: {} changes: {}",
            p["changes"].as_array().map_or(0, Vec::len),
            cost.describe()
        );
    }
    runtime.block_on(sandbox.shutdown());
}
