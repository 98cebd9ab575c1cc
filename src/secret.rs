//! Where the OAuth2 client secret comes from, never a plain flag value (it would land in shell
//! history). Precedence: an explicit `--client-secret-file` wins over `COUPA_CLIENT_SECRET`,
//! which wins over `COUPA_CLIENT_SECRET_FILE`. The source is remembered, so a refused secret is
//! named by where it came from.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use secrecy::SecretString;

use crate::codes::ErrorCode;

/// Where the secret was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `--client-secret-file PATH`.
    FlagFile(PathBuf),
    /// The `COUPA_CLIENT_SECRET` environment variable.
    EnvSecret,
    /// `COUPA_CLIENT_SECRET_FILE=PATH`.
    EnvFile(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |p: &Path| {
            coupa_access_core::render::printable_str(&p.display().to_string()).into_owned()
        };
        match self {
            SecretSource::FlagFile(p) => {
                write!(
                    f,
                    "the secret from the file {} (--client-secret-file)",
                    shown(p)
                )
            }
            SecretSource::EnvSecret => write!(f, "the secret from COUPA_CLIENT_SECRET"),
            SecretSource::EnvFile(p) => write!(
                f,
                "the secret from the file {} (COUPA_CLIENT_SECRET_FILE)",
                shown(p)
            ),
        }
    }
}

/// Why no secret could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no OAuth2 client secret given")]
    Missing,
    #[error("cannot read {source_name}: {error}")]
    Unreadable {
        source_name: SecretSource,
        error: std::io::Error,
    },
    #[error("{source_name} is empty")]
    Empty { source_name: SecretSource },
}

impl SecretError {
    /// Its stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            SecretError::Missing => ErrorCode::SecretMissing,
            SecretError::Unreadable { .. } => ErrorCode::SecretUnreadable,
            SecretError::Empty { .. } => ErrorCode::SecretEmpty,
        }
    }
}

impl miette::Diagnostic for SecretError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(SecretError::code(self)))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            SecretError::Missing => "set COUPA_CLIENT_SECRET, or put the secret in a file and pass --client-secret-file (or set COUPA_CLIENT_SECRET_FILE)",
            SecretError::Unreadable { .. } => "point --client-secret-file or COUPA_CLIENT_SECRET_FILE at a readable file, or set COUPA_CLIENT_SECRET",
            SecretError::Empty { .. } => "the secret is the value shown once when the OAuth2 client was created in Coupa Setup > Integrations > OAuth2/OpenID Connect Clients",
        }))
    }
}

static SOURCE: OnceLock<SecretSource> = OnceLock::new();

/// The source of the secret this run uses, once [`resolve`] found one.
pub fn remembered() -> Option<&'static SecretSource> {
    SOURCE.get()
}

/// The client secret from the flag's file, else the environment; remembers its source.
pub fn resolve(flag_file: Option<&Path>) -> Result<SecretString, SecretError> {
    let (secret, source) = secret_from(
        flag_file,
        std::env::var("COUPA_CLIENT_SECRET").ok(),
        std::env::var_os("COUPA_CLIENT_SECRET_FILE"),
    )?;
    let _ = SOURCE.set(source);
    Ok(secret)
}

/// [`resolve`] with the environment passed in, so it can be tested.
pub fn secret_from(
    flag_file: Option<&Path>,
    env_secret: Option<String>,
    env_file: Option<OsString>,
) -> Result<(SecretString, SecretSource), SecretError> {
    let env_file = env_file.filter(|p| !p.is_empty()).map(PathBuf::from);
    if let Some(p) = flag_file {
        return from_file(SecretSource::FlagFile(p.to_path_buf()), p);
    }
    if let Some(s) = env_secret.filter(|s| !s.is_empty()) {
        let s = trim_newline(s);
        if s.is_empty() {
            return Err(SecretError::Empty {
                source_name: SecretSource::EnvSecret,
            });
        }
        return Ok((SecretString::from(s), SecretSource::EnvSecret));
    }
    match env_file {
        Some(p) => from_file(SecretSource::EnvFile(p.clone()), &p),
        None => Err(SecretError::Missing),
    }
}

fn from_file(
    source: SecretSource,
    path: &Path,
) -> Result<(SecretString, SecretSource), SecretError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(error) => {
            return Err(SecretError::Unreadable {
                source_name: source,
                error,
            })
        }
    };
    let s = trim_newline(text);
    if s.is_empty() {
        return Err(SecretError::Empty {
            source_name: source,
        });
    }
    Ok((SecretString::from(s), source))
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
    fn flag_file_wins_then_env_secret_then_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let flag = dir.path().join("flag");
        let env = dir.path().join("env");
        std::fs::write(&flag, "from-flag\n").unwrap();
        std::fs::write(&env, "from-env-file\r\n").unwrap();
        let env_os = || Some(env.clone().into_os_string());
        let cases = [
            (
                Some(flag.as_path()),
                Some("from-env"),
                env_os(),
                "from-flag",
            ),
            (None, Some("from-env"), env_os(), "from-env"),
            (None, None, env_os(), "from-env-file"),
            (None, Some(""), env_os(), "from-env-file"),
        ];
        for (f, s, e, want) in cases {
            let (got, source) = secret_from(f, s.map(String::from), e).unwrap();
            assert_eq!(got.expose_secret(), want);
            let named = source.to_string();
            match want {
                "from-flag" => assert!(named.contains("(--client-secret-file)"), "{named}"),
                "from-env" => assert_eq!(named, "the secret from COUPA_CLIENT_SECRET"),
                _ => assert!(named.contains("(COUPA_CLIENT_SECRET_FILE)"), "{named}"),
            }
        }
    }

    #[test]
    fn problems_name_the_source() {
        assert!(matches!(
            secret_from(None, None, None),
            Err(SecretError::Missing)
        ));
        let e = secret_from(Some(Path::new("/nonexistent/x")), None, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("/nonexistent/x (--client-secret-file)"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("empty");
        std::fs::write(&f, "\n").unwrap();
        let e = secret_from(None, None, Some(f.into_os_string())).unwrap_err();
        assert!(matches!(e, SecretError::Empty { .. }), "{e:?}");
        assert!(e.to_string().contains("COUPA_CLIENT_SECRET_FILE"), "{e}");
    }
}
