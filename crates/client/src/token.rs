//! The token endpoint's answer, trusted only as far as it is checked: a bearer token of
//! header-safe characters, and a lifetime read with a range (a hostile `expires_in` can
//! neither overflow a deadline nor pin a token forever).

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use super::wire::WireToken;

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
    if super::error::looks_like_html(body) {
        return Err(super::error::HTML_ANSWER.into());
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
        assert_eq!(e, super::super::error::HTML_ANSWER);
        let e = parse_token_answer(b"access_token=zzz-secret")
            .err()
            .unwrap();
        assert!(e.contains("not JSON") && !e.contains("zzz"), "{e}");
    }
}
