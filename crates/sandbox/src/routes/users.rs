//! `GET /api/users`, `GET /api/users/:id` and `PUT /api/users/:id`, with Coupa's write rules:
//! `roles` and `user-groups` only ever add (an empty list clears), unknown ids are silently
//! ignored, and `purchasing-user`/`contracts-user` set to false do not revoke (see
//! `Faults::sticky_licenses`). Injected: the update after a clear can fail
//! (`Faults::fail_set_after_clear`); `user-groups` can be hidden or partial
//! (`Faults::hide_user_groups`, `Faults::user_groups_view_omits`); a clear spelling can be
//! accepted and ignored (`Faults::ignored_clears`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::asked::{Asked, UserKeys};
use super::{id_value, json_body, not_found, parse_id, written};
use crate::format::Body;
use crate::query::ListQuery;
use crate::render;
use crate::state::{lock, now_iso, Shared, Tenant};
use coupa_access_core::model::{License, Membership, User};

pub(super) async fn list(
    State(shared): State<Arc<Shared>>,
    Asked { format, q, .. }: Asked<UserKeys>,
) -> Response {
    let omitted = &shared.config.faults.omit_user_fields;
    let rows = shared.with_tenant(|t| {
        let groups = q.asks_for("user-groups").then(|| render::groups_by_user(t));
        let render = |u: &&User| omit(render::user(t, u, &q, groups.as_ref()), omitted);
        // Narrow by id, login or email first (a cheap superset of what the filters accept):
        // lookups on a 100,000-user tenant then render only the users they name.
        let ids = q.allowed_ids("id");
        let logins = q.allowed_texts("login");
        let emails = q.allowed_texts("email");
        let candidates: Vec<&User> = match &ids {
            Some(ids) => ids
                .iter()
                .filter_map(|id| t.user_index(*id).map(|i| &t.live.users[i]))
                .collect(),
            None => t.live.users.iter().collect(),
        };
        let candidates: Vec<&User> = candidates
            .into_iter()
            .filter(|u| {
                logins
                    .as_ref()
                    .is_none_or(|l| l.contains(&u.login.to_lowercase()))
            })
            .filter(|u| {
                emails
                    .as_ref()
                    .is_none_or(|e| e.contains(&u.email.to_lowercase()))
            })
            .collect();
        q.select(&candidates, |u| u.id, render)
    });
    let faults = &shared.config.faults;
    let rows = rows
        .into_iter()
        .map(|mut v| {
            view_faults(&mut v, faults);
            v
        })
        .collect();
    Body::new(StatusCode::OK, "users", Value::Array(rows)).into_response(format)
}

pub(super) async fn show(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Asked { format, q, .. }: Asked<UserKeys>,
) -> Response {
    let omitted = &shared.config.faults.omit_user_fields;
    match shared.with_tenant(|t| show_one(t, parse_id(&id)?, &q, omitted)) {
        Some(mut v) => {
            view_faults(&mut v, &shared.config.faults);
            Body::new(StatusCode::OK, "user", v).into_response(format)
        }
        None => not_found("User", format),
    }
}

/// A user record as a tenant with `hide_user_groups` or `user_groups_view_omits` shows it.
fn view_faults(v: &mut Value, faults: &crate::Faults) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    if faults.hide_user_groups {
        obj.remove("user-groups");
    } else if let Some(Value::Array(groups)) = obj.get_mut("user-groups") {
        groups.retain(|g| {
            id_value(g.get("id")).is_none_or(|id| !faults.user_groups_view_omits.contains(&id))
        });
    }
}

fn show_one(t: &Tenant, id: u64, q: &ListQuery, omitted: &BTreeSet<String>) -> Option<Value> {
    let i = t.user_index(id)?;
    let groups = q.asks_for("user-groups").then(|| render::groups_by_user(t));
    let v = render::user(t, &t.live.users[i], q, groups.as_ref());
    Some(q.trim(omit(v, omitted)))
}

/// `v` without the keys `Faults::omit_user_fields` names.
fn omit(mut v: Value, omitted: &BTreeSet<String>) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !omitted.contains(k));
    }
    v
}

pub(super) async fn update(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Asked { format, q, .. }: Asked<UserKeys>,
    body: Bytes,
) -> Response {
    let mut changes = match json_body(&headers, &body, format) {
        Ok(m) => m,
        Err(resp) => return *resp,
    };
    // A clear spelled the way this tenant ignores is accepted and does nothing.
    for key in ["roles", "user-groups"] {
        let form = match changes.get(key) {
            Some(Value::Null) => Some(crate::ClearForm::Null),
            Some(Value::Array(items)) if items.is_empty() => Some(crate::ClearForm::EmptyList),
            _ => None,
        };
        if form.is_some_and(|f| shared.config.faults.ignored_clears.contains(&f)) {
            changes.remove(key);
        }
    }
    let sticky = &shared.config.faults.sticky_licenses;
    let result = shared.with_tenant(|t| {
        let id = parse_id(&id).filter(|id| t.user_index(*id).is_some())?;
        if shared.config.faults.reject_user_updates.contains(&id) {
            return Some(Err(Some(
                "User is invalid: Default account can't be blank".into(),
            )));
        }
        if lock(&shared.faults).fails_after_clear(id, clears(&changes)) {
            return Some(Err(None));
        }
        Some(
            apply_update(t, id, &changes, sticky)
                .map(|()| show_one(t, id, &q, &shared.config.faults.omit_user_fields))
                .map_err(Some),
        )
    });
    match result {
        None => not_found("User", format),
        Some(Err(None)) => {
            shared.count("fault");
            match shared.config.faults.fail_set_after_clear_status {
                500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                status => Body::errors(
                    StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                    "user",
                    "Roles could not be saved",
                )
                .into_response(format),
            }
        }
        Some(Err(Some(msg))) => {
            Body::errors(StatusCode::BAD_REQUEST, "user", msg).into_response(format)
        }
        Some(Ok(v)) => written(StatusCode::OK, "user", v.unwrap_or(Value::Null), &q, format),
    }
}

/// Applies a user update as Coupa does. Validation happens before anything changes.
fn apply_update(
    t: &mut Tenant,
    id: u64,
    body: &Map<String, Value>,
    sticky: &BTreeSet<License>,
) -> Result<(), String> {
    let roles = refs(body, "roles")?.map(|r| {
        r.resolve(|v| {
            let name = v.get("name").and_then(Value::as_str);
            t.live
                .roles
                .iter()
                .find(|r| {
                    Some(r.id) == id_value(Some(v))
                        || name.is_some_and(|n| r.name.eq_ignore_ascii_case(n))
                })
                .map(|r| r.id)
        })
    });
    let groups = refs(body, "user-groups")?.map(|r| {
        r.resolve(|v| {
            let id = id_value(Some(v))?;
            render::find_group(t, id).map(|(g, _)| g.id)
        })
    });
    if let Some(Value::String(login)) = body.get("login") {
        let taken = t
            .live
            .users
            .iter()
            .any(|u| u.id != id && u.login.eq_ignore_ascii_case(login));
        if taken {
            return Err("Login has already been taken".into());
        }
    }
    let i = t.user_index(id).ok_or("User not found")?;
    let before = t.live.users[i].clone();
    let user = &mut t.live.users[i];
    match roles {
        None => {}
        Some(Refs::Clear) => user.roles.clear(),
        // Add-only; references to roles that do not exist were dropped by `resolve`.
        Some(Refs::Add(add)) => user.roles.extend(add),
    }
    for l in License::ALL {
        match body.get(&l.wire_field()) {
            Some(Value::Bool(true)) => {
                user.licenses.insert(l);
            }
            // Coupa has been seen to keep some licenses (purchasing, contracts) when set to false.
            Some(Value::Bool(false)) if sticky.contains(&l) => {}
            Some(Value::Bool(false)) => {
                user.licenses.remove(&l);
            }
            _ => {}
        }
    }
    if let Some(Value::Bool(b)) = body.get("active") {
        user.active = *b;
    }
    for (key, field) in [("login", &mut user.login), ("email", &mut user.email)] {
        if let Some(Value::String(s)) = body.get(key) {
            *field = s.clone();
        }
    }
    let mut names_changed = false;
    for (key, field) in [
        ("firstname", &mut user.firstname),
        ("lastname", &mut user.lastname),
    ] {
        if let Some(Value::String(s)) = body.get(key) {
            *field = Some(s.as_str().into());
            names_changed = true;
        }
    }
    if names_changed {
        let full = [user.firstname.as_deref(), user.lastname.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        user.fullname = Some(full.into());
    }
    let mut changed = t.live.users[i] != before;
    if let Some(groups) = groups {
        changed |= update_groups(t, id, groups);
    }
    if changed {
        t.touch_user(id);
    }
    Ok(())
}

/// Whether an update clears the user's roles or groups (the first write of a clear-then-set).
fn clears(body: &Map<String, Value>) -> bool {
    ["roles", "user-groups"].iter().any(|k| match body.get(*k) {
        Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        _ => false,
    })
}

/// An association list in a user update: `[]` (or `null`) clears, anything else only adds.
#[derive(Debug, Clone, PartialEq)]
enum Refs<T> {
    Clear,
    Add(Vec<T>),
}

impl Refs<Value> {
    /// Resolves references to ids, silently dropping those that name nothing (as Coupa does).
    fn resolve(self, find: impl Fn(&Value) -> Option<u64>) -> Refs<u64> {
        match self {
            Refs::Clear => Refs::Clear,
            Refs::Add(items) => Refs::Add(items.iter().filter_map(find).collect()),
        }
    }
}

fn refs(body: &Map<String, Value>, key: &str) -> Result<Option<Refs<Value>>, String> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Refs::Clear)),
        Some(Value::Array(items)) if items.is_empty() => Ok(Some(Refs::Clear)),
        Some(Value::Array(items)) => Ok(Some(Refs::Add(items.clone()))),
        Some(_) => Err(format!("{key} must be a list")),
    }
}

/// `user-groups` on a user: clearing removes every group membership, otherwise the listed
/// groups are added. Returns whether anything changed.
fn update_groups(t: &mut Tenant, user_id: u64, groups: Refs<u64>) -> bool {
    let Refs::Add(groups) = groups else {
        let before = t.live.memberships.len();
        let projects: Vec<u64> = t.live.projects.iter().map(|p| p.id).collect();
        t.live
            .memberships
            .retain(|m| m.user_id != user_id || projects.contains(&m.group_id));
        return t.live.memberships.len() != before;
    };
    let mut changed = false;
    for gid in groups {
        let member = t
            .live
            .memberships
            .iter()
            .any(|m| m.user_id == user_id && m.group_id == gid);
        if !member {
            let id = t.next_membership_id;
            t.next_membership_id += 1;
            t.live.memberships.push(Membership {
                id,
                user_id,
                group_id: gid,
                created_at: Some(now_iso().into()),
                owner: false,
                participant: Some(true),
            });
            changed = true;
        }
    }
    changed
}
