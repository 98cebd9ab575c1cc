//! The sandbox's read API against a real server on 127.0.0.1:0: OAuth2, bearer and scope checks,
//! content negotiation, paging, filters and `fields=` trimming, as Coupa behaves.

use crate::sandbox_support::{get, request, start, start_with, token, unlimited, READ};
use coupa_access_sandbox::{sample_tenant, Faults, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn fields(json: &str) -> String {
    url::form_urlencoded::byte_serialize(json.as_bytes()).collect()
}

#[tokio::test]
async fn token_grant_checks_credentials_and_scopes() {
    let sb = start(SandboxConfig {
        scopes: vec!["core.user.read".into(), "core.user_group.read".into()],
        ..unlimited(Faults::default())
    })
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/oauth2/token", sb.url());
    let grant = |id: &str, secret: &str, scope: &str| {
        http.post(&url).form(&[
            ("grant_type", "client_credentials".to_string()),
            ("client_id", id.to_string()),
            ("client_secret", secret.to_string()),
            ("scope", scope.to_string()),
        ])
    };

    let ok = grant("sandbox-client", "sandbox-secret", "core.user.read")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().len() >= 32);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86399);
    assert_eq!(body["scope"], "core.user.read");

    let wrong = grant("sandbox-client", "nope", "core.user.read")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    for scope in ["core.user.read core.made.up", "core.user_group.write"] {
        let bad = grant("sandbox-client", "sandbox-secret", scope)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{scope}");
        let body: Value = bad.json().await.unwrap();
        assert_eq!(body["error"], "invalid_scope");
        assert!(body["error_description"].is_string());
    }

    // HTTP Basic client authentication works too.
    let basic = http
        .post(&url)
        .basic_auth("sandbox-client", Some("sandbox-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "core.user_group.read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);

    assert_eq!(sb.request_counts()["POST /oauth2/token"], 5);
    assert_eq!(
        sb.total_api_requests(),
        0,
        "token requests are not API requests"
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn api_needs_a_valid_token_and_the_scope_of_the_route() {
    let sb = start_with(Faults::default()).await;
    let http = reqwest::Client::new();
    let none = http
        .get(format!("{}/api/users", sb.url()))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("www-authenticate"));
    assert_eq!(
        get(&sb, "forged", "/api/users").await.0,
        StatusCode::UNAUTHORIZED
    );

    let users_only = token(&sb, "core.user.read").await;
    assert_eq!(get(&sb, &users_only, "/api/users").await.0, StatusCode::OK);
    let (status, body) = get(&sb, &users_only, "/api/roles").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["errors"]["scope"][0], "core.common.read is required");
    assert_eq!(
        get(&sb, &users_only, "/api/user_groups").await.0,
        StatusCode::FORBIDDEN
    );

    let read = token(&sb, READ).await;
    let post = request(&sb, &read, Method::POST, "/api/user_group_memberships")
        .json(&serde_json::json!({"user-id": 1002, "user-group-id": 107}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    let body: Value = post.json().await.unwrap();
    assert_eq!(
        body["errors"]["scope"][0],
        "core.user_group.write is required"
    );
    assert_eq!(
        sb.live(),
        sample_tenant(),
        "a refused write changes nothing"
    );
}

#[tokio::test]
async fn answers_xml_unless_json_is_accepted() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/users?limit=2", sb.url()))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/xml"), "{ct}");
    let text = resp.text().await.unwrap();
    assert!(text.starts_with("<?xml"));
    assert!(text.contains("<users type=\"array\"><user>"), "{text}");
    assert!(text.contains("<login>alice</login>"));
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let (status, body) = get(&sb, &t, "/api/users?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    let first = &body[0];
    assert_eq!(first["login"], "alice");
    assert_eq!(first["expense-user"], true, "dash-case license flags");
    assert_eq!(first["purchasing-user"], true);
    assert_eq!(first["sourcing-user"], false);
    assert!(first["roles"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "Buyer"));
    assert!(first["updated-at"].is_string());
    assert!(
        first.get("user-groups").is_none(),
        "user-groups only when asked via fields"
    );
}

#[tokio::test]
async fn pages_cap_at_fifty_and_keyset_paging_reads_everyone_once() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let (_, page) = get(&sb, &t, "/api/users?limit=500").await;
    assert_eq!(page.as_array().unwrap().len(), 50, "limit is capped at 50");
    let (_, page) = get(&sb, &t, "/api/users?offset=50&limit=50").await;
    assert_eq!(page[0]["id"], 1051);

    let mut seen = Vec::new();
    let mut last = 0;
    loop {
        let (status, page) = get(
            &sb,
            &t,
            &format!("/api/users?id%5Bgt%5D={last}&order_by=id&dir=asc&limit=50"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        for u in &page {
            seen.push(u["id"].as_u64().unwrap());
        }
        last = *seen.last().unwrap();
    }
    assert_eq!(seen.len(), sample_tenant().users.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    let (_, end) = get(&sb, &t, "/api/users?offset=302").await;
    assert_eq!(end, Value::Array(vec![]), "end of data is 200 []");
    let (_, desc) = get(&sb, &t, "/api/users?dir=desc&limit=1").await;
    assert_eq!(desc[0]["id"], 1302);
}

#[tokio::test]
async fn projects_are_mixed_into_groups_until_type_blank_excludes_them() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let (_, all) = get(&sb, &t, "/api/user_groups").await;
    let all = all.as_array().unwrap();
    let projects: Vec<_> = all.iter().filter(|g| g["type"] == "Project").collect();
    assert_eq!(projects.len(), sample_tenant().projects.len());
    assert!(all
        .iter()
        .any(|g| g["type"].is_null() && g["name"] == "AP Clerks"));
    let (_, groups) = get(&sb, &t, "/api/user_groups?type%5Bblank%5D=true").await;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), sample_tenant().groups.len());
    assert!(groups.iter().all(|g| g["type"].is_null()));
    let (_, only) = get(&sb, &t, "/api/user_groups?type[blank]=false").await;
    assert_eq!(only.as_array().unwrap().len(), projects.len());
    let (status, one) = get(&sb, &t, "/api/user_groups/106").await;
    assert_eq!(
        (status, &one["type"]),
        (StatusCode::OK, &Value::from("Project"))
    );
    assert_eq!(
        get(&sb, &t, "/api/user_groups/99999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&sb, &t, "/api/users/99999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&sb, &t, "/api/user_group_memberships/1").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn fields_trim_objects_and_unlock_user_groups() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let f = fields(r#"["id","login",{"roles":["id","name"]}]"#);
    let (_, page) = get(&sb, &t, &format!("/api/users?limit=1&fields={f}")).await;
    let alice = &page[0];
    let keys: Vec<&String> = alice.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "login", "roles"]);
    let role_keys: Vec<&String> = alice["roles"][0].as_object().unwrap().keys().collect();
    assert_eq!(role_keys, ["id", "name"]);

    let f = fields(r#"["id",{"user_groups":["id","name"]}]"#);
    let (_, bob) = get(&sb, &t, &format!("/api/users/1002?fields={f}")).await;
    let names: Vec<&str> = bob["user-groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"AP Clerks") && names.contains(&"Legacy Approvers"));

    let (status, body) = get(&sb, &t, "/api/users?fields=%5Bid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["fields"].is_array());
}

#[tokio::test]
async fn filters_follow_coupa_syntax() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let count = |v: &Value| v.as_array().unwrap().len();

    let (_, ap) = get(&sb, &t, "/api/user_group_memberships?user_group_id=101").await;
    assert_eq!(count(&ap), 6);
    assert!(ap
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["user-group-id"] == 101
            && m["user-group-type"] == "UserGroup"
            && m["created-at"].as_str().unwrap().ends_with("-08:00")));
    let (_, dashed) = get(&sb, &t, "/api/user_group_memberships?user-group-id=101").await;
    assert_eq!(ap, dashed);
    let (_, two) = get(
        &sb,
        &t,
        "/api/user_group_memberships?user_group_id%5Bin%5D=101,102",
    )
    .await;
    assert_eq!(count(&two), 8);
    let (_, bobs) = get(&sb, &t, "/api/user_group_memberships?user_id=1002").await;
    assert_eq!(count(&bobs), 2);

    let (_, carol) = get(&sb, &t, "/api/users?email=carol@acme.com").await;
    assert_eq!(
        carol[0]["email"], "Carol@Acme.com",
        "text filters ignore case"
    );
    let (_, alice) = get(&sb, &t, "/api/users?login=alice").await;
    assert_eq!(count(&alice), 1);
    let (_, inactive) = get(&sb, &t, "/api/users?active=false&limit=50").await;
    let expected = sample_tenant().users.iter().filter(|u| !u.active).count();
    assert_eq!(count(&inactive), expected);
    let (_, window) = get(&sb, &t, "/api/users?id[gt]=1010&id[lt]=1015").await;
    assert_eq!(count(&window), 4);

    let (_, none) = get(
        &sb,
        &t,
        "/api/users?updated_at%5Bgt%5D=2025-06-01T00:00:00Z",
    )
    .await;
    assert_eq!(
        count(&none),
        0,
        "nothing changed since the tenant was loaded"
    );
    sb.with_state(|live| live.users[1].active = false);
    let (_, changed) = get(
        &sb,
        &t,
        "/api/users?updated_at%5Bgt%5D=2025-06-01T00:00:00Z",
    )
    .await;
    assert_eq!(count(&changed), 1);
    assert_eq!(changed[0]["login"], "bob");

    let (status, body) = get(&sb, &t, "/api/users?salary=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["filter"].is_array());
}

#[tokio::test]
async fn roles_list_carries_coupa_role_fields() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, READ).await;
    let (status, roles) = get(&sb, &t, "/api/roles").await;
    assert_eq!(status, StatusCode::OK);
    let admin = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Admin")
        .unwrap();
    assert_eq!(admin["omnipotent"], true);
    assert_eq!(admin["system-role"], true);
    assert_eq!(sb.request_counts()["GET /api/roles"], 1);
}
