//! Reads: keyset paging (`id[gt]=<last>&order_by=id&dir=asc&limit=50`) until an empty page.
//! A read returns everything or an error, never part of the data.

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::model::{License, Live, Membership};

use super::convert;
use super::send::{Outcome, Policy};
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

const GROUP_FIELDS: &str = r#"["id","name","description","active","type"]"#;
const MEMBERSHIP_FIELDS: &str =
    r#"["id","user-id","user-group-id","user-group-type","created-at"]"#;

fn query(params: &[(&str, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    q.finish()
}

impl Client {
    /// Everything `plan` needs: users, groups (projects into `Live::projects`), roles and
    /// memberships of groups. The four reads run concurrently under the shared rate limiter;
    /// if any page fails after retries, the whole read fails.
    pub async fn read_live(&self) -> Result<Live, CoupaError> {
        let user_params = [("fields", user_fields())];
        let group_params = [("fields", GROUP_FIELDS.to_string())];
        let membership_params = [("fields", MEMBERSHIP_FIELDS.to_string())];
        let (users, groups, roles, memberships) = tokio::try_join!(
            self.read_all::<WireUser>(Some("users"), "/api/users", &user_params),
            self.read_all::<WireUserGroup>(Some("groups"), "/api/user_groups", &group_params),
            self.read_all::<WireRole>(Some("roles"), "/api/roles", &[]),
            self.read_all::<WireMembership>(
                Some("memberships"),
                "/api/user_group_memberships",
                &membership_params
            ),
        )?;
        convert::live(users, groups, roles, memberships).map_err(|(path, detail)| {
            CoupaError::Decode {
                method: "GET".into(),
                path: path.into(),
                detail,
            }
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
                "/api/user_group_memberships",
                &[
                    ("user_group_id", group_id.to_string()),
                    ("fields", MEMBERSHIP_FIELDS.into()),
                ],
            )
            .await?;
        memberships_matching(rows, None, group_id)
    }

    /// Every page of `path`, filtered by `params`, in id order. Progress is reported under
    /// `resource` when given.
    pub(crate) async fn read_all<T: DeserializeOwned + Keyed>(
        &self,
        resource: Option<&'static str>,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<Vec<T>, CoupaError> {
        let mut out: Vec<T> = Vec::new();
        let mut last: u64 = 0;
        loop {
            let mut p: Vec<(&str, String)> = params.to_vec();
            p.push(("id[gt]", last.to_string()));
            p.push(("order_by", "id".into()));
            p.push(("dir", "asc".into()));
            p.push(("limit", PAGE_SIZE.to_string()));
            let pq = format!("{path}?{}", query(&p));
            let page: Vec<T> = self.get_json(&pq).await?;
            if page.is_empty() {
                return Ok(out);
            }
            // Keyset paging is only sound when every page holds ids above the last one, in
            // ascending order: anything else could skip records, so it is an error, never a
            // partial read.
            let mut prev = last;
            for r in &page {
                let id = r.key().ok_or_else(|| CoupaError::Decode {
                    method: "GET".into(),
                    path: path.into(),
                    detail: "a record without an id".into(),
                })?;
                if id <= prev {
                    return Err(CoupaError::Decode {
                        method: "GET".into(),
                        path: path.into(),
                        detail: format!(
                            "the page after id {last} is not in ascending id order above it \
                             (id {id} after {prev}); are id[gt] and order_by=id supported?"
                        ),
                    });
                }
                prev = id;
            }
            out.extend(page);
            last = prev;
            if let Some(r) = resource {
                self.report(r, out.len() as u64);
            }
        }
    }

    /// GET a JSON body, any non-success answer being an error.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
    ) -> Result<T, CoupaError> {
        let a = match self
            .inner
            .send(Method::GET, path_and_query, None, Policy::Idempotent)
            .await?
        {
            Outcome::Answered(a) => a,
            // Idempotent requests are retried instead; this arm is never taken.
            Outcome::Unknown(detail) => {
                return Err(CoupaError::Transport {
                    method: "GET".into(),
                    path: super::send::path_only(path_and_query).into(),
                    retries: self.inner.opts.max_retries,
                    detail,
                })
            }
        };
        if !a.status.is_success() {
            return Err(self.inner.status_error(&Method::GET, path_and_query, &a));
        }
        serde_json::from_slice(&a.body).map_err(|e| CoupaError::Decode {
            method: "GET".into(),
            path: super::send::path_only(path_and_query).into(),
            detail: format!("the body is not the expected JSON ({e})"),
        })
    }
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
        assert_eq!(a.len(), 7 + 1 + 15);
        assert!(a.contains(&serde_json::json!({"roles": ["id", "name"]})));
        assert!(a.contains(&serde_json::json!("spend-guard-user")));
    }
}
