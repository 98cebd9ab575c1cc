//! The snapshot file (`coupa-access snapshot`): live state plus where and when it was read.
//!
//! ```json
//! { "format_version": 1, "kind": "snapshot", "domain": "https://acme.coupahost.com",
//!   "taken_at": "2026-01-01T00:00:00Z", "tool_version": "0.1.0",
//!   "users": [...], "groups": [...], "projects": [...], "roles": [...], "memberships": [...],
//!   "manifest": { ... } }
//! ```
//! The `manifest` ([`Manifest`]) says how the read established completeness and carries a
//! digest of the content; [`Manifest::check`] holds a loaded snapshot to it.
//! The live data sits at the top level beside the metadata, so a bare `Live` JSON — what
//! earlier versions wrote, and the sandbox's tenant files — still loads (with no metadata).

use serde::{Deserialize, Serialize};

use crate::model::Live;

#[cfg(test)]
mod fixtures;
mod manifest;
mod position;
mod reader;
#[cfg(test)]
mod reader_tests;
mod stream;
mod writer;

pub use manifest::{
    content_of, resource_digest, Completeness, Content, ContentHasher, Listing, Manifest, Mismatch,
    Resource, ResourceDigest, MANIFEST_VERSION,
};
pub use position::Fault;
pub use reader::Reader;
pub use stream::{write_json_stream, Records, Stream};
pub use writer::write_json_read;

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
    /// `Some(false)` when the snapshot was taken without `/api/roles` (`snapshot --no-roles`):
    /// its `roles` list is empty because it was not read, not because Coupa has none.
    pub roles_read: Option<bool>,
    /// The manifest, when the snapshot has one (written since coupa-access 0.1 took them).
    pub manifest: Option<Manifest>,
}

/// Why a snapshot file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not JSON: {0}")]
    Json(Fault),
    #[error("not a snapshot: {0}")]
    Shape(Fault),
    #[error("snapshot format_version {found} is not one this build reads (it reads {SNAPSHOT_FORMAT_VERSION})")]
    Version { found: u64 },
}

/// The file as written: one shape for the writer of a held `Live` and the streaming one
/// (`L` is the records, `M` the manifest), so their bytes cannot drift apart.
#[derive(Serialize)]
struct Written<'a, L, M> {
    format_version: u32,
    kind: &'static str,
    domain: &'a str,
    taken_at: &'a str,
    tool_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles_read: Option<bool>,
    #[serde(flatten)]
    live: L,
    /// Last, as a writer that streams the records writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<M>,
}

/// The snapshot JSON (pretty, ending in a newline) for `live` read from `domain` at `taken_at`.
pub fn to_json(live: &Live, domain: &str, taken_at: &str) -> String {
    to_json_read(live, domain, taken_at, true)
}

/// [`to_json`], saying `"roles_read": false` when `roles_read` is false (`/api/roles` was not
/// read, so the empty `roles` list says nothing about Coupa's roles).
pub fn to_json_read(live: &Live, domain: &str, taken_at: &str, roles_read: bool) -> String {
    to_json_with_manifest(live, domain, taken_at, roles_read, None)
}

/// [`to_json_read`] with the read's [`Manifest`] (whose `content` must be [`content_of`]`(live)`).
pub fn to_json_with_manifest(
    live: &Live,
    domain: &str,
    taken_at: &str,
    roles_read: bool,
    manifest: Option<&Manifest>,
) -> String {
    // One writer for both: the text is what `snapshot` streams to its file.
    let mut bytes = Vec::new();
    let _ = write_json_read(&mut bytes, live, domain, taken_at, roles_read, manifest);
    String::from_utf8(bytes).unwrap_or_default()
}

/// The file as read: the metadata beside `Live`'s fields, parsed in one pass (snapshots of
/// large tenants are hundreds of megabytes; no intermediate JSON tree).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Read {
    #[serde(default)]
    format_version: Option<u64>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    taken_at: Option<String>,
    #[serde(default)]
    tool_version: Option<String>,
    #[serde(default)]
    roles_read: Option<bool>,
    #[serde(default)]
    manifest: Option<Manifest>,
    users: Vec<crate::model::User>,
    groups: Vec<crate::model::Group>,
    #[serde(default)]
    projects: Vec<crate::model::Group>,
    roles: Vec<crate::model::Role>,
    memberships: Vec<crate::model::Membership>,
}

/// Only the version, read leniently so a newer file is named as such, not as a bad shape.
#[derive(Deserialize)]
struct VersionOnly {
    #[serde(default)]
    format_version: Option<serde_json::Value>,
}

fn check_version(v: Option<&serde_json::Value>) -> Result<(), SnapshotError> {
    match v {
        None => Ok(()),
        Some(v) if v.as_u64() == Some(u64::from(SNAPSHOT_FORMAT_VERSION)) => Ok(()),
        Some(v) => Err(SnapshotError::Version {
            found: v.as_u64().unwrap_or(u64::MAX),
        }),
    }
}

/// Reads a snapshot, or a bare `Live` JSON (whose metadata are then all `None`): the
/// [`Reader`] fed the whole text at once.
pub fn from_json(text: &str) -> Result<(Live, SnapshotMeta), SnapshotError> {
    let mut reader = Reader::new();
    reader.feed(text.as_bytes())?;
    reader.finish()
}

/// The whole text deserialized as `Read` in one pass: what the reader falls back to for a
/// top-level value that is not an object (and, in tests, what it is compared with).
fn from_whole_text(text: &str) -> Result<(Live, SnapshotMeta), SnapshotError> {
    let mut read: Read = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let version: VersionOnly =
                serde_json::from_str(text).map_err(|e| SnapshotError::Json(Fault::of(&e)))?;
            check_version(version.format_version.as_ref())?;
            return Err(if e.is_syntax() || e.is_eof() {
                SnapshotError::Json(Fault::of(&e))
            } else {
                SnapshotError::Shape(Fault::of(&e))
            });
        }
    };
    check_version(read.format_version.map(serde_json::Value::from).as_ref())?;
    let meta = meta_of(&mut read);
    // Exhaustive on purpose: a new `Live` field fails to compile here until `Read` has it.
    let live = Live {
        users: read.users,
        groups: read.groups,
        projects: read.projects,
        roles: read.roles,
        memberships: read.memberships,
    };
    Ok((live, meta))
}

fn meta_of(read: &mut Read) -> SnapshotMeta {
    // Checked by `Read`'s type only; any string is accepted.
    let _ = &read.kind;
    SnapshotMeta {
        format_version: read.format_version.map(|_| SNAPSHOT_FORMAT_VERSION),
        domain: read.domain.clone(),
        taken_at: read.taken_at.clone(),
        tool_version: read.tool_version.clone(),
        roles_read: read.roles_read,
        manifest: read.manifest.take(),
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{live, manifest};
    use super::*;

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
    fn the_manifest_is_written_last_and_checks_the_content_read_back() {
        let manifest = manifest(content_of(&live()));
        let json = to_json_with_manifest(
            &live(),
            "https://acme.coupahost.com",
            "2026-01-01T00:00:01Z",
            true,
            Some(&manifest),
        );
        let manifest_at = json.find("\"manifest\"").unwrap();
        assert!(json.find("\"memberships\"").unwrap() < manifest_at);
        let (back, meta) = from_json(&json).unwrap();
        assert_eq!(meta.manifest.as_ref(), Some(&manifest));
        assert!(manifest.check(&back).is_empty());
        // One byte of the data edited: the load succeeds, the check names the resource.
        let tampered = json.replacen("\"alice\"", "\"alicf\"", 1);
        let (back, meta) = from_json(&tampered).unwrap();
        let found = meta.manifest.unwrap().check(&back);
        assert!(
            matches!(
                &found[..],
                [Mismatch::Digest {
                    resource: Resource::Users,
                    ..
                }]
            ),
            "{found:?}"
        );
        // Whitespace is not content.
        let compact =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&json).unwrap())
                .unwrap();
        let (back, meta) = from_json(&compact).unwrap();
        assert!(meta.manifest.unwrap().check(&back).is_empty());
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
        assert!(matches!(from_json(&bad), Err(SnapshotError::Shape(_))));
        // A newer version is named as such even when its shape changed.
        let newer_shape = "{\"format_version\": 2, \"tenant\": {}}";
        assert!(matches!(
            from_json(newer_shape),
            Err(SnapshotError::Version { found: 2 })
        ));
        assert!(matches!(
            from_json("{\"users\": 1}"),
            Err(SnapshotError::Shape(_))
        ));
        assert!(matches!(from_json("nope"), Err(SnapshotError::Json(_))));
    }
}
