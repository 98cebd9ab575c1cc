//! The sandbox's rate limit, injected faults, token expiry and request counters, all
//! deterministic: no sleeps, no timing luck.

use std::time::Duration;

use crate::sandbox_support::{request, start, start_with, token};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The scopes the routes here need.
const SCOPE: &str = "core.user.read core.common.read";

async fn get(sb: &Sandbox, t: &str, path: &str) -> reqwest::Response {
    request(sb, t, Method::GET, path).send().await.unwrap()
}

/// A bucket that effectively never drains, so the burst alone decides.
fn tight(retry_after: Option<u64>) -> SandboxConfig {
    SandboxConfig {
        rate_per_second: 0.0001,
        burst: 3,
        faults: Faults {
            retry_after,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn requests_beyond_the_burst_get_429_with_retry_after() {
    let sb = start(tight(Some(2))).await;
    let t = token(&sb, SCOPE).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let resp = get(&sb, &t, "/api/roles").await;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(resp.headers()["retry-after"], "2");
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let counts = sb.request_counts();
    assert_eq!(counts["429"], 2);
    assert_eq!(counts["GET /api/roles"], 5);
    assert_eq!(sb.total_api_requests(), 5);
    // The token endpoint is outside the API's bucket.
    token(&sb, SCOPE).await;
}

#[tokio::test]
async fn retry_after_can_be_left_out() {
    let sb = start(tight(None)).await;
    let t = token(&sb, SCOPE).await;
    for _ in 0..3 {
        assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    }
    let resp = get(&sb, &t, "/api/roles").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!resp.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn fail_first_answers_the_error_status_then_recovers() {
    for status in [503u16, 500] {
        let sb = start_with(Faults {
            fail_first: 2,
            error_status: status,
            ..Faults::default()
        })
        .await;
        let t = token(&sb, SCOPE).await;
        assert_eq!(get(&sb, &t, "/api/users").await.status().as_u16(), status);
        assert_eq!(get(&sb, &t, "/api/roles").await.status().as_u16(), status);
        assert_eq!(get(&sb, &t, "/api/users").await.status(), StatusCode::OK);
        assert_eq!(sb.request_counts()["fault"], 2);
        sb.reset_counts();
        assert!(sb.request_counts().is_empty());
        assert_eq!(sb.total_api_requests(), 0);
        sb.shutdown().await;
    }
}

#[tokio::test]
async fn seeded_error_rate_reproduces_the_same_pattern() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let sb = start_with(Faults {
            error_rate: 0.4,
            seed,
            ..Faults::default()
        })
        .await;
        let t = token(&sb, SCOPE).await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(get(&sb, &t, "/api/roles").await.status().as_u16());
        }
        out
    }
    let a = pattern(11).await;
    assert_eq!(a, pattern(11).await);
    assert!(a.contains(&503) && a.contains(&200));
}

#[tokio::test]
async fn expired_tokens_get_401() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, SCOPE).await;
    assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    sb.expire_tokens();
    let resp = get(&sb, &t, "/api/roles").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    let fresh = token(&sb, SCOPE).await;
    assert_eq!(
        get(&sb, &fresh, "/api/roles").await.status(),
        StatusCode::OK
    );

    let zero = start_with(Faults {
        token_lifetime: Duration::ZERO,
        ..Faults::default()
    })
    .await;
    let t = token(&zero, SCOPE).await;
    assert_eq!(
        get(&zero, &t, "/api/roles").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn counters_name_route_templates_and_shutdown_stops_serving() {
    let sb = start_with(Faults::default()).await;
    let t = token(&sb, SCOPE).await;
    get(&sb, &t, "/api/users/1001").await;
    get(&sb, &t, "/api/users/1002").await;
    get(&sb, &t, "/api/users?limit=1").await;
    let nowhere = get(&sb, &t, "/api/purchase_orders").await;
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    let counts = sb.request_counts();
    assert_eq!(counts["GET /api/users/:id"], 2);
    assert_eq!(counts["GET /api/users"], 1);
    assert_eq!(counts["POST /oauth2/token"], 1);
    assert_eq!(sb.total_api_requests(), 4);

    let url = sb.url();
    sb.shutdown().await;
    assert!(reqwest::get(format!("{url}/api/users")).await.is_err());
}

#[tokio::test]
async fn latency_is_added_to_api_answers() {
    let sb = start_with(Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    })
    .await;
    let t = token(&sb, SCOPE).await;
    let started = std::time::Instant::now();
    assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    // A lower bound only: the answer cannot come before the injected delay.
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn hostile_retry_after_and_expires_in_are_sent_verbatim() {
    let mut config = tight(None);
    config.faults.retry_after_raw = Some("99999999999999999999999".into());
    config.faults.token_expires_in_raw = Some(serde_json::json!(-5));
    let sb = start(config).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
            ("scope", SCOPE),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["expires_in"], -5);
    let t = body["access_token"].as_str().unwrap().to_string();
    for _ in 0..3 {
        assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    }
    let resp = get(&sb, &t, "/api/roles").await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "99999999999999999999999");
}

#[tokio::test]
async fn an_endless_token_lifetime_does_not_panic() {
    let sb = start_with(Faults {
        token_lifetime: Duration::from_secs(u64::MAX),
        ..Faults::default()
    })
    .await;
    let t = token(&sb, SCOPE).await;
    assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn young_tokens_are_refused_during_the_warmup() {
    let sb = start_with(Faults {
        token_warmup: Duration::from_secs(5),
        ..Faults::default()
    })
    .await;
    let t = token(&sb, SCOPE).await;
    let resp = get(&sb, &t, "/api/roles").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    assert_eq!(sb.request_counts()["401 warmup"], 1);
}

#[tokio::test]
async fn echo_requests_quotes_the_request_in_error_answers() {
    let sb = start_with(Faults {
        echo_requests: true,
        ..Faults::default()
    })
    .await;
    let t = token(&sb, SCOPE).await;
    // A success is untouched.
    assert_eq!(get(&sb, &t, "/api/roles").await.status(), StatusCode::OK);
    let resp = get(&sb, &t, "/api/purchase_orders").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with("request echo: GET /api/purchase_orders"),
        "{text}"
    );
    assert!(
        text.contains(&format!("authorization: Bearer {t}")),
        "{text}"
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "x"),
            ("client_secret", "a b&c"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let text = resp.text().await.unwrap();
    assert!(text.contains("client_secret=a+b%26c"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
}
