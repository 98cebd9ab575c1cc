//! The real binary without a Coupa: help, demo, offline validation and snapshot plans.

use crate::common::*;

// Whole help texts are golden cases: tests/golden/00-help.

#[test]
fn demo_runs_from_an_empty_folder_on_the_built_in_policies() {
    let empty = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(empty.path())
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("Plan: "), "{}", stdout_of(&out));
    assert!(stderr_of(&out).contains("built-in example policies"));
    // A folder named explicitly must exist.
    let out = bin()
        .current_dir(empty.path())
        .args(["demo", "--policies", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("does not exist"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn usage_errors_exit_1_never_2() {
    // 2 means "succeeded with changes" under --detailed-exitcode: a typo must not look like that.
    for args in [
        &["plan", "--detailed-exitcode", "--formt", "json"][..],
        &["plan", "--format", "bogus"][..],
        &["frobnicate"][..],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr_of(&out));
    }
    assert_eq!(
        bin().arg("--version").output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn demo_plans_the_example_policies_against_the_sample_tenant() {
    let out = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("Plan: "), "{text}");
    assert!(
        !text.contains("No changes"),
        "the demo shows a real plan: {text}"
    );
}

#[test]
fn missing_connection_settings_are_named() {
    let dir = policies(&[]);
    let out = bin()
        .args(["plan", "--policies", path_str(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("COUPA_DOMAIN"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn plain_http_is_refused_for_non_loopback_hosts() {
    let dir = policies(&[]);
    let out = bin()
        .env("COUPA_DOMAIN", "http://acme.coupahost.com")
        .env("COUPA_CLIENT_ID", "x")
        .env("COUPA_CLIENT_SECRET", "y")
        .args(["plan", "--policies", path_str(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("https"), "{}", stderr_of(&out));
}

#[test]
fn validate_reports_every_problem_with_file_and_line() {
    let dir = policies(&[
        (
            "a.yaml",
            "groups:\n  AP Clerks:\n    members: [alice, alice]\n",
        ),
        ("b.yaml", "licenses:\n  expense-user: { members: [bob] }\n"),
    ]);
    let out = bin()
        .args(["validate", "--policies", path_str(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("a.yaml:3"), "{err}");
    assert!(err.contains("b.yaml:2"), "{err}");
}

#[test]
fn offline_plan_against_a_snapshot_and_validate_against_it() {
    let dir = policies(&[(
        "g.yaml",
        "groups:\n  AP Clerks:\n    members: [alice, Carol@acme.com]\n",
    )]);
    let snap = dir.path().join("snapshot.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = dir.path().join("pol");
    std::fs::create_dir(&pol).unwrap();
    std::fs::rename(dir.path().join("g.yaml"), pol.join("g.yaml")).unwrap();
    let out = bin()
        .args([
            "plan",
            "--policies",
            path_str(&pol),
            "--snapshot",
            path_str(&snap),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["add"], 1);
    assert_eq!(json["summary"]["remove"], 1);
    // Even with an instance configured, an offline plan names its snapshot, so apply refuses it.
    let plan_file = dir.path().join("plan.json");
    let out = bin()
        .env("COUPA_DOMAIN", "https://acme.coupahost.com")
        .args([
            "plan",
            "--policies",
            path_str(&pol),
            "--snapshot",
            path_str(&snap),
        ])
        .args(["--out", path_str(&plan_file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert!(
        saved["domain"].as_str().unwrap().starts_with("snapshot:"),
        "{saved}"
    );

    let bad = policies(&[("g.yaml", "groups:\n  AP Clerks:\n    members: [alcie]\n")]);
    let out = bin()
        .args([
            "validate",
            "--policies",
            path_str(bad.path()),
            "--snapshot",
            path_str(&snap),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("alice"),
        "did you mean: {}",
        stderr_of(&out)
    );
}

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef coupa-access"),
        ("fish", "complete -c coupa-access"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer"),
    ] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr_of(&out));
        let script = stdout_of(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("detailed-exitcode"),
            "{shell} completes plan's flags"
        );
    }
    let out = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// Numeric flags are range-checked by the parser: a value that would stall or crash the tool
/// is a usage error (exit 1), never a panic (101) or a silent substitute.
#[test]
fn numeric_flags_out_of_range_are_usage_errors() {
    for args in [
        &["plan", "--rate-limit", "0"][..],
        &["plan", "--rate-limit", "NaN"][..],
        &["plan", "--rate-limit", "1e-300"][..],
        &["plan", "--rate-limit", "0.001"][..],
        &["plan", "--rate-limit", "inf"][..],
        &["plan", "--burst", "0"][..],
        &["apply", "--concurrency", "0"][..],
        &["apply", "--allow-removals=-1"][..],
        &["sandbox", "--token-lifetime", "18446744073709551615"][..],
        &["sandbox", "--error-rate", "1.5"][..],
        &["sandbox", "--error-status", "200"][..],
        &["sandbox", "--rate", "0"][..],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("invalid value"),
            "{args:?}: {}",
            stderr_of(&out)
        );
    }
}

/// Policy files in any letter case are read (a `Settings.YAML` must not vanish), other files are
/// named as ignored, and a folder without policy files says that nothing is managed.
#[test]
fn policy_folders_read_any_case_name_ignored_files_and_warn_when_empty() {
    let dir = policies(&[
        (
            "Settings.YAML",
            "settings:\n  protected_users: [nobody-at-all]\n",
        ),
        ("notes.txt", "not a policy"),
    ]);
    let out = bin()
        .args(["validate", "--policies", path_str(dir.path())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("ignoring") && err.contains("notes.txt"),
        "{err}"
    );
    assert!(!err.contains("ignoring policies/Settings.YAML"), "{err}");
    // The upper-case file is really read: checked against a tenant, its protected user is unknown.
    let snap = dir.path().join("tenant.json.snapshot");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let out = bin()
        .args(["validate", "--policies", path_str(dir.path()), "--snapshot"])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("nobody-at-all"),
        "{}",
        stderr_of(&out)
    );

    let empty = policies(&[("README.md", "# our policies")]);
    let out = bin()
        .args(["validate", "--policies", path_str(empty.path())])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(err.contains("holds no policy files"), "{err}");
}

/// A run that cannot finish in `--deadline` seconds ends with a clear error naming the flag,
/// not after minutes of retries. The sandbox answers every API request after 1.5 s, so the
/// deadline of 1 s has certainly passed once the first answer arrives (no timing luck).
#[test]
fn a_slow_instance_ends_the_run_at_the_deadline() {
    let faults = coupa_access_sandbox::Faults {
        latency: std::time::Duration::from_millis(1500),
        ..Default::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let dir = policies(&[("g.yaml", "groups:\n  Buyers:\n    members: [carol]\n")]);
    let out = sb
        .cmd()
        .args([
            "plan",
            "--deadline",
            "1",
            "--policies",
            path_str(dir.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.contains("--deadline"), "{err}");
}
