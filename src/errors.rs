//! Client errors as diagnostics: the client states facts; here each one gets a code and a help
//! that names the flags and environment variables to change (the client knows none of them).

use std::fmt;

use coupa_access_client::{ConfigError, CoupaError};

use crate::codes::ErrorCode;
use crate::secret::{self, SecretSource};

/// Where OAuth2 clients and their scopes are managed in Coupa.
const COUPA_CLIENTS: &str = "Coupa Setup > Integrations > OAuth2/OpenID Connect Clients";

/// A client error with what to do about it.
#[derive(Debug)]
pub struct ClientDiagnostic {
    message: String,
    code: ErrorCode,
    help: String,
}

impl fmt::Display for ClientDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientDiagnostic {}

impl miette::Diagnostic for ClientDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

/// The diagnostic for `e`, naming the secret's source when it was refused.
pub fn diagnose(e: &CoupaError) -> ClientDiagnostic {
    diagnose_with(e, secret::remembered())
}

/// A `miette::Report` of `e`, for `?` in commands.
pub fn report(e: CoupaError) -> miette::Report {
    miette::Report::new(diagnose(&e))
}

/// A `miette::Report` of a connection setting error.
pub fn report_config(e: ConfigError) -> miette::Report {
    report(CoupaError::Config(e))
}

const DOMAIN: &str =
    "check --domain (COUPA_DOMAIN): it should be your instance, e.g. https://acme.coupahost.com";

/// [`diagnose`] with the secret's source passed in, so it can be tested.
pub fn diagnose_with(e: &CoupaError, source: Option<&SecretSource>) -> ClientDiagnostic {
    let secret = source.map_or_else(
        || "the client secret (COUPA_CLIENT_SECRET, --client-secret-file or COUPA_CLIENT_SECRET_FILE)".to_string(),
        |s| s.to_string(),
    );
    let (code, help) = match e {
        CoupaError::Config(ConfigError::InvalidDomain { .. }) => (
            ErrorCode::DomainInvalid,
            "pass --domain https://YOUR-ORG.coupahost.com or set COUPA_DOMAIN (a URL pasted from the browser is fine)".to_string(),
        ),
        CoupaError::Config(ConfigError::InsecureScheme { .. }) => (
            ErrorCode::DomainInsecure,
            "give --domain (COUPA_DOMAIN) as https://…".to_string(),
        ),
        CoupaError::Config(ConfigError::MissingClientId) => (
            ErrorCode::ClientIdMissing,
            format!("pass --client-id or set COUPA_CLIENT_ID (from {COUPA_CLIENTS})"),
        ),
        CoupaError::BadCredentials { .. } => (
            ErrorCode::BadCredentials,
            format!("check the client id (--client-id / COUPA_CLIENT_ID) and {secret} against the client in {COUPA_CLIENTS}; and that --domain (COUPA_DOMAIN) is the instance the client belongs to"),
        ),
        CoupaError::ScopeNotGranted { scopes, .. } => (
            ErrorCode::ScopeNotGranted,
            if scopes.contains(coupa_access_client::wire::ROLES_SCOPE) {
                // Only roles need it: the commands that need no roles do not ask for it.
                format!("grant the scope to the OAuth2 client in {COUPA_CLIENTS}, then run again; `snapshot --no-roles` takes a snapshot without roles (and without the scope)")
            } else {
                format!("grant the scope to the OAuth2 client in {COUPA_CLIENTS}, then run again")
            },
        ),
        CoupaError::TokenEndpoint { .. } => (
            ErrorCode::TokenEndpoint,
            format!("{DOMAIN}; and check the network path to it"),
        ),
        CoupaError::Unauthorized { .. } => (
            ErrorCode::Unauthorized,
            format!("check that the OAuth2 client (--client-id / COUPA_CLIENT_ID) is active and holds the scope named above in {COUPA_CLIENTS}, and that --domain (COUPA_DOMAIN) is the instance that issued the token"),
        ),
        CoupaError::Forbidden { .. } => (
            ErrorCode::Forbidden,
            format!("grant the named scope to the OAuth2 client in {COUPA_CLIENTS}, then run again"),
        ),
        CoupaError::Rejected { status, .. } if (300..400).contains(status) || *status == 404 => {
            (ErrorCode::NotCoupa, DOMAIN.to_string())
        }
        CoupaError::Rejected { .. } => (
            ErrorCode::Rejected,
            "Coupa refused the request as sent; what it said is quoted above".to_string(),
        ),
        CoupaError::RetriesExhausted { .. } => (
            ErrorCode::RetriesExhausted,
            "nothing partial was used; try again later, or lower --rate-limit and --burst".to_string(),
        ),
        CoupaError::Transport { .. } => (
            ErrorCode::Unreachable,
            format!("{DOMAIN}; and check the network path to it"),
        ),
        // A GraphQL read forced by --read-path graphql that did not prove itself.
        CoupaError::Decode { path, .. } if path == "/api/graphql" => (
            ErrorCode::UnexpectedAnswer,
            "use --read-path auto (GraphQL when it proves itself, REST otherwise) or --read-path rest".to_string(),
        ),
        CoupaError::Decode { .. } => (ErrorCode::UnexpectedAnswer, DOMAIN.to_string()),
        CoupaError::DeleteRefused { .. } => (
            ErrorCode::DeleteRefused,
            format!("after a 403, first check that the OAuth2 client holds core.user_group.write in {COUPA_CLIENTS}; otherwise remove the membership in the Coupa UI, or ask Coupa support to enable membership deletion for the API"),
        ),
        CoupaError::WriteNotTaken { .. } => (
            ErrorCode::WriteNotTaken,
            "Coupa is answering reads but not this write; nothing else in this step was changed: run apply again later (it re-reads Coupa first)".to_string(),
        ),
        CoupaError::WriteUnconfirmed { .. } => (
            ErrorCode::WriteUnconfirmed,
            format!(
                "read the group in Coupa (or run `{}`) before running apply again",
                crate::cli_words::cli_words().plan
            ),
        ),
        CoupaError::DeadlineExceeded { .. } => (
            ErrorCode::Deadline,
            "nothing partial was used; run again when Coupa answers faster, or allow more time with --deadline SECONDS".to_string(),
        ),
        CoupaError::Setup(_) => (
            ErrorCode::ClientSetup,
            "run again with -v for details".to_string(),
        ),
        CoupaError::Spool { .. } => (
            ErrorCode::Other,
            "check the free space and permissions of the output file's folder; nothing was written".to_string(),
        ),
    };
    ClientDiagnostic {
        message: e.to_string(),
        code,
        help,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::Diagnostic;
    use std::path::PathBuf;

    #[test]
    fn a_refused_secret_is_named_by_its_source() {
        let e = CoupaError::BadCredentials {
            domain: "https://acme.coupahost.com".into(),
            status: 401,
            detail: ": invalid_client".into(),
        };
        let d = diagnose_with(&e, Some(&SecretSource::FlagFile(PathBuf::from("/x"))));
        let help = d.help().unwrap().to_string();
        assert!(
            help.contains("the secret from the file /x (--client-secret-file)"),
            "{help}"
        );
        assert!(help.contains("--client-id"), "{help}");
        assert_eq!(
            d.code().unwrap().to_string(),
            "coupa_access::auth::bad_credentials"
        );
        let d = diagnose_with(&e, Some(&SecretSource::EnvSecret));
        assert!(d
            .help()
            .unwrap()
            .to_string()
            .contains("COUPA_CLIENT_SECRET"));
    }
}
