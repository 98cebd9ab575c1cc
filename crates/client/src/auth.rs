//! OAuth2 client credentials: one cached bearer token per client, refreshed shortly before it
//! expires and once more when Coupa answers 401. Secrets stay in `SecretString`; logs carry
//! only method, path and status.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::client::{Counters, Inner};
use super::error::describe_body;
use super::retry;
use super::wire::WireToken;
use super::CoupaError;

/// A token and when to stop using it.
pub(crate) struct CachedToken {
    pub secret: SecretString,
    pub refresh_at: Instant,
    /// Increases with every fetch, so a 401 only replaces the token that failed.
    pub generation: u64,
}

/// A token handed to one request.
#[derive(Clone)]
pub(crate) struct Bearer {
    pub secret: SecretString,
    pub generation: u64,
}

/// How long before `expires_in` a token is replaced (a tenth of its life, at most a minute).
fn margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

impl Inner {
    /// The cached token, fetching one if there is none, it is about to expire, or it is the
    /// one (`rejected`) that Coupa just answered 401 to. Concurrent callers wait for one fetch.
    pub(crate) async fn bearer(&self, rejected: Option<u64>) -> Result<Bearer, CoupaError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref() {
            if Instant::now() < t.refresh_at && Some(t.generation) != rejected {
                return Ok(Bearer {
                    secret: t.secret.clone(),
                    generation: t.generation,
                });
            }
        }
        let generation = slot.as_ref().map_or(1, |t| t.generation + 1);
        let (secret, expires_in) = self.fetch_token().await?;
        *slot = Some(CachedToken {
            secret: secret.clone(),
            refresh_at: Instant::now() + expires_in - margin(expires_in),
            generation,
        });
        Ok(Bearer { secret, generation })
    }

    async fn fetch_token(&self) -> Result<(SecretString, Duration), CoupaError> {
        let domain = &self.conn.domain;
        let url = format!("{domain}/oauth2/token");
        let scopes = self.access.scopes().join(" ");
        let mut retries = 0;
        loop {
            self.limiter.acquire().await;
            Counters::bump(&self.counters.token_requests);
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.conn.client_id.as_str()),
                ("client_secret", self.conn.client_secret.expose_secret()),
                ("scope", scopes.as_str()),
            ];
            let started = Instant::now();
            let sent = self
                .http
                .post(&url)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(&form)
                .send()
                .await;
            let wait = match sent {
                Ok(resp) => {
                    let status = resp.status();
                    tracing::debug!(
                        method = %"POST",
                        path = %"/oauth2/token",
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "coupa token request"
                    );
                    let headers = resp.headers().clone();
                    let body = resp.bytes().await.unwrap_or_default();
                    if status.is_success() {
                        return self.parse_token(&body);
                    }
                    if status.as_u16() == 429 {
                        Counters::bump(&self.counters.rate_limited);
                    }
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    if !retryable || retries >= self.opts.max_retries {
                        return Err(self.token_error(status.as_u16(), &body));
                    }
                    if status.as_u16() == 429 {
                        self.limiter.pause(retry::after_429(
                            &headers,
                            retries,
                            self.opts.base_backoff,
                            self.opts.max_backoff,
                        ));
                        Duration::ZERO
                    } else {
                        retry::backoff(retries, self.opts.base_backoff, self.opts.max_backoff)
                    }
                }
                Err(e) => {
                    let why = super::send::describe_transport(&e, self.opts.timeout);
                    tracing::debug!(method = %"POST", path = %"/oauth2/token", error = %why, "coupa token request failed");
                    if retries >= self.opts.max_retries {
                        return Err(CoupaError::TokenEndpoint {
                            domain: domain.clone(),
                            detail: format!("{why} (after {retries} retries); check --domain (COUPA_DOMAIN) and the network path to Coupa"),
                        });
                    }
                    retry::backoff(retries, self.opts.base_backoff, self.opts.max_backoff)
                }
            };
            retries += 1;
            Counters::bump(&self.counters.retries);
            tokio::time::sleep(wait).await;
        }
    }

    fn parse_token(&self, body: &[u8]) -> Result<(SecretString, Duration), CoupaError> {
        let tok: WireToken =
            serde_json::from_slice(body).map_err(|e| CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                // serde's message names the problem, never the token's value.
                detail: format!("the answer is not an OAuth2 token response ({e})"),
            })?;
        if tok.access_token.is_empty() {
            return Err(CoupaError::TokenEndpoint {
                domain: self.conn.domain.clone(),
                detail: "the answer holds an empty access_token".into(),
            });
        }
        Counters::bump(&self.counters.tokens_fetched);
        // Coupa issues 24 h tokens; when it does not say, assume one hour. A token that
        // expires at once (0) is used for the request that fetched it only.
        let expires_in = Duration::from_secs(tok.expires_in.unwrap_or(3600));
        Ok((SecretString::from(tok.access_token), expires_in))
    }

    fn token_error(&self, status: u16, body: &[u8]) -> CoupaError {
        let domain = self.conn.domain.clone();
        let detail = self.redact(&describe_body(body));
        let code = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from));
        match code.as_deref() {
            Some("invalid_scope") => {
                let requested = self.access.scopes();
                let named: Vec<&str> = requested
                    .iter()
                    .copied()
                    .filter(|s| detail.contains(s))
                    .collect();
                let scopes = if named.is_empty() { requested } else { named };
                CoupaError::ScopeNotGranted {
                    scopes: scopes.join(" "),
                    detail,
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

    /// Removes the client secret from text quoted from a server answer, in case it is echoed.
    pub(crate) fn redact(&self, text: &str) -> String {
        let secret = self.conn.client_secret.expose_secret();
        if secret.is_empty() {
            text.to_string()
        } else {
            text.replace(secret, "[redacted]")
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
