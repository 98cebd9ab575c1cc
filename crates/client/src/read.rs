//! Reads: `read_live` and `read_live_scoped`, one group's memberships, and the GET every page
//! goes through. Paging itself (keyset scans, in id ranges when large) lives in `scan`.
//! A read returns everything or an error, never part of the data.

use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;

use coupa_access_core::model::{License, Live, Membership};

use super::convert;
use super::plan_read::Parts;
use super::request::{Call, Outcome};
use super::scan::{Query, Tally};
use super::scope::ReadScope;
use super::wire::{WireMembership, WireRole, WireUser, WireUserGroup};
use super::{Client, CoupaError};

/// Coupa's largest page.
pub(crate) const PAGE_SIZE: usize = 50;

/// Records that can be keyset-paged.
pub(crate) trait Keyed {
    fn key(&self) -> Option<u64>;
}

impl Keyed for WireUser {
    fn key(&self) -> Option<u64> {
        self.id
    }
}
impl Keyed for WireUserGroup {
    fn key(&self) -> Option<u64> {
        self.id
    }
}
impl Keyed for WireRole {
    fn key(&self) -> Option<u64> {
        self.id
    }
}
impl Keyed for WireMembership {
    fn key(&self) -> Option<u64> {
        self.id
    }
}

/// The `fields=` JSON that trims users to what coupa-access uses.
pub(crate) fn user_fields() -> String {
    let mut f: Vec<serde_json::Value> = [
        "id",
        "login",
        "email",
        "firstname",
        "lastname",
        "fullname",
        "active",
        "supplier-user",
        "api-user",
    ]
    .iter()
    .map(|s| serde_json::Value::from(*s))
    .collect();
    f.push(serde_json::json!({"roles": ["id", "name"]}));
    f.extend(
        License::ALL
            .iter()
            .map(|l| serde_json::Value::from(l.wire_field())),
    );
    serde_json::Value::Array(f).to_string()
}

pub(crate) const GROUP_FIELDS: &str = r#"["id","name","description","active","type"]"#;
pub(crate) const MEMBERSHIP_FIELDS: &str =
    r#"["id","user-id","user-group-id","user-group-type","owner","participant","created-at"]"#;

pub(crate) const USERS: &str = "/api/users";
pub(crate) const GROUPS: &str = "/api/user_groups";
pub(crate) const ROLES: &str = "/api/roles";
pub(crate) const MEMBERSHIPS: &str = "/api/user_group_memberships";

impl Client {
    /// Everything `plan` needs: users, groups (projects into `Live::projects`), roles and
    /// memberships of groups. Same as [`read_live_scoped`](Client::read_live_scoped) with
    /// [`ReadScope::Everything`].
    pub async fn read_live(&self) -> Result<Live, CoupaError> {
        self.read_live_scoped(&ReadScope::Everything).await
    }

    /// Users, groups (projects into `Live::projects`), roles, and the memberships `scope`
    /// asks for. Resources are read concurrently under the shared rate limiter, large ones in
    /// concurrent id ranges (see `scan`), each page converted into the model as it arrives (a
    /// full read holds the model, never the wire records); if any page fails after retries,
    /// the whole read fails. With [`ReadScope::Groups`], `Live::memberships` holds only those
    /// of the groups the scope selects: use it only for decisions about those groups
    /// (`snapshot`, `export` and `drift` need [`ReadScope::Everything`]).
    /// [`ReadScope::GroupsAndUsers`] also reads only the users a plan needs (see `users`).
    /// Each part of a scoped read is read scoped or in full, whichever is expected to take
    /// fewer requests (see `plan_read`), with the same result. Records created while a large
    /// resource is read, with ids above the highest one when its ranges were planned, are not
    /// included.
    pub async fn read_live_scoped(&self, scope: &ReadScope) -> Result<Live, CoupaError> {
        // Roles only when the caller needs them: otherwise `Live::roles` is empty.
        let roles = self.read_roles();
        let (parts, roles) = match scope {
            ReadScope::Everything => tokio::try_join!(self.read_everything(), roles)?,
            ReadScope::Groups(select) => {
                tokio::try_join!(self.read_for_plan(select, None, &[]), roles)?
            }
            ReadScope::GroupsAndUsers {
                groups,
                identities,
                group_names,
            } => tokio::try_join!(
                self.read_for_plan(groups, Some(identities), group_names),
                roles
            )?,
        };
        let Parts {
            users,
            groups,
            rows,
        } = parts;
        convert::live(users, groups, roles, rows).map_err(bad_record)
    }

    /// Roles when the caller needs them (`ClientOptions::read_roles`); otherwise none.
    pub(crate) async fn read_roles(&self) -> Result<Vec<WireRole>, CoupaError> {
        if self.inner.opts.read_roles {
            self.read_all::<WireRole>(Some("roles"), ROLES, &[]).await
        } else {
            Ok(Vec::new())
        }
    }

    /// Every user, group and membership.
    async fn read_everything(&self) -> Result<Parts, CoupaError> {
        let users = Arc::new(Query::new(USERS, &[("fields", user_fields())]));
        let memberships = Arc::new(Query::new(
            MEMBERSHIPS,
            &[("fields", MEMBERSHIP_FIELDS.to_string())],
        ));
        let group_params = [("fields", GROUP_FIELDS.to_string())];
        let (users, groups, rows) = tokio::try_join!(
            self.scan_into(users, Tally::new(Some("users")), convert::user),
            self.read_all::<WireUserGroup>(Some("groups"), GROUPS, &group_params),
            self.scan_into(memberships, Tally::new(Some("memberships")), convert::row),
        )?;
        Ok(Parts {
            users,
            groups,
            rows,
        })
    }

    /// The memberships of one group, read fresh (used before and after writes).
    pub async fn read_group_memberships(
        &self,
        group_id: u64,
    ) -> Result<Vec<Membership>, CoupaError> {
        let rows = self
            .read_all::<WireMembership>(
                Some("memberships"),
                MEMBERSHIPS,
                &[
                    ("user_group_id", group_id.to_string()),
                    ("fields", MEMBERSHIP_FIELDS.into()),
                ],
            )
            .await?;
        memberships_matching(rows, None, group_id)
    }

    /// Every record of `path` that `params` select, in ascending id order (a keyset scan, in
    /// concurrent id ranges when large). Progress is reported under `resource` when given.
    pub(crate) async fn read_all<T: DeserializeOwned + Keyed + Send + 'static>(
        &self,
        resource: Option<&'static str>,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Vec<T>, CoupaError> {
        self.scan(Arc::new(Query::new(path, params)), Tally::new(resource))
            .await
    }

    /// GET a JSON body, any non-success answer being an error.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, CoupaError> {
        self.inner
            .listings
            .request(super::status::path_only(path_and_query));
        let a = match self.inner.execute(&Call::get(path_and_query)).await? {
            Outcome::Answered(a) => a,
            // Idempotent requests are retried instead; this arm is never taken.
            Outcome::Unknown(detail) => {
                return Err(CoupaError::Transport {
                    method: "GET".into(),
                    path: super::status::path_only(path_and_query).into(),
                    retries: self.inner.opts.max_retries,
                    detail,
                })
            }
        };
        if !a.status.is_success() {
            return Err(self.inner.status_error(&Method::GET, path_and_query, &a));
        }
        decode_page(&a.body).map_err(|detail| CoupaError::Decode {
            method: "GET".into(),
            path: super::status::path_only(path_and_query).into(),
            detail: self.inner.redact(&detail),
        })
    }
}

/// A record that could not be converted, as the error of the read that brought it.
pub(crate) fn bad_record((path, detail): super::convert::BadIn) -> CoupaError {
    CoupaError::Decode {
        method: "GET".into(),
        path: path.into(),
        detail,
    }
}

/// A success body as `T`; an HTML page (a login page at the wrong address) is named as such.
pub(crate) fn decode_page<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if super::error::looks_like_html(body) {
        return Err(super::error::HTML_ANSWER.into());
    }
    serde_json::from_slice(body).map_err(|e| format!("the body is not the expected JSON ({e})"))
}

/// Converts membership rows, keeping those of `group_id` (and of `user_id` when given):
/// the server's filters are trusted only as far as they can be checked.
pub(crate) fn memberships_matching(
    rows: Vec<WireMembership>,
    user_id: Option<u64>,
    group_id: u64,
) -> Result<Vec<Membership>, CoupaError> {
    let mut out = Vec::new();
    for w in rows {
        let m = convert::membership(w).map_err(|detail| CoupaError::Decode {
            method: "GET".into(),
            path: "/api/user_group_memberships".into(),
            detail,
        })?;
        if m.group_id == group_id && user_id.is_none_or(|u| u == m.user_id) {
            out.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_fields_is_json_with_roles_and_licenses() {
        let v: serde_json::Value = serde_json::from_str(&user_fields()).unwrap();
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 9 + 1 + 15);
        assert!(a.contains(&serde_json::json!({"roles": ["id", "name"]})));
        assert!(a.contains(&serde_json::json!("spend-guard-user")));
    }
}
