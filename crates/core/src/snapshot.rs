//! The snapshot file (`coupa-access snapshot`): live state plus where and when it was read.
//!
//! ```json
//! { "format_version": 1, "kind": "snapshot", "domain": "https://acme.coupahost.com",
//!   "taken_at": "2026-01-01T00:00:00Z", "tool_version": "0.1.0",
//!   "users": [...], "groups": [...], "projects": [...], "roles": [...], "memberships": [...] }
//! ```
//! The live data sits at the top level beside the metadata, so a bare `Live` JSON — what
//! earlier versions wrote, and the sandbox's tenant files — still loads (with no metadata).

use serde::{Deserialize, Serialize};

use crate::model::Live;

/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// Where and when a snapshot was taken. Every field is `None` for a bare `Live` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub format_version: Option<u32>,
    /// The instance read (`https://acme.coupahost.com`), as the client reported it.
    pub domain: Option<String>,
    /// RFC 3339.
    pub taken_at: Option<String>,
    pub tool_version: Option<String>,
}

/// Why a snapshot file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("not a snapshot: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("snapshot format_version {found} is not one this build reads (it reads {SNAPSHOT_FORMAT_VERSION})")]
    Version { found: u64 },
    #[error("`{key}` must be a string")]
    BadMeta { key: &'static str },
}

#[derive(Serialize)]
struct Written<'a> {
    format_version: u32,
    kind: &'static str,
    domain: &'a str,
    taken_at: &'a str,
    tool_version: &'a str,
    #[serde(flatten)]
    live: &'a Live,
}

/// The snapshot JSON (pretty, ending in a newline) for `live` read from `domain` at `taken_at`.
pub fn to_json(live: &Live, domain: &str, taken_at: &str) -> String {
    let written = Written {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kind: "snapshot",
        domain,
        taken_at,
        tool_version: env!("CARGO_PKG_VERSION"),
        live,
    };
    let mut json = serde_json::to_string_pretty(&written).unwrap_or_default();
    json.push('\n');
    json
}

/// Reads a snapshot, or a bare `Live` JSON (whose metadata are then all `None`).
pub fn from_json(text: &str) -> Result<(Live, SnapshotMeta), SnapshotError> {
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(SnapshotError::Json)?;
    let mut meta = SnapshotMeta::default();
    if let Some(obj) = value.as_object_mut() {
        if let Some(v) = obj.remove("format_version") {
            let found = v.as_u64().unwrap_or(u64::MAX);
            if found != u64::from(SNAPSHOT_FORMAT_VERSION) {
                return Err(SnapshotError::Version { found });
            }
            meta.format_version = Some(SNAPSHOT_FORMAT_VERSION);
            obj.remove("kind");
            let mut take = |key: &'static str| match obj.remove(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(SnapshotError::BadMeta { key }),
            };
            meta.domain = take("domain")?;
            meta.taken_at = take("taken_at")?;
            meta.tool_version = take("tool_version")?;
        }
    }
    let live = serde_json::from_value(value).map_err(SnapshotError::Shape)?;
    Ok((live, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Group, User};

    fn live() -> Live {
        Live {
            users: vec![User::new(1, "alice", "alice@acme.com")],
            groups: vec![Group::new(10, "AP Clerks")],
            ..Live::default()
        }
    }

    #[test]
    fn written_snapshots_carry_their_metadata_and_read_back() {
        let json = to_json(
            &live(),
            "https://acme.coupahost.com",
            "2026-01-01T00:00:00Z",
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["format_version"], 1);
        assert_eq!(value["kind"], "snapshot");
        assert_eq!(value["users"][0]["login"], "alice");
        let (back, meta) = from_json(&json).unwrap();
        assert_eq!(back, live());
        assert_eq!(meta.domain.as_deref(), Some("https://acme.coupahost.com"));
        assert_eq!(meta.taken_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(
            meta.tool_version.as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(meta.format_version, Some(1));
    }

    #[test]
    fn bare_live_files_still_load_and_bad_ones_say_why() {
        let bare = serde_json::to_string(&live()).unwrap();
        let (back, meta) = from_json(&bare).unwrap();
        assert_eq!((back, meta), (live(), SnapshotMeta::default()));
        let newer = bare.replacen('{', "{\"format_version\": 2,", 1);
        assert!(matches!(
            from_json(&newer),
            Err(SnapshotError::Version { found: 2 })
        ));
        let bad = bare.replacen('{', "{\"format_version\": 1, \"domain\": 5,", 1);
        assert!(matches!(
            from_json(&bad),
            Err(SnapshotError::BadMeta { key: "domain" })
        ));
        assert!(matches!(
            from_json("{\"users\": 1}"),
            Err(SnapshotError::Shape(_))
        ));
        assert!(matches!(from_json("nope"), Err(SnapshotError::Json(_))));
    }
}
