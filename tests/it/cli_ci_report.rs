//! A failed plan still reaches the pull request: markdown and JSON error documents on stdout,
//! GitHub annotations on stderr, and the step summary appended to.

use crate::common::{bin, policies, stderr_of, stdout_of};

/// A policy folder whose `x.yaml` has an unknown key at line 3, column 5.
fn broken() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/x.yaml"),
        "groups:\n  AP Clerks:\n    memberz: [alice]\n",
    )
    .unwrap();
    dir
}

fn plan_in(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    bin()
        .current_dir(dir)
        .args(["plan", "--policies", "policies", "--snapshot", "none.json"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_policy_error_writes_a_markdown_report_on_stdout() {
    let dir = broken();
    let out = plan_in(dir.path(), &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1));
    let md = stdout_of(&out);
    assert!(
        md.starts_with("<!-- coupa-access:plan -->\n## coupa-access plan failed\n"),
        "{md}"
    );
    assert!(md.contains("`policies/x.yaml:3:5`: "), "{md}");
    assert!(md.contains("memberz"), "{md}");
    // The usual diagnostic still goes to stderr.
    assert!(
        stderr_of(&out).contains("policies/x.yaml:3:5"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_policy_error_writes_a_json_error_document() {
    let dir = broken();
    let out = plan_in(dir.path(), &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["kind"], "error");
    let e = &doc["errors"][0];
    assert_eq!(e["file"], "policies/x.yaml");
    assert_eq!(e["line"], 3);
    assert_eq!(e["column"], 5);
    assert!(e["message"].as_str().unwrap().contains("memberz"), "{e}");
    assert!(e["code"].as_str().unwrap().starts_with("policy::"), "{e}");
    assert!(e.get("help").is_some());
}

#[test]
fn under_github_actions_policy_errors_become_annotations() {
    let dir = broken();
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["plan", "--policies", "policies"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("::error file=policies/x.yaml,line=3,col=5,title=")),
        "{err}"
    );
    // --annotations none turns it off.
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["plan", "--policies", "policies", "--annotations", "none"])
        .output()
        .unwrap();
    assert!(!stderr_of(&out).contains("::error"), "{}", stderr_of(&out));
}

#[test]
fn the_step_summary_is_appended_to() {
    let dir = broken();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["plan", "--policies", "policies", "--summary"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n<!-- coupa-access:plan -->\n"),
        "{text}"
    );
    assert!(text.contains("`policies/x.yaml:3:5`"), "{text}");

    // A plan that succeeds appends its markdown after what is there.
    let ok = policies(&[("g.yaml", "groups: {}\n")]);
    let tenant = ok.path().join("tenant.json");
    std::fs::write(
        &tenant,
        serde_json::to_string(&crate::common::tenant()).unwrap(),
    )
    .unwrap();
    let out = bin()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["plan", "--summary", "--policies"])
        .arg(ok.path())
        .arg("--snapshot")
        .arg(&tenant)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n<!-- coupa-access:plan -->\n## coupa-access plan failed"),
        "{text}"
    );
    assert!(
        text.contains("No changes. Coupa matches the policy."),
        "{text}"
    );
}
