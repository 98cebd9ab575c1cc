//! `snapshot` round trip and colour handling, through the real binary.

use crate::common::*;
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
    let text = std::fs::read_to_string(&file).unwrap();
    let (snap, meta) = coupa_access_core::snapshot::from_json(&text).unwrap();
    assert_eq!(snap, sample_tenant());
    assert_eq!(meta.format_version, Some(1));
    assert_eq!(meta.domain.as_deref(), Some(&*sb.sandbox.url()));
    assert_eq!(
        meta.tool_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(meta.taken_at.is_some());
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

#[test]
fn snapshot_to_standard_output_carries_its_metadata() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let out = sb
        .cmd()
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["snapshot", "--out", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["format_version"], 1);
    assert_eq!(j["kind"], "snapshot");
    assert_eq!(j["domain"], sb.sandbox.url());
    assert_eq!(j["taken_at"], "2026-01-01T00:00:00Z");
    assert_eq!(j["users"].as_array().unwrap().len(), tenant().users.len());
    assert!(stderr_of(&out).contains("written to standard output"));
}

#[test]
fn show_renders_a_saved_plan_like_plan_did() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    // A bare live-state file (what earlier versions wrote) still loads.
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = policies(&[(
        "g.yaml",
        "groups:\n  AP Clerks:\n    members: [alice, dave]\n",
    )]);
    let plan_file = dir.path().join("plan.json");
    for format in ["text", "markdown"] {
        let planned = bin()
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .args([
                "plan",
                "--snapshot",
                path_str(&snap),
                "--policies",
                path_str(pol.path()),
            ])
            .args(["--format", format, "--out", path_str(&plan_file)])
            .output()
            .unwrap();
        assert_eq!(planned.status.code(), Some(0), "{}", stderr_of(&planned));
        let shown = bin()
            .args(["show", path_str(&plan_file), "--format", format])
            .output()
            .unwrap();
        assert_eq!(shown.status.code(), Some(0), "{}", stderr_of(&shown));
        assert_eq!(stdout_of(&shown), stdout_of(&planned), "{format}");
        assert!(stdout_of(&shown).contains("dave"));
    }

    // A file that is not a plan, or a newer plan, is refused naming the file.
    std::fs::write(&plan_file, "{\"format_version\": 9}").unwrap();
    let out = bin().args(["show", path_str(&plan_file)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("format_version 9"),
        "{}",
        stderr_of(&out)
    );
    std::fs::write(&plan_file, "[]").unwrap();
    let out = bin().args(["show", path_str(&plan_file)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("is not a coupa-access plan (from `plan --out`)"),
        "{}",
        stderr_of(&out)
    );
}

/// A snapshot larger than the binary's read chunk: read whole when good; when bad, the error
/// names the file and the line (the reader sees the text only a chunk at a time).
#[test]
fn large_snapshots_are_read_in_chunks_and_bad_ones_name_their_line() {
    use coupa_access_core::model::User;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.json");
    let mut live = tenant();
    for i in 0..6000 {
        let login = format!("user{i}");
        live.users
            .push(User::new(100_000 + i, &login, &format!("{login}@acme.com")));
    }
    let good = coupa_access_core::snapshot::to_json(
        &live,
        "https://acme.coupahost.com",
        "2026-01-01T00:00:00Z",
    );
    assert!(good.len() > 1 << 20, "{}", good.len());
    let pol = policies(&[("g.yaml", "groups:\n  AP Clerks:\n    members: [alice]\n")]);
    let validate = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        bin()
            .args(["validate", "--policies", path_str(pol.path())])
            .args(["--snapshot", path_str(&file)])
            .output()
            .unwrap()
    };
    let out = validate(good.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let at = good.find("\"user5999\"").unwrap();
    let line = good[..at].matches('\n').count() + 1;
    for (bad, says) in [
        (
            format!("{}\"user5999\" x{}", &good[..at], &good[at + 10..]),
            "not JSON",
        ),
        (good.replacen("\"user5999\"", "5999", 1), "not a snapshot"),
    ] {
        let out = validate(bad.as_bytes());
        // miette wraps long lines.
        let err = stderr_of(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("at line {line} column")), "{err}");
        assert!(err.contains(says) && err.contains("snap.json"), "{err}");
    }
    let mut bytes = good.into_bytes();
    bytes[at + 2] = 0xFF;
    let out = validate(&bytes);
    let err = stderr_of(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("invalid UTF-8 at line {line}")),
        "{err}"
    );
}
