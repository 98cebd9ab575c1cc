//! The Coupa client against a wiremock server on 127.0.0.1:0: auth, paging, retries,
//! groups vs projects, writes that never duplicate, and error messages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coupa_access_client::{Access, Client, ClientOptions, Connection, CoupaError, ReadProgress};
use secrecy::SecretString;
use serde_json::{json, Value};
use wiremock::matchers::{bearer_token, body_json, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const SECRET: &str = "s3cr3t-CLIENT-value";
const TOKEN: &str = "tok-AAAA-1111";
const TOKEN2: &str = "tok-BBBB-2222";
const MEMBERSHIPS: &str = "/api/user_group_memberships";

fn fast_opts() -> ClientOptions {
    ClientOptions {
        burst: 1000,
        per_second: 100_000.0,
        max_retries: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
        read_concurrency: 8,
        // Refusals here are real (the mock never warms up): re-authenticate at once.
        token_warmup: Duration::ZERO,
        deadline: None,
        read_roles: true,
        read_way: Default::default(),
        read_path: coupa_access_client::ReadPath::Auto,
    }
}

fn client(server: &MockServer, access: Access) -> Client {
    client_at(&server.uri(), access, fast_opts())
}

fn client_at(uri: &str, access: Access, opts: ClientOptions) -> Client {
    let conn = Connection::new(uri, "my-client-id", SecretString::from(SECRET)).unwrap();
    Client::new(conn, access, opts).unwrap()
}

fn token_body(token: &str) -> Value {
    json!({"access_token": token, "token_type": "bearer", "expires_in": 86399})
}

/// The token endpoint handing out `token`.
fn token_mock(token: &str) -> Mock {
    on("POST", "/oauth2/token").respond_with(reply(200, token_body(token)))
}

async fn mount_token(server: &MockServer) {
    token_mock(TOKEN).mount(server).await;
}

/// A mock server whose token endpoint hands out `TOKEN`.
async fn token_server() -> MockServer {
    let server = MockServer::builder().start().await;
    mount_token(&server).await;
    server
}

/// A mock for `m` requests to `p`.
fn on(m: &str, p: &str) -> MockBuilder {
    Mock::given(method(m)).and(path(p))
}

/// A mock for `m` requests to any path.
fn any_path(m: &str) -> MockBuilder {
    Mock::given(method(m))
}

/// An answer with no body.
fn status_only(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
}

/// A JSON answer.
fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// Answers every request `mock` matches with `t`.
async fn answer(server: &MockServer, mock: MockBuilder, t: ResponseTemplate) {
    mock.respond_with(t).mount(server).await;
}

/// Answers only the first `n` requests `mock` matches with `t`, ahead of the other mocks.
async fn answer_first(server: &MockServer, mock: MockBuilder, n: u64, t: ResponseTemplate) {
    mock.respond_with(t)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(server)
        .await;
}

/// Every list endpoint answers `[]` unless a more specific mock matches first.
async fn mount_empty_lists(server: &MockServer) {
    for p in ["/api/users", "/api/user_groups", "/api/roles", MEMBERSHIPS] {
        on("GET", p)
            .respond_with(reply(200, json!([])))
            .with_priority(100)
            .mount(server)
            .await;
    }
}

/// A page of `path` after `gt` (keyset paging).
async fn mount_page(server: &MockServer, p: &str, gt: u64, body: Value) {
    answer(
        server,
        on("GET", p).and(query_param("id[gt]", gt.to_string())),
        reply(200, body),
    )
    .await;
}

/// Client errors state facts; flag and variable names are the binary's to add.
fn assert_no_cli_words(msg: &str) {
    for word in ["--", "COUPA_"] {
        assert!(!msg.contains(word), "{word} in a client error: {msg}");
    }
}

fn form(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn form_value(req: &Request, key: &str) -> Option<String> {
    form(req)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The methods of the `/api/` requests, in order.
async fn api_methods(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/api/"))
        .map(|r| r.method.to_string())
        .collect()
}

async fn requests_to(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

#[tokio::test]
async fn read_access_asks_only_read_scopes_with_a_form_post() {
    let server = token_server().await;
    mount_empty_lists(&server).await;
    client(&server, Access::Read).read_live().await.unwrap();

    let tokens = requests_to(&server, "POST", "/oauth2/token").await;
    assert_eq!(tokens.len(), 1);
    let t = &tokens[0];
    assert_eq!(
        t.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form_value(t, "grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(form_value(t, "client_id").as_deref(), Some("my-client-id"));
    assert_eq!(form_value(t, "client_secret").as_deref(), Some(SECRET));
    assert_eq!(
        form_value(t, "scope").as_deref(),
        Some("core.common.read core.user.read core.user_group.read")
    );
}

#[tokio::test]
async fn read_write_access_adds_write_scopes() {
    let server = token_server().await;
    mount_empty_lists(&server).await;
    client(&server, Access::ReadWrite)
        .read_live()
        .await
        .unwrap();
    let tokens = requests_to(&server, "POST", "/oauth2/token").await;
    let scope = form_value(&tokens[0], "scope").unwrap();
    let mut got: Vec<&str> = scope.split(' ').collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            "core.common.read",
            "core.user.read",
            "core.user_group.read",
            "core.user_group.write"
        ],
        "apply asks only for the write scope it uses"
    );
}

#[tokio::test]
async fn token_is_cached_across_many_calls() {
    let server = MockServer::builder().start().await;
    token_mock(TOKEN).expect(1).mount(&server).await;
    answer(
        &server,
        any_path("GET").and(bearer_token(TOKEN)),
        reply(200, json!([])),
    )
    .await;
    let c = client(&server, Access::Read);
    c.read_live().await.unwrap();
    for g in 1..=5 {
        assert!(c.read_group_memberships(g).await.unwrap().is_empty());
    }
    let s = c.stats();
    assert_eq!(s.token_requests, 1);
    assert_eq!(s.tokens_fetched, 1);
    assert_eq!(s.gets, 4 + 5);
    server.verify().await;
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once_and_retries() {
    let server = MockServer::builder().start().await;
    // First token, then a different one.
    token_mock(TOKEN)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    token_mock(TOKEN2).mount(&server).await;
    // The old token is rejected (expired), the new one works.
    answer(
        &server,
        on("GET", "/api/roles").and(bearer_token(TOKEN)),
        status_only(401),
    )
    .await;
    answer(
        &server,
        on("GET", "/api/roles")
            .and(bearer_token(TOKEN2))
            .and(query_param("id[gt]", "0")),
        reply(200, json!([{"id": 1, "name": "Admin", "omnipotent": true}])),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    // Take the first token before anything else so only /api/roles meets the 401.
    assert!(c.read_group_memberships(9).await.unwrap().is_empty());
    let live = c.read_live().await.unwrap();
    assert_eq!(live.roles.len(), 1);
    assert!(live.roles[0].omnipotent);
    assert_eq!(requests_to(&server, "POST", "/oauth2/token").await.len(), 2);
}

#[tokio::test]
async fn a_persistent_401_is_an_error_after_one_refetch() {
    let server = token_server().await;
    answer(&server, any_path("GET"), status_only(401)).await;
    let c = client(&server, Access::Read);
    let err = c.read_group_memberships(3).await.unwrap_err();
    assert!(matches!(err, CoupaError::Unauthorized { .. }), "{err:?}");
    assert_eq!(requests_to(&server, "POST", "/oauth2/token").await.len(), 2);
    assert_eq!(requests_to(&server, "GET", MEMBERSHIPS).await.len(), 2);
}

fn users(ids: std::ops::RangeInclusive<u64>) -> Value {
    Value::Array(
        ids.map(|i| {
            json!({"id": i, "login": format!("u{i}"), "email": format!("u{i}@acme.com"),
                   "active": true, "expense-user": i % 2 == 0,
                   "roles": [{"id": 4, "name": "Buyer"}]})
        })
        .collect(),
    )
}

#[tokio::test]
async fn users_are_paged_by_id_past_fifty_and_trimmed_with_fields() {
    let server = token_server().await;
    mount_page(&server, "/api/users", 0, users(1..=50)).await;
    mount_page(&server, "/api/users", 50, users(51..=100)).await;
    mount_page(&server, "/api/users", 100, users(101..=120)).await;
    mount_empty_lists(&server).await;
    let mut c = client(&server, Access::Read);
    let seen: Arc<Mutex<Vec<ReadProgress>>> = Arc::default();
    let s2 = seen.clone();
    c.set_progress(Arc::new(move |p| s2.lock().unwrap().push(p)));
    let live = c.read_live().await.unwrap();

    assert_eq!(live.users.len(), 120);
    assert_eq!(
        live.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        (1..=120).collect::<Vec<_>>()
    );
    let u2 = &live.users[1];
    assert_eq!(u2.login, "u2");
    assert!(u2
        .licenses
        .contains(&coupa_access_core::model::License::Expense));
    assert!(live.users[0].licenses.is_empty());
    assert_eq!(u2.roles.iter().copied().collect::<Vec<_>>(), vec![4]);

    let reqs = requests_to(&server, "GET", "/api/users").await;
    let gts: Vec<String> = reqs.iter().map(|r| query(r, "id[gt]").unwrap()).collect();
    assert_eq!(gts, vec!["0", "50", "100", "120"]);
    for r in &reqs {
        assert_eq!(query(r, "limit").as_deref(), Some("50"));
        assert_eq!(query(r, "order_by").as_deref(), Some("id"));
        assert_eq!(query(r, "dir").as_deref(), Some("asc"));
        let fields: Value = serde_json::from_str(&query(r, "fields").unwrap()).unwrap();
        let f = fields.as_array().unwrap();
        for want in [
            json!("login"),
            json!("email"),
            json!("active"),
            json!({"roles": ["id", "name"]}),
            json!("expense-user"),
        ] {
            assert!(f.contains(&want), "fields lacks {want}: {fields}");
        }
    }
    let last_users = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.resource == "users")
        .map(|p| p.fetched)
        .collect::<Vec<_>>();
    assert_eq!(last_users, vec![50, 100, 120]);
}

fn query(r: &Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn projects_stay_out_of_groups_and_memberships() {
    let server = token_server().await;
    mount_page(
        &server,
        "/api/user_groups",
        0,
        json!([
            {"id": 1, "name": "AP Clerks", "active": true, "type": null},
            {"id": 2, "name": "Rollout 2026", "active": true, "type": "Project"},
            {"id": 3, "name": "Approvers", "active": false, "type": ""}
        ]),
    )
    .await;
    mount_page(
        &server,
        MEMBERSHIPS,
        0,
        json!([
            {"id": 10, "user-id": 7, "user-group-id": 1, "user-group-type": "UserGroup"},
            {"id": 11, "user-id": 7, "user-group-id": 2, "user-group-type": "Project"},
            {"id": 12, "user-id": 8, "user-group-id": 3}
        ]),
    )
    .await;
    mount_empty_lists(&server).await;
    let live = client(&server, Access::Read).read_live().await.unwrap();
    let names = |gs: &[coupa_access_core::model::Group]| {
        gs.iter().map(|g| g.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&live.groups), vec!["AP Clerks", "Approvers"]);
    assert_eq!(names(&live.projects), vec!["Rollout 2026"]);
    assert!(!live.groups[1].active);
    assert_eq!(
        live.memberships.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![10, 12]
    );
}

#[tokio::test]
async fn a_429_honours_retry_after_and_retries() {
    let server = token_server().await;
    answer_first(
        &server,
        on("GET", "/api/roles"),
        1,
        status_only(429).insert_header("Retry-After", "0"),
    )
    .await;
    // Without Retry-After: exponential backoff (1 ms base in tests).
    answer_first(&server, on("GET", "/api/users"), 2, status_only(429)).await;
    mount_page(
        &server,
        "/api/roles",
        0,
        json!([{"id": 2, "name": "Buyer"}]),
    )
    .await;
    mount_page(&server, "/api/users", 0, users(1..=3)).await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    let live = c.read_live().await.unwrap();
    assert_eq!(live.roles.len(), 1);
    assert_eq!(live.users.len(), 3);
    let s = c.stats();
    assert_eq!(s.rate_limited, 3);
    assert_eq!(s.retries, 3);
}

#[tokio::test]
async fn a_large_retry_after_is_capped_by_max_backoff() {
    let server = token_server().await;
    answer_first(
        &server,
        any_path("GET"),
        1,
        status_only(429).insert_header("Retry-After", "3600"),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    // max_backoff is 5 ms: an hour-long Retry-After must not stall the test.
    tokio::time::timeout(Duration::from_secs(5), c.read_group_memberships(1))
        .await
        .expect("capped wait")
        .unwrap();
    assert_eq!(c.stats().rate_limited, 1);
}

#[tokio::test]
async fn a_503_is_retried_then_succeeds() {
    let server = token_server().await;
    answer_first(&server, on("GET", "/api/user_groups"), 2, status_only(503)).await;
    mount_page(
        &server,
        "/api/user_groups",
        0,
        json!([{"id": 5, "name": "G", "active": true}]),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    let live = c.read_live().await.unwrap();
    assert_eq!(live.groups.len(), 1);
    assert_eq!(c.stats().retries, 2);
    assert_eq!(
        requests_to(&server, "GET", "/api/user_groups").await.len(),
        4
    );
}

#[tokio::test]
async fn exhausted_retries_fail_the_whole_read() {
    let server = token_server().await;
    // First page of users is fine; the second never recovers.
    mount_page(&server, "/api/users", 0, users(1..=50)).await;
    answer(
        &server,
        on("GET", "/api/users").and(query_param("id[gt]", "50")),
        status_only(503).set_body_string("upstream down"),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    let err = c.read_live().await.unwrap_err();
    match &err {
        CoupaError::RetriesExhausted {
            path,
            status,
            retries,
            ..
        } => {
            assert_eq!(path, "/api/users");
            assert_eq!(*status, 503);
            assert_eq!(*retries, 3);
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("503") && msg.contains("/api/users"), "{msg}");
    // 1 first try + 3 retries on the failing page.
    let failing = requests_to(&server, "GET", "/api/users")
        .await
        .into_iter()
        .filter(|r| query(r, "id[gt]").as_deref() == Some("50"))
        .count();
    assert_eq!(failing, 4);
}

#[tokio::test]
async fn a_403_names_the_scope_to_grant() {
    let server = token_server().await;
    answer(
        &server,
        on("GET", "/api/roles"),
        reply(403, json!({"errors": {"base": ["Access denied"]}})),
    )
    .await;
    mount_empty_lists(&server).await;
    let err = client(&server, Access::Read).read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CoupaError::Forbidden { .. }), "{err:?}");
    assert!(msg.contains("core.common.read"), "{msg}");
    assert!(msg.contains("OAuth2/OpenID Connect Clients"), "{msg}");
    assert!(msg.contains("Access denied"), "{msg}");
}

#[tokio::test]
async fn every_request_accepts_json_and_bodies_are_json() {
    let server = token_server().await;
    mount_page(&server, "/api/users", 0, users(1..=2)).await;
    answer(
        &server,
        on("POST", MEMBERSHIPS),
        reply(201, json!({"id": 99, "user-id": 1, "user-group-id": 5})),
    )
    .await;
    answer(
        &server,
        on("DELETE", "/api/user_group_memberships/99"),
        status_only(200),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::ReadWrite);
    c.read_live().await.unwrap();
    c.create_membership(1, 5).await.unwrap();
    c.delete_membership(99).await.unwrap();

    let all = server.received_requests().await.unwrap();
    assert!(all.len() >= 7, "{}", all.len());
    for r in &all {
        assert_eq!(
            r.headers.get("accept").map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "{} {}",
            r.method,
            r.url
        );
        if r.url.path().starts_with("/api/") {
            assert_eq!(
                r.headers.get("authorization").unwrap().to_str().unwrap(),
                format!("Bearer {TOKEN}")
            );
        }
    }
    let post = requests_to(&server, "POST", MEMBERSHIPS).await;
    assert_eq!(
        post[0].headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&post[0].body).unwrap();
    assert_eq!(body, json!({"user-id": 1, "user-group-id": 5}));
}

#[tokio::test]
async fn a_create_answered_503_is_checked_and_not_duplicated() {
    let server = token_server().await;
    // The POST was processed, but the answer was lost behind a 503.
    answer(&server, on("POST", MEMBERSHIPS), status_only(503)).await;
    answer(
        &server,
        on("GET", MEMBERSHIPS)
            .and(query_param("user_id", "7"))
            .and(query_param("user_group_id", "12"))
            .and(query_param("id[gt]", "0")),
        reply(
            200,
            json!([
                {"id": 555, "user-id": 7, "user-group-id": 12, "created-at": "2026-11-29T08:00:00Z"}
            ]),
        ),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::ReadWrite);
    let m = c.create_membership(7, 12).await.unwrap();
    assert_eq!((m.id, m.user_id, m.group_id), (555, 7, 12));
    assert_eq!(requests_to(&server, "POST", MEMBERSHIPS).await.len(), 1);
    assert_eq!(c.stats().posts, 1);
}

#[tokio::test]
async fn a_create_answered_503_and_absent_is_resent_once_after_the_check() {
    let server = token_server().await;
    answer_first(&server, on("POST", MEMBERSHIPS), 1, status_only(503)).await;
    answer(
        &server,
        on("POST", MEMBERSHIPS).and(body_json(json!({"user-id": 7, "user-group-id": 12}))),
        reply(201, json!({"id": 556, "user-id": 7, "user-group-id": 12})),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::ReadWrite);
    let m = c.create_membership(7, 12).await.unwrap();
    assert_eq!(m.id, 556);
    let order: Vec<String> = api_methods(&server).await;
    assert_eq!(order, vec!["POST", "GET", "POST"]);
}

#[tokio::test]
async fn a_create_rejected_with_errors_shows_them() {
    let server = token_server().await;
    answer(
        &server,
        on("POST", MEMBERSHIPS),
        reply(
            400,
            json!({"errors": {"user-group-membership": ["User has already been taken"]}}),
        ),
    )
    .await;
    mount_empty_lists(&server).await;
    let err = client(&server, Access::ReadWrite)
        .create_membership(7, 12)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("User has already been taken"), "{msg}");
    assert!(msg.contains("400"), "{msg}");
    // A 400 is an answer, not an unknown outcome: sent once.
    assert_eq!(requests_to(&server, "POST", MEMBERSHIPS).await.len(), 1);
}

#[tokio::test]
async fn a_delete_answered_405_is_refused() {
    let server = token_server().await;
    answer(&server, any_path("DELETE"), status_only(405)).await;
    let err = client(&server, Access::ReadWrite)
        .delete_membership(42)
        .await
        .unwrap_err();
    assert!(err.is_delete_refused(), "{err:?}");
    assert!(err.to_string().contains("does not allow deleting"), "{err}");
}

#[tokio::test]
async fn a_delete_answered_404_for_an_existing_membership_is_refused() {
    let server = token_server().await;
    answer(&server, any_path("DELETE"), status_only(404)).await;
    answer(
        &server,
        on("GET", "/api/user_group_memberships/42"),
        reply(200, json!({"id": 42, "user-id": 1, "user-group-id": 2})),
    )
    .await;
    let err = client(&server, Access::ReadWrite)
        .delete_membership(42)
        .await
        .unwrap_err();
    assert!(err.is_delete_refused(), "{err:?}");
}

#[tokio::test]
async fn a_delete_refused_with_403_400_or_422_is_judged_by_a_re_read() {
    for status in [403, 400, 422] {
        // Still there: refused, like a 405, quoting what Coupa said.
        let server = token_server().await;
        answer(
            &server,
            any_path("DELETE"),
            reply(status, json!({"errors": {"base": ["not allowed here"]}})),
        )
        .await;
        answer(
            &server,
            on("GET", "/api/user_group_memberships/42"),
            reply(200, json!({"id": 42, "user-id": 1, "user-group-id": 2})),
        )
        .await;
        let err = client(&server, Access::ReadWrite)
            .delete_membership(42)
            .await
            .unwrap_err();
        assert!(err.is_delete_refused(), "{status}: {err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("HTTP {status}")), "{msg}");
        assert!(msg.contains("not allowed here"), "{msg}");
        assert!(msg.contains("still there"), "{msg}");
        // Gone: the goal holds, whatever the answer said.
        let server = token_server().await;
        answer(&server, any_path("DELETE"), status_only(status)).await;
        answer(
            &server,
            on("GET", "/api/user_group_memberships/42"),
            status_only(404),
        )
        .await;
        client(&server, Access::ReadWrite)
            .delete_membership(42)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_delete_with_unknown_outcome_is_checked_not_resent() {
    let server = token_server().await;
    answer(&server, any_path("DELETE"), status_only(502)).await;
    answer(
        &server,
        on("GET", "/api/user_group_memberships/42"),
        status_only(404),
    )
    .await;
    let c = client(&server, Access::ReadWrite);
    c.delete_membership(42).await.unwrap();
    assert_eq!(c.stats().deletes, 1);
}

#[tokio::test]
async fn a_delete_with_unknown_outcome_still_present_is_resent() {
    let server = token_server().await;
    answer_first(&server, any_path("DELETE"), 1, status_only(503)).await;
    answer(&server, any_path("DELETE"), status_only(204)).await;
    answer(
        &server,
        on("GET", "/api/user_group_memberships/42"),
        reply(200, json!({"id": 42})),
    )
    .await;
    let c = client(&server, Access::ReadWrite);
    c.delete_membership(42).await.unwrap();
    assert_eq!(c.stats().deletes, 2);
    assert_eq!(c.stats().gets, 1);
}

#[tokio::test]
async fn token_401_names_the_credentials_without_the_secret() {
    let server = MockServer::builder().start().await;
    answer(
        &server,
        on("POST", "/oauth2/token"),
        reply(
            401,
            json!({
                "error": "invalid_client",
                "error_description": format!("client secret {SECRET} is not valid")
            }),
        ),
    )
    .await;
    let err = client(&server, Access::Read).read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CoupaError::BadCredentials { .. }), "{err:?}");
    assert!(msg.contains("client id or secret is wrong"), "{msg}");
    assert!(
        msg.contains("client secret [redacted] is not valid"),
        "{msg}"
    );
    // Facts only: the binary names the flags (src/errors.rs).
    assert_no_cli_words(&msg);
    assert!(!msg.contains(SECRET), "{msg}");
    assert!(!format!("{err:?}").contains(SECRET));
}

#[tokio::test]
async fn invalid_scope_names_the_scope() {
    let server = MockServer::builder().start().await;
    answer(
        &server,
        on("POST", "/oauth2/token"),
        reply(
            400,
            json!({
                "error": "invalid_scope",
                "error_description": "The requested scope core.user_group.write is not allowed"
            }),
        ),
    )
    .await;
    let err = client(&server, Access::ReadWrite)
        .create_membership(1, 2)
        .await
        .unwrap_err();
    let msg = err.to_string();
    match &err {
        CoupaError::ScopeNotGranted { scopes, .. } => assert_eq!(scopes, "core.user_group.write"),
        other => panic!("{other:?}"),
    }
    assert!(msg.contains("OAuth2/OpenID Connect Clients"), "{msg}");
}

#[tokio::test]
async fn the_shared_limiter_spaces_requests() {
    let server = token_server().await;
    mount_empty_lists(&server).await;
    let opts = ClientOptions {
        burst: 1,
        per_second: 50.0,
        ..fast_opts()
    };
    let c = client_at(&server.uri(), Access::Read, opts);
    let start = std::time::Instant::now();
    // Token + 4 concurrent reads + 5 more: 10 requests, burst 1 at 50/s => at least 180 ms.
    c.read_live().await.unwrap();
    for g in 0..5 {
        c.read_group_memberships(g).await.unwrap();
    }
    assert!(
        start.elapsed() >= Duration::from_millis(170),
        "{:?}",
        start.elapsed()
    );
}

fn client_with_timeout(server: &MockServer, timeout: Duration) -> Client {
    let opts = ClientOptions {
        timeout,
        ..fast_opts()
    };
    client_at(&server.uri(), Access::ReadWrite, opts)
}

#[tokio::test]
async fn a_create_that_times_out_is_checked_before_anything_is_resent() {
    let server = token_server().await;
    // The server acts but answers far too late (the client gives up after 300 ms).
    answer(
        &server,
        on("POST", MEMBERSHIPS),
        reply(201, json!({"id": 600, "user-id": 3, "user-group-id": 4}))
            .set_delay(Duration::from_secs(30)),
    )
    .await;
    mount_page(
        &server,
        MEMBERSHIPS,
        0,
        json!([{"id": 600, "user-id": 3, "user-group-id": 4}]),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client_with_timeout(&server, Duration::from_millis(300));
    let m = c.create_membership(3, 4).await.unwrap();
    assert_eq!(m.id, 600);
    assert_eq!(c.stats().posts, 1);
}

#[tokio::test]
async fn a_read_that_times_out_is_retried() {
    let server = token_server().await;
    answer_first(
        &server,
        on("GET", "/api/roles"),
        1,
        reply(200, json!([{"id": 1, "name": "Slow"}])).set_delay(Duration::from_secs(30)),
    )
    .await;
    mount_page(
        &server,
        "/api/roles",
        0,
        json!([{"id": 2, "name": "Buyer"}]),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client_with_timeout(&server, Duration::from_millis(300));
    let live = c.read_live().await.unwrap();
    assert_eq!(live.roles.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
    assert_eq!(c.stats().retries, 1);
}

#[tokio::test]
async fn a_token_expiring_at_once_is_kept_a_minute_not_refetched_per_call() {
    let server = MockServer::builder().start().await;
    answer(
        &server,
        on("POST", "/oauth2/token"),
        reply(200, json!({"access_token": TOKEN, "expires_in": 0})),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    for g in 0..3 {
        c.read_group_memberships(g).await.unwrap();
    }
    // expires_in 0 is read as the shortest lifetime believed (60 s), not a token per call.
    assert_eq!(c.stats().token_requests, 1);
    assert_eq!(c.stats().gets, 3);
}

#[tokio::test]
async fn mocks_that_require_accept_json_are_all_satisfied() {
    use wiremock::matchers::header;
    let server = MockServer::builder().start().await;
    let json_only = || header("accept", "application/json");
    answer(
        &server,
        on("POST", "/oauth2/token").and(json_only()),
        reply(200, token_body(TOKEN)),
    )
    .await;
    answer(
        &server,
        any_path("GET").and(json_only()),
        reply(200, json!([])),
    )
    .await;
    answer(
        &server,
        on("POST", MEMBERSHIPS)
            .and(json_only())
            .and(header("content-type", "application/json")),
        reply(201, json!({"id": 1, "user-id": 2, "user-group-id": 3})),
    )
    .await;
    // Anything without the header would fall through to a 406 and fail the calls below.
    Mock::given(wiremock::matchers::any())
        .respond_with(status_only(406))
        .with_priority(200)
        .mount(&server)
        .await;
    let c = client(&server, Access::ReadWrite);
    c.read_live().await.unwrap();
    c.create_membership(2, 3).await.unwrap();
}

#[tokio::test]
async fn a_duplicate_create_refused_by_coupa_returns_the_existing_membership() {
    let server = token_server().await;
    answer(
        &server,
        on("POST", MEMBERSHIPS),
        reply(422, json!({"errors": {"user": ["has already been taken"]}})),
    )
    .await;
    mount_page(
        &server,
        MEMBERSHIPS,
        0,
        json!([{"id": 77, "user-id": 7, "user-group-id": 12}]),
    )
    .await;
    mount_empty_lists(&server).await;
    let m = client(&server, Access::ReadWrite)
        .create_membership(7, 12)
        .await
        .unwrap();
    assert_eq!(m.id, 77);
}

#[tokio::test]
async fn resending_an_unconfirmed_create_is_bounded() {
    let server = token_server().await;
    answer(&server, on("POST", MEMBERSHIPS), status_only(500)).await;
    mount_empty_lists(&server).await;
    let err = client(&server, Access::ReadWrite)
        .create_membership(1, 2)
        .await
        .unwrap_err();
    // Each check answered "not there": the error says what is known, not "could not confirm".
    assert!(
        matches!(err, CoupaError::WriteNotTaken { attempts: 4, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("adding user 1 to group 2 did not take effect"),
        "{text}"
    );
    assert!(text.contains("shows it not done"), "{text}");
    assert!(!text.contains("could not confirm"), "{text}");
    // Each POST was followed by a check; max_retries (3) resends after the first.
    let api: Vec<String> = api_methods(&server).await;
    assert_eq!(api, ["POST", "GET"].repeat(4));
}

#[tokio::test]
async fn an_unreachable_instance_is_retried_then_reported() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client_at(
        &format!("http://127.0.0.1:{port}"),
        Access::Read,
        fast_opts(),
    );
    let err = c.read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CoupaError::TokenEndpoint { .. }), "{err:?}");
    assert!(msg.contains("could not connect"), "{msg}");
    assert!(msg.contains("refused"), "{msg}");
    assert_no_cli_words(&msg);
    // A refused connection gets two quick retries, not the whole budget.
    assert_eq!(c.stats().token_requests, 3);
}

#[tokio::test]
async fn a_token_expiring_twice_while_one_request_retries_is_fetched_again_each_time() {
    let server = token_server().await;
    let memberships = || on("GET", MEMBERSHIPS);
    // 401 (expired) -> new token -> 503 -> 401 (expired again) -> new token -> the page.
    answer_first(&server, memberships(), 1, status_only(401)).await;
    answer_first(&server, memberships(), 1, status_only(503)).await;
    answer_first(&server, memberships(), 1, status_only(401)).await;
    answer(&server, memberships(), reply(200, json!([]))).await;
    let c = client(&server, Access::Read);
    assert!(c.read_group_memberships(3).await.unwrap().is_empty());
    assert_eq!(requests_to(&server, "POST", "/oauth2/token").await.len(), 3);
}

#[tokio::test]
async fn a_page_out_of_id_order_is_an_error_not_a_silent_skip() {
    let server = token_server().await;
    // Keyset paging would skip id 2 if it trusted the largest id of this page.
    mount_page(
        &server,
        "/api/roles",
        0,
        json!([{"id": 3, "name": "C"}, {"id": 1, "name": "A"}]),
    )
    .await;
    mount_page(&server, "/api/roles", 3, json!([])).await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    let err = c.read_live().await.unwrap_err().to_string();
    assert!(err.contains("ascending id order"), "{err}");
}

#[tokio::test]
async fn a_server_ignoring_id_gt_is_an_error_not_an_endless_read() {
    let server = token_server().await;
    answer(
        &server,
        on("GET", "/api/roles"),
        reply(200, json!([{"id": 1, "name": "A"}])),
    )
    .await;
    mount_empty_lists(&server).await;
    let c = client(&server, Access::Read);
    let err = c.read_live().await.unwrap_err().to_string();
    assert!(err.contains("ascending id order"), "{err}");
}

#[tokio::test]
async fn a_token_that_is_not_bearer_is_refused_clearly() {
    let server = MockServer::builder().start().await;
    answer(
        &server,
        on("POST", "/oauth2/token"),
        reply(
            200,
            json!({"access_token": TOKEN, "token_type": "mac", "expires_in": 60}),
        ),
    )
    .await;
    mount_empty_lists(&server).await;
    let err = client(&server, Access::Read).read_live().await.unwrap_err();
    assert!(matches!(err, CoupaError::TokenEndpoint { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("`mac`") && msg.contains("not a bearer token"),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN), "{msg}");
    assert!(
        api_methods(&server).await.is_empty(),
        "no API call with a non-bearer token"
    );
}

#[tokio::test]
async fn an_html_page_is_summarised_not_dumped() {
    let server = token_server().await;
    answer(
        &server,
        any_path("GET"),
        ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><body>Sign in to Coupa</body></html>",
            "text/html",
        ),
    )
    .await;
    let err = client(&server, Access::Read).read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("answered HTML, not Coupa's JSON API"), "{msg}");
    assert!(!msg.contains("Sign in"), "{msg}");
}

#[tokio::test]
async fn a_page_larger_than_the_cap_is_an_error_not_a_memory_blowup() {
    let server = token_server().await;
    let huge = format!("[{}]", "0,".repeat(9 * 1024 * 1024) + "0");
    answer(
        &server,
        on("GET", "/api/roles"),
        ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
    )
    .await;
    mount_empty_lists(&server).await;
    let err = client(&server, Access::Read).read_live().await.unwrap_err();
    assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
}

/// `invalid_scope` without naming the scope (Doorkeeper's wording): the client asks for each
/// requested scope alone and names the refused one.
#[tokio::test]
async fn a_vague_invalid_scope_is_narrowed_to_the_refused_scope() {
    use wiremock::matchers::body_string_contains;
    let server = MockServer::builder().start().await;
    let vague = json!({
        "error": "invalid_scope",
        "error_description": "The requested scope is invalid, unknown, or malformed."
    });
    // Any request holding the write scope is refused; the read scopes alone are granted.
    on("POST", "/oauth2/token")
        .and(body_string_contains("core.user_group.write"))
        .respond_with(reply(400, vague))
        .with_priority(1)
        .mount(&server)
        .await;
    token_mock(TOKEN).with_priority(2).mount(&server).await;
    let err = client(&server, Access::ReadWrite)
        .create_membership(1, 2)
        .await
        .unwrap_err();
    match &err {
        CoupaError::ScopeNotGranted { scopes, named, .. } => {
            assert_eq!(scopes, "core.user_group.write");
            assert!(named);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("the OAuth2 client may not request scope core.user_group.write ("),
        "{err}"
    );
}

/// A DELETE answered 403 for a membership still there: a tenant refusing deletion looks like
/// a client without `core.user_group.write`, so the message names the scope first.
#[tokio::test]
async fn a_delete_answered_403_names_the_membership_scope() {
    let server = token_server().await;
    answer(&server, any_path("DELETE"), status_only(403)).await;
    answer(
        &server,
        on("GET", "/api/user_group_memberships/42"),
        reply(200, json!({"id": 42, "user-id": 1, "user-group-id": 2})),
    )
    .await;
    let err = client(&server, Access::ReadWrite)
        .delete_membership(42)
        .await
        .unwrap_err();
    assert!(err.is_delete_refused(), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("answered HTTP 403, and a re-read shows the membership still there): the OAuth2 client may lack scope `core.user_group.write`"),
        "{msg}"
    );
}
