//! A plan never reads more than the whole tenant: a policy managing every group (what `export`
//! writes) is read in full, cut down to the scope, because its scoped read would take more
//! requests; a policy of a few groups is read scoped. Either way the plan is the same, and the
//! choice is reported at debug level. Requests are counted by the sandbox.

use coupa_access_client::{ReadScope, ReadWay};
use coupa_access_core::model::{Desired, Live, Origin, PolicyFile};
use coupa_access_core::{plan, policy};
use coupa_access_sandbox::Sandbox;

use crate::common::{capture_logs, client_reading, generated_tenant, unlimited_config};

/// Every group of `live` (or the first `groups` of them) managed authoritatively with exactly
/// its members, by login: what `export` writes.
fn exported(live: &Live, groups: usize) -> Desired {
    let mut yaml = String::from("groups:\n");
    for g in live.groups.iter().take(groups) {
        let members: Vec<&str> = live
            .memberships
            .iter()
            .filter(|m| m.group_id == g.id)
            .filter_map(|m| live.users.iter().find(|u| u.id == m.user_id))
            .map(|u| u.login.as_str())
            .collect();
        yaml.push_str(&format!(
            "  {}:\n    members: [{}]\n",
            g.name,
            members.join(", ")
        ));
    }
    policy::load_files(vec![PolicyFile {
        path: "policies/groups.yaml".into(),
        text: yaml,
    }])
    .expect("exported policy loads")
}

fn plan_json(desired: &Desired, live: &Live) -> String {
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let planned =
        plan::make(desired, live, origin, now, &crate::common::cli_words()).expect("plans");
    coupa_access_core::render::json(&planned.plan)
}

/// Requests and the plan of one read of `scope` going `way`.
async fn read(sb: &Sandbox, way: ReadWay, scope: &ReadScope, d: &Desired) -> (u64, String) {
    sb.reset_counts();
    let live = client_reading(sb, way)
        .read_live_scoped(scope)
        .await
        .expect("read");
    (sb.total_api_requests(), plan_json(d, &live))
}

/// A tenant large enough that the scoped read of an exported policy costs visibly more.
fn tenant() -> Live {
    let mut live = generated_tenant(1_500);
    // Logins the policy names must match the tenant's exactly: keep them plain.
    for u in &mut live.users {
        u.active = true;
    }
    live
}

#[tokio::test]
async fn an_exported_policy_is_read_in_full_and_plans_the_same() {
    let live = tenant();
    let groups = live.groups.len();
    let d = exported(&live, groups);
    let sb = Sandbox::start(live, unlimited_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let scope = ReadScope::for_plan(&d);
    let (full_read, full_plan) = read(&sb, ReadWay::Cheaper, &ReadScope::Everything, &d).await;
    let (scoped, scoped_plan) = read(&sb, ReadWay::Scoped, &scope, &d).await;
    let (forced_full, forced_plan) = read(&sb, ReadWay::Full, &scope, &d).await;
    let logs = capture_logs();
    let (chosen, chosen_plan) = read(&sb, ReadWay::Cheaper, &scope, &d).await;
    let text = logs.text();
    drop(logs);
    sb.shutdown().await;
    assert!(
        scoped > full_read * 11 / 10,
        "the scoped read should cost more than the full read here: {scoped} vs {full_read}"
    );
    assert!(
        chosen * 100 <= full_read * 105,
        "the plan's read took {chosen} requests, the full read {full_read} (scoped: {scoped})"
    );
    assert_eq!(chosen, forced_full, "the choice is the full read");
    assert!(text.contains(r#"part="memberships" way="full""#), "{text}");
    assert!(text.contains(r#"part="users" way="full""#), "{text}");
    for (what, plan) in [
        ("scoped", &scoped_plan),
        ("forced full", &forced_plan),
        ("chosen", &chosen_plan),
    ] {
        assert_eq!(plan, &full_plan, "the {what} read planned differently");
    }
}

#[tokio::test]
async fn a_policy_of_a_few_groups_is_read_scoped_and_plans_the_same() {
    let live = tenant();
    let d = exported(&live, 2);
    let sb = Sandbox::start(live, unlimited_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let scope = ReadScope::for_plan(&d);
    let (full_read, full_plan) = read(&sb, ReadWay::Cheaper, &ReadScope::Everything, &d).await;
    let (scoped, scoped_plan) = read(&sb, ReadWay::Scoped, &scope, &d).await;
    let (forced_full, forced_plan) = read(&sb, ReadWay::Full, &scope, &d).await;
    let logs = capture_logs();
    let (chosen, chosen_plan) = read(&sb, ReadWay::Cheaper, &scope, &d).await;
    let text = logs.text();
    drop(logs);
    sb.shutdown().await;
    assert!(
        forced_full > scoped * 2,
        "the full read should cost more here: {forced_full} vs {scoped}"
    );
    assert_eq!(chosen, scoped, "the choice is the scoped read");
    assert!(chosen * 3 < full_read, "{chosen} vs {full_read}");
    assert!(
        text.contains(r#"part="memberships" way="scoped""#),
        "{text}"
    );
    for (what, plan) in [
        ("scoped", &scoped_plan),
        ("forced full", &forced_plan),
        ("chosen", &chosen_plan),
    ] {
        assert_eq!(plan, &full_plan, "the {what} read planned differently");
    }
}
