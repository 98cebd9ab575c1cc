use serde::{Deserialize, Serialize};

use crate::compact::{IdSet, LicenseSet, ShortText, StampText};

/// Coupa's live state as coupa-access sees it. This is also the snapshot format
/// (`coupa-access snapshot`) and the tenant format the sandbox serves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Live {
    /// Every user, active or not (Coupa never deletes users).
    pub users: Vec<User>,
    /// User groups, projects excluded.
    pub groups: Vec<Group>,
    /// Projects: Coupa keeps them in the same table as groups (`type: Project`). Kept apart so a
    /// policy that names a project as a group gets a clear error.
    #[serde(default)]
    pub projects: Vec<Group>,
    /// Every role.
    pub roles: Vec<Role>,
    /// Group memberships (of groups, not projects).
    pub memberships: Vec<Membership>,
}

/// A Coupa user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub email: String,
    #[serde(default)]
    pub firstname: Option<ShortText>,
    #[serde(default)]
    pub lastname: Option<ShortText>,
    #[serde(default)]
    pub fullname: Option<ShortText>,
    pub active: bool,
    /// Ids of the roles the user holds.
    #[serde(default)]
    pub roles: IdSet,
    /// License flags that are true.
    #[serde(default)]
    pub licenses: LicenseSet,
    /// A Coupa Supplier Portal account (`supplier-user: true`): read-only for coupa-access and
    /// never matched to a policy identity, even when it shares an employee's email.
    #[serde(default, skip_serializing_if = "is_false")]
    pub supplier: bool,
    /// An API (integration) user (`api-user: true`); plans mark changes to such users.
    #[serde(default, skip_serializing_if = "is_false")]
    pub api_user: bool,
    /// Fields Coupa's answer left out although they were asked for: whether the user holds
    /// those roles or licenses is unknown (`roles` and `licenses` hold nothing for them).
    #[serde(default, skip_serializing_if = "Unread::is_empty")]
    pub unread: Unread,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What a user record did not say. A missing field is unknown, never "not held": a plan that
/// reads it as "not held" would miss removals (and show false additions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unread {
    /// The record had no `roles`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub roles: bool,
    /// The record had no `<license>-user` flag for these.
    #[serde(default, skip_serializing_if = "LicenseSet::is_empty")]
    pub licenses: LicenseSet,
}

impl Unread {
    /// True when the record said everything asked of it.
    pub fn is_empty(&self) -> bool {
        !self.roles && self.licenses.is_empty()
    }

    /// True when whether the user holds `target` is unknown (never for groups: memberships
    /// are their own records).
    pub fn covers(&self, target: &super::ChangeTarget) -> bool {
        match target {
            super::ChangeTarget::Group { .. } => false,
            super::ChangeTarget::Role { .. } => self.roles,
            super::ChangeTarget::License(l) => self.licenses.contains(l),
        }
    }

    /// How many of `users` leave `target` unknown, and the first of them; `None` when none do.
    pub fn among<'u>(
        users: impl IntoIterator<Item = &'u User>,
        target: &super::ChangeTarget,
    ) -> Option<(usize, &'u User)> {
        let mut found = None;
        let mut count = 0;
        for u in users {
            if u.unread.covers(target) {
                count += 1;
                found.get_or_insert(u);
            }
        }
        found.map(|u| (count, u))
    }

    /// The wire field left out for `target` (`roles`, `expense-user`), for messages.
    pub fn field(target: &super::ChangeTarget) -> String {
        match target {
            super::ChangeTarget::Group { .. } => "user-groups".into(),
            super::ChangeTarget::Role { .. } => "roles".into(),
            super::ChangeTarget::License(l) => l.wire_field(),
        }
    }
}

/// A user group (or, in `Live::projects`, a project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub active: bool,
}

/// A Coupa role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// True for Admin: holds every permission.
    #[serde(default)]
    pub omnipotent: bool,
    #[serde(default)]
    pub system_role: bool,
}

/// One user's membership of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub id: u64,
    pub user_id: u64,
    pub group_id: u64,
    /// ISO-8601 with offset, as Coupa reports it.
    #[serde(default)]
    pub created_at: Option<StampText>,
    /// The member is an admin of the group (`owner: true`): such a membership is never removed
    /// unless the policy opts in for that group.
    #[serde(default, skip_serializing_if = "is_false")]
    pub owner: bool,
    /// Coupa's `participant` flag, as read (not used in decisions; kept for reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<bool>,
}

impl User {
    /// An active user with no names, roles or licenses.
    pub fn new(id: u64, login: &str, email: &str) -> User {
        User {
            id,
            login: login.into(),
            email: email.into(),
            firstname: None,
            lastname: None,
            fullname: None,
            active: true,
            roles: IdSet::new(),
            licenses: LicenseSet::new(),
            supplier: false,
            api_user: false,
            unread: Unread::default(),
        }
    }
}

impl Group {
    /// An active group (or project) without a description.
    pub fn new(id: u64, name: &str) -> Group {
        Group {
            id,
            name: name.into(),
            description: None,
            active: true,
        }
    }
}

impl Role {
    /// A role without a description.
    pub fn new(id: u64, name: &str, omnipotent: bool) -> Role {
        Role {
            id,
            name: name.into(),
            description: None,
            omnipotent,
            system_role: false,
        }
    }
}
