//! What counts as a change between two policy versions, before and after binding.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::*;
use crate::model::{Group, Live, PolicyFile, User};

fn load(yaml: &str) -> Desired {
    crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }])
    .expect("loads")
}

fn keys(names: &[(Kind, &str)]) -> BTreeSet<TargetKey> {
    names.iter().map(|(k, n)| TargetKey::new(*k, n)).collect()
}

fn declared(base: &str, head: &str) -> Changes {
    declared_changes(&load(base), &load(head))
}

fn tenant() -> Live {
    Live {
        users: vec![
            User::new(1, "alice", "alice@acme.com"),
            User::new(2, "bob", "bob@acme.com"),
            User::new(3, "carol", "carol@acme.com"),
        ],
        groups: vec![
            Group::new(10, "AP Clerks"),
            Group::new(11, "Buyers"),
            Group::new(12, "Supplier Maintenance"),
        ],
        ..Live::default()
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Both steps: the declared candidates, then those whose bound meaning differs on `today`.
fn changed_on(base: &str, head: &str, today: &str) -> BTreeSet<TargetKey> {
    let (base, head) = (load(base), load(head));
    let Changes::Targets(cand) = declared_changes(&base, &head) else {
        panic!("settings did not change")
    };
    bound_changes(
        &restrict(&base, &cand),
        &restrict(&head, &cand),
        &tenant(),
        day(today),
        &cand,
    )
}

const TWO: &str =
    "groups:\n  AP Clerks:\n    members: [alice, bob]\n  Buyers:\n    members: [carol]\n";

#[test]
fn moving_and_reformatting_targets_changes_nothing() {
    let moved = "groups:\n  Buyers: { members: [carol] }\n\n\n  ap clerks:\n    members:\n      - ALICE\n      - bob\n";
    assert_eq!(declared(TWO, moved), Changes::Targets(BTreeSet::new()));
}

#[test]
fn a_member_added_to_one_group_changes_that_group_only() {
    let head = TWO.replace("[alice, bob]", "[alice, bob, carol]");
    assert_eq!(
        declared(TWO, &head),
        Changes::Targets(keys(&[(Kind::Group, "AP Clerks")]))
    );
    assert_eq!(
        changed_on(TWO, &head, "2026-01-01"),
        keys(&[(Kind::Group, "AP Clerks")])
    );
}

#[test]
fn added_dropped_and_mode_changed_targets_count() {
    let head = "groups:\n  AP Clerks:\n    mode: additive\n    members: [alice, bob]\nroles:\n  Buyer: { members: [alice] }\n";
    assert_eq!(
        declared(TWO, head),
        Changes::Targets(keys(&[
            (Kind::Group, "AP Clerks"),
            (Kind::Group, "Buyers"),
            (Kind::Role, "Buyer"),
        ]))
    );
}

#[test]
fn settings_that_affect_every_target_plan_everything() {
    for settings in [
        "settings:\n  protected_users: [bob]\n",
        "settings:\n  max_removals: { total: 3 }\n",
        "settings:\n  writes: [groups, roles]\n",
        "settings:\n  expiry_warning_days: 30\n",
    ] {
        assert_eq!(
            declared(TWO, &format!("{TWO}{settings}")),
            Changes::Every(EveryTarget::SettingsChanged),
            "{settings}"
        );
    }
    // The same settings, written elsewhere and otherwise: nothing.
    let a = format!("{TWO}settings:\n  protected_users: [bob, alice]\n");
    let b = format!("settings:\n  protected_users: [ALICE, bob]\n{TWO}");
    assert_eq!(declared(&a, &b), Changes::Targets(BTreeSet::new()));
}

#[test]
fn the_same_person_written_another_way_is_no_change_once_bound() {
    let head = TWO.replace("[alice, bob]", "[alice@acme.com, bob]");
    // Declared, the identity differs (the tenant decides whether it is the same person)...
    assert_eq!(
        declared(TWO, &head),
        Changes::Targets(keys(&[(Kind::Group, "AP Clerks")]))
    );
    // ...bound, it is alice either way.
    assert!(changed_on(TWO, &head, "2026-01-01").is_empty());
}

#[test]
fn an_until_date_counts_when_it_takes_effect() {
    let grant = |until: &str| {
        format!("groups:\n  AP Clerks:\n    members:\n      - alice\n      - {{ user: bob, until: {until} }}\n")
    };
    let ap = keys(&[(Kind::Group, "AP Clerks")]);
    // Far ahead both times: bob is a member either way, no warning.
    assert!(changed_on(&grant("2027-06-30"), &grant("2027-09-30"), "2026-01-01").is_empty());
    // Moved into the warning window (14 days): the plan warns.
    assert_eq!(
        changed_on(&grant("2027-06-30"), &grant("2026-01-10"), "2026-01-01"),
        ap
    );
    // Moved into the past: bob's grant has ended, the plan removes him.
    assert_eq!(
        changed_on(&grant("2027-06-30"), &grant("2025-12-01"), "2026-01-01"),
        ap
    );
    // A grant added to a plain member that ends later: bob is a member either way.
    assert!(changed_on(
        "groups:\n  AP Clerks:\n    members: [alice, bob]\n",
        &grant("2027-06-30"),
        "2026-01-01"
    )
    .is_empty());
}

const RULE: &str = "groups:\n  AP Clerks: { members: [alice] }\n  Supplier Maintenance: { members: [alice] }\n  Buyers: { members: [carol] }\n\
rules:\n  separation_of_duties:\n    - name: Supplier vs AP\n      sides:\n        - groups: [Supplier Maintenance]\n        - groups: [AP Clerks]\n      exceptions:\n        - { user: alice, until: 2027-03-31, ticket: SOX-1 }\n";

#[test]
fn a_rule_or_exception_change_plans_the_targets_on_its_sides() {
    let sides = keys(&[
        (Kind::Group, "AP Clerks"),
        (Kind::Group, "Supplier Maintenance"),
    ]);
    let later = RULE.replace("2027-03-31", "2027-06-30");
    assert_eq!(declared(RULE, &later), Changes::Targets(sides.clone()));
    // The exception's date shows in the plan's warnings: it counts once bound too.
    assert_eq!(changed_on(RULE, &later, "2026-01-01"), sides);
    let renamed = RULE.replace("Supplier vs AP", "Supplier master vs invoices");
    assert_eq!(declared(RULE, &renamed), Changes::Targets(sides.clone()));
    // The exception written for the same person another way: no change once bound.
    let same = RULE.replace("user: alice,", "user: alice@acme.com,");
    assert!(changed_on(RULE, &same, "2026-01-01").is_empty());
    let description = RULE.replace(
        "      sides:",
        "      description: Vendor fraud\n      sides:",
    );
    assert_eq!(
        declared(RULE, &description),
        Changes::Targets(BTreeSet::new())
    );
}

#[test]
fn restrict_keeps_the_named_targets_and_everything_else_of_the_policy() {
    let d = load(&format!("{TWO}settings:\n  protected_users: [bob]\n"));
    let r = restrict(&d, &keys(&[(Kind::Group, "ap clerks")]));
    assert_eq!(r.groups.names().collect::<Vec<_>>(), ["AP Clerks"]);
    assert_eq!(r.settings, d.settings);
    assert_eq!(r.policy_digest, d.policy_digest);
    assert_eq!(managed(&d).len(), 2);
    assert_eq!(
        scope_targets(&d, &keys(&[(Kind::Group, "buyers")])),
        vec![crate::model::ScopeTarget {
            kind: Kind::Group,
            target: "Buyers".into()
        }]
    );
    assert_eq!(keys_of(&scope_targets(&d, &managed(&d))), managed(&d));
}

#[test]
fn reading_for_both_versions_names_both_versions_people() {
    let base = load(TWO);
    let head = load(&TWO.replace("[alice, bob]", "[alice]"));
    let both = for_reading(&base, &head);
    let crate::plan::UsersNeeded::Named(names) = crate::plan::UsersNeeded::of(&both) else {
        panic!("named users")
    };
    assert!(names.contains(&"bob".to_string()), "{names:?}");
}
