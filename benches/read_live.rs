//! Reads a generated tenant from the sandbox with the real client and prints how close the read
//! came to the minimum: requests made vs the fewest a correct paging client needs, and wall time
//! vs the floor Coupa's rate limit (25/s, burst 20) imposes on that many requests. The sandbox
//! answers each request after a latency (real Coupa takes hundreds of ms per page), so a read
//! that only pages sequentially would be latency-bound; that bound is printed too. Each size is
//! read twice: everything (`read_live`), and scoped to the memberships of 3 of the 40 groups.
//!
//! `cargo bench --bench read_live` (sizes: `BENCH_USERS=2000,10000`; `BENCH_RATE=25`;
//! `BENCH_LATENCY_MS=100`; `BENCH_READ_CONCURRENCY`, default the client's).
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use coupa_access_client::{Access, Client, ClientOptions, Connection, ReadScope};
use coupa_access_core::model::{Group, License, Live, Membership, Role, User};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

const PAGE: usize = 50;

fn tenant(users: usize) -> Live {
    let groups = 40;
    let mut live = Live::default();
    for g in 0..groups {
        live.groups.push(Group {
            id: 1000 + g as u64,
            name: format!("Group {g:02}"),
            description: None,
            active: true,
        });
    }
    live.projects.push(Group {
        id: 5000,
        name: "Project".into(),
        description: None,
        active: true,
    });
    for r in 0..12u64 {
        live.roles.push(Role {
            id: r + 1,
            name: format!("Role {r}"),
            description: None,
            omnipotent: r == 0,
            system_role: true,
        });
    }
    let mut mid = 1;
    for i in 0..users as u64 {
        let id = 10_000 + i;
        live.users.push(User {
            id,
            login: format!("user{i:06}"),
            email: format!("User{i:06}@Acme.com"),
            firstname: Some("First".into()),
            lastname: Some(format!("Last{i}")),
            fullname: None,
            active: i % 17 != 0,
            roles: BTreeSet::from([2, 3 + i % 9]),
            licenses: BTreeSet::from([License::Expense]),
            supplier: false,
            api_user: false,
        });
        // Two memberships per user.
        for g in [i % groups as u64, (i * 7 + 3) % groups as u64] {
            if live
                .memberships
                .iter()
                .rev()
                .take(2)
                .any(|m: &Membership| m.user_id == id && m.group_id == 1000 + g)
            {
                continue;
            }
            live.memberships.push(Membership {
                id: mid,
                user_id: id,
                group_id: 1000 + g,
                created_at: Some("2026-01-05T10:00:00+00:00".into()),
                owner: false,
                participant: None,
            });
            mid += 1;
        }
    }
    live
}

fn pages(records: usize) -> u64 {
    // Full pages, then the page that shows the end (short or empty).
    (records / PAGE) as u64 + 1
}

/// One timed read and how close it came to the minimum.
struct Run<'a> {
    label: &'a str,
    users: usize,
    /// Records the read must fetch, per resource.
    records: [usize; 4],
    rate: f64,
    latency: Duration,
}

impl Run<'_> {
    fn minimum(&self) -> u64 {
        1 + self.records.iter().map(|&r| pages(r)).sum::<u64>()
    }

    /// What a sequential scan per resource needs at this latency: the longest resource's pages,
    /// one round trip each (the resources themselves run concurrently).
    fn sequential(&self) -> f64 {
        let longest = self.records.iter().map(|&r| pages(r)).max().unwrap_or(0);
        longest as f64 * self.latency.as_secs_f64()
    }

    fn report(&self, sandbox: &Sandbox, wall: f64) {
        let counts = sandbox.request_counts();
        let made: u64 = counts
            .iter()
            .filter(|(k, _)| k.starts_with("GET ") || k.starts_with("POST "))
            .map(|(_, v)| *v)
            .sum();
        let throttled = counts.get("429").copied().unwrap_or(0);
        let minimum = self.minimum();
        let floor = (made.saturating_sub(20)) as f64 / self.rate;
        let sequential = self.sequential();
        println!(
            "users={:>6} {:<22} memberships={:>6}: requests {made} vs minimum {minimum} (x{:.2}), \
             429s {throttled}, wall {wall:.1}s vs rate-limit floor {floor:.1}s (x{:.2}); \
             a sequential scan needs >= {sequential:.1}s (x{:.2} of floor)",
            self.users,
            self.label,
            self.records[3],
            made as f64 / minimum as f64,
            if floor > 0.0 { wall / floor } else { 0.0 },
            if floor > 0.0 { sequential / floor } else { 0.0 },
        );
    }
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_USERS")
        .unwrap_or_else(|_| "2000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rate: f64 = env_or("BENCH_RATE", 25.0);
    let latency = Duration::from_millis(env_or("BENCH_LATENCY_MS", 100));
    let read_concurrency = env_or(
        "BENCH_READ_CONCURRENCY",
        ClientOptions::default().read_concurrency,
    );
    println!(
        "sandbox: {rate}/s burst 20, {} ms per answer; client: read_concurrency {}",
        latency.as_millis(),
        read_concurrency
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for users in sizes {
        let live = tenant(users);
        let chosen: Vec<String> = live.groups.iter().take(3).map(|g| g.name.clone()).collect();
        let chosen_ids: BTreeSet<u64> = live.groups.iter().take(3).map(|g| g.id).collect();
        let scoped_memberships = live
            .memberships
            .iter()
            .filter(|m| chosen_ids.contains(&m.group_id))
            .count();
        let base = [
            live.users.len(),
            live.groups.len() + live.projects.len(),
            live.roles.len(),
        ];
        runtime.block_on(async {
            let config = SandboxConfig {
                rate_per_second: rate,
                burst: 20,
                faults: Faults {
                    latency,
                    ..Faults::default()
                },
                ..SandboxConfig::default()
            };
            let sandbox =
                Sandbox::start(live.clone(), config.clone(), "127.0.0.1:0".parse().unwrap())
                    .await
                    .expect("sandbox");
            let client = || {
                let conn = Connection::new(
                    &sandbox.url(),
                    &config.client_id,
                    config.client_secret.clone().into(),
                )
                .expect("connection");
                let opts = ClientOptions {
                    per_second: rate,
                    burst: 20,
                    read_concurrency,
                    ..ClientOptions::default()
                };
                Client::new(conn, Access::Read, opts).expect("client")
            };
            let scopes = [
                (
                    "read_live (everything)",
                    ReadScope::Everything,
                    live.memberships.len(),
                ),
                (
                    "scoped (3 groups)",
                    scope_named(&chosen),
                    scoped_memberships,
                ),
            ];
            for (label, scope, memberships) in scopes {
                // Let the sandbox's bucket drain so each read starts with its burst.
                tokio::time::sleep(Duration::from_secs(2)).await;
                sandbox.reset_counts();
                let client = client();
                let start = Instant::now();
                let read = client.read_live_scoped(&scope).await.expect("read");
                let wall = start.elapsed().as_secs_f64();
                assert_eq!(read.users.len(), live.users.len());
                assert_eq!(read.memberships.len(), memberships);
                let run = Run {
                    label,
                    users,
                    records: [base[0], base[1], base[2], memberships],
                    rate,
                    latency,
                };
                run.report(&sandbox, wall);
            }
            sandbox.shutdown().await;
        });
    }
}

/// A scoped read of the groups with these names, by the planner's name rule.
fn scope_named<S: AsRef<str>>(names: &[S]) -> ReadScope {
    ReadScope::managed_by(coupa_access_core::plan::ManagedGroups::named(
        names.iter().map(|n| n.as_ref()),
    ))
}
