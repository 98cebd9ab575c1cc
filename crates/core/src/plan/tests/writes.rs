//! `settings.writes`: changes of the listed kinds apply; role removals record the user's roles
//! and render as clear-then-set.

use super::*;
use crate::model::{Writes, PLAN_FORMAT_UNSCOPED};
use crate::render::{self, Color};

/// bob holds Buyer(4) and also User(5); the policy keeps alice as the only Buyer and carol as
/// the only expense user.
fn roles_and_licenses(writes: Writes) -> (Desired, Live) {
    let mut live = tenant();
    live.roles.push(role(5, "User", false));
    live.users[1].roles.insert(5);
    let mut d = desired();
    d.settings.writes = writes;
    d.roles
        .insert(target("buyer", Mode::Authoritative, &["alice"]));
    d.licenses.insert(
        License::Expense,
        target("expense", Mode::Authoritative, &["carol"]),
    );
    (d, live)
}

#[test]
fn listed_kinds_apply_and_others_stay_reported_only() {
    let (d, live) = roles_and_licenses(Writes::of([Kind::Group, Kind::License]));
    let plan = diff(&d, &live).unwrap();
    let marks: Vec<(String, bool)> = plan.changes.iter().map(|c| (line(c), c.applies)).collect();
    assert_eq!(
        marks,
        [
            ("- role Buyer bob".to_string(), false),
            ("+ role Buyer alice".to_string(), false),
            ("- license expense bob".to_string(), true),
            ("+ license expense carol".to_string(), true),
        ]
    );
    assert_eq!(
        (
            plan.summary.add,
            plan.summary.remove,
            plan.summary.reported_only
        ),
        (1, 1, 2)
    );
    // No applied role removal: nothing is cleared and set again.
    assert!(plan.preconditions.role_rewrites.is_empty());
}

#[test]
fn group_changes_are_reported_only_when_groups_are_not_listed() {
    let mut d = with_group(
        desired(),
        target("AP Clerks", Mode::Authoritative, &["alice"]),
    );
    d.settings.writes = Writes::of([Kind::Role]);
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["- group AP Clerks bob"]);
    assert!(!plan.changes[0].applies);
    assert_eq!(plan.summary.reported_only, 1);
}

#[test]
fn a_role_removal_records_the_live_roles_and_renders_as_clear_then_set() {
    let (d, live) = roles_and_licenses(Writes::of([Kind::Group, Kind::Role, Kind::License]));
    let planned = make(&d, &live, instance(), fixed_now()).unwrap();
    let plan = planned.plan;
    assert!(plan.changes.iter().all(|c| c.applies));
    let rw = &plan.preconditions.role_rewrites["bob"];
    assert_eq!((rw.user_id, rw.role_ids.clone()), (2, vec![4, 5]));
    assert_eq!(rw.roles, ["Buyer", "User"]);

    let text = render::text(&plan, Color::Never, &crate::CliWords::for_tests());
    assert!(
        text.contains("  bob: roles cleared and set again: Buyer removed, User kept\n"),
        "{text}"
    );
    assert!(!text.contains("reported only, not applied"), "{text}");
    let md = render::markdown(&plan, &crate::CliWords::for_tests());
    assert!(md.contains("### Roles cleared and set again"), "{md}");
    assert!(
        md.contains("- bob: roles cleared and set again: Buyer removed, User kept"),
        "{md}"
    );

    // The record survives the plan file, and a plan without it (older files) reads as empty.
    let json = render::json(&plan);
    let back = Plan::from_json(&json).unwrap();
    assert_eq!(
        back.preconditions.role_rewrites,
        plan.preconditions.role_rewrites
    );
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format_version"], PLAN_FORMAT_UNSCOPED);
    v["preconditions"]
        .as_object_mut()
        .unwrap()
        .remove("role_rewrites");
    let old = Plan::from_json(&v.to_string()).unwrap();
    assert!(old.preconditions.role_rewrites.is_empty());
}

#[test]
fn removing_a_users_last_role_says_no_role_is_left() {
    let (d, live) = roles_and_licenses(Writes::of([Kind::Role]));
    let mut live = live;
    live.users[1].roles.remove(&5);
    let plan = make(&d, &live, instance(), fixed_now()).unwrap().plan;
    let text = render::text(&plan, Color::Never, &crate::CliWords::for_tests());
    assert!(
        text.contains("bob: roles cleared and set again: Buyer removed, no role left"),
        "{text}"
    );
    let w: Vec<_> = plan
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::LeftWithoutRoles)
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        w,
        ["bob is active and holds no role once this plan is applied"]
    );
    // Reported-only role changes leave no one roleless.
    let (mut d, live) = (d, live);
    d.settings.writes = Writes::default();
    let plan = make(&d, &live, instance(), fixed_now()).unwrap().plan;
    assert!(plan
        .warnings
        .iter()
        .all(|w| w.code != WarningCode::LeftWithoutRoles));
}

#[test]
fn role_removals_count_in_total_but_not_in_a_groups_fraction() {
    let mut live = tenant();
    for u in &mut live.users {
        u.roles.insert(4);
    }
    let mut d = desired();
    d.settings.writes = Writes::of([Kind::Role]);
    d.roles.insert(target("Buyer", Mode::Authoritative, &[]));
    let plan = make(&d, &live, instance(), fixed_now()).unwrap().plan;
    assert_eq!(plan.summary.remove, 4);
    // The default guard limits groups' fractions: four role removals do not trip it.
    check_guards(&plan, &d.settings, None).unwrap();
    d.settings.max_removals = MaxRemovals {
        total: Some(3),
        ..MaxRemovals::NONE
    };
    let err = check_guards(&plan, &d.settings, None).unwrap_err();
    assert_eq!(err.removals, 4);
}

#[test]
fn roles_are_never_cleared_for_api_users_or_the_last_active_admin() {
    let mut live = tenant();
    // carol is an API user holding Buyer; alice is the only active Admin (dave is inactive).
    live.users[2].api_user = true;
    live.users[2].roles.insert(4);
    live.users[0].roles.extend([1, 4]);
    let mut d = desired();
    d.settings.writes = Writes::of([Kind::Role]);
    d.roles.insert(target("Buyer", Mode::Authoritative, &[]));
    let plan = make(&d, &live, instance(), fixed_now()).unwrap().plan;
    let marks: Vec<(String, bool)> = plan.changes.iter().map(|c| (line(c), c.applies)).collect();
    assert_eq!(
        marks,
        [
            ("- role Buyer alice".to_string(), false),
            ("- role Buyer bob".to_string(), true),
            ("- role Buyer carol".to_string(), false),
        ]
    );
    let held: Vec<&str> = plan
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::RolesNotCleared)
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert!(held[0].contains("alice is the only active holder of the omnipotent role Admin"));
    assert!(held[1].contains("carol is an API (integration) user"));
    assert_eq!(
        plan.preconditions.role_rewrites.keys().collect::<Vec<_>>(),
        ["bob"]
    );
}
