//! The generated tenant every live bench reads: one generator, so the rows of different benches
//! measure the same shape of tenant.

use std::collections::BTreeSet;

use coupa_access_core::compact::{IdSet, LicenseSet};
use coupa_access_core::model::{Group, License, Live, Membership, Role, User};

/// What a bench's tenant has beyond users, groups and three memberships a user.
#[derive(Clone, Copy, Default)]
pub struct Shape {
    /// Users have first and last names.
    pub names: bool,
    /// A project (a user group of type Project) beside the groups.
    pub project: bool,
    /// Users hold roles 2 and one of 3–11, and an expense license.
    pub access: bool,
    /// Every this-many-th membership is an owner's.
    pub owner_every: Option<u64>,
}

/// `users` users (`user000000`, email `User000000@Acme.com`, every 17th inactive), `groups`
/// groups (`Group 0000` …), 12 roles (Role 0 omnipotent), each user in three groups.
pub fn tenant(users: u64, groups: u64, shape: Shape) -> Live {
    let mut live = Live::default();
    for g in 0..groups {
        live.groups
            .push(Group::new(1000 + g, &format!("Group {g:04}")));
    }
    if shape.project {
        live.projects.push(Group::new(1000 + groups, "Project"));
    }
    for r in 0..12u64 {
        live.roles
            .push(Role::new(r + 1, &format!("Role {r}"), r == 0));
    }
    let mut mid = 1;
    for i in 0..users {
        let id = 10_000 + i;
        let mut u = User::new(id, &format!("user{i:06}"), &format!("User{i:06}@Acme.com"));
        if shape.names {
            u.firstname = Some("First".into());
            u.lastname = Some(format!("Last{i}").into());
        }
        u.active = i % 17 != 0;
        if shape.access {
            u.roles = IdSet::from([2, 3 + i % 9]);
            u.licenses = LicenseSet::from([License::Expense]);
        }
        live.users.push(u);
        for g in BTreeSet::from([i % groups, (i * 7 + 3) % groups, (i * 13 + 5) % groups]) {
            live.memberships.push(Membership {
                id: mid,
                user_id: id,
                group_id: 1000 + g,
                created_at: Some("2026-01-05T10:00:00+00:00".into()),
                owner: shape.owner_every.is_some_and(|n| mid % n == 0),
                participant: None,
            });
            mid += 1;
        }
    }
    live
}
