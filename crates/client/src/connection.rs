//! Where Coupa is and how to authenticate: domain normalisation and secret resolution.

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

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

/// The client secret: from `COUPA_CLIENT_SECRET`, else from a file (`secret_file`, i.e.
/// `--client-secret-file`, else `COUPA_CLIENT_SECRET_FILE`). A trailing newline is trimmed.
pub fn resolve_client_secret(secret_file: Option<&Path>) -> Result<SecretString, ConfigError> {
    secret_from(
        std::env::var("COUPA_CLIENT_SECRET").ok(),
        secret_file,
        std::env::var_os("COUPA_CLIENT_SECRET_FILE"),
    )
}

/// [`resolve_client_secret`] with the environment passed in, so it can be tested.
pub(crate) fn secret_from(
    env_secret: Option<String>,
    secret_file: Option<&Path>,
    env_file: Option<OsString>,
) -> Result<SecretString, ConfigError> {
    if let Some(s) = env_secret.filter(|s| !s.is_empty()) {
        let s = trim_newline(s);
        if s.is_empty() {
            return Err(ConfigError::EmptySecret {
                from: "COUPA_CLIENT_SECRET".into(),
            });
        }
        return Ok(SecretString::from(s));
    }
    let path: PathBuf = match (secret_file, env_file.filter(|p| !p.is_empty())) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => PathBuf::from(p),
        (None, None) => return Err(ConfigError::MissingSecret),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
        path: path.clone(),
        source,
    })?;
    let s = trim_newline(text);
    if s.is_empty() {
        return Err(ConfigError::EmptySecret {
            from: format!("the file {}", path.display()),
        });
    }
    Ok(SecretString::from(s))
}

fn trim_newline(mut s: String) -> String {
    while s.ends_with('\n') || s.ends_with('\r') {
        s.pop();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn secret_prefers_env_then_flag_file_then_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("secret");
        std::fs::write(&f, "from-file\n").unwrap();
        let s = secret_from(Some("from-env".into()), Some(&f), None).unwrap();
        assert_eq!(s.expose_secret(), "from-env");
        let s = secret_from(None, Some(&f), None).unwrap();
        assert_eq!(s.expose_secret(), "from-file");
        let s = secret_from(Some(String::new()), None, Some(f.clone().into_os_string())).unwrap();
        assert_eq!(s.expose_secret(), "from-file");
    }

    #[test]
    fn secret_errors_name_both_options() {
        let e = secret_from(None, None, None).unwrap_err().to_string();
        assert!(
            e.contains("COUPA_CLIENT_SECRET") && e.contains("--client-secret-file"),
            "{e}"
        );
        let e = secret_from(None, Some(Path::new("/nonexistent/x")), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/nonexistent/x") && e.contains("COUPA_CLIENT_SECRET"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("empty");
        std::fs::write(&f, "\n").unwrap();
        assert!(matches!(
            secret_from(None, Some(&f), None),
            Err(ConfigError::EmptySecret { .. })
        ));
    }
}
