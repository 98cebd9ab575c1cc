//! A plan of a few groups looks their ids up by name (`name[in]=`) beside the full groups read,
//! so their memberships are read while every group still is. A hint only: the same `Live`
//! whatever the lookup answers — names that find nothing, a server ignoring `[in]`, one that
//! refuses it.

use std::sync::Arc;

use coupa_access_client::ReadScope;
use coupa_access_core::model::Live;
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

use crate::common::{client_for, generated_tenant, unlimited_config};

fn scope(names: &[&str]) -> ReadScope {
    ReadScope::GroupsAndUsers {
        groups: Arc::new(|g| g.name == "Group 03" || g.name == "Group 17"),
        identities: vec!["user00003".to_string(), "user00010".to_string()].into(),
        group_names: names
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .into(),
    }
}

async fn read(config: SandboxConfig, live: &Live, names: &[&str]) -> (Live, u64) {
    let sb = Sandbox::start(live.clone(), config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = client_for(&sb, coupa_access_client::Access::Read);
    let read = client.read_live_scoped(&scope(names)).await.unwrap();
    let groups_requests = sb
        .request_counts()
        .get("GET /api/user_groups")
        .copied()
        .unwrap_or(0);
    sb.shutdown().await;
    (read, groups_requests)
}

#[tokio::test]
async fn managed_groups_found_by_name_are_read_early_with_the_same_result() {
    let live = generated_tenant(600);
    let (plain, groups_plain) = read(unlimited_config(), &live, &[]).await;
    assert!(!plain.memberships.is_empty());
    let (early, groups_early) = read(unlimited_config(), &live, &["group 03", "Group 17"]).await;
    assert_eq!(early, plain);
    assert_eq!(groups_early, groups_plain + 1, "one lookup by name");
    // Names that find one group, or nothing: the rest is read after the groups.
    for names in [&["Group 03", "Nobody's"][..], &["Group 99"]] {
        assert_eq!(read(unlimited_config(), &live, names).await.0, plain);
    }
    for faults in [
        Faults {
            ignore_in_filters: true,
            ..Faults::default()
        },
        Faults {
            reject_in_filters: true,
            ..Faults::default()
        },
    ] {
        let config = SandboxConfig {
            faults,
            ..unlimited_config()
        };
        let (got, _) = read(config, &live, &["Group 03", "Group 17"]).await;
        assert_eq!(got.memberships, plain.memberships);
        assert_eq!(got.groups, plain.groups);
    }
}
