//! OAuth2 client credentials: one cached bearer token per client, refreshed shortly before it
//! expires and when Coupa refuses it (after its warm-up, see `decide`). The token request goes
//! through the one request loop. Secrets stay in `SecretString`; logs carry only method, path
//! and status.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::client::{Counters, Inner};
use super::request::{Answer, Call, Kind, Outcome, Payload};
use super::token::{describe_refusal, parse_token_answer, Refusal, TokenAnswer};
use super::CoupaError;

/// A token and when to stop using it.
pub(crate) struct CachedToken {
    pub secret: SecretString,
    pub issued_at: Instant,
    pub refresh_at: Instant,
    /// Increases with every fetch, so a refusal only replaces the token that was refused.
    pub generation: u64,
}

/// A token handed to one request.
#[derive(Clone)]
pub(crate) struct Bearer {
    pub secret: SecretString,
    pub issued_at: Instant,
    pub generation: u64,
}

/// How long before `expires_in` a token is replaced (a tenth of its life, at most a minute).
fn margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

impl Inner {
    /// The cached token, fetching one if there is none, it is about to expire, or it is the
    /// one (`rejected`) that Coupa just refused. Concurrent callers wait for one fetch.
    pub(crate) async fn bearer(&self, rejected: Option<u64>) -> Result<Bearer, CoupaError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref() {
            if Instant::now() < t.refresh_at && Some(t.generation) != rejected {
                return Ok(Bearer {
                    secret: t.secret.clone(),
                    issued_at: t.issued_at,
                    generation: t.generation,
                });
            }
        }
        let generation = slot.as_ref().map_or(1, |t| t.generation + 1);
        // Boxed: the token request runs the same loop that called here.
        let TokenAnswer { token, expires_in } = Box::pin(self.fetch_token()).await?;
        let issued_at = Instant::now();
        self.redactor.add(token.expose_secret());
        *slot = Some(CachedToken {
            secret: token.clone(),
            issued_at,
            // `expires_in` is at most a day: no overflow.
            refresh_at: issued_at + expires_in - margin(expires_in),
            generation,
        });
        Ok(Bearer {
            secret: token,
            issued_at,
            generation,
        })
    }

    /// Asks the token endpoint for a token with `scopes` (space-separated).
    async fn request_token(&self, scopes: &str) -> Result<Answer, CoupaError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.conn.client_id)
            .append_pair("client_secret", self.conn.client_secret.expose_secret())
            .append_pair("scope", scopes)
            .finish();
        let call = Call {
            method: reqwest::Method::POST,
            path_and_query: "/oauth2/token",
            body: Payload::Form(SecretString::from(form)),
            kind: Kind::Token,
        };
        match self.execute(&call).await? {
            Outcome::Answered(a) => Ok(a),
            // Only writes have unknown outcomes.
            Outcome::Unknown(detail) => Err(CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail,
            }),
        }
    }

    /// The requested scopes the token endpoint refuses when asked for each alone: what an
    /// `invalid_scope` answer that names no scope was about (Doorkeeper-based servers say only
    /// "The requested scope is invalid, unknown, or malformed."; Coupa's wording is not
    /// documented). Empty when the probes say nothing. Runs only after a refusal.
    async fn refused_scopes(&self, requested: &[&'static str]) -> Vec<&'static str> {
        let mut refused = Vec::new();
        for &scope in requested {
            if let Ok(a) = self.request_token(scope).await {
                let code = describe_refusal(&a.body, &self.redactor).code;
                if code.as_deref() == Some("invalid_scope") {
                    refused.push(scope);
                }
            }
        }
        refused
    }

    async fn fetch_token(&self) -> Result<TokenAnswer, CoupaError> {
        let answer = self.request_token(&self.scopes().join(" ")).await?;
        if !answer.status.is_success() {
            let err = self.token_error(answer.status.as_u16(), &answer.body);
            return Err(match err {
                // An answer that does not say which scope: ask for each alone, so the error
                // names the one to grant (a missing write scope, typically).
                CoupaError::ScopeNotGranted {
                    detail,
                    named: false,
                    ..
                } => {
                    let refused = self.refused_scopes(&self.scopes()).await;
                    let named = !refused.is_empty();
                    let scopes = if named { refused } else { self.scopes() };
                    CoupaError::ScopeNotGranted {
                        scopes: scopes.join(" "),
                        detail,
                        named,
                    }
                }
                other => other,
            });
        }
        // The reason may quote a field (`token_type`): redacted like any server text.
        let parsed =
            parse_token_answer(&answer.body).map_err(|detail| CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail: self.redact(&detail),
            })?;
        Counters::bump(&self.counters.tokens_fetched);
        Ok(parsed)
    }

    /// The error for a refusal from the token endpoint: it quotes only OAuth2's `error` and
    /// `error_description` (redacted), never the rest of the body, which may echo the request.
    pub(crate) fn token_error(&self, status: u16, body: &[u8]) -> CoupaError {
        let domain = self.conn.domain.clone();
        let Refusal { code, detail } = describe_refusal(body, &self.redactor);
        match code.as_deref() {
            Some("invalid_scope") => {
                let requested = self.scopes();
                let named: Vec<&str> = requested
                    .iter()
                    .copied()
                    .filter(|s| detail.contains(s))
                    .collect();
                let (scopes, named) = if named.is_empty() {
                    (requested, false)
                } else {
                    (named, true)
                };
                CoupaError::ScopeNotGranted {
                    scopes: scopes.join(" "),
                    detail,
                    named,
                }
            }
            Some("invalid_client") | Some("unauthorized_client") => CoupaError::BadCredentials {
                domain,
                status,
                detail: format!(": {detail}"),
            },
            _ if status == 401 => CoupaError::BadCredentials {
                domain,
                status,
                detail: format!(": {detail}"),
            },
            _ => CoupaError::TokenEndpoint {
                domain,
                detail: format!("HTTP {status}: {detail}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_a_little_before_they_expire() {
        assert_eq!(margin(Duration::from_secs(86399)), Duration::from_secs(60));
        assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(10));
        assert_eq!(margin(Duration::ZERO), Duration::ZERO);
    }
}
