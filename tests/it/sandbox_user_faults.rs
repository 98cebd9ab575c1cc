//! The sandbox's user-update options: which licenses do not revoke, a failure between the two
//! writes of a clear-then-set, and injected write failures that leave reads alone.

use crate::sandbox_support::{get, put, start_with, token};
use coupa_access_core::model::License;
use coupa_access_sandbox::{Faults, Sandbox};
use reqwest::StatusCode;
use serde_json::json;

const ALL: &str = "core.user.read core.user.write core.user_group.read core.user_group.write";

fn user(sb: &Sandbox, id: u64) -> coupa_access_core::model::User {
    sb.live().users.into_iter().find(|u| u.id == id).unwrap()
}

#[tokio::test]
async fn no_sticky_licenses_means_every_flag_revokes() {
    let sb = start_with(Faults {
        sticky_licenses: Default::default(),
        ..Faults::default()
    })
    .await;
    let t = token(&sb, ALL).await;
    let body = json!({"purchasing-user": true, "contracts-user": true});
    assert_eq!(
        put(&sb, &t, "/api/users/1003", body).await.0,
        StatusCode::OK
    );
    let body = json!({"purchasing-user": false, "contracts-user": false});
    assert_eq!(
        put(&sb, &t, "/api/users/1003", body).await.0,
        StatusCode::OK
    );
    let now = user(&sb, 1003).licenses;
    assert!(!now.contains(&License::Purchasing) && !now.contains(&License::Contracts));
}

#[tokio::test]
async fn the_update_after_a_clear_fails_and_changes_nothing() {
    let sb = start_with(Faults {
        fail_set_after_clear: 1,
        ..Faults::default()
    })
    .await;
    let t = token(&sb, ALL).await;
    let before = user(&sb, 1002).roles;
    assert!(!before.is_empty());
    assert_eq!(
        put(&sb, &t, "/api/users/1002", json!({"roles": []}))
            .await
            .0,
        StatusCode::OK
    );
    let set = json!({"roles": before.iter().map(|id| json!({"id": id})).collect::<Vec<_>>()});
    let (status, _) = put(&sb, &t, "/api/users/1002", set.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        user(&sb, 1002).roles.is_empty(),
        "the failed set changed nothing"
    );
    assert_eq!(put(&sb, &t, "/api/users/1002", set).await.0, StatusCode::OK);
    assert_eq!(user(&sb, 1002).roles, before);
    assert_eq!(sb.request_counts().get("fault"), Some(&1));
}

#[tokio::test]
async fn write_failures_are_injected_into_writes_only() {
    let sb = start_with(Faults {
        write_error_rate: 1.0,
        ..Faults::default()
    })
    .await;
    let t = token(&sb, ALL).await;
    let (status, _) = put(&sb, &t, "/api/users/1002", json!({"roles": []})).await;
    assert_eq!(status.as_u16(), 503);
    assert!(!user(&sb, 1002).roles.is_empty(), "nothing written");
    let (status, _) = get(&sb, &t, "/api/users/1002").await;
    assert_eq!(status, StatusCode::OK, "reads are not failed");
}
