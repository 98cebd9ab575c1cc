//! The snapshot manifest at the edges: made from the client's listing log and the read's
//! times when `snapshot` writes, and held against the content when any command loads one.

use std::path::Path;

use coupa_access_client::Client;
use coupa_access_core::model::Live;
use coupa_access_core::snapshot::{
    Completeness, Content, Listing, Manifest, SnapshotMeta, MANIFEST_VERSION,
};

/// The manifest of the read `client` just made, between `started` and `finished`, of
/// records whose digest is `content`. Called by the snapshot writer once the records are out.
pub fn make(client: &Client, started: &str, finished: &str, content: Content) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        instance: client.domain().to_string(),
        read_started_at: started.to_string(),
        read_finished_at: finished.to_string(),
        listings: listings(client),
        content,
    }
}

/// The list endpoints `client` read, as manifest listings.
pub fn listings(client: &Client) -> Vec<Listing> {
    client
        .listings()
        .into_iter()
        .map(|l| Listing {
            read_to_end: l.scans_completed > 0,
            endpoint: l.endpoint,
            records: l.records,
            requests: l.requests,
        })
        .collect()
}

/// The digest of `live`: users (the most bytes) hashed on a second thread beside the rest, so
/// checking a large snapshot costs about half the time of hashing it in one pass.
pub fn content(live: &Live) -> Content {
    use coupa_access_core::snapshot::{resource_digest, Resource};
    std::thread::scope(|s| {
        let users = s.spawn(|| resource_digest(Resource::Users, live));
        let mut parts: Vec<_> = Resource::ALL[1..]
            .iter()
            .map(|&r| resource_digest(r, live))
            .collect();
        match users.join() {
            Ok(d) => parts.push(d),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        Content::of_resources(parts)
    })
}

/// A snapshot whose content differs from its manifest, with every difference named.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("snapshot {file} does not match its manifest: {}", .differences.join("; "))]
#[diagnostic(help(
    "the file was changed after `coupa-access snapshot` wrote it; take a new snapshot rather than edit one"
))]
pub struct Tampered {
    pub file: String,
    pub differences: Vec<String>,
}

/// Holds a loaded snapshot to its manifest: an error naming what differs, or how its
/// completeness is established. A snapshot written without a manifest (by an older version)
/// loads with a warning; a bare tenant file (no metadata at all, as the sandbox's) loads
/// quietly, and both are reported as unproven.
pub fn check(path: &Path, live: &Live, meta: &SnapshotMeta) -> miette::Result<Completeness> {
    let file = path.display().to_string();
    let Some(manifest) = &meta.manifest else {
        if meta.format_version.is_some() {
            say!(
                "warning: snapshot {file} has no manifest (written by an older coupa-access): \
                 its completeness is unproven"
            );
        }
        return Ok(Completeness::Unproven { file });
    };
    let differences = manifest.check_snapshot(
        &content(live),
        meta.domain.as_deref(),
        meta.taken_at.as_deref(),
    );
    if !differences.is_empty() {
        return Err(Tampered {
            file,
            differences: differences.iter().map(ToString::to_string).collect(),
        }
        .into());
    }
    Ok(Completeness::SnapshotManifest {
        file,
        read_started_at: manifest.read_started_at.clone(),
        read_finished_at: manifest.read_finished_at.clone(),
        content_sha256: manifest.content.sha256.clone(),
        listings: manifest.listings.clone(),
    })
}
