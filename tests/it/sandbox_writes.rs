//! The sandbox's writes, as Coupa does them: membership create/duplicate/delete, add-only role
//! writes, the license quirk, and writes changed behind the API.

use crate::sandbox_support::{delete, get, post, put, request, send, start_with, token};
use coupa_access_core::model::License;
use coupa_access_sandbox::{Faults, Sandbox};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Every scope the sandbox grants.
const ALL: &str = "core.user.read core.user.write core.user_group.read core.user_group.write";
const MEMBERSHIPS: &str = "/api/user_group_memberships";

#[tokio::test]
async fn memberships_are_created_once_and_deleted_with_their_object() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let before = sb.live().memberships.len();

    let bob_to_107 = json!({"user-id": 1002, "user-group-id": 107});
    let (status, m) = post(&sb, &t, MEMBERSHIPS, bob_to_107.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(m["user-id"], 1002);
    assert_eq!(m["user-group-id"], 107);
    assert_eq!(m["user-group-type"], "UserGroup");
    assert_eq!(m["owner"], false);
    let created = m["created-at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    let id = m["id"].as_u64().unwrap();
    assert!(sb
        .live()
        .memberships
        .iter()
        .any(|x| x.id == id && x.user_id == 1002 && x.group_id == 107));

    let (status, dup) = post(&sb, &t, MEMBERSHIPS, bob_to_107).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        dup,
        json!({"errors": {"user_group_membership": ["User has already been taken"]}})
    );

    for body in [
        json!({"user-id": 9, "user-group-id": 107}),
        json!({"user-id": 1002, "user-group-id": 9}),
        json!({}),
    ] {
        let (status, err) = post(&sb, &t, MEMBERSHIPS, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(err["errors"]["user_group_membership"][0].is_string());
    }

    let (status, shown) = get(&sb, &t, &format!("{MEMBERSHIPS}/{id}")).await;
    assert_eq!((status, shown["id"].as_u64()), (StatusCode::OK, Some(id)));
    let (status, deleted) = delete(&sb, &t, &format!("{MEMBERSHIPS}/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["id"].as_u64(), Some(id));
    assert_eq!(deleted["user-id"], 1002);
    let (status, _) = delete(&sb, &t, &format!("{MEMBERSHIPS}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sb.live().memberships.len(), before);

    // Ids are never reused.
    let (_, again) = post(
        &sb,
        &t,
        MEMBERSHIPS,
        json!({"user_id": "1002", "user_group_id": 107}),
    )
    .await;
    assert!(again["id"].as_u64().unwrap() > id);
    let counts = sb.request_counts();
    assert_eq!(counts["POST /api/user_group_memberships"], 6);
    assert_eq!(counts["DELETE /api/user_group_memberships/:id"], 2);
}

#[tokio::test]
async fn delete_can_be_disabled_and_users_rejected() {
    let sb = start_with(Faults {
        delete_disabled: true,
        reject_users: [1002].into(),
        ..Faults::default()
    })
    .await;
    let t = token(&sb, ALL).await;
    let id = sb.live().memberships[0].id;
    let (status, _) = delete(&sb, &t, &format!("{MEMBERSHIPS}/{id}")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(sb.live().memberships.iter().any(|m| m.id == id));

    let (status, err) = post(
        &sb,
        &t,
        MEMBERSHIPS,
        json!({"user-id": 1002, "user-group-id": 107}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["errors"]["user_group_membership"][0].is_string());
    let (status, _) = post(
        &sb,
        &t,
        MEMBERSHIPS,
        json!({"user-id": 1004, "user-group-id": 107}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

fn roles_of(sb: &Sandbox, id: u64) -> Vec<u64> {
    sb.live()
        .users
        .iter()
        .find(|u| u.id == id)
        .unwrap()
        .roles
        .iter()
        .copied()
        .collect()
}

#[tokio::test]
async fn put_roles_only_adds_and_an_empty_list_clears() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    assert_eq!(roles_of(&sb, 1002), [2, 5]);

    let (status, user) = put(
        &sb,
        &t,
        "/api/users/1002",
        json!({"roles": [{"id": 3}, {"id": 999}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        roles_of(&sb, 1002),
        [2, 3, 5],
        "adds, keeps the rest, ignores unknown ids"
    );
    assert_eq!(user["roles"].as_array().unwrap().len(), 3);
    assert_ne!(user["updated-at"], "2025-01-06T09:00:00+00:00");

    put(&sb, &t, "/api/users/1002", json!({"roles": [{"id": 3}]})).await;
    assert_eq!(
        roles_of(&sb, 1002),
        [2, 3, 5],
        "putting a held role again changes nothing"
    );
    for refs in [
        json!([{"name": "approver"}]),
        json!([{"id": 404}, {"code": "x"}]),
    ] {
        put(&sb, &t, "/api/users/1002", json!({ "roles": refs })).await;
    }
    assert_eq!(
        roles_of(&sb, 1002),
        [2, 3, 5, 6],
        "roles by name are added; unresolvable references never clear"
    );

    let (status, user) = put(&sb, &t, "/api/users/1002", json!({"roles": []})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(roles_of(&sb, 1002).is_empty());
    assert_eq!(user["roles"], json!([]));
    put(&sb, &t, "/api/users/1002", json!({"roles": [{"id": 5}]})).await;
    put(&sb, &t, "/api/users/1002", json!({"roles": null})).await;
    assert!(roles_of(&sb, 1002).is_empty(), "null clears as well");

    let (status, _) = put(&sb, &t, "/api/users/99999", json!({"roles": []})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_user_groups_adds_memberships_like_roles() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let groups_of = |sb: &Sandbox| -> Vec<u64> {
        let mut g: Vec<u64> = sb
            .live()
            .memberships
            .iter()
            .filter(|m| m.user_id == 1004)
            .map(|m| m.group_id)
            .collect();
        g.sort();
        g
    };
    assert_eq!(groups_of(&sb), [104, 105, 112]);
    put(
        &sb,
        &t,
        "/api/users/1004",
        json!({"user-groups": [{"id": 101}, {"id": 4242}]}),
    )
    .await;
    assert_eq!(groups_of(&sb), [101, 104, 105, 112]);
    put(&sb, &t, "/api/users/1004", json!({"user-groups": []})).await;
    assert!(groups_of(&sb).is_empty());
}

#[tokio::test]
async fn license_flags_set_but_purchasing_and_contracts_do_not_revoke() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let licenses = |sb: &Sandbox| {
        sb.live()
            .users
            .iter()
            .find(|u| u.id == 1003)
            .unwrap()
            .licenses
    };
    let body = json!({"expense-user": false, "purchasing-user": false, "contracts-user": false, "travel-user": true});
    let (status, user) = put(&sb, &t, "/api/users/1003", body).await;
    assert_eq!(status, StatusCode::OK);
    let now = licenses(&sb);
    assert!(!now.contains(&License::Expense));
    assert!(now.contains(&License::Travel));
    assert!(
        now.contains(&License::Purchasing),
        "Coupa's quirk: not revoked"
    );
    assert!(
        now.contains(&License::Contracts),
        "Coupa's quirk: not revoked"
    );
    assert_eq!(user["purchasing-user"], true, "the answer tells the truth");
}

#[tokio::test]
async fn a_body_not_sent_as_json_is_ignored_like_rails_does() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let resp = request(&sb, &t, Method::PUT, "/api/users/1002")
        .body(r#"{"roles": []}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(roles_of(&sb, 1002), [2, 5], "nothing changed");
}

#[tokio::test]
async fn with_state_changes_the_tenant_behind_the_api() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let n = sb.with_state(|live| {
        live.memberships.retain(|m| m.group_id != 101);
        live.memberships.len()
    });
    assert_eq!(sb.live().memberships.len(), n);
    let (_, ap) = get(&sb, &t, "/api/user_group_memberships?user_group_id=101").await;
    assert_eq!(ap, json!([]));
}

#[tokio::test]
async fn return_object_trims_write_answers_and_patch_updates_too() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, ALL).await;
    let resp = request(
        &sb,
        &t,
        Method::POST,
        &format!("{MEMBERSHIPS}?return_object=none"),
    )
    .json(&json!({"user-id": 1002, "user-group-id": 107}))
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.text().await.unwrap().is_empty());

    let (status, user) = send(
        &sb,
        &t,
        Method::PATCH,
        "/api/users/1002?return_object=shallow",
        Some(json!({"roles": [{"id": 4}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["roles"], json!([{"id": 2}, {"id": 4}, {"id": 5}]));
    assert_eq!(sb.request_counts()["PATCH /api/users/:id"], 1);
}
