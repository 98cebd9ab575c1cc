//! The one request loop: every call — reads, writes and the token request — goes through
//! [`Inner::execute`], which takes the shared limiter (and a read slot for GETs), sends one
//! attempt, asks [`decide`] what that means and does it: wait, pause everyone, wait out a
//! young token, re-authenticate, report an unknown write outcome, or give up.

use std::time::SystemTime;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use tokio::time::Instant;

use super::auth::Bearer;
use super::client::{Counters, Inner};
use super::decide::{decide, Decision, Failure, Happened, Situation, TokenFacts};
use super::retry;
use super::status::{detail_suffix, path_only};
use super::transport::{self, Reply, ERROR_CAP, PAGE_CAP};
use super::CoupaError;

/// What a call is, which decides its rules and its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A GET, or a GraphQL query (a POST that only reads): safe to resend.
    Read,
    /// A POST/PUT/DELETE to the API: never blindly resent after it may have happened.
    Write,
    /// `POST /oauth2/token`: no bearer token; safe to resend.
    Token,
}

/// One request to send.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path_and_query: &'a str,
    pub body: Payload,
    pub kind: Kind,
}

/// A request body.
#[derive(Debug)]
pub(crate) enum Payload {
    None,
    Json(String),
    /// `application/x-www-form-urlencoded` (the token request; holds the client secret).
    Form(secrecy::SecretString),
}

impl<'a> Call<'a> {
    /// A GET of `path_and_query`.
    pub(crate) fn get(path_and_query: &'a str) -> Call<'a> {
        Call {
            method: Method::GET,
            path_and_query,
            body: Payload::None,
            kind: Kind::Read,
        }
    }

    /// A write with an optional JSON body.
    pub(crate) fn write(
        method: Method,
        path_and_query: &'a str,
        body: Option<&serde_json::Value>,
    ) -> Call<'a> {
        Call {
            method,
            path_and_query,
            body: body.map_or(Payload::None, |b| Payload::Json(b.to_string())),
            kind: Kind::Write,
        }
    }
}

/// An HTTP answer, body read up to its cap.
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

/// What the last attempt ended with, kept for the error if the loop gives up.
enum Last {
    Answer(Reply),
    Failed(transport::Failed),
}

impl Inner {
    /// Sends `call` until [`decide`] says it is done. Any final status comes back as an answer
    /// for the caller to read; giving up is an error.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Outcome, CoupaError> {
        let url = format!("{}{}", self.conn.domain, call.path_and_query);
        let path = path_only(call.path_and_query);
        let rules = self.rules();
        let mut retries: u32 = 0;
        // The token generation Coupa refused (to be replaced), and the one this call fetched.
        let mut rejected: Option<u64> = None;
        let mut fetched: Option<u64> = None;
        loop {
            let bearer = match call.kind {
                Kind::Token => None,
                _ => {
                    let refetch = rejected.take();
                    let b = self.bearer(refetch).await?;
                    if refetch.is_some() {
                        fetched = Some(b.generation);
                    }
                    Some(b)
                }
            };
            let sending = self.attempt(call, &url, bearer.as_ref());
            let last = if call.kind == Kind::Write {
                // A write is never cut off mid-flight (that would leave its outcome unknown):
                // the deadline stops it only before it is sent.
                self.before_deadline(call, path)?;
                sending.await?
            } else {
                self.within_deadline(call, path, sending).await??
            };
            let happened = match &last {
                Last::Answer(r) => {
                    if r.status.as_u16() == 429 {
                        Counters::bump(&self.counters.rate_limited);
                    }
                    Happened::Answer {
                        status: r.status.as_u16(),
                        retry_after: r.retry_after.as_deref(),
                    }
                }
                Last::Failed(f) => Happened::Failed(f.kind),
            };
            let token = bearer.as_ref().map(|b| TokenFacts {
                age: b.issued_at.elapsed(),
                refetched: fetched == Some(b.generation),
            });
            let decision = decide(
                &Situation {
                    happened,
                    retries,
                    write: call.kind == Kind::Write,
                    token,
                    now: SystemTime::now(),
                    jitter: retry::jitter(),
                },
                &rules,
            );
            if !matches!(
                happened,
                Happened::Answer {
                    status: 401 | 403,
                    ..
                }
            ) {
                // Only consecutive refusals count against a fetched token.
                fetched = None;
            }
            match decision {
                Decision::Done => return self.done(call, path, last),
                Decision::OutcomeUnknown => {
                    return Ok(Outcome::Unknown(match last {
                        Last::Answer(r) => {
                            format!("HTTP {}{}", r.status, detail_suffix(self, &r.body))
                        }
                        Last::Failed(f) => self.redact(&f.detail),
                    }))
                }
                Decision::Fail(why) => return Err(self.give_up(call, path, why, retries, last)),
                Decision::BackOff(wait) => {
                    retries += 1;
                    self.within_deadline(call, path, tokio::time::sleep(wait))
                        .await?;
                }
                Decision::PauseEveryone(wait) => {
                    retries += 1;
                    // Everyone waits, not just this request: the shared bucket pauses.
                    self.limiter.pause(wait);
                }
                Decision::WarmUp(wait) => {
                    tracing::debug!(method = %call.method, path, wait_ms = wait.as_millis() as u64, "token refused in its warm-up; waiting, then the same token again");
                    self.within_deadline(call, path, tokio::time::sleep(wait))
                        .await?;
                }
                Decision::Reauthenticate => {
                    rejected = bearer.map(|b| b.generation);
                }
            }
            Counters::bump(&self.counters.retries);
        }
    }

    /// Runs `f`, unless the run's deadline passes first.
    async fn within_deadline<T>(
        &self,
        call: &Call<'_>,
        path: &str,
        f: impl std::future::Future<Output = T>,
    ) -> Result<T, CoupaError> {
        let Some(at) = self.deadline_at else {
            return Ok(f.await);
        };
        self.before_deadline(call, path)?;
        tokio::time::timeout_at(at, f)
            .await
            .map_err(|_| self.deadline_error(call, path))
    }

    /// An error when the run's deadline has passed.
    fn before_deadline(&self, call: &Call<'_>, path: &str) -> Result<(), CoupaError> {
        match self.deadline_at {
            Some(at) if Instant::now() >= at => Err(self.deadline_error(call, path)),
            _ => Ok(()),
        }
    }

    fn deadline_error(&self, call: &Call<'_>, path: &str) -> CoupaError {
        CoupaError::DeadlineExceeded {
            method: call.method.to_string(),
            path: path.to_string(),
            limit: self.opts.deadline.unwrap_or_default(),
        }
    }

    /// One attempt: limiter, read slot, headers, send, capped body.
    async fn attempt(
        &self,
        call: &Call<'_>,
        url: &str,
        bearer: Option<&Bearer>,
    ) -> Result<Last, CoupaError> {
        // Logged with the answer: the time spent waiting for a read slot and then the limiter
        // (a request timeline at `-v`: where a read's wall time goes).
        let queued = Instant::now();
        // The slot is held for this attempt only, so waits between attempts free it.
        // Reads (GraphQL queries are POSTs that read) share the read slots.
        let _slot = if call.kind == Kind::Read {
            Some(
                self.read_slots
                    .acquire()
                    .await
                    .map_err(|_| CoupaError::Setup("the client was shut down".into()))?,
            )
        } else {
            None
        };
        let slot_ms = queued.elapsed().as_millis() as u64;
        self.limiter.acquire().await;
        let waited_ms = queued.elapsed().as_millis() as u64;
        self.count(call);
        let mut req = self
            .http
            .request(call.method.clone(), url)
            .header(ACCEPT, "application/json");
        if let Some(b) = bearer {
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", b.secret.expose_secret()))
                .map_err(|_| CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail: "the access token holds characters not allowed in a header".into(),
            })?;
            auth.set_sensitive(true);
            req = req.header(AUTHORIZATION, auth);
        }
        req = match &call.body {
            Payload::None => req,
            Payload::Json(b) => req.header(CONTENT_TYPE, "application/json").body(b.clone()),
            Payload::Form(f) => req
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(f.expose_secret().to_string()),
        };
        let cap = if call.kind == Kind::Token {
            ERROR_CAP
        } else {
            PAGE_CAP
        };
        let started = Instant::now();
        let result = transport::attempt(req, cap, self.opts.timeout).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let path = path_only(call.path_and_query);
        Ok(match result {
            Ok(r) => {
                tracing::debug!(method = %call.method, path, status = r.status.as_u16(), slot_ms, waited_ms, elapsed_ms, "coupa request");
                Last::Answer(r)
            }
            Err(f) => {
                tracing::debug!(method = %call.method, path, elapsed_ms, error = %self.redact(&f.detail), "coupa request failed");
                Last::Failed(f)
            }
        })
    }

    fn done(&self, call: &Call<'_>, path: &str, last: Last) -> Result<Outcome, CoupaError> {
        match last {
            Last::Answer(r) if r.too_large => Err(CoupaError::Decode {
                method: call.method.to_string(),
                path: path.to_string(),
                detail: format!(
                    "the answer is larger than {} MiB, more than any Coupa page",
                    PAGE_CAP / (1024 * 1024)
                ),
            }),
            Last::Answer(r) => Ok(Outcome::Answered(Answer {
                status: r.status,
                body: r.body,
            })),
            // `decide` never calls a failed attempt done; treated as giving up if it did.
            Last::Failed(f) => {
                Err(self.give_up(call, path, Failure::Unreachable, 0, Last::Failed(f)))
            }
        }
    }

    fn give_up(
        &self,
        call: &Call<'_>,
        path: &str,
        why: Failure,
        retries: u32,
        last: Last,
    ) -> CoupaError {
        let method = call.method.to_string();
        let path = path.to_string();
        match (call.kind, last) {
            (Kind::Token, Last::Answer(r)) => self.token_error(r.status.as_u16(), &r.body),
            (Kind::Token, Last::Failed(f)) => CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail: format!("{} (after {retries} retries)", self.redact(&f.detail)),
            },
            (_, _) if why == Failure::Unauthorized => CoupaError::Unauthorized {
                scope: super::status::scope_for(&call.method, &path).to_string(),
                method,
                path,
            },
            (_, Last::Answer(r)) => CoupaError::RetriesExhausted {
                method,
                path,
                retries,
                status: r.status.as_u16(),
                detail: detail_suffix(self, &r.body),
            },
            (_, Last::Failed(f)) => CoupaError::Transport {
                method,
                path,
                retries,
                detail: self.redact(&f.detail),
            },
        }
    }

    fn count(&self, call: &Call<'_>) {
        let c = &self.counters;
        Counters::bump(match (call.kind, &call.method) {
            (Kind::Token, _) => &c.token_requests,
            (_, &Method::GET) => &c.gets,
            (_, &Method::POST) => &c.posts,
            (_, &Method::PUT) => &c.puts,
            _ => &c.deletes,
        });
    }
}
