use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::License;

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
    pub firstname: Option<String>,
    #[serde(default)]
    pub lastname: Option<String>,
    #[serde(default)]
    pub fullname: Option<String>,
    pub active: bool,
    /// Ids of the roles the user holds.
    #[serde(default)]
    pub roles: BTreeSet<u64>,
    /// License flags that are true.
    #[serde(default)]
    pub licenses: BTreeSet<License>,
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
    pub created_at: Option<String>,
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
            roles: BTreeSet::new(),
            licenses: BTreeSet::new(),
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

/// The result of looking a policy identity (login or email) up among live users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMatch<'a> {
    /// Exactly one user has this login or email (case-insensitively).
    One(&'a User),
    /// The identity is one user's login and another user's email.
    Ambiguous(&'a User, &'a User),
    /// No user has it.
    None,
}

/// Case-insensitive lookups over a `Live`, built once (tenants have 100k users).
#[derive(Debug)]
pub struct LiveIndex<'a> {
    pub live: &'a Live,
    by_login: BTreeMap<String, usize>,
    by_email: BTreeMap<String, Vec<usize>>,
    groups_by_name: BTreeMap<String, usize>,
    projects_by_name: BTreeMap<String, usize>,
    roles_by_name: BTreeMap<String, usize>,
    users_by_id: BTreeMap<u64, usize>,
}

/// How names are compared: identities and names match case-insensitively.
pub fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

impl<'a> LiveIndex<'a> {
    pub fn new(live: &'a Live) -> Self {
        let mut by_login = BTreeMap::new();
        let mut by_email: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut users_by_id = BTreeMap::new();
        for (i, u) in live.users.iter().enumerate() {
            by_login.insert(fold(&u.login), i);
            if !u.email.is_empty() {
                by_email.entry(fold(&u.email)).or_default().push(i);
            }
            users_by_id.insert(u.id, i);
        }
        let name_index = |gs: &[Group]| {
            gs.iter()
                .enumerate()
                .map(|(i, g)| (fold(&g.name), i))
                .collect::<BTreeMap<_, _>>()
        };
        LiveIndex {
            live,
            by_login,
            by_email,
            groups_by_name: name_index(&live.groups),
            projects_by_name: name_index(&live.projects),
            roles_by_name: live
                .roles
                .iter()
                .enumerate()
                .map(|(i, r)| (fold(&r.name), i))
                .collect(),
            users_by_id,
        }
    }

    /// Finds the user a policy identity names: a login or an email, case-insensitively.
    pub fn user(&self, identity: &str) -> UserMatch<'a> {
        let key = fold(identity);
        let by_login = self.by_login.get(&key).map(|&i| &self.live.users[i]);
        let by_email: Vec<&'a User> = self
            .by_email
            .get(&key)
            .map(|v| v.iter().map(|&i| &self.live.users[i]).collect())
            .unwrap_or_default();
        match (by_login, by_email.as_slice()) {
            (Some(l), []) => UserMatch::One(l),
            (Some(l), [e, ..]) if l.id == e.id => match by_email.iter().find(|e| e.id != l.id) {
                Some(other) => UserMatch::Ambiguous(l, other),
                None => UserMatch::One(l),
            },
            (Some(l), [e, ..]) => UserMatch::Ambiguous(l, e),
            (None, [e]) => UserMatch::One(e),
            (None, [a, b, ..]) => UserMatch::Ambiguous(a, b),
            (None, []) => UserMatch::None,
        }
    }

    pub fn user_by_id(&self, id: u64) -> Option<&'a User> {
        self.users_by_id.get(&id).map(|&i| &self.live.users[i])
    }

    pub fn group(&self, name: &str) -> Option<&'a Group> {
        self.groups_by_name
            .get(&fold(name))
            .map(|&i| &self.live.groups[i])
    }

    pub fn project(&self, name: &str) -> Option<&'a Group> {
        self.projects_by_name
            .get(&fold(name))
            .map(|&i| &self.live.projects[i])
    }

    pub fn role(&self, name: &str) -> Option<&'a Role> {
        self.roles_by_name
            .get(&fold(name))
            .map(|&i| &self.live.roles[i])
    }

    /// Every login and email, for "did you mean" suggestions.
    pub fn identities(&self) -> impl Iterator<Item = &'a str> {
        self.live
            .users
            .iter()
            .flat_map(|u| [u.login.as_str(), u.email.as_str()])
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u64, login: &str, email: &str) -> User {
        User::new(id, login, email)
    }

    #[test]
    fn identities_match_login_or_email_case_insensitively() {
        let live = Live {
            users: vec![
                user(1, "alice", "Alice@Acme.com"),
                user(2, "bob", "bob@acme.com"),
                user(3, "carol@acme.com", "dave@acme.com"),
                user(4, "dave", "carol@acme.com"),
            ],
            ..Live::default()
        };
        let ix = LiveIndex::new(&live);
        assert!(matches!(ix.user("ALICE@acme.COM"), UserMatch::One(u) if u.id == 1));
        assert!(matches!(ix.user("Alice"), UserMatch::One(u) if u.id == 1));
        assert!(matches!(ix.user("bob@acme.com"), UserMatch::One(u) if u.id == 2));
        assert!(
            matches!(ix.user("carol@acme.com"), UserMatch::Ambiguous(a, b) if a.id == 3 && b.id == 4)
        );
        assert!(matches!(ix.user("nobody"), UserMatch::None));
    }
}
