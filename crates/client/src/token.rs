//! The token endpoint's answer, trusted only as far as it is checked: a bearer token of
//! header-safe characters, and a lifetime read with a range (a hostile `expires_in` can
//! neither overflow a deadline nor pin a token forever). A refusal is quoted only as far as
//! OAuth2 defines it (`error`, `error_description`): the rest of a token endpoint's body may
//! echo the request, which holds the client secret.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use super::error::{looks_like_html, quote_max, HTML_ANSWER};
use super::redact::Redactor;
use super::wire::WireToken;

/// The most characters quoted of a refusal's `error` code and of its `error_description`.
const CODE_MAX: usize = 60;
const DESCRIPTION_MAX: usize = 240;

/// A refusal from the token endpoint, as far as it may be quoted.
pub(crate) struct Refusal {
    /// OAuth2's `error` code, as sent: compared with known codes, never shown as it is.
    pub code: Option<String>,
    /// `error: error_description`, each redacted and cut short; or what the body is, without
    /// quoting it.
    pub detail: String,
}

/// Reads a non-success token answer: only OAuth2's `error` and `error_description` strings
/// are quoted (redacted); any other body is described, not quoted.
pub(crate) fn describe_refusal(body: &[u8], redactor: &Redactor) -> Refusal {
    let json = serde_json::from_slice::<Value>(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|v| v.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if let Some(code) = field("error") {
        let mut detail = quote_max(&code, redactor, CODE_MAX);
        if let Some(d) = field("error_description").filter(|d| !d.trim().is_empty()) {
            detail.push_str(": ");
            detail.push_str(&quote_max(&d, redactor, DESCRIPTION_MAX));
        }
        return Refusal {
            code: Some(code),
            detail,
        };
    }
    let detail = if looks_like_html(body) {
        HTML_ANSWER.to_string()
    } else if body.iter().all(u8::is_ascii_whitespace) {
        "(empty body)".to_string()
    } else {
        format!(
            "an answer of {} bytes that is not an OAuth2 error (not quoted: a token endpoint's answer may echo the request, which holds the client secret)",
            body.len()
        )
    };
    Refusal { code: None, detail }
}

/// Lifetime assumed when the answer gives none (Coupa's own is a day).
pub(crate) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest lifetime believed; Coupa issues 86399 s and advises renewing within 20 h.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(86_400);
/// The shortest lifetime believed: a token "expiring" at once (0, or negative) would mean a
/// token request before every call; if it really expired, Coupa's 401 replaces it.
pub(crate) const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// A checked token answer.
pub(crate) struct TokenAnswer {
    pub token: SecretString,
    /// Between [`MIN_LIFETIME`] and [`MAX_LIFETIME`].
    pub expires_in: Duration,
}

/// Reads a 2xx token answer. The error says what is wrong without quoting the token.
pub(crate) fn parse_token_answer(body: &[u8]) -> Result<TokenAnswer, String> {
    if looks_like_html(body) {
        return Err(HTML_ANSWER.into());
    }
    let wire: WireToken = serde_json::from_slice(body).map_err(|e| {
        // Only the category and position: serde's message may quote a value.
        let what = match e.classify() {
            serde_json::error::Category::Data => "wrong or missing fields",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON",
            serde_json::error::Category::Io => "unreadable",
        };
        format!(
            "the answer is not an OAuth2 token response ({what}, at line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    check_type(wire.token_type.as_ref())?;
    if wire.access_token.is_empty() {
        return Err("the answer holds an empty access_token".into());
    }
    if !wire.access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the access_token holds characters not allowed in an HTTP header".into());
    }
    Ok(TokenAnswer {
        token: SecretString::from(wire.access_token),
        expires_in: lifetime(wire.expires_in.as_ref()),
    })
}

/// `token_type` must be `bearer` (any case) when given.
fn check_type(t: Option<&Value>) -> Result<(), String> {
    match t {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("bearer") => Ok(()),
        Some(other) => {
            let shown = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            let shown: String = coupa_access_core::render::printable_str(&shown)
                .chars()
                .take(40)
                .collect();
            Err(format!(
                "the token endpoint issued a token of type `{shown}`, not a bearer token (the only kind Coupa's API accepts)"
            ))
        }
    }
}

/// `expires_in` as a lifetime: a number or numeric string of seconds, clamped to
/// [MIN_LIFETIME, MAX_LIFETIME]; absent or unreadable means [`DEFAULT_LIFETIME`].
fn lifetime(v: Option<&Value>) -> Duration {
    let secs = match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) if s.is_finite() => {
            let s = s.clamp(MIN_LIFETIME.as_secs_f64(), MAX_LIFETIME.as_secs_f64());
            Duration::from_secs(s as u64)
        }
        _ => DEFAULT_LIFETIME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    fn parse(v: Value) -> Result<TokenAnswer, String> {
        parse_token_answer(v.to_string().as_bytes())
    }

    #[test]
    fn lifetimes_are_range_checked() {
        let cases = [
            (json!(86399), 86399),
            (json!("86399"), 86399),
            (json!(0), 60),
            (json!(-5), 60),
            (json!(30.7), 60),
            (json!(600.7), 600),
            (json!(u64::MAX), 86_400),
            (json!(9.3e300), 86_400),
            (json!("1e999"), 3600),
            (json!("soon"), 3600),
            (json!(true), 3600),
            (json!(null), 3600),
            (json!({"s": 1}), 3600),
        ];
        for (v, want) in cases {
            let t = parse(json!({"access_token": "abc", "expires_in": v})).unwrap();
            assert_eq!(t.expires_in, Duration::from_secs(want), "{v}");
        }
        let t = parse(json!({"access_token": "abc"})).unwrap();
        assert_eq!(t.expires_in, DEFAULT_LIFETIME);
        assert_eq!(t.token.expose_secret(), "abc");
    }

    #[test]
    fn only_bearer_tokens_are_accepted() {
        for ok in [
            json!("bearer"),
            json!("Bearer"),
            json!(" BEARER "),
            json!(null),
        ] {
            assert!(
                parse(json!({"access_token": "abc", "token_type": ok})).is_ok(),
                "{ok}"
            );
        }
        for bad in [json!("mac"), json!("DPoP"), json!(""), json!(7)] {
            let e = parse(json!({"access_token": "abc", "token_type": bad}))
                .err()
                .unwrap();
            assert!(e.contains("not a bearer token"), "{e}");
        }
    }

    #[test]
    fn bad_answers_say_why_without_quoting_the_token() {
        let cases = [
            (json!({"access_token": ""}), "empty access_token"),
            (
                json!({"access_token": "a b"}),
                "not allowed in an HTTP header",
            ),
            (
                json!({"access_token": "tok\u{7}"}),
                "not allowed in an HTTP header",
            ),
            (
                json!({"token": "zzz-secret"}),
                "not an OAuth2 token response",
            ),
            (json!({"access_token": 5}), "not an OAuth2 token response"),
        ];
        for (v, want) in cases {
            let e = parse(v.clone()).err().unwrap();
            assert!(e.contains(want), "{v}: {e}");
            assert!(!e.contains("zzz-secret"), "{e}");
        }
        let e = parse_token_answer(b"<html>").err().unwrap();
        assert_eq!(e, HTML_ANSWER);
        let e = parse_token_answer(b"access_token=zzz-secret")
            .err()
            .unwrap();
        assert!(e.contains("not JSON") && !e.contains("zzz"), "{e}");
    }

    #[test]
    fn refusals_quote_only_the_oauth2_fields_redacted() {
        let r = Redactor::new("zz-Client-Secret-9f8e7d");
        let body = json!({
            "error": "invalid_client",
            "error_description": "secret zz-Client-Secret-9f8e7d is wrong",
            "echo": "client_secret=zz-Client-Secret-9f8e7d&other=visible-elsewhere",
        });
        let got = describe_refusal(body.to_string().as_bytes(), &r);
        assert_eq!(got.code.as_deref(), Some("invalid_client"));
        assert_eq!(got.detail, "invalid_client: secret [redacted] is wrong");
        // Not OAuth2 JSON: described, not quoted, however it is encoded.
        for body in [
            &b"request echo: client_secret=zz-Client-Secret-9f8e7d"[..],
            b"{\"message\": \"visible-elsewhere\"}",
            b"\x00\xff binary",
        ] {
            let got = describe_refusal(body, &r);
            assert!(got.code.is_none());
            assert!(got.detail.contains("not quoted"), "{}", got.detail);
            assert!(!got.detail.contains("zz-") && !got.detail.contains("visible"));
        }
        assert_eq!(describe_refusal(b" ", &r).detail, "(empty body)");
        assert_eq!(describe_refusal(b"<html></html>", &r).detail, HTML_ANSWER);
        // The fields themselves are capped.
        let long = json!({"error": "x".repeat(500), "error_description": "y".repeat(5000)});
        let got = describe_refusal(long.to_string().as_bytes(), &r);
        assert!(
            got.detail.chars().count() <= CODE_MAX + DESCRIPTION_MAX + 4,
            "{}",
            got.detail
        );
    }
}
