//! Writing a snapshot whose largest lists are never held: users and memberships come from
//! iterators (the binary reads them back from the files it spooled them to as they were read),
//! are written and hashed record by record, and the manifest, which needs the digests, is made
//! when the writer gets to it (last). The bytes are those [`write_json_read`](super::write_json_read)
//! writes for the same records: both serialize the one `Written` shape.

use std::cell::RefCell;
use std::io;

use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{Content, ContentHasher, Manifest, Resource, Written, SNAPSHOT_FORMAT_VERSION};
use crate::model::{Group, Membership, Role, User};

/// Records read one at a time; an error (reading a spool file back) stops the write.
pub type Records<'a, T> = Box<dyn Iterator<Item = io::Result<T>> + 'a>;

/// The content of a snapshot, as [`write_json_stream`] takes it: each list in file order.
pub struct Stream<'a> {
    pub users: Records<'a, User>,
    pub groups: &'a [Group],
    pub projects: &'a [Group],
    pub roles: &'a [Role],
    pub memberships: Records<'a, Membership>,
}

/// Writes the snapshot of `records` to `out` (pass a buffered writer), hashing each record as
/// it is written; `manifest` makes the manifest from the content's digest once every record
/// is out, and is returned. Byte for byte what [`write_json_read`](super::write_json_read)
/// writes for the same records and manifest.
pub fn write_json_stream<W: io::Write>(
    mut out: W,
    records: Stream<'_>,
    domain: &str,
    taken_at: &str,
    roles_read: bool,
    manifest: impl FnOnce(Content) -> Manifest,
) -> io::Result<Manifest> {
    let hasher = RefCell::new(ContentHasher::new());
    let lazy = Lazy {
        hasher: &hasher,
        make: RefCell::new(Some(Box::new(manifest))),
        made: RefCell::new(None),
    };
    let written = Written {
        format_version: SNAPSHOT_FORMAT_VERSION,
        kind: "snapshot",
        domain,
        taken_at,
        tool_version: env!("CARGO_PKG_VERSION"),
        roles_read: (!roles_read).then_some(false),
        live: LiveStream {
            users: Seq::of(records.users, Resource::Users, &hasher),
            groups: Seq::of(ok(records.groups), Resource::Groups, &hasher),
            projects: Seq::of(ok(records.projects), Resource::Projects, &hasher),
            roles: Seq::of(ok(records.roles), Resource::Roles, &hasher),
            memberships: Seq::of(records.memberships, Resource::Memberships, &hasher),
        },
        manifest: Some(&lazy),
    };
    serde_json::to_writer_pretty(&mut out, &written).map_err(into_io)?;
    out.write_all(b"\n")?;
    out.flush()?;
    lazy.made
        .into_inner()
        .ok_or_else(|| io::Error::other("the manifest was not written"))
}

fn ok<'a, T: Clone + 'a>(items: &'a [T]) -> Records<'a, T> {
    Box::new(items.iter().cloned().map(Ok))
}

/// serde_json's error as the I/O error it wraps, when it wraps one.
fn into_io(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        Some(_) => io::Error::from(e),
        None => io::Error::other(e),
    }
}

/// `Live`'s fields in `Live`'s order (as `Written` flattens them).
#[derive(Serialize)]
struct LiveStream<'a> {
    users: Seq<'a, User>,
    groups: Seq<'a, Group>,
    projects: Seq<'a, Group>,
    roles: Seq<'a, Role>,
    memberships: Seq<'a, Membership>,
}

/// One list, serialized (once) from its iterator and hashed as it goes.
struct Seq<'a, T> {
    items: RefCell<Option<Records<'a, T>>>,
    resource: Resource,
    hasher: &'a RefCell<ContentHasher>,
}

impl<'a, T> Seq<'a, T> {
    fn of(items: Records<'a, T>, resource: Resource, hasher: &'a RefCell<ContentHasher>) -> Self {
        Seq {
            items: RefCell::new(Some(items)),
            resource,
            hasher,
        }
    }
}

impl<T: Serialize> Serialize for Seq<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items = self
            .items
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("a list was written twice"))?;
        let mut seq = s.serialize_seq(None)?;
        for item in items {
            let item = item.map_err(S::Error::custom)?;
            self.hasher.borrow_mut().add(self.resource, &item);
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

type Make<'a> = Box<dyn FnOnce(Content) -> Manifest + 'a>;

/// The manifest, made from the digests of the records written before it.
struct Lazy<'a> {
    hasher: &'a RefCell<ContentHasher>,
    make: RefCell<Option<Make<'a>>>,
    made: RefCell<Option<Manifest>>,
}

impl Serialize for Lazy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let make = self
            .make
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("the manifest was written twice"))?;
        let content = std::mem::take(&mut *self.hasher.borrow_mut()).finish();
        let manifest = make(content);
        let r = manifest.serialize(s);
        *self.made.borrow_mut() = Some(manifest);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Live;
    use crate::snapshot::content_of;
    use crate::snapshot::fixtures::{live, manifest};

    fn streamed(live: &Live, roles_read: bool) -> (Vec<u8>, Manifest) {
        let mut bytes = Vec::new();
        let m = write_json_stream(
            &mut bytes,
            Stream {
                users: ok(&live.users),
                groups: &live.groups,
                projects: &live.projects,
                roles: &live.roles,
                memberships: ok(&live.memberships),
            },
            "https://acme.coupahost.com",
            "2026-01-01T00:00:01Z",
            roles_read,
            manifest,
        )
        .unwrap();
        (bytes, m)
    }

    #[test]
    fn the_streamed_bytes_and_digests_are_the_held_writers() {
        for live in [live(), Live::default()] {
            for roles_read in [true, false] {
                let (bytes, m) = streamed(&live, roles_read);
                assert_eq!(
                    m.content,
                    content_of(&live),
                    "digests as computed over Live"
                );
                let held = super::super::to_json_with_manifest(
                    &live,
                    "https://acme.coupahost.com",
                    "2026-01-01T00:00:01Z",
                    roles_read,
                    Some(&manifest(content_of(&live))),
                );
                assert_eq!(String::from_utf8(bytes).unwrap(), held);
            }
        }
    }

    #[test]
    fn a_record_that_cannot_be_read_back_fails_the_write() {
        let live = live();
        let mut bytes = Vec::new();
        let users: Records<'_, User> = Box::new(
            [
                Ok(live.users[0].clone()),
                Err(io::Error::other("spool gone")),
            ]
            .into_iter(),
        );
        let err = write_json_stream(
            &mut bytes,
            Stream {
                users,
                groups: &[],
                projects: &[],
                roles: &[],
                memberships: ok(&[]),
            },
            "d",
            "t",
            true,
            |_| unreachable!("no manifest for a failed write"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("spool gone"), "{err}");
    }
}
