//! What every request passes before its handler: counting by route template, then for `/api/*`
//! the injected latency, the rate limit (429), injected errors and the bearer/scope check.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth;
use super::format::{Body, Format};
use super::state::{lock, Shared};

/// The counter key of a request: `"GET /api/users/:id"`.
pub(crate) fn route_key(method: &str, template: &str) -> String {
    format!("{method} {}", template.replace("{id}", ":id"))
}

/// The route template of a routed path: `/api/users/42` is `/api/users/{id}`. (Every sandbox
/// route is `/api/<resource>` or `/api/<resource>/{id}`, which saves axum's `matched-path`.)
pub(crate) fn template(path: &str) -> String {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["", "api", resource, _id] => format!("/api/{resource}/{{id}}"),
        _ => path.trim_end_matches('/').to_string(),
    }
}

/// Counts every routed request under its template; `/oauth2/token` is not an API request.
pub(crate) async fn count(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = template(req.uri().path());
    shared.count(&route_key(req.method().as_str(), &path));
    if path != "/oauth2/token" {
        shared.count_api();
    }
    next.run(req).await
}

/// Unrouted paths: counted, and answered 404 as Coupa would.
pub(crate) async fn not_found(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    shared.count(&format!("{} (unrouted)", req.method()));
    if req.uri().path() != "/oauth2/token" {
        shared.count_api();
    }
    let format = Format::from_headers(req.headers());
    Body::errors(StatusCode::NOT_FOUND, "base", "Not found").into_response(format)
}

/// Latency, rate limit, injected errors and authorization for `/api/*`, in that order.
pub(crate) async fn api(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = template(req.uri().path());
    let faults = &shared.config.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let format = Format::from_headers(req.headers());
    if !lock(&shared.limiter).admit(Instant::now()) {
        shared.count("429");
        return too_many_requests(faults, format);
    }
    if lock(&shared.faults).should_fail() {
        shared.count("fault");
        return injected_error(faults.error_status);
    }
    if req.method() != axum::http::Method::GET && lock(&shared.faults).should_fail_write() {
        shared.count("fault");
        return injected_error(faults.error_status);
    }
    let scope = auth::required_scope(req.method(), &path);
    if let Err(resp) = auth::check_bearer(&shared, req.headers(), scope, format) {
        return *resp;
    }
    next.run(req).await
}

fn too_many_requests(faults: &super::Faults, format: Format) -> Response {
    let mut resp = Body::errors(StatusCode::TOO_MANY_REQUESTS, "base", "Rate limit exceeded")
        .into_response(format);
    let value = match &faults.retry_after_raw {
        // Text a header cannot carry (a newline) is sent as no header.
        Some(raw) => HeaderValue::from_bytes(raw.as_bytes()).ok(),
        None => faults.retry_after.map(HeaderValue::from),
    };
    if let Some(v) = value {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// With `echo_requests`, an error answer becomes plain text quoting the request first (method,
/// path, `Authorization` and every other header, the body), then the original answer.
pub(crate) async fn echo(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if !shared.config.faults.echo_requests {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let mut echo = format!("request echo: {} {}", parts.method, parts.uri);
    let mut headers: Vec<_> = parts.headers.iter().collect();
    headers.sort_by_key(|(k, _)| *k != header::AUTHORIZATION);
    for (k, v) in headers {
        echo.push_str(&format!("; {k}: {}", String::from_utf8_lossy(v.as_bytes())));
    }
    echo.push_str(&format!("; body: {}", String::from_utf8_lossy(&bytes)));
    let resp = next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await;
    if resp.status().as_u16() < 400 {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let answer = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let text = format!("{echo}; answer: {}", String::from_utf8_lossy(&answer));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Response::from_parts(parts, axum::body::Body::from(text))
}

/// A gateway-style error page, as a load balancer in front of Coupa sends it.
fn injected_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = status.canonical_reason().unwrap_or("Error");
    let html = format!(
        "<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>",
        code = status.as_u16()
    );
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html"))],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_use_colon_params() {
        assert_eq!(route_key("GET", "/api/users/{id}"), "GET /api/users/:id");
        assert_eq!(route_key("POST", "/oauth2/token"), "POST /oauth2/token");
        assert_eq!(template("/api/users/42"), "/api/users/{id}");
        assert_eq!(
            template("/api/user_group_memberships"),
            "/api/user_group_memberships"
        );
    }
}
