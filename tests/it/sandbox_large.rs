//! A large tenant: keyset paging and per-group membership reads stay correct (and cheap: the
//! sandbox renders only the page it answers).

use std::collections::BTreeSet;

use crate::sandbox_support::{get, start_tenant, token, READ};
use coupa_access_core::model::{Live, Membership, User};
use coupa_access_sandbox::SandboxConfig;

fn large_tenant(users: u64) -> Live {
    let mut live = coupa_access_sandbox::sample_tenant();
    let template = live.users[10].clone();
    for id in 2000..2000 + users {
        live.users.push(User {
            id,
            login: format!("user{id}"),
            email: format!("User{id}@Acme.com"),
            ..template.clone()
        });
        live.memberships.push(Membership {
            id: 100_000 + id,
            user_id: id,
            group_id: 103 + (id % 3),
            created_at: None,
            owner: false,
            participant: None,
        });
    }
    live
}

#[tokio::test]
async fn keyset_paging_reads_a_large_tenant_exactly_once() {
    let extra = 20_000;
    let config = SandboxConfig {
        rate_per_second: 1e9,
        burst: 1_000_000,
        ..SandboxConfig::default()
    };
    let sb = start_tenant(large_tenant(extra), config).await;
    let t = token(&sb, READ).await;
    let read_all = |path: &'static str| {
        let (sb, t) = (&sb, &t);
        async move {
            let mut ids = Vec::new();
            let mut last = 0;
            loop {
                let (_, page) = get(sb, t, &format!("{path}&id[gt]={last}")).await;
                let page = page.as_array().unwrap();
                if page.is_empty() {
                    return ids;
                }
                ids.extend(page.iter().map(|v| v["id"].as_u64().unwrap()));
                last = *ids.last().unwrap();
            }
        }
    };
    let users = read_all("/api/users?fields=%5B%22id%22%5D&order_by=id&dir=asc").await;
    assert_eq!(users.len() as u64, 302 + extra);
    assert_eq!(users.iter().collect::<BTreeSet<_>>().len(), users.len());
    let members = read_all("/api/user_group_memberships?user_group_id=104&order_by=id").await;
    let expected = sb
        .live()
        .memberships
        .iter()
        .filter(|m| m.group_id == 104)
        .count();
    assert_eq!(members.len(), expected);
}
