//! `GET /api/user_groups` and `GET /api/user_groups/:id`: groups with projects (`type: Project`)
//! mixed in by id, as Coupa keeps them in one table.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::asked::{Asked, GroupKeys};
use super::{not_found, parse_id};
use crate::format::Body;
use crate::render;
use crate::state::Shared;
use coupa_access_core::model::Group;

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Asked { format, q, .. }: Asked<GroupKeys>,
) -> Response {
    let rows = shared.with_tenant(|t| {
        let mut all: Vec<(&Group, bool)> = t.live.groups.iter().map(|g| (g, false)).collect();
        all.extend(t.live.projects.iter().map(|g| (g, true)));
        all.sort_by_key(|(g, _)| g.id);
        q.select(
            &all,
            |(g, _)| g.id,
            |(g, p)| render::group_for_query(t, g, *p, &q),
        )
    });
    Body::new(StatusCode::OK, "user-groups", Value::Array(rows)).into_response(format)
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Asked { format, q, .. }: Asked<GroupKeys>,
) -> Response {
    let found = shared.with_tenant(|t| {
        let (g, p) = render::find_group(t, parse_id(&id)?)?;
        Some(q.trim(render::group_for_query(t, g, p, &q)))
    });
    match found {
        Some(v) => Body::new(StatusCode::OK, "user-group", v).into_response(format),
        None => not_found("UserGroup", format),
    }
}
