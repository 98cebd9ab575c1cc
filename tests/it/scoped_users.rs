//! Scoped plans read only the users they need, and never trust a server that ignores a filter:
//! request counts on a large generated tenant (counts, not timing), the fallback to the full
//! user read (a server ignoring `[in]`, a name nobody has), and names `[in]` cannot carry.

use std::collections::BTreeSet;

use coupa_access_client::{Access, ReadScope};
use coupa_access_core::model::{Group, Live, Membership, Origin, PolicyFile, User};
use coupa_access_core::{plan, policy};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

use crate::common::{capture_logs, client_for, unlimited_config};

const USERS: &str = "GET /api/users";

/// `users` users (`user00001`, email `User00001@Acme.com`), 400 groups (`Group 000` …), each
/// user in two groups: about `users / 200` members per group.
fn large(users: u64) -> Live {
    let mut live = Live {
        groups: (0..400)
            .map(|g| Group::new(1000 + g, &format!("Group {g:03}")))
            .collect(),
        ..Live::default()
    };
    let mut next = 1;
    for id in 1..=users {
        let mut u = User::new(
            id,
            &format!("user{id:05}"),
            &format!("User{id:05}@Acme.com"),
        );
        u.active = id % 11 != 0;
        live.users.push(u);
        for g in BTreeSet::from([id % 400, (id * 7 + 3) % 400]) {
            live.memberships.push(Membership {
                id: next,
                user_id: id,
                group_id: 1000 + g,
                created_at: None,
                owner: false,
                participant: None,
            });
            next += 1;
        }
    }
    live
}

/// A policy managing `groups` of `live`: each keeps its members but the first (named by
/// login), and gains two people named by email.
fn policy_for(live: &Live, groups: &[u64]) -> Vec<PolicyFile> {
    let mut yaml = String::from("groups:\n");
    for (n, gid) in groups.iter().enumerate() {
        let name = &live.groups.iter().find(|g| g.id == *gid).unwrap().name;
        let mut members: Vec<String> = live
            .memberships
            .iter()
            .filter(|m| m.group_id == *gid)
            .skip(1)
            .map(|m| format!("user{:05}", m.user_id))
            .collect();
        for k in 0..2u64 {
            members.push(format!("user{:05}@acme.com", 5 + n as u64 * 2 + k));
        }
        yaml.push_str(&format!(
            "  {name}:\n    members: [{}]\n",
            members.join(", ")
        ));
    }
    vec![PolicyFile {
        path: "policies/groups.yaml".into(),
        text: yaml,
    }]
}

fn plan_json(files: &[PolicyFile], live: &Live) -> Result<String, Vec<String>> {
    let desired = policy::load_files(files.to_vec()).expect("policy loads");
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    match plan::make(&desired, live, origin, now, &crate::common::cli_words()) {
        Ok(p) => Ok(coupa_access_core::render::json(&p.plan)),
        Err(plan::PlanFailure::Check { errors, .. }) => {
            Err(errors.iter().map(|d| d.one_line()).collect())
        }
        Err(e) => Err(vec![e.to_string()]),
    }
}

async fn start(live: Live, faults: Faults) -> Sandbox {
    let config = SandboxConfig {
        faults,
        ..unlimited_config()
    };
    Sandbox::start(live, config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_three_groups_reads_a_few_dozen_user_pages_not_the_tenant() {
    let live = large(20_000);
    let files = policy_for(&live, &[1003, 1150, 1399]);
    let desired = policy::load_files(files.clone()).unwrap();
    let sb = start(live.clone(), Faults::default()).await;
    let client = client_for(&sb, Access::Read);
    let scoped = client
        .read_live_scoped(&ReadScope::for_plan(&desired))
        .await
        .unwrap();
    let counts = sb.request_counts();
    let user_pages = counts.get(USERS).copied().unwrap_or(0);
    let total = sb.total_api_requests();
    // ~300 members named by login (2 batches) and by email (4 batches), 6 by email only:
    // about 300/50 pages per attribute plus one empty page per batch; the members not named
    // (3) by id, one page. The full user read would take 401 pages.
    assert!(
        (12..=24).contains(&user_pages),
        "{user_pages} user pages: {counts:?}"
    );
    // Groups: 8 pages and an empty one (or a probe and ranges); memberships of 3 groups:
    // ~300 rows, 7 pages.
    assert!(total <= user_pages + 25, "{total} requests: {counts:?}");
    assert!(
        scoped.users.len() < 400,
        "{} users read",
        scoped.users.len()
    );

    sb.reset_counts();
    // The full read for comparison, unthrottled (1,200 requests).
    let conn = coupa_access_client::Connection::new(
        &sb.url(),
        crate::common::CLIENT_ID,
        crate::common::CLIENT_SECRET.to_string().into(),
    )
    .unwrap();
    let opts = coupa_access_client::ClientOptions {
        per_second: 1e6,
        burst: 100_000,
        ..Default::default()
    };
    let full = coupa_access_client::Client::new(conn, Access::Read, opts)
        .unwrap()
        .read_live()
        .await
        .unwrap();
    assert!(sb.request_counts()[USERS] > 400);
    sb.shutdown().await;
    let planned = plan_json(&files, &scoped);
    assert!(planned.is_ok(), "{planned:?}");
    assert_eq!(planned, plan_json(&files, &full));
}

#[tokio::test]
async fn a_server_ignoring_in_filters_is_noticed_and_every_user_read() {
    let logs = capture_logs();
    let live = large(1_000);
    let files = policy_for(&live, &[1003]);
    let desired = policy::load_files(files.clone()).unwrap();
    let sb = start(
        live.clone(),
        Faults {
            ignore_in_filters: true,
            ..Faults::default()
        },
    )
    .await;
    let client = client_for(&sb, Access::Read);
    let read = client
        .read_live_scoped(&ReadScope::for_plan(&desired))
        .await
        .unwrap();
    sb.shutdown().await;
    assert_eq!(
        read.users, live.users,
        "the full user read, nothing filtered"
    );
    assert!(
        logs.text().contains("scoped user read not used"),
        "said at debug level: {}",
        logs.text()
    );
    let planned = plan_json(&files, &read);
    assert!(planned.is_ok(), "{planned:?}");
    assert_eq!(planned, plan_json(&files, &live));
}

#[tokio::test]
async fn a_name_nobody_has_reads_every_user_for_did_you_mean() {
    let live = large(1_000);
    let mut files = policy_for(&live, &[1003]);
    files[0].text = files[0].text.replace("members: [", "members: [user0O123, ");
    let desired = policy::load_files(files.clone()).unwrap();
    let sb = start(live.clone(), Faults::default()).await;
    let read = client_for(&sb, Access::Read)
        .read_live_scoped(&ReadScope::for_plan(&desired))
        .await
        .unwrap();
    sb.shutdown().await;
    assert_eq!(read.users.len(), live.users.len());
    let errors = plan_json(&files, &read).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("unknown user `user0O123`")
            && errors[0].contains("did you mean `user00123`?"),
        "{errors:?}"
    );
    assert_eq!(Err(errors), plan_json(&files, &live));
}

#[tokio::test]
async fn names_with_commas_are_asked_alone_and_supplier_emails_change_nothing() {
    let mut live = large(1_000);
    live.users
        .push(User::new(5_000, "doe, jane", "jane.doe@acme.com"));
    // A Supplier Portal account sharing an employee's email.
    live.users.push(User {
        supplier: true,
        ..User::new(5_001, "acme-parts", "User00007@Acme.com")
    });
    let files = vec![PolicyFile {
        path: "policies/g.yaml".into(),
        text: "groups:\n  Group 007:\n    mode: additive\n    members: [\"Doe, Jane\", user00007@acme.com]\n"
            .into(),
    }];
    let desired = policy::load_files(files.clone()).unwrap();
    let sb = start(live.clone(), Faults::default()).await;
    let read = client_for(&sb, Access::Read)
        .read_live_scoped(&ReadScope::for_plan(&desired))
        .await
        .unwrap();
    sb.shutdown().await;
    let ids: BTreeSet<u64> = read.users.iter().map(|u| u.id).collect();
    assert!(
        ids.contains(&5_000) && ids.contains(&5_001) && ids.contains(&7),
        "{ids:?}"
    );
    assert!(ids.len() < 20, "scoped: {ids:?}");
    let planned = plan_json(&files, &read);
    assert!(
        planned.as_ref().is_ok_and(|p| p.contains("doe, jane")),
        "{planned:?}"
    );
    assert_eq!(planned, plan_json(&files, &live));
}
