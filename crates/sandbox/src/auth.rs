//! OAuth2 client credentials (`POST /oauth2/token`) and the bearer checks on `/api/*`:
//! 401 for a missing, unknown or expired token, 403 naming the scope a route needs.

use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use rand::Rng;
use serde_json::json;

use super::format::{Body, Format};
use super::state::{lock, Shared};

/// An issued access token. Times follow tokio's clock, so tests on a paused clock see tokens
/// age and expire.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub scopes: BTreeSet<String>,
    pub issued_at: Instant,
    /// `None`: a lifetime too long to reach.
    pub expires_at: Option<Instant>,
}

/// The scope a route needs, by method and route template (Coupa's scope table, in
/// `docs/coupa-api.md`).
pub(crate) fn required_scope(method: &Method, template: &str) -> Option<&'static str> {
    let read = method == Method::GET;
    Some(match template {
        "/api/users" | "/api/users/{id}" if read => "core.user.read",
        "/api/users/{id}" => "core.user.write",
        "/api/user_groups" | "/api/user_groups/{id}" if read => "core.user_group.read",
        "/api/user_group_memberships" | "/api/user_group_memberships/{id}" if read => {
            "core.user_group.read"
        }
        "/api/user_group_memberships" | "/api/user_group_memberships/{id}" => {
            "core.user_group.write"
        }
        "/api/roles" => "core.common.read",
        // Read-only: every GraphQL request is a query (Coupa supports no mutations), so a
        // POST here reads. Assumed to need the users' read scope (docs/coupa-api.md).
        "/api/graphql" => "core.user.read",
        _ => return None,
    })
}

/// Checks the bearer token for a request needing `scope`; the error is the full answer.
pub(crate) fn check_bearer(
    shared: &Shared,
    headers: &HeaderMap,
    scope: Option<&str>,
    format: Format,
) -> Result<(), Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        });
    let Some(token) = token else {
        return Err(unauthorized(
            "invalid_request",
            "The access token is missing",
            format,
        ));
    };
    let granted = lock(&shared.tokens).get(&token).cloned();
    let Some(granted) = granted else {
        return Err(unauthorized(
            "invalid_token",
            "The access token is invalid",
            format,
        ));
    };
    let now = Instant::now();
    if granted.expires_at.is_some_and(|at| now >= at) {
        return Err(unauthorized(
            "invalid_token",
            "The access token expired",
            format,
        ));
    }
    if now.duration_since(granted.issued_at) < shared.config.faults.token_warmup {
        shared.count("401 warmup");
        return Err(unauthorized(
            "invalid_token",
            "The access token is not active yet",
            format,
        ));
    }
    match scope {
        Some(s) if !granted.scopes.contains(s) && shared.config.faults.missing_scope_401 => {
            Err(unauthorized(
                "insufficient_scope",
                "The access token is not authorized",
                format,
            ))
        }
        Some(s) if !granted.scopes.contains(s) => {
            let body = Body::errors(StatusCode::FORBIDDEN, "scope", format!("{s} is required"));
            Err(Box::new(body.into_response(format)))
        }
        _ => Ok(()),
    }
}

fn unauthorized(error: &str, description: &str, format: Format) -> Box<Response> {
    let value = json!({ "error": error, "error_description": description });
    let mut resp = Body::new(StatusCode::UNAUTHORIZED, "error", value).into_response(format);
    let challenge =
        format!("Bearer realm=\"Coupa\", error=\"{error}\", error_description=\"{description}\"");
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    Box::new(resp)
}

/// `POST /oauth2/token`: client credentials in the form body or HTTP Basic.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (id, secret) = basic_credentials(&headers).unwrap_or_else(|| {
        (
            field("client_id").unwrap_or_default(),
            field("client_secret").unwrap_or_default(),
        )
    });
    let config = &shared.config;
    if id != config.client_id || secret != config.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.");
    }
    if field("grant_type").as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let granted: BTreeSet<String> = config.scopes.iter().cloned().collect();
    let asked: BTreeSet<String> = field("scope")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let scopes: BTreeSet<String> = if asked.is_empty() {
        granted.clone()
    } else if config.faults.lenient_scopes {
        asked.intersection(&granted).cloned().collect()
    } else {
        asked
    };
    if let Some(s) = scopes.iter().find(|s| !granted.contains(*s)) {
        let description = if config.faults.vague_invalid_scope {
            "The requested scope is invalid, unknown, or malformed.".to_string()
        } else {
            format!("The requested scope is invalid, unknown, or malformed: {s}")
        };
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &description);
    }
    let lifetime = config.faults.token_lifetime;
    let access_token = random_token();
    let now = Instant::now();
    lock(&shared.tokens).insert(
        access_token.clone(),
        Token {
            scopes: scopes.clone(),
            issued_at: now,
            // A lifetime past what the clock holds never ends (u64::MAX seconds must not panic).
            expires_at: now.checked_add(lifetime),
        },
    );
    let expires_in = config
        .faults
        .token_expires_in_raw
        .clone()
        .unwrap_or_else(|| json!(lifetime.as_secs()));
    let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
    let body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "scope": scope,
        "created_at": chrono::Utc::now().timestamp(),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn random_token() -> String {
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| format!("{:x}", rng.gen_range(0..16u8)))
        .collect()
}

/// `Authorization: Basic base64(id:secret)`, if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(BASIC.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Standard base64 with padding optional, as HTTP clients differ in sending it.
const BASIC: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded_with_or_without_padding() {
        let sent = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            basic_credentials(&headers)
        };
        let pair = |id: &str, secret: &str| Some((id.to_string(), secret.to_string()));
        assert_eq!(
            sent("Basic c2FuZGJveC1jbGllbnQ6c2FuZGJveC1zZWNyZXQ="),
            pair("sandbox-client", "sandbox-secret")
        );
        // "a:b" unpadded, and the scheme in any case.
        assert_eq!(sent("basic YTpi"), pair("a", "b"));
        assert_eq!(sent("Basic YTpiYw"), pair("a", "bc"));
        assert_eq!(sent("Basic !!"), None);
        assert_eq!(sent("Bearer YTpi"), None);
        // No colon: not a pair.
        assert_eq!(sent("Basic YWI="), None);
    }

    #[test]
    fn scopes_follow_the_scope_table() {
        assert_eq!(
            required_scope(&Method::GET, "/api/users"),
            Some("core.user.read")
        );
        assert_eq!(
            required_scope(&Method::PUT, "/api/users/{id}"),
            Some("core.user.write")
        );
        assert_eq!(
            required_scope(&Method::POST, "/api/user_group_memberships"),
            Some("core.user_group.write")
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/api/user_group_memberships/{id}"),
            Some("core.user_group.write")
        );
        assert_eq!(
            required_scope(&Method::GET, "/api/user_groups/{id}"),
            Some("core.user_group.read")
        );
        assert_eq!(
            required_scope(&Method::GET, "/api/roles"),
            Some("core.common.read")
        );
    }
}
