//! Where Coupa is and how to authenticate: domain normalisation. (Finding the secret is the
//! binary's job: the client reads no environment.)

use std::net::IpAddr;

use secrecy::SecretString;
use url::{Host, Url};

use super::ConfigError;

/// A Coupa instance and the OAuth2 client used to reach it. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Normalised scheme + host (+ port), e.g. `https://acme.coupahost.com`.
    pub domain: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

impl Connection {
    /// Builds a connection, normalising `domain` (see [`Connection::normalize_domain`]).
    pub fn new(
        domain: &str,
        client_id: &str,
        client_secret: SecretString,
    ) -> Result<Connection, ConfigError> {
        let client_id = client_id.trim();
        if client_id.is_empty() {
            return Err(ConfigError::MissingClientId);
        }
        Ok(Connection {
            domain: Self::normalize_domain(domain)?,
            client_id: client_id.to_string(),
            client_secret,
        })
    }

    /// Reduces what an admin pastes to scheme + host (+ port):
    /// `https://acme.coupahost.com/user/home` -> `https://acme.coupahost.com`;
    /// a bare host `acme.coupahost.com` -> `https://acme.coupahost.com`.
    /// `http://` is accepted only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`).
    pub fn normalize_domain(input: &str) -> Result<String, ConfigError> {
        let trimmed = input.trim();
        let invalid = |reason: &str| ConfigError::InvalidDomain {
            input: trimmed.to_string(),
            reason: reason.to_string(),
        };
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain a user name or password"));
        }
        let host = url.host().ok_or_else(|| invalid("it has no host name"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(ConfigError::InsecureScheme {
                    input: trimmed.to_string(),
                })
            }
            other => return Err(invalid(&format!("scheme `{other}` is not https"))),
        }
        Ok(url.origin().ascii_serialization())
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}
