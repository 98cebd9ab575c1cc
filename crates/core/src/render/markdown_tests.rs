//! The pull-request comment: who loses and who gains what, visible without clicking, within
//! the budget with exact counts; warnings grouped by code below the changes.

use chrono::DateTime;

use super::*;
use crate::model::{
    ChangeTarget, Kind, Origin, Preconditions, Restore, RestoreTarget, SourcePos, Summary,
};

fn group_change(action: Action, group: &str, gid: u64, user: &str, uid: u64) -> Change {
    Change {
        action,
        target: ChangeTarget::Group {
            id: gid,
            name: group.into(),
        },
        user: user.into(),
        user_id: uid,
        applies: true,
        membership_id: (action == Action::Remove).then_some(10_000 + uid),
        privileged: false,
        expired: None,
    }
}

fn plan(changes: Vec<Change>, warnings: Vec<Warning>) -> Plan {
    let summary = crate::model::summarize(&changes);
    Plan {
        tool_version: "0.1.0".into(),
        origin: Origin::Instance {
            domain: "https://acme.coupahost.com".into(),
        },
        generated_at: DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        policy_digest: "sha256:abc".into(),
        changes,
        summary,
        warnings,
        acknowledged: Vec::new(),
        preconditions: Preconditions::default(),
        restores: Vec::new(),
        scope: None,
    }
}

fn inactive(login: &str, line: usize) -> Warning {
    Warning::new(
        WarningCode::InactiveUser,
        format!("user `{login}` is inactive in Coupa"),
    )
    .about_user(login)
    .help("reactivate the user in Coupa or remove them from the policy")
    .at(Some(SourcePos {
        file: "policies/groups.yaml".into(),
        line,
        column: 9,
    }))
}

/// Sorted as plans are: target, removals first, login.
fn sorted(mut changes: Vec<Change>) -> Vec<Change> {
    changes.sort_by(|a, b| {
        (a.target.name(), a.action == Action::Add, &a.user).cmp(&(
            b.target.name(),
            b.action == Action::Add,
            &b.user,
        ))
    });
    changes
}

#[test]
fn who_loses_and_who_gains_is_visible_by_person_removals_first() {
    use Action::*;
    let p = plan(
        sorted(vec![
            group_change(Remove, "AP Clerks", 12, "bob", 2),
            group_change(Add, "AP Clerks", 12, "carol", 3),
            group_change(Remove, "Finance", 14, "bob", 2),
            group_change(Add, "Finance", 14, "dave", 4),
        ]),
        vec![],
    );
    let md = markdown(&p, &crate::CliWords::for_tests());
    let losing = md.find("### Losing access: 1 person, 2 changes\n\n- `bob`: group \"AP Clerks\", group \"Finance\"\n").expect(&md);
    let gaining = md
        .find("### Gaining access: 2 people, 2 changes\n\n- `carol`: group \"AP Clerks\"\n- `dave`: group \"Finance\"\n")
        .expect(&md);
    let table = md.find("### By target").unwrap();
    assert!(losing < gaining && gaining < table, "{md}");
    // Nothing a reviewer needs is behind a click.
    assert!(!md.contains("<details>"), "{md}");
}

#[test]
fn a_3000_change_plan_stays_within_the_budget_and_counts_exactly_what_is_cut() {
    use Action::*;
    let mut changes = Vec::new();
    for i in 0..3_000u64 {
        let action = if i % 3 == 0 { Add } else { Remove };
        let login = format!("user{i:06}-with-a-long-login@acme.example.com");
        changes.push(group_change(
            action,
            &format!("Group {:02}", i % 40),
            i % 40,
            &login,
            i,
        ));
    }
    let warnings = (0..500)
        .map(|i| inactive(&format!("gone{i:04}"), i + 1))
        .collect();
    let md = markdown(
        &plan(sorted(changes), warnings),
        &crate::CliWords::for_tests(),
    );
    assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
    let shown = md.lines().filter(|l| l.starts_with("- `user")).count();
    let number = |s: &str| s.replace(',', "").parse::<usize>().unwrap();
    let (mut people_cut, mut changes_cut) = (0, 0);
    for l in md.lines() {
        if let Some(rest) = l.strip_prefix("- _… and ") {
            let words: Vec<&str> = rest.split(' ').collect();
            if words[2] == "people" || words[2] == "person" {
                people_cut += number(words[0]);
                changes_cut += number(words[3].trim_start_matches('('));
            }
        }
    }
    // One change per person here: people and changes are cut alike.
    assert!(shown > 400, "{shown}");
    assert_eq!(shown + people_cut, 3_000);
    assert_eq!(people_cut, changes_cut);
    assert!(md.contains(&format!(
        "{} of 3,000 changes are not shown",
        thousands(changes_cut)
    )));
    // Removals first and getting most of the room, additions still shown.
    assert!(
        md.contains("### Losing access: 2,000 people, 2,000 changes"),
        "{md}"
    );
    assert!(md.contains("### Gaining access: 1,000 people, 1,000 changes"));
    let gaining = md.find("### Gaining access").unwrap();
    assert!(
        md[gaining..]
            .lines()
            .filter(|l| l.starts_with("- `user"))
            .count()
            > 100
    );
    // Every target in the table, its counts separated.
    for g in 0..40 {
        assert!(
            md.contains(&format!("| group | Group {g:02} (id {g}) |")),
            "{g}"
        );
    }
    // Warnings below the changes, grouped, collapsed, with an exact count of the rest.
    let w = md.find("### Warnings").unwrap();
    assert!(gaining < w);
    assert!(md[w..].starts_with("### Warnings\n\n<details><summary>500 users are inactive in Coupa</summary>\n\nReactivate the user"), "{}", &md[w..w + 300]);
    let listed = md[w..].lines().filter(|l| l.starts_with("- `gone")).count();
    assert!(listed > 10);
    assert!(md.contains(&format!(
        "- _… and {} more not shown._",
        thousands(500 - listed)
    )));
    assert!(md.ends_with("</sub>\n"));
}

#[test]
fn a_100000_change_plan_caps_the_table_and_the_lists_exactly() {
    use Action::*;
    let n = 100_000u64;
    let changes: Vec<Change> = (0..n)
        .map(|i| {
            let action = if i % 2 == 0 { Remove } else { Add };
            group_change(
                action,
                &format!("Group {:04}", i % 5_000),
                i % 5_000,
                &format!("user{i:06}"),
                i,
            )
        })
        .collect();
    let md = markdown(
        &plan(sorted(changes), vec![]),
        &crate::CliWords::for_tests(),
    );
    assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
    assert!(md.contains("**Plan: 50,000 to add, 50,000 to remove, 0 reported only.**"));
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| group | Group "))
        .count();
    assert!(rows > 10 && rows < 5_000, "{rows}");
    assert!(
        md.contains(&format!(
            "_… and {} more targets ({} changes) not listed in this table._",
            thousands(5_000 - rows),
            thousands((5_000 - rows) * 20)
        )),
        "{md}"
    );
    let shown = md.lines().filter(|l| l.starts_with("- `user")).count();
    assert!(md.contains(&format!(
        "{} of 100,000 changes are not shown",
        thousands(n as usize - shown)
    )));
}

#[test]
fn one_person_with_many_changes_names_twenty_and_counts_the_rest() {
    let changes = (0..45u64)
        .map(|g| group_change(Action::Remove, &format!("G{g:02}"), g, "bob", 2))
        .collect();
    let md = markdown(
        &plan(sorted(changes), vec![]),
        &crate::CliWords::for_tests(),
    );
    let line = md.lines().find(|l| l.starts_with("- `bob`: ")).unwrap();
    assert_eq!(line.matches("group \"G").count(), 20, "{line}");
    assert!(
        line.ends_with(" _… and 25 more (in the JSON plan)_"),
        "{line}"
    );
    assert!(md.contains("25 of 45 changes are not shown"), "{md}");
}

#[test]
fn warnings_are_grouped_by_code_below_the_changes_with_code_that_renders() {
    let mut warnings: Vec<Warning> = (0..3).map(|i| inactive(&format!("u{i}"), i + 4)).collect();
    warnings.push(
        Warning::new(
            WarningCode::GuardExceeded,
            "apply will refuse this plan: 30 removals, over `max_removals.total` (25)",
        )
        .help("review the removals, then run `apply --allow-removals 30`"),
    );
    let mut p = plan(
        vec![group_change(Action::Add, "AP Clerks", 12, "carol", 3)],
        warnings,
    );
    p.acknowledged = vec![inactive("bob", 2), inactive("erin", 3)];
    let md = markdown(&p, &crate::CliWords::for_tests());
    let changes = md.find("### Gaining access").unwrap();
    let w = md.find("### Warnings").unwrap();
    assert!(changes < w);
    // What stops the apply comes first; then the inactive users on one line, advice once.
    assert!(md[w..].starts_with("### Warnings\n\n- **Apply will refuse this plan:** apply will refuse this plan: 30 removals, over `max_removals.total` (25) — review the removals, then run `apply --allow-removals 30`\n- **3 users are inactive in Coupa:** `u0` (`policies/groups.yaml:4:9`); `u1` (`policies/groups.yaml:5:9`); `u2` (`policies/groups.yaml:6:9`) — reactivate the user in Coupa or remove them from the policy\n"), "{}", &md[w..]);
    // Acknowledged ones are counted, not repeated.
    assert!(md.contains("_2 warnings are acknowledged in the policy (`settings.acknowledge`) and not repeated here; the JSON plan lists them._"), "{md}");
    assert!(!md.contains("`bob`"), "{md}");
    // Inline code renders as code: no escaped backtick anywhere.
    assert!(!md.contains("\\`"), "{md}");
}

#[test]
fn restores_stay_near_the_top() {
    let mut p = plan(
        vec![group_change(Action::Remove, "AP Clerks", 12, "bob", 2)],
        vec![],
    );
    p = p.with_restores(vec![Restore {
        user: "alice".into(),
        user_id: 1,
        kind: Kind::Role,
        targets: vec![RestoreTarget {
            id: 4,
            name: "Buyer".into(),
        }],
        held_ids: vec![],
        recorded_at: DateTime::from_timestamp(1_767_225_000, 0).unwrap(),
    }]);
    let md = markdown(&p, &crate::CliWords::for_tests());
    let restores = md
        .find(&format!("### {}", crate::render::RESTORES_HEADING))
        .expect(&md);
    let losing = md.find("### Losing access").unwrap();
    assert!(restores < losing, "{md}");
    assert!(md.contains("1 to restore"), "{md}");
    let _ = Summary::default();
}

#[test]
fn backticks_in_logins_stay_inside_their_code_span() {
    let md = markdown(
        &plan(vec![group_change(Action::Add, "G", 1, "a```b", 1)], vec![]),
        &crate::CliWords::for_tests(),
    );
    assert!(md.contains("- ````a```b````: group \"G\"\n"), "{md}");
}
