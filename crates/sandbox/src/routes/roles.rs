//! `GET /api/roles` (scope `core.common.read`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::asked::{Asked, RoleKeys};
use crate::format::Body;
use crate::render;
use crate::state::Shared;

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Asked { format, q, .. }: Asked<RoleKeys>,
) -> Response {
    let rows = shared.with_tenant(|t| q.select(&t.live.roles, |r| r.id, render::role));
    Body::new(StatusCode::OK, "roles", Value::Array(rows)).into_response(format)
}
