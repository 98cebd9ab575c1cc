//! Case-insensitive lookups over a [`Live`], built once per plan (tenants have 100k users).
//!
//! Built for that size: every key's text sits in one string (it stays in cache), a lookup folds
//! its argument without allocating when it is already a key (most logins and emails are), and
//! one probe finds a user by login and by email at once.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use super::by_id::ById;
use crate::model::{Group, Live, NameKey, Role, User};

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

/// [`UserMatch`] as places in `Live::users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAt {
    One(usize),
    Ambiguous(usize, usize),
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

/// A key's place in [`NameIndex::text`] and the record it names.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    end: usize,
    hit: usize,
    /// The next entry with the same hash, in `NameIndex::more` (`NONE`: the last).
    next: usize,
}

const NONE: usize = usize::MAX;

/// The records a lookup found, in record order: almost always none or one.
#[derive(Debug)]
enum Found {
    None,
    One(usize),
    Many(Vec<usize>),
}

impl Found {
    fn push(&mut self, hit: usize) {
        *self = match std::mem::replace(self, Found::None) {
            Found::None => Found::One(hit),
            Found::One(first) => Found::Many(vec![first, hit]),
            Found::Many(mut v) => {
                v.push(hit);
                Found::Many(v)
            }
        };
    }

    fn as_slice(&self) -> &[usize] {
        match self {
            Found::None => &[],
            Found::One(i) => std::slice::from_ref(i),
            Found::Many(v) => v,
        }
    }
}

/// Hashes that are already hashes: the index keys its table by each name's SipHash.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; this keeps any other input well mixed anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Folded name -> the records that have it (a hit is a record index; in the identity index it
/// is `2 * index`, plus one when the name is the user's email rather than login).
///
/// Every key's text sits in one string, so a lookup compares against a few megabytes that stay
/// in cache rather than chasing each record's own allocation across the tenant: on 100k users
/// that is most of a lookup's cost.
#[derive(Debug, Default)]
struct NameIndex {
    state: RandomState,
    text: String,
    /// A key's hash -> its first entry; further entries with that hash (the same name on
    /// another record, or another name with the same hash) chain through `more`.
    first: HashMap<u64, Entry, BuildHasherDefault<Prehashed>>,
    more: Vec<Entry>,
    /// A hash -> the last entry of its chain in `more`, for chains that have one.
    tails: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
}

impl NameIndex {
    /// Room for `n` keys of `bytes` in all (folding rarely changes a name's length; when it
    /// does, the text grows).
    fn with_capacity(n: usize, bytes: usize) -> Self {
        NameIndex {
            first: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
            text: String::with_capacity(bytes),
            ..NameIndex::default()
        }
    }

    fn of<T>(items: &[T], name: impl Fn(&T) -> &str) -> Self {
        let bytes = items.iter().map(|item| name(item).len()).sum();
        let mut ix = NameIndex::with_capacity(items.len(), bytes);
        for (i, item) in items.iter().enumerate() {
            ix.insert(name(item), i);
        }
        ix
    }

    /// Empty names are never keys (nobody can write them).
    fn insert(&mut self, name: &str, hit: usize) {
        if name.is_empty() {
            return;
        }
        let key = NameKey::fold(name);
        self.insert_hashed(self.state.hash_one(&*key), &key, hit);
    }

    fn insert_hashed(&mut self, hash: u64, key: &str, hit: usize) {
        let start = self.text.len();
        self.text.push_str(key);
        let entry = Entry {
            start,
            end: self.text.len(),
            hit,
            next: NONE,
        };
        match self.first.entry(hash) {
            MapEntry::Vacant(v) => {
                v.insert(entry);
            }
            MapEntry::Occupied(mut o) => {
                // Appended last, so hits stay in record order.
                let index = self.more.len();
                match self.tails.insert(hash, index) {
                    None => o.get_mut().next = index,
                    Some(last) => self.more[last].next = index,
                }
                self.more.push(entry);
            }
        }
    }

    fn get(&self, name: &str) -> Found {
        let key = NameKey::fold(name);
        self.get_hashed(self.state.hash_one(&*key), &key)
    }

    /// The hits of `key` (already folded) among the entries filed under `hash`.
    fn get_hashed(&self, hash: u64, key: &str) -> Found {
        let mut found = Found::None;
        let mut entry = self.first.get(&hash).copied();
        while let Some(e) = entry {
            if self.text.get(e.start..e.end) == Some(key) {
                found.push(e.hit);
            }
            entry = self.more.get(e.next).copied();
        }
        found
    }
}

/// Which records a name picks, as places in their slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Picked {
    None,
    One(usize),
    Ambiguous(usize, usize),
}

impl Picked {
    fn of<T>(self, items: &[T]) -> NameMatch<'_, T> {
        match self {
            Picked::None => NameMatch::None,
            Picked::One(i) => NameMatch::One(&items[i]),
            Picked::Ambiguous(a, b) => NameMatch::Ambiguous(&items[a], &items[b]),
        }
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
    pick_at(items, hits, written, name).of(items)
}

/// [`pick`], as places in `items`.
fn pick_at<T>(
    items: &[T],
    hits: impl Iterator<Item = usize> + Clone,
    written: &str,
    name: impl Fn(&T) -> &str,
) -> Picked {
    let mut two = hits.clone();
    match (two.next(), two.next()) {
        (None, _) => Picked::None,
        (Some(one), None) => Picked::One(one),
        (Some(first), Some(second)) => {
            let written = written.trim();
            let mut exact = hits.filter(|&i| name(&items[i]) == written);
            match (exact.next(), exact.next()) {
                (Some(one), None) => Picked::One(one),
                _ => Picked::Ambiguous(first, second),
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
    identities: NameIndex,
    /// Logins and emails of Supplier Portal accounts, to say what such a name is.
    suppliers: NameIndex,
    groups_by_name: NameIndex,
    projects_by_name: NameIndex,
    roles_by_name: NameIndex,
    users_by_id: ById,
    /// Ids of memberships whose user is an owner (admin) of the group.
    owner_memberships: BTreeSet<u64>,
}

impl<'a> LiveIndex<'a> {
    pub fn new(live: &'a Live) -> Self {
        let employees = || live.users.iter().filter(|u| !u.supplier);
        let mut identities = NameIndex::with_capacity(
            2 * employees().count(),
            employees().map(|u| u.login.len() + u.email.len()).sum(),
        );
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
            users_by_id: ById::new(live.users.iter().map(|u| u.id)),
        }
    }

    /// Finds the user a policy identity names: a login or an email, case-insensitively.
    /// Two users whose logins (or emails) differ only in case are told apart by exact spelling.
    pub fn user(&self, identity: &str) -> UserMatch<'a> {
        let users = &self.live.users;
        match self.user_at(identity) {
            UserAt::One(i) => UserMatch::One(&users[i]),
            UserAt::Ambiguous(a, b) => UserMatch::Ambiguous(&users[a], &users[b]),
            UserAt::None => UserMatch::None,
        }
    }

    /// [`LiveIndex::user`], as places in `Live::users`.
    pub fn user_at(&self, identity: &str) -> UserAt {
        let found = self.identities.get(identity);
        let hits = found.as_slice();
        if hits.is_empty() {
            return UserAt::None;
        }
        let users = &self.live.users;
        let of = |email: usize| hits.iter().filter(move |h| *h % 2 == email).map(|h| h / 2);
        let by_login = match pick_at(users, of(0), identity, |u| &u.login) {
            Picked::Ambiguous(a, b) => return UserAt::Ambiguous(a, b),
            Picked::One(u) => Some(u),
            Picked::None => None,
        };
        let by_email = match pick_at(users, of(1), identity, |u| &u.email) {
            Picked::Ambiguous(a, b) => return UserAt::Ambiguous(a, b),
            Picked::One(u) => Some(u),
            Picked::None => None,
        };
        match (by_login, by_email) {
            (Some(l), Some(e)) if users[l].id != users[e].id => UserAt::Ambiguous(l, e),
            (Some(u), _) | (None, Some(u)) => UserAt::One(u),
            (None, None) => UserAt::None,
        }
    }

    /// Whether this membership's user is an owner (admin) of its group.
    pub fn is_owner_membership(&self, membership_id: u64) -> bool {
        self.owner_memberships.contains(&membership_id)
    }

    pub fn user_by_id(&self, id: u64) -> Option<&'a User> {
        self.user_at_id(id).map(|i| &self.live.users[i])
    }

    /// [`LiveIndex::user_by_id`], as a place in `Live::users`.
    pub fn user_at_id(&self, id: u64) -> Option<usize> {
        self.users_by_id.get(id)
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
        let hits = self.groups_by_name.get(name);
        pick(
            &self.live.groups,
            hits.as_slice().iter().copied(),
            name,
            |g| &g.name,
        )
    }

    /// Every group this name matches case-insensitively, in record order: what an ambiguous
    /// name is reported with (all of them, not just the first two).
    pub fn groups_matching(&self, name: &str) -> Vec<&'a Group> {
        let groups = &self.live.groups;
        let hits = self.groups_by_name.get(name);
        hits.as_slice().iter().map(|&i| &groups[i]).collect()
    }

    /// Every role this name matches case-insensitively, in record order (see
    /// [`LiveIndex::groups_matching`]).
    pub fn roles_matching(&self, name: &str) -> Vec<&'a Role> {
        let roles = &self.live.roles;
        let hits = self.roles_by_name.get(name);
        hits.as_slice().iter().map(|&i| &roles[i]).collect()
    }

    /// Every user (not Supplier Portal accounts) whose login or email this identity matches
    /// case-insensitively, each once, in record order: what an ambiguous identity is reported
    /// with.
    pub fn users_matching(&self, identity: &str) -> Vec<&'a User> {
        let users = &self.live.users;
        let found = self.identities.get(identity);
        let mut places: Vec<usize> = found.as_slice().iter().map(|h| h / 2).collect();
        places.sort_unstable();
        places.dedup();
        places.into_iter().map(|i| &users[i]).collect()
    }

    pub fn project(&self, name: &str) -> Option<&'a Group> {
        let hits = self.projects_by_name.get(name);
        pick(
            &self.live.projects,
            hits.as_slice().iter().copied(),
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
        let hits = self.roles_by_name.get(name);
        pick(
            &self.live.roles,
            hits.as_slice().iter().copied(),
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
        // Hits are in user order: the first is the first such account.
        let first = *self.suppliers.get(identity).as_slice().first()?;
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

#[cfg(test)]
mod chains {
    use super::*;

    /// Lookups only: how entries are chained is the index's own business.
    #[test]
    fn names_sharing_a_hash_or_a_key_keep_their_own_hits_in_order() {
        let mut ix = NameIndex::default();
        ix.insert("Alice", 0);
        let alice = ix.state.hash_one("alice");
        // A different name filed under the same hash, as a real collision would be.
        ix.insert_hashed(alice, "bob", 1);
        ix.insert("alice", 2);
        ix.insert_hashed(alice, "bob", 3);
        ix.insert("ALICE ", 4);
        assert_eq!(ix.get(" alice").as_slice(), [0, 2, 4]);
        // Looked up under the hash they collide on, bob's hits are bob's, in order.
        assert_eq!(ix.get_hashed(alice, "bob").as_slice(), [1, 3]);
        assert!(ix.get("carol").as_slice().is_empty());
        ix.insert("", 9);
        assert!(
            ix.get("").as_slice().is_empty(),
            "empty names are never keys"
        );
    }
}

#[cfg(test)]
mod reference {
    //! The index against the lookup rule written plainly (a scan per lookup): they must agree
    //! on every name, however the tenant's names collide.
    use super::*;

    fn pick_plain<'a, T>(
        hits: Vec<&'a T>,
        written: &str,
        name: fn(&T) -> &str,
    ) -> NameMatch<'a, T> {
        match hits.as_slice() {
            [] => NameMatch::None,
            [one] => NameMatch::One(one),
            [first, second, ..] => {
                let exact: Vec<&T> = hits
                    .iter()
                    .copied()
                    .filter(|t| name(t) == written.trim())
                    .collect();
                match exact.as_slice() {
                    [one] => NameMatch::One(one),
                    _ => NameMatch::Ambiguous(first, second),
                }
            }
        }
    }

    fn user_plain<'a>(live: &'a Live, identity: &str) -> UserMatch<'a> {
        let key = NameKey::new(identity);
        let hits = |field: fn(&User) -> &str| -> Vec<&'a User> {
            live.users
                .iter()
                .filter(|u| !u.supplier && !field(u).is_empty() && NameKey::new(field(u)) == key)
                .collect()
        };
        let login: fn(&User) -> &str = |u| &u.login;
        let email: fn(&User) -> &str = |u| &u.email;
        let by_login = match pick_plain(hits(login), identity, login) {
            NameMatch::Ambiguous(a, b) => return UserMatch::Ambiguous(a, b),
            m => m.one(),
        };
        let by_email = match pick_plain(hits(email), identity, email) {
            NameMatch::Ambiguous(a, b) => return UserMatch::Ambiguous(a, b),
            m => m.one(),
        };
        match (by_login, by_email) {
            (Some(l), Some(e)) if l.id != e.id => UserMatch::Ambiguous(l, e),
            (Some(u), _) | (None, Some(u)) => UserMatch::One(u),
            (None, None) => UserMatch::None,
        }
    }

    use crate::testkit::{tenant, NAMES};

    #[test]
    fn the_index_agrees_with_a_scan_on_every_name() {
        let ids = |m: UserMatch<'_>| match m {
            UserMatch::One(u) => (Some(u.id), None),
            UserMatch::Ambiguous(a, b) => (Some(a.id), Some(b.id)),
            UserMatch::None => (None, None),
        };
        for seed in 0..300 {
            let live = tenant(seed);
            let ix = LiveIndex::new(&live);
            for name in NAMES
                .iter()
                .copied()
                .chain(["nobody", "ALICE ", "bob@ACME.com"])
            {
                let plain = user_plain(&live, name);
                assert_eq!(ids(ix.user(name)), ids(plain), "seed {seed}, {name:?}");
                let groups = live
                    .groups
                    .iter()
                    .filter(|g| !g.name.is_empty() && NameKey::new(&g.name) == NameKey::new(name));
                let group = |m: NameMatch<'_, Group>| match m {
                    NameMatch::One(g) => (Some(g.id), None),
                    NameMatch::Ambiguous(a, b) => (Some(a.id), Some(b.id)),
                    NameMatch::None => (None, None),
                };
                assert_eq!(
                    group(ix.group_match(name)),
                    group(pick_plain(groups.collect(), name, |g| &g.name)),
                    "seed {seed}, group {name:?}"
                );
                let supplier = live.users.iter().find(|u| {
                    u.supplier
                        && (NameKey::new(&u.login) == NameKey::new(name)
                            || NameKey::new(&u.email) == NameKey::new(name))
                });
                // Nobody can write an empty name; the scan would match an empty login to it.
                if !name.trim().is_empty() {
                    assert_eq!(
                        ix.supplier(name).map(|u| u.id),
                        supplier.map(|u| u.id),
                        "seed {seed}, supplier {name:?}"
                    );
                }
            }
        }
    }
}
