//! Export with hostile Coupa data: names, projects, the source and the time that try to become
//! policy (a `settings:` block, a `users:` grant), names YAML cannot take as plain keys, blank
//! names and logins equal but for case. Each must round-trip or be left out with a warning; a
//! fresh export never holds settings and always plans zero changes.

use super::*;
use crate::model::{Desired, Group, Membership, PolicyFile, Role, User};

/// The two injections of the issue: a `settings:` block that hides removals and a `users:`
/// entry granting the omnipotent role; each starts on a line of its own after a line break.
const SETTINGS: &str = "x\nsettings:\n  protected_users: [alice]\n  max_removals: {}\n#";
const GRANT: &str = "x\nusers:\n  mallory:\n    roles: [Admin]\n    groups: [AP Clerks]\n#";

/// Line breaks and look-alikes of every kind a YAML reader (1.1 or 1.2) or a reviewer's screen
/// might honour, each followed by an injection.
fn breakers() -> Vec<String> {
    [
        "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "\u{b}", "\u{c}",
    ]
    .iter()
    .map(|b| format!("{b}settings:\n  protected_users: [x]"))
    .chain([
        "\n settings:\n  protected_users: [x]".to_string(),
        format!("evil{SETTINGS}"),
        format!("evil{GRANT}"),
        "\u{202e}nimdA".to_string(),
        "tab\there\u{1b}[2J\u{0}".to_string(),
        "\u{feff}bom".to_string(),
    ])
    .collect()
}

fn member(id: u64, user_id: u64, group_id: u64) -> Membership {
    Membership {
        id,
        user_id,
        group_id,
        created_at: None,
        owner: false,
        participant: None,
    }
}

fn all(mode: Mode) -> ExportOptions {
    ExportOptions {
        groups: vec![Glob::new("*")],
        roles: vec![Glob::new("*")],
        licenses: vec![Glob::new("*")],
        mode,
        source: "https://acme.coupahost.com".into(),
        taken_at: "2026-01-01T00:00:00Z".into(),
    }
}

/// alice (in `AP Clerks`), mallory (nothing) and the Admin role: what the injections aim at.
fn base() -> Live {
    let mut alice = User::new(1, "alice", "alice@acme.com");
    alice.licenses = [License::Expense].into();
    Live {
        users: vec![alice, User::new(2, "mallory", "mallory@acme.com")],
        groups: vec![Group::new(100, "AP Clerks")],
        roles: vec![Role::new(1, "Admin", true)],
        memberships: vec![member(1, 1, 100)],
        ..Live::default()
    }
}

/// Exports `live`, then asserts what every export must hold: no control or invisible character on any line,
/// no `settings`, no `users:` targets, and a plan of zero changes against `live`.
fn export_clean(live: &Live, opts: &ExportOptions) -> (Vec<ExportFile>, Desired) {
    let files = match export(live, opts) {
        Ok(f) => f,
        Err(e) => panic!("export refused: {e}"),
    };
    for f in &files {
        for (n, line) in f.text.lines().enumerate() {
            assert!(
                !line.chars().any(text::needs_escape),
                "{}:{}: raw control or invisible character in {line:?}",
                f.name,
                n + 1
            );
        }
        assert!(
            !f.text.lines().any(|l| l.starts_with("settings")
                || l.starts_with("users")
                || l.starts_with("---")),
            "{}:\n{}",
            f.name,
            f.text
        );
    }
    let policy = files
        .iter()
        .map(|f| PolicyFile {
            path: f.name.to_string(),
            text: f.text.clone(),
        })
        .collect();
    let desired = match crate::policy::load_files(policy) {
        Ok(d) => d,
        Err(e) => panic!("export does not load: {e:?}"),
    };
    assert_eq!(desired.settings, crate::model::Settings::default());
    assert!(desired.settings.at.is_none());
    let implicit: Vec<&str> = desired
        .groups
        .values()
        .chain(desired.roles.values())
        .filter(|t| t.implicit)
        .map(|t| t.name.as_str())
        .collect();
    assert!(implicit.is_empty(), "targets from `users:`: {implicit:?}");
    let report = crate::policy::check(&desired, live);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let plan = crate::plan::diff(&desired, live).unwrap();
    assert!(plan.is_empty(), "{:#?}", plan.changes);
    (files, desired)
}

#[test]
fn comments_quoting_coupa_never_start_a_policy_line() {
    let mut live = base();
    for (i, b) in breakers().iter().enumerate() {
        live.projects
            .push(Group::new(900 + i as u64, &format!("Launch{b}")));
    }
    // The source (a snapshot's `domain`) and the time (its `taken_at`) are Coupa's data too.
    let mut opts = all(Mode::Authoritative);
    opts.source = format!("https://acme.coupahost.com (snapshot t.json){GRANT}");
    opts.taken_at = format!("2026-01-01T00:00:00Z{SETTINGS}");
    let (files, desired) = export_clean(&live, &opts);
    assert_eq!(
        desired.groups.names().collect::<Vec<_>>(),
        ["AP Clerks"],
        "projects stay comments"
    );
    assert!(desired.roles["Admin"].members.is_empty(), "no grant");
    let groups = &files[0].text;
    assert!(
        groups.contains("Launch\\u{a}settings:\\u{a}  protected_users: [x]"),
        "{groups}"
    );
    assert!(
        groups.contains("are written as \\u{…}\n"),
        "the file says how: {groups}"
    );
    // A clean file does not carry the note.
    let (files, _) = export_clean(&base(), &all(Mode::Authoritative));
    assert!(!files[0].text.contains("\\u{"), "{}", files[0].text);
}

#[test]
fn names_with_line_breaks_and_controls_stay_on_one_line_and_read_back() {
    let mut live = base();
    for (i, b) in breakers().iter().enumerate() {
        let i = i as u64;
        let name = format!("G{i}{b}");
        live.groups.push(Group {
            description: Some(format!("about{b}")),
            ..Group::new(200 + i, &name)
        });
        live.roles
            .push(Role::new(10 + i, &format!("R{i}{b}"), false));
        let mut u = User::new(10 + i, &format!("u{i}{b}"), &format!("u{i}@acme.com"));
        u.roles = [10 + i].into();
        u.licenses = [License::Expense].into();
        live.users.push(u);
        live.memberships.push(member(1000 + i, 10 + i, 200 + i));
    }
    for mode in [Mode::Authoritative, Mode::Additive] {
        let (_, desired) = export_clean(&live, &all(mode));
        for (i, b) in breakers().iter().enumerate() {
            let g = &desired.groups[&format!("G{i}{b}")];
            assert_eq!(g.description.as_deref(), Some(&*format!("about{b}")));
            assert_eq!(g.members.len(), 1);
            let r = &desired.roles[&format!("R{i}{b}")];
            // Identities are read trimmed, as the loader always has: the user is still found.
            assert_eq!(r.members[0].identity.as_str(), format!("u{i}{b}").trim());
            assert_eq!(g.mode, mode);
        }
        assert!(desired.roles["Admin"].members.is_empty(), "no grant");
    }
}

#[test]
fn names_over_1024_characters_use_explicit_keys_and_read_back() {
    let mut live = base();
    let long_group = "G".repeat(2_000);
    // Quoting and escapes make the written key longer than the name: 600 characters of `: `.
    let long_role = format!("R{}", ": \u{2028}".repeat(600));
    let long_login = "l".repeat(2_000);
    live.groups.push(Group::new(300, &long_group));
    live.roles.push(Role::new(30, &long_role, false));
    let mut u = User::new(30, &long_login, "long@acme.com");
    u.roles = [30].into();
    live.users.push(u);
    live.memberships.push(member(3000, 30, 300));
    let (files, desired) = export_clean(&live, &all(Mode::Authoritative));
    assert!(files[0].text.contains(&format!("  ? {long_group}\n  :\n")));
    assert_eq!(
        desired.groups[&long_group].members[0].identity.as_str(),
        long_login
    );
    assert_eq!(
        desired.roles[&long_role].members[0].identity.as_str(),
        long_login
    );
    // Short names keep the usual form.
    assert!(files[0].text.contains("\n  AP Clerks:\n"));
    // Other YAML readers (editors' schema checks) take the explicit keys too.
    for f in &files {
        let doc: Result<crate::policy::PolicyDocument, _> = serde_yaml::from_str(&f.text);
        assert!(doc.is_ok(), "{}: {:?}", f.name, doc.err());
    }
}

#[test]
fn blank_names_are_left_out_with_a_warning_and_the_rest_exports() {
    let mut live = base();
    live.groups.push(Group::new(400, ""));
    live.groups.push(Group::new(401, " \u{2028}\t"));
    live.roles.push(Role::new(40, "", false));
    live.users[0].roles = [40, 1].into();
    live.memberships.push(member(4000, 1, 400));
    live.memberships.push(member(4001, 2, 401));
    let (files, desired) = export_clean(&live, &all(Mode::Authoritative));
    assert_eq!(desired.groups.names().collect::<Vec<_>>(), ["AP Clerks"]);
    assert_eq!(desired.roles.names().collect::<Vec<_>>(), ["Admin"]);
    assert_eq!(
        files[0].warnings,
        [
            ExportWarning::BlankName {
                kind: "group",
                id: 400
            },
            ExportWarning::BlankName {
                kind: "group",
                id: 401
            }
        ]
    );
    assert!(
        files[0].text.contains(
            "# group id 400 not exported: its name is blank, and a policy cannot name it"
        ),
        "{}",
        files[0].text
    );
    assert_eq!(
        files[1].warnings,
        [ExportWarning::BlankName {
            kind: "role",
            id: 40
        }]
    );
}

#[test]
fn logins_equal_but_for_case_are_told_apart_by_email() {
    let mut live = base();
    for (id, login) in [(50, "Bob"), (51, "bob"), (52, "BOB")] {
        let mut u = User::new(id, login, &format!("bob{id}@acme.com"));
        u.roles = [1].into();
        live.users.push(u);
        live.memberships.push(member(5000 + id, id, 100));
    }
    let (_, desired) = export_clean(&live, &all(Mode::Authoritative));
    let members: Vec<&str> = desired.groups["AP Clerks"]
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(
        members,
        ["alice", "BOB", "bob50@acme.com", "bob51@acme.com"],
        "one keeps the login, the others are named by email"
    );
    assert_eq!(desired.roles["Admin"].members.len(), 3);

    // Twins without another name cannot both be listed: refused, never half-listed.
    let mut live = base();
    for (id, login) in [(50, "Bob"), (51, "bob")] {
        live.users.push(User::new(id, login, ""));
        live.memberships.push(member(5000 + id, id, 100));
    }
    let err = export(&live, &all(Mode::Authoritative)).unwrap_err();
    assert!(
        matches!(&err.0[..], [ExportError::CaseClash { kind: "login", .. }]),
        "{err}"
    );
}

/// The read-back check on its own: files that would hold settings, grant through `users:`,
/// declare something else or plan a change are refused, whatever produced them.
#[test]
fn verify_refuses_what_does_not_reproduce_the_state_it_came_from() {
    let live = base();
    let file = |text: &str| ExportFile {
        name: "groups.yaml",
        text: text.to_string(),
        targets: 1,
        members: 1,
        warnings: Vec::new(),
    };
    let expected = Expected {
        groups: [("AP Clerks".to_string(), 1)].into(),
        ..Expected::default()
    };
    let clean = "groups:\n  AP Clerks:\n    members: [alice]\n";
    assert_eq!(verify(&[file(clean)], &live, &expected), Ok(()));
    for (text, want) in [
        (
            format!("{clean}settings:\n  protected_users: [alice]\n"),
            "settings",
        ),
        (format!("{clean}settings: {{}}\n"), "settings"),
        (
            format!("{clean}users:\n  mallory:\n    roles: [Admin]\n"),
            "does not declare",
        ),
        (
            format!("{clean}users:\n  mallory:\n    groups: [AP Clerks]\n"),
            "does not declare",
        ),
        (
            "groups:\n  AP Clerks:\n    members: [mallory]\n".into(),
            "zero changes",
        ),
        (
            "groups:\n  AP Clerks:\n    mode: additive\n    members: [alice]\n".into(),
            "mode",
        ),
        (format!("{clean}  '': {{}}\n"), "does not read back"),
    ] {
        let err = verify(&[file(&text)], &live, &expected).unwrap_err();
        assert!(err.to_string().contains(want), "{text}: {err}");
    }
}

/// A membership whose user Coupa did not return cannot be planned: the export is refused
/// rather than written as a policy no plan can use.
#[test]
fn a_group_that_cannot_be_planned_is_refused() {
    let mut live = base();
    live.memberships.push(member(9, 77, 100));
    let err = export(&live, &all(Mode::Authoritative)).unwrap_err();
    assert!(
        matches!(&err.0[..], [ExportError::NotClean(m)] if m.contains("user id 77")),
        "{err}"
    );
}
