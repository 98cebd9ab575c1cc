//! Property tests: what the server sends — headers, token answers, pages, error bodies — is
//! parsed without a panic whatever it holds, and every parsed number stays in its range.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use super::error::describe_body;
use super::read::decode_page;
use super::redact::Redactor;
use super::retry::{parse_retry_after, RETRY_AFTER_CAP};
use super::token::{parse_token_answer, MAX_LIFETIME, MIN_LIFETIME};
use super::wire::{WireMembership, WireRole, WireUser, WireUserGroup};

/// JSON-ish text: mostly valid JSON values of the shapes the client reads, sometimes broken.
fn jsonish() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        "[a-z0-9 \\-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("1e999".to_string()),
        Just("-0".to_string()),
    ];
    let keys = prop_oneof![
        Just("id"),
        Just("login"),
        Just("user-id"),
        Just("user-group-id"),
        Just("roles"),
        Just("access_token"),
        Just("expires_in"),
        Just("token_type"),
        Just("errors"),
        Just("error"),
        Just("type"),
        Just("active"),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

proptest! {
    #[test]
    fn retry_after_never_panics_and_stays_capped(v in ".*", secs in any::<u64>()) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs % (1 << 40));
        if let Some(d) = parse_retry_after(&v, now) {
            prop_assert!(d <= RETRY_AFTER_CAP);
        }
        let d = parse_retry_after(&secs.to_string(), now).unwrap();
        prop_assert_eq!(d, Duration::from_secs(secs).min(RETRY_AFTER_CAP));
    }

    #[test]
    fn token_answers_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_token_answer(&body);
    }

    #[test]
    fn token_lifetimes_stay_in_range(json in jsonish(), token in "[A-Za-z0-9]{1,20}") {
        let body = format!("{{\"access_token\":\"{token}\",\"expires_in\":{json}}}");
        if let Ok(t) = parse_token_answer(body.as_bytes()) {
            prop_assert!(t.expires_in <= MAX_LIFETIME && t.expires_in >= MIN_LIFETIME);
            // A deadline computed from it never overflows.
            let _ = tokio::time::Instant::now() + t.expires_in;
        }
        let _ = parse_token_answer(json.as_bytes());
    }

    #[test]
    fn pages_never_panic(json in jsonish(), bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        for body in [json.as_bytes(), &bytes[..]] {
            if let Ok(users) = decode_page::<Vec<WireUser>>(body) {
                for u in users { let _ = super::convert::user(u); }
            }
            if let Ok(ms) = decode_page::<Vec<WireMembership>>(body) {
                for m in ms { let _ = super::convert::membership(m); }
            }
            if let Ok(gs) = decode_page::<Vec<WireUserGroup>>(body) {
                for g in gs { let _ = super::convert::group(g); }
            }
            if let Ok(rs) = decode_page::<Vec<WireRole>>(body) {
                for r in rs { let _ = super::convert::role(r); }
            }
        }
    }

    #[test]
    fn error_bodies_never_panic_or_leak(json in jsonish(), text in ".{0,400}") {
        let r = Redactor::new("p@ss+w/rd=&x !%");
        for body in [json, format!("{text}p@ss+w/rd=&x !%{text}")] {
            let d = describe_body(body.as_bytes(), &r);
            prop_assert!(!d.contains("p@ss+w/rd"), "{}", d);
            prop_assert!(d.chars().count() <= 301);
            prop_assert!(!d.chars().any(|c| c.is_control()));
        }
    }
}
