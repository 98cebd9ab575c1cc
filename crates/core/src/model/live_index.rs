//! Case-insensitive lookups over a [`Live`], built once per plan (tenants have 100k users).
//!
//! Built for that size: keys borrow the records' own text when it is already a key (most logins
//! and emails are), a lookup folds its argument without allocating in the same case, and one
//! probe finds a user by login and by email at once.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use super::{Group, Live, NameKey, Role, User};

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

/// The records one folded name stands for, in record order. Almost always one.
#[derive(Debug)]
enum Hits {
    One(usize),
    Many(Vec<usize>),
}

impl Hits {
    fn as_slice(&self) -> &[usize] {
        match self {
            Hits::One(i) => std::slice::from_ref(i),
            Hits::Many(v) => v,
        }
    }
}

/// Folded name -> the records that have it. A hit is a record index; in the identity index it
/// is `2 * index`, plus one when the name is the user's email rather than login.
#[derive(Debug, Default)]
struct NameIndex<'a>(HashMap<Cow<'a, str>, Hits>);

impl<'a> NameIndex<'a> {
    fn with_capacity(n: usize) -> Self {
        NameIndex(HashMap::with_capacity(n))
    }

    fn of<T>(items: &'a [T], name: impl Fn(&'a T) -> &'a str) -> Self {
        let mut ix = NameIndex::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            ix.insert(name(item), i);
        }
        ix
    }

    /// Empty names are never keys (nobody can write them).
    fn insert(&mut self, name: &'a str, hit: usize) {
        if name.is_empty() {
            return;
        }
        match self.0.entry(NameKey::fold(name)) {
            Entry::Occupied(mut e) => match e.get_mut() {
                Hits::One(first) => {
                    let first = *first;
                    e.insert(Hits::Many(vec![first, hit]));
                }
                Hits::Many(v) => v.push(hit),
            },
            Entry::Vacant(e) => {
                e.insert(Hits::One(hit));
            }
        }
    }

    fn get(&self, name: &str) -> &[usize] {
        self.0
            .get(NameKey::fold(name).as_ref())
            .map_or(&[], Hits::as_slice)
    }
}

/// Picks among records whose names fold to the same key: the only one, or the only one spelled
/// exactly as written; otherwise ambiguous.
fn pick<'a, T>(
    items: &'a [T],
    hits: impl Iterator<Item = usize> + Clone,
    written: &str,
    name: impl Fn(&T) -> &str,
) -> NameMatch<'a, T> {
    let mut two = hits.clone();
    match (two.next(), two.next()) {
        (None, _) => NameMatch::None,
        (Some(one), None) => NameMatch::One(&items[one]),
        (Some(first), Some(second)) => {
            let written = written.trim();
            let mut exact = hits.map(|i| &items[i]).filter(|t| name(t) == written);
            match (exact.next(), exact.next()) {
                (Some(one), None) => NameMatch::One(one),
                _ => NameMatch::Ambiguous(&items[first], &items[second]),
            }
        }
    }
}

/// Case-insensitive lookups over a `Live`, built once (tenants have 100k users). Names that
/// differ only in case are kept apart: a lookup prefers the exact spelling and otherwise reports
/// the name as ambiguous, never silently picking one.
#[derive(Debug)]
pub struct LiveIndex<'a> {
    pub live: &'a Live,
    /// Logins and emails of users a policy may name (not Supplier Portal accounts).
    identities: NameIndex<'a>,
    /// Logins and emails of Supplier Portal accounts, to say what such a name is.
    suppliers: NameIndex<'a>,
    groups_by_name: NameIndex<'a>,
    projects_by_name: NameIndex<'a>,
    roles_by_name: NameIndex<'a>,
    users_by_id: HashMap<u64, usize>,
    /// Ids of memberships whose user is an owner (admin) of the group.
    owner_memberships: BTreeSet<u64>,
}

impl<'a> LiveIndex<'a> {
    pub fn new(live: &'a Live) -> Self {
        let mut identities = NameIndex::with_capacity(2 * live.users.len());
        let mut suppliers = NameIndex::default();
        for (i, u) in live.users.iter().enumerate() {
            // Supplier Portal accounts take no part in identity matching.
            let ix = if u.supplier {
                &mut suppliers
            } else {
                &mut identities
            };
            ix.insert(&u.login, 2 * i);
            ix.insert(&u.email, 2 * i + 1);
        }
        LiveIndex {
            live,
            identities,
            suppliers,
            groups_by_name: NameIndex::of(&live.groups, |g: &Group| &g.name),
            projects_by_name: NameIndex::of(&live.projects, |g: &Group| &g.name),
            roles_by_name: NameIndex::of(&live.roles, |r: &Role| &r.name),
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
        let hits = self.identities.get(identity);
        if hits.is_empty() {
            return UserMatch::None;
        }
        let users = &self.live.users;
        let of = |email: usize| hits.iter().filter(move |h| *h % 2 == email).map(|h| h / 2);
        let by_login = match pick(users, of(0), identity, |u| &u.login) {
            NameMatch::Ambiguous(a, b) => return UserMatch::Ambiguous(a, b),
            NameMatch::One(u) => Some(u),
            NameMatch::None => None,
        };
        let by_email = match pick(users, of(1), identity, |u| &u.email) {
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

    pub fn group_match(&self, name: &str) -> NameMatch<'a, Group> {
        let hits = self.groups_by_name.get(name);
        pick(&self.live.groups, hits.iter().copied(), name, |g| &g.name)
    }

    pub fn project(&self, name: &str) -> Option<&'a Group> {
        let hits = self.projects_by_name.get(name);
        pick(&self.live.projects, hits.iter().copied(), name, |g| &g.name).one()
    }

    /// The role with this name, when exactly one matches (see [`LiveIndex::role_match`]).
    pub fn role(&self, name: &str) -> Option<&'a Role> {
        self.role_match(name).one()
    }

    pub fn role_match(&self, name: &str) -> NameMatch<'a, Role> {
        let hits = self.roles_by_name.get(name);
        pick(&self.live.roles, hits.iter().copied(), name, |r| &r.name)
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
        // Hits are in user order: the first is the first such account.
        let first = self.suppliers.get(identity).first()?;
        Some(&self.live.users[first / 2])
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
