//! The sandbox's GraphQL endpoint over raw HTTP: the query shapes the client sends, pages of at
//! most 50 in the REST filter syntax, complete nested lists, strict parsing (unknown fields and
//! arguments are GraphQL errors, every one reported), and the unfriendly variants.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::sandbox_support::{post, request, start_tenant, token, unlimited, READ};
use coupa_access_sandbox::Faults;

async fn ask(sb: &coupa_access_sandbox::Sandbox, t: &str, query: &str) -> (StatusCode, Value) {
    post(sb, t, "/api/graphql", json!({ "query": query })).await
}

#[tokio::test]
async fn users_come_in_keyset_pages_of_fifty_with_roles_and_groups_nested() {
    let live = crate::common::generated_tenant(130);
    let sb = start_tenant(live.clone(), unlimited(Faults::default())).await;
    let t = token(&sb, READ).await;
    let q = r#"query Users { users(query: "id[gt]=0&order_by=id&dir=asc&limit=500") { id login expenseUser roles { id name } userGroups { id name type } } }"#;
    let (status, body) = ask(&sb, &t, q).await;
    assert_eq!(status, StatusCode::OK);
    let users = body["data"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 50, "limit is capped at 50");
    assert_eq!(users[0]["id"], 1);
    let first = &live.users[0];
    assert_eq!(users[0]["login"], first.login.as_str());
    let roles: Vec<u64> = users[0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(roles, first.roles.iter().copied().collect::<Vec<u64>>());
    let groups: Vec<u64> = users[0]["userGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_u64().unwrap())
        .collect();
    let want: Vec<u64> = live
        .memberships
        .iter()
        .filter(|m| m.user_id == 1)
        .map(|m| m.group_id)
        .collect();
    assert_eq!(groups, want);
    // The next page starts after the last id.
    let (_, body) = ask(&sb, &t, r#"{ users(query: "id[gt]=120") { id } }"#).await;
    let ids: Vec<u64> = body["data"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (121..=130).collect::<Vec<_>>());
    // A group's users, nested, complete.
    let (_, body) = ask(
        &sb,
        &t,
        r#"{ userGroups(query: "id=1000") { id name users { id } } roles(query: "") { id } }"#,
    )
    .await;
    let members = body["data"]["userGroups"][0]["users"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        members,
        live.memberships
            .iter()
            .filter(|m| m.group_id == 1000)
            .count()
    );
    assert_eq!(body["data"]["roles"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn unknown_fields_arguments_and_syntax_are_graphql_errors() {
    let sb = start_tenant(crate::common::tenant(), unlimited(Faults::default())).await;
    let t = token(&sb, READ).await;
    let (status, body) = ask(
        &sb,
        &t,
        "{ users { id salary userGroups(first: 2) { id } } people { id } }",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.get("data").is_none(), "{body}");
    let messages: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("'salary' doesn't exist on type 'User'"));
    assert!(messages[1].contains("doesn't accept argument 'first'"));
    assert!(messages[2].contains("'people' doesn't exist on type 'Query'"));
    for bad in [
        "{ users { id }",
        "mutation { users { id } }",
        "{ users(query: \"bogus[gt]=1\") { id } }",
        "{ users }",
    ] {
        let (_, body) = ask(&sb, &t, bad).await;
        assert!(body["errors"].is_array(), "{bad}: {body}");
    }
    // The route needs the users' read scope, like /api/users.
    let weak = token(&sb, "core.user_group.read").await;
    let (status, _) = ask(&sb, &weak, "{ users { id } }").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_unfriendly_variants_absent_capped_and_a_missing_field() {
    let live = crate::common::generated_tenant(20);
    let most = live
        .memberships
        .iter()
        .fold(std::collections::BTreeMap::new(), |mut m, x| {
            *m.entry(x.user_id).or_insert(0usize) += 1;
            m
        });
    assert!(most.values().any(|&n| n > 2));
    let faults = Faults {
        graphql_nested_cap: Some(2),
        graphql_missing_fields: ["purchasingUser".to_string()].into(),
        ..Faults::default()
    };
    let sb = start_tenant(live, unlimited(faults)).await;
    let t = token(&sb, READ).await;
    let (_, body) = ask(&sb, &t, "{ users { id userGroups { id } } }").await;
    for u in body["data"]["users"].as_array().unwrap() {
        assert!(u["userGroups"].as_array().unwrap().len() <= 2);
    }
    let (_, body) = ask(&sb, &t, "{ users { id purchasingUser } }").await;
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("purchasingUser"));
    let absent = start_tenant(
        crate::common::tenant(),
        unlimited(Faults {
            graphql_absent: true,
            ..Faults::default()
        }),
    )
    .await;
    let t = token(&absent, READ).await;
    let resp = request(&absent, &t, Method::POST, "/api/graphql")
        .json(&json!({"query": "{ users { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}
