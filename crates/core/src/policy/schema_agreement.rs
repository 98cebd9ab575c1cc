//! The shipped JSON Schema and the loader agree: over a generated set of mutated policies
//! (names written as numbers, booleans, nulls and blanks in every place a name goes; every
//! field given every kind of value; multi-document files, merge keys, duplicates, empty
//! bodies, …), a file the loader accepts is valid against the schema (editors never mark it
//! red), and a file it refuses is invalid — except for the rules the schema's description
//! lists as checked only by `validate`, each mutation of which is named here.
//!
//! Editors read YAML 1.2 (yaml-language-server): each document becomes JSON with the core
//! schema's scalars (`12` a number, `true` a boolean, `~` null), which [`to_json`] imitates.

use serde_json::{json, Value as Json};

use super::convert::convert;
use super::schema::{json_schema, VALIDATE_ONLY};
use super::yaml::{self, Node, Value};
use crate::model::PolicyFile;

/// A scalar as a YAML 1.2 core-schema reader (an editor) sees it.
fn scalar(s: &str, quoted: bool) -> Json {
    if quoted {
        return json!(s);
    }
    match s {
        "true" | "True" | "TRUE" => return json!(true),
        "false" | "False" | "FALSE" => return json!(false),
        _ => {}
    }
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits(unsigned, 10) {
        if let Ok(n) = s.parse::<i64>() {
            return json!(n);
        }
    }
    if let Some(h) = s.strip_prefix("0x").filter(|h| digits(h, 16)) {
        return json!(i64::from_str_radix(h, 16).unwrap_or(0));
    }
    if let Some(o) = s.strip_prefix("0o").filter(|o| digits(o, 8)) {
        return json!(i64::from_str_radix(o, 8).unwrap_or(0));
    }
    let float = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && unsigned.chars().any(|c| c.is_ascii_digit())
        && unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    if float {
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                return json!(f);
            }
        }
    }
    json!(s)
}

/// A YAML document as the JSON an editor validates: later duplicate keys win, as in JSON.
fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null(_) => Json::Null,
        Value::Scalar(s) => scalar(s, node.quoted),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(pairs) => {
            let mut map = serde_json::Map::new();
            for (k, v) in pairs {
                let key = match &k.value {
                    Value::Scalar(s) => s.to_string(),
                    Value::Null(s) => s.to_string(),
                    _ => "[complex key]".to_string(),
                };
                map.insert(key, to_json(v));
            }
            Json::Object(map)
        }
    }
}

/// The policy every mutation starts from: every section and setting written once.
const BASE: &str = "groups:
  AP Clerks:
    description: Accounts payable
    members: [alice, bob]
  Buyers:
    mode: additive
    remove_owners: true
    id: 7
roles:
  Buyer:
    members: [dave]
licenses:
  expense:
    members: [erin]
users:
  frank:
    groups: [AP Clerks]
    roles: [Buyer]
    licenses: [invoicing]
settings:
  protected_users: [bot]
  max_removals: { total: 25, per_group_fraction: 0.5 }
  writes: [groups]
  group_removals: delete
  acknowledge:
    - { code: inactive_user, user: bob, reason: kept on purpose }
";

/// The places a name goes, as (what is replaced in [`BASE`], with what; `{}` is the name).
const NAME_SLOTS: &[(&str, &str)] = &[
    ("members: [alice, bob]", "members: [alice, {}]"),
    ("protected_users: [bot]", "protected_users: [{}]"),
    ("groups: [AP Clerks]", "groups: [AP Clerks, {}]"),
    ("user: bob,", "user: {},"),
    ("  Buyers:\n", "  {}:\n    members: []\n  Buyers:\n"),
    ("  frank:\n", "  {}: {{}}\n  frank:\n"),
];

/// Names written every way YAML lets one be written.
const NAMES: &[&str] = &[
    "12",
    "007",
    "-1",
    "0x1F",
    "1e3",
    ".5",
    "true",
    "yes",
    "~",
    "null",
    "''",
    "'  '",
    "'12'",
    "\"<<\"",
    "carol@acme.com",
];

/// Other fields, each with values of every kind.
const FIELDS: &[(&str, &[&str])] = &[
    (
        "description: Accounts payable",
        &[
            "description: 12",
            "description: true",
            "description: ~",
            "description: [a]",
            "description: {a: b}",
            "description: '12'",
        ],
    ),
    (
        "mode: additive",
        &[
            "mode: Additive",
            "mode: ~",
            "mode: 1",
            "mode: 'additive'",
            "mode: authoritative",
        ],
    ),
    (
        "remove_owners: true",
        &[
            "remove_owners: 'true'",
            "remove_owners: yes",
            "remove_owners: ~",
            "remove_owners: 1",
            "remove_owners: false",
        ],
    ),
    (
        "id: 7",
        &[
            "id: 0",
            "id: -1",
            "id: '5'",
            "id: 1.5",
            "id: 0x10",
            "id: ~",
            "id: 99999",
        ],
    ),
    (
        "total: 25",
        &[
            "total: -1",
            "total: 1.5",
            "total: '10'",
            "total: ~",
            "total: 0",
            "total: 1e3",
        ],
    ),
    (
        "per_group_fraction: 0.5",
        &[
            "per_group_fraction: 2",
            "per_group_fraction: -0.1",
            "per_group_fraction: ~",
            "per_group_fraction: '0.5'",
            "per_group_fraction: 1",
            "per_group_fraction: .25",
        ],
    ),
    (
        "writes: [groups]",
        &[
            "writes: [groups, groups]",
            "writes: [group]",
            "writes: groups",
            "writes: ~",
            "writes: []",
            "writes: [roles, licenses]",
        ],
    ),
    (
        "group_removals: delete",
        &[
            "group_removals: user_groups",
            "group_removals: ~",
            "group_removals: DELETE",
        ],
    ),
    (
        "licenses: [invoicing]",
        &[
            "licenses: [invoicing-user]",
            "licenses: [invoicing, invoicing]",
            "licenses: ~",
        ],
    ),
    (
        "code: inactive_user, user: bob",
        &[
            "code: guard_exceeded, user: bob",
            "code: inactive_user",
            "code: inactive_group, group: Buyers",
            "code: inactive_group, user: bob",
            "code: owner_kept, user: bob, group: Buyers, role: Buyer",
            "user: bob",
            "code: inactive_user, user: bob, license: expense",
        ],
    ),
    (
        "reason: kept on purpose",
        &["reason: 12", "reason: ~", "reason: [a]", "note: x"],
    ),
];

/// Whole-file mutations: structure, documents, keys and bodies.
const FILES: &[(&str, &str)] = &[
    ("empty file", ""),
    ("comments only", "# nothing yet\n"),
    (
        "two documents",
        "groups:\n  A: { members: [a] }\n---\nroles:\n  R: { members: [b] }\n",
    ),
    (
        "an empty document",
        "---\n---\ngroups:\n  A: { members: [a] }\n",
    ),
    ("a scalar document", "just text\n"),
    ("a list document", "- groups\n"),
    (
        "settings in two documents",
        "settings: { writes: [groups] }\n---\nsettings: { writes: [roles] }\n",
    ),
    (
        "a group in two documents",
        "groups:\n  A: { members: [a] }\n---\ngroups:\n  a: { members: [b] }\n",
    ),
    (
        "a group twice, case",
        "groups:\n  A: { members: [a] }\n  a: { members: [b] }\n",
    ),
    (
        "a key written twice",
        "groups:\n  A: { members: [a] }\n  A: { members: [b] }\n",
    ),
    ("a member twice", "groups:\n  A: { members: [a, a] }\n"),
    (
        "a member twice, case",
        "groups:\n  A: { members: [a, A] }\n",
    ),
    (
        "a user twice, case",
        "users:\n  bob: { groups: [G] }\n  Bob: { groups: [H] }\n",
    ),
    (
        "a field twice",
        "groups:\n  A: { members: [a], members: [b] }\n",
    ),
    ("an anchor at the top level", "base: &b { members: [a] }\n"),
    (
        "a merge key in a body",
        "groups:\n  A:\n    <<: { members: [a] }\n",
    ),
    (
        "a merge key among groups",
        "groups:\n  <<: { A: { members: [a] } }\n",
    ),
    ("a quoted << group", "groups:\n  \"<<\": { members: [a] }\n"),
    ("an alias", "groups:\n  A: &m { members: [a] }\n  B: *m\n"),
    ("no body", "groups:\n  AP Clerks:\n"),
    ("an empty body", "groups:\n  AP Clerks: {}\n"),
    (
        "members left empty",
        "groups:\n  AP Clerks:\n    members:\n",
    ),
    (
        "a description only",
        "groups:\n  AP Clerks: { description: x }\n",
    ),
    (
        "additive without members",
        "groups:\n  AP Clerks: { mode: additive }\n",
    ),
    (
        "additive, members empty",
        "groups:\n  AP Clerks: { mode: additive, members: }\n",
    ),
    ("members: []", "groups:\n  AP Clerks: { members: [] }\n"),
    ("an empty license", "licenses:\n  expense:\n"),
    (
        "an unknown license",
        "licenses:\n  lunch: { members: [a] }\n",
    ),
    (
        "a license with -user",
        "licenses:\n  expense-user: { members: [a] }\n",
    ),
    (
        "remove_owners on a role",
        "roles:\n  R: { members: [a], remove_owners: true }\n",
    ),
    ("members as a string", "groups:\n  A: { members: alice }\n"),
    (
        "members as a mapping",
        "groups:\n  A: { members: { a: b } }\n",
    ),
    ("a nested list member", "groups:\n  A: { members: [[a]] }\n"),
    ("groups as a list", "groups: [A]\n"),
    ("groups empty", "groups:\n"),
    ("a user with no body", "users:\n  bob:\n"),
    (
        "an unknown top-level key",
        "group:\n  A: { members: [a] }\n",
    ),
    (
        "an unknown field",
        "groups:\n  A: { members: [a], owner: x }\n",
    ),
    ("settings empty", "settings:\n"),
    ("max_removals empty", "settings:\n  max_removals:\n"),
    ("acknowledge empty", "settings:\n  acknowledge:\n"),
    (
        "acknowledge an empty entry",
        "settings:\n  acknowledge: [~]\n",
    ),
    (
        "acknowledge not a list",
        "settings:\n  acknowledge: { code: inactive_user, user: bob }\n",
    ),
    ("a blank group name", "groups:\n  '  ': { members: [a] }\n"),
    ("a null group name", "groups:\n  ~: { members: [a] }\n"),
];

/// The mutations refused only by `validate`, each with the rule in [`VALIDATE_ONLY`] (by its
/// first words) that says why a schema cannot refuse it.
const ONLY_VALIDATE: &[(&str, &str)] = &[
    ("settings in two documents", "`settings` is written"),
    ("a group in two documents", "names are compared"),
    ("a group twice, case", "names are compared"),
    ("a key written twice", "merge keys"),
    ("a member twice, case", "names are compared"),
    ("a user twice, case", "names are compared"),
    ("a field twice", "merge keys"),
    ("id: 0x10", "numbers are written"),
    ("total: 1e3", "numbers are written"),
];

/// Every mutation: (label, file text).
fn mutations() -> Vec<(String, String)> {
    let mut out = vec![("the base policy".to_string(), BASE.to_string())];
    for (slot, with) in NAME_SLOTS {
        for name in NAMES {
            let text = BASE.replacen(slot, &with.replace("{}", name), 1);
            out.push((with.replace("{}", name).trim().to_string(), text));
        }
    }
    for (field, values) in FIELDS {
        for v in *values {
            out.push((v.to_string(), BASE.replacen(field, v, 1)));
        }
    }
    for (label, text) in FILES {
        out.push((label.to_string(), text.to_string()));
    }
    out
}

/// Whether the loader accepts `text` as one policy file.
fn loader_accepts(text: &str) -> bool {
    convert(vec![PolicyFile {
        path: "p.yaml".into(),
        text: text.into(),
    }])
    .is_ok()
}

/// Whether every document of `text` is valid against `schema`; `None` for a YAML syntax error
/// (an editor reports that itself).
fn schema_accepts(schema: &jsonschema::Validator, text: &str) -> Option<bool> {
    let docs = yaml::parse(text).ok()?;
    Some(docs.iter().all(|d| schema.is_valid(&to_json(d))))
}

#[test]
fn the_schema_and_the_loader_agree_on_every_mutation() {
    let schema: Json = serde_json::from_str(&json_schema()).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let cases = mutations();
    assert!(cases.len() >= 60, "{} mutations", cases.len());
    let mut red_but_accepted = Vec::new();
    let mut refused_but_valid = Vec::new();
    let mut wrongly_listed = Vec::new();
    for (label, text) in &cases {
        let tool = loader_accepts(text);
        let Some(editor) = schema_accepts(&validator, text) else {
            continue;
        };
        let listed = ONLY_VALIDATE.iter().find(|(l, _)| l == label);
        match (tool, editor, listed) {
            (true, false, _) => red_but_accepted.push(label.clone()),
            (false, true, None) => refused_but_valid.push(label.clone()),
            (false, true, Some(_)) => {}
            (_, _, Some(_)) => wrongly_listed.push(label.clone()),
            _ => {}
        }
    }
    assert!(
        red_but_accepted.is_empty(),
        "the schema marks red what the tool accepts: {red_but_accepted:#?}"
    );
    assert!(
        refused_but_valid.is_empty(),
        "refused by validate, valid by the schema, and not listed as validate-only: {refused_but_valid:#?}"
    );
    assert!(
        wrongly_listed.is_empty(),
        "listed as validate-only but the two agree: {wrongly_listed:#?}"
    );
    // Each validate-only rule named here is stated in the schema's description.
    for (label, rule) in ONLY_VALIDATE {
        assert!(
            VALIDATE_ONLY.iter().any(|r| r.starts_with(rule)),
            "{label}: no rule {rule:?}"
        );
        assert!(
            cases.iter().any(|(l, _)| l == label),
            "{label} is no mutation"
        );
    }
    let description = schema["description"].as_str().unwrap();
    for rule in VALIDATE_ONLY {
        assert!(description.contains(rule));
    }
}
