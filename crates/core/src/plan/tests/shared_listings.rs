//! The plan use case resolves each member listing once and hands the result to the check and
//! the diff. On generated tenants full of names that are easy to get wrong, every resolution is
//! what `LiveIndex::user` says of the identity, and `make` agrees with `policy::check` and
//! `plan::diff` called alone.

use super::*;
use crate::index::{Listings, LiveIndex, UserMatch};
use crate::model::dedupe_warnings;
use crate::policy;

/// Logins and emails that collide: case, surrounding space, one user's login another's email.
const NAMES: [&str; 12] = [
    "alice",
    "Alice",
    " alice ",
    "bob@acme.com",
    "Bob@Acme.com",
    "zoë",
    "ZOË",
    "carol",
    "dave@acme.com",
    "Dave",
    "erin",
    "frank",
];

use crate::testkit::Seq as Rng;

/// One of the colliding [`NAMES`].
fn name(rng: &mut Rng) -> &'static str {
    NAMES[rng.below(NAMES.len())]
}

/// A tenant of colliding users (some inactive, some Supplier Portal accounts), four groups with
/// memberships (duplicates and owners too), two roles, and a policy naming them in every way.
fn generate(seed: u64) -> (Desired, Live) {
    let mut rng = Rng::new(seed);
    let mut live = Live::default();
    for id in 1..=10u64 {
        // Mostly distinct names; now and then one that collides.
        let login = match rng.below(4) {
            0 => name(&mut rng).to_string(),
            _ => format!("user{id}"),
        };
        let email = match rng.below(4) {
            0 => name(&mut rng).to_string(),
            _ => format!("user{id}@acme.com"),
        };
        let mut u = User::new(id, &login, &email);
        u.active = rng.below(6) != 0;
        u.supplier = rng.below(12) == 0;
        if rng.below(3) == 0 {
            u.roles.insert(1 + rng.below(2) as u64);
        }
        if rng.below(3) == 0 {
            u.licenses.insert(License::Expense);
        }
        live.users.push(u);
    }
    for (i, name) in ["G1", "G2", "G3", "g3"].into_iter().enumerate() {
        live.groups.push(group(10 + i as u64, name));
    }
    live.roles = vec![role(1, "Admin", true), role(2, "Buyer", false)];
    for id in 0..rng.below(25) as u64 {
        // Now and then a member the tenant lacks (the planner refuses such a plan).
        let user = if rng.below(60) == 0 {
            99
        } else {
            1 + rng.below(10) as u64
        };
        let mut m = ms(100 + id, user, 10 + rng.below(4) as u64);
        m.owner = rng.below(5) == 0;
        live.memberships.push(m);
    }
    let mut d = desired();
    let mode = |rng: &mut Rng| {
        if rng.below(2) == 0 {
            Mode::Authoritative
        } else {
            Mode::Additive
        }
    };
    // Mostly a user's own login or email, sometimes respelled; now and then a bare name.
    let users: Vec<(String, String)> = live
        .users
        .iter()
        .map(|u| (u.login.clone(), u.email.clone()))
        .collect();
    let members = |rng: &mut Rng| -> Vec<String> {
        let mut v: Vec<String> = (0..rng.below(6))
            .map(|_| {
                let (login, email) = &users[rng.below(users.len())];
                match rng.below(120) {
                    0 => "nobody".to_string(),
                    1..=2 => name(rng).to_string(),
                    3..=10 => login.to_uppercase(),
                    11..=20 => format!(" {email}"),
                    _ => login.clone(),
                }
            })
            .collect();
        // The loader drops repeats of one identity as written.
        v.sort();
        v.dedup();
        v
    };
    for name in ["G1", "G2", "G3", "g3"] {
        if rng.below(4) != 0 && (name != "g3" || rng.below(4) == 0) {
            let m = members(&mut rng);
            let m: Vec<&str> = m.iter().map(String::as_str).collect();
            let mut t = target(name, mode(&mut rng), &m);
            t.remove_owners = rng.below(2) == 0;
            d.groups.insert(t);
        }
    }
    if rng.below(2) == 0 {
        let m = members(&mut rng);
        let m: Vec<&str> = m.iter().map(String::as_str).collect();
        d.roles.insert(target("Buyer", mode(&mut rng), &m));
    }
    if rng.below(2) == 0 {
        let m = members(&mut rng);
        let m: Vec<&str> = m.iter().map(String::as_str).collect();
        d.licenses
            .insert(License::Expense, target("expense", mode(&mut rng), &m));
    }
    if rng.below(3) == 0 {
        d.settings.protected_users = vec![member(&users[rng.below(users.len())].0)];
    }
    (d, live)
}

fn ids(m: UserMatch<'_>) -> (Option<u64>, Option<u64>) {
    match m {
        UserMatch::One(u) => (Some(u.id), None),
        UserMatch::Ambiguous(a, b) => (Some(a.id), Some(b.id)),
        UserMatch::None => (None, None),
    }
}

fn lines(d: &[crate::policy::PolicyDiagnostic]) -> Vec<String> {
    d.iter().map(|d| d.one_line()).collect()
}

#[test]
fn every_listing_resolves_as_the_index_says() {
    for seed in 0..400 {
        let (d, live) = generate(seed);
        let ix = LiveIndex::new(&live);
        let listings = Listings::new(&d, &ix);
        for kind in [Kind::Group, Kind::Role, Kind::License] {
            let targets: Vec<_> = listings.targets(kind).collect();
            let expected = match kind {
                Kind::Group => d.groups.len(),
                Kind::Role => d.roles.len(),
                Kind::License => d.licenses.len(),
            };
            assert_eq!(targets.len(), expected, "seed {seed}");
            for (t, listed) in targets {
                assert_eq!(t.members.len(), listed.len(), "seed {seed}");
                for (m, &l) in t.members.iter().zip(listed) {
                    assert_eq!(
                        ids(listings.user(m, l)),
                        ids(ix.user(&m.identity)),
                        "seed {seed}, {:?}",
                        m.identity
                    );
                }
            }
        }
        let protected: Vec<_> = listings.protected().collect();
        assert_eq!(protected.len(), d.settings.protected_users.len());
        for (m, l) in protected {
            assert_eq!(ids(listings.user(m, l)), ids(ix.user(&m.identity)));
        }
    }
}

#[test]
fn make_agrees_with_the_check_and_the_diff_called_alone() {
    let mut outcomes = [0; 3];
    for seed in 0..600 {
        let (d, live) = generate(seed);
        let report = policy::check(&d, &live);
        match make(&d, &live, instance(), fixed_now()) {
            Ok(planned) => {
                outcomes[0] += 1;
                assert!(report.errors.is_empty(), "seed {seed}");
                assert_eq!(lines(&planned.diagnostics), lines(&report.warnings));
                let diff = diff(&d, &live).expect("the diff alone plans too");
                assert_eq!(planned.plan.changes, diff.changes, "seed {seed}");
                assert_eq!(planned.plan.summary, diff.summary, "seed {seed}");
                assert_eq!(
                    planned.plan.preconditions, diff.preconditions,
                    "seed {seed}"
                );
                // As `make` puts them together, but for a tripped guard's.
                let mut expected = diff.warnings;
                expected.extend(report.plan_warnings);
                let made: Vec<_> = planned
                    .plan
                    .warnings
                    .into_iter()
                    .filter(|w| w.code != WarningCode::GuardExceeded)
                    .collect();
                assert_eq!(made, dedupe_warnings(expected), "seed {seed}");
            }
            Err(PlanFailure::Check { errors, warnings }) => {
                outcomes[1] += 1;
                assert_eq!(lines(&errors), lines(&report.errors), "seed {seed}");
                assert_eq!(lines(&warnings), lines(&report.warnings), "seed {seed}");
            }
            Err(PlanFailure::Sod { .. }) => unreachable!("generated policies have no rules"),
            Err(PlanFailure::Plan(e)) => {
                outcomes[2] += 1;
                assert!(report.errors.is_empty(), "seed {seed}");
                assert_eq!(diff(&d, &live).unwrap_err(), e, "seed {seed}");
            }
        }
    }
    // The cases cover plans, check failures and planner refusals.
    assert!(outcomes.iter().all(|&n| n > 10), "{outcomes:?}");
}
