//! Checking a loaded policy against live Coupa: every name resolves, or points at where it was
//! written with a suggestion.

use coupa_access_core::model::{Desired, Group, Live, PolicyFile, Role, User};
use coupa_access_core::policy::{self, LabelPoint};

fn user(id: u64, login: &str, email: &str, active: bool) -> User {
    User {
        active,
        ..User::new(id, login, email)
    }
}

fn group(id: u64, name: &str, active: bool) -> Group {
    Group {
        active,
        ..Group::new(id, name)
    }
}

fn live() -> Live {
    Live {
        users: vec![
            user(1, "alice", "alice@acme.com", true),
            user(2, "bob", "bob@acme.com", true),
            user(3, "carol", "carol@acme.com", true),
            user(4, "dave", "dave@acme.com", false),
            // erin's login is frank's email: ambiguous.
            user(5, "erin", "erin@acme.com", true),
            user(6, "frank", "erin", true),
            user(7, "integration-bot", "bot@acme.com", true),
        ],
        groups: vec![
            group(10, "AP Clerks", true),
            group(11, "Approvers EMEA", true),
            group(12, "Old Team", false),
        ],
        projects: vec![group(20, "Project Falcon", true)],
        roles: vec![Role {
            id: 30,
            name: "Buyer".into(),
            description: None,
            omnipotent: false,
            system_role: false,
        }],
        memberships: vec![],
    }
}

fn load(text: &str) -> Desired {
    policy::load_files(vec![PolicyFile {
        path: "policies/access.yaml".into(),
        text: text.into(),
    }])
    .unwrap()
}

fn at(d: &coupa_access_core::policy::PolicyDiagnostic) -> (usize, usize) {
    let p: LabelPoint = d.points()[0].clone();
    assert_eq!(p.path, "policies/access.yaml");
    (p.line, p.column)
}

#[test]
fn a_policy_whose_names_all_resolve_is_ok() {
    let d = load(
        "groups:\n  ap clerks: { members: [ALICE@acme.com, Bob] }\nroles:\n  BUYER: { members: [carol] }\nlicenses:\n  expense: { members: [alice] }\nsettings:\n  protected_users: [integration-bot]\n",
    );
    let report = policy::check(&d, &live());
    assert!(report.is_ok(), "{:?}", report.errors);
    assert!(report.warnings.is_empty());
}

#[test]
fn unknown_users_are_errors_with_a_suggestion() {
    let d = load("groups:\n  AP Clerks:\n    members: [alise, alice@acme.co, zzz]\n");
    let report = policy::check(&d, &live());
    let got: Vec<(&str, (usize, usize), Option<&str>)> = report
        .errors
        .iter()
        .map(|e| (e.message(), at(e), e.help_text()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "unknown user `alise`",
                (3, 15),
                Some("did you mean `alice`?")
            ),
            (
                "unknown user `alice@acme.co`",
                (3, 22),
                Some("did you mean `alice@acme.com`?")
            ),
            (
                "unknown user `zzz`",
                (3, 37),
                Some("write the user's Coupa login or email")
            ),
        ]
    );
    assert!(!report.is_ok());
}

#[test]
fn an_identity_that_is_one_users_login_and_anothers_email_is_ambiguous() {
    let d = load("groups:\n  AP Clerks:\n    members: [erin]\n");
    let report = policy::check(&d, &live());
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert!(
        e.message().contains("`erin`") && e.message().contains("`frank`"),
        "{}",
        e.message()
    );
    assert_eq!(at(e), (3, 15));
}

#[test]
fn unknown_groups_projects_and_roles_are_errors() {
    let d = load(
        "groups:\n  AP Clerk: { members: [] }\n  project falcon: { members: [] }\n  Marketing: { members: [] }\nroles:\n  Buyr: { members: [] }\n",
    );
    let report = policy::check(&d, &live());
    let got: Vec<(&str, (usize, usize), Option<&str>)> = report
        .errors
        .iter()
        .map(|e| (e.message(), at(e), e.help_text()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "unknown group `AP Clerk`",
                (2, 3),
                Some("did you mean `AP Clerks`?")
            ),
            (
                "`Project Falcon` is a project, not a user group",
                (3, 3),
                got[1].2
            ),
            (
                "unknown group `Marketing`",
                (4, 3),
                Some("group names must match a user group in Coupa (case-insensitively)")
            ),
            ("unknown role `Buyr`", (6, 3), Some("did you mean `Buyer`?")),
        ]
    );
}

#[test]
fn unknown_protected_users_are_errors() {
    let d = load("settings:\n  protected_users: [integration-bott]\n");
    let report = policy::check(&d, &live());
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert_eq!(
        e.message(),
        "unknown user `integration-bott` in `protected_users`"
    );
    assert_eq!(e.help_text(), Some("did you mean `integration-bot`?"));
    assert_eq!(at(e), (2, 21));
}

#[test]
fn inactive_users_and_groups_are_warnings() {
    let d =
        load("groups:\n  old team:\n    members: [dave]\nsettings:\n  protected_users: [dave]\n");
    let report = policy::check(&d, &live());
    assert!(report.is_ok(), "{:?}", report.errors);
    let got: Vec<(&str, (usize, usize))> = report
        .warnings
        .iter()
        .map(|w| (w.message(), at(w)))
        .collect();
    assert_eq!(
        got,
        [
            ("group `Old Team` is inactive in Coupa", (2, 3)),
            ("user `dave` is inactive in Coupa", (3, 15)),
        ]
    );
    assert_eq!(
        report.warning_messages()[1],
        "policies/access.yaml:3:15: user `dave` is inactive in Coupa \
         (reactivate the user in Coupa or remove them from the policy)"
    );
}

#[test]
fn one_unknown_person_in_the_users_form_is_reported_once() {
    let d =
        load("users:\n  nobody: { groups: [AP Clerks], roles: [Buyer], licenses: [expense] }\n");
    let report = policy::check(&d, &live());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].message(), "unknown user `nobody`");
    assert_eq!(at(&report.errors[0]), (2, 3));
}

#[test]
fn check_errors_render_with_file_line_and_column() {
    let d = load("groups:\n  AP Clerks:\n    members: [alise]\n");
    let report = policy::check(&d, &live());
    let out = policy::render_plain(&report.errors);
    assert!(out.contains("policies/access.yaml:3:15"), "{out}");
    assert!(out.contains("unknown user `alise`"));
    assert!(out.contains("did you mean `alice`?"));
}

#[test]
fn suggestions_stay_cheap_on_a_large_tenant() {
    let mut live = live();
    for i in 0..100_000u64 {
        live.users.push(user(
            1000 + i,
            &format!("user{i:06}"),
            &format!("user{i:06}@acme.com"),
            true,
        ));
    }
    let members: Vec<String> = (0..200).map(|i| format!("usr{i:06}")).collect();
    let d = load(&format!(
        "groups:\n  AP Clerks:\n    members: [{}]\n",
        members.join(", ")
    ));
    let report = policy::check(&d, &live);
    // 50 shown, then one summary of the other 150.
    assert_eq!(report.errors.len(), 51);
    assert_eq!(
        report.errors[0].help_text(),
        Some("did you mean `user000000`?")
    );
    assert_eq!(report.errors[50].message(), "and 150 more unknown users");
}

#[test]
fn one_person_written_as_login_and_email_for_one_target_is_a_warning() {
    let d = load("groups:\n  AP Clerks:\n    members: [alice, Alice@Acme.com]\n");
    let report = policy::check(&d, &live());
    assert!(report.is_ok());
    assert_eq!(report.warnings.len(), 1);
    let w = &report.warnings[0];
    assert_eq!(
        w.message(),
        "`alice` and `Alice@Acme.com` are the same user (`alice`), both listed for `AP Clerks`"
    );
    let points: Vec<(usize, usize)> = w.points().iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(points, [(3, 22), (3, 15)]);
}

#[test]
fn names_equal_but_for_case_resolve_by_exact_spelling_or_are_errors() {
    let mut live = live();
    live.users.push(user(8, "Bob", "bob2@acme.com", true));
    live.groups.push(group(13, "AP clerks", true));
    live.roles.push(Role::new(31, "buyer", false));
    // Exact spellings pick their own record; nothing is silently swapped.
    let ok =
        load("groups:\n  AP clerks: { members: [Bob] }\nroles:\n  Buyer: { members: [alice] }\n");
    let report = policy::check(&ok, &live);
    assert!(report.is_ok(), "{:?}", report.errors);
    let plan = coupa_access_core::plan::diff(&ok, &live).unwrap();
    let groups: Vec<(u64, u64)> = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.target.group_id()?, c.user_id)))
        .collect();
    assert_eq!(
        groups,
        vec![(13, 8)],
        "Bob (not bob) into AP clerks (not AP Clerks)"
    );

    // Any other spelling is ambiguous: an error at the name, and the planner refuses too.
    let d =
        load("groups:\n  ap CLERKS: { members: [BOB] }\nroles:\n  BUYER: { members: [alice] }\n");
    let report = policy::check(&d, &live);
    let messages: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(report.errors.len(), 3, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("matches two groups")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("matches two roles")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`BOB` matches two users")),
        "{messages:?}"
    );
    assert_eq!(at(&report.errors[0]), (2, 3));
    assert!(coupa_access_core::plan::diff(&d, &live).is_err());
}

#[test]
fn twenty_thousand_unknown_users_are_capped_with_an_exact_count() {
    let mut live = live();
    for i in 0..20_000u64 {
        live.users.push(user(
            1000 + i,
            &format!("user{i:05}"),
            &format!("user{i:05}@acme.com"),
            true,
        ));
    }
    // Per-person form: 20,000 people nobody in Coupa has, plus one typo in a group's list.
    let mut text = String::from("groups:\n  AP Clerks:\n    members: [alise]\nusers:\n");
    for i in 0..20_000 {
        text.push_str(&format!("  person{i:05}: {{ groups: [AP Clerks] }}\n"));
    }
    let d = load(&text);
    let report = policy::check(&d, &live);
    assert_eq!(report.errors.len(), 51, "50 shown and one summary");
    let (shown, summary) = report.errors.split_at(50);
    assert!(shown.iter().all(|d| d.code() == "policy::unknown_user"));
    assert_eq!(shown[0].message(), "unknown user `alise`");
    assert_eq!(shown[0].help_text(), Some("did you mean `alice`?"));
    assert_eq!(shown[1].message(), "unknown user `person00000`");
    assert_eq!(at(&shown[1]), (5, 3));
    assert_eq!(summary[0].code(), "policy::unknown_user");
    assert_eq!(summary[0].message(), "and 19,951 more unknown users");
    // The rendering stays small: 51 reports, not 20,001.
    assert!(policy::render_plain(&report.errors).len() < 50_000);
}

#[test]
fn warnings_and_errors_past_column_65535_render() {
    // One 100 KB line: known members, then an inactive user and an unknown one at its end.
    let padding: Vec<&str> = std::iter::repeat_n("alice", 17_000).collect();
    let text = format!(
        "groups: {{ AP Clerks: {{ mode: additive, members: [{}, dave, nobody-here] }} }}\n",
        padding.join(", ")
    );
    assert!(text.len() > 100_000);
    let d = policy::load_files(vec![PolicyFile {
        path: "policies/access.yaml".into(),
        text,
    }]);
    // alice 17,000 times is a duplicate-member error past column 65,535 too.
    let err = d.unwrap_err();
    let out = policy::render_plain(&err.diagnostics);
    assert!(out.contains("listed twice"), "{out}");
    assert!(out.len() < 100_000, "long lines are quoted as a window");

    let text = format!(
        "groups: {{ AP Clerks: {{ description: '{}', members: [dave, nobody-here] }} }}\n",
        "x".repeat(100_000)
    );
    let d = load(&text);
    let report = policy::check(&d, &live());
    // `nobody-here`: 37 characters before the description's text, 19 after it.
    assert_eq!(at(&report.errors[0]).1, 37 + 100_000 + 19 + 1);
    let out = policy::render_plain(&report.errors);
    assert!(out.contains("unknown user `nobody-here`"), "{out}");
    let out = policy::render_plain(&report.warnings);
    assert!(out.contains("user `dave` is inactive"), "{out}");
}

/// Names from policy files reach the terminal only as printable text: an escape sequence or a
/// right-to-left override in a group name is shown escaped in the diagnostic.
#[test]
fn diagnostics_never_carry_control_characters_from_names() {
    let files = vec![coupa_access_core::model::PolicyFile {
        path: "policies/g.yaml".into(),
        text: "groups:\n  \"Evil\\e]0;pwned\\a\\u202e\":\n    members: [alice]\n".into(),
    }];
    let desired = coupa_access_core::policy::load_files(files).unwrap();
    let report = coupa_access_core::policy::check(&desired, &crate::common::tenant());
    assert!(!report.errors.is_empty());
    for d in &report.errors {
        let text = format!("{} {:?}", d.message(), d.help_text());
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
    let rendered = coupa_access_core::policy::render_plain(&report.errors);
    assert!(rendered.contains("\\u{1b}"), "{rendered}");
}

#[test]
fn two_groups_with_the_same_name_are_told_apart_by_id() {
    let mut live = live();
    // A second group spelled exactly like `AP Clerks` (Coupa does not stop this).
    live.groups.push(group(14, "AP Clerks", true));
    live.memberships = vec![coupa_access_core::model::Membership {
        id: 90,
        user_id: 1,
        group_id: 10,
        created_at: None,
        owner: false,
        participant: None,
    }];

    // By name alone the advice names both ids and how to choose; the planner refuses too.
    let d = load("groups:\n  AP Clerks: { members: [alice, bob] }\n");
    let report = policy::check(&d, &live);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!(
        e.to_string(),
        "`AP Clerks` matches two groups in Coupa: `AP Clerks` (id 10) and `AP Clerks` (id 14)"
    );
    let help = e.help_text().unwrap_or_default();
    assert!(help.contains("add `id: 10` or `id: 14`"), "{help}");
    assert_eq!(at(e), (2, 3));
    assert!(coupa_access_core::plan::diff(&d, &live).is_err());

    // `id:` picks one; the plan changes only that group.
    let d = load("groups:\n  AP Clerks: { id: 14, members: [alice, bob] }\n");
    let report = policy::check(&d, &live);
    assert!(report.is_ok(), "{:?}", report.errors);
    let plan = coupa_access_core::plan::diff(&d, &live).unwrap();
    let adds: Vec<(u64, u64)> = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.target.group_id()?, c.user_id)))
        .collect();
    assert_eq!(adds, [(14, 1), (14, 2)], "group 14 only; 10 untouched");

    // An id that is another group's, or nobody's, is an error naming the ids that fit.
    let d = load(
        "groups:\n  AP Clerks: { id: 11, members: [] }\n  Old Team: { id: 99, members: [] }\n",
    );
    let report = policy::check(&d, &live);
    let found: Vec<(String, String)> = report
        .errors
        .iter()
        .map(|e| (e.to_string(), e.help_text().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0].0,
        "group id 11 is `Approvers EMEA` in Coupa, not `AP Clerks`"
    );
    assert!(
        found[0]
            .1
            .contains("Coupa groups named `AP Clerks`: id 10, id 14"),
        "{found:?}"
    );
    assert_eq!(
        found[1].0,
        "no user group in Coupa has id 99 (given for `Old Team`)"
    );
    assert!(found[1].1.contains("named `Old Team`: id 12"), "{found:?}");
    assert!(coupa_access_core::plan::diff(&d, &live).is_err());

    // Only whole numbers from 1, unquoted.
    for bad in ["0", "-1", "\"14\"", "[14]", "1.5"] {
        let text = format!("groups:\n  AP Clerks: {{ id: {bad} }}\n");
        let err = policy::load_files(vec![PolicyFile {
            path: "policies/access.yaml".into(),
            text,
        }])
        .unwrap_err();
        assert!(
            err.diagnostics
                .iter()
                .any(|d| d.to_string().contains("`id` must be")),
            "{bad}: {:?}",
            err.diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
        );
    }
}

/// Four Coupa groups share a name: the error names every one (ids), not just two, and so does
/// the advice; the planner and drift, behind the check, name all four too. Roles and users
/// matching more than two records are named in full the same way.
#[test]
fn every_record_an_ambiguous_name_matches_is_named() {
    let mut live = live();
    for id in [14, 15, 16] {
        live.groups.push(group(id, "AP Clerks", true));
    }
    let d = load("groups:\n  AP Clerks: { members: [alice] }\n");
    let report = policy::check(&d, &live);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!(
        e.to_string(),
        "`AP Clerks` matches four groups in Coupa: `AP Clerks` (id 10), `AP Clerks` (id 14), \
         `AP Clerks` (id 15) and `AP Clerks` (id 16)"
    );
    let help = e.help_text().unwrap_or_default();
    assert!(
        help.contains("four Coupa groups have this exact name: add `id: 10`, `id: 14`, `id: 15` or `id: 16` under `AP Clerks:`"),
        "{help}"
    );
    let err = coupa_access_core::plan::diff(&d, &live).unwrap_err();
    assert_eq!(
        err.to_string(),
        "group \"AP Clerks\" matches 4 Coupa groups (ids 10, 14, 15, 16): add `id:` to say which one"
    );
    let err = coupa_access_core::drift::drift(&d, &live, None).unwrap_err();
    assert!(err.to_string().contains("(ids 10, 14, 15, 16)"), "{err}");

    // Three spellings of one role name; three users whose logins differ only in case.
    live.roles.push(Role::new(31, "BUYER", false));
    live.roles.push(Role::new(32, "buyer", false));
    live.users.push(user(8, "Bob", "bob8@acme.com", true));
    live.users.push(user(9, "BOB", "bob9@acme.com", true));
    let d = load("roles:\n  bUYER: { members: [bOB] }\n");
    let report = policy::check(&d, &live);
    let messages: Vec<String> = report.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        messages.contains(
            &"`bUYER` matches three roles in Coupa: `Buyer` (id 30), `BUYER` (id 31) and `buyer` (id 32)"
                .to_string()
        ),
        "{messages:?}"
    );
    assert!(
        messages.contains(
            &"`bOB` matches three users: `bob` (email bob@acme.com), `Bob` (email bob8@acme.com) and `BOB` (email bob9@acme.com)"
                .to_string()
        ),
        "{messages:?}"
    );
}
