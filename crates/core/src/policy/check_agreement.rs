//! The policy check and the binding agree on names: over generated policies full of unknown,
//! ambiguous, supplier, project, wrong-id and unread names (in targets, members, `users:`,
//! protected users, reviewers, separation-of-duties sides and exceptions), the (place, code)
//! of every error the check reports is exactly what the binding refuses with.

use std::collections::BTreeSet;

use super::{check, load_files, Code};
use crate::bind::{Place, Problem};
use crate::model::{Desired, Group, Live, PolicyFile, Role, SourcePos, User};
use crate::plan::PlanError;
use crate::testkit::Seq;

/// A tenant where every kind of name problem can happen.
fn live() -> Live {
    let mut bot = User::new(3, "bob@acme.com", "bot@acme.com");
    bot.api_user = true;
    let mut carol = User::new(4, "carol", "carol@acme.com");
    carol.active = false;
    let mut vendor = User::new(5, "vendor", "vendor@supplier.com");
    vendor.supplier = true;
    let mut dan = User::new(6, "dan", "dan@acme.com");
    dan.unread.roles = true;
    dan.unread.licenses.insert(crate::model::License::Expense);
    let mut old = Group::new(15, "Old");
    old.active = false;
    Live {
        users: vec![
            User::new(1, "alice", "alice@acme.com"),
            User::new(2, "bob", "bob@acme.com"),
            bot,
            carol,
            vendor,
            dan,
        ],
        groups: vec![
            Group::new(10, "G1"),
            Group::new(11, "AP Clerks"),
            Group::new(12, "ap clerks"),
            Group::new(13, "Twin"),
            Group::new(14, "Twin"),
            old,
        ],
        projects: vec![Group::new(20, "Project X")],
        roles: vec![
            Role::new(1, "Buyer", false),
            Role::new(2, "Approver", false),
            Role::new(3, "Approver", false),
            Role::new(4, "Admin", true),
        ],
        ..Live::default()
    }
}

const GROUPS: [&str; 8] = [
    "G1",
    "Nope",
    "Ap Clerks",
    "AP Clerks",
    "Twin",
    "Project X",
    "Old",
    "g1",
];
const ROLES: [&str; 4] = ["Buyer", "Nobody", "Approver", "ADMIN"];
const PEOPLE: [&str; 8] = [
    "alice",
    "BOB",
    "bob@acme.com",
    "ghost",
    "vendor",
    "carol",
    "dan",
    "Alice@acme.com",
];

/// Up to `max` distinct entries of `pool`.
fn some<'a>(seq: &mut Seq, pool: &[&'a str], max: usize) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for _ in 0..seq.below(max + 1) {
        let p = *seq.pick(pool);
        if !out.iter().any(|o| o.eq_ignore_ascii_case(p)) {
            out.push(p);
        }
    }
    out
}

fn policy(seed: u64) -> String {
    let mut seq = Seq::new(seed);
    let mut text = String::new();
    let mode = |seq: &mut Seq| {
        if seq.one_in(2) {
            "additive"
        } else {
            "authoritative"
        }
    };
    text.push_str("groups:\n");
    for g in some(&mut seq, &GROUPS, 4) {
        let id = match seq.below(6) {
            0 => ", id: 10",
            1 => ", id: 99",
            2 => ", id: 12",
            _ => "",
        };
        let members = some(&mut seq, &PEOPLE, 3).join(", ");
        let m = mode(&mut seq);
        text.push_str(&format!(
            "  {g}: {{ mode: {m}, members: [{members}]{id} }}\n"
        ));
    }
    text.push_str("roles:\n");
    for r in some(&mut seq, &ROLES, 3) {
        let members = some(&mut seq, &PEOPLE, 3).join(", ");
        let m = mode(&mut seq);
        text.push_str(&format!("  {r}: {{ mode: {m}, members: [{members}] }}\n"));
    }
    text.push_str("licenses:\n");
    for l in some(&mut seq, &["expense", "sourcing"], 2) {
        let members = some(&mut seq, &PEOPLE, 2).join(", ");
        let m = mode(&mut seq);
        text.push_str(&format!("  {l}: {{ mode: {m}, members: [{members}] }}\n"));
    }
    if seq.one_in(2) {
        // A person naming targets of their own: a name no section declares is implicit.
        let who = seq.pick(&PEOPLE);
        let groups = some(&mut seq, &GROUPS, 2).join(", ");
        let roles = some(&mut seq, &ROLES, 1).join(", ");
        text.push_str(&format!(
            "users:\n  {who}: {{ groups: [{groups}], roles: [{roles}] }}\n"
        ));
    }
    let protected = some(&mut seq, &PEOPLE, 2).join(", ");
    text.push_str(&format!("settings:\n  protected_users: [{protected}]\n"));
    if seq.one_in(2) {
        text.push_str(&format!(
            "  reviewers:\n    one-gh: {}\n    two-gh: {}\n",
            seq.pick(&PEOPLE),
            seq.pick(&PEOPLE)
        ));
    }
    if seq.one_in(2) {
        text.push_str(&format!(
            "rules:\n  separation_of_duties:\n    - name: R\n      sides:\n        - groups: [{}]\n        - roles: [{}]\n      exceptions:\n        - {{ user: {}, until: 2030-01-01 }}\n",
            seq.pick(&GROUPS),
            seq.pick(&ROLES),
            seq.pick(&PEOPLE)
        ));
    }
    text
}

/// The code the check gives a problem.
fn code(p: &Problem) -> Code {
    match p {
        Problem::UnknownUser { place, .. } => match place {
            Place::Target { .. } | Place::Exception { .. } => Code::UnknownUser,
            Place::Protected => Code::UnknownProtectedUser,
            Place::Reviewer { .. } => Code::UnknownReviewer,
        },
        Problem::AmbiguousUser { .. } => Code::AmbiguousUser,
        Problem::SupplierAccount { .. } => Code::SupplierAccount,
        Problem::UnknownGroup { .. } => Code::UnknownGroup,
        Problem::GroupIsProject { .. } => Code::ProjectNotGroup,
        Problem::UnknownGroupId { .. } => Code::UnknownGroupId,
        Problem::GroupIdMismatch { .. } => Code::GroupIdMismatch,
        Problem::UnknownRole { .. } => Code::UnknownRole,
        Problem::AmbiguousName { .. } => Code::AmbiguousName,
        Problem::UnreadField { .. } => Code::UnreadField,
    }
}

type Seen = BTreeSet<((usize, usize), Code)>;

/// (line, column) and code of every error the check reports.
fn by_check(d: &Desired, live: &Live) -> Seen {
    check(d, live)
        .errors
        .iter()
        .map(|e| {
            let p = &e.points()[0];
            ((p.line, p.column), e.code())
        })
        .collect()
}

/// (line, column) and code of every problem the binding refuses with.
fn by_bind(d: &Desired, live: &Live) -> Seen {
    let ix = crate::index::LiveIndex::new(live);
    match crate::bind::bind(d, &ix) {
        Ok(_) => Seen::new(),
        Err(PlanError::Unresolved(problems)) => problems
            .0
            .iter()
            .map(|p| {
                let at = SourcePos::locate(&d.files, p.at()).expect("a written place");
                ((at.line, at.column), code(p))
            })
            .collect(),
        Err(other) => panic!("not a name problem: {other}"),
    }
}

fn load(text: &str) -> Option<Desired> {
    load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: text.into(),
    }])
    .ok()
}

#[test]
fn check_reports_exactly_the_problems_the_binding_refuses_with() {
    let live = live();
    let (mut loaded, mut codes) = (0, BTreeSet::new());
    for seed in 0..400 {
        let text = policy(seed);
        // Some draws repeat a person for one target: the loader's error, not this test's.
        let Some(d) = load(&text) else { continue };
        loaded += 1;
        let (check, bind) = (by_check(&d, &live), by_bind(&d, &live));
        assert_eq!(check, bind, "seed {seed}:\n{text}");
        codes.extend(bind.into_iter().map(|(_, c)| c));
    }
    assert!(loaded > 200, "only {loaded} policies loaded");
    // Every kind of problem was met.
    for c in [
        Code::UnknownUser,
        Code::UnknownProtectedUser,
        Code::UnknownReviewer,
        Code::AmbiguousUser,
        Code::SupplierAccount,
        Code::UnknownGroup,
        Code::ProjectNotGroup,
        Code::UnknownGroupId,
        Code::GroupIdMismatch,
        Code::UnknownRole,
        Code::AmbiguousName,
        Code::UnreadField,
    ] {
        assert!(codes.contains(&c), "{c:?} never met");
    }
}

#[test]
fn a_hand_made_policy_gets_every_problem_from_both_in_one_run() {
    let text = "groups:\n  Nope: { members: [ghost] }\n  Twin: { members: [vendor] }\n\
                roles:\n  Approver: { mode: additive, members: [bob@acme.com] }\n\
                settings:\n  protected_users: [nobody]\n";
    let d = load(text).unwrap();
    let live = live();
    let want: Seen = [
        ((2, 3), Code::UnknownGroup),
        ((2, 21), Code::UnknownUser),
        ((3, 3), Code::AmbiguousName),
        ((3, 21), Code::SupplierAccount),
        ((5, 3), Code::AmbiguousName),
        ((5, 41), Code::AmbiguousUser),
        ((7, 21), Code::UnknownProtectedUser),
    ]
    .into();
    assert_eq!(by_bind(&d, &live), want);
    assert_eq!(by_check(&d, &live), want);
}
