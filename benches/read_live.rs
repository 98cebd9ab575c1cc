//! The large-tenant benchmark: the real client against the sandbox at Coupa's limits (25
//! requests/s, burst 20), 50 ms per answer, no `Retry-After`, and a leaky bucket draining in
//! steps at a phase of its own (a client pacing at exactly the limit would meet it full). Each
//! row prints the requests made beside the minimum, the wall time beside the rate-limit floor
//! (`(requests - burst) / rate`) and the client's own pace (its limiter's margins and its
//! token request, see `CLIENT_RATE`), the 429s, and the same work by a client at concurrency 1.
//!
//! Rows:
//! - `plan`: `coupa-access plan` (the binary, as a child process: its peak RSS is its own)
//!   managing 3 groups of a 100,000-user tenant with 2,000 groups and 300,000 memberships;
//!   targets ≤ 10 s, ≤ 150 requests, ≤ 200 MB.
//! - `snapshot`: the full read of a 10,000-user tenant; targets ≤ 1.05× the minimum requests,
//!   ≤ 1.10× the floor, 0–2 answers of 429.
//! - `apply`: 1,000 membership changes (preflight, writes, read-back); target ≤ 1.15× floor.
//! - `exported`: `coupa-access plan` of a policy managing every group with every member (what
//!   `export` writes) on a 5,000-user tenant with 200 groups: requests beside the full read's
//!   minimum; target ≤ 1.05× (the plan's read takes the full read when scoped would cost more).
//! - `memory`: peak RSS of `drift` and `snapshot` (the binary, reading live, unthrottled: the
//!   read's pacing is not what is measured) on the 100,000-user tenant, beside `drift --snapshot`
//!   of the same tenant offline; target ≤ 200 MB.
//!
//! `cargo bench --bench read_live`. Smaller runs: `BENCH_PLAN_USERS=20000 BENCH_PLAN_GROUPS=400
//! BENCH_SNAPSHOT_USERS=2000 BENCH_APPLY_CHANGES=200 BENCH_EXPORTED_USERS=1000
//! BENCH_MEMORY_USERS=20000`; `BENCH_ROWS=plan,snapshot,apply,exported,memory`;
//! `BENCH_LATENCY_MS=50`; `BENCH_PHASE_MS=17`; `BENCH_CONCURRENCY_1=0` skips the
//! concurrency-1 runs; `BENCH_PLAN_LOG=FILE` keeps the plan's debug log (`-v`) there.
#![forbid(unsafe_code)]

#[path = "support/tenant.rs"]
mod tenant;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use coupa_access_client::{apply, Access, Client, ClientOptions, Connection, ReadScope};
use coupa_access_core::model::{Desired, Live, Origin, Plan, PolicyFile};
use coupa_access_core::{plan, policy};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

/// The command-line words the library's messages copy (the binary spells them from clap).
fn cli_words() -> coupa_access_core::CliWords {
    coupa_access_core::CliWords {
        plan: "coupa-access plan".into(),
        drift: "coupa-access drift".into(),
        allow_removals: "--allow-removals".into(),
        changed_since: "--changed-since".into(),
        format_json: "--format json".into(),
        out: "--out".into(),
    }
}

const PAGE: usize = 50;

/// The shape of this bench's tenant.
const SHAPE: tenant::Shape = tenant::Shape {
    names: true,
    project: true,
    access: true,
    owner_every: None,
};
const RATE: f64 = 25.0;
const BURST: u32 = 20;
/// The client's own pace under those limits (`crates/client/src/limiter.rs`: 3% under the
/// rate, 2 of the burst kept), which also spends one token on the OAuth2 token request the
/// sandbox does not count: what no scheduling of the client's can beat.
const CLIENT_RATE: f64 = RATE * 0.97;
const CLIENT_BURST: u64 = 18;

fn login(live: &Live, id: u64) -> &str {
    &live.users[(id - 10_000) as usize].login
}

/// A policy managing groups `gids` authoritatively: their members but two, plus three people
/// named by email.
fn plan_policy(live: &Live, gids: &[u64]) -> String {
    let mut yaml = String::from("groups:\n");
    for (n, gid) in gids.iter().enumerate() {
        let mut members: Vec<String> = live
            .memberships
            .iter()
            .filter(|m| m.group_id == *gid)
            .skip(2)
            .map(|m| login(live, m.user_id).to_string())
            .collect();
        for k in 0..3 {
            members.push(format!("user{:06}@acme.com", 10 * n + k + 1));
        }
        yaml.push_str(&format!(
            "  Group {:04}:\n    members: [{}]\n",
            gid - 1000,
            members.join(", ")
        ));
    }
    yaml
}

/// An additive policy adding `changes` people (not members yet) to two groups.
fn apply_policy(live: &Live, gids: [u64; 2], changes: usize, skip: usize) -> String {
    let mut yaml = String::from("groups:\n");
    for (n, gid) in gids.iter().enumerate() {
        let members: BTreeSet<u64> = live
            .memberships
            .iter()
            .filter(|m| m.group_id == *gid)
            .map(|m| m.user_id)
            .collect();
        let adds: Vec<&str> = live
            .users
            .iter()
            .filter(|u| !members.contains(&u.id) && u.active)
            .skip(skip + n * changes)
            .take(changes / 2)
            .map(|u| u.login.as_str())
            .collect();
        yaml.push_str(&format!(
            "  Group {:04}:\n    mode: additive\n    members: [{}]\n",
            gid - 1000,
            adds.join(", ")
        ));
    }
    yaml
}

fn desired(yaml: &str) -> Desired {
    policy::load_files(vec![PolicyFile {
        path: "policies/groups.yaml".into(),
        text: yaml.into(),
    }])
    .expect("bench policy loads")
}

/// What one run cost.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    requests: u64,
    throttled: u64,
    wall: f64,
}

impl Cost {
    fn floor(&self) -> f64 {
        self.requests.saturating_sub(u64::from(BURST)) as f64 / RATE
    }
    /// The client limiter's floor for these requests and its token request.
    fn client_floor(&self) -> f64 {
        (self.requests + 1).saturating_sub(CLIENT_BURST) as f64 / CLIENT_RATE
    }
    fn ratio(&self) -> f64 {
        let f = self.floor();
        if f > 0.0 {
            self.wall / f
        } else {
            0.0
        }
    }
    fn describe(&self) -> String {
        format!(
            "{} requests, {} x429, {:.2} s = x{:.2} the floor {:.2} s (the client's own pace: {:.2} s)",
            self.requests,
            self.throttled,
            self.wall,
            self.ratio(),
            self.floor(),
            self.client_floor()
        )
    }
}

struct Bench {
    sandbox: Sandbox,
    config: SandboxConfig,
}

impl Bench {
    async fn start(live: Live, latency: Duration, phase: Duration) -> Bench {
        let config = SandboxConfig {
            rate_per_second: RATE,
            burst: BURST,
            bucket_phase: Some(phase),
            faults: Faults {
                latency,
                retry_after: None,
                ..Faults::default()
            },
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start(live, config.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("sandbox");
        Bench { sandbox, config }
    }

    fn client(&self, read_concurrency: usize, access: Access) -> Client {
        let conn = Connection::new(
            &self.sandbox.url(),
            &self.config.client_id,
            self.config.client_secret.clone().into(),
        )
        .expect("connection");
        let opts = ClientOptions {
            read_concurrency,
            token_warmup: Duration::ZERO,
            ..ClientOptions::default()
        };
        Client::new(conn, access, opts).expect("client")
    }

    /// Waits for the sandbox's bucket to drain, zeroes its counters, runs `f`, and counts.
    async fn measure<T, F: std::future::Future<Output = T>>(&self, f: F) -> (T, Cost) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        self.sandbox.reset_counts();
        let start = Instant::now();
        let out = f.await;
        let wall = start.elapsed().as_secs_f64();
        let counts = self.sandbox.request_counts();
        let cost = Cost {
            requests: self.sandbox.total_api_requests(),
            throttled: counts.get("429").copied().unwrap_or(0),
            wall,
        };
        (out, cost)
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory (VmHWM) of a process, in MB, while it runs: polled every 2 ms.
fn run_child_with_peak(mut cmd: std::process::Command) -> (std::process::Output, f64, f64) {
    let start = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    // Both pipes drained while it runs: a child with much to say (thousands of warnings)
    // would otherwise block on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut s) = pipe {
                let _ = std::io::Read::read_to_end(&mut s, &mut buf);
            }
            buf
        })
    };
    let reader = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let errors = drain(child.stderr.take().map(|s| Box::new(s) as _));
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if child.try_wait().expect("child").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = start.elapsed().as_secs_f64();
    let mut out = child.wait_with_output().expect("child output");
    out.stdout = reader.join().unwrap_or_default();
    out.stderr = errors.join().unwrap_or_default();
    (out, wall, peak_kb as f64 / 1024.0)
}

fn main() {
    let rows: Vec<String> = std::env::var("BENCH_ROWS")
        .unwrap_or_else(|_| "plan,snapshot,apply,exported,memory".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let latency = Duration::from_millis(env_or("BENCH_LATENCY_MS", 50));
    let phase = Duration::from_millis(env_or("BENCH_PHASE_MS", 17));
    let with_c1 = env_or("BENCH_CONCURRENCY_1", 1) != 0;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "sandbox: {RATE}/s burst {BURST}, {} ms per answer, no Retry-After, bucket phase {} ms; \
         client: default options (concurrency {})",
        latency.as_millis(),
        phase.as_millis(),
        ClientOptions::default().read_concurrency
    );
    if rows.iter().any(|r| r == "plan") {
        let users = env_or("BENCH_PLAN_USERS", 100_000u64);
        let groups = env_or("BENCH_PLAN_GROUPS", 2_000u64);
        runtime.block_on(plan_row(users, groups, latency, phase, with_c1));
    }
    if rows.iter().any(|r| r == "snapshot") {
        let users = env_or("BENCH_SNAPSHOT_USERS", 10_000u64);
        runtime.block_on(snapshot_row(users, latency, phase, with_c1));
    }
    if rows.iter().any(|r| r == "apply") {
        let changes = env_or("BENCH_APPLY_CHANGES", 1_000usize);
        runtime.block_on(apply_row(changes, latency, phase, with_c1));
    }
    if rows.iter().any(|r| r == "exported") {
        let users = env_or("BENCH_EXPORTED_USERS", 5_000u64);
        runtime.block_on(exported_row(users, latency, phase));
    }
    if rows.iter().any(|r| r == "memory") {
        let users = env_or("BENCH_MEMORY_USERS", 100_000u64);
        runtime.block_on(memory_row(users));
    }
}

async fn plan_row(users: u64, groups: u64, latency: Duration, phase: Duration, with_c1: bool) {
    let live = tenant::tenant(users, groups, SHAPE);
    let gids = [1000, 1000 + groups / 2, 1000 + groups - 1];
    let yaml = plan_policy(&live, &gids);
    let names = yaml.matches(", ").count() + gids.len();
    let memberships = live.memberships.len();
    let bench = Bench::start(live, latency, phase).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("groups.yaml"), &yaml).expect("policy written");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coupa-access"));
    cmd.args(["plan", "--format", "json", "--policies"])
        .arg(dir.path())
        .env("COUPA_DOMAIN", bench.sandbox.url())
        .env("COUPA_CLIENT_ID", &bench.config.client_id)
        .env("COUPA_CLIENT_SECRET", &bench.config.client_secret)
        .env_remove("RUST_LOG");
    // The child's debug log (every request: when it queued, waited, was answered) for a
    // timeline of where the wall time goes.
    let log = std::env::var_os("BENCH_PLAN_LOG");
    if log.is_some() {
        cmd.arg("-v").env("NO_COLOR", "1");
    }
    let ((spawned, (out, wall, peak)), mut cost) = bench
        .measure(async {
            let spawned = chrono::Utc::now();
            let run = tokio::task::spawn_blocking(move || run_child_with_peak(cmd))
                .await
                .expect("join");
            (spawned, run)
        })
        .await;
    cost.wall = wall;
    if let Some(log) = log {
        // The spawn and the exit on the log's own clock: start-up and exit are wall time too.
        let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ");
        let exited = spawned + chrono::Duration::microseconds((wall * 1e6) as i64);
        let text = format!(
            "{} BENCH spawned\n{}{} BENCH exited\n",
            at(spawned),
            String::from_utf8_lossy(&out.stderr),
            at(exited)
        );
        std::fs::write(log, text).expect("plan log written");
    }
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let changes = plan["changes"].as_array().map_or(0, Vec::len);
    println!(
        "plan, 3 of {groups} groups, {users} users, {memberships} memberships ({names} names, {changes} changes): \
         {}, peak RSS {peak:.0} MB (targets: <= 10 s, <= 150 requests, <= 200 MB)",
        cost.describe()
    );
    if with_c1 {
        let client = bench.client(1, Access::Read);
        let d = desired(&yaml);
        let (live, c1) = bench
            .measure(client.read_live_scoped(&ReadScope::for_plan(&d)))
            .await;
        let live = live.expect("scoped read");
        let origin = Origin::Instance {
            domain: client.domain().into(),
        };
        let p = plan::make(&d, &live, origin, chrono::Utc::now(), &cli_words()).expect("plan");
        assert_eq!(p.plan.changes.len(), changes);
        println!("  the same plan's read at concurrency 1: {}", c1.describe());
    }
    bench.sandbox.shutdown().await;
}

fn pages(records: usize) -> u64 {
    // Full pages, then the page that shows the end (short or empty).
    (records / PAGE) as u64 + 1
}

async fn snapshot_row(users: u64, latency: Duration, phase: Duration, with_c1: bool) {
    let live = tenant::tenant(users, (users / 50).max(10), SHAPE);
    let minimum = pages(live.users.len())
        + pages(live.groups.len() + live.projects.len())
        + pages(live.roles.len())
        + pages(live.memberships.len());
    let expected = live.clone();
    let bench = Bench::start(live, latency, phase).await;
    let mut runs = vec![(
        "",
        bench.client(ClientOptions::default().read_concurrency, Access::Read),
    )];
    if with_c1 {
        runs.push((
            "  the same read at concurrency 1: ",
            bench.client(1, Access::Read),
        ));
    }
    for (label, client) in runs {
        let (read, cost) = bench.measure(client.read_live()).await;
        let read = read.expect("full read");
        assert_eq!(read.users.len(), expected.users.len());
        assert_eq!(read.memberships.len(), expected.memberships.len());
        let line = format!(
            "{} (x{:.2} the minimum {minimum})",
            cost.describe(),
            cost.requests as f64 / minimum as f64
        );
        if label.is_empty() {
            println!(
                "snapshot (full read), {users} users, {} memberships: {line} \
                 (targets: <= x1.05 minimum, <= x1.10 floor, 0-2 x429)",
                expected.memberships.len()
            );
        } else {
            println!("{label}{line}");
        }
    }
    bench.sandbox.shutdown().await;
}

async fn apply_row(changes: usize, latency: Duration, phase: Duration, with_c1: bool) {
    let live = tenant::tenant((changes as u64 * 5).max(2_000), 40, SHAPE);
    let bench = Bench::start(live.clone(), latency, phase).await;
    let mut runs = vec![("", 4, [1001, 1002], 0)];
    if with_c1 {
        runs.push((
            "  the same apply at concurrency 1: ",
            1,
            [1003, 1004],
            changes,
        ));
    }
    for (label, concurrency, gids, skip) in runs {
        let client = bench.client(ClientOptions::default().read_concurrency, Access::ReadWrite);
        let d = desired(&apply_policy(&live, gids, changes, skip));
        let fresh = client
            .read_live_scoped(&ReadScope::for_plan(&d))
            .await
            .expect("read");
        let origin = Origin::Instance {
            domain: client.domain().into(),
        };
        let p: Plan = plan::make(&d, &fresh, origin, chrono::Utc::now(), &cli_words())
            .expect("plan")
            .plan;
        assert_eq!(p.changes.len(), changes);
        let opts = apply::ApplyOptions {
            concurrency,
            ..apply::ApplyOptions::default()
        };
        let (report, cost) = bench.measure(apply::run(&p, &client, opts)).await;
        let report = report.expect("apply");
        assert_eq!(
            report.verified(),
            changes,
            "{}",
            report.render(&cli_words())
        );
        let line = cost.describe();
        if label.is_empty() {
            println!("apply of {changes} membership changes (writes at concurrency {concurrency}): {line} (target: <= x1.15 floor)");
        } else {
            println!("{label}{line}");
        }
    }
    bench.sandbox.shutdown().await;
}

/// Every group managed with exactly its members, by login: what `export` writes.
fn exported_policy(live: &Live) -> String {
    let mut members: std::collections::BTreeMap<u64, Vec<&str>> = Default::default();
    for m in &live.memberships {
        members
            .entry(m.group_id)
            .or_default()
            .push(login(live, m.user_id));
    }
    let mut yaml = String::from("groups:\n");
    for g in &live.groups {
        let list = members.get(&g.id).map(|v| v.join(", ")).unwrap_or_default();
        yaml.push_str(&format!("  {}:\n    members: [{list}]\n", g.name));
    }
    yaml
}

/// The binary with the sandbox's address and client in its environment.
fn binary(bench: &Bench, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coupa-access"));
    cmd.args(args)
        .env("COUPA_DOMAIN", bench.sandbox.url())
        .env("COUPA_CLIENT_ID", &bench.config.client_id)
        .env("COUPA_CLIENT_SECRET", &bench.config.client_secret)
        .env_remove("RUST_LOG");
    cmd
}

async fn exported_row(users: u64, latency: Duration, phase: Duration) {
    let groups = (users / 25).max(10);
    let live = tenant::tenant(users, groups, SHAPE);
    let minimum = pages(live.users.len())
        + pages(live.groups.len() + live.projects.len())
        + pages(live.roles.len())
        + pages(live.memberships.len());
    let yaml = exported_policy(&live);
    let memberships = live.memberships.len();
    let bench = Bench::start(live, latency, phase).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("groups.yaml"), &yaml).expect("policy written");
    let policies = dir.path().to_str().expect("utf-8 path").to_string();
    let cmd = binary(
        &bench,
        &["plan", "--format", "json", "--policies", &policies],
    );
    let ((out, wall, peak), mut cost) = bench
        .measure(async {
            tokio::task::spawn_blocking(move || run_child_with_peak(cmd))
                .await
                .expect("join")
        })
        .await;
    cost.wall = wall;
    assert!(
        out.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "plan of an exported policy (every group managed), {users} users, {groups} groups, \
         {memberships} memberships: {} (x{:.3} the full-read minimum {minimum}), peak RSS \
         {peak:.0} MB (target: <= x1.05 the minimum)",
        cost.describe(),
        cost.requests as f64 / minimum as f64
    );
    bench.sandbox.shutdown().await;
}

async fn memory_row(users: u64) {
    let groups = (users / 50).max(10);
    let live = tenant::tenant(users, groups, SHAPE);
    let yaml = plan_policy(&live, &[1000, 1000 + groups / 2, 1000 + groups - 1]);
    let memberships = live.memberships.len();
    // Unthrottled, no latency: the read's pacing is not what this row measures.
    let config = SandboxConfig {
        rate_per_second: 1e6,
        burst: 100_000,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(live, config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("sandbox");
    let bench = Bench { sandbox, config };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("groups.yaml"), &yaml).expect("policy written");
    let policies = dir.path().to_str().expect("utf-8 path").to_string();
    let snap = dir.path().join("snap.json");
    let snap_s = snap.to_str().expect("utf-8 path").to_string();
    let fast = ["--rate-limit", "1000", "--burst", "1000"];
    let mut runs: Vec<(&str, Vec<&str>)> = vec![
        ("snapshot (live)", vec!["snapshot", "--out", &snap_s]),
        (
            "drift (live)",
            vec!["drift", "--format", "json", "--policies", &policies],
        ),
    ];
    for (_, args) in &mut runs {
        args.extend(fast);
    }
    runs.push((
        "drift --snapshot (offline, the same tenant)",
        vec![
            "drift",
            "--format",
            "json",
            "--policies",
            &policies,
            "--snapshot",
            &snap_s,
        ],
    ));
    for (label, args) in runs {
        let cmd = binary(&bench, &args);
        let (out, wall, peak) = tokio::task::spawn_blocking(move || run_child_with_peak(cmd))
            .await
            .expect("join");
        // drift exits 0 or 2 (drift found); anything else is a failure.
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{label} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!(
            "{label}, {users} users, {groups} groups, {memberships} memberships: peak RSS \
             {peak:.0} MB in {wall:.1} s (target: <= 200 MB live)"
        );
    }
    bench.sandbox.shutdown().await;
}
