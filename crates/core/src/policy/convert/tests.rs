use super::*;
use crate::model::{MaxRemovals, Mode};

fn one(text: &str) -> Result<Desired, Vec<PolicyDiagnostic>> {
    convert(vec![PolicyFile {
        path: "p/a.yaml".into(),
        text: text.into(),
    }])
}

fn messages(text: &str) -> Vec<String> {
    match one(text) {
        Ok(d) => panic!("expected errors, got {d:?}"),
        Err(ds) => ds.iter().map(|d| d.message().to_string()).collect(),
    }
}

fn helps(text: &str) -> Vec<String> {
    one(text)
        .unwrap_err()
        .iter()
        .map(|d| d.help_text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn mode_defaults_to_authoritative_and_rejects_other_words() {
    let d = one("groups:\n  A: { members: [] }\n  B: { mode: additive }\n").unwrap();
    assert_eq!(d.groups["A"].mode, Mode::Authoritative);
    assert_eq!(d.groups["B"].mode, Mode::Additive);
    assert_eq!(
        messages("groups:\n  A: { mode: Additive }\n"),
        ["invalid `mode`"]
    );
    assert!(helps("groups:\n  A: { mode: Additive }\n")[0].starts_with("did you mean `additive`?"));
    assert!(helps("groups:\n  A: { mode: [x] }\n")[0].starts_with("`mode` is `authoritative`"));
}

#[test]
fn license_keys_are_checked_with_suggestions() {
    assert_eq!(
        messages("licenses:\n  spend-guard-user: {}\n"),
        ["unknown license `spend-guard-user`"]
    );
    assert!(helps("licenses:\n  spend-guard-user: {}\n")[0].starts_with("write `spend-guard`;"));
    assert!(helps("licenses:\n  expens: {}\n")[0].starts_with("write `expense`;"));
    assert!(helps("licenses:\n  lunch: {}\n")[0].starts_with("licenses are: purchasing"));
    assert_eq!(
        messages("users:\n  bob: { licenses: [expense-user] }\n"),
        ["unknown license `expense-user`"]
    );
}

#[test]
fn unknown_fields_list_what_is_allowed() {
    assert_eq!(
        messages("groups:\n  A: { owner: x }\n"),
        ["unknown field `owner` in group `A`"]
    );
    assert_eq!(
        helps("groups:\n  A: { owner: x }\n"),
        ["group `A` accepts: description, mode, members, remove_owners, id"]
    );
    assert_eq!(
        helps("roles:\n  A: { owner: x }\n"),
        ["role `A` accepts: description, mode, members"]
    );
    assert_eq!(
        messages("settings:\n  max_removal: {}\n"),
        ["unknown field `max_removal` in `settings`"]
    );
    assert_eq!(
        messages("settings:\n  max_removals: { totl: 1 }\n"),
        ["unknown field `totl` in `max_removals`"]
    );
    assert_eq!(messages("groupz: {}\n"), ["unknown top-level key `groupz`"]);
}

#[test]
fn a_field_written_twice_is_an_error() {
    assert_eq!(
        messages("groups:\n  A:\n    members: [a]\n    members: [b]\n"),
        ["`members` is written twice in group `A`"]
    );
    assert_eq!(
        messages("users:\n  bob: {}\n  BOB: {}\n"),
        ["`BOB` is written twice in `users`"]
    );
}

#[test]
fn settings_values_are_validated() {
    let d = one("settings:\n  max_removals: { total: 0, per_group_fraction: 1 }\n").unwrap();
    assert_eq!(d.settings.max_removals.total, Some(0));
    assert_eq!(d.settings.max_removals.per_group_fraction, Some(1.0));
    let d = one("settings:\n  max_removals: { total: ~ }\n").unwrap();
    assert_eq!(d.settings.max_removals, MaxRemovals::NONE);
    assert_eq!(
        messages("settings:\n  max_removals: { total: 2.5 }\n"),
        ["`total` must be a whole number"]
    );
    assert_eq!(
        messages("settings:\n  max_removals: { per_group_fraction: 25% }\n"),
        ["`per_group_fraction` must be a number"]
    );
    assert_eq!(
        messages("settings:\n  max_removals: { per_group_fraction: -0.1 }\n"),
        ["`per_group_fraction` must be between 0 and 1"]
    );
    assert_eq!(
        messages("settings:\n  max_removals: 25\n"),
        ["`max_removals` must be a mapping, not a single value"]
    );
    assert_eq!(
        messages("settings:\n  protected_users: [bot, Bot]\n"),
        ["`Bot` is listed twice in `protected_users`"]
    );
}

#[test]
fn settings_twice_in_one_file_is_an_error() {
    assert_eq!(
        messages("settings: {}\n---\nsettings: {}\n"),
        ["`settings` is written more than once"]
    );
}

#[test]
fn documents_in_one_file_merge_and_anchors_can_share_lists() {
    let d = one("groups:\n  A: { members: &team [x, y] }\n---\ngroups:\n  B: { members: *team }\n")
        .unwrap();
    assert_eq!(d.groups["B"].members, d.groups["A"].members);
}

#[test]
fn names_that_look_like_null_or_numbers_are_still_names() {
    let d = one("groups:\n  Null: { members: [] }\n  2024: { members: [1234, ~x] }\n").unwrap();
    assert!(d.groups.contains_key("Null"));
    let ids: Vec<&str> = d.groups["2024"]
        .members
        .iter()
        .map(|m| m.identity.as_str())
        .collect();
    assert_eq!(ids, ["1234", "~x"]);
}

#[test]
fn a_person_named_twice_for_one_target_via_users_is_a_duplicate() {
    let ds = convert(vec![
        PolicyFile {
            path: "p/a.yaml".into(),
            text: "users:\n  bob: { groups: [G] }\n".into(),
        },
        PolicyFile {
            path: "p/b.yaml".into(),
            text: "users:\n  Bob: { groups: [g] }\n".into(),
        },
    ])
    .unwrap_err();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].message(), "`Bob` is listed twice for group `G`");
}

#[test]
fn the_top_level_must_be_a_mapping() {
    assert_eq!(
        messages("- groups\n"),
        ["a policy file must be a mapping, not a list"]
    );
    let d = one("# nothing yet\n").unwrap();
    assert!(d.groups.is_empty());
    let d = one("~\n").unwrap();
    assert!(d.groups.is_empty());
}

fn first_point(text: &str) -> (usize, usize) {
    let ds = one(text).unwrap_err();
    let p = &ds[0].points()[0];
    (p.line, p.column)
}

#[test]
fn merge_keys_are_refused_where_they_are_written() {
    let text = "groups:\n  A: &a { members: [x] }\n  B:\n    <<: *a\n";
    let ds = one(text).unwrap_err();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].code(), Code::MergeKey);
    assert_eq!(ds[0].message(), "merge keys (`<<`) are not supported");
    assert_eq!(first_point(text), (4, 5));
    // Also at the top level and inside `settings`.
    assert_eq!(
        messages("<<: { groups: {} }\n"),
        ["merge keys (`<<`) are not supported"]
    );
    assert_eq!(
        messages("settings:\n  <<: { protected_users: [x] }\n"),
        ["merge keys (`<<`) are not supported"]
    );
    // A quoted `<<` is an ordinary name.
    let d = one("groups:\n  '<<': { members: [] }\n").unwrap();
    assert!(d.groups.contains_key("<<"));
}

#[test]
fn quoted_numbers_in_settings_are_type_errors() {
    let text = "settings:\n  max_removals: { total: \"10\", per_group_fraction: '0.25' }\n";
    let ds = one(text).unwrap_err();
    let got: Vec<(Code, &str)> = ds.iter().map(|d| (d.code(), d.message())).collect();
    assert_eq!(
        got,
        [
            (
                Code::WrongType,
                "`total` must be a number, not a quoted string"
            ),
            (
                Code::WrongType,
                "`per_group_fraction` must be a number, not a quoted string"
            ),
        ]
    );
    assert_eq!(first_point(text), (2, 26));
    assert_eq!(
        ds[0].help_text(),
        Some("write the number without quotes: `total: 10`")
    );
    assert_eq!(
        messages("settings:\n  max_removals: { total: !!str 3 }\n"),
        ["`total` must be a number, not a quoted string"]
    );
    let d = one("settings:\n  max_removals: { total: 10, per_group_fraction: 0.25 }\n").unwrap();
    assert_eq!(d.settings.max_removals.total, Some(10));
    assert_eq!(d.settings.max_removals.per_group_fraction, Some(0.25));
}

#[test]
fn remove_owners_is_a_group_flag() {
    let d = one("groups:\n  A: { members: [a], remove_owners: true }\n  B: { remove_owners: false, members: [] }\n  C: { members: [] }\n").unwrap();
    assert!(d.groups["A"].remove_owners);
    assert!(!d.groups["B"].remove_owners);
    assert!(!d.groups["C"].remove_owners);
    assert_eq!(
        messages("groups:\n  A: { remove_owners: yes }\n"),
        ["`remove_owners` must be true or false, not a single value"]
    );
    assert_eq!(
        messages("groups:\n  A: { remove_owners: \"true\" }\n"),
        ["`remove_owners` must be true or false, not a quoted string"]
    );
    // On a role or license it is an error at its own position, with the fields they take.
    let text = "roles:\n  Buyer: { members: [a], remove_owners: true }\nlicenses:\n  expense: { remove_owners: false }\n";
    assert_eq!(
        messages(text),
        [
            "`remove_owners` applies only to groups, not to role `Buyer`",
            "`remove_owners` applies only to groups, not to license `expense`"
        ]
    );
    assert_eq!(
        helps("roles:\n  Buyer: { remove_owners: true }\n"),
        ["remove it: roles have no owners; role `Buyer` accepts: description, mode, members"]
    );
}

#[test]
fn settings_writes_lists_kinds_and_rejects_others_with_a_position() {
    use crate::model::{Kind, Writes};
    assert_eq!(
        one("groups: {}\n").unwrap().settings.writes,
        Writes::default()
    );
    let d = one("settings:\n  writes: [groups, roles, licenses]\n").unwrap();
    assert!([Kind::Group, Kind::Role, Kind::License]
        .into_iter()
        .all(|k| d.settings.writes.applies(k)));
    let d = one("settings:\n  writes: [licenses]\n").unwrap();
    assert_eq!(d.settings.writes, Writes::of([Kind::License]));
    let text = "settings:\n  writes: [groups, role, members]\n";
    assert_eq!(
        messages(text),
        [
            "`role` is not something apply can write",
            "`members` is not something apply can write"
        ]
    );
    assert!(
        helps(text)[0].starts_with("write `roles`;"),
        "{:?}",
        helps(text)
    );
    let ds = one(text).unwrap_err();
    assert_eq!(ds[0].code(), Code::UnknownWriteKind);
    assert!(
        ds[0].one_line().starts_with("p/a.yaml:2:20: `role` is not"),
        "{}",
        ds[0].one_line()
    );
    assert_eq!(
        messages("settings:\n  writes: roles\n"),
        ["`writes` must be a list, not a single value"]
    );
}

/// A target declared without `members` would plan the removal of everyone in it: an error that
/// points at it and says how to empty a target on purpose.
#[test]
fn a_target_without_members_is_an_error_unless_emptied_on_purpose() {
    let text = "groups:\n  AP Clerks:\n  Buyers: {}\n  Finance:\n    description: x\n  Ops:\n    members:\nlicenses:\n  expense:\nroles:\n  Buyer: { mode: additive }\n";
    let ds = one(text).unwrap_err();
    let lines: Vec<String> = ds.iter().map(|d| d.one_line()).collect();
    assert_eq!(ds.len(), 5, "{lines:#?}");
    assert!(ds.iter().all(|d| d.code() == "policy::empty_target"));
    assert!(lines[0].starts_with(
        "p/a.yaml:2:3: group `AP Clerks` has no body: as written, the plan would remove everyone from it"
    ), "{lines:#?}");
    assert!(lines[1].starts_with("p/a.yaml:3:3: group `Buyers` lists no `members`"));
    assert!(lines[2].starts_with("p/a.yaml:4:3: group `Finance` lists no `members`"));
    assert!(lines[3].starts_with("p/a.yaml:6:3: group `Ops` lists no `members`"));
    assert!(lines[4].starts_with("p/a.yaml:9:3: license `expense` has no body"));
    assert!(ds[0].help_text().unwrap().contains("write `members: []`"));
    // Emptied on purpose, or additive (nobody is removed): accepted.
    let d = one("groups:\n  A: { members: [] }\n  B: { mode: additive }\nlicenses:\n  expense: { members: [] }\n").unwrap();
    assert!(d.groups["A"].members.is_empty());
}

#[test]
fn reviewers_map_review_logins_to_people_and_every_problem_is_reported() {
    let d =
        one("settings:\n  reviewers:\n    carol-gh: carol@acme.com\n    dave-gh: dave\n").unwrap();
    let r = &d.settings.reviewers;
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].account, "carol-gh");
    assert_eq!(r[0].person.identity.as_str(), "carol@acme.com");
    assert_eq!(r[1].person.identity.as_str(), "dave");
    let m = messages(
        "settings:\n  reviewers:\n    carol-gh: carol\n    Carol-GH: carl\n    dave-gh: [dave]\n    erin-gh:\n",
    );
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[0].contains("reviewer `Carol-GH` is mapped twice"),
        "{m:?}"
    );
    assert!(
        m[1].starts_with("the person of reviewer `dave-gh` must be a login or email"),
        "{m:?}"
    );
    assert!(
        m[2].starts_with("the person of reviewer `erin-gh` must be a login or email"),
        "{m:?}"
    );
    assert_eq!(
        messages("settings:\n  reviewers: [carol-gh]\n"),
        ["`reviewers` must be a mapping, not a list"]
    );
}

#[test]
fn a_target_named_from_users_in_another_case_joins_the_declared_one() {
    let d = convert(vec![
        PolicyFile {
            path: "p/a.yaml".into(),
            text:
                "groups:\n  AP Clerks:\n    members: [alice]\n    remove_owners: true\n    id: 7\n"
                    .into(),
        },
        PolicyFile {
            path: "p/b.yaml".into(),
            text:
                "users:\n  carol: { groups: [ap clerks, Travel] }\n  dave: { groups: [TRAVEL] }\n"
                    .into(),
        },
    ])
    .unwrap();
    assert_eq!(
        d.groups.names().collect::<Vec<_>>(),
        ["AP Clerks", "Travel"]
    );
    let ap = &d.groups["AP CLERKS"];
    assert!(!ap.implicit && ap.remove_owners);
    assert_eq!(
        (ap.mode, ap.id, ap.loc.file),
        (Mode::Authoritative, Some(7), 0)
    );
    let who =
        |t: &Target| -> Vec<String> { t.members.iter().map(|m| m.identity.to_string()).collect() };
    assert_eq!(who(ap), ["alice", "carol"]);
    // Named only from `users:`: additive, under the first spelling, where it was first named.
    let travel = &d.groups["travel"];
    assert!(travel.implicit && !travel.remove_owners);
    let first = d.files[1].text.find("Travel").unwrap();
    assert_eq!(
        (travel.mode, travel.loc.file, travel.loc.offset),
        (Mode::Additive, 1, first)
    );
    assert_eq!(who(travel), ["carol", "dave"]);
}

#[test]
fn case_twins_with_conflicting_modes_are_one_diagnostic_naming_both_and_the_rest_is_reported() {
    let ds = convert(vec![
        PolicyFile {
            path: "p/a.yaml".into(),
            text: "groups:\n  AP Clerks:\n    mode: additive\n    members: [alice]\n".into(),
        },
        PolicyFile {
            path: "p/b.yaml".into(),
            text: "groups:\n  ap clerks:\n    members: [bob]\nroles:\n  Buyer: { membrs: [] }\n"
                .into(),
        },
    ])
    .unwrap_err();
    let codes: Vec<Code> = ds.iter().map(PolicyDiagnostic::code).collect();
    assert_eq!(codes, [Code::DuplicateTarget, Code::UnknownField]);
    let d = &ds[0];
    assert_eq!(d.message(), "group `ap clerks` is declared twice");
    let at: Vec<(String, usize, usize, String)> = d
        .points()
        .into_iter()
        .map(|p| (p.path, p.line, p.column, p.label))
        .collect();
    assert_eq!(
        at,
        [
            ("p/b.yaml".into(), 2, 3, "declared again here".into()),
            ("p/a.yaml".into(), 2, 3, "first declared here".into()),
        ]
    );
    assert_eq!(
        d.help_text(),
        Some("declare each one once (names match case-insensitively): the first is additive, this one authoritative, so whether members not listed are removed is unclear; merge the entries under one `mode`")
    );
}
