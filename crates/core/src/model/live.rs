use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{License, NameKey};

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
    /// A Coupa Supplier Portal account (`supplier-user: true`): read-only for coupa-access and
    /// never matched to a policy identity, even when it shares an employee's email.
    #[serde(default, skip_serializing_if = "is_false")]
    pub supplier: bool,
    /// An API (integration) user (`api-user: true`); plans mark changes to such users.
    #[serde(default, skip_serializing_if = "is_false")]
    pub api_user: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
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
            roles: BTreeSet::new(),
            licenses: BTreeSet::new(),
            supplier: false,
            api_user: false,
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

/// The result of looking a group or role up by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch<'a, T> {
    /// One record has this name (case-insensitively), or exactly one has it as written.
    One(&'a T),
    /// Two records have names equal but for case, and neither is spelled as written.
    Ambiguous(&'a T, &'a T),
    /// No record has it.
    None,
}

impl<'a, T> NameMatch<'a, T> {
    /// The record, only when the name is unambiguous.
    pub fn one(self) -> Option<&'a T> {
        match self {
            NameMatch::One(t) => Some(t),
            _ => None,
        }
    }
}

/// Case-insensitive lookups over a `Live`, built once (tenants have 100k users). Names that
/// differ only in case are kept apart: a lookup prefers the exact spelling and otherwise reports
/// the name as ambiguous, never silently picking one.
#[derive(Debug)]
pub struct LiveIndex<'a> {
    pub live: &'a Live,
    by_login: HashMap<NameKey, Vec<usize>>,
    by_email: HashMap<NameKey, Vec<usize>>,
    groups_by_name: HashMap<NameKey, Vec<usize>>,
    projects_by_name: HashMap<NameKey, Vec<usize>>,
    roles_by_name: HashMap<NameKey, Vec<usize>>,
    users_by_id: BTreeMap<u64, usize>,
    /// Ids of memberships whose user is an owner (admin) of the group.
    owner_memberships: BTreeSet<u64>,
}

fn index_by<T>(items: &[T], key: impl Fn(&T) -> &str) -> HashMap<NameKey, Vec<usize>> {
    let mut map: HashMap<NameKey, Vec<usize>> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        if !k.is_empty() {
            map.entry(NameKey::new(k)).or_default().push(i);
        }
    }
    map
}

/// Picks among records whose names fold to the same key: the only one, or the only one spelled
/// exactly as written; otherwise ambiguous.
fn pick<'a, T>(
    items: &'a [T],
    hits: Option<&Vec<usize>>,
    written: &str,
    name: impl Fn(&T) -> &str,
) -> NameMatch<'a, T> {
    // The common cases (no hit, one hit) allocate nothing: this runs once per policy member.
    match hits.map(Vec::as_slice).unwrap_or_default() {
        [] => NameMatch::None,
        [one] => NameMatch::One(&items[*one]),
        [first, second, ..] => {
            let written = written.trim();
            let all = hits.into_iter().flatten().map(|&i| &items[i]);
            let mut exact = all.filter(|t| name(t) == written);
            match (exact.next(), exact.next()) {
                (Some(one), None) => NameMatch::One(one),
                _ => NameMatch::Ambiguous(&items[*first], &items[*second]),
            }
        }
    }
}

impl<'a> LiveIndex<'a> {
    pub fn new(live: &'a Live) -> Self {
        LiveIndex {
            live,
            // Supplier Portal accounts take no part in identity matching.
            by_login: index_by(&live.users, |u| if u.supplier { "" } else { &u.login }),
            by_email: index_by(&live.users, |u| if u.supplier { "" } else { &u.email }),
            groups_by_name: index_by(&live.groups, |g| &g.name),
            projects_by_name: index_by(&live.projects, |g| &g.name),
            roles_by_name: index_by(&live.roles, |r| &r.name),
            owner_memberships: live
                .memberships
                .iter()
                .filter(|m| m.owner)
                .map(|m| m.id)
                .collect(),
            users_by_id: live
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.id, i))
                .collect(),
        }
    }

    /// Finds the user a policy identity names: a login or an email, case-insensitively.
    /// Two users whose logins (or emails) differ only in case are told apart by exact spelling.
    pub fn user(&self, identity: &str) -> UserMatch<'a> {
        let key = NameKey::new(identity);
        let users = &self.live.users;
        let by_login = match pick(users, self.by_login.get(&key), identity, |u| &u.login) {
            NameMatch::Ambiguous(a, b) => return UserMatch::Ambiguous(a, b),
            NameMatch::One(u) => Some(u),
            NameMatch::None => None,
        };
        let by_email = match pick(users, self.by_email.get(&key), identity, |u| &u.email) {
            NameMatch::Ambiguous(a, b) => return UserMatch::Ambiguous(a, b),
            NameMatch::One(u) => Some(u),
            NameMatch::None => None,
        };
        match (by_login, by_email) {
            (Some(l), Some(e)) if l.id != e.id => UserMatch::Ambiguous(l, e),
            (Some(u), _) | (None, Some(u)) => UserMatch::One(u),
            (None, None) => UserMatch::None,
        }
    }

    /// Whether this membership's user is an owner (admin) of its group.
    pub fn is_owner_membership(&self, membership_id: u64) -> bool {
        self.owner_memberships.contains(&membership_id)
    }

    pub fn user_by_id(&self, id: u64) -> Option<&'a User> {
        self.users_by_id.get(&id).map(|&i| &self.live.users[i])
    }

    /// The group with this name, when exactly one matches (see [`LiveIndex::group_match`]).
    pub fn group(&self, name: &str) -> Option<&'a Group> {
        self.group_match(name).one()
    }

    /// The group a policy entry names: by `id` when it gives one (and only if that group has
    /// this name), else by name. The one rule the checker, the planner and drift share.
    pub fn group_named(&self, name: &str, id: Option<u64>) -> NameMatch<'a, Group> {
        match id {
            None => self.group_match(name),
            Some(id) => match self.live.groups.iter().find(|g| g.id == id) {
                Some(g) if NameKey::new(&g.name) == NameKey::new(name) => NameMatch::One(g),
                _ => NameMatch::None,
            },
        }
    }

    pub fn group_match(&self, name: &str) -> NameMatch<'a, Group> {
        pick(
            &self.live.groups,
            self.groups_by_name.get(&NameKey::new(name)),
            name,
            |g| &g.name,
        )
    }

    pub fn project(&self, name: &str) -> Option<&'a Group> {
        pick(
            &self.live.projects,
            self.projects_by_name.get(&NameKey::new(name)),
            name,
            |g| &g.name,
        )
        .one()
    }

    /// The role with this name, when exactly one matches (see [`LiveIndex::role_match`]).
    pub fn role(&self, name: &str) -> Option<&'a Role> {
        self.role_match(name).one()
    }

    pub fn role_match(&self, name: &str) -> NameMatch<'a, Role> {
        pick(
            &self.live.roles,
            self.roles_by_name.get(&NameKey::new(name)),
            name,
            |r| &r.name,
        )
    }

    /// Every login and email of users a policy may name (not Supplier Portal accounts), for
    /// "did you mean" suggestions.
    pub fn identities(&self) -> impl Iterator<Item = &'a str> {
        self.live
            .users
            .iter()
            .filter(|u| !u.supplier)
            .flat_map(|u| [u.login.as_str(), u.email.as_str()])
            .filter(|s| !s.is_empty())
    }

    /// The Supplier Portal account with this login or email, if any: naming one in a policy is
    /// an error that says so, rather than "unknown user".
    pub fn supplier(&self, identity: &str) -> Option<&'a User> {
        let key = NameKey::new(identity);
        self.live.users.iter().find(|u| {
            u.supplier && (NameKey::new(&u.login) == key || NameKey::new(&u.email) == key)
        })
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

    #[test]
    fn names_equal_but_for_case_prefer_the_exact_spelling_else_are_ambiguous() {
        let live = Live {
            users: vec![user(5, "Bob", "b1@acme.com"), user(9, "bob", "b2@acme.com")],
            groups: vec![Group::new(10, "AP Clerks"), Group::new(14, "AP clerks")],
            roles: vec![Role::new(1, "Buyer", false)],
            ..Live::default()
        };
        let ix = LiveIndex::new(&live);
        assert!(matches!(ix.user("Bob"), UserMatch::One(u) if u.id == 5));
        assert!(matches!(ix.user("bob"), UserMatch::One(u) if u.id == 9));
        assert!(matches!(ix.user("BOB"), UserMatch::Ambiguous(..)));
        assert_eq!(ix.group("AP Clerks").map(|g| g.id), Some(10));
        assert_eq!(ix.group("AP clerks").map(|g| g.id), Some(14));
        assert!(ix.group("ap clerks").is_none());
        assert!(matches!(
            ix.group_match("ap clerks"),
            NameMatch::Ambiguous(..)
        ));
        assert_eq!(ix.role("BUYER").map(|r| r.id), Some(1));
    }
}
