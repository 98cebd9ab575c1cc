//! `plan --snapshot` at scale, end to end through the release binary: a generated tenant of
//! 100,000 users, 2,000 groups and about 300,000 memberships, and a policy managing every group
//! (written by the binary's own `export`, as a team bootstrapping a repository would). Two
//! workloads: the snapshot the policy was exported from (no changes; the ~6% inactive users still
//! listed give thousands of warnings), and one differing by about 1% of memberships each way, so
//! the plan also has thousands of adds and removals to render.
//!
//! Prints wall time and peak resident memory of each run beside the targets (1.0 s, 150 MB):
//! measured, not asserted. Peak memory is the child's `VmHWM` (Linux), sampled while it runs.
//!
//! `cargo bench --bench plan_snapshot` (`BENCH_PLAN_USERS=20000` to shrink the tenant: groups
//! and memberships scale with it; `BENCH_PLAN_RUNS=3`; `BENCH_PLAN_KEEP=DIR` keeps the files;
//! `BENCH_PLAN_BIN=PATH` measures another build of the binary on the same files).
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coupa_access_core::model::{Live, Membership};

#[path = "support/tenant.rs"]
mod tenant;

const TARGET_SECONDS: f64 = 1.0;
const TARGET_MB: f64 = 150.0;

/// splitmix64: a fixed, portable sequence, so every run and machine plans the same drift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The tenant: the shared generator's (`support/tenant.rs`: every 17th user inactive, three
/// memberships each, names, roles and licenses) with `users / 50` groups, plus what this plan
/// has to handle: one login in ten in mixed case, some groups described or inactive, and one
/// owner per group (its first member).
fn tenant(users: usize) -> Live {
    let groups = (users / 50).max(1) as u64;
    let shape = tenant::Shape {
        names: true,
        project: true,
        access: true,
        owner_every: None,
    };
    let mut live = tenant::tenant(users as u64, groups, shape);
    for (i, u) in live.users.iter_mut().enumerate() {
        if i % 10 == 3 {
            u.login = format!("User{i:06}");
        }
    }
    for (g, group) in live.groups.iter_mut().enumerate() {
        group.description = (g % 4 == 0).then(|| format!("Team {g} approvers"));
        group.active = g % 97 != 5;
    }
    let mut owned = BTreeSet::new();
    for m in &mut live.memberships {
        if owned.insert(m.group_id) {
            m.owner = true;
        }
    }
    live
}

/// The tenant as planned: about 1% of memberships gone (the plan adds them back; owners are
/// kept so no owner warning drowns the rest) and as many new ones (the plan removes them).
fn drifted(base: &Live, rng: &mut Rng) -> Live {
    let mut live = base.clone();
    live.memberships.retain(|m| m.owner || rng.below(100) != 0);
    let groups = live.groups.len() as u64;
    let mut next = base.memberships.len() as u64 + 1;
    let have: BTreeSet<(u64, u64)> = live
        .memberships
        .iter()
        .map(|m| (m.user_id, m.group_id))
        .collect();
    for _ in 0..base.memberships.len() / 100 {
        let user = &base.users[rng.below(base.users.len() as u64) as usize];
        let group_id = 1000 + rng.below(groups);
        if have.contains(&(user.id, group_id)) {
            continue;
        }
        live.memberships.push(Membership {
            id: next,
            user_id: user.id,
            group_id,
            created_at: Some("2026-02-01T12:00:00+00:00".into()),
            owner: false,
            participant: None,
        });
        next += 1;
    }
    live
}

/// What one run of the binary took.
struct Measured {
    wall: Duration,
    /// Peak resident set in KiB, when the platform says (`/proc/PID/status`).
    peak_kib: Option<u64>,
    exit: Option<i32>,
}

/// `VmHWM` (peak resident set, KiB) of a running process, on Linux.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs the binary with `args`, stdout and stderr to files, sampling its peak memory until it
/// exits (a high-water mark, so the last sample is the peak up to then).
fn run(bin: &Path, args: &[&str], out: &Path, err: &Path) -> Measured {
    let stdout = std::fs::File::create(out).expect("stdout file");
    let stderr = std::fs::File::create(err).expect("stderr file");
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("run coupa-access");
    let mut peak = None;
    let status = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            // A high-water mark: sparse samples still see the peak, and polling /proc
            // every millisecond took CPU from the measured process on a 2-core machine.
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Measured {
        wall: start.elapsed(),
        peak_kib: peak,
        exit: status.code(),
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn main() {
    let users: usize = env_or("BENCH_PLAN_USERS", 100_000).max(1);
    let runs: usize = env_or("BENCH_PLAN_RUNS", 3).max(1);
    // Another build (e.g. of main, for a before/after) can be measured on the same files.
    let bin = std::env::var_os("BENCH_PLAN_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_coupa-access")),
        PathBuf::from,
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = match std::env::var_os("BENCH_PLAN_KEEP") {
        Some(keep) => PathBuf::from(keep),
        None => tmp.path().to_path_buf(),
    };
    std::fs::create_dir_all(&dir).expect("bench dir");

    let mut rng = Rng(0x00c0_ffee);
    let base = tenant(users);
    let planned = drifted(&base, &mut rng);
    let taken_at = "2026-01-01T00:00:00Z";
    let domain = "https://bench.coupahost.com";
    let base_path = dir.join("exported-from.json");
    let tenant_path = dir.join("tenant.json");
    write(
        &base_path,
        &coupa_access_core::snapshot::to_json(&base, domain, taken_at),
    );
    write(
        &tenant_path,
        &coupa_access_core::snapshot::to_json(&planned, domain, taken_at),
    );
    let policies = dir.join("policies");
    let exported = run(
        &bin,
        &[
            "export",
            "--snapshot",
            &base_path.to_string_lossy(),
            "--out-dir",
            &policies.to_string_lossy(),
            "--force",
        ],
        &dir.join("export.out"),
        &dir.join("export.err"),
    );
    assert_eq!(
        exported.exit,
        Some(0),
        "export failed: see {}",
        dir.display()
    );
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "tenant: {} users, {} groups, {} memberships ({:.1} MB snapshot); policy: {:.1} MB YAML \
         managing every group",
        planned.users.len(),
        planned.groups.len(),
        planned.memberships.len(),
        size(&tenant_path),
        size(&policies.join("groups.yaml")),
    );
    drop((base, planned));

    // Two workloads on one policy: the snapshot it was exported from (export then plan: no
    // changes, only the inactive-user warnings) and the drifted tenant (thousands of changes).
    for (label, snapshot) in [
        ("no changes (export then plan)", &base_path),
        ("~1% drift each way", &tenant_path),
    ] {
        let args = [
            "plan",
            "--snapshot",
            &snapshot.to_string_lossy(),
            "--policies",
            &policies.to_string_lossy(),
            "--color",
            "never",
        ];
        let out = dir.join("plan.out");
        let err = dir.join("plan.err");
        let mut walls = Vec::new();
        for i in 1..=runs {
            let m = run(&bin, &args, &out, &err);
            assert_eq!(m.exit, Some(0), "plan failed: see {}", err.display());
            let wall = m.wall.as_secs_f64();
            walls.push(wall);
            let mb = m.peak_kib.map(|k| k as f64 * 1024.0 / 1e6);
            println!(
                "plan --snapshot, {label}, run {i}/{runs}: wall {wall:.2} s (target {TARGET_SECONDS:.1} s, x{:.2}), \
                 peak RSS {} (target {TARGET_MB:.0} MB{}); stdout {:.2} MB, stderr {:.2} MB",
                wall / TARGET_SECONDS,
                mb.map_or("n/a".into(), |mb| format!("{mb:.0} MB")),
                mb.map_or(String::new(), |mb| format!(", x{:.2}", mb / TARGET_MB)),
                size(&out),
                size(&err),
            );
        }
        walls.sort_by(f64::total_cmp);
        println!(
            "plan --snapshot, {label}: median wall {:.2} s over {runs} run(s)",
            walls[walls.len() / 2]
        );
    }
}
