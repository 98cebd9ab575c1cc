//! `GET/POST /api/user_group_memberships`, `GET/DELETE /api/user_group_memberships/:id`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::asked::{Asked, MembershipKeys};
use super::{id_value, json_body, not_found, parse_id, written};
use crate::format::{Body, Format};
use crate::render;
use crate::state::{now_iso, Shared, Tenant};
use coupa_access_core::model::Membership;

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Asked { format, mut q, .. }: Asked<MembershipKeys>,
) -> Response {
    if shared.config.faults.membership_in_first_only {
        // Only the first value of a group list is read: the other groups' rows are missing.
        for f in q.filters.iter_mut() {
            if f.key == "user-group-id" && f.op == crate::query::Op::In {
                let first = f.value.split(',').next().unwrap_or_default().to_string();
                f.value = first;
            }
        }
    }
    let rows = shared.with_tenant(|t| {
        // Narrow by group or user first: per-group reads of a large tenant stay cheap.
        let groups = q.allowed_ids("user-group-id");
        let users = q.allowed_ids("user-id");
        let candidates: Vec<&Membership> = t
            .live
            .memberships
            .iter()
            .filter(|m| groups.as_ref().is_none_or(|g| g.contains(&m.group_id)))
            .filter(|m| users.as_ref().is_none_or(|u| u.contains(&m.user_id)))
            .collect();
        q.select(&candidates, |m| m.id, |m| render::membership(t, m))
    });
    Body::new(StatusCode::OK, "user-group-memberships", Value::Array(rows)).into_response(format)
}

fn find(t: &Tenant, id: u64) -> Option<usize> {
    t.live.memberships.binary_search_by_key(&id, |m| m.id).ok()
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Asked { format, q, .. }: Asked<MembershipKeys>,
) -> Response {
    let found = shared.with_tenant(|t| {
        let i = find(t, parse_id(&id)?)?;
        Some(q.trim(render::membership(t, &t.live.memberships[i])))
    });
    match found {
        Some(v) => Body::new(StatusCode::OK, "user-group-membership", v).into_response(format),
        None => not_found("UserGroupMembership", format),
    }
}

pub(super) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Asked { format, q, .. }: Asked<MembershipKeys>,
    body: Bytes,
) -> Response {
    let fields = match json_body(&headers, &body, format) {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    let user_id = id_value(fields.get("user-id").or(fields.get("user")));
    let group_id = id_value(fields.get("user-group-id").or(fields.get("user-group")));
    let rejected = &shared.config.faults.reject_users;
    let result = shared.with_tenant(|t| {
        let user_id = user_id
            .filter(|id| t.user_index(*id).is_some())
            .ok_or("User can't be blank")?;
        let group_id = group_id
            .filter(|id| render::find_group(t, *id).is_some())
            .ok_or("User group can't be blank")?;
        if rejected.contains(&user_id) {
            return Err("User is not allowed to join this group");
        }
        if t.live
            .memberships
            .iter()
            .any(|m| m.user_id == user_id && m.group_id == group_id)
        {
            return Err("User has already been taken");
        }
        let m = Membership {
            id: t.next_membership_id,
            user_id,
            group_id,
            created_at: Some(now_iso().into()),
            owner: false,
            participant: Some(true),
        };
        t.next_membership_id += 1;
        let v = render::membership(t, &m);
        t.live.memberships.push(m);
        Ok(q.trim(v))
    });
    match result {
        Ok(v) => written(StatusCode::CREATED, "user-group-membership", v, &q, format),
        Err(msg) => Body::errors(StatusCode::BAD_REQUEST, "user_group_membership", msg)
            .into_response(format),
    }
}

/// `PUT /api/user_group_memberships/:id`: sets `owner` and `participant` (the other fields
/// are read-only or fixed once created).
pub(super) async fn update(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Asked { format, q, .. }: Asked<MembershipKeys>,
    body: Bytes,
) -> Response {
    let fields = match json_body(&headers, &body, format) {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    let found = shared.with_tenant(|t| {
        let i = find(t, parse_id(&id)?)?;
        let m = &mut t.live.memberships[i];
        if let Some(Value::Bool(b)) = fields.get("participant") {
            m.participant = Some(*b);
        }
        if let Some(Value::Bool(b)) = fields.get("owner") {
            m.owner = *b;
        }
        Some(q.trim(render::membership(t, &t.live.memberships[i])))
    });
    match found {
        Some(v) => written(StatusCode::OK, "user-group-membership", v, &q, format),
        None => not_found("UserGroupMembership", format),
    }
}

pub(super) async fn delete(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let format = Format::from_headers(&headers);
    if shared.config.faults.delete_disabled {
        let mut resp = Body::errors(StatusCode::METHOD_NOT_ALLOWED, "base", "Method not allowed")
            .into_response(format);
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, PUT, PATCH"));
        return resp;
    }
    if let Some(status) = shared.config.faults.delete_refused_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
        return Body::errors(
            status,
            "base",
            "You are not authorized to delete this user group membership",
        )
        .into_response(format);
    }
    let removed = shared.with_tenant(|t| {
        let i = find(t, parse_id(&id)?)?;
        let v = render::membership(t, &t.live.memberships[i]);
        t.live.memberships.remove(i);
        Some(v)
    });
    match removed {
        Some(v) => Body::new(StatusCode::OK, "user-group-membership", v).into_response(format),
        None => not_found("UserGroupMembership", format),
    }
}
