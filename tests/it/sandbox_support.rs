//! Shared scaffolding for the sandbox HTTP tests: a sandbox on 127.0.0.1:0, tokens from its
//! OAuth2 endpoint, and requests that carry the bearer token and accept JSON.

use coupa_access_core::model::Live;
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

/// The read scopes of every list route.
pub const READ: &str = "core.common.read core.user.read core.user_group.read";

/// A config whose rate limit never interferes with the tests, with `faults`.
pub fn unlimited(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        rate_per_second: 1e6,
        burst: 100_000,
        faults,
        ..SandboxConfig::default()
    }
}

/// The sample tenant served with `config`.
pub async fn start(config: SandboxConfig) -> Sandbox {
    start_tenant(sample_tenant(), config).await
}

/// The sample tenant served without a rate limit, with `faults`.
pub async fn start_with(faults: Faults) -> Sandbox {
    start(unlimited(faults)).await
}

/// `tenant` served with `config` on a free port.
pub async fn start_tenant(tenant: Live, config: SandboxConfig) -> Sandbox {
    Sandbox::start(tenant, config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// A token for `scope`, granted to the sandbox's client credentials sent as a form.
pub async fn token(sb: &Sandbox, scope: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// A request to `path` (with its query) carrying the bearer token `t` and accepting JSON.
pub fn request(sb: &Sandbox, t: &str, method: Method, path: &str) -> RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{}", sb.url(), path))
        .bearer_auth(t)
        .header("Accept", "application/json")
}

/// Sends a request with an optional JSON body: the status and the JSON answer (`Null` if none).
pub async fn send(
    sb: &Sandbox,
    t: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = request(sb, t, method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// `GET path`: the status and the JSON answer.
pub async fn get(sb: &Sandbox, t: &str, path: &str) -> (StatusCode, Value) {
    send(sb, t, Method::GET, path, None).await
}

/// `POST path` with a JSON body: the status and the JSON answer.
pub async fn post(sb: &Sandbox, t: &str, path: &str, body: Value) -> (StatusCode, Value) {
    send(sb, t, Method::POST, path, Some(body)).await
}

/// `PUT path` with a JSON body: the status and the JSON answer.
pub async fn put(sb: &Sandbox, t: &str, path: &str, body: Value) -> (StatusCode, Value) {
    send(sb, t, Method::PUT, path, Some(body)).await
}

/// `DELETE path`: the status and the JSON answer.
pub async fn delete(sb: &Sandbox, t: &str, path: &str) -> (StatusCode, Value) {
    send(sb, t, Method::DELETE, path, None).await
}
