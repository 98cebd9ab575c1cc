//! Canonical JSON and its SHA-256: the bytes a receipt's digests are taken over.
//!
//! Canonical means: object keys sorted by their UTF-8 bytes, no whitespace, strings and numbers
//! written as serde_json writes them. Reformatting a receipt (indentation, key order, `\u00e9`
//! for `é`) keeps its digests; changing any value does not. Keys are sorted here rather than
//! relying on `serde_json::Map`'s order, which a workspace feature (`preserve_order`) changes.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as canonical JSON text.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write(v, out);
                }
            }
            out.push('}');
        }
        // Scalars as serde_json writes them (strings escaped, numbers exact).
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `sha256:<hex>` of `value`'s canonical JSON.
pub fn digest(value: &Value) -> String {
    sha256_text(&canonical(value))
}

/// `sha256:<hex>` of `text`'s UTF-8 bytes.
pub fn sha256_text(text: &str) -> String {
    sha256_bytes(text.as_bytes())
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{canonical, digest};

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v: serde_json::Value =
            serde_json::from_str("{ \"b\": [1, {\"z\": null, \"a\": \"\\u00e9\"}], \"a\": true }")
                .unwrap();
        assert_eq!(
            canonical(&v),
            "{\"a\":true,\"b\":[1,{\"a\":\"é\",\"z\":null}]}"
        );
    }

    #[test]
    fn any_value_change_changes_the_digest_and_formatting_does_not() {
        let a = json!({"user": "alice", "id": 12});
        let reformatted: serde_json::Value =
            serde_json::from_str("{\n  \"id\" : 12,\n  \"user\" : \"alice\"\n}").unwrap();
        assert_eq!(digest(&a), digest(&reformatted));
        assert_ne!(digest(&a), digest(&json!({"user": "alicf", "id": 12})));
        assert_ne!(digest(&a), digest(&json!({"user": "alice", "id": 13})));
        assert!(digest(&a).starts_with("sha256:") && digest(&a).len() == 71);
    }
}
