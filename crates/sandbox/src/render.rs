//! Tenant records as Coupa's JSON objects, built from the shared wire structs
//! (`coupa_access_client::wire`) plus the fields Coupa always sends that the client does not type.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use coupa_access_client::wire::{WireMembership, WireRole, WireUser, WireUserGroup};
use coupa_access_core::model::{Group, License, Membership, Role, User};

use super::query::ListQuery;
use super::state::{Tenant, BASELINE_TIME};

/// `type` of a membership's group or of a group itself.
pub const USER_GROUP: &str = "UserGroup";
pub const PROJECT: &str = "Project";

/// Keys a user can be filtered or ordered on.
pub fn user_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "login"
            | "email"
            | "firstname"
            | "lastname"
            | "fullname"
            | "active"
            | "created-at"
            | "updated-at"
            | "category-planner-user"
            | "supplier-user"
            | "api-user"
    ) || License::ALL.iter().any(|l| l.wire_field() == k)
}

/// Keys a group can be filtered or ordered on.
pub fn group_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "name" | "description" | "active" | "type" | "created-at" | "updated-at"
    )
}

/// Keys a membership can be filtered or ordered on.
pub fn membership_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "user-id"
            | "user-group-id"
            | "user-group-type"
            | "owner"
            | "participant"
            | "created-at"
            | "updated-at"
    )
}

/// Keys a role can be filtered or ordered on.
pub fn role_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "name" | "description" | "omnipotent" | "system-role" | "created-at" | "updated-at"
    )
}

fn to_object<T: serde::Serialize>(wire: &T) -> Map<String, Value> {
    match serde_json::to_value(wire) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Coupa sends absent optional fields as `null`, not as missing keys.
fn with_nulls(mut m: Map<String, Value>, keys: &[&str]) -> Value {
    for k in keys {
        m.entry(k.to_string()).or_insert(Value::Null);
    }
    Value::Object(m)
}

fn wire_role(r: &Role) -> WireRole {
    WireRole {
        id: Some(r.id),
        name: Some(r.name.clone()),
        description: r.description.clone(),
        omnipotent: Some(r.omnipotent),
        system_role: Some(r.system_role),
        created_at: Some(BASELINE_TIME.into()),
        updated_at: Some(BASELINE_TIME.into()),
    }
}

pub fn role(r: &Role) -> Value {
    with_nulls(to_object(&wire_role(r)), &["description"])
}

fn wire_group(g: &Group, is_project: bool) -> WireUserGroup {
    WireUserGroup {
        id: Some(g.id),
        name: Some(g.name.clone()),
        description: g.description.clone(),
        active: Some(g.active),
        kind: is_project.then(|| PROJECT.to_string()),
        created_at: Some(BASELINE_TIME.into()),
        updated_at: Some(BASELINE_TIME.into()),
    }
}

/// A group or project (`is_project` sets `type: Project`; groups have `type: null`).
pub fn group(g: &Group, is_project: bool) -> Value {
    with_nulls(
        to_object(&wire_group(g, is_project)),
        &["description", "type"],
    )
}

/// Coupa's `UserSimple`, nested in memberships and group member lists.
pub fn user_simple(u: &User) -> Value {
    json!({
        "id": u.id,
        "login": u.login,
        "email": u.email,
        "firstname": u.firstname,
        "lastname": u.lastname,
        "fullname": u.fullname,
    })
}

/// Looks up a group or project by id: `(group, is_project)`.
pub fn find_group(t: &Tenant, id: u64) -> Option<(&Group, bool)> {
    let find = |gs: &'_ [Group]| gs.binary_search_by_key(&id, |g| g.id).ok();
    if let Some(i) = find(&t.live.groups) {
        return Some((&t.live.groups[i], false));
    }
    find(&t.live.projects).map(|i| (&t.live.projects[i], true))
}

/// Group ids per user, built once per request when `user-groups` is asked for.
pub fn groups_by_user(t: &Tenant) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for m in &t.live.memberships {
        out.entry(m.user_id).or_default().push(m.group_id);
    }
    out
}

/// A full user. `user-groups` only when `fields=` asks for it (API-NOTES [I]); then `groups`
/// (from [`groups_by_user`]) must be given.
pub fn user(
    t: &Tenant,
    u: &User,
    q: &ListQuery,
    groups: Option<&BTreeMap<u64, Vec<u64>>>,
) -> Value {
    let roles = q.wants("roles").then(|| {
        t.live
            .roles
            .iter()
            .filter(|r| u.roles.contains(&r.id))
            .map(wire_role)
            .collect()
    });
    let user_groups = groups.filter(|_| q.asks_for("user-groups")).map(|by_user| {
        by_user
            .get(&u.id)
            .into_iter()
            .flatten()
            .filter_map(|gid| find_group(t, *gid))
            .map(|(g, p)| wire_group(g, p))
            .collect()
    });
    let mut other = Map::new();
    for l in License::ALL {
        other.insert(l.wire_field(), Value::Bool(u.licenses.contains(&l)));
    }
    other.insert("category-planner-user".into(), Value::Bool(false));
    other.insert("created-at".into(), Value::String(BASELINE_TIME.into()));
    let wire = WireUser {
        id: Some(u.id),
        login: Some(u.login.clone()),
        email: Some(u.email.clone()),
        firstname: u.firstname.as_deref().map(str::to_string),
        lastname: u.lastname.as_deref().map(str::to_string),
        fullname: u.fullname.as_deref().map(str::to_string),
        active: Some(u.active),
        roles,
        user_groups,
        updated_at: Some(t.user_updated_at(u.id).to_string()),
        supplier_user: Some(u.supplier),
        api_user: Some(u.api_user),
        other,
    };
    with_nulls(to_object(&wire), &["firstname", "lastname", "fullname"])
}

/// A membership, with its user and group nested as Coupa nests associations.
pub fn membership(t: &Tenant, m: &Membership) -> Value {
    let found = find_group(t, m.group_id);
    let created: String = m.created_at.as_deref().unwrap_or(BASELINE_TIME).to_string();
    let wire = WireMembership {
        id: Some(m.id),
        user_id: Some(m.user_id),
        user_group_id: Some(m.group_id),
        user_group_type: Some(
            if matches!(found, Some((_, true))) {
                PROJECT
            } else {
                USER_GROUP
            }
            .into(),
        ),
        owner: Some(m.owner),
        participant: m.participant,
        created_at: Some(created.clone()),
        updated_at: Some(created),
    };
    let mut obj = to_object(&wire);
    let user = t
        .user_index(m.user_id)
        .map(|i| user_simple(&t.live.users[i]));
    obj.insert("user".into(), user.unwrap_or(Value::Null));
    let g = found.map(|(g, p)| {
        json!({ "id": g.id, "name": g.name, "type": if p { Some(PROJECT) } else { None } })
    });
    obj.insert("user-group".into(), g.unwrap_or(Value::Null));
    Value::Object(obj)
}

/// A group with its members (`users`), when `fields=` asks for them.
pub fn group_for_query(t: &Tenant, g: &Group, is_project: bool, q: &ListQuery) -> Value {
    let mut v = group(g, is_project);
    if q.asks_for("users") {
        let users: Vec<Value> = t
            .live
            .memberships
            .iter()
            .filter(|m| m.group_id == g.id)
            .filter_map(|m| t.user_index(m.user_id))
            .map(|i| user_simple(&t.live.users[i]))
            .collect();
        v["users"] = Value::Array(users);
    }
    v
}
