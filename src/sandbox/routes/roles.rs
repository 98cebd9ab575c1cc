//! `GET /api/roles` (scope `core.common.read`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::parse_query;
use crate::sandbox::format::{Body, Format};
use crate::sandbox::render;
use crate::sandbox::state::Shared;

pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let format = Format::from_headers(&headers);
    let q = match parse_query(raw.as_deref(), &render::role_key, format) {
        Ok(q) => q,
        Err(resp) => return *resp,
    };
    let rows = shared.with_tenant(|t| q.select(&t.live.roles, |r| r.id, render::role));
    Body::new(StatusCode::OK, "roles", Value::Array(rows)).into_response(format)
}
