//! Generated tenants for the core's tests: one generator, shared, so every property test
//! collides names the same ways.

use crate::model::{Group, License, Live, Membership, Role, User};

/// Names that collide in every way the lookup rule distinguishes: case, surrounding space,
/// one user's login being another's email, non-ASCII case folding, the empty name.
pub(crate) const NAMES: [&str; 14] = [
    "alice",
    "Alice",
    "ALICE",
    " alice ",
    "bob@acme.com",
    "Bob@Acme.com",
    "zoë",
    "ZOË",
    "İstanbul",
    "carol",
    "",
    "dave@acme.com",
    "Dave",
    "ǅemal",
];

/// A fixed, seeded sequence (an LCG): the same seed plans the same tenant everywhere. The one
/// random generator of the core's tests.
pub(crate) struct Seq(u64);

impl Seq {
    pub(crate) fn new(seed: u64) -> Self {
        Seq(seed)
    }

    fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// Uniform enough in `0..n`; 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.step() >> 33) as usize % n.max(1)
    }

    /// The next 64 bits, every one of them usable (the state mixed as splitmix64 mixes it; an
    /// LCG's low bits alone repeat quickly).
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut z = self.step();
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True one time in `n`.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// One of `items`.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A tenant whose logins, emails and group names collide (see [`NAMES`]); some users are
/// Supplier Portal accounts. Users `0..12`, groups `0..6`; no memberships, roles or licenses.
pub(crate) fn tenant(seed: u64) -> Live {
    let mut seq = Seq::new(seed);
    let mut live = Live::default();
    for id in 0..12 {
        let mut u = User::new(
            id,
            NAMES[seq.below(NAMES.len())],
            NAMES[seq.below(NAMES.len())],
        );
        u.supplier = seq.one_in(5);
        live.users.push(u);
    }
    for id in 0..6 {
        live.groups
            .push(Group::new(id, NAMES[seq.below(NAMES.len())]));
    }
    live
}

/// Licenses the generated tenants hand out.
pub(crate) const LICENSES: [License; 2] = [License::Expense, License::Sourcing];

/// A tenant with access, whose names collide less than [`tenant`]'s so most policies over it
/// resolve: logins are distinct but for the odd case twin (`erin`, `Erin`) and Supplier
/// Portal account, and the odd email is another user's login. Some users are inactive;
/// memberships (some owners, some duplicated), roles `1..=3` and [`LICENSES`] are at random.
pub(crate) fn tenant_with_access(seed: u64) -> Live {
    const LOGINS: [&str; 10] = [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "Erin",
        "zoë",
        "ZOË",
        "frank",
        "İstanbul",
    ];
    let mut seq = Seq::new(seed ^ 0x5eed);
    let mut live = Live::default();
    for (id, login) in LOGINS.iter().enumerate() {
        let email = if seq.one_in(8) {
            seq.pick(&LOGINS).to_string()
        } else {
            format!("{}@acme.com", login.to_lowercase())
        };
        let mut u = User::new(id as u64, login, &email);
        u.supplier = seq.one_in(10);
        live.users.push(u);
    }
    // Distinct names, and sometimes a case twin of the first (`AP Clerks`, `ap clerks`).
    let groups = ["AP Clerks", "Buyers", "Finance", "Ops"];
    for (id, name) in groups.iter().enumerate() {
        live.groups.push(Group::new(id as u64, name));
    }
    if seq.one_in(4) {
        live.groups.push(Group::new(9, "ap clerks"));
    }
    live.roles = vec![
        Role::new(1, "Buyer", false),
        Role::new(2, "buyer", false),
        Role::new(3, "Admin", true),
    ];
    let mut next_id = 100;
    for u in &mut live.users {
        u.active = !seq.one_in(6);
        for r in 1..=3 {
            if seq.one_in(3) {
                u.roles.insert(r);
            }
        }
        for l in LICENSES {
            if seq.one_in(3) {
                u.licenses.insert(l);
            }
        }
    }
    let (users, groups) = (live.users.len(), live.groups.len());
    for _ in 0..seq.below(30) {
        let m = Membership {
            id: next_id,
            user_id: seq.below(users) as u64,
            group_id: seq.below(groups) as u64,
            created_at: None,
            owner: seq.one_in(4),
            participant: None,
        };
        next_id += 1;
        live.memberships.push(m);
    }
    live
}
