//! Tenant records as Coupa's JSON objects, through the sandbox's own definitions of them
//! ([`shapes`](super::shapes)), and which keys each resource can be filtered on.

use std::collections::BTreeMap;

use serde_json::Value;

use super::shapes;
use coupa_access_core::model::{Group, License, Membership, Role, User};

use super::query::ListQuery;
use super::state::{Tenant, BASELINE_TIME};

/// `type` of a membership's group or of a group itself.
pub(crate) const USER_GROUP: &str = "UserGroup";
pub(crate) const PROJECT: &str = "Project";

/// Keys a user can be filtered or ordered on.
pub(crate) fn user_key(k: &str) -> bool {
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
pub(crate) fn group_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "name" | "description" | "active" | "type" | "created-at" | "updated-at"
    )
}

/// Keys a membership can be filtered or ordered on.
pub(crate) fn membership_key(k: &str) -> bool {
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
pub(crate) fn role_key(k: &str) -> bool {
    matches!(
        k,
        "id" | "name" | "description" | "omnipotent" | "system-role" | "created-at" | "updated-at"
    )
}

fn to_value<T: serde::Serialize>(shape: &T) -> Value {
    // The shapes hold only strings, numbers, booleans and maps with string keys.
    serde_json::to_value(shape).unwrap_or(Value::Null)
}

fn role_shape(r: &Role) -> shapes::Role<'_> {
    shapes::Role {
        id: r.id,
        name: &r.name,
        description: r.description.as_deref(),
        omnipotent: r.omnipotent,
        system_role: r.system_role,
        created_at: BASELINE_TIME,
        updated_at: BASELINE_TIME,
    }
}

/// A role.
pub(crate) fn role(r: &Role) -> Value {
    to_value(&role_shape(r))
}

fn group_shape(g: &Group, is_project: bool) -> shapes::UserGroup<'_> {
    shapes::UserGroup {
        id: g.id,
        name: &g.name,
        description: g.description.as_deref(),
        active: g.active,
        kind: is_project.then_some(PROJECT),
        created_at: BASELINE_TIME,
        updated_at: BASELINE_TIME,
    }
}

/// A group or project (`is_project` sets `type: Project`; groups have `type: null`).
pub(crate) fn group(g: &Group, is_project: bool) -> Value {
    to_value(&group_shape(g, is_project))
}

fn user_simple_shape(u: &User) -> shapes::UserSimple<'_> {
    shapes::UserSimple {
        id: u.id,
        login: &u.login,
        email: &u.email,
        firstname: u.firstname.as_deref(),
        lastname: u.lastname.as_deref(),
        fullname: u.fullname.as_deref(),
    }
}

/// Coupa's `UserSimple`, nested in memberships and group member lists.
pub(crate) fn user_simple(u: &User) -> Value {
    to_value(&user_simple_shape(u))
}

/// Looks up a group or project by id: `(group, is_project)`.
pub(crate) fn find_group(t: &Tenant, id: u64) -> Option<(&Group, bool)> {
    let find = |gs: &'_ [Group]| gs.binary_search_by_key(&id, |g| g.id).ok();
    if let Some(i) = find(&t.live.groups) {
        return Some((&t.live.groups[i], false));
    }
    find(&t.live.projects).map(|i| (&t.live.projects[i], true))
}

/// Group ids per user, built once per request when `user-groups` is asked for.
pub(crate) fn groups_by_user(t: &Tenant) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for m in &t.live.memberships {
        out.entry(m.user_id).or_default().push(m.group_id);
    }
    out
}

/// A full user. `user-groups` only when `fields=` asks for it (docs/coupa-api.md: newer
/// associations come only when asked for by name); then `groups` (from [`groups_by_user`])
/// must be given.
pub(crate) fn user(
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
            .map(role_shape)
            .collect()
    });
    let user_groups = groups.filter(|_| q.asks_for("user-groups")).map(|by_user| {
        by_user
            .get(&u.id)
            .into_iter()
            .flatten()
            .filter_map(|gid| find_group(t, *gid))
            .map(|(g, p)| group_shape(g, p))
            .collect()
    });
    let shape = shapes::User {
        id: u.id,
        login: &u.login,
        email: &u.email,
        firstname: u.firstname.as_deref(),
        lastname: u.lastname.as_deref(),
        fullname: u.fullname.as_deref(),
        active: u.active,
        roles,
        user_groups,
        created_at: BASELINE_TIME,
        updated_at: t.user_updated_at(u.id),
        supplier_user: u.supplier,
        api_user: u.api_user,
        category_planner_user: false,
        licenses: License::ALL
            .iter()
            .map(|l| (l.wire_field(), u.licenses.contains(l)))
            .collect(),
    };
    to_value(&shape)
}

/// A membership, with its user and group nested as Coupa nests associations.
pub(crate) fn membership(t: &Tenant, m: &Membership) -> Value {
    let found = find_group(t, m.group_id);
    let created = m.created_at.as_deref().unwrap_or(BASELINE_TIME);
    let shape = shapes::Membership {
        id: m.id,
        user_id: m.user_id,
        user_group_id: m.group_id,
        user_group_type: if matches!(found, Some((_, true))) {
            PROJECT
        } else {
            USER_GROUP
        },
        owner: m.owner,
        participant: m.participant,
        created_at: created,
        updated_at: created,
        user: t
            .user_index(m.user_id)
            .map(|i| user_simple_shape(&t.live.users[i])),
        user_group: found.map(|(g, p)| shapes::GroupRef {
            id: g.id,
            name: &g.name,
            kind: p.then_some(PROJECT),
        }),
    };
    to_value(&shape)
}

/// A group with its members (`users`), when `fields=` asks for them.
pub(crate) fn group_for_query(t: &Tenant, g: &Group, is_project: bool, q: &ListQuery) -> Value {
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
