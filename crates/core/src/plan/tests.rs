//! Planner unit tests over hand-built `Desired` and `Live` values.

use crate::model::{
    Action, Change, ChangeTarget, Desired, Group, Kind, License, Live, Loc, MaxRemovals, Member,
    Membership, Mode, Origin, Plan, PolicyFile, Role, Settings, Target, User, WarningCode,
};

use super::*;
use crate::bind::{Place, Problem};

mod expiry;
mod owners_and_default_guard;
mod shared_listings;
mod sod;
mod writes;

// ---- builders ----------------------------------------------------------------------------

fn user(id: u64, login: &str) -> User {
    User::new(id, login, &format!("{login}@acme.com"))
}

fn group(id: u64, name: &str) -> Group {
    Group::new(id, name)
}

fn role(id: u64, name: &str, omnipotent: bool) -> Role {
    Role::new(id, name, omnipotent)
}

fn ms(id: u64, user_id: u64, group_id: u64) -> Membership {
    Membership {
        id,
        user_id,
        group_id,
        created_at: None,
        owner: false,
        participant: None,
    }
}

fn member(identity: &str) -> Member {
    Member {
        identity: identity.into(),
        loc: Loc::default(),
        grant: None,
    }
}

fn target(name: &str, mode: Mode, members: &[&str]) -> Target {
    Target {
        name: name.into(),
        mode,
        description: None,
        members: members.iter().map(|m| member(m)).collect(),
        loc: Loc::default(),
        implicit: false,
        remove_owners: false,
        id: None,
    }
}

/// alice(1) bob(2) carol(3) dave(4, inactive); groups AP Clerks(12) with alice+bob,
/// Buyers(13) with bob, Finance(14) with carol; roles Admin(1, omnipotent) held by dave,
/// Buyer(4) held by bob; bob has the expense license.
fn tenant() -> Live {
    let mut bob = user(2, "bob");
    bob.roles.insert(4);
    bob.licenses.insert(License::Expense);
    let mut dave = user(4, "dave");
    dave.active = false;
    dave.roles.insert(1);
    Live {
        users: vec![user(1, "alice"), bob, user(3, "carol"), dave],
        groups: vec![
            group(12, "AP Clerks"),
            group(13, "Buyers"),
            group(14, "Finance"),
        ],
        projects: vec![group(99, "Project X")],
        roles: vec![role(1, "Admin", true), role(4, "Buyer", false)],
        memberships: vec![
            ms(301, 1, 12),
            ms(302, 2, 12),
            ms(303, 2, 13),
            ms(304, 3, 14),
        ],
    }
}

fn desired() -> Desired {
    Desired {
        policy_digest: "sha256:test".into(),
        ..Desired::default()
    }
}

fn with_group(mut d: Desired, t: Target) -> Desired {
    d.groups.insert(t);
    d
}

fn summary_of(p: &Diff) -> Vec<String> {
    p.changes.iter().map(line).collect()
}

/// The warnings' codes and messages.
fn warnings_of(p: &Diff) -> Vec<(WarningCode, &str)> {
    p.warnings
        .iter()
        .map(|w| (w.code, w.message.as_str()))
        .collect()
}

/// 2026-01-01T00:00:00Z, the fixed clock of these tests.
fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

/// [`super::make`] with the command-line words as the core's tests spell them.
fn make(
    desired: &Desired,
    live: &Live,
    origin: Origin,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Planned, PlanFailure> {
    super::make(desired, live, origin, now, &crate::CliWords::for_tests())
}

fn instance() -> Origin {
    Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    }
}

fn line(c: &Change) -> String {
    let a = match c.action {
        Action::Add => '+',
        Action::Remove => '-',
    };
    format!("{a} {} {} {}", c.kind().word(), c.target.name(), c.user)
}

// ---- diff --------------------------------------------------------------------------------

#[test]
fn empty_desired_changes_nothing() {
    let plan = diff(&desired(), &tenant()).unwrap();
    assert!(plan.is_empty());
    assert_eq!(plan.summary, crate::model::Summary::default());
    assert!(plan.warnings.is_empty());
    assert!(plan.preconditions.groups.is_empty());
}

#[test]
fn authoritative_adds_missing_and_removes_unlisted() {
    let d = with_group(
        desired(),
        target("AP Clerks", Mode::Authoritative, &["alice", "carol"]),
    );
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(
        summary_of(&plan),
        ["- group AP Clerks bob", "+ group AP Clerks carol"]
    );
    let rm = &plan.changes[0];
    assert_eq!(rm.membership_id, Some(302));
    assert_eq!(
        (&rm.target, rm.user_id, rm.applies),
        (
            &ChangeTarget::Group {
                id: 12,
                name: "AP Clerks".into()
            },
            2,
            true
        )
    );
    let add = &plan.changes[1];
    assert_eq!(
        (add.membership_id, add.user_id, add.applies),
        (None, 3, true)
    );
    assert_eq!((plan.summary.add, plan.summary.remove), (1, 1));
    assert_eq!(plan.summary.reported_only, 0);
}

#[test]
fn additive_only_adds() {
    let d = with_group(desired(), target("AP Clerks", Mode::Additive, &["carol"]));
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["+ group AP Clerks carol"]);
}

#[test]
fn implicit_targets_are_additive_even_if_marked_authoritative() {
    let mut t = target("AP Clerks", Mode::Authoritative, &["carol"]);
    t.implicit = true;
    let plan = diff(&with_group(desired(), t), &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["+ group AP Clerks carol"]);
}

#[test]
fn protected_users_are_never_removed() {
    let mut d = with_group(desired(), target("AP Clerks", Mode::Authoritative, &[]));
    d.roles.insert(target("Buyer", Mode::Authoritative, &[]));
    d.settings.protected_users = vec![member("BOB@acme.com")];
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["- group AP Clerks alice"]);
    assert_eq!(plan.preconditions.protected_user_ids, [2]);
    assert_eq!(
        warnings_of(&plan),
        [
            (
                WarningCode::ProtectedUserKept,
                "kept bob in group \"AP Clerks\": protected user (settings.protected_users)"
            ),
            (
                WarningCode::ProtectedUserKept,
                "kept bob in role \"Buyer\": protected user (settings.protected_users)"
            ),
        ]
    );
    assert_eq!(plan.warnings[1].user.as_deref(), Some("bob"));
    assert_eq!(
        plan.warnings[1].target,
        Some(ChangeTarget::Role {
            id: 4,
            name: "Buyer".into()
        })
    );
}

#[test]
fn unknown_protected_user_is_an_error() {
    let mut d = desired();
    d.settings.protected_users = vec![member("ghost")];
    assert_eq!(
        problems(diff(&d, &tenant()).unwrap_err()),
        [Problem::UnknownUser {
            at: Loc::default(),
            identity: "ghost".into(),
            place: Place::Protected,
        }]
    );
}

/// The problems of a binding refused for names.
fn problems(e: PlanError) -> Vec<Problem> {
    match e {
        PlanError::Unresolved(p) => p.0,
        other => panic!("not a name problem: {other}"),
    }
}

#[test]
fn undeclared_targets_are_untouched() {
    // Only Buyers is declared (and already right): AP Clerks, Finance, roles and licenses stay.
    let d = with_group(desired(), target("Buyers", Mode::Authoritative, &["bob"]));
    let plan = diff(&d, &tenant()).unwrap();
    assert!(plan.is_empty(), "{:?}", plan.changes);
}

#[test]
fn identities_and_names_match_case_insensitively() {
    let d = with_group(
        desired(),
        target(
            "ap CLERKS",
            Mode::Authoritative,
            &["ALICE", "Bob@ACME.com", "Carol@Acme.Com"],
        ),
    );
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["+ group AP Clerks carol"]);
    // target is spelt as Coupa spells it
    assert_eq!(plan.changes[0].target.name(), "AP Clerks");
    assert_eq!(plan.changes[0].user, "carol");
}

#[test]
fn a_member_listed_twice_is_added_once() {
    let d = with_group(
        desired(),
        target(
            "Finance",
            Mode::Authoritative,
            &["carol", "alice", "ALICE@acme.com"],
        ),
    );
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(summary_of(&plan), ["+ group Finance alice"]);
}

#[test]
fn roles_and_licenses_are_reported_not_applied() {
    let mut d = desired();
    d.roles
        .insert(target("buyer", Mode::Authoritative, &["alice"]));
    d.licenses.insert(
        License::Expense,
        target("expense", Mode::Authoritative, &["carol"]),
    );
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(
        summary_of(&plan),
        [
            "- role Buyer bob",
            "+ role Buyer alice",
            "- license expense bob",
            "+ license expense carol",
        ]
    );
    assert!(plan.changes.iter().all(|c| !c.applies && !c.privileged));
    assert!(plan.changes.iter().all(|c| c.membership_id.is_none()));
    assert_eq!(plan.changes[0].target.id(), Some(4));
    assert_eq!(
        plan.changes[2].target,
        ChangeTarget::License(License::Expense)
    );
    assert_eq!(plan.changes[2].target.id(), None, "licenses have no id");
    assert_eq!((plan.summary.add, plan.summary.remove), (0, 0));
    assert_eq!(plan.summary.reported_only, 4);
    assert!(plan.preconditions.groups.is_empty());
}

#[test]
fn omnipotent_role_changes_are_privileged() {
    let mut d = desired();
    d.roles
        .insert(target("Admin", Mode::Authoritative, &["alice"]));
    let plan = diff(&d, &tenant()).unwrap();
    assert_eq!(
        summary_of(&plan),
        ["- role Admin dave", "+ role Admin alice"]
    );
    assert!(plan.changes.iter().all(|c| c.privileged && !c.applies));
}

#[test]
fn inactive_users_are_added_with_a_warning_and_removed_normally() {
    let mut live = tenant();
    live.memberships.push(ms(305, 4, 13)); // inactive dave in Buyers
    let d = with_group(
        with_group(
            desired(),
            target("Finance", Mode::Authoritative, &["carol", "dave"]),
        ),
        target("Buyers", Mode::Authoritative, &["bob"]),
    );
    let plan = diff(&d, &live).unwrap();
    assert_eq!(
        summary_of(&plan),
        ["- group Buyers dave", "+ group Finance dave"]
    );
    assert_eq!(
        warnings_of(&plan),
        [(
            WarningCode::InactiveUser,
            "dave is inactive in Coupa; the plan still adds them to group \"Finance\""
        )]
    );
}

#[test]
fn duplicate_live_memberships_never_double_add_and_are_all_removed() {
    let mut live = tenant();
    live.memberships.push(ms(310, 2, 12)); // bob twice in AP Clerks
    live.memberships.push(ms(311, 3, 14)); // carol twice in Finance

    let d = with_group(
        desired(),
        target("AP Clerks", Mode::Authoritative, &["alice"]),
    );
    let plan = diff(&d, &live).unwrap();
    let ids: Vec<_> = plan.changes.iter().map(|c| c.membership_id).collect();
    assert_eq!(ids, [Some(302), Some(310)]);
    assert_eq!(plan.summary.remove, 2);
    assert_eq!(
        plan.preconditions.groups["AP Clerks"].members,
        ["alice", "bob"]
    );

    let d = with_group(
        desired(),
        target("Finance", Mode::Authoritative, &["carol", "alice"]),
    );
    let plan = diff(&d, &live).unwrap();
    assert_eq!(summary_of(&plan), ["+ group Finance alice"]);
    assert_eq!(
        warnings_of(&plan),
        [(
            WarningCode::DuplicateMembership,
            "carol has 2 memberships of group \"Finance\" (ids 304, 311); left as they are"
        )]
    );
}

#[test]
fn unresolved_names_are_errors_never_skipped_and_all_are_given() {
    let mut live = tenant();
    let d = with_group(
        desired(),
        target("AP Clerks", Mode::Additive, &["alice", "zed"]),
    );
    let d = with_group(d, target("Nope", Mode::Additive, &[]));
    let mut d = with_group(d, target("project x", Mode::Additive, &[]));
    d.roles.insert(target("Nope", Mode::Additive, &[]));
    let kinds: Vec<String> = problems(diff(&d, &live).unwrap_err())
        .iter()
        .map(|p| format!("{p}"))
        .collect();
    assert_eq!(
        kinds,
        [
            "group \"Nope\" does not exist in Coupa",
            "\"project x\" is a Coupa project, not a user group",
            "role \"Nope\" does not exist in Coupa",
            "group \"AP Clerks\": no Coupa user has the login or email \"zed\"",
        ]
    );
    // One refusal says the first and how many more.
    assert!(diff(&d, &live)
        .unwrap_err()
        .to_string()
        .ends_with("does not exist in Coupa (and 3 more)"));

    // erin's email is frank's login: every user the identity names is given.
    let mut erin = user(5, "erin");
    erin.email = "frank".into();
    live.users.push(erin);
    live.users.push(user(6, "frank"));
    let d = with_group(desired(), target("AP Clerks", Mode::Additive, &["frank"]));
    assert!(matches!(
        &problems(diff(&d, &live).unwrap_err())[..],
        [Problem::AmbiguousUser { users, .. }] if users.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>() == ["erin", "frank"]
    ));
}

#[test]
fn membership_of_an_unread_user_refuses_the_plan() {
    let mut live = tenant();
    live.memberships.push(ms(320, 77, 12));
    let d = with_group(
        desired(),
        target("AP Clerks", Mode::Authoritative, &["alice", "bob"]),
    );
    assert_eq!(
        diff(&d, &live).unwrap_err(),
        PlanError::UnknownMember {
            group: "AP Clerks".into(),
            membership_id: 320,
            user_id: 77
        }
    );
    // An unmanaged group's odd membership does not matter.
    let d = with_group(
        desired(),
        target("Finance", Mode::Authoritative, &["carol"]),
    );
    assert!(diff(&d, &live).unwrap().is_empty());
}

#[test]
fn order_is_deterministic_kind_target_action_user() {
    let mut d = desired();
    d = with_group(d, target("Finance", Mode::Authoritative, &["bob", "alice"]));
    d = with_group(d, target("ap clerks", Mode::Authoritative, &["carol"]));
    d.licenses.insert(
        License::Expense,
        target("expense", Mode::Additive, &["alice"]),
    );
    d.roles.insert(target("Buyer", Mode::Additive, &["carol"]));
    let live = tenant();
    let plan = diff(&d, &live).unwrap();
    assert_eq!(
        summary_of(&plan),
        [
            "- group AP Clerks alice",
            "- group AP Clerks bob",
            "+ group AP Clerks carol",
            "- group Finance carol",
            "+ group Finance alice",
            "+ group Finance bob",
            "+ role Buyer carol",
            "+ license expense alice",
        ]
    );
    // Same inputs in a different live order: same plan.
    let mut shuffled = live.clone();
    shuffled.users.reverse();
    shuffled.memberships.reverse();
    shuffled.groups.reverse();
    assert_eq!(diff(&d, &shuffled).unwrap(), plan);
}

#[test]
fn preconditions_cover_touched_groups_only() {
    let d = with_group(
        with_group(
            desired(),
            target("AP Clerks", Mode::Authoritative, &["alice"]),
        ),
        target("Finance", Mode::Authoritative, &["carol"]),
    );
    let plan = diff(&d, &tenant()).unwrap();
    let pre = &plan.preconditions.groups;
    assert_eq!(pre.keys().collect::<Vec<_>>(), ["AP Clerks"]);
    assert_eq!(pre["AP Clerks"].group_id, 12);
    assert_eq!(pre["AP Clerks"].members, ["alice", "bob"]);
    assert_eq!(pre["AP Clerks"].members_fingerprint, fingerprint([1, 2]));
}

// ---- fingerprint ------------------------------------------------------------------------

#[test]
fn fingerprint_ignores_order_and_duplicates() {
    let f = fingerprint([3, 1, 2]);
    assert_eq!(f, fingerprint([1, 2, 3, 3, 1]));
    assert_ne!(f, fingerprint([1, 2]));
    assert!(f.starts_with("sha256:"));
    assert_eq!(f.len(), 7 + 64);
    // sha256 of the empty string
    assert_eq!(
        fingerprint([]),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(fingerprint([2, 1]), fingerprint([1, 2]));
    assert_ne!(fingerprint([12]), fingerprint([1, 2]));
}

// ---- guards -----------------------------------------------------------------------------

/// A plan removing `n` of `members` members from group "Big" (plus a reported-only role removal,
/// which guards ignore).
fn removal_plan(n: u64, members: u64) -> Plan {
    let mut live = tenant();
    live.groups.push(group(50, "Big"));
    for i in 0..members {
        live.users.push(user(1000 + i, &format!("u{i:03}")));
        live.memberships.push(ms(5000 + i, 1000 + i, 50));
    }
    let keep: Vec<String> = (n..members).map(|i| format!("u{i:03}")).collect();
    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
    let mut d = with_group(desired(), target("Big", Mode::Authoritative, &keep));
    d.roles.insert(target("Buyer", Mode::Authoritative, &[]));
    make(&d, &live, instance(), fixed_now()).unwrap().plan
}

fn settings(total: Option<usize>, frac: Option<f64>) -> Settings {
    Settings {
        protected_users: vec![],
        max_removals: MaxRemovals {
            total,
            per_group_fraction: frac,
            ..MaxRemovals::NONE
        },
        ..Settings::default()
    }
}

#[test]
fn guards_pass_without_limits_or_within_them() {
    let plan = removal_plan(5, 20);
    assert_eq!(plan.summary.remove, 5);
    assert_eq!(plan.preconditions.max_removals, MaxRemovals::default());
    assert!(check_guards(&plan, &Settings::default(), None).is_ok());
    assert!(check_guards(&plan, &settings(Some(5), Some(0.25)), None).is_ok());
}

#[test]
fn guard_total_trips_and_names_the_override() {
    let plan = removal_plan(5, 20);
    let err = check_guards(&plan, &settings(Some(4), None), None).unwrap_err();
    assert_eq!(err.removals, 5);
    assert_eq!(err.total_limit, Some(4));
    assert!(err.groups.is_empty());
    let msg = err.message(&crate::CliWords::for_tests());
    assert!(
        msg.contains("removes 5 group memberships; the limit is 4"),
        "{msg}"
    );
    assert!(msg.contains("--allow-removals 5"), "{msg}");
}

#[test]
fn guard_per_group_fraction_trips_with_the_fraction() {
    let plan = removal_plan(6, 20);
    let err = check_guards(&plan, &settings(None, Some(0.25)), None).unwrap_err();
    assert_eq!(err.total_limit, None);
    assert_eq!(err.groups.len(), 1);
    let g = &err.groups[0];
    assert_eq!((g.group.as_str(), g.removed, g.members), ("Big", 6, 20));
    assert!((g.fraction - 0.3).abs() < 1e-12);
    let msg = err.message(&crate::CliWords::for_tests());
    assert!(
        msg.contains("group \"Big\" would lose 6 of 20 members (30%); the limit is 25%"),
        "{msg}"
    );
    assert!(msg.contains("--allow-removals 6"), "{msg}");
}

#[test]
fn allow_removals_lifts_guards_only_on_exact_match() {
    let plan = removal_plan(6, 20);
    let s = settings(Some(2), Some(0.1));
    assert!(check_guards(&plan, &s, Some(6)).is_ok());
    for wrong in [5, 7, 0, 100] {
        let err = check_guards(&plan, &s, Some(wrong)).unwrap_err();
        assert_eq!(err.allow, Some(wrong));
        let msg = err.message(&crate::CliWords::for_tests());
        assert!(
            msg.contains(&format!(
                "--allow-removals {wrong} does not match: the plan removes exactly 6"
            )),
            "{msg}"
        );
    }
}

#[test]
fn guards_count_only_applied_removals() {
    // One role removal (reported only) and no group removals: a total of 0 is not exceeded.
    let plan = removal_plan(0, 3);
    assert_eq!(plan.summary.reported_only, 1);
    assert!(check_guards(&plan, &settings(Some(0), Some(0.0)), None).is_ok());
}

#[test]
fn a_large_tenant_plans_every_change() {
    // 100,000 users; group 50 holds the first 60,000; the policy lists users 10,000..70,000.
    let mut live = tenant();
    live.groups.push(group(50, "Everyone"));
    for i in 0..100_000u64 {
        live.users.push(user(10_000 + i, &format!("p{i:06}")));
        if i < 60_000 {
            live.memberships.push(ms(1_000_000 + i, 10_000 + i, 50));
        }
    }
    let names: Vec<String> = (10_000..70_000)
        .map(|i| format!("P{i:06}@ACME.COM"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let d = with_group(desired(), target("everyone", Mode::Authoritative, &names));
    let plan = diff(&d, &live).unwrap();
    assert_eq!((plan.summary.add, plan.summary.remove), (10_000, 10_000));
    assert_eq!(plan.changes[0].user, "p000000");
    assert_eq!(plan.changes[10_000].user, "p060000");
    assert_eq!(plan.preconditions.groups["Everyone"].members.len(), 60_000);
}

#[test]
fn guard_message_names_totals_groups_and_the_override() {
    let plan = removal_plan(6, 20);
    let err = check_guards(&plan, &settings(Some(5), Some(0.25)), Some(4)).unwrap_err();
    assert_eq!(
        err.message(&crate::CliWords::for_tests()),
        "removal guard tripped:\n  \
         this plan removes 6 group memberships; the limit is 5 (settings.max_removals.total)\n  \
         group \"Big\" would lose 6 of 20 members (30%); the limit is 25% (settings.max_removals.per_group_fraction)\n  \
         --allow-removals 4 does not match: the plan removes exactly 6\n\
         Review the removals, then rerun with --allow-removals 6 to allow exactly these 6 removals."
    );
}

// ---- make: the plan use case ------------------------------------------------------------

fn load(yaml: &str) -> Desired {
    crate::policy::load_files(vec![PolicyFile {
        path: "policies/access.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap()
}

#[test]
fn make_stamps_origin_and_the_given_time_to_the_second() {
    let d = load("groups:\n  Finance:\n    members: [carol, alice]\n");
    let now = fixed_now() + chrono::Duration::milliseconds(750);
    let plan = make(&d, &tenant(), instance(), now).unwrap().plan;
    assert_eq!(plan.generated_at, fixed_now());
    assert_eq!(plan.origin, instance());
    assert_eq!(plan.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(plan.policy_digest, d.policy_digest);
    assert_eq!(summary_of_plan(&plan), ["+ group Finance alice"]);
    assert!(plan.warnings.is_empty());
}

fn summary_of_plan(p: &Plan) -> Vec<String> {
    p.changes.iter().map(line).collect()
}

#[test]
fn make_states_an_inactive_user_once_with_where_and_what_to_do() {
    // The check warns about dave at each listing; the planner about each add: one fact.
    let d = load(
        "groups:\n  Finance:\n    members: [carol, dave]\n  Buyers:\n    members: [bob, dave]\n",
    );
    let planned = make(&d, &tenant(), instance(), fixed_now()).unwrap();
    assert_eq!(
        planned.diagnostics.len(),
        2,
        "both listings shown on stderr"
    );
    let w = &planned.plan.warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].code, WarningCode::InactiveUser);
    assert_eq!(w[0].user.as_deref(), Some("dave"));
    assert_eq!(
        w[0].message,
        "dave is inactive in Coupa; the plan still adds them to group \"Buyers\", group \"Finance\""
    );
    assert_eq!(
        w[0].one_line(),
        "policies/access.yaml:5:20: dave is inactive in Coupa; the plan still adds them to \
         group \"Buyers\", group \"Finance\" \
         (reactivate the user in Coupa or remove them from the policy)"
    );
}

#[test]
fn make_keeps_check_warnings_for_facts_the_planner_does_not_state() {
    // dave is already in Finance, so nothing is added: only the check's
    // warning remains, with its own words.
    let mut live = tenant();
    live.memberships.push(ms(306, 4, 14));
    let d = load("groups:\n  Finance:\n    members: [carol, dave]\n");
    let plan = make(&d, &live, instance(), fixed_now()).unwrap().plan;
    assert!(plan.is_empty());
    assert_eq!(
        plan.warnings
            .iter()
            .map(|w| w.one_line())
            .collect::<Vec<_>>(),
        [
            "policies/access.yaml:3:22: user `dave` is inactive in Coupa \
          (reactivate the user in Coupa or remove them from the policy)"
        ]
    );
}

#[test]
fn make_turns_a_tripped_guard_into_a_warning_at_the_setting() {
    let d =
        load("groups:\n  AP Clerks:\n    members: []\nsettings:\n  max_removals: { total: 1 }\n");
    let plan = make(&d, &tenant(), instance(), fixed_now()).unwrap().plan;
    assert_eq!(plan.summary.remove, 2);
    let w = &plan.warnings;
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, WarningCode::GuardExceeded);
    let at = w[0].at.as_ref().unwrap();
    assert_eq!(
        (at.file.as_str(), at.line, at.column),
        ("policies/access.yaml", 5, 26)
    );
    assert_eq!(
        w[0].one_line(),
        "policies/access.yaml:5:26: apply will refuse this plan: this plan removes 2 group \
         memberships; the limit is 1 (settings.max_removals.total) (Review the removals, then \
         rerun with --allow-removals 2 to allow exactly these 2 removals.)"
    );
    assert!(!w[0].message.contains('\n'), "one line");
}

#[test]
fn make_fails_with_every_check_error_and_the_warnings() {
    let d = load("groups:\n  Finance:\n    members: [dave, zed, yan]\n");
    match make(&d, &tenant(), instance(), fixed_now()) {
        Err(PlanFailure::Check { errors, warnings }) => {
            assert_eq!(errors.len(), 2);
            assert_eq!(warnings.len(), 1);
            assert_eq!(warnings[0].message(), "user `dave` is inactive in Coupa");
        }
        other => panic!("expected check errors, got {other:?}"),
    }
    // The planner's own refusals come through too.
    let mut live = tenant();
    live.memberships.push(ms(320, 77, 14));
    let d = load("groups:\n  Finance:\n    members: [carol]\n");
    assert!(matches!(
        make(&d, &live, instance(), fixed_now()),
        Err(PlanFailure::Plan(PlanError::UnknownMember {
            user_id: 77,
            ..
        }))
    ));
}

/// A byte-order mark is no column: a plan warning on the first line names the column the policy
/// diagnostics (and editors) name.
#[test]
fn a_byte_order_mark_is_no_column_in_plan_warnings_as_in_diagnostics() {
    let prefix = "settings: {protected_users: [";
    let d = load(&format!(
        "\u{feff}{prefix}bob]}}\ngroups:\n  AP Clerks:\n    members: [alice]\n"
    ));
    let diff = diff(&d, &tenant()).unwrap();
    let kept = diff
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::ProtectedUserKept)
        .expect("bob is kept");
    let at = kept.at.clone().expect("a position");
    assert_eq!((at.line, at.column), (1, prefix.chars().count() + 1));
    let loc = d.settings.protected_users[0].loc;
    assert_eq!(
        crate::policy::describe_loc(&d, loc),
        format!("policies/access.yaml:1:{}", prefix.chars().count() + 1)
    );
}

#[test]
fn acknowledged_warnings_are_kept_apart_and_not_shown_as_diagnostics() {
    // dave (inactive) is acknowledged by email, so by whom it names; the plan still adds him.
    let policy = "groups:\n  Finance:\n    members: [carol, dave]\n  Buyers:\n    members: [bob, dave]\nsettings:\n  acknowledge:\n    - { code: inactive_user, user: dave@acme.com, reason: kept until the leaver process ends }\n";
    let planned = make(&load(policy), &tenant(), instance(), fixed_now()).unwrap();
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    assert!(
        planned.plan.warnings.is_empty(),
        "{:?}",
        planned.plan.warnings
    );
    assert_eq!(planned.plan.acknowledged.len(), 1);
    assert_eq!(planned.plan.acknowledged[0].user.as_deref(), Some("dave"));
    assert!(summary_of_plan(&planned.plan).contains(&"+ group Finance dave".to_string()));
    // The JSON keeps the full list, and reads back.
    let json = crate::render::json(&planned.plan);
    assert!(json.contains("\"acknowledged\": ["), "{json}");
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back.acknowledged, planned.plan.acknowledged);
    // Another user's or another code's acknowledgement leaves the warning shown.
    let other = "groups:\n  Finance:\n    members: [carol, dave]\nsettings:\n  acknowledge:\n    - { code: inactive_user, user: carol }\n    - { code: inactive_group, group: Finance }\n";
    let planned = make(&load(other), &tenant(), instance(), fixed_now()).unwrap();
    assert_eq!(planned.plan.warnings.len(), 1);
    assert!(planned.plan.acknowledged.is_empty());
}

#[test]
fn acknowledgements_name_one_acknowledgeable_fact() {
    let errors = |text: &str| -> Vec<String> {
        crate::policy::load_files(vec![PolicyFile {
            path: "p.yaml".into(),
            text: text.into(),
        }])
        .unwrap_err()
        .diagnostics
        .iter()
        .map(|d| d.one_line())
        .collect()
    };
    let e = errors("settings:\n  acknowledge:\n    - { code: guard_exceeded, user: bob }\n    - { code: inactive_user }\n    - { code: inactive_group, user: bob }\n    - { user: bob }\n    - { code: owner_kept, user: bob, group: A, role: B }\n    - { code: inactive_usr, user: bob }\n");
    assert_eq!(e.len(), 6, "{e:#?}");
    assert!(
        e[0].starts_with(
            "p.yaml:3:15: `guard_exceeded` is not a warning code that can be acknowledged"
        ),
        "{e:#?}"
    );
    assert!(
        e[1].starts_with("p.yaml:4:7: acknowledging `inactive_user` needs the user it is about"),
        "{e:#?}"
    );
    assert!(
        e[2].starts_with("p.yaml:5:7: acknowledging `inactive_group` needs the group it is about"),
        "{e:#?}"
    );
    assert!(
        e[3].starts_with("p.yaml:6:7: an `acknowledge` entry needs a `code`"),
        "{e:#?}"
    );
    assert!(
        e[4].starts_with("p.yaml:7:48: an `acknowledge` entry names one group, role or license"),
        "{e:#?}"
    );
    assert!(e[5].contains("did you mean `inactive_user`?"), "{e:#?}");
}
