//! The single request path: every API call goes through [`Inner::send`], which applies the
//! shared rate limiter, the read concurrency limit, the bearer token (refetched once on 401)
//! and the retry policy.

use std::time::Instant;

use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;

use super::client::{Counters, Inner};
use super::error::describe_body;
use super::retry;
use super::CoupaError;

/// What may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Safe to send again: 429, 5xx and network errors are retried.
    Idempotent,
    /// A write: only failures that prove the server did not act (429, 401, connect errors)
    /// are retried here; 5xx and lost answers come back as [`Outcome::Unknown`].
    Write,
}

/// An HTTP answer, body read in full.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

/// The result of a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    Answered(Answer),
    /// A write may or may not have happened (5xx, timeout, dropped connection).
    Unknown(String),
}

/// The path without its query, for messages and logs.
pub(crate) fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

/// The OAuth2 scope an endpoint needs, named in 403 messages.
pub(crate) fn scope_for(method: &Method, path: &str) -> &'static str {
    let p = path_only(path);
    let read = method == Method::GET;
    if p.starts_with("/api/users") {
        if read {
            "core.user.read"
        } else {
            "core.user.write"
        }
    } else if p.starts_with("/api/user_group") {
        if read {
            "core.user_group.read"
        } else {
            "core.user_group.write"
        }
    } else if p.starts_with("/api/roles") {
        "core.common.read"
    } else {
        "the scope covering this endpoint"
    }
}

impl Inner {
    /// Sends one request to `{domain}{path_and_query}` (with `Accept: application/json`, the
    /// bearer token and, for a body, `Content-Type: application/json`), retrying per `policy`.
    /// Any final status comes back as an answer; only exhausted retries are errors here.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
        policy: Policy,
    ) -> Result<Outcome, CoupaError> {
        let url = format!("{}{}", self.conn.domain, path_and_query);
        let path = path_only(path_and_query);
        let body = body.map(|b| b.to_string());
        let mut bearer = self.bearer(None).await?;
        // A 401 gets one new token; a freshly fetched token refused again is an error. After
        // any other answer a later 401 (the token expired while retrying) may refetch again.
        let mut just_refetched = false;
        let mut retries: u32 = 0;
        let mut first = true;
        loop {
            if !first && !just_refetched {
                // The cached token, renewed if it expired while this request was retrying.
                bearer = self.bearer(None).await?;
            }
            first = false;
            let slot = if method == Method::GET {
                Some(
                    self.read_slots
                        .acquire()
                        .await
                        .map_err(|_| CoupaError::Setup("the client was shut down".into()))?,
                )
            } else {
                None
            };
            self.limiter.acquire().await;
            self.count(&method);
            let mut auth = reqwest::header::HeaderValue::from_str(&format!(
                "Bearer {}",
                bearer.secret.expose_secret()
            ))
            .map_err(|_| CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail: "the access token holds characters not allowed in a header".into(),
            })?;
            auth.set_sensitive(true);
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header(ACCEPT, "application/json")
                .header(AUTHORIZATION, auth);
            if let Some(b) = &body {
                req = req.header(CONTENT_TYPE, "application/json").body(b.clone());
            }
            let started = Instant::now();
            let result = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(b) => Ok((status, headers, b.to_vec())),
                        Err(e) => Err((e, true)),
                    }
                }
                Err(e) => {
                    let before_sent = e.is_connect();
                    Err((e, !before_sent))
                }
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let wait = match result {
                Ok((status, headers, bytes)) => {
                    tracing::debug!(method = %method, path, status = status.as_u16(), elapsed_ms, "coupa request");
                    let verdict = self.judge(status, &headers, retries, policy);
                    if !matches!(verdict, Verdict::Reauth) {
                        just_refetched = false;
                    }
                    match verdict {
                        Verdict::Done => {
                            return Ok(Outcome::Answered(Answer {
                                status,
                                body: bytes,
                            }))
                        }
                        Verdict::Unknown => {
                            return Ok(Outcome::Unknown(format!(
                                "HTTP {}{}",
                                status,
                                self.redact(&detail_suffix(&bytes))
                            )))
                        }
                        Verdict::Reauth if !just_refetched => {
                            just_refetched = true;
                            bearer = self.bearer(Some(bearer.generation)).await?;
                            Counters::bump(&self.counters.retries);
                            continue;
                        }
                        Verdict::Reauth => {
                            return Err(CoupaError::Unauthorized {
                                method: method.to_string(),
                                path: path.to_string(),
                            })
                        }
                        Verdict::Exhausted => {
                            return Err(CoupaError::RetriesExhausted {
                                method: method.to_string(),
                                path: path.to_string(),
                                retries,
                                status: status.as_u16(),
                                detail: self.redact(&detail_suffix(&bytes)),
                            })
                        }
                        Verdict::RetryAfter(d) => d,
                    }
                }
                Err((e, maybe_processed)) => {
                    let detail = describe_transport(&e, self.opts.timeout);
                    tracing::debug!(method = %method, path, elapsed_ms, error = %detail, "coupa request failed");
                    if policy == Policy::Write && maybe_processed {
                        return Ok(Outcome::Unknown(detail));
                    }
                    if retries >= self.opts.max_retries {
                        return Err(CoupaError::Transport {
                            method: method.to_string(),
                            path: path.to_string(),
                            retries,
                            detail,
                        });
                    }
                    retry::backoff(retries, self.opts.base_backoff, self.opts.max_backoff)
                }
            };
            // Free the read slot while waiting so other reads can proceed.
            drop(slot);
            retries += 1;
            Counters::bump(&self.counters.retries);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    fn judge(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        retries: u32,
        policy: Policy,
    ) -> Verdict {
        let code = status.as_u16();
        if code == 401 {
            return Verdict::Reauth;
        }
        let retryable = if code == 429 {
            Counters::bump(&self.counters.rate_limited);
            // Coupa's rate limiter answers before doing anything, so even writes may retry.
            true
        } else if status.is_server_error() {
            if policy == Policy::Write {
                return Verdict::Unknown;
            }
            true
        } else {
            false
        };
        if !retryable {
            return Verdict::Done;
        }
        if retries >= self.opts.max_retries {
            return Verdict::Exhausted;
        }
        let (base, max) = (self.opts.base_backoff, self.opts.max_backoff);
        Verdict::RetryAfter(if code == 429 {
            // Everyone waits, not just this request: the shared bucket pauses.
            self.limiter
                .pause(retry::after_429(headers, retries, base, max));
            std::time::Duration::ZERO
        } else {
            retry::backoff(retries, base, max)
        })
    }

    fn count(&self, method: &Method) {
        let c = &self.counters;
        Counters::bump(match *method {
            Method::GET => &c.gets,
            Method::POST => &c.posts,
            Method::PUT => &c.puts,
            _ => &c.deletes,
        });
    }

    /// Turns a final non-success answer into the error that says what to do.
    pub(crate) fn status_error(
        &self,
        method: &Method,
        path_and_query: &str,
        a: &Answer,
    ) -> CoupaError {
        let path = path_only(path_and_query).to_string();
        let method_s = method.to_string();
        let detail = self.redact(&describe_body(&a.body));
        match a.status.as_u16() {
            403 => CoupaError::Forbidden {
                scope: scope_for(method, path_and_query).to_string(),
                method: method_s,
                path,
                detail: format!(" (Coupa said: {detail})"),
            },
            401 => CoupaError::Unauthorized {
                method: method_s,
                path,
            },
            s @ 300..=399 => CoupaError::Rejected {
                method: method_s,
                path,
                status: s,
                detail: "Coupa redirected the request; check that --domain is the instance's API address (e.g. https://acme.coupahost.com)".into(),
            },
            404 if method == Method::GET && !path.trim_start_matches("/api/").contains('/') => {
                CoupaError::Rejected {
                    method: method_s,
                    path,
                    status: 404,
                    detail: format!("{detail} — this API endpoint does not exist here; check that --domain (COUPA_DOMAIN) is your Coupa instance, e.g. https://acme.coupahost.com"),
                }
            }
            s => CoupaError::Rejected {
                method: method_s,
                path,
                status: s,
                detail,
            },
        }
    }
}

enum Verdict {
    Done,
    Unknown,
    Reauth,
    Exhausted,
    RetryAfter(std::time::Duration),
}

fn detail_suffix(body: &[u8]) -> String {
    let d = describe_body(body);
    if d == "(empty body)" {
        String::new()
    } else {
        format!(": {d}")
    }
}

pub(crate) fn describe_transport(e: &reqwest::Error, timeout: std::time::Duration) -> String {
    if e.is_timeout() {
        format!("no answer within {}s (timed out)", timeout.as_secs_f64())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        let mut s = String::from("the connection failed");
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_names_its_scope() {
        let cases = [
            (Method::GET, "/api/users?fields=x", "core.user.read"),
            (Method::PUT, "/api/users/7", "core.user.write"),
            (Method::GET, "/api/user_groups", "core.user_group.read"),
            (
                Method::GET,
                "/api/user_group_memberships/3",
                "core.user_group.read",
            ),
            (
                Method::POST,
                "/api/user_group_memberships",
                "core.user_group.write",
            ),
            (
                Method::DELETE,
                "/api/user_group_memberships/3",
                "core.user_group.write",
            ),
            (Method::GET, "/api/roles", "core.common.read"),
        ];
        for (m, p, want) in cases {
            assert_eq!(scope_for(&m, p), want, "{m} {p}");
        }
    }
}
