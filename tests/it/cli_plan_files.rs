//! Saved plan files through the real binary: files written by the 0.1.0 release (format 1)
//! still apply, and plans that must not be applied are refused before anything is written.

use std::path::{Path, PathBuf};

use crate::common::*;
use coupa_access_core::model::Live;
use coupa_access_sandbox::Faults;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The tenant of golden case 03, which the 0.1.0 fixtures were planned against.
fn golden_03_tenant() -> Live {
    let text = std::fs::read_to_string(repo("tests/golden/03-removals/tenant.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `fixture` with its instance rewritten to the sandbox's, saved in `dir`.
fn fixture_for(sb: &TestSandbox, fixture: &str, dir: &tempfile::TempDir) -> PathBuf {
    let text = std::fs::read_to_string(repo(&format!("tests/fixtures/{fixture}"))).unwrap();
    let text = text.replace(
        "\"domain\": \"https://acme.coupahost.com\"",
        &format!("\"domain\": \"{}\"", sb.sandbox.url()),
    );
    assert!(
        text.contains(&sb.sandbox.url()),
        "the fixture names its domain"
    );
    let path = dir.path().join(fixture);
    std::fs::write(&path, text).unwrap();
    path
}

/// Applies the plan file with the policy folder `policies` (relative to the repository).
fn apply_file(sb: &TestSandbox, path: &Path, policies: &str) -> std::process::Output {
    // Wide enough that messages are not wrapped.
    sb.cmd()
        .env("COLUMNS", "300")
        .args(["apply", path_str(path), "--auto-approve"])
        .args(["--policies", path_str(&repo(policies))])
        .output()
        .unwrap()
}

#[test]
fn a_0_1_0_group_plan_applies_exactly_against_its_tenant() {
    let sb = TestSandbox::start(golden_03_tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let path = fixture_for(&sb, "plan-v1-0.1.0.json", &dir);
    let before = sb.membership_pairs();
    let out = apply_file(&sb, &path, "tests/golden/03-removals/policies");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.contains("3 of 3 changes applied and verified"), "{err}");
    assert!(stdout_of(&out).contains("Plan: 0 to add, 3 to remove"));
    // bob and integration-bot left AP Clerks, dave left Finance; nothing else changed.
    let mut expected = before;
    for pair in [(12, 2), (12, 5), (14, 4)] {
        assert!(expected.remove(&pair), "{pair:?} was a member");
    }
    assert_eq!(sb.membership_pairs(), expected);
}

#[test]
fn a_0_1_0_roles_and_licenses_plan_is_read_and_writes_nothing() {
    let sb = TestSandbox::start(golden_03_tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let path = fixture_for(&sb, "plan-v1-0.1.0-roles-licenses.json", &dir);
    let out = apply_file(
        &sb,
        &path,
        "tests/golden/11-roles-and-licenses-reported/policies",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("Nothing to apply."),
        "{}",
        stderr_of(&out)
    );
    let text = stdout_of(&out);
    assert!(
        text.contains("license \"travel\" (reported only, not applied)"),
        "{text}"
    );
    assert_eq!(sb.sandbox.live(), golden_03_tenant());
}

#[test]
fn snapshot_plans_and_newer_formats_are_refused_with_nothing_written() {
    let sb = TestSandbox::start(golden_03_tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snapshot = repo("tests/golden/03-removals/tenant.json");
    let plan_file = dir.path().join("plan.json");
    let out = bin()
        .args([
            "plan",
            "--policies",
            path_str(&repo("tests/golden/03-removals/policies")),
        ])
        .args([
            "--snapshot",
            path_str(&snapshot),
            "--out",
            path_str(&plan_file),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["origin"]["type"], "snapshot");
    assert_eq!(saved["origin"]["path"], path_str(&snapshot));

    let out = apply_file(&sb, &plan_file, "tests/golden/03-removals/policies");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("not against a Coupa instance"), "{err}");

    let v3 = fixture_for(&sb, "plan-v1-0.1.0.json", &dir);
    let text = std::fs::read_to_string(&v3)
        .unwrap()
        .replace("\"format_version\": 1", "\"format_version\": 4");
    std::fs::write(&v3, text).unwrap();
    let out = apply_file(&sb, &v3, "tests/golden/03-removals/policies");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("it has format_version 4; this coupa-access reads format_version 1 to 3"),
        "{err}"
    );
    assert_eq!(sb.sandbox.live(), golden_03_tenant(), "nothing written");
}

/// `show` reads plan files with `apply`'s reader: a 0.1.0 (format 1) plan renders, in both
/// formats, and a format neither reads is refused by both with the same words.
#[test]
fn show_renders_every_plan_format_apply_reads() {
    for (fixture, expect) in [
        ("plan-v1-0.1.0.json", "Plan: 0 to add, 3 to remove"),
        (
            "plan-v1-0.1.0-roles-licenses.json",
            "license \"travel\" (reported only, not applied)",
        ),
    ] {
        let path = repo(&format!("tests/fixtures/{fixture}"));
        let out = bin().args(["show", path_str(&path)]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{fixture}: {}", stderr_of(&out));
        assert!(stdout_of(&out).contains(expect), "{}", stdout_of(&out));
        let out = bin()
            .args(["show", path_str(&path), "--format", "markdown"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{fixture}: {}", stderr_of(&out));
    }
    let dir = tempfile::tempdir().unwrap();
    let v3 = dir.path().join("v3.json");
    let text = std::fs::read_to_string(repo("tests/fixtures/plan-v1-0.1.0.json"))
        .unwrap()
        .replace("\"format_version\": 1", "\"format_version\": 4");
    std::fs::write(&v3, text).unwrap();
    let out = bin()
        .env("COLUMNS", "300")
        .args(["show", path_str(&v3)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("it has format_version 4; this coupa-access reads format_version 1 to 3"),
        "{err}"
    );
}
