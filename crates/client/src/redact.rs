//! Removes the client secret and every issued access token from text quoted from a server
//! (an echoing proxy, a careless error page) before it reaches a message or a log line: raw,
//! form-encoded, percent-encoded, JSON-escaped, and inside the Base64 of HTTP Basic
//! `client_id:secret`.

use std::sync::RwLock;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// The secrets to hide, in every encoding they may be echoed in. `Debug` shows only a count.
pub(crate) struct Redactor {
    patterns: RwLock<Vec<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.patterns.read().map_or(0, |p| p.len());
        write!(f, "Redactor({n} patterns)")
    }
}

impl Redactor {
    /// Hides `secret`, and the Basic credentials `client_id:secret`.
    pub(crate) fn new(client_id: &str, secret: &str) -> Redactor {
        let r = Redactor {
            patterns: RwLock::new(Vec::new()),
        };
        r.add(secret);
        if !secret.is_empty() {
            let basic = format!("{client_id}:{secret}");
            let b = basic.as_bytes();
            r.extend(
                [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
                    .iter()
                    .map(|e| e.encode(b)),
            );
        }
        r
    }

    /// Hides `secret` (e.g. a token just issued) from now on.
    pub(crate) fn add(&self, secret: &str) {
        if !secret.is_empty() {
            self.extend(encodings(secret));
        }
    }

    fn extend(&self, new: impl IntoIterator<Item = String>) {
        let mut p = self.patterns.write().unwrap_or_else(|e| e.into_inner());
        for s in new {
            if !s.is_empty() && !p.contains(&s) {
                p.push(s);
            }
        }
        // Longest first, so an encoding that contains another is replaced whole.
        p.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let p = self.patterns.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for s in p.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }
}

/// The ways `s` may be written in an echoed request or a quoted body.
fn encodings(s: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
    let percent_upper: String = s
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let percent_lower: String = s
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02x}")
            }
        })
        .collect();
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let json_slashes = json.replace('/', "\\/");
    vec![
        s.to_string(),
        form.clone(),
        form.replace('+', "%20"),
        percent_upper,
        percent_lower,
        json,
        json_slashes,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "p@ss+w/rd=&x !%";

    #[test]
    fn every_encoding_of_the_secret_is_hidden() {
        let r = Redactor::new("my-client", SECRET);
        let basic = STANDARD.encode(format!("my-client:{SECRET}"));
        let texts = [
            format!("raw {SECRET} end"),
            "form client_secret=p%40ss%2Bw%2Frd%3D%26x+%21%25&scope=x".to_string(),
            "percent p%40ss%2Bw%2Frd%3D%26x%20%21%25 end".to_string(),
            "lower p%40ss%2bw%2frd%3d%26x%20%21%25 end".to_string(),
            r#"json {"s":"p@ss+w\/rd=&x !%"}"#.to_string(),
            format!("Authorization: Basic {basic}"),
            format!(
                "Basic {}",
                URL_SAFE_NO_PAD.encode(format!("my-client:{SECRET}"))
            ),
        ];
        for t in &texts {
            let out = r.redact(t);
            assert!(out.contains(REDACTED), "{t} -> {out}");
            for leak in ["p@ss", "ss+w", "p%40ss", "rd%3D", &basic[..basic.len() - 4]] {
                assert!(!out.contains(leak), "{t} -> {out} leaks {leak}");
            }
        }
        assert!(!format!("{r:?}").contains("ss"));
    }

    #[test]
    fn tokens_are_hidden_once_added() {
        let r = Redactor::new("id", "s3cret");
        assert_eq!(r.redact("tok-1 here"), "tok-1 here");
        r.add("tok-1");
        assert_eq!(r.redact("Bearer tok-1 here"), "Bearer [redacted] here");
        assert_eq!(r.redact("nothing"), "nothing");
        r.add("");
        assert_eq!(r.redact("nothing"), "nothing");
    }
}
