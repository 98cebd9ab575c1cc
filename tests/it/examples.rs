//! The CI examples under `examples/` are valid YAML, and every coupa-access command line in them
//! uses a subcommand and flags that the CLI really has (checked against its `--help`).

use std::collections::BTreeSet;

use crate::common::{bin, stdout_of};

fn example_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = vec![root.join("gitlab-ci.yml")];
    for e in std::fs::read_dir(root.join("github-actions")).unwrap() {
        files.push(e.unwrap().path());
    }
    files.sort();
    files
}

/// Every string in a YAML document.
fn strings(v: &serde_yaml::Value, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        serde_yaml::Value::Mapping(m) => m.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        serde_yaml::Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

/// `(subcommand, flags)` of each `coupa-access SUB …` invocation in a script, up to the first
/// shell operator; continuation lines (`\` at the end) are joined first.
fn invocations(script: &str) -> Vec<(String, Vec<String>)> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("coupa-access ") {
            let after = &rest[at + "coupa-access ".len()..];
            let words: Vec<&str> = after
                .split_whitespace()
                .take_while(|w| !matches!(*w, ">" | "|" | "||" | "&&" | ";" | "2>&1"))
                .map(|w| w.trim_end_matches(';'))
                .collect();
            if let Some((sub, args)) = words.split_first() {
                // `cargo install … coupa-access` names the package, not a command.
                if !sub.starts_with('-') && !line.contains("cargo install") {
                    let flags = args
                        .iter()
                        .filter(|a| a.starts_with("--"))
                        .map(|a| a.split('=').next().unwrap_or(a).to_string())
                        .collect();
                    out.push((sub.to_string(), flags));
                }
            }
            rest = after;
        }
    }
    out
}

/// The long flags a subcommand's `--help` lists.
fn flags_of(sub: &str) -> BTreeSet<String> {
    let out = bin().args([sub, "--help"]).output().unwrap();
    assert!(
        out.status.success(),
        "`coupa-access {sub}` is not a command"
    );
    stdout_of(&out)
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.split('=')
                .next()
                .unwrap_or(w)
                .trim_end_matches('.')
                .to_string()
        })
        .map(|w| w.split('<').next().unwrap_or(&w).to_string())
        .collect()
}

#[test]
fn every_example_invocation_uses_real_subcommands_and_flags() {
    let mut seen = BTreeSet::new();
    for path in example_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_yaml::Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
        let mut all = Vec::new();
        strings(&doc, &mut all);
        let calls: Vec<_> = all.iter().flat_map(|s| invocations(s)).collect();
        assert!(
            !calls.is_empty(),
            "{} runs no coupa-access command",
            path.display()
        );
        for (sub, flags) in calls {
            let known = flags_of(&sub);
            for flag in &flags {
                assert!(
                    known.contains(flag),
                    "{}: `coupa-access {sub}` has no flag {flag} (it has {known:?})",
                    path.display()
                );
            }
            seen.insert(sub);
        }
    }
    for sub in ["plan", "apply", "drift"] {
        assert!(seen.contains(sub), "no example runs `coupa-access {sub}`");
    }
}

#[test]
fn the_invocation_parser_finds_flags_across_continuations() {
    let calls =
        invocations("set +e\ncoupa-access plan --format markdown \\\n  --out=x.json > plan.md\n");
    assert_eq!(
        calls,
        [(
            "plan".to_string(),
            vec!["--format".to_string(), "--out".to_string()]
        )]
    );
}
