//! Property tests: nothing a policy file holds makes the parser, the loader, the checks or the
//! rendering panic, and every span the parser gives is a valid byte range of the text.

use proptest::prelude::*;

use super::yaml::{self, Node, Value};
use crate::model::{Group, Live, PolicyFile, User};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every span of `node` and below lies inside `text`, on character boundaries.
fn assert_spans(text: &str, node: &Node) {
    let (start, end) = (node.span.offset, node.span.offset + node.span.len);
    assert!(end <= text.len(), "span {start}..{end} past {}", text.len());
    assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| assert_spans(text, n)),
        Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            assert_spans(text, k);
            assert_spans(text, v);
        }),
        Value::Null(_) | Value::Scalar(_) => {}
    }
}

fn parse_checked(text: &str) {
    match yaml::parse(text) {
        Ok(docs) => docs.iter().for_each(|d| assert_spans(text, d)),
        Err(e) => assert!(e.offset <= text.len() && text.is_char_boundary(e.offset)),
    }
}

/// A small tenant: some names resolve, some do not, one user is inactive.
fn live() -> Live {
    Live {
        users: vec![
            User::new(1, "alice", "alice@acme.com"),
            User::new(2, "bob", "bob@acme.com"),
            User {
                active: false,
                ..User::new(3, "zoë", "zoë@acme.com")
            },
        ],
        groups: vec![Group::new(10, "G0"), Group::new(11, "AP Clerks")],
        ..Live::default()
    }
}

/// Loads, checks against a small tenant and renders whatever comes out.
fn load_check_render(text: &str) {
    let files = vec![PolicyFile {
        path: "p/a.yaml".into(),
        text: text.into(),
    }];
    match super::load_files(files) {
        Ok(desired) => {
            let report = super::check(&desired, &live());
            let _ = super::render_plain(&report.errors);
            let _ = super::render_plain(&report.warnings);
            let _ = report.warning_messages();
        }
        Err(errors) => {
            let _ = super::render_plain(&errors.diagnostics);
            let _ = errors
                .diagnostics
                .iter()
                .map(|d| d.one_line())
                .collect::<Vec<_>>();
        }
    }
}

/// One line of YAML-ish policy text: indentation, maybe a `- `, a key, a value, a comment.
fn line() -> impl Strategy<Value = String> {
    let indent = prop::sample::select(vec!["", "  ", "    ", "      ", "\t", " "]);
    let dash = prop::sample::select(vec!["", "", "- "]);
    let key = prop::sample::select(vec![
        "groups",
        "roles",
        "licenses",
        "users",
        "settings",
        "members",
        "mode",
        "description",
        "max_removals",
        "total",
        "per_group_fraction",
        "protected_users",
        "AP Clerks",
        "Zoë",
        "<<",
        "'<<'",
        "? x",
        "expense",
        "alice",
        "~",
        "null",
        "",
    ]);
    let value = prop::sample::select(vec![
        "",
        " [alice, bob]",
        " {members: [x]}",
        " 'q'",
        " \"10\"",
        " 10",
        " -1",
        " 0.25",
        " &a [p]",
        " *a",
        " ~",
        " |",
        " >",
        " !!str 3",
        " [",
        " {",
        " }",
        " ]",
        " additive",
        " authoritative",
        " ü",
        " 'unterminated",
        " \"esc\\u00e9\"",
        " *missing",
        " ---",
    ]);
    let comment = prop::sample::select(vec!["", "", " # note", " # ñ"]);
    let free = "[ -~üß\t]{0,12}";
    (indent, dash, key, prop::bool::ANY, value, comment, free).prop_map(
        |(indent, dash, key, colon, value, comment, free)| {
            let colon = if colon { ":" } else { "" };
            format!("{indent}{dash}{key}{colon}{value}{comment}{free}")
        },
    )
}

/// A block-style policy: sections of named entries with fields, mostly well-formed, with a few
/// free lines mixed in.
fn policy_lines() -> impl Strategy<Value = Vec<String>> {
    let name = prop::sample::select(vec![
        "AP Clerks",
        "ap clerks",
        "Zoë",
        "Buyer",
        "expense",
        "alice",
        "'<<'",
        "<<",
        "Null",
        "2024",
    ]);
    let field = prop_oneof![3 => Just("members"), 1 => prop::sample::select(vec![
        "members", "mode", "description", "groups", "roles", "licenses", "protected_users",
        "max_removals", "total", "<<", "membrs",
    ])];
    let value = prop_oneof![2 => Just(" [alice, bob]"), 1 => prop::sample::select(vec![
        " [alice, bob]", " [alice, Alice, '']", " [~, null]", " additive", " Additive", " 'x'",
        " {total: 1, per_group_fraction: 0.5}", " {total: \"1\"}", " &t [carol]", " *t", "",
        " 10", " [ü@x.com]",
    ])];
    let section = prop_oneof![2 => Just("groups"), 1 => prop::sample::select(vec![
        "groups", "roles", "licenses", "users", "settings", "group",
    ])];
    let entry = (name, prop::collection::vec((field, value), 0..4));
    let sections = prop::collection::vec((section, prop::collection::vec(entry, 0..4)), 0..4);
    (sections, prop::collection::vec(line(), 0..=1)).prop_map(|(sections, noise)| {
        let mut lines = Vec::new();
        for (section, entries) in sections {
            lines.push(format!("{section}:"));
            for (name, fields) in entries {
                lines.push(format!("  {name}:"));
                for (field, value) in fields {
                    lines.push(format!("    {field}:{value}"));
                }
            }
        }
        for (i, l) in noise.into_iter().enumerate() {
            let at = (i * 7) % (lines.len() + 1);
            lines.insert(at, l);
        }
        lines
    })
}

fn document() -> impl Strategy<Value = String> {
    let lines = prop_oneof![prop::collection::vec(line(), 0..24), policy_lines()];
    (lines, prop::bool::ANY, prop::bool::ANY).prop_map(|(lines, crlf, bom)| {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        if bom {
            format!("\u{feff}{text}")
        } else {
            text
        }
    })
}

/// A well-formed policy: distinct groups, each with distinct members, in block or flow style.
fn valid_policy() -> impl Strategy<Value = String> {
    let member = prop::sample::select(vec![
        "alice",
        "ALICE@acme.com",
        "bob",
        "zoë@acme.com",
        "ghost",
        "'quoted name'",
        "\"dq\"",
    ]);
    let members = prop::sample::subsequence(vec![0usize, 1, 2, 3, 4, 5, 6], 0..=4);
    let groups = prop::collection::vec((members, prop::bool::ANY, prop::bool::ANY), 1..6);
    (groups, member.prop_map(String::from)).prop_map(|(groups, protected)| {
        let names = [
            "alice",
            "carol",
            "bob",
            "zoë@acme.com",
            "ghost",
            "'quoted name'",
            "\"dq\"",
        ];
        let mut text = String::from("groups:\n");
        for (i, (members, flow, additive)) in groups.into_iter().enumerate() {
            let list: Vec<&str> = members.iter().map(|&m| names[m]).collect();
            let mode = if additive {
                "additive"
            } else {
                "authoritative"
            };
            if flow {
                text.push_str(&format!(
                    "  G{i}: {{ mode: {mode}, members: [{}] }}\n",
                    list.join(", ")
                ));
            } else {
                if list.is_empty() {
                    // `members:` with nothing after it is refused: an empty list is said.
                    text.push_str(&format!("  G{i}:\n    mode: {mode}\n    members: []\n"));
                    continue;
                }
                text.push_str(&format!("  G{i}:\n    mode: {mode}\n    members:\n"));
                for m in list {
                    text.push_str(&format!("      - {m}\n"));
                }
            }
        }
        text.push_str(&format!(
            "settings:\n  protected_users: [{protected}]\n  max_removals: {{ total: 3 }}\n"
        ));
        text
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_parser_never_panics_and_spans_are_byte_ranges(text in any::<String>()) {
        parse_checked(&text);
    }

    #[test]
    fn the_parser_keeps_spans_valid_on_yaml_ish_text(text in document()) {
        parse_checked(&text);
    }

    #[test]
    fn the_loader_never_panics_on_any_text(text in any::<String>()) {
        load_check_render(&text);
    }

    #[test]
    fn well_formed_policies_load_and_check(text in valid_policy()) {
        let files = vec![PolicyFile { path: "p/a.yaml".into(), text: text.clone() }];
        let desired = super::load_files(files);
        prop_assert!(desired.is_ok(), "{text}\n{:?}", desired.err().map(|e| e.diagnostics[0].one_line()));
        load_check_render(&text);
    }

    #[test]
    fn the_loader_never_panics_on_yaml_ish_text(text in document()) {
        load_check_render(&text);
    }
}
