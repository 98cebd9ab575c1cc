//! One user's access, read and written through `GET/PUT /api/users/:id`: roles, license flags
//! and `user-groups`. A user update is idempotent (flags are set, roles and groups only added,
//! an empty list clears), so a PUT whose outcome is unknown is sent again after a backoff —
//! unlike membership writes, resending it cannot do anything twice.

use std::collections::BTreeSet;

use reqwest::Method;

use coupa_access_core::model::License;

use super::request::{Call, Outcome};
use super::retry;
use super::wire::WireUser;
use super::{convert, Client, CoupaError};

/// What a user holds, read fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    pub id: u64,
    pub login: String,
    pub api_user: bool,
    /// Role ids; `None` when Coupa's answer had no `roles` key (unknown, not empty).
    pub roles: Option<BTreeSet<u64>>,
    /// The names Coupa gave the roles it listed, by id (for messages).
    pub role_names: std::collections::BTreeMap<u64, String>,
    /// License flags that are true.
    pub licenses: BTreeSet<License>,
    /// Ids of the groups (and projects) in `user-groups`; `None` when they were not asked for,
    /// or Coupa's answer did not include the key (unknown, not empty).
    pub groups: Option<BTreeSet<u64>>,
}

/// How a clear of a user's list is written: `{"roles": []}` or `{"roles": null}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearSpelling {
    EmptyList,
    Null,
}

impl ClearSpelling {
    /// The other one.
    pub fn other(self) -> ClearSpelling {
        match self {
            ClearSpelling::EmptyList => ClearSpelling::Null,
            ClearSpelling::Null => ClearSpelling::EmptyList,
        }
    }

    /// As JSON in the body.
    pub fn json(self) -> &'static str {
        match self {
            ClearSpelling::EmptyList => "[]",
            ClearSpelling::Null => "null",
        }
    }
}

/// A list association of the user that Coupa's update only adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UserList {
    Roles,
    UserGroups,
}

impl UserList {
    /// The JSON key in a user update.
    pub fn key(self) -> &'static str {
        match self {
            UserList::Roles => "roles",
            UserList::UserGroups => "user-groups",
        }
    }

    /// The ids of this list in `a`; `None` when the answer did not include it.
    pub fn of(self, a: &UserAccess) -> Option<&BTreeSet<u64>> {
        match self {
            UserList::Roles => a.roles.as_ref(),
            UserList::UserGroups => a.groups.as_ref(),
        }
    }

    /// Whether reading this list needs `user-groups` asked for.
    pub fn needs_groups(self) -> bool {
        self == UserList::UserGroups
    }

    /// The plan's word for what this list holds.
    pub fn kind(self) -> coupa_access_core::model::Kind {
        match self {
            UserList::Roles => coupa_access_core::model::Kind::Role,
            UserList::UserGroups => coupa_access_core::model::Kind::Group,
        }
    }
}

fn access_fields(with_groups: bool) -> String {
    let mut f: Vec<serde_json::Value> = ["id", "login", "api-user"]
        .iter()
        .map(|s| serde_json::Value::from(*s))
        .collect();
    f.push(serde_json::json!({"roles": ["id", "name"]}));
    if with_groups {
        f.push(serde_json::json!({"user-groups": ["id"]}));
    }
    f.extend(License::ALL.iter().map(|l| l.wire_field().into()));
    serde_json::Value::Array(f).to_string()
}

fn user_path(id: u64) -> String {
    format!("{}/{id}", super::read::USERS)
}

impl Client {
    /// Reads one user's roles and licenses (and `user-groups` when `with_groups`).
    pub async fn read_user_access(
        &self,
        user_id: u64,
        with_groups: bool,
    ) -> Result<UserAccess, CoupaError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("fields", &access_fields(with_groups))
            .finish();
        let path = format!("{}?{query}", user_path(user_id));
        let w: WireUser = self.get_json(&path).await?;
        // A key Coupa left out is unknown: never read as "holds nothing".
        let groups = if with_groups {
            w.user_groups
                .as_ref()
                .map(|gs| gs.iter().filter_map(|g| g.id).collect::<BTreeSet<u64>>())
        } else {
            None
        };
        let roles_sent = w.roles.is_some();
        let role_names = w
            .roles
            .iter()
            .flatten()
            .filter_map(|r| Some((r.id?, r.name.clone()?)))
            .collect();
        let bad = |detail: String| CoupaError::Decode {
            method: "GET".into(),
            path: user_path(user_id),
            detail,
        };
        let u = convert::user(w).map_err(bad)?;
        if u.id != user_id {
            return Err(bad(format!(
                "asked for user {user_id}, Coupa sent user {}",
                u.id
            )));
        }
        Ok(UserAccess {
            id: u.id,
            login: u.login,
            api_user: u.api_user,
            roles: roles_sent.then(|| u.roles.into_iter().collect()),
            role_names,
            licenses: u.licenses.into_iter().collect(),
            groups,
        })
    }

    /// `PUT /api/users/:id` with `body` (dash-case keys). Sent again after a backoff when its
    /// outcome is unknown (the update is idempotent), at most `max_retries` times.
    pub async fn update_user(
        &self,
        user_id: u64,
        body: &serde_json::Value,
    ) -> Result<(), CoupaError> {
        self.put_idempotent(&user_path(user_id), body, || {
            format!("updating user {user_id}")
        })
        .await
    }

    /// Sets a membership's `participant` flag (`PUT /api/user_group_memberships/:id`): a
    /// clear-then-set of `user-groups` re-creates memberships with Coupa's default.
    pub async fn set_membership_participant(
        &self,
        membership_id: u64,
        participant: bool,
    ) -> Result<(), CoupaError> {
        let path = format!("{}/{membership_id}", super::read::MEMBERSHIPS);
        let body = serde_json::json!({ "participant": participant });
        self.put_idempotent(&path, &body, || {
            format!("setting participant on membership {membership_id}")
        })
        .await
    }

    /// A PUT that sets values (so resending it cannot do anything twice): sent again after a
    /// backoff when its outcome is unknown, at most `max_retries` times.
    async fn put_idempotent(
        &self,
        path: &str,
        body: &serde_json::Value,
        what: impl Fn() -> String,
    ) -> Result<(), CoupaError> {
        let mut unknowns = 0u32;
        loop {
            let call = Call::write(Method::PUT, path, Some(body));
            let detail = match self.inner.execute(&call).await? {
                Outcome::Answered(a) if a.status.is_success() => return Ok(()),
                Outcome::Answered(a) => {
                    return Err(self.inner.status_error(&Method::PUT, path, &a))
                }
                Outcome::Unknown(detail) => detail,
            };
            let o = &self.inner.opts;
            if unknowns >= o.max_retries {
                return Err(CoupaError::WriteUnconfirmed {
                    what: what(),
                    detail,
                });
            }
            tracing::debug!(path, %detail, "PUT outcome unknown; sending it again");
            retry::pause(unknowns, o).await;
            unknowns += 1;
        }
    }

    /// Every group membership of one user (owner rows included), read fresh.
    pub async fn read_user_memberships(
        &self,
        user_id: u64,
    ) -> Result<Vec<coupa_access_core::model::Membership>, CoupaError> {
        let rows = self
            .read_all::<super::wire::WireMembership>(
                None,
                super::read::MEMBERSHIPS,
                &[
                    ("user_id", user_id.to_string()),
                    ("fields", super::read::MEMBERSHIP_FIELDS.into()),
                ],
            )
            .await?;
        let mut out = Vec::new();
        for w in rows {
            let m = convert::membership(w).map_err(|detail| CoupaError::Decode {
                method: "GET".into(),
                path: super::read::MEMBERSHIPS.into(),
                detail,
            })?;
            // The filter is trusted only as far as it can be checked.
            if m.user_id == user_id {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Clears `list` with `spelling` (`[]` or `null`: which one a tenant honours is not
    /// documented, so apply checks the clear took and tries the other).
    pub async fn clear_user_list(
        &self,
        user_id: u64,
        list: UserList,
        spelling: ClearSpelling,
    ) -> Result<(), CoupaError> {
        let value = match spelling {
            ClearSpelling::EmptyList => serde_json::Value::Array(Vec::new()),
            ClearSpelling::Null => serde_json::Value::Null,
        };
        let mut body = serde_json::Map::new();
        body.insert(list.key().into(), value);
        self.update_user(user_id, &serde_json::Value::Object(body))
            .await
    }

    /// The clear spelling to try first: the one that last worked in this run.
    pub fn clear_spelling(&self) -> ClearSpelling {
        match self
            .inner
            .clear_spelling
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            1 => ClearSpelling::Null,
            _ => ClearSpelling::EmptyList,
        }
    }

    /// Remembers the clear spelling that worked, for the rest of the run.
    pub fn remember_clear_spelling(&self, spelling: ClearSpelling) {
        let v = match spelling {
            ClearSpelling::EmptyList => 0,
            ClearSpelling::Null => 1,
        };
        self.inner
            .clear_spelling
            .store(v, std::sync::atomic::Ordering::Relaxed);
    }

    /// Adds `ids` to `list` (Coupa's update only adds; see [`Client::clear_user_list`]).
    pub async fn put_user_list(
        &self,
        user_id: u64,
        list: UserList,
        ids: &BTreeSet<u64>,
    ) -> Result<(), CoupaError> {
        let refs: Vec<serde_json::Value> =
            ids.iter().map(|id| serde_json::json!({"id": id})).collect();
        let mut body = serde_json::Map::new();
        body.insert(list.key().into(), serde_json::Value::Array(refs));
        self.update_user(user_id, &serde_json::Value::Object(body))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_fields_ask_for_groups_only_when_needed() {
        let without: serde_json::Value = serde_json::from_str(&access_fields(false)).unwrap();
        let with: serde_json::Value = serde_json::from_str(&access_fields(true)).unwrap();
        assert_eq!(without.as_array().unwrap().len(), 3 + 1 + 15);
        assert!(with
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"user-groups": ["id"]})));
        assert!(!without.to_string().contains("user-groups"));
    }
}
