//! Renderer unit tests over hand-built plans.

use std::collections::BTreeMap;

use crate::model::{
    Action, Change, ChangeTarget, GroupPrecondition, Kind, License, Origin, Plan, Preconditions,
    SourcePos, Summary, Warning, WarningCode,
};
use crate::plan::fingerprint;

use super::*;

fn change(
    action: Action,
    kind: Kind,
    target: &str,
    target_id: u64,
    user: &str,
    user_id: u64,
) -> Change {
    let target = match kind {
        Kind::Group => ChangeTarget::Group {
            id: target_id,
            name: target.into(),
        },
        Kind::Role => ChangeTarget::Role {
            id: target_id,
            name: target.into(),
        },
        Kind::License => ChangeTarget::License(License::from_key(target).unwrap()),
    };
    Change {
        action,
        target,
        user: user.into(),
        user_id,
        applies: kind == Kind::Group,
        membership_id: (kind == Kind::Group && action == Action::Remove).then_some(300 + user_id),
        privileged: false,
        expired: None,
    }
}

fn plan_with(changes: Vec<Change>, warnings: Vec<String>, pre: &[(&str, u64, &[&str])]) -> Plan {
    let summary = Summary {
        add: changes
            .iter()
            .filter(|c| c.applies && c.action == Action::Add)
            .count(),
        remove: changes
            .iter()
            .filter(|c| c.applies && c.action == Action::Remove)
            .count(),
        reported_only: changes.iter().filter(|c| !c.applies).count(),
        restore: 0,
    };
    let groups: BTreeMap<String, GroupPrecondition> = pre
        .iter()
        .map(|(name, id, members)| {
            (
                name.to_string(),
                GroupPrecondition {
                    group_id: *id,
                    members_fingerprint: fingerprint([]),
                    members: members.iter().map(|&m| m.into()).collect(),
                },
            )
        })
        .collect();
    Plan {
        tool_version: "0.1.0".into(),
        origin: Origin::Instance {
            domain: "https://acme.coupahost.com".into(),
        },
        generated_at: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
        policy_digest: "sha256:abc".into(),
        changes,
        summary,
        warnings: warnings
            .into_iter()
            .map(|w| Warning::new(WarningCode::Other, w))
            .collect(),
        preconditions: Preconditions {
            groups,
            ..Preconditions::default()
        },
        restores: Vec::new(),
        scope: None,
        acknowledged: Vec::new(),
    }
}

fn sample() -> Plan {
    use Action::*;
    use Kind::*;
    let mut admin_add = change(Add, Role, "Admin", 1, "alice", 1);
    admin_add.privileged = true;
    plan_with(
        vec![
            change(Remove, Group, "AP Clerks", 12, "bob", 2),
            change(Add, Group, "AP Clerks", 12, "carol", 3),
            admin_add,
            change(Remove, Role, "Buyer", 4, "alice", 1),
            change(Add, Kind::License, "expense", 0, "carol", 3),
        ],
        vec!["kept dave in group \"AP Clerks\": protected user (settings.protected_users)".into()],
        &[(
            "AP Clerks",
            12,
            &["alice", "bob", "dave", "erin", "frank", "gina", "hank"],
        )],
    )
}

const SAMPLE_TEXT: &str = r#"coupa-access plan for https://acme.coupahost.com

group "AP Clerks" (id 12)
  - bob
  + carol

role "Admin" (id 1), privileged: omnipotent (reported only, not applied)
  + alice

role "Buyer" (id 4) (reported only, not applied)
  - alice

license "expense" (reported only, not applied)
  + carol

By person:
  alice: + role Admin (reported only), - role Buyer (reported only)
  bob: - AP Clerks
  carol: + AP Clerks, + license expense (reported only)

Group members after apply:
  group "AP Clerks" (id 12), members 7 -> 7:
      alice
    - bob
    + carol
      dave
      erin
      ... 3 unchanged members

Warnings:
  ! kept dave in group "AP Clerks": protected user (settings.protected_users)

Plan: 1 to add, 1 to remove, 3 reported only.
"#;

#[test]
fn text_groups_by_target_and_person_with_member_diff() {
    assert_eq!(
        text(&sample(), Color::Never, &crate::CliWords::for_tests()),
        SAMPLE_TEXT
    );
}

#[test]
fn text_without_colour_has_no_escape_codes_and_with_colour_marks_removals() {
    let plain = text(&sample(), Color::Never, &crate::CliWords::for_tests());
    assert!(!plain.contains('\x1b'));
    let coloured = text(&sample(), Color::Always, &crate::CliWords::for_tests());
    let red_bold = anstyle::AnsiColor::Red.on_default().bold();
    let reset = red_bold.render_reset().to_string();
    assert!(coloured.contains(&format!(
        "{}-{reset} {}bob{reset}",
        red_bold.render(),
        red_bold.render()
    )));
    // Stripping the codes gives the plain text back.
    assert_eq!(strip_ansi(&coloured), plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn text_for_an_empty_plan_says_no_changes() {
    let p = plan_with(vec![], vec![], &[]);
    assert_eq!(
        text(&p, Color::Never, &crate::CliWords::for_tests()),
        "coupa-access plan for https://acme.coupahost.com\n\nNo changes. Coupa matches the policy.\n"
    );
    let md = markdown(&p, &crate::CliWords::for_tests());
    assert!(
        md.contains("**No changes. Coupa matches the policy.**"),
        "{md}"
    );
    assert!(!md.contains("<details>"));
}

#[test]
fn closing_line_counts() {
    let s = Summary {
        add: 3,
        remove: 1,
        reported_only: 2,
        restore: 0,
    };
    assert_eq!(
        closing_line(&s, true),
        "Plan: 3 to add, 1 to remove, 2 reported only."
    );
    assert_eq!(
        closing_line(&Summary::default(), false),
        "No changes. Coupa matches the policy."
    );
}

#[test]
fn member_diff_skips_long_unchanged_runs() {
    use Action::*;
    let members: Vec<String> = (0..20).map(|i| format!("u{i:02}")).collect();
    let members: Vec<&str> = members.iter().map(String::as_str).collect();
    let p = plan_with(
        vec![change(Remove, Kind::Group, "G", 1, "u10", 10)],
        vec![],
        &[("G", 1, &members)],
    );
    let t = text(&p, Color::Never, &crate::CliWords::for_tests());
    let expected = "  group \"G\" (id 1), members 20 -> 19:\n      ... 8 unchanged members\n      u08\n      u09\n    - u10\n      u11\n      u12\n      ... 7 unchanged members\n";
    assert!(t.contains(expected), "{t}");
}

#[test]
fn duplicate_membership_removals_show_their_ids() {
    use Action::*;
    let mut a = change(Remove, Kind::Group, "G", 1, "bob", 2);
    a.membership_id = Some(7);
    let mut b = a.clone();
    b.membership_id = Some(8);
    let p = plan_with(vec![a, b], vec![], &[("G", 1, &["bob"])]);
    let t = text(&p, Color::Never, &crate::CliWords::for_tests());
    assert!(
        t.contains("  - bob (membership 7)\n  - bob (membership 8)\n"),
        "{t}"
    );
    assert!(t.contains("  bob: - G\n"), "person view names G once: {t}");
    assert!(
        t.contains("members 1 -> 0:\n    - bob\n\n"),
        "member list shows bob once: {t}"
    );
}

#[test]
fn json_is_pretty_stable_and_round_trips() {
    let p = sample();
    let j = json(&p);
    assert!(j.ends_with("}\n"));
    assert!(j.starts_with(
        "{\n  \"format_version\": 2,\n  \"tool_version\": \"0.1.0\",\n  \"domain\": \"https://acme.coupahost.com\",\n  \"origin\": {\n    \"type\": \"instance\",\n    \"domain\": \"https://acme.coupahost.com\"\n  },\n  \"generated_at\": \"2026-01-01T00:00:00Z\""
    ));
    let back: Plan = serde_json::from_str(&j).unwrap();
    assert_eq!(back, p);
    assert_eq!(json(&back), j);
    // optional fields are left out when unset
    assert!(!j.contains("\"privileged\": false"));
    assert!(j.contains("\"membership_id\": 302"));
}

#[test]
fn markdown_escapes_names() {
    use Action::*;
    let p = plan_with(
        vec![change(
            Remove,
            Kind::Group,
            "<b>*Ops*</b> | `x`",
            9,
            "a_b",
            1,
        )],
        vec![],
        &[],
    );
    let md = markdown(&p, &crate::CliWords::for_tests());
    assert!(
        md.contains("| group | \\<b\\>\\*Ops\\*\\</b\\> \\| \\`x\\` (id 9) | 0 | 1 | no |\n"),
        "{md}"
    );
    assert!(
        md.contains("- `a_b`: group \"\\<b\\>\\*Ops\\*\\</b\\> \\| \\`x\\`\"\n"),
        "{md}"
    );
}

#[test]
fn thousands_separates_digits() {
    use super::thousands;
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_234), "1,234");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(usize::MAX), "18,446,744,073,709,551,615");
}

#[test]
fn big_groups_render_every_change_once() {
    use Action::*;
    // 20,000 members, every third removed, 5,000 added: the member-list diff must stay exact.
    let members: Vec<String> = (0..20_000).map(|i| format!("m{i:05}")).collect();
    let refs: Vec<&str> = members.iter().map(String::as_str).collect();
    let mut changes = Vec::new();
    for (i, m) in members.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        changes.push(change(Remove, Kind::Group, "Big", 1, m, i as u64));
    }
    for i in 0..5_000u64 {
        changes.push(change(
            Add,
            Kind::Group,
            "Big",
            1,
            &format!("n{i:05}"),
            100_000 + i,
        ));
    }
    let removed = changes.len() - 5_000;
    let p = plan_with(changes, vec![], &[("Big", 1, &refs)]);
    let t = text(&p, Color::Never, &crate::CliWords::for_tests());
    let list = &t[t.find("Group members after apply:").unwrap()..];
    assert_eq!(
        list.lines().filter(|l| l.starts_with("    - m")).count(),
        removed
    );
    assert_eq!(
        list.lines().filter(|l| l.starts_with("    + n")).count(),
        5_000
    );
    // Counts read by people carry separators, in text too.
    assert!(list.contains(&format!(
        "members 20,000 -> {}:",
        thousands(20_000 - removed + 5_000)
    )));
}

#[test]
fn control_characters_in_names_are_escaped() {
    use Action::*;
    let p = plan_with(
        vec![change(Remove, Kind::Group, "Ops\x1b[2J", 1, "eve\x07", 1)],
        vec!["odd \x1b[31m warning".into()],
        &[("Ops\x1b[2J", 1, &["eve\x07"])],
    );
    for out in [
        text(&p, Color::Never, &crate::CliWords::for_tests()),
        markdown(&p, &crate::CliWords::for_tests()),
    ] {
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("eve\\u{7}"), "{out}");
    }
    let t = text(&p, Color::Never, &crate::CliWords::for_tests());
    assert!(t.contains("group \"Ops\\u{1b}[2J\" (id 1)"), "{t}");
    assert!(t.contains("members 1 -> 0:\n    - eve\\u{7}\n"), "{t}");
    // JSON keeps the data as it is (serde_json escapes it).
    assert!(json(&p).contains("\"user\": \"eve\\u0007\""));
}

#[test]
fn warnings_show_where_they_point_and_snapshot_origins_are_named() {
    let mut p = plan_with(vec![], vec![], &[]);
    p.origin = Origin::Snapshot {
        path: "tenant.json".into(),
        domain: None,
        taken_at: None,
    };
    p.warnings = vec![
        Warning::new(WarningCode::InactiveUser, "user `dave` is inactive")
            .at(Some(SourcePos {
                file: "policies/g.yaml".into(),
                line: 4,
                column: 15,
            }))
            .help("reactivate them"),
    ];
    let t = text(&p, Color::Never, &crate::CliWords::for_tests());
    assert!(
        t.starts_with("coupa-access plan for snapshot tenant.json\n"),
        "{t}"
    );
    assert!(
        t.contains("  ! policies/g.yaml:4:15: user `dave` is inactive (reactivate them)\n"),
        "{t}"
    );
    let md = markdown(&p, &crate::CliWords::for_tests());
    assert!(
        md.starts_with(
            "<!-- coupa-access:plan -->\n## coupa-access plan for snapshot tenant.json\n"
        ),
        "{md}"
    );
    // Grouped by code, the login and the position as code (no literal backticks), the advice
    // once.
    assert!(
        md.contains("- **1 user is inactive in Coupa:** user `dave` is inactive (`policies/g.yaml:4:15`) — reactivate them\n"),
        "{md}"
    );
}

#[test]
fn markdown_shows_hostile_names_without_mentions_links_or_bidi_controls() {
    use Action::*;
    let group = "Ops @org/team #12 https://evil.example www.evil.example \u{202e}exe";
    let p = plan_with(
        vec![change(Add, Kind::Group, group, 9, "@octocat\u{2066}", 1)],
        vec![],
        &[],
    );
    let md = markdown(&p, &crate::CliWords::for_tests());
    for raw in [
        "@org/team",
        "#12",
        "https://",
        "www.evil",
        "\u{202e}",
        "\u{2066}",
    ] {
        assert!(!md.contains(raw), "{raw:?} in\n{md}");
    }
    let shown =
        "Ops @\u{2060}org/team \\#\u{2060}12 https:\u{2060}//evil.example www\u{2060}.evil.example";
    assert!(
        md.contains(&format!("| group | {shown} \\\\u{{202e}}exe (id 9) |")),
        "{md}"
    );
    // In the person's line too; the login sits in a code span.
    assert!(
        md.contains(&format!(
            "- `@octocat\\u{{2066}}`: group \"{shown} \\\\u{{202e}}exe\"\n"
        )),
        "{md}"
    );
}

/// `write_text` hands the text out piece by piece as it renders (what lets `show` stream a
/// huge plan to stdout), the same text `text` returns, in colour too; a sink that fails stops
/// the render at once.
#[test]
fn write_text_streams_what_text_returns_and_stops_at_a_failing_sink() {
    struct Pieces(Vec<String>);
    impl std::fmt::Write for Pieces {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.push(s.to_string());
            Ok(())
        }
    }
    for color in [Color::Never, Color::Always] {
        let mut sink = Pieces(Vec::new());
        write_text(&sample(), color, &crate::CliWords::for_tests(), &mut sink).unwrap();
        assert!(sink.0.len() > 20, "written in pieces: {}", sink.0.len());
        assert_eq!(
            sink.0.concat(),
            text(&sample(), color, &crate::CliWords::for_tests())
        );
    }
    assert_eq!(
        text(&sample(), Color::Never, &crate::CliWords::for_tests()),
        SAMPLE_TEXT
    );

    /// Accepts `left` pieces, then refuses every one, counting the refusals.
    struct FailsAfter {
        left: usize,
        refused: usize,
    }
    impl std::fmt::Write for FailsAfter {
        fn write_str(&mut self, _: &str) -> std::fmt::Result {
            if self.left == 0 {
                self.refused += 1;
                return Err(std::fmt::Error);
            }
            self.left -= 1;
            Ok(())
        }
    }
    let mut sink = FailsAfter {
        left: 3,
        refused: 0,
    };
    assert!(write_text(
        &sample(),
        Color::Never,
        &crate::CliWords::for_tests(),
        &mut sink
    )
    .is_err());
    assert_eq!(
        sink.refused, 1,
        "nothing more is written after the first failure"
    );
}
