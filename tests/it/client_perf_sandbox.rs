//! Large and scoped reads against the sandbox: reads split into concurrent id ranges return
//! exactly the tenant, fail as a whole, and scoped reads fetch only the chosen groups'
//! memberships.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coupa_access_client::{Access, Client, ClientOptions, Connection, CoupaError, ReadScope};
use coupa_access_core::compact::{IdSet, LicenseSet};
use coupa_access_core::model::{Group, License, Live, Membership, Role, User};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

const CLIENT_ID: &str = "perf-client";
const CLIENT_SECRET: &str = "perf-secret-never-shown";
const MEMBERSHIPS: &str = "GET /api/user_group_memberships";
const GROUPS: u64 = 40;

/// 3,000 users whose ids have gaps (small ones throughout and a wide hole in the middle),
/// 40 groups and a project, 12 roles, and about two memberships per user with gaps in their
/// ids too. Groups are named `Group 00` … `Group 39` (id `1000 + n`).
fn large_tenant() -> Live {
    let mut live = Live::default();
    for g in 0..GROUPS {
        live.groups
            .push(Group::new(1000 + g, &format!("Group {g:02}")));
    }
    live.projects.push(Group::new(5000, "Project"));
    for r in 1..=12u64 {
        live.roles.push(Role::new(r, &format!("Role {r}"), r == 1));
    }
    let mut mid = 7u64;
    for i in 0..3000u64 {
        let hole = if i >= 1500 { 40_000 } else { 0 };
        let id = 10_000 + i * 3 + (i % 5) % 3 + hole;
        let mut u = User::new(id, &format!("user{i:05}"), &format!("User{i:05}@Acme.com"));
        u.active = i % 17 != 0;
        u.roles = IdSet::from([2, 3 + i % 9]);
        u.licenses = LicenseSet::from([License::Expense]);
        live.users.push(u);
        let first = i % GROUPS;
        let second = (i * 7 + 3) % GROUPS;
        for g in BTreeSet::from([first, second]) {
            live.memberships.push(Membership {
                id: mid,
                user_id: id,
                group_id: 1000 + g,
                created_at: Some("2026-01-05T10:00:00+00:00".into()),
                owner: false,
                participant: None,
            });
            mid += 1 + (i % 4);
        }
    }
    live
}

/// A sandbox whose rate limit is far above what the test sends, so nothing waits on it.
async fn start(tenant: Live, faults: Faults) -> Sandbox {
    let config = SandboxConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_per_second: 100_000.0,
        burst: 10_000,
        faults,
        ..SandboxConfig::default()
    };
    Sandbox::start(tenant, config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn opts() -> ClientOptions {
    ClientOptions {
        burst: 10_000,
        per_second: 100_000.0,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        ..ClientOptions::default()
    }
}

fn client(sb: &Sandbox, opts: ClientOptions) -> Client {
    let conn = Connection::new(&sb.url(), CLIENT_ID, CLIENT_SECRET.to_string().into()).unwrap();
    Client::new(conn, Access::Read, opts).unwrap()
}

/// The pages a plain keyset scan needs: full pages, a short one if any, then the empty one.
fn plain_scan_pages(records: usize) -> u64 {
    (records as u64).div_ceil(50) + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_read_returns_exactly_the_tenant_with_gaps_in_ids() {
    let tenant = large_tenant();
    let sb = start(tenant.clone(), Faults::default()).await;
    let mut c = client(&sb, opts());
    let last: Arc<Mutex<BTreeMap<&'static str, Vec<u64>>>> = Arc::default();
    let l = last.clone();
    c.set_progress(Arc::new(move |p| {
        l.lock()
            .unwrap()
            .entry(p.resource)
            .or_default()
            .push(p.fetched);
    }));
    let live = c.read_live().await.unwrap();
    assert_eq!(live, tenant);

    // Progress reports running totals per resource, ending at the resource's size.
    let reports = last.lock().unwrap().clone();
    for (resource, total) in [
        ("users", tenant.users.len()),
        ("memberships", tenant.memberships.len()),
        ("roles", tenant.roles.len()),
    ] {
        let seen = &reports[resource];
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{resource}: {seen:?}");
        assert_eq!(seen.last().copied(), Some(total as u64), "{resource}");
    }

    // Splitting costs at most a couple of requests per range (8 ranges) plus the probe.
    let counts = sb.request_counts();
    for (route, records) in [
        ("GET /api/users", tenant.users.len()),
        (MEMBERSHIPS, tenant.memberships.len()),
    ] {
        let made = counts[route];
        let plain = plain_scan_pages(records);
        assert!(made <= plain + 2 * 8 + 1, "{route}: {made} vs {plain}");
    }
    // Small resources are read as a plain scan: one page and the empty page.
    assert_eq!(counts["GET /api/roles"], 2);
    assert_eq!(counts["POST /oauth2/token"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_range_or_eight_read_the_same_tenant() {
    let tenant = large_tenant();
    let sb = start(tenant.clone(), Faults::default()).await;
    for read_concurrency in [1, 3, 8] {
        let c = client(
            &sb,
            ClientOptions {
                read_concurrency,
                ..opts()
            },
        );
        assert_eq!(c.read_live().await.unwrap(), tenant, "{read_concurrency}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_failing_mid_read_fails_the_whole_read() {
    // One request in a hundred fails, from a seeded sequence, and nothing is retried. Faults
    // are drawn in arrival order, so each read meets its first failure at the same request
    // (the 61st with this seed), whatever order its concurrent requests arrive in: well after
    // the id ranges started, before either read is done.
    let faults = Faults {
        error_rate: 0.01,
        error_status: 503,
        seed: 32,
        ..Faults::default()
    };
    let no_retries = ClientOptions {
        max_retries: 0,
        ..opts()
    };
    let scopes = [
        ReadScope::Everything,
        scope_named(&["Group 01", "Group 02"]),
    ];
    for scope in scopes {
        let sb = start(large_tenant(), faults.clone()).await;
        let c = client(&sb, no_retries.clone());
        let err = c.read_live_scoped(&scope).await.unwrap_err();
        assert!(
            matches!(err, CoupaError::RetriesExhausted { status: 503, .. }),
            "{scope:?}: {err:?}"
        );
        let counts = sb.request_counts();
        assert!(counts["fault"] >= 1, "{counts:?}");
        assert!(sb.total_api_requests() > 50, "mid-read: {counts:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_read_returns_only_the_chosen_groups_memberships_with_fewer_requests() {
    let tenant = large_tenant();
    let sb = start(tenant.clone(), Faults::default()).await;
    let c = client(&sb, opts());
    c.read_live().await.unwrap();
    let everything = sb.request_counts()[MEMBERSHIPS];
    sb.reset_counts();

    let names = [
        "group 03",
        "GROUP 17",
        "Group 29",
        "No Such Group",
        "Project",
    ];
    let scope = scope_named(&names);
    let live = c.read_live_scoped(&scope).await.unwrap();
    let chosen = BTreeSet::from([1003, 1017, 1029]);
    let want: Vec<Membership> = tenant
        .memberships
        .iter()
        .filter(|m| chosen.contains(&m.group_id))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(live.memberships, want);
    assert_eq!(
        Live {
            memberships: tenant.memberships.clone(),
            ..live
        },
        tenant,
        "users, groups, projects and roles are read in full"
    );
    let scoped = sb.request_counts()[MEMBERSHIPS];
    assert!(
        scoped * 5 < everything,
        "3 of 40 groups: {scoped} requests vs {everything}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_scope_reads_no_memberships() {
    let tenant = large_tenant();
    let sb = start(tenant.clone(), Faults::default()).await;
    let c = client(&sb, opts());
    for names in [vec![], vec!["No Such Group".to_string()]] {
        sb.reset_counts();
        let live = c.read_live_scoped(&scope_named(&names)).await.unwrap();
        assert!(live.memberships.is_empty());
        assert_eq!(live.users, tenant.users);
        assert_eq!(live.groups, tenant.groups);
        let counts = sb.request_counts();
        assert_eq!(counts.get(MEMBERSHIPS), None, "{names:?}: {counts:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_of_more_than_25_groups_is_read_in_chunks_and_misses_none() {
    let tenant = large_tenant();
    let sb = start(tenant.clone(), Faults::default()).await;
    let c = client(&sb, opts());
    let all: Vec<String> = tenant.groups.iter().map(|g| g.name.clone()).collect();
    assert!(all.len() > 25);
    let live = c.read_live_scoped(&scope_named(&all)).await.unwrap();
    assert_eq!(live, tenant);
}

/// A scoped read of the groups with these names, by the planner's name rule.
fn scope_named<S: AsRef<str>>(names: &[S]) -> ReadScope {
    ReadScope::managed_by(coupa_access_core::plan::ManagedGroups::named(
        names.iter().map(|n| n.as_ref()),
    ))
}
