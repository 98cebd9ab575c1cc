//! The streaming reader against the whole-text read it replaces, on seeded generated files fed
//! in random chunk sizes: the same live state and metadata, or the same kind of error at the
//! same line.

use super::*;
use crate::model::{Group, Membership, Role, User};

use crate::testkit::Seq as Rng;

const PIECES: &[&str] = &[
    "a",
    "Zoë",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\\"",
    "/",
    "\u{1F600}",
    "é",
    "\t",
    "\n",
    "\u{0}",
    "\u{7f}",
    "\u{2028}",
    " ",
    "x y",
    "ß",
    "日本",
];

fn text(rng: &mut Rng) -> String {
    (0..rng.below(6))
        .map(|_| PIECES[rng.below(PIECES.len())])
        .collect()
}

fn live(rng: &mut Rng) -> Live {
    let mut live = Live::default();
    for i in 0..rng.below(6) {
        let mut u = User::new(rng.next_u64() >> 20, &text(rng), &text(rng));
        if rng.one_in(2) {
            u.firstname = Some(text(rng).into());
        }
        u.active = rng.one_in(2);
        live.users.push(u);
        let _ = i;
    }
    for _ in 0..rng.below(4) {
        let mut g = Group::new(rng.next_u64() >> 40, &text(rng));
        if rng.one_in(2) {
            g.description = Some(text(rng));
        }
        live.groups.push(g);
    }
    for _ in 0..rng.below(3) {
        live.projects
            .push(Group::new(rng.below(1000) as u64, &text(rng)));
    }
    for _ in 0..rng.below(3) {
        live.roles
            .push(Role::new(rng.below(1000) as u64, &text(rng), rng.one_in(2)));
    }
    for _ in 0..rng.below(8) {
        live.memberships.push(Membership {
            id: rng.next_u64() >> 1,
            user_id: rng.below(50) as u64,
            group_id: rng.below(50) as u64,
            created_at: rng.one_in(2).then(|| text(rng).into()),
            owner: rng.one_in(3),
            participant: rng.one_in(2).then(|| rng.one_in(2)),
        });
    }
    live
}

/// Whitespace after structural characters outside strings.
fn sprinkle(json: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if matches!(c, '{' | '[' | ',' | ':' | '}' | ']') {
            for _ in 0..rng.below(3) {
                out.push([' ', '\t', '\n', '\r'][rng.below(4)]);
            }
        }
    }
    out
}

/// A snapshot (or bare `Live`) text: pretty, compact, sprinkled, keys shuffled, optional parts left out.
fn file(rng: &mut Rng) -> String {
    let live = live(rng);
    if rng.one_in(4) {
        return to_json(&live, &text(rng), "2026-01-01T00:00:00Z");
    }
    let value = serde_json::to_value(&live).unwrap();
    let mut parts: Vec<(String, serde_json::Value)> =
        value.as_object().unwrap().clone().into_iter().collect();
    if live.projects.is_empty() && rng.one_in(2) {
        parts.retain(|(k, _)| k != "projects");
    }
    if rng.one_in(2) {
        parts.push(("format_version".into(), 1.into()));
        parts.push(("kind".into(), text(rng).into()));
        parts.push(("domain".into(), text(rng).into()));
        if rng.one_in(2) {
            parts.push(("taken_at".into(), serde_json::Value::Null));
        }
    }
    for i in (1..parts.len()).rev() {
        parts.swap(i, rng.below(i + 1));
    }
    let body: Vec<String> = parts
        .iter()
        .map(|(k, v)| {
            let v = if rng.one_in(2) {
                serde_json::to_string_pretty(v).unwrap()
            } else {
                v.to_string()
            };
            format!("{}:{v}", serde_json::Value::from(k.as_str()))
        })
        .collect();
    let doc = format!("{{{}}}", body.join(","));
    match rng.below(3) {
        0 => doc,
        1 => sprinkle(&doc, rng),
        _ => format!(" \n{}\n\t", sprinkle(&doc, rng)),
    }
}

fn read_in_chunks(bytes: &[u8], rng: &mut Rng) -> Result<(Live, SnapshotMeta), SnapshotError> {
    let mut reader = Reader::new();
    let mut rest = bytes;
    let most = [1, 2, 3, 7, 64, 4096, usize::MAX][rng.below(7)];
    while !rest.is_empty() {
        let n = (1 + rng.below(most)).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        if let Err(e) = reader.feed(chunk) {
            assert!(matches!(e, SnapshotError::Json(_)), "{e}");
            let again = reader.finish().unwrap_err();
            assert_eq!(again.to_string(), e.to_string());
            return Err(e);
        }
        rest = tail;
    }
    reader.finish()
}

/// The reader (random chunks) and the whole-text read agree on `text`.
fn agree(text: &str, rng: &mut Rng) {
    let want = from_whole_text(text);
    let got = read_in_chunks(text.as_bytes(), rng);
    match (&want, &got) {
        (Ok(w), Ok(g)) => assert_eq!(w, g, "{text}"),
        (Err(SnapshotError::Json(w)), Err(SnapshotError::Json(g)))
        | (Err(SnapshotError::Shape(w)), Err(SnapshotError::Shape(g))) => {
            assert_eq!(
                (w.line, w.column),
                (g.line, g.column),
                "want {w}, got {g}, in\n{text}"
            );
        }
        (Err(SnapshotError::Version { found: w }), Err(SnapshotError::Version { found: g })) => {
            assert_eq!(w, g, "{text}");
        }
        _ => panic!("want {want:?}, got {got:?}, in\n{text}"),
    }
}

#[test]
fn generated_files_read_the_same_in_any_chunks() {
    let mut rng = Rng::new(0x5EED_0001);
    for _ in 0..3000 {
        let text = file(&mut rng);
        agree(&text, &mut rng);
        assert!(from_json(&text).is_ok(), "{text}");
    }
}

#[test]
fn truncated_files_fail_alike_at_every_offset() {
    let mut rng = Rng::new(0x5EED_0002);
    for _ in 0..40 {
        let text = file(&mut rng);
        for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            agree(&text[..end], &mut rng);
        }
    }
}

const JUNK: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "0",
    "-",
    "1.5",
    "t",
    "null",
    "\"x\"",
    " ",
    "\n",
    "\"users\":[]",
    "\"format_version\":2",
    "\"format_version\":1",
    "\"groups\":5",
    "\"zz\":1",
    "\"id\":\"7\"",
    "\"extra\":true",
    "é",
];

#[test]
fn mutated_files_fail_alike() {
    let mut rng = Rng::new(0x5EED_0003);
    for _ in 0..12000 {
        let text = file(&mut rng);
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = at + rng.below(4);
        while end > text.len() || !text.is_char_boundary(end) {
            end -= 1;
        }
        let junk = if rng.one_in(3) {
            ""
        } else {
            JUNK[rng.below(JUNK.len())]
        };
        let mutated = format!("{}{junk}{}", &text[..at], &text[end..]);
        agree(&mutated, &mut rng);
    }
}

#[test]
fn named_bad_files_fail_alike() {
    let mut rng = Rng::new(0x5EED_0004);
    let ok = r#"{"format_version": 1, "users": [{"id": 1, "login": "a", "email": "a@x", "active": true}],
 "groups": [], "roles": [], "memberships": []}"#;
    let cases = [
        ok.to_owned(),
        ok.replace("\"groups\": []", "\"groups\": [], \"users\": []"),
        ok.replace(
            "\"groups\": []",
            "\"groups\": [], \"domain\": \"a\", \"domain\": \"b\"",
        ),
        ok.replace("\"groups\": []", "\"groups\": [], \"format_version\": 1"),
        ok.replace("\"groups\": []", "\"groups\": [], \"tenant\": {}"),
        ok.replace("\"active\": true", "\"active\": true, \"admin\": 1"),
        ok.replace("\"id\": 1", "\"id\": \"1\""),
        // serde_json names some wrong shapes as syntax errors (an enum from `{}`).
        ok.replace("\"active\": true", "\"active\": true, \"licenses\": [{}]"),
        ok.replace("\"active\": true", "\"active\": true, \"licenses\": [{}]") + "]",
        ok.replace("\"groups\": []", "\"groups\": {}"),
        ok.replace("\"groups\": []", "\"groups\": null"),
        ok.replace("\"groups\": [],", ""),
        ok.replace("\"format_version\": 1", "\"format_version\": 2"),
        ok.replace("\"format_version\": 1", "\"format_version\": \"1\""),
        ok.replace("\"format_version\": 1", "\"format_version\": 1.0"),
        ok.replace("\"id\": 1", "\"id\": \"1\"")
            .replace("\"format_version\": 1", "\"format_version\": 3"),
        ok.replace(
            "\"memberships\": []}",
            "\"format_version\": 9, \"memberships\": []}",
        ),
        ok.replace("\"id\": 1", "\"id\": \"1\"") + " x",
        format!("{ok} {{}}"),
        format!("{ok}garbage"),
        ok.replace("[{", "[{}, {"),
        ok.replace("}]", "},]"),
        ok.replace("[]", "[1 2]"),
        "[]".into(),
        "[2]".into(),
        " \n [1, \"snapshot\"".into(),
        "5".into(),
        "\"snapshot\"".into(),
        "null".into(),
        "".into(),
        "  \n ".into(),
        "{}".into(),
        "{\"users\": 1}".into(),
        "nope".into(),
        "{,}".into(),
        "{\"users\" []}".into(),
        "{\"users\": [],}".into(),
        "{1: 2}".into(),
    ];
    for case in &cases {
        for _ in 0..20 {
            agree(case, &mut rng);
        }
    }
}

#[test]
fn invalid_utf8_is_an_error_at_its_line_and_split_characters_are_fine() {
    let ok = "{\"users\": [], \"groups\": [{\"id\": 1, \"name\": \"Zoë 日本 \u{1F600}\", \"active\": true}],\n\"roles\": [], \"memberships\": []}";
    let mut rng = Rng::new(0x5EED_0005);
    for _ in 0..200 {
        let (live, _) = read_in_chunks(ok.as_bytes(), &mut rng).unwrap();
        assert_eq!(live.groups[0].name, "Zoë 日本 \u{1F600}");
    }
    let mut bad = ok.as_bytes().to_vec();
    let at = ok.find("\"roles\"").unwrap() + 2;
    bad[at] = 0xFF;
    for _ in 0..50 {
        match read_in_chunks(&bad, &mut rng) {
            Err(SnapshotError::Json(f)) => assert_eq!(f.line, 2, "{f}"),
            other => panic!("{other:?}"),
        }
    }
    // Inside a record, and a truncated character at the very end.
    let mut bad = ok.as_bytes().to_vec();
    bad[ok.find('ë').unwrap() + 1] = b'x';
    assert!(matches!(
        read_in_chunks(&bad, &mut rng),
        Err(SnapshotError::Json(_))
    ));
    let cut = &ok.as_bytes()[..ok.find('ë').unwrap() + 1];
    assert!(matches!(
        read_in_chunks(cut, &mut rng),
        Err(SnapshotError::Json(_))
    ));
}

#[test]
fn record_vectors_are_shrunk_and_errors_point_into_the_file() {
    let mut users = String::new();
    for i in 0..100 {
        users.push_str(&format!(
            "{}\n  {{\"id\": {i}, \"login\": \"u{i}\", \"email\": \"e\", \"active\": true}}",
            if i == 0 { "" } else { "," }
        ));
    }
    let ok =
        format!("{{\"users\": [{users}],\n\"groups\": [], \"roles\": [], \"memberships\": []}}");
    let (live, _) = from_json(&ok).unwrap();
    assert_eq!(live.users.capacity(), 100);
    let bad = ok.replace("\"id\": 57,", "\"id\": 57, \"id\": 58,");
    match from_json(&bad) {
        Err(SnapshotError::Shape(f)) => {
            assert_eq!(f.line, 59, "{f}");
            assert_eq!(f.message, "duplicate field `id`");
        }
        other => panic!("{other:?}"),
    }
}
