//! Membership writes. A write whose outcome is unknown (5xx, timeout, dropped connection) is
//! never blindly resent: the client reads first, then decides.

use reqwest::Method;

use coupa_access_core::model::Membership;

use super::convert;
use super::send::{Answer, Outcome, Policy};
use super::wire::WireMembership;
use super::{Client, CoupaError};

const MEMBERSHIPS: &str = "/api/user_group_memberships";

impl Client {
    /// Adds `user_id` to group `group_id` (`POST /api/user_group_memberships`).
    pub async fn create_membership(
        &self,
        user_id: u64,
        group_id: u64,
    ) -> Result<Membership, CoupaError> {
        let body = serde_json::json!({"user-id": user_id, "user-group-id": group_id});
        let what = format!("adding user {user_id} to group {group_id}");
        let mut unknowns = 0u32;
        loop {
            match self
                .inner
                .send(Method::POST, MEMBERSHIPS, Some(&body), Policy::Write)
                .await?
            {
                Outcome::Answered(a) if a.status.is_success() => {
                    return self.parse_membership(&a, MEMBERSHIPS)
                }
                Outcome::Answered(a) if matches!(a.status.as_u16(), 400 | 409 | 422) => {
                    // Coupa refuses a duplicate ("has already been taken"): if the membership
                    // exists, the goal is reached (apply converges when re-run).
                    if let Some(m) = self.find_membership(user_id, group_id).await? {
                        return Ok(m);
                    }
                    return Err(self.inner.status_error(&Method::POST, MEMBERSHIPS, &a));
                }
                Outcome::Answered(a) => {
                    return Err(self.inner.status_error(&Method::POST, MEMBERSHIPS, &a))
                }
                Outcome::Unknown(detail) => {
                    tracing::debug!(user_id, group_id, %detail, "membership create outcome unknown; checking");
                    // Give a slow server a moment to finish what it may be doing, then look.
                    self.pause(unknowns).await;
                    if let Some(m) = self.find_membership(user_id, group_id).await? {
                        return Ok(m);
                    }
                    unknowns += 1;
                    if unknowns > self.inner.opts.max_retries {
                        return Err(CoupaError::WriteUnconfirmed { what, detail });
                    }
                }
            }
        }
    }

    /// Removes a membership (`DELETE /api/user_group_memberships/:id`). A 405, or a 404 for a
    /// membership that exists, is [`CoupaError::DeleteRefused`].
    pub async fn delete_membership(&self, membership_id: u64) -> Result<(), CoupaError> {
        let path = format!("{MEMBERSHIPS}/{membership_id}");
        let what = format!("removing membership {membership_id}");
        let mut unknowns = 0u32;
        loop {
            match self
                .inner
                .send(Method::DELETE, &path, None, Policy::Write)
                .await?
            {
                Outcome::Answered(a) if a.status.is_success() => return Ok(()),
                Outcome::Answered(a) if a.status.as_u16() == 405 => {
                    return Err(CoupaError::DeleteRefused {
                        membership_id,
                        status: 405,
                    })
                }
                Outcome::Answered(a) if a.status.as_u16() == 404 => {
                    // Either already gone, or the tenant has no DELETE route: look.
                    return if self.membership_exists(membership_id).await? {
                        Err(CoupaError::DeleteRefused {
                            membership_id,
                            status: 404,
                        })
                    } else {
                        Ok(())
                    };
                }
                Outcome::Answered(a) => {
                    return Err(self.inner.status_error(&Method::DELETE, &path, &a))
                }
                Outcome::Unknown(detail) => {
                    tracing::debug!(membership_id, %detail, "membership delete outcome unknown; checking");
                    self.pause(unknowns).await;
                    if !self.membership_exists(membership_id).await? {
                        return Ok(());
                    }
                    unknowns += 1;
                    if unknowns > self.inner.opts.max_retries {
                        return Err(CoupaError::WriteUnconfirmed { what, detail });
                    }
                }
            }
        }
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
        match self
            .inner
            .send(Method::GET, &path, None, Policy::Idempotent)
            .await?
        {
            Outcome::Answered(a) if a.status.is_success() => Ok(true),
            Outcome::Answered(a) if a.status.as_u16() == 404 => Ok(false),
            Outcome::Answered(a) => Err(self.inner.status_error(&Method::GET, &path, &a)),
            Outcome::Unknown(detail) => Err(CoupaError::WriteUnconfirmed {
                what: format!("whether membership {membership_id} exists"),
                detail,
            }),
        }
    }

    fn parse_membership(&self, a: &Answer, path: &str) -> Result<Membership, CoupaError> {
        let w: WireMembership =
            serde_json::from_slice(&a.body).map_err(|e| CoupaError::Decode {
                method: "POST".into(),
                path: path.into(),
                detail: format!("the body is not a membership ({e})"),
            })?;
        convert::membership(w).map_err(|detail| CoupaError::Decode {
            method: "POST".into(),
            path: path.into(),
            detail,
        })
    }

    async fn pause(&self, attempt: u32) {
        let o = &self.inner.opts;
        tokio::time::sleep(super::retry::backoff(
            attempt,
            o.base_backoff,
            o.max_backoff,
        ))
        .await;
    }
}
