//! Coupa's read-only GraphQL endpoint (`POST /api/graphql`), as far as coupa-access uses it:
//! `users`, `userGroups` and `roles` collections, each taking a `query:` argument in the REST
//! filter syntax (`"id[gt]=100&order_by=id&dir=asc"`), pages of at most 50, and the
//! associations nested (`roles` and `userGroups` of a user, `users` of a group), complete.
//!
//! The schema is the sandbox's own (field names are the REST keys in camel case:
//! `purchasing-user` is `purchasingUser`). A query naming a field the schema lacks, or an
//! argument other than `query`, gets a GraphQL error and no data, as a real server answers;
//! every error of the document is reported at once.
//!
//! Unfriendly variants ([`Faults`](crate::Faults)): the endpoint absent (`graphql_absent`,
//! 404), nested lists cut at N entries (`graphql_nested_cap`), fields missing from the schema
//! (`graphql_missing_fields`).

mod parse;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::query::{self, ListQuery};
use crate::render;
use crate::state::Tenant;
use crate::Faults;
use coupa_access_core::model::License;

/// The object types of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    User,
    UserGroup,
    Role,
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::User => "User",
            Type::UserGroup => "UserGroup",
            Type::Role => "Role",
        }
    }

    /// The scalar fields of the type (camel case).
    fn scalars(self) -> Vec<String> {
        let base: &[&str] = match self {
            Type::User => &[
                "id",
                "login",
                "email",
                "firstname",
                "lastname",
                "fullname",
                "active",
                "supplierUser",
                "apiUser",
                "categoryPlannerUser",
                "createdAt",
                "updatedAt",
            ],
            Type::UserGroup => &[
                "id",
                "name",
                "description",
                "active",
                "type",
                "createdAt",
                "updatedAt",
            ],
            Type::Role => &[
                "id",
                "name",
                "description",
                "omnipotent",
                "systemRole",
                "createdAt",
                "updatedAt",
            ],
        };
        let mut out: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        if self == Type::User {
            out.extend(License::ALL.iter().map(|l| camel(&l.wire_field())));
        }
        out
    }

    /// The list fields of the type and the type of their entries.
    fn lists(self) -> &'static [(&'static str, Type)] {
        match self {
            Type::User => &[("roles", Type::Role), ("userGroups", Type::UserGroup)],
            Type::UserGroup => &[("users", Type::User)],
            Type::Role => &[],
        }
    }
}

/// `purchasing-user` → `purchasingUser`.
fn camel(dash: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in dash.chars() {
        if c == '-' || c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `purchasingUser` → `purchasing-user` (the REST key the value comes from).
fn dash(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The root fields and the type of their entries.
fn root(name: &str) -> Option<Type> {
    Some(match name {
        "users" => Type::User,
        "userGroups" => Type::UserGroup,
        "roles" => Type::Role,
        _ => return None,
    })
}

/// The answer to a GraphQL request body: `{"data": …}` or `{"errors": […]}`.
pub(crate) fn answer(t: &Tenant, faults: &Faults, body: &[u8]) -> Value {
    let doc = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => return errors(vec!["the body must be a JSON object with a query".into()]),
    };
    let Some(Value::String(src)) = doc.get("query") else {
        return errors(vec!["no query string given".into()]);
    };
    let fields = match parse::document(src) {
        Ok(f) => f,
        Err(e) => return errors(vec![format!("Parse error: {e}")]),
    };
    let mut problems = Vec::new();
    for f in &fields {
        match root(&f.name) {
            Some(ty) => {
                check_args(f, true, &mut problems);
                check(&f.selection, ty, faults, &mut problems);
            }
            None => problems.push(format!("Field '{}' doesn't exist on type 'Query'", f.name)),
        }
    }
    if !problems.is_empty() {
        return errors(problems);
    }
    let mut data = Map::new();
    for f in &fields {
        let ty = root(&f.name).unwrap_or(Type::Role);
        let filter = f.args.iter().find_map(|(k, v)| match v {
            parse::Arg::Str(s) if k == "query" => Some(s.as_str()),
            _ => None,
        });
        match collection(t, ty, filter, &f.selection, faults) {
            Ok(rows) => {
                data.insert(f.name.clone(), Value::Array(rows));
            }
            Err(e) => return errors(vec![format!("{}: {e}", f.name)]),
        }
    }
    serde_json::json!({ "data": data })
}

fn errors(messages: Vec<String>) -> Value {
    let list: Vec<Value> = messages
        .into_iter()
        .map(|m| serde_json::json!({ "message": m }))
        .collect();
    serde_json::json!({ "errors": list })
}

fn check_args(f: &parse::Field, root: bool, problems: &mut Vec<String>) {
    for (k, v) in &f.args {
        if root && k == "query" {
            if !matches!(v, parse::Arg::Str(_)) {
                problems.push(format!(
                    "Argument 'query' on Field '{}' has an invalid value: expected type 'String'",
                    f.name
                ));
            }
        } else {
            problems.push(format!("Field '{}' doesn't accept argument '{k}'", f.name));
        }
    }
}

/// Every selected field must exist on `ty` (and not be hidden by the fault), scalars without
/// a selection and lists with one.
fn check(sel: &[parse::Field], ty: Type, faults: &Faults, problems: &mut Vec<String>) {
    if sel.is_empty() {
        problems.push(format!(
            "Field of type '[{}]' must have a selection of subfields",
            ty.name()
        ));
    }
    let scalars = ty.scalars();
    for f in sel {
        check_args(f, false, problems);
        let hidden = faults.graphql_missing_fields.contains(&f.name);
        if !hidden && scalars.contains(&f.name) {
            if !f.selection.is_empty() {
                problems.push(format!(
                    "Selections can't be made on scalars (field '{}')",
                    f.name
                ));
            }
        } else if let Some((_, inner)) = ty.lists().iter().find(|(n, _)| !hidden && *n == f.name) {
            check(&f.selection, *inner, faults, problems);
        } else {
            problems.push(format!(
                "Field '{}' doesn't exist on type '{}'",
                f.name,
                ty.name()
            ));
        }
    }
}

/// A root collection: the REST query's filters, order and page (at most 50), then the
/// selection of each record.
fn collection(
    t: &Tenant,
    ty: Type,
    filter: Option<&str>,
    sel: &[parse::Field],
    faults: &Faults,
) -> Result<Vec<Value>, String> {
    let known: &dyn Fn(&str) -> bool = match ty {
        Type::User => &render::user_key,
        Type::UserGroup => &render::group_key,
        Type::Role => &render::role_key,
    };
    let q = query::parse(filter, known).map_err(|e| e.message)?;
    if q.fields.is_some() {
        return Err("fields= has no meaning here: select fields in the query".into());
    }
    // Records first, then the associations of those records only (a page of a 100,000-user
    // tenant should not index every membership).
    let records: Vec<Value> = match ty {
        Type::User => q.select(&t.live.users, |u| u.id, |u| user_value(t, u)),
        Type::UserGroup => {
            let mut all: Vec<(&coupa_access_core::model::Group, bool)> = t
                .live
                .groups
                .iter()
                .map(|g| (g, false))
                .chain(t.live.projects.iter().map(|g| (g, true)))
                .collect();
            all.sort_by_key(|(g, _)| g.id);
            q.select(&all, |(g, _)| g.id, |(g, p)| render::group(g, *p))
        }
        Type::Role => q.select(&t.live.roles, |r| r.id, render::role),
    };
    let ids: BTreeSet<u64> = records
        .iter()
        .filter_map(|v| v.get("id").and_then(Value::as_u64))
        .collect();
    let nested = Nested::new(t, sel, &ids);
    let rows = records
        .iter()
        .map(|v| project(t, ty, v, sel, &nested, faults))
        .collect();
    Ok(rows)
}

fn user_value(t: &Tenant, u: &coupa_access_core::model::User) -> Value {
    render::user(t, u, &ListQuery::default(), None)
}

/// Associations built once per request, only when selected somewhere.
struct Nested {
    groups_of_user: Option<BTreeMap<u64, Vec<u64>>>,
    users_of_group: Option<BTreeMap<u64, Vec<u64>>>,
}

impl Nested {
    /// The associations `sel` asks for; only of the `page` records when nothing is nested
    /// deeper than one level (deeper lists reach records off the page).
    fn new(t: &Tenant, sel: &[parse::Field], page: &BTreeSet<u64>) -> Nested {
        let mut names = BTreeSet::new();
        collect_names(sel, &mut names);
        let deep = sel
            .iter()
            .any(|f| f.selection.iter().any(|g| !g.selection.is_empty()));
        let keep = |id: u64| deep || page.contains(&id);
        let users_of_group = names.contains("users").then(|| {
            let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
            for m in t.live.memberships.iter().filter(|m| keep(m.group_id)) {
                out.entry(m.group_id).or_default().push(m.user_id);
            }
            out
        });
        let groups_of_user = names.contains("userGroups").then(|| {
            let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
            for m in t.live.memberships.iter().filter(|m| keep(m.user_id)) {
                out.entry(m.user_id).or_default().push(m.group_id);
            }
            out
        });
        Nested {
            groups_of_user,
            users_of_group,
        }
    }
}

fn collect_names(sel: &[parse::Field], out: &mut BTreeSet<String>) {
    for f in sel {
        out.insert(f.name.clone());
        collect_names(&f.selection, out);
    }
}

/// The selected fields of one record (`v`, its REST rendering), nested lists complete unless
/// `graphql_nested_cap` cuts them.
fn project(
    t: &Tenant,
    ty: Type,
    v: &Value,
    sel: &[parse::Field],
    nested: &Nested,
    faults: &Faults,
) -> Value {
    let id = v.get("id").and_then(Value::as_u64).unwrap_or_default();
    let mut out = Map::new();
    for f in sel {
        let value = match (ty, f.name.as_str()) {
            (Type::User, "roles") => {
                let held = t
                    .user_index(id)
                    .map(|i| t.live.users[i].roles.clone())
                    .unwrap_or_default();
                let rows = t
                    .live
                    .roles
                    .iter()
                    .filter(|r| held.contains(&r.id))
                    .map(|r| {
                        project(
                            t,
                            Type::Role,
                            &render::role(r),
                            &f.selection,
                            nested,
                            faults,
                        )
                    });
                list(rows, faults)
            }
            (Type::User, "userGroups") => {
                let ids = nested
                    .groups_of_user
                    .as_ref()
                    .and_then(|m| m.get(&id))
                    .cloned()
                    .unwrap_or_default();
                let rows = ids
                    .iter()
                    .filter_map(|g| render::find_group(t, *g))
                    .map(|(g, p)| {
                        project(
                            t,
                            Type::UserGroup,
                            &render::group(g, p),
                            &f.selection,
                            nested,
                            faults,
                        )
                    });
                list(rows, faults)
            }
            (Type::UserGroup, "users") => {
                let ids = nested
                    .users_of_group
                    .as_ref()
                    .and_then(|m| m.get(&id))
                    .cloned()
                    .unwrap_or_default();
                let rows = ids.iter().filter_map(|u| t.user_index(*u)).map(|i| {
                    let u = &t.live.users[i];
                    project(
                        t,
                        Type::User,
                        &user_value(t, u),
                        &f.selection,
                        nested,
                        faults,
                    )
                });
                list(rows, faults)
            }
            (_, name) => v.get(dash(name)).cloned().unwrap_or(Value::Null),
        };
        out.insert(f.name.clone(), value);
    }
    Value::Object(out)
}

fn list(rows: impl Iterator<Item = Value>, faults: &Faults) -> Value {
    let cap = faults.graphql_nested_cap.unwrap_or(usize::MAX);
    Value::Array(rows.take(cap).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_between_camel_and_dash_case() {
        assert_eq!(camel("purchasing-user"), "purchasingUser");
        assert_eq!(dash("purchasingUser"), "purchasing-user");
        assert_eq!(dash("spendGuardUser"), "spend-guard-user");
        assert_eq!(dash("type"), "type");
    }
}
