//! Membership writes. A write whose outcome is unknown (5xx, timeout, dropped connection) is
//! never blindly resent: the client reads first, then decides.

use reqwest::Method;

use coupa_access_core::model::Membership;

use super::convert;
use super::request::{Answer, Call, Outcome};
use super::retry;
use super::wire::WireMembership;
use super::{Client, CoupaError};

const MEMBERSHIPS: &str = "/api/user_group_memberships";

/// A membership write, and how to tell whether it happened.
enum Write {
    Create { user_id: u64, group_id: u64 },
    Delete { membership_id: u64 },
}

/// A write that reached its goal.
enum Written {
    Created(Membership),
    Deleted,
}

impl Write {
    fn what(&self) -> String {
        match self {
            Write::Create { user_id, group_id } => {
                format!("adding user {user_id} to group {group_id}")
            }
            Write::Delete { membership_id } => format!("removing membership {membership_id}"),
        }
    }
}

impl Client {
    /// Adds `user_id` to group `group_id` (`POST /api/user_group_memberships`).
    pub async fn create_membership(
        &self,
        user_id: u64,
        group_id: u64,
    ) -> Result<Membership, CoupaError> {
        match self.write(Write::Create { user_id, group_id }).await? {
            Written::Created(m) => Ok(m),
            Written::Deleted => unreachable_write(),
        }
    }

    /// Removes a membership (`DELETE /api/user_group_memberships/:id`). A 405, or a 400, 403,
    /// 404, 409 or 422 for a membership that a re-read shows still there, is
    /// [`CoupaError::DeleteRefused`].
    pub async fn delete_membership(&self, membership_id: u64) -> Result<(), CoupaError> {
        self.write(Write::Delete { membership_id })
            .await
            .map(|_| ())
    }

    /// Sends `w`; when its outcome is unknown, waits a moment, looks whether it happened,
    /// and only then sends it again — at most `max_retries` times.
    async fn write(&self, w: Write) -> Result<Written, CoupaError> {
        let mut unknowns = 0u32;
        loop {
            let outcome = match &w {
                Write::Create { user_id, group_id } => {
                    let body = serde_json::json!({"user-id": user_id, "user-group-id": group_id});
                    let call = Call::write(Method::POST, MEMBERSHIPS, Some(&body));
                    self.inner.execute(&call).await?
                }
                Write::Delete { membership_id } => {
                    let path = format!("{MEMBERSHIPS}/{membership_id}");
                    self.inner
                        .execute(&Call::write(Method::DELETE, &path, None))
                        .await?
                }
            };
            let detail = match outcome {
                Outcome::Answered(a) => return self.answered(&w, a).await,
                Outcome::Unknown(detail) => detail,
            };
            tracing::debug!(what = %w.what(), %detail, "write outcome unknown; checking");
            // Give a slow server a moment to finish what it may be doing, then look.
            let o = &self.inner.opts;
            retry::pause(unknowns, o).await;
            if let Some(done) = self.happened(&w).await? {
                return Ok(done);
            }
            unknowns += 1;
            if unknowns > o.max_retries {
                // The check just made answered: the state is known, not in doubt.
                return Err(CoupaError::WriteNotTaken {
                    what: w.what(),
                    attempts: unknowns,
                    detail,
                });
            }
        }
    }

    /// What a final answer to `w` means.
    async fn answered(&self, w: &Write, a: Answer) -> Result<Written, CoupaError> {
        let code = a.status.as_u16();
        match *w {
            Write::Create { .. } if a.status.is_success() => {
                self.parse_membership(&a, MEMBERSHIPS).map(Written::Created)
            }
            Write::Create { .. } if matches!(code, 400 | 409 | 422) => {
                // Coupa refuses a duplicate ("has already been taken"): if the membership
                // exists, the goal is reached (apply converges when re-run).
                match self.happened(w).await? {
                    Some(done) => Ok(done),
                    None => Err(self.inner.status_error(&Method::POST, MEMBERSHIPS, &a)),
                }
            }
            Write::Create { .. } => Err(self.inner.status_error(&Method::POST, MEMBERSHIPS, &a)),
            Write::Delete { .. } if a.status.is_success() => Ok(Written::Deleted),
            // No DELETE route at all: nothing was deleted, and no other DELETE will be.
            Write::Delete { membership_id } if code == 405 => Err(CoupaError::DeleteRefused {
                membership_id,
                status: 405,
                detail: self.said(&a),
            }),
            // A refusal whose code does not say why (404: gone, or no such route; 403, 400,
            // 409, 422: not allowed, in whatever words the tenant uses): judged by what a
            // re-read shows, like a 405 when the membership is still there.
            Write::Delete { membership_id } if matches!(code, 400 | 403 | 404 | 409 | 422) => {
                match self.happened(w).await? {
                    Some(done) => Ok(done),
                    None => Err(CoupaError::DeleteRefused {
                        membership_id,
                        status: code,
                        detail: self.said(&a),
                    }),
                }
            }
            Write::Delete { membership_id } => {
                let path = format!("{MEMBERSHIPS}/{membership_id}");
                Err(self.inner.status_error(&Method::DELETE, &path, &a))
            }
        }
    }

    /// Whether `w`'s goal holds in Coupa now.
    async fn happened(&self, w: &Write) -> Result<Option<Written>, CoupaError> {
        Ok(match *w {
            Write::Create { user_id, group_id } => self
                .find_membership(user_id, group_id)
                .await?
                .map(Written::Created),
            Write::Delete { membership_id } => {
                (!self.membership_exists(membership_id).await?).then_some(Written::Deleted)
            }
        })
    }

    /// The membership of `user_id` in `group_id`, if Coupa has one.
    async fn find_membership(
        &self,
        user_id: u64,
        group_id: u64,
    ) -> Result<Option<Membership>, CoupaError> {
        let rows = self
            .read_all::<WireMembership>(
                None,
                MEMBERSHIPS,
                &[
                    ("user_id", user_id.to_string()),
                    ("user_group_id", group_id.to_string()),
                ],
            )
            .await?;
        Ok(
            super::read::memberships_matching(rows, Some(user_id), group_id)?
                .into_iter()
                .next(),
        )
    }

    /// `GET /api/user_group_memberships/:id`: 200 -> true, 404 -> false.
    async fn membership_exists(&self, membership_id: u64) -> Result<bool, CoupaError> {
        let path = format!("{MEMBERSHIPS}/{membership_id}");
        match self.inner.execute(&Call::get(&path)).await? {
            Outcome::Answered(a) if a.status.is_success() => Ok(true),
            Outcome::Answered(a) if a.status.as_u16() == 404 => Ok(false),
            Outcome::Answered(a) => Err(self.inner.status_error(&Method::GET, &path, &a)),
            Outcome::Unknown(detail) => Err(CoupaError::WriteUnconfirmed {
                what: format!("whether membership {membership_id} exists"),
                detail,
            }),
        }
    }

    /// ` (Coupa said: …)` when the answer has a body, for a refusal's message.
    fn said(&self, a: &Answer) -> String {
        let text = self.inner.describe(&a.body);
        // An empty body is described as "(empty body)": nothing was said.
        if text.trim().is_empty() || text == "(empty body)" {
            String::new()
        } else {
            format!(" (Coupa said: {text})")
        }
    }

    fn parse_membership(&self, a: &Answer, path: &str) -> Result<Membership, CoupaError> {
        let w: WireMembership =
            serde_json::from_slice(&a.body).map_err(|e| CoupaError::Decode {
                method: "POST".into(),
                path: path.into(),
                detail: self
                    .inner
                    .redact(&format!("the body is not a membership ({e})")),
            })?;
        convert::membership(w).map_err(|detail| CoupaError::Decode {
            method: "POST".into(),
            path: path.into(),
            detail,
        })
    }
}

/// `create_membership` only ever gets `Written::Created` back.
fn unreachable_write() -> Result<Membership, CoupaError> {
    Err(CoupaError::Setup(
        "internal error: a create answered as a delete".into(),
    ))
}
