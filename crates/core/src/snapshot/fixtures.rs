//! One small tenant and manifest for the snapshot module's tests: names with quotes and
//! non-ASCII, a project, an admin role and an owner membership with its date.

use super::{Content, Listing, Manifest, MANIFEST_VERSION};
use crate::model::{Group, Live, Membership, Role, User};

pub(super) fn live() -> Live {
    let mut u = User::new(7, "zoë", "Zoe@Acme.com");
    u.fullname = Some("Zoë \"Z\" Doe".into());
    u.api_user = true;
    Live {
        users: vec![User::new(1, "alice", "alice@acme.com"), u],
        groups: vec![Group::new(10, "AP Clerks"), Group::new(12, "Buyers")],
        projects: vec![Group::new(11, "Launch")],
        roles: vec![Role::new(1, "Admin", true)],
        memberships: vec![Membership {
            id: 5,
            user_id: 7,
            group_id: 10,
            created_at: Some("2026-01-05T10:00:00+00:00".into()),
            owner: true,
            participant: Some(false),
        }],
    }
}

/// A manifest of one users listing read to its end, over `content`.
pub(super) fn manifest(content: Content) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        tool_version: "0.1.0".into(),
        instance: "https://acme.coupahost.com".into(),
        read_started_at: "2026-01-01T00:00:00Z".into(),
        read_finished_at: "2026-01-01T00:00:01Z".into(),
        listings: vec![Listing {
            endpoint: "/api/users".into(),
            records: 2,
            requests: 2,
            read_to_end: true,
        }],
        content,
    }
}
