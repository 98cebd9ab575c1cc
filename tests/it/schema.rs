//! The policy JSON Schema: `policies/policy.schema.json` is what `coupa-access schema` prints,
//! and every example policy conforms to it and carries the editor modeline.

use coupa_access_core::policy::PolicyDocument;

use crate::common::{bin, stdout_of};

const MODELINE: &str = "# yaml-language-server: $schema=policy.schema.json";

fn examples() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_committed_schema_is_current() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    let printed = stdout_of(&out);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/policy.schema.json");
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(path, &printed).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == printed,
        "policies/policy.schema.json is stale: run `coupa-access schema > policies/policy.schema.json` \
         (or UPDATE_GOLDEN=1 cargo test --test it schema) and review the diff"
    );
}

#[test]
fn every_example_policy_conforms_and_has_the_modeline() {
    let examples = examples();
    assert!(examples.len() >= 3);
    for (path, text) in examples {
        assert!(
            text.starts_with(MODELINE),
            "{path} lacks the schema modeline"
        );
        let parsed: Result<PolicyDocument, _> = serde_yaml::from_str(&text);
        assert!(parsed.is_ok(), "{path}: {:?}", parsed.err());
    }
}

#[test]
fn a_policy_with_an_unknown_field_does_not_conform() {
    let bad = "groups:\n  AP Clerks:\n    membrs: [alice]\n";
    assert!(serde_yaml::from_str::<PolicyDocument>(bad).is_err());
    let bad_license = "licenses:\n  expense-user: { members: [alice] }\n";
    assert!(serde_yaml::from_str::<PolicyDocument>(bad_license).is_err());
}
