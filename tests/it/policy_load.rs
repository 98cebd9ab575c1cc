//! Loading real policy folders: every DESIGN.md form, merging, and diagnostics with positions.

use coupa_access_core::model::{Desired, License, Loc, Mode, PolicyFile};
use coupa_access_core::policy::{self, LabelPoint, PolicyErrors};

/// The policy sketch from DESIGN.md, verbatim.
const DESIGN: &str = "\
groups:
  AP Clerks:                       # a group declared here is managed
    description: Accounts payable
    members: [alice@acme.com, bob]  # login or email, matched case-insensitively
  Approvers EMEA:
    mode: additive                 # default authoritative: members not listed are removed
roles:
  Buyer:
    members: [alice@acme.com]
licenses:
  expense: { members: [alice@acme.com, bob] }
users:                             # the same facts, written per person
  carol@acme.com: { groups: [AP Clerks], roles: [Buyer], licenses: [expense] }
settings:                          # at most one file may hold settings
  protected_users: [integration-bot]   # never removed from anything
  max_removals: { total: 25, per_group_fraction: 0.25 }
";

/// In-memory policy files under `policies/`, as the binary reads them from a folder.
fn folder(files: &[(&str, &str)]) -> ((), Vec<PolicyFile>) {
    let files = files
        .iter()
        .map(|(rel, text)| PolicyFile {
            path: format!("policies/{rel}"),
            text: text.to_string(),
        })
        .collect();
    ((), files)
}

fn load(files: &[PolicyFile]) -> Result<Desired, PolicyErrors> {
    policy::load_files(files.to_vec())
}

fn load_err(files: &[PolicyFile]) -> PolicyErrors {
    match load(files) {
        Ok(d) => panic!("expected errors, loaded {d:?}"),
        Err(e) => e,
    }
}

/// (line, column), 1-based, of a `Loc` in the loaded files.
fn pos(d: &Desired, loc: Loc) -> (usize, usize) {
    let text = &d.files[loc.file].text;
    let before = &text[..loc.offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn quoted(d: &Desired, loc: Loc) -> &str {
    &d.files[loc.file].text[loc.offset..loc.offset + loc.len]
}

fn point(path: &str, line: usize, column: usize, label: &str) -> LabelPoint {
    LabelPoint {
        path: path.into(),
        line,
        column,
        label: label.into(),
    }
}

#[test]
fn design_sketch_loads_to_the_expected_desired() {
    let (_tmp, dir) = folder(&[("access.yaml", DESIGN)]);
    let d = load(&dir).unwrap();

    assert_eq!(d.files.len(), 1);
    assert_eq!(d.files[0].path, "policies/access.yaml");
    assert_eq!(d.files[0].text, DESIGN);

    let ap = &d.groups["AP Clerks"];
    assert_eq!(ap.mode, Mode::Authoritative);
    assert!(!ap.implicit);
    assert_eq!(ap.description.as_deref(), Some("Accounts payable"));
    assert_eq!(pos(&d, ap.loc), (2, 3));
    assert_eq!(quoted(&d, ap.loc), "AP Clerks");
    let members: Vec<(&str, (usize, usize))> = ap
        .members
        .iter()
        .map(|m| (m.identity.as_str(), pos(&d, m.loc)))
        .collect();
    assert_eq!(
        members,
        [
            ("alice@acme.com", (4, 15)),
            ("bob", (4, 31)),
            ("carol@acme.com", (13, 3)),
        ]
    );
    assert_eq!(quoted(&d, ap.members[2].loc), "carol@acme.com");

    let emea = &d.groups["Approvers EMEA"];
    assert_eq!(emea.mode, Mode::Additive);
    assert!(emea.members.is_empty());
    assert_eq!(emea.description, None);
    assert_eq!(pos(&d, emea.loc), (5, 3));

    let buyer = &d.roles["Buyer"];
    assert_eq!(buyer.mode, Mode::Authoritative);
    let ids: Vec<&str> = buyer.members.iter().map(|m| m.identity.as_str()).collect();
    assert_eq!(ids, ["alice@acme.com", "carol@acme.com"]);
    assert_eq!(pos(&d, buyer.members[0].loc), (9, 15));

    assert_eq!(d.licenses.len(), 1);
    let expense = &d.licenses[&License::Expense];
    assert_eq!(expense.name, "expense");
    assert_eq!(pos(&d, expense.loc), (11, 3));
    let ids: Vec<&str> = expense
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(ids, ["alice@acme.com", "bob", "carol@acme.com"]);
    assert_eq!(pos(&d, expense.members[1].loc), (11, 40));

    let s = &d.settings;
    assert_eq!(s.protected_users.len(), 1);
    assert_eq!(s.protected_users[0].identity, "integration-bot");
    assert_eq!(pos(&d, s.protected_users[0].loc), (15, 21));
    assert_eq!(s.max_removals.total, Some(25));
    assert_eq!(s.max_removals.per_group_fraction, Some(0.25));

    assert!(d.policy_digest.starts_with("sha256:"));
    assert_eq!(d.policy_digest.len(), "sha256:".len() + 64);
}

#[test]
fn targets_named_only_from_users_are_implicit_and_additive() {
    let (_tmp, dir) = folder(&[(
        "people.yaml",
        "users:\n  dave: { groups: [Travel Desk], roles: [Approver], licenses: [travel] }\n  erin:\n    groups: [travel desk]\n",
    )]);
    let d = load(&dir).unwrap();
    let g = &d.groups["Travel Desk"];
    assert!(g.implicit);
    assert_eq!(g.mode, Mode::Additive);
    assert_eq!(pos(&d, g.loc), (2, 20));
    let ids: Vec<&str> = g.members.iter().map(|m| m.identity.as_str()).collect();
    assert_eq!(ids, ["dave", "erin"], "names merge case-insensitively");
    assert_eq!(
        pos(&d, g.members[1].loc),
        (3, 3),
        "a per-user member points at the person"
    );
    assert!(d.roles["Approver"].implicit);
    assert_eq!(d.licenses[&License::Travel].mode, Mode::Additive);
}

#[test]
fn users_form_joins_targets_declared_in_other_files() {
    let (_tmp, dir) = folder(&[
        (
            "a_people.yaml",
            "users:\n  carol: { groups: [ap clerks] }\n",
        ),
        (
            "b_groups.yaml",
            "groups:\n  AP Clerks:\n    members: [alice]\n",
        ),
    ]);
    let d = load(&dir).unwrap();
    assert_eq!(d.groups.len(), 1);
    let g = &d.groups["AP Clerks"];
    assert!(!g.implicit);
    assert_eq!(g.mode, Mode::Authoritative);
    let ids: Vec<&str> = g.members.iter().map(|m| m.identity.as_str()).collect();
    assert_eq!(ids, ["alice", "carol"]);
    assert_eq!(
        d.files[g.members[1].loc.file].path,
        "policies/a_people.yaml"
    );
}

#[test]
fn members_are_emptied_on_purpose_and_modes_apply_to_roles_and_licenses() {
    let (_tmp, dir) = folder(&[(
        "x.yaml",
        "groups:\n  Empty: { members: [] }\nroles:\n  Buyer: { mode: additive }\nlicenses:\n  spend-guard:\n    mode: authoritative\n    members:\n      - Alice\n",
    )]);
    let d = load(&dir).unwrap();
    let g = &d.groups["Empty"];
    assert!(g.members.is_empty() && g.mode == Mode::Authoritative && !g.implicit);
    assert_eq!(d.roles["Buyer"].mode, Mode::Additive);
    let sg = &d.licenses[&License::SpendGuard];
    assert_eq!(sg.members[0].identity, "Alice");
    assert_eq!(pos(&d, sg.members[0].loc), (9, 9));
    // No body, or `members:` with nothing after it, would remove everyone: refused.
    let (_tmp, dir) = folder(&[("x.yaml", "groups:\n  Nobody:\n  Null:\n    members:\n")]);
    let err = load_err(&dir);
    let messages: Vec<&str> = err.diagnostics.iter().map(|d| d.message()).collect();
    assert_eq!(
        messages,
        [
            "group `Nobody` has no body: as written, the plan would remove everyone from it",
            "group `Null` lists no `members`: as written, the plan would remove everyone from it"
        ]
    );
}

#[test]
fn files_are_sorted_by_path_and_merged() {
    let (_tmp, dir) = folder(&[
        ("z.yml", "groups:\n  Z: { members: [] }\n"),
        ("sub/b.yaml", "roles:\n  R: { members: [] }\n"),
        ("a.yaml", "groups:\n  A: { members: [] }\n"),
        ("empty.yaml", ""),
    ]);
    let d = load(&dir).unwrap();
    let paths: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "policies/a.yaml",
            "policies/empty.yaml",
            "policies/sub/b.yaml",
            "policies/z.yml"
        ]
    );
    assert_eq!(d.groups.names().collect::<Vec<_>>(), ["A", "Z"]);
    assert_eq!(d.groups["Z"].loc.file, 3);
    assert!(d.roles.contains_key("R"));
}

#[test]
fn no_files_manage_nothing() {
    let (_tmp, dir) = folder(&[]);
    let d = load(&dir).unwrap();
    assert!(d.groups.is_empty() && d.roles.is_empty() && d.licenses.is_empty());
    assert!(d.files.is_empty());
}

#[test]
fn digest_covers_paths_and_contents_deterministically() {
    let f = |path: &str, text: &str| PolicyFile {
        path: path.into(),
        text: text.into(),
    };
    let a = policy::load_files(vec![
        f("p/a.yaml", "groups:\n  A: { members: [] }\n"),
        f("p/b.yaml", ""),
    ])
    .unwrap();
    let b = policy::load_files(vec![
        f("p/b.yaml", ""),
        f("p/a.yaml", "groups:\n  A: { members: [] }\n"),
    ])
    .unwrap();
    assert_eq!(
        a.policy_digest, b.policy_digest,
        "order of input does not matter"
    );
    let c = policy::load_files(vec![
        f("p/a.yaml", "groups:\n  A: { members: [] }\n"),
        f("p/c.yaml", ""),
    ])
    .unwrap();
    assert_ne!(
        a.policy_digest, c.policy_digest,
        "a renamed file changes the digest"
    );
    let e = policy::load_files(vec![
        f("p/a.yaml", "groups:\n  B: { members: [] }\n"),
        f("p/b.yaml", ""),
    ])
    .unwrap();
    assert_ne!(a.policy_digest, e.policy_digest);
}

#[test]
fn every_problem_is_reported_in_one_run_with_positions() {
    let (_tmp, dir) = folder(&[
        (
            "a.yaml",
            "groups:\n  AP Clerks:\n    membrs: [x]\n    members: bob\n  Sales:\n    mode: additve\nlicenses:\n  expense-user: {}\nsetings: 1\n",
        ),
        ("b.yaml", "roles: [Buyer]\n"),
        ("c.yaml", "groups: [\n"),
    ]);
    let err = load_err(&dir);
    assert_eq!(err.to_string(), "7 problems in policy files");
    let got: Vec<(String, LabelPoint, Option<String>)> = err
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.message().to_string(),
                d.points()[0].clone(),
                d.help_text().map(String::from),
            )
        })
        .collect();
    let a = "policies/a.yaml";
    assert_eq!(got[0].0, "unknown field `membrs` in group `AP Clerks`");
    assert_eq!(got[0].1, point(a, 3, 5, "unknown field"));
    assert!(got[0]
        .2
        .as_deref()
        .unwrap()
        .starts_with("did you mean `members`?"));

    assert_eq!(got[1].0, "`members` must be a list, not a single value");
    assert_eq!(got[1].1, point(a, 4, 14, "expected a list"));
    assert_eq!(got[1].2.as_deref(), Some("write a list: `[bob]`"));

    assert_eq!(got[2].0, "invalid `mode`");
    assert_eq!(got[2].1, point(a, 6, 11, "not a mode"));
    assert!(got[2]
        .2
        .as_deref()
        .unwrap()
        .starts_with("did you mean `additive`?"));

    assert_eq!(got[3].0, "unknown license `expense-user`");
    assert_eq!(got[3].1, point(a, 8, 3, "not a license"));
    assert!(got[3].2.as_deref().unwrap().starts_with("write `expense`"));

    assert_eq!(got[4].0, "unknown top-level key `setings`");
    assert_eq!(got[4].1, point(a, 9, 1, "unknown key"));
    assert!(got[4]
        .2
        .as_deref()
        .unwrap()
        .starts_with("did you mean `settings`?"));

    assert_eq!(got[5].0, "`roles` must be a mapping, not a list");
    assert_eq!(
        got[5].1,
        point("policies/b.yaml", 1, 8, "expected a mapping")
    );

    assert!(got[6].0.starts_with("invalid YAML: "), "{}", got[6].0);
    assert_eq!(got[6].1, point("policies/c.yaml", 1, 9, "here"));
}

#[test]
fn a_target_declared_in_two_files_is_labelled_in_both() {
    let (_tmp, dir) = folder(&[
        ("a.yaml", "groups:\n  AP Clerks: { members: [] }\n"),
        (
            "b.yaml",
            "# more\ngroups:\n  ap clerks:\n    members: [x]\n",
        ),
    ]);
    let err = load_err(&dir);
    assert_eq!(err.diagnostics.len(), 1);
    let d = &err.diagnostics[0];
    assert_eq!(d.message(), "group `ap clerks` is declared twice");
    assert_eq!(
        d.points(),
        [
            point("policies/b.yaml", 3, 3, "declared again here"),
            point("policies/a.yaml", 2, 3, "first declared here"),
        ]
    );
}

#[test]
fn a_target_declared_twice_in_one_file_gets_two_labels() {
    let (_tmp, dir) = folder(&[(
        "a.yaml",
        "roles:\n  Buyer: { members: [] }\n  BUYER: { members: [] }\n",
    )]);
    let err = load_err(&dir);
    let d = &err.diagnostics[0];
    assert_eq!(d.message(), "role `BUYER` is declared twice");
    assert_eq!(
        d.points(),
        [
            point("policies/a.yaml", 3, 3, "declared again here"),
            point("policies/a.yaml", 2, 3, "first declared here"),
        ]
    );
}

#[test]
fn a_member_listed_per_group_and_per_user_is_labelled_twice() {
    let (_tmp, dir) = folder(&[
        (
            "groups.yaml",
            "groups:\n  AP Clerks:\n    members: [alice, Carol@Acme.com]\n",
        ),
        (
            "people.yaml",
            "users:\n  carol@acme.com: { groups: [AP Clerks] }\n",
        ),
        (
            "roles.yaml",
            "roles:\n  Buyer:\n    members:\n      - bob\n      - BOB\n",
        ),
    ]);
    let err = load_err(&dir);
    assert_eq!(err.diagnostics.len(), 2);
    let d = &err.diagnostics[0];
    assert_eq!(
        d.message(),
        "`carol@acme.com` is listed twice for group `AP Clerks`"
    );
    assert_eq!(
        d.points(),
        [
            point(
                "policies/people.yaml",
                2,
                30,
                "listed again here, via `users`"
            ),
            point("policies/groups.yaml", 3, 22, "first listed here"),
        ]
    );
    let d = &err.diagnostics[1];
    assert_eq!(d.message(), "`BOB` is listed twice for role `Buyer`");
    assert_eq!(
        d.points(),
        [
            point("policies/roles.yaml", 5, 9, "listed again here"),
            point("policies/roles.yaml", 4, 9, "first listed here"),
        ]
    );
}

#[test]
fn settings_in_two_files_and_bad_values_are_errors() {
    let (_tmp, dir) = folder(&[
        (
            "a.yaml",
            "settings:\n  max_removals: { total: -3, per_group_fraction: 1.5 }\n  protected_users: bot\n",
        ),
        ("b.yaml", "settings:\n  max_removals: { total: ten }\n"),
    ]);
    let err = load_err(&dir);
    let got: Vec<(&str, LabelPoint)> = err
        .diagnostics
        .iter()
        .map(|d| (d.message(), d.points()[0].clone()))
        .collect();
    let a = "policies/a.yaml";
    assert_eq!(
        got,
        [
            ("`total` must not be negative", point(a, 2, 26, "negative")),
            (
                "`per_group_fraction` must be between 0 and 1",
                point(a, 2, 50, "outside 0..=1")
            ),
            (
                "`protected_users` must be a list, not a single value",
                point(a, 3, 20, "expected a list")
            ),
            (
                "`settings` is written more than once",
                point("policies/b.yaml", 1, 1, "settings again here")
            ),
        ]
    );
    assert_eq!(
        err.diagnostics[3].points()[1],
        point(a, 1, 1, "first settings here")
    );
}

#[test]
fn wrong_shapes_are_reported_not_skipped() {
    let (_tmp, dir) = folder(&[(
        "a.yaml",
        "groups:\n  A: [alice]\n  B:\n    members: [[x], ~]\n    description: [no]\nusers:\n  carol: { groups: AP, teams: [x] }\n",
    )]);
    let err = load_err(&dir);
    let got: Vec<(&str, usize, usize)> = err
        .diagnostics
        .iter()
        .map(|d| (d.message(), d.points()[0].line, d.points()[0].column))
        .collect();
    assert_eq!(
        got,
        [
            ("group `A` must be a mapping, not a list", 2, 6),
            ("each entry of `members` must be a name, not a list", 4, 15),
            ("`~` in `members` means nothing in YAML", 4, 20),
            ("`description` must be text, not a list", 5, 18),
            ("`groups` must be a list, not a single value", 7, 20),
            ("unknown field `teams` in user `carol`", 7, 24),
        ]
    );
}

#[test]
fn rendered_diagnostics_are_plain_relative_and_deterministic() {
    let (_tmp, dir) = folder(&[("a.yaml", "groups:\n  AP Clerks:\n    membrs: [x]\n")]);
    let err = load_err(&dir);
    let out = policy::render_plain(&err.diagnostics);
    assert_eq!(out, policy::render_plain(&load_err(&dir).diagnostics));
    assert!(!out.contains('\u{1b}'), "no colour escapes");
    assert!(out.contains("policies/a.yaml:3:5"), "{out}");
    assert!(out.contains("unknown field `membrs` in group `AP Clerks`"));
    assert!(out.contains("help: did you mean `members`?"));
}

#[test]
fn settings_positions_are_kept_at_load_time() {
    let (_tmp, dir) = folder(&[("a.yaml", "groups: {}\n"), ("s.yaml", DESIGN)]);
    let d = load(&dir).unwrap();
    let total = d.settings.max_removals_at.total.unwrap();
    assert_eq!(quoted(&d, total), "25");
    assert_eq!(policy::describe_loc(&d, total), "policies/s.yaml:16:26");
    let fraction = d.settings.max_removals_at.per_group_fraction.unwrap();
    assert_eq!(quoted(&d, fraction), "0.25");
    assert!(d.settings.at.is_some());
    let (_tmp, dir) = folder(&[("a.yaml", "groups: {}\n")]);
    let bare = load(&dir).unwrap();
    assert_eq!(bare.settings.at, None);
    assert_eq!(bare.settings.max_removals_at.total, None);
    assert_eq!(
        policy::describe_loc(&d, d.groups["AP Clerks"].members[1].loc),
        "policies/s.yaml:4:31"
    );

    let diag = policy::PolicyDiagnostic::at(
        &d,
        miette::Severity::Error,
        policy::Code::BadSetting,
        "40 removals exceed `max_removals.total` (25)",
        total,
        "limit set here",
    )
    .with_help("pass `--allow-removals 40` to accept them");
    assert_eq!(
        diag.points(),
        [point("policies/s.yaml", 16, 26, "limit set here")]
    );
    assert!(policy::render_plain(&[diag]).contains("policies/s.yaml:16:26"));
}

#[test]
fn rendering_is_pinned_for_a_cross_file_duplicate() {
    let files = vec![
        PolicyFile {
            path: "policies/a.yaml".into(),
            text: "groups:\n  AP Clerks:\n    members: [bob]\n".into(),
        },
        PolicyFile {
            path: "policies/b.yaml".into(),
            text: "users:\n  bob: { groups: [AP Clerks] }\n".into(),
        },
    ];
    let err = policy::load_files(files).unwrap_err();
    let expected = "\
policy::duplicate_member

  × `bob` is listed twice for group `AP Clerks`
   ╭─[policies/b.yaml:2:19]
 1 │ users:
 2 │   bob: { groups: [AP Clerks] }
   ·                   ────┬────
   ·                       ╰── listed again here, via `users`
   ╰────
  help: list each person once per group, role or license (identities match case-insensitively)

Advice: policy::duplicate_member

  ☞ see also
   ╭─[policies/a.yaml:3:15]
 2 │   AP Clerks:
 3 │     members: [bob]
   ·               ─┬─
   ·                ╰── first listed here
   ╰────
";
    assert_eq!(policy::render_plain(&err.diagnostics), expected);
}

#[test]
fn crlf_files_load_like_lf_files_and_point_at_the_right_place() {
    let crlf = DESIGN.replace('\n', "\r\n");
    let (_, lf_files) = folder(&[("access.yaml", DESIGN)]);
    let (_, crlf_files) = folder(&[("access.yaml", &crlf)]);
    let lf = load(&lf_files).unwrap();
    let d = load(&crlf_files).unwrap();
    assert_eq!(
        d.groups.names().collect::<Vec<_>>(),
        lf.groups.names().collect::<Vec<_>>()
    );
    let members = |d: &Desired| -> Vec<String> {
        d.groups["AP Clerks"]
            .members
            .iter()
            .map(|m| m.identity.to_string())
            .collect()
    };
    assert_eq!(members(&d), members(&lf));
    let bob = &d.groups["AP Clerks"].members[1];
    assert_eq!(quoted(&d, bob.loc), "bob");
    assert_eq!(
        pos(&d, bob.loc),
        pos(&lf, lf.groups["AP Clerks"].members[1].loc)
    );
    assert_eq!(d.settings.max_removals.total, Some(25));

    let (_, files) = folder(&[("a.yaml", "groups:\r\n  A:\r\n    membrs: [x]\r\n")]);
    let err = load_err(&files);
    assert_eq!(
        err.diagnostics[0].points()[0],
        point("policies/a.yaml", 3, 5, "unknown field")
    );
}

#[test]
fn a_bom_is_not_content_and_not_a_column() {
    let text = format!("\u{feff}{DESIGN}");
    let (_, files) = folder(&[("access.yaml", &text)]);
    let d = load(&files).unwrap();
    assert!(d.groups.contains_key("AP Clerks"));
    let (_, files) = folder(&[("a.yaml", "\u{feff}grups: {}\n")]);
    let err = load_err(&files);
    assert_eq!(
        err.diagnostics[0].points()[0],
        point("policies/a.yaml", 1, 1, "unknown key")
    );
}

#[test]
fn tabs_and_repeated_keys_are_positioned_errors() {
    let (_, files) = folder(&[("a.yaml", "groups:\n\tA: { members: [x] }\n")]);
    let err = load_err(&files);
    let d = &err.diagnostics[0];
    assert_eq!(d.code(), "policy::yaml_syntax");
    assert!(d.message().contains("tab"), "{}", d.message());
    assert_eq!(d.points()[0].line, 2);

    let (_, files) = folder(&[(
        "a.yaml",
        "groups:\n  A:\n    members: [x]\n    members: [y]\n",
    )]);
    let err = load_err(&files);
    let points = err.diagnostics[0].points();
    assert_eq!(
        err.diagnostics[0].message(),
        "`members` is written twice in group `A`"
    );
    assert_eq!(
        points[0],
        point("policies/a.yaml", 4, 5, "written again here")
    );
    assert_eq!(
        points[1],
        point("policies/a.yaml", 3, 5, "first written here")
    );
}
