//! Reads a generated tenant from the sandbox with the real client and prints how close the read
//! came to the minimum: requests made vs the fewest a correct paging client needs, and wall time
//! vs the floor Coupa's rate limit (25/s, burst 20) imposes on that many requests.
//!
//! `cargo bench --bench read_live` (sizes: `BENCH_USERS=2000,10000`; `BENCH_RATE=25`).

use std::collections::BTreeSet;
use std::time::Instant;

use coupa_access::coupa::{Access, Client, ClientOptions, Connection};
use coupa_access::model::{Group, License, Live, Membership, Role, User};
use coupa_access::sandbox::{Sandbox, SandboxConfig};

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

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_USERS")
        .unwrap_or_else(|_| "2000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rate: f64 = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for users in sizes {
        let live = tenant(users);
        let minimum = 1 // token
            + pages(live.users.len())
            + pages(live.groups.len() + live.projects.len())
            + pages(live.roles.len())
            + pages(live.memberships.len());
        runtime.block_on(async {
            let config = SandboxConfig {
                rate_per_second: rate,
                burst: 20,
                ..SandboxConfig::default()
            };
            let sandbox = Sandbox::start(live.clone(), config.clone(), "127.0.0.1:0".parse().unwrap())
                .await
                .expect("sandbox");
            let conn = Connection::new(&sandbox.url(), &config.client_id, config.client_secret.clone().into())
                .expect("connection");
            let opts = ClientOptions {
                per_second: rate,
                burst: 20,
                ..ClientOptions::default()
            };
            let client = Client::new(conn, Access::Read, opts).expect("client");
            let start = Instant::now();
            let read = client.read_live().await.expect("read_live");
            let wall = start.elapsed().as_secs_f64();
            assert_eq!(read.users.len(), live.users.len());
            assert_eq!(read.memberships.len(), live.memberships.len());
            let counts = sandbox.request_counts();
            let made: u64 = counts
                .iter()
                .filter(|(k, _)| k.starts_with("GET ") || k.starts_with("POST "))
                .map(|(_, v)| *v)
                .sum();
            let throttled = counts.get("429").copied().unwrap_or(0);
            let floor = (made.saturating_sub(20)) as f64 / rate;
            println!(
                "users={users:>6} memberships={:>6}: requests {made} vs minimum {minimum} (x{:.2}), \
                 429s {throttled}, wall {wall:.1}s vs rate-limit floor {floor:.1}s (x{:.2})",
                live.memberships.len(),
                made as f64 / minimum as f64,
                if floor > 0.0 { wall / floor } else { 0.0 },
            );
            sandbox.shutdown().await;
        });
    }
}
