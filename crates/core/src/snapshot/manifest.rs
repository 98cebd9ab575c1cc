//! The snapshot manifest: how the read that made a snapshot established that it is complete,
//! and a digest of the content, so a loaded snapshot can be checked against it.
//!
//! The content digest is defined over the records as this tool reads them, not over the file's
//! bytes (whitespace and key spelling do not matter; every value does):
//! - a resource's digest is SHA-256 over each of its records, in file order, as compact JSON
//!   (serde_json, no whitespace, keys in the order the snapshot writes them) followed by `\n`;
//!   for ASCII data that is exactly what `jq -c '.users[]' snapshot.json` prints;
//! - the content digest is SHA-256 over one line per resource, in the order users, groups,
//!   projects, roles, memberships: `<name> <record count> <resource digest hex>\n`.
//!
//! [`ContentHasher`] computes both record by record, so a writer that streams records as it
//! reads them needs no second pass; [`Manifest::check`] recomputes them over a loaded
//! [`Live`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Live;

/// The manifest format this build writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// The record lists of a snapshot, in digest order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Users,
    Groups,
    Projects,
    Roles,
    Memberships,
}

impl Resource {
    /// Every resource, in digest order.
    pub const ALL: [Resource; 5] = [
        Resource::Users,
        Resource::Groups,
        Resource::Projects,
        Resource::Roles,
        Resource::Memberships,
    ];

    /// The snapshot key (`users`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Resource::Users => "users",
            Resource::Groups => "groups",
            Resource::Projects => "projects",
            Resource::Roles => "roles",
            Resource::Memberships => "memberships",
        }
    }
}

/// A snapshot's manifest (the `manifest` key of the snapshot file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The coupa-access version that read Coupa.
    pub tool_version: String,
    /// The instance read (`https://acme.coupahost.com`).
    pub instance: String,
    /// When the read started and finished (RFC 3339, UTC).
    pub read_started_at: String,
    pub read_finished_at: String,
    /// Every Coupa listing read, in endpoint order.
    pub listings: Vec<Listing>,
    /// Record counts and digests of the content.
    pub content: Content,
}

/// One Coupa list endpoint as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// The endpoint (`/api/users`).
    pub endpoint: String,
    /// Records Coupa returned (before groups and projects are told apart).
    pub records: u64,
    /// Pages requested (answers read; retries of one page count once).
    pub requests: u64,
    /// Every keyset scan of the endpoint ended at an empty page (or at the last page of a
    /// bounded id range whose neighbours cover the rest), with ids checked strictly ascending
    /// on every page. A read that cannot show this fails, so no snapshot is written then.
    pub read_to_end: bool,
}

/// The content's record counts and digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// `sha256:<hex>` over the per-resource lines (see the module docs).
    pub sha256: String,
    /// Per resource, in digest order.
    pub resources: Vec<ResourceDigest>,
}

/// One resource's record count and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDigest {
    pub resource: Resource,
    pub records: u64,
    /// `sha256:<hex>` over its records (see the module docs).
    pub sha256: String,
}

/// Computes [`Content`] record by record, resources in any interleaving.
pub struct ContentHasher {
    hashers: [(Sha256, u64); 5],
    line: Vec<u8>,
}

impl Default for ContentHasher {
    fn default() -> Self {
        ContentHasher::new()
    }
}

impl ContentHasher {
    pub fn new() -> ContentHasher {
        ContentHasher {
            hashers: std::array::from_fn(|_| (Sha256::new(), 0)),
            line: Vec::with_capacity(256),
        }
    }

    /// Adds the next record of `resource`.
    pub fn add<T: Serialize>(&mut self, resource: Resource, record: &T) {
        self.line.clear();
        // Serializing a model record into memory cannot fail (string keys, no maps of others).
        let _ = serde_json::to_writer(&mut self.line, record);
        self.line.push(b'\n');
        let (h, n) = &mut self.hashers[resource as usize];
        h.update(&self.line);
        *n += 1;
    }

    /// Adds every record of `live`, in order.
    pub fn add_live(&mut self, live: &Live) {
        live.users.iter().for_each(|r| self.add(Resource::Users, r));
        live.groups
            .iter()
            .for_each(|r| self.add(Resource::Groups, r));
        live.projects
            .iter()
            .for_each(|r| self.add(Resource::Projects, r));
        live.roles.iter().for_each(|r| self.add(Resource::Roles, r));
        live.memberships
            .iter()
            .for_each(|r| self.add(Resource::Memberships, r));
    }

    pub fn finish(self) -> Content {
        let mut all = Sha256::new();
        let mut resources = Vec::with_capacity(5);
        for (resource, (h, records)) in Resource::ALL.into_iter().zip(self.hashers) {
            let hex = hex(&h.finalize());
            all.update(format!("{} {records} {hex}\n", resource.name()).as_bytes());
            resources.push(ResourceDigest {
                resource,
                records,
                sha256: format!("sha256:{hex}"),
            });
        }
        Content {
            sha256: format!("sha256:{}", hex(&all.finalize())),
            resources,
        }
    }
}

/// The content of `live`.
pub fn content_of(live: &Live) -> Content {
    let mut h = ContentHasher::new();
    h.add_live(live);
    h.finish()
}

/// The digest of one resource of `live` (the pieces of [`content_of`], for a caller that
/// hashes resources on several threads and joins them with [`Content::of_resources`]).
pub fn resource_digest(resource: Resource, live: &Live) -> ResourceDigest {
    let mut h = ContentHasher::new();
    match resource {
        Resource::Users => live.users.iter().for_each(|r| h.add(resource, r)),
        Resource::Groups => live.groups.iter().for_each(|r| h.add(resource, r)),
        Resource::Projects => live.projects.iter().for_each(|r| h.add(resource, r)),
        Resource::Roles => live.roles.iter().for_each(|r| h.add(resource, r)),
        Resource::Memberships => live.memberships.iter().for_each(|r| h.add(resource, r)),
    }
    let mut content = h.finish();
    content.resources.swap_remove(resource as usize)
}

impl Content {
    /// The content made of every resource's digest (in any order; each once).
    pub fn of_resources(mut resources: Vec<ResourceDigest>) -> Content {
        resources.sort_by_key(|r| r.resource);
        let mut all = Sha256::new();
        for r in &resources {
            let hex = r.sha256.trim_start_matches("sha256:");
            all.update(format!("{} {} {hex}\n", r.resource.name(), r.records).as_bytes());
        }
        Content {
            sha256: format!("sha256:{}", hex(&all.finalize())),
            resources,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One way a snapshot's content differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The manifest is of a version this build does not read.
    Version { found: u32 },
    /// A resource's record count.
    Records {
        resource: Resource,
        manifest: u64,
        content: u64,
    },
    /// A resource's digest (same count, different records).
    Digest {
        resource: Resource,
        manifest: String,
        content: String,
    },
    /// A resource the manifest does not list, or lists twice.
    Resources,
    /// The overall digest (the per-resource lines agree, the manifest's total does not).
    Total { manifest: String, content: String },
    /// The snapshot's `domain` is not the instance the manifest says was read.
    Instance { file: String, manifest: String },
    /// The snapshot's `taken_at` is outside the read's time range.
    TakenAt {
        file: String,
        started: String,
        finished: String,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Version { found } => write!(
                f,
                "manifest_version {found} is not one this build reads (it reads {MANIFEST_VERSION})"
            ),
            Mismatch::Records {
                resource,
                manifest,
                content,
            } => write!(
                f,
                "{}: the file holds {content} records, the manifest says {manifest}",
                resource.name()
            ),
            Mismatch::Digest {
                resource,
                manifest,
                content,
            } => write!(
                f,
                "{}: the records' digest is {content}, the manifest says {manifest}",
                resource.name()
            ),
            Mismatch::Resources => f.write_str(
                "the manifest does not list each of users, groups, projects, roles and memberships once",
            ),
            Mismatch::Total { manifest, content } => write!(
                f,
                "content digest: the file's is {content}, the manifest says {manifest}"
            ),
            Mismatch::Instance { file, manifest } => write!(
                f,
                "domain: the file says {file}, the manifest says {manifest} was read"
            ),
            Mismatch::TakenAt {
                file,
                started,
                finished,
            } => write!(
                f,
                "taken_at: the file says {file}, the manifest says the read ran from {started} to {finished}"
            ),
        }
    }
}

impl Manifest {
    /// What differs between `live` (as loaded) and this manifest; empty when they match.
    pub fn check(&self, live: &Live) -> Vec<Mismatch> {
        self.check_content(&content_of(live))
    }

    /// [`Manifest::check`] with the loaded content's digest already computed.
    pub fn check_content(&self, actual: &Content) -> Vec<Mismatch> {
        if self.manifest_version != MANIFEST_VERSION {
            return vec![Mismatch::Version {
                found: self.manifest_version,
            }];
        }
        let listed: Vec<Resource> = self.content.resources.iter().map(|r| r.resource).collect();
        if listed != Resource::ALL {
            return vec![Mismatch::Resources];
        }
        let mut out = Vec::new();
        for (want, got) in self.content.resources.iter().zip(&actual.resources) {
            if want.records != got.records {
                out.push(Mismatch::Records {
                    resource: got.resource,
                    manifest: want.records,
                    content: got.records,
                });
            } else if want.sha256 != got.sha256 {
                out.push(Mismatch::Digest {
                    resource: got.resource,
                    manifest: want.sha256.clone(),
                    content: got.sha256.clone(),
                });
            }
        }
        if out.is_empty() && self.content.sha256 != actual.sha256 {
            out.push(Mismatch::Total {
                manifest: self.content.sha256.clone(),
                content: actual.sha256.clone(),
            });
        }
        out
    }

    /// [`Manifest::check`], and the snapshot's own `domain` and `taken_at` against the read
    /// (RFC 3339 UTC stamps as the tool writes them compare as text).
    pub fn check_snapshot(
        &self,
        actual: &Content,
        domain: Option<&str>,
        taken_at: Option<&str>,
    ) -> Vec<Mismatch> {
        let mut out = self.check_content(actual);
        if let Some(d) = domain.filter(|d| *d != self.instance) {
            out.push(Mismatch::Instance {
                file: d.to_string(),
                manifest: self.instance.clone(),
            });
        }
        let (started, finished) = (&self.read_started_at, &self.read_finished_at);
        if let Some(t) = taken_at.filter(|t| *t < started.as_str() || *t > finished.as_str()) {
            out.push(Mismatch::TakenAt {
                file: t.to_string(),
                started: started.clone(),
                finished: finished.clone(),
            });
        }
        out
    }
}

/// How a command's view of the tenant was shown to be complete (in `drift --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "established_by", rename_all = "snake_case")]
pub enum Completeness {
    /// Read live just now: every listing paged to its end (the read fails otherwise).
    LiveRead { listings: Vec<Listing> },
    /// A snapshot whose content matched its manifest when loaded.
    SnapshotManifest {
        file: String,
        read_started_at: String,
        read_finished_at: String,
        content_sha256: String,
        listings: Vec<Listing>,
    },
    /// A snapshot (or tenant file) without a manifest: nothing shows it is complete.
    Unproven { file: String },
}

impl Completeness {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Completeness::LiveRead { listings } => format!(
                "read live: {} listing(s), each paged to its end",
                listings.len()
            ),
            Completeness::SnapshotManifest {
                file,
                read_finished_at,
                content_sha256,
                ..
            } => format!(
                "snapshot {file} (read {read_finished_at}) matches its manifest ({content_sha256}); every listing was paged to its end"
            ),
            Completeness::Unproven { file } => {
                format!("snapshot {file} has no manifest: its completeness is unproven")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Group, Membership, User};

    fn live() -> Live {
        Live {
            users: vec![
                User::new(1, "alice", "alice@acme.com"),
                User::new(2, "bob", "bob@acme.com"),
            ],
            groups: vec![Group::new(10, "AP Clerks")],
            memberships: vec![Membership {
                id: 100,
                user_id: 1,
                group_id: 10,
                created_at: None,
                owner: false,
                participant: None,
            }],
            ..Live::default()
        }
    }

    fn manifest(live: &Live) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            tool_version: "0".into(),
            instance: "https://acme.coupahost.com".into(),
            read_started_at: "2026-01-01T00:00:00Z".into(),
            read_finished_at: "2026-01-01T00:00:05Z".into(),
            listings: Vec::new(),
            content: content_of(live),
        }
    }

    #[test]
    fn the_digest_is_the_documented_one() {
        let content = content_of(&live());
        // users: each record's compact JSON and a newline.
        let mut lines = String::new();
        for u in &live().users {
            lines.push_str(&serde_json::to_string(u).unwrap());
            lines.push('\n');
        }
        let users = hex(&Sha256::digest(lines.as_bytes()));
        assert_eq!(content.resources[0].sha256, format!("sha256:{users}"));
        assert_eq!(content.resources[0].records, 2);
        let empty = hex(&Sha256::digest(b""));
        let total = format!(
            "users 2 {users}\ngroups 1 {}\nprojects 0 {empty}\nroles 0 {empty}\nmemberships 1 {}\n",
            content.resources[1].sha256.trim_start_matches("sha256:"),
            content.resources[4].sha256.trim_start_matches("sha256:"),
        );
        assert_eq!(
            content.sha256,
            format!("sha256:{}", hex(&Sha256::digest(total.as_bytes())))
        );
    }

    #[test]
    fn resources_hashed_apart_join_to_the_same_content() {
        let l = live();
        let parts = Resource::ALL
            .into_iter()
            .rev()
            .map(|r| resource_digest(r, &l))
            .collect();
        assert_eq!(Content::of_resources(parts), content_of(&l));
    }

    #[test]
    fn interleaved_records_hash_as_grouped_ones() {
        let l = live();
        let mut h = ContentHasher::new();
        h.add(Resource::Memberships, &l.memberships[0]);
        h.add(Resource::Users, &l.users[0]);
        h.add(Resource::Groups, &l.groups[0]);
        h.add(Resource::Users, &l.users[1]);
        assert_eq!(h.finish(), content_of(&l));
    }

    #[test]
    fn any_changed_value_is_named_by_resource() {
        let l = live();
        let m = manifest(&l);
        assert!(m.check(&l).is_empty());
        let mut edited = l.clone();
        edited.users[1].login = "bobb".into();
        let found = m.check(&edited);
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
        let mut fewer = l.clone();
        fewer.memberships.clear();
        let found = m.check(&fewer);
        assert_eq!(
            found,
            vec![Mismatch::Records {
                resource: Resource::Memberships,
                manifest: 1,
                content: 0
            }]
        );
        assert!(found[0].to_string().contains("memberships"));
        let mut total = m.clone();
        total.content.sha256 = "sha256:00".into();
        assert!(matches!(&total.check(&l)[..], [Mismatch::Total { .. }]));
        let mut dropped = m.clone();
        dropped.content.resources.pop();
        assert_eq!(dropped.check(&l), vec![Mismatch::Resources]);
        let d = Some("https://acme.coupahost.com");
        let c = content_of(&l);
        assert!(m
            .check_snapshot(&c, d, Some("2026-01-01T00:00:05Z"))
            .is_empty());
        assert!(m.check_snapshot(&c, None, None).is_empty());
        let found = m.check_snapshot(
            &c,
            Some("https://evil.coupahost.com"),
            Some("2026-01-02T00:00:00Z"),
        );
        assert!(
            matches!(
                &found[..],
                [Mismatch::Instance { .. }, Mismatch::TakenAt { .. }]
            ),
            "{found:?}"
        );
        assert!(found[0].to_string().contains("evil"));
        let mut newer = m;
        newer.manifest_version = 9;
        assert_eq!(newer.check(&l), vec![Mismatch::Version { found: 9 }]);
    }
}
