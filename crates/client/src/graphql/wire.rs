//! GraphQL answers, decoded strictly: `errors` anywhere, a missing `data`, a user without a
//! field the client asked for, or a nested list that is `null` makes the answer unusable (the
//! run reads REST instead). Users become the REST wire shape so one conversion serves both.

use serde_json::{Map, Value};

use super::query::{license_fields, USER_SCALARS};
use crate::wire::{WireRole, WireUser};

/// A user as GraphQL gave it: the REST shape, and the ids of its nested groups as listed.
#[derive(Debug, Clone)]
pub(crate) struct GqlUser {
    pub user: WireUser,
    /// Nested `userGroups` ids, as listed (projects included, repeats kept).
    pub group_ids: Vec<u64>,
}

impl crate::read::Keyed for GqlUser {
    fn key(&self) -> Option<u64> {
        self.user.id
    }
}

/// Why an answer cannot be used.
pub(crate) type Unusable = String;

/// The `users` list of an answer body.
pub(crate) fn users(body: &[u8]) -> Result<Vec<GqlUser>, Unusable> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the GraphQL answer is not JSON ({e})"))?;
    if let Some(errors) = v.get("errors") {
        let first = errors
            .as_array()
            .and_then(|a| a.first())
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("(no message)");
        return Err(format!("GraphQL answered errors: {first}"));
    }
    let list = v
        .get("data")
        .and_then(|d| d.get("users"))
        .and_then(Value::as_array)
        .ok_or("the GraphQL answer has no data.users list")?;
    list.iter().map(user).collect()
}

fn user(v: &Value) -> Result<GqlUser, Unusable> {
    let m = v.as_object().ok_or("a GraphQL user is not an object")?;
    let id = m.get("id").and_then(id_of);
    let who = || id.map_or("a user".to_string(), |i| format!("user {i}"));
    let need = |k: &str| -> Result<&Value, Unusable> {
        m.get(k)
            .ok_or_else(|| format!("{} lacks `{k}` in the GraphQL answer", who()))
    };
    for k in USER_SCALARS {
        need(k)?;
    }
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    let flag = |k: &str| m.get(k).and_then(Value::as_bool);
    let mut other = Map::new();
    for (gql, wire) in license_fields() {
        // A flag answered null stays unknown, as a REST field left out does.
        match need(&gql)? {
            Value::Null => {}
            b => {
                other.insert(wire, b.clone());
            }
        }
    }
    let roles = match need("roles")? {
        Value::Array(a) => a
            .iter()
            .map(|r| {
                Ok(WireRole {
                    id: r.get("id").and_then(id_of),
                    name: r.get("name").and_then(Value::as_str).map(String::from),
                    ..WireRole::default()
                })
            })
            .collect::<Result<Vec<_>, Unusable>>()?,
        _ => return Err(format!("{}: `roles` is not a list", who())),
    };
    let group_ids = match need("userGroups")? {
        Value::Array(a) => a
            .iter()
            .map(|g| {
                g.get("id")
                    .and_then(id_of)
                    .ok_or_else(|| format!("{}: a nested group without an id", who()))
            })
            .collect::<Result<Vec<u64>, Unusable>>()?,
        _ => return Err(format!("{}: `userGroups` is not a list", who())),
    };
    Ok(GqlUser {
        user: WireUser {
            id,
            login: text("login"),
            email: text("email"),
            firstname: text("firstname"),
            lastname: text("lastname"),
            fullname: text("fullname"),
            active: flag("active"),
            roles: Some(roles),
            user_groups: None,
            updated_at: None,
            supplier_user: flag("supplierUser"),
            api_user: flag("apiUser"),
            other,
        },
        group_ids,
    })
}

/// GraphQL ids are often strings (`ID` type); Coupa's REST ids are numbers. Both are read.
fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_user() -> Value {
        let mut u = serde_json::json!({
            "id": "7", "login": "alice", "email": "a@x", "firstname": null, "lastname": null,
            "fullname": "Alice", "active": true, "supplierUser": false, "apiUser": false,
            "roles": [{"id": 4, "name": "Buyer"}], "userGroups": [{"id": "12"}, {"id": 13}]
        });
        for (g, _) in license_fields() {
            u[g] = Value::Bool(false);
        }
        u["expenseUser"] = Value::Bool(true);
        u
    }

    #[test]
    fn users_decode_into_the_rest_shape() {
        let body = serde_json::json!({"data": {"users": [full_user()]}}).to_string();
        let u = &users(body.as_bytes()).unwrap()[0];
        assert_eq!(u.user.id, Some(7));
        assert_eq!(u.group_ids, vec![12, 13]);
        assert_eq!(u.user.other.get("expense-user"), Some(&Value::Bool(true)));
        assert_eq!(u.user.roles.as_ref().unwrap()[0].id, Some(4));
    }

    #[test]
    fn errors_missing_fields_and_null_lists_are_unusable() {
        let e = serde_json::json!({"errors": [{"message": "Field 'userGroups' doesn't exist"}]});
        assert!(users(e.to_string().as_bytes())
            .unwrap_err()
            .contains("userGroups"));
        let mut u = full_user();
        u.as_object_mut().unwrap().remove("purchasingUser");
        let body = serde_json::json!({"data": {"users": [u]}}).to_string();
        assert!(users(body.as_bytes())
            .unwrap_err()
            .contains("purchasingUser"));
        let mut u = full_user();
        u["userGroups"] = Value::Null;
        let body = serde_json::json!({"data": {"users": [u]}}).to_string();
        assert!(users(body.as_bytes()).is_err());
        assert!(users(b"{}").is_err());
        assert!(users(b"<html>").is_err());
    }
}
