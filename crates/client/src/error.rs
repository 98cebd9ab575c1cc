//! Errors at the client's boundary. Every message says what to do next, and none ever holds
//! the client secret or a bearer token (they live only in `secrecy` types).

use coupa_access_core::render::printable_str;

use super::redact::Redactor;

/// Where to grant scopes, quoted in every "missing scope" message.
pub(crate) const SCOPE_HELP: &str = "Coupa Setup > Integrations > OAuth2/OpenID Connect Clients";

/// A problem with how the connection was configured (domain, client id).
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    /// The domain could not be read as a Coupa instance address.
    #[error("invalid Coupa domain `{input}`: {reason} (expected an instance address such as https://acme.coupahost.com)")]
    InvalidDomain { input: String, reason: String },
    /// `http://` for a host other than this machine.
    #[error("refusing plain http for `{input}`: Coupa must be reached over https:// (http:// is only accepted for loopback hosts such as the local sandbox)")]
    InsecureScheme { input: String },
    /// No client id.
    #[error("no OAuth2 client id given")]
    MissingClientId,
}

/// A failure talking to Coupa.
#[derive(thiserror::Error, Debug)]
pub enum CoupaError {
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// The token endpoint rejected the client id or secret.
    #[error("Coupa rejected the OAuth2 client credentials at {domain}/oauth2/token (HTTP {status}{detail}): the client id or secret is wrong, or the client is not active on this instance")]
    BadCredentials {
        domain: String,
        status: u16,
        detail: String,
    },

    /// The token endpoint refused a scope (`invalid_scope`). `scopes` are the refused ones when
    /// `named` (the answer named them, or asking for each alone found them); otherwise every
    /// scope requested, one of which was refused.
    #[error(
        "the OAuth2 client may not request {} {scopes} (token endpoint said: {detail}): grant it to the client in {help}",
        if *named { "scope" } else { "one of the scopes" },
        help = SCOPE_HELP
    )]
    ScopeNotGranted {
        scopes: String,
        detail: String,
        named: bool,
    },

    /// Any other token endpoint failure.
    #[error("getting an OAuth2 token from {domain}/oauth2/token failed: {detail}")]
    TokenEndpoint { domain: String, detail: String },

    /// A bearer token was rejected even after fetching a fresh one. Some servers answer 401,
    /// not 403, for a missing scope, so the scope the endpoint needs is named too.
    #[error("Coupa answered 401 Unauthorized to {method} {path} even with a freshly issued token, after its warm-up: the OAuth2 client may lack scope `{scope}` (grant it in {help}), be inactive, or the token comes from another instance", help = SCOPE_HELP)]
    Unauthorized {
        method: String,
        path: String,
        scope: String,
    },

    /// 403: the token lacks the scope this endpoint needs.
    #[error("Coupa answered 403 Forbidden to {method} {path}: the OAuth2 client needs scope `{scope}`; grant it in {help}, then run again{detail}", help = SCOPE_HELP)]
    Forbidden {
        method: String,
        path: String,
        scope: String,
        detail: String,
    },

    /// 4xx with (usually) Coupa's `{"errors": {...}}` body.
    #[error("Coupa rejected {method} {path} (HTTP {status}): {detail}")]
    Rejected {
        method: String,
        path: String,
        status: u16,
        detail: String,
    },

    /// A retryable failure (429, 5xx) that did not clear within the retry budget.
    #[error("{method} {path} still failed after {retries} retries (last answer HTTP {status}{detail}); nothing partial was used — try again later, or lower the request rate")]
    RetriesExhausted {
        method: String,
        path: String,
        retries: u32,
        status: u16,
        detail: String,
    },

    /// Network failure or timeout that did not clear within the retry budget.
    #[error("{method} {path} failed after {retries} retries: {detail}")]
    Transport {
        method: String,
        path: String,
        retries: u32,
        detail: String,
    },

    /// A success answer whose body could not be understood.
    #[error("unexpected answer to {method} {path}: {detail}")]
    Decode {
        method: String,
        path: String,
        detail: String,
    },

    /// DELETE of a membership answered 405, or another refusal (400, 403, 404, 409, 422) for
    /// a membership that a re-read shows is still there. `detail` is what Coupa said, if
    /// anything (` (Coupa said: …)`).
    #[error("{}", delete_refused(*membership_id, *status, detail))]
    DeleteRefused {
        membership_id: u64,
        status: u16,
        detail: String,
    },

    /// A write whose outcome could not be established: even the check failed.
    #[error("could not confirm {what}: {detail}; check it in Coupa before running apply again")]
    WriteUnconfirmed { what: String, detail: String },

    /// A write that never got an answer, and that a read made right after the last attempt
    /// shows did not happen: Coupa's state is known, the change just was not made.
    #[error("{what} did not take effect: {attempts} attempts got no answer (last: {detail}), and Coupa, read right after the last one, shows it not done")]
    WriteNotTaken {
        what: String,
        attempts: u32,
        detail: String,
    },

    /// The run's time limit ([`ClientOptions::deadline`](crate::ClientOptions::deadline))
    /// passed while a request was under way or waiting.
    #[error("stopped {method} {path}: the run's time limit of {}s was reached", limit.as_secs_f64())]
    DeadlineExceeded {
        method: String,
        path: String,
        limit: std::time::Duration,
    },

    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),

    /// The records read could not be kept where the caller asked (a spool file on a full
    /// disk, say): the read stops, and nothing partial is used.
    #[error("could not keep the records read: {detail}")]
    Spool { detail: String },
}

impl CoupaError {
    /// A [`Spool`](crate::Spool) failure.
    pub(crate) fn spool(detail: String) -> CoupaError {
        CoupaError::Spool { detail }
    }

    /// True when Coupa refused a membership DELETE (405, or another refusal for a membership
    /// that still exists): the tenant does not allow membership deletion.
    pub fn is_delete_refused(&self) -> bool {
        matches!(self, CoupaError::DeleteRefused { .. })
    }
}

/// [`CoupaError::DeleteRefused`]'s message. A 403 is also how a client without
/// `core.user_group.write` is refused, so that answer names the scope first.
fn delete_refused(membership_id: u64, status: u16, detail: &str) -> String {
    let reread = if status == 405 {
        ""
    } else {
        ", and a re-read shows the membership still there"
    };
    let why = if status == 403 {
        format!(
            "the OAuth2 client may lack scope `core.user_group.write` (grant it in {SCOPE_HELP}, then run again), or this tenant does not allow deleting group memberships through the API for this client; if the client has the scope, remove it in the Coupa UI, or ask Coupa support to enable membership deletion for the API"
        )
    } else {
        "this tenant does not allow deleting group memberships through the API (for this OAuth2 client); remove it in the Coupa UI, or ask Coupa support to enable membership deletion for the API".to_string()
    };
    format!(
        "Coupa refused to delete group membership {membership_id} (DELETE /api/user_group_memberships/{membership_id} answered HTTP {status}{detail}{reread}): {why}"
    )
}

/// What replaces an HTML body in messages: a login or error page, not Coupa's API.
pub(crate) const HTML_ANSWER: &str =
    "the server answered HTML, not Coupa's JSON API — is the domain right?";

/// The most characters of server text quoted in a message.
const QUOTE_MAX: usize = 300;

/// Server text beyond this many characters is dropped before redaction: it would be cut from
/// the message anyway, and reading it for secrets in every encoding costs time. Dropping first
/// is safe: whatever is kept is read whole.
const READ_MAX: usize = 4 * 1024;

/// Formats an error body for a message: Coupa's `{"errors": {...}}` as `field: message; ...`,
/// an OAuth2 error as `error: description`, HTML as [`HTML_ANSWER`], anything else trimmed.
/// Secrets are redacted from the whole text first, then control characters are made visible,
/// and only then is it shortened — so a cut never leaves part of a secret behind.
pub(crate) fn describe_body(body: &[u8], redactor: &Redactor) -> String {
    quote(&raw_description(body), redactor)
}

/// Server text for a message (a transport error, a decode error): redacted, printable, short.
pub(crate) fn quote(text: &str, redactor: &Redactor) -> String {
    quote_max(text, redactor, QUOTE_MAX)
}

/// [`quote`] cut to `max` characters.
pub(crate) fn quote_max(text: &str, redactor: &Redactor, max: usize) -> String {
    let head = match text.char_indices().nth(READ_MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let mut out = shorten(&printable_str(&redactor.redact(head)), max);
    if head.len() < text.len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

fn raw_description(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(errs) = v.get("errors") {
            return describe_errors(errs);
        }
        if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
            return match v.get("error_description").and_then(|d| d.as_str()) {
                Some(d) => format!("{e}: {d}"),
                None => e.to_string(),
            };
        }
    }
    if looks_like_html(body) {
        return HTML_ANSWER.into();
    }
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    if t.is_empty() {
        return "(empty body)".into();
    }
    t.to_string()
}

/// An HTML page (a login page, a proxy's error page), judged by its first kilobyte.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with('<') && (head.contains("<html") || head.starts_with("<!doctype html"))
}

fn describe_errors(errs: &serde_json::Value) -> String {
    match errs {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", describe_errors(v)))
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::Value::Array(items) => items
            .iter()
            .map(describe_errors)
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(body: &[u8]) -> String {
        describe_body(body, &Redactor::new("s3cret-value"))
    }

    #[test]
    fn quoted_text_is_redacted_before_it_is_cut_and_cleaned() {
        // The secret straddles the cut: redacting after cutting would leave most of it.
        let body = format!("{}s3cret-value and more", "x".repeat(QUOTE_MAX - 5));
        let d = describe(body.as_bytes());
        assert!(!d.contains("s3cret"), "{d}");
        assert!(d.ends_with('…'), "{d}");
        let d = describe(b"bad\x1b[31mred\x07 s3cret-value");
        assert!(!d.contains('\x1b') && !d.contains('\x07'), "{d:?}");
        assert!(d.contains("[redacted]"), "{d}");
        let d =
            describe(br#"{"error":"invalid_client","error_description":"s3cret-value is wrong"}"#);
        assert_eq!(d, "invalid_client: [redacted] is wrong");
    }

    #[test]
    fn html_is_summarised_not_dumped() {
        for body in [
            &b"<!DOCTYPE html><html><body>Sign in</body></html>"[..],
            b"  <html><head><title>503</title></head></html>",
            b"\xef\xbb\xbf<HTML>x</HTML>",
        ] {
            assert_eq!(describe(body), HTML_ANSWER);
        }
        assert_eq!(
            describe(b"<?xml version=\"1.0\"?><errors/>"),
            "<?xml version=\"1.0\"?><errors/>"
        );
    }

    #[test]
    fn coupa_errors_body_is_readable() {
        let b = br#"{"errors": {"user": ["Login has already been taken", "Email is invalid"]}}"#;
        assert_eq!(
            describe(b),
            "user: Login has already been taken, Email is invalid"
        );
        let b = br#"{"error":"invalid_scope","error_description":"bad scope x"}"#;
        assert_eq!(describe(b), "invalid_scope: bad scope x");
        assert_eq!(describe(b"  "), "(empty body)");
    }
}
