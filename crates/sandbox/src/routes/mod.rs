//! The HTTP routes, one file per Coupa resource, and the router that puts them behind the gate.

mod asked;
mod graphql;
mod groups;
mod memberships;
mod roles;
mod users;

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{Map, Value};

use super::format::{Body, Format};
use super::gate;
use super::query::{self, ListQuery, ReturnObject};
use super::{auth, state::Shared};

/// The sandbox's router: `/oauth2/token` and the `/api/*` resources.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/api/users", get(users::list))
        .route(
            "/api/users/{id}",
            get(users::show).put(users::update).patch(users::update),
        )
        .route("/api/user_groups", get(groups::list))
        .route("/api/user_groups/{id}", get(groups::show))
        .route(
            "/api/user_group_memberships",
            get(memberships::list).post(memberships::create),
        )
        .route(
            "/api/user_group_memberships/{id}",
            get(memberships::show)
                .put(memberships::update)
                .delete(memberships::delete),
        )
        .route("/api/roles", get(roles::list))
        .route("/api/graphql", post(graphql::query))
        .route_layer(from_fn_with_state(shared.clone(), gate::api));
    api.route("/oauth2/token", post(auth::token))
        .route_layer(from_fn_with_state(shared.clone(), gate::count))
        .fallback(gate::not_found)
        .layer(from_fn_with_state(shared.clone(), gate::echo))
        .with_state(shared)
}

/// A path id; anything not a number is a 404, as an unknown record is.
fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

/// The answer to a write: the object, or nothing with `return_object=none`.
fn written(
    status: StatusCode,
    root: &'static str,
    v: Value,
    q: &ListQuery,
    format: Format,
) -> Response {
    if q.return_object == ReturnObject::None {
        return status.into_response();
    }
    Body::new(status, root, v).into_response(format)
}

fn not_found(resource: &str, format: Format) -> Response {
    Body::errors(
        StatusCode::NOT_FOUND,
        "base",
        format!("{resource} not found"),
    )
    .into_response(format)
}

/// The JSON object of a write, with keys normalised to dash-case. Like Rails, a body that is not
/// sent as `application/json` is not read at all (so the write changes nothing).
fn json_body(
    headers: &HeaderMap,
    body: &[u8],
    format: Format,
) -> Result<Map<String, Value>, Box<Response>> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"));
    if !is_json || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| (query::json_key(&k), v))
            .collect()),
        Ok(_) => Err(bad_body("the body must be a JSON object", format)),
        Err(e) => Err(bad_body(&format!("invalid JSON: {e}"), format)),
    }
}

fn bad_body(message: &str, format: Format) -> Box<Response> {
    Box::new(Body::errors(StatusCode::BAD_REQUEST, "base", message).into_response(format))
}

/// An id given as a number, a numeric string, or `{"id": N}`.
fn id_value(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(m) => id_value(m.get("id")),
        _ => None,
    }
}
