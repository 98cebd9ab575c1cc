//! Sealing a receipt (its digests) and checking one.
//!
//! A sealed receipt is the receipt's JSON with one more field, `integrity`:
//! `{ "algorithm": "sha256-canonical-json", "fields": { "<path>": "sha256:…" }, "digest":
//! "sha256:…" }`. `digest` covers the whole receipt but `integrity`; `fields` holds one digest
//! per top-level field, and one per element of `changes` and `restores` (`changes[3]`), so a
//! check names what was edited. Digests detect edits; they do not prove who wrote the file
//! (keep receipts where CI stores them: an artifact, a bucket with retention).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::canonical::digest;
use super::receipt::{Receipt, RECEIPT_FORMAT_VERSION, RECEIPT_KIND};

/// The name of the digest scheme, written in every receipt.
pub const ALGORITHM: &str = "sha256-canonical-json";

/// The `integrity` field of a sealed receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    pub algorithm: String,
    pub fields: BTreeMap<String, String>,
    pub digest: String,
}

/// Arrays whose elements get a digest each.
const PER_ELEMENT: &[&str] = &["changes", "restores"];

/// The sealed receipt as pretty JSON (ending in a newline).
pub fn seal(receipt: &Receipt) -> String {
    let mut value = serde_json::to_value(receipt).unwrap_or(Value::Null);
    let integrity = integrity_of(&value);
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "integrity".into(),
            serde_json::to_value(integrity).unwrap_or(Value::Null),
        );
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn integrity_of(content: &Value) -> Integrity {
    Integrity {
        algorithm: ALGORITHM.to_string(),
        fields: field_digests(content),
        digest: digest(content),
    }
}

fn field_digests(content: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(map) = content.as_object() else {
        return out;
    };
    for (key, value) in map {
        match value {
            Value::Array(items) if PER_ELEMENT.contains(&key.as_str()) => {
                out.insert(format!("{key}.length"), digest(&Value::from(items.len())));
                for (i, item) in items.iter().enumerate() {
                    out.insert(format!("{key}[{i}]"), digest(item));
                }
            }
            _ => {
                out.insert(key.clone(), digest(value));
            }
        }
    }
    out
}

/// Why a receipt failed its check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("it is not JSON: {message} (line {line}, column {column})")]
    NotJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("it is not a coupa-access apply receipt (no \"kind\": \"{RECEIPT_KIND}\")")]
    NotAReceipt,
    #[error("it has format_version {found}; this coupa-access reads format_version {RECEIPT_FORMAT_VERSION}")]
    UnsupportedVersion { found: String },
    #[error("it has no integrity section, so nothing proves it is unchanged")]
    NotSealed,
    #[error("it was edited: {}", .edits.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Edited { edits: Vec<Edit> },
    #[error("its digests match but its content is not a valid receipt: {0}")]
    Invalid(String),
}

/// One edited place, named by its field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The field's content does not match its digest.
    Changed { field: String, what: Option<String> },
    /// A field (or element) the sealed receipt did not have.
    Added { field: String },
    /// A field (or element) the sealed receipt had.
    Removed { field: String },
    /// The digests themselves were edited (the content matches the receipt's digest).
    DigestEdited { field: String },
}

impl std::fmt::Display for Edit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Edit::Changed {
                field,
                what: Some(what),
            } => write!(f, "`{field}` ({what}) does not match its digest"),
            Edit::Changed { field, what: None } => {
                write!(f, "`{field}` does not match its digest")
            }
            Edit::Added { field } => write!(f, "`{field}` was not in the sealed receipt"),
            Edit::Removed { field } => write!(f, "`{field}` was removed"),
            Edit::DigestEdited { field } => write!(
                f,
                "the digest `integrity.{field}` was edited (the content matches the receipt digest)"
            ),
        }
    }
}

impl Edit {
    /// The field path the edit is in.
    pub fn field(&self) -> &str {
        match self {
            Edit::Changed { field, .. }
            | Edit::Added { field }
            | Edit::Removed { field }
            | Edit::DigestEdited { field } => field,
        }
    }
}

/// Checks a receipt file's text: JSON, a receipt, sealed, every digest matching; then reads it.
pub fn verify(text: &str) -> Result<Receipt, ReceiptError> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| ReceiptError::NotJson {
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })?;
    let Some(map) = value.as_object_mut() else {
        return Err(ReceiptError::NotAReceipt);
    };
    if map.get("kind").and_then(Value::as_str) != Some(RECEIPT_KIND) {
        return Err(ReceiptError::NotAReceipt);
    }
    match map.get("format_version") {
        Some(v) if v.as_u64() == Some(RECEIPT_FORMAT_VERSION as u64) => {}
        other => {
            return Err(ReceiptError::UnsupportedVersion {
                found: other.map_or_else(|| "none".into(), ToString::to_string),
            })
        }
    }
    let integrity = map.remove("integrity").ok_or(ReceiptError::NotSealed)?;
    let integrity: Integrity = match serde_json::from_value(integrity) {
        Ok(i) => i,
        Err(e) => {
            return Err(ReceiptError::Edited {
                edits: vec![Edit::Changed {
                    field: "integrity".into(),
                    what: Some(e.to_string()),
                }],
            })
        }
    };
    let edits = compare(&value, &integrity);
    if !edits.is_empty() {
        return Err(ReceiptError::Edited { edits });
    }
    serde_json::from_value(value).map_err(|e| ReceiptError::Invalid(e.to_string()))
}

/// Every difference between `content` and what `integrity` sealed.
fn compare(content: &Value, integrity: &Integrity) -> Vec<Edit> {
    let mut edits = Vec::new();
    if integrity.algorithm != ALGORITHM {
        edits.push(Edit::DigestEdited {
            field: "algorithm".into(),
        });
    }
    let whole_matches = digest(content) == integrity.digest;
    let now = field_digests(content);
    for (field, sealed) in &integrity.fields {
        match now.get(field) {
            None => edits.push(Edit::Removed {
                field: field.clone(),
            }),
            Some(d) if d == sealed => {}
            Some(_) if whole_matches => edits.push(Edit::DigestEdited {
                field: format!("fields.{field}"),
            }),
            Some(_) => edits.push(Edit::Changed {
                field: field.clone(),
                what: describe(content, field),
            }),
        }
    }
    for field in now.keys() {
        if !integrity.fields.contains_key(field) {
            edits.push(Edit::Added {
                field: field.clone(),
            });
        }
    }
    if edits.is_empty() && !whole_matches {
        edits.push(Edit::DigestEdited {
            field: "digest".into(),
        });
    }
    // `changes.length` says only that elements were added or removed; they are named too.
    if edits.len() > 1 {
        edits.retain(|e| !e.field().ends_with(".length"));
    }
    edits
}

/// `add alice to group "AP Clerks"` for `changes[3]`, so an auditor sees which change.
fn describe(content: &Value, field: &str) -> Option<String> {
    let (array, rest) = field.split_once('[')?;
    let index: usize = rest.strip_suffix(']')?.parse().ok()?;
    let item = content.get(array)?.get(index)?;
    let text = |k: &str| {
        item.get(k)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    match array {
        "changes" => Some(format!(
            "{} {} {} {} \"{}\"",
            text("action"),
            text("user"),
            if text("action") == "add" {
                "to"
            } else {
                "from"
            },
            text("kind"),
            text("target")
        )),
        _ => None,
    }
}
