//! `snapshot` round trip and colour handling, through the real binary.

use crate::common::*;
use coupa_access_core::model::Live;
use coupa_access_sandbox::{sample_tenant, Faults};

#[test]
fn snapshot_of_a_running_sandbox_reproduces_its_tenant() {
    let sb = TestSandbox::start(sample_tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out", path_str(&file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let snap: Live = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(snap, sample_tenant());
    // Nothing else was left behind (the file is written through a temporary and renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // The snapshot serves as a sandbox tenant and an offline plan source.
    let out = bin()
        .args(["plan", "--snapshot", path_str(&file), "--policies"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))
        .args(["--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    std::fs::write(&file, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = policies(&[("g.yaml", "groups:\n  AP Clerks:\n    members: [alice]\n")]);
    let plan = |extra: &[&str], no_color: bool| {
        let mut cmd = bin();
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd
            .args([
                "plan",
                "--snapshot",
                path_str(&file),
                "--policies",
                path_str(pol.path()),
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stdout_of(&out)
    };
    assert!(
        !plan(&[], false).contains('\u{1b}'),
        "not a terminal: no colour"
    );
    assert!(!plan(&["--color", "auto"], true).contains('\u{1b}'));
    assert!(plan(&["--color", "always"], true).contains('\u{1b}'));
    assert!(!plan(&["--color", "never"], false).contains('\u{1b}'));
}

#[test]
fn plan_reads_memberships_only_of_managed_groups_and_snapshot_reads_all() {
    let sb = TestSandbox::start(sample_tenant(), Faults::default());
    let pol = policies(&[(
        "g.yaml",
        "groups:\n  ap clerks:\n    members: [alice, bob]\n",
    )]);
    let out = sb
        .cmd()
        .args([
            "plan",
            "--policies",
            path_str(pol.path()),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // AP Clerks also holds erin, hiroshi.haddad, nora.larsen and chen.nakamura: all removed.
    assert_eq!(plan["summary"]["remove"], 4, "{plan}");
    let membership_reads =
        |sb: &TestSandbox| sb.sandbox.request_counts()["GET /api/user_group_memberships"];
    let scoped = membership_reads(&sb);
    assert!(
        scoped <= 2,
        "one managed group: {scoped} membership requests"
    );

    sb.sandbox.reset_counts();
    let dir = tempfile::tempdir().unwrap();
    let out = sb
        .cmd()
        .args(["snapshot", "--out", path_str(&dir.path().join("s.json"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let all = membership_reads(&sb);
    assert!(
        all > sample_tenant().memberships.len() as u64 / 50,
        "snapshot reads every page: {all}"
    );
}
