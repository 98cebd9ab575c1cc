use super::*;
use crate::model::{Group, Live, Membership, PolicyFile, Role, User};

fn opts(groups: &[&str], roles: &[&str], licenses: &[&str]) -> ExportOptions {
    let globs = |v: &[&str]| v.iter().map(|p| Glob::new(p)).collect();
    ExportOptions {
        groups: globs(groups),
        roles: globs(roles),
        licenses: globs(licenses),
        mode: Mode::Authoritative,
        source: "https://acme.coupahost.com".into(),
        taken_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn membership(id: u64, user_id: u64, group_id: u64) -> Membership {
    Membership {
        id,
        user_id,
        group_id,
        created_at: None,
        owner: false,
        participant: None,
    }
}

/// Names YAML would misread if written plain.
const HOSTILE: [&str; 23] = [
    "yes",
    "no",
    "on",
    "it's: odd",
    "[x], y",
    "null",
    "~",
    "true",
    "False",
    "12",
    "0x1F",
    "1e3",
    "a: b",
    "a #b",
    " lead",
    "trail ",
    "-dash",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "@at",
    "`tick",
];

fn tenant() -> Live {
    let mut users = vec![User::new(1, "alice", "alice@acme.com")];
    users.push(User {
        active: false,
        ..User::new(2, "erin", "erin@acme.com")
    });
    for (i, name) in HOSTILE.iter().enumerate() {
        let mut u = User::new(10 + i as u64, name, &format!("u{i}@acme.com"));
        u.roles = [1].into();
        u.licenses = [License::Expense].into();
        users.push(u);
    }
    let mut groups = vec![Group::new(100, "AP Clerks"), Group::new(101, "Empty")];
    let mut memberships = vec![membership(1, 1, 100), membership(2, 2, 100)];
    for (i, name) in HOSTILE.iter().enumerate() {
        let gid = 200 + i as u64;
        groups.push(Group {
            description: Some(format!("{name}: described")),
            ..Group::new(gid, name)
        });
        memberships.push(membership(1000 + i as u64, 10 + i as u64, gid));
        memberships.push(membership(2000 + i as u64, 1, gid));
    }
    Live {
        users,
        groups,
        projects: vec![Group::new(900, "Launch")],
        roles: vec![Role::new(1, "yes", false), Role::new(2, "Admin", true)],
        memberships,
    }
}

/// Loads the exported files with the project's own policy loader.
fn load(files: &[ExportFile]) -> crate::model::Desired {
    let files = files
        .iter()
        .map(|f| PolicyFile {
            path: f.name.to_string(),
            text: f.text.clone(),
        })
        .collect();
    match crate::policy::load_files(files) {
        Ok(d) => d,
        Err(e) => panic!("export does not load: {e:?}"),
    }
}

#[test]
fn export_then_plan_changes_nothing_even_with_hostile_names() {
    let live = tenant();
    let files = export(&live, &opts(&["*"], &["*"], &["*"])).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    assert_eq!(names, ["groups.yaml", "roles.yaml", "licenses.yaml"]);
    let desired = load(&files);
    // Every hostile name reads back as itself: as a group, a role member and a group member.
    for name in HOSTILE {
        let g = &desired.groups[name];
        assert_eq!(
            g.description.as_deref(),
            Some(&*format!("{name}: described"))
        );
        let members: Vec<&str> = g.members.iter().map(|m| m.identity.as_str()).collect();
        assert_eq!(members.len(), 2, "{name}: {members:?}");
        // Identities are matched trimmed and case-insensitively: " lead" reads back as "lead".
        assert!(
            members
                .iter()
                .any(|m| crate::model::NameKey::new(m) == crate::model::NameKey::new(name)),
            "{name}: {members:?}"
        );
    }
    assert!(desired.roles.contains_key("yes"));
    let plan = crate::plan::diff(&desired, &live).unwrap();
    assert!(plan.is_empty(), "{:#?}", plan.changes);
    assert!(crate::policy::check(&desired, &live).errors.is_empty());
}

#[test]
fn inactive_users_and_projects_are_noted_and_defaults_follow_the_selection() {
    let live = tenant();
    let files = export(&live, &opts(&["AP *", "Empty", "Laun*"], &[], &[])).unwrap();
    assert_eq!(files.len(), 1);
    let text = &files[0].text;
    assert!(
        text.contains("      - erin  # inactive in Coupa\n"),
        "{text}"
    );
    assert!(
        text.contains("Project) are not exported: Launch."),
        "{text}"
    );
    assert!(text.contains("  Empty:\n    members: []\n"), "{text}");
    assert_eq!((files[0].targets, files[0].members), (2, 2));
    let desired = load(&files);
    let members: Vec<&str> = desired.groups["AP Clerks"]
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(members, ["alice", "erin"]);
    assert!(desired.roles.is_empty() && desired.licenses.is_empty());
}

#[test]
fn additive_mode_is_written_and_read_back() {
    let mut o = opts(&["AP Clerks"], &["Admin"], &["expense"]);
    o.mode = Mode::Additive;
    let files = export(&tenant(), &o).unwrap();
    let desired = load(&files);
    assert_eq!(desired.groups["AP Clerks"].mode, Mode::Additive);
    assert_eq!(desired.roles["Admin"].mode, Mode::Additive);
    assert_eq!(desired.licenses[&License::Expense].mode, Mode::Additive);
    assert!(
        files[1].text.contains("Admin:  # omnipotent"),
        "{}",
        files[1].text
    );
}

#[test]
fn patterns_that_match_nothing_and_case_clashes_are_reported_together() {
    let mut live = tenant();
    // Case twins: groups are exported once by id (see below); roles cannot be told apart.
    live.groups.push(Group::new(300, "ap clerks"));
    live.roles.push(Role::new(3, "YES", false));
    let err = export(&live, &opts(&["AP*", "Nope"], &["y*", "Missing"], &[])).unwrap_err();
    assert_eq!(
        err.0,
        vec![
            ExportError::NoMatch {
                kind: "group",
                pattern: "Nope".into()
            },
            ExportError::NoMatch {
                kind: "role",
                pattern: "Missing".into()
            },
            ExportError::CaseClash {
                kind: "role",
                first: "YES".into(),
                second: "yes".into()
            },
        ]
    );
}

#[test]
fn a_login_that_is_another_users_email_is_written_as_the_email() {
    let mut live = tenant();
    live.users.push(User::new(50, "x@acme.com", "x2@acme.com"));
    live.users.push(User::new(51, "other", "x@acme.com"));
    live.memberships.push(membership(5000, 50, 101));
    live.memberships.push(membership(5001, 51, 101));
    let files = export(&live, &opts(&["Empty"], &[], &[])).unwrap();
    let desired = load(&files);
    let members: Vec<&str> = desired.groups["Empty"]
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(members, ["other", "x2@acme.com"]);
    assert!(crate::plan::diff(&desired, &live).unwrap().is_empty());
}

/// Exported files carry the editors' modeline and conform to the policy schema's structs.
#[test]
fn exported_files_conform_to_the_schema() {
    let files = export(&tenant(), &opts(&["*"], &["*"], &["*"])).unwrap();
    for f in &files {
        assert!(
            f.text
                .starts_with("# yaml-language-server: $schema=policy.schema.json\n"),
            "{}",
            f.name
        );
        let parsed: Result<crate::policy::PolicyDocument, _> = serde_yaml::from_str(&f.text);
        assert!(parsed.is_ok(), "{}: {:?}\n{}", f.name, parsed.err(), f.text);
    }
}

#[test]
fn groups_sharing_a_name_export_one_entry_by_id_and_note_the_others() {
    let mut live = tenant();
    // Exact twins and a case twin of `AP Clerks` (100), each with its own member.
    live.groups.push(Group::new(150, "AP Clerks"));
    live.groups.push(Group::new(151, "ap clerks"));
    live.memberships.push(membership(3, 2, 150));
    let files = export(&live, &opts(&["AP*"], &[], &[])).unwrap();
    let text = &files[0].text;
    assert!(text.contains("  AP Clerks:\n    id: 100\n"), "{text}");
    assert!(
        text.contains("    # not exported: id 150, id 151, with the same name in Coupa"),
        "{text}"
    );
    // It loads, checks and plans nothing: the id says which of the twins it is.
    let desired = load(&files);
    assert_eq!(desired.groups["AP Clerks"].id, Some(100));
    assert!(crate::policy::check(&desired, &live).errors.is_empty());
    let plan = crate::plan::diff(&desired, &live).unwrap();
    assert!(plan.is_empty(), "{:#?}", plan.changes);
}
