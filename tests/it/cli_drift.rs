//! `drift` through the real binary, against the sandbox and against snapshots.

use crate::common::*;
use coupa_access_core::model::Membership;
use coupa_access_sandbox::Faults;

const POLICY: &str = "\
groups:
  AP Clerks:
    members: [alice]
  Buyers:
    mode: additive
    members: [carol, dave]
roles:
  User:
    members: [alice, bob]
";

fn drift_json(
    cmd: &mut assert_cmd::Command,
    policies: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let out = cmd
        .args([
            "drift",
            "--format",
            "json",
            "--detailed-exitcode",
            "--policies",
            path_str(policies),
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let json = serde_json::from_slice(&out.stdout).expect("drift JSON");
    (out.status.code(), json)
}

#[test]
fn drift_against_the_sandbox_reports_an_out_of_band_membership_with_its_date() {
    let mut live = tenant();
    // Someone added dave to AP Clerks in the Coupa UI.
    live.memberships.push(Membership {
        id: 900,
        user_id: 4,
        group_id: 10,
        created_at: Some("2026-02-03T14:15:00+01:00".into()),
        owner: false,
        participant: None,
    });
    let sb = TestSandbox::start(live, Faults::default());
    let pol = policies(&[("p.yaml", POLICY)]);
    let (code, j) = drift_json(&mut sb.cmd(), pol.path(), &["--since", "2026-02-01"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        (j["format_version"].as_u64(), j["kind"].as_str()),
        (Some(1), Some("drift"))
    );
    assert_eq!(j["domain"], sb.sandbox.url());
    let ap = &j["targets"][0];
    assert_eq!(ap["target"], "AP Clerks");
    let extra: Vec<(&str, &str)> = ap["extra"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap(),
                r["created_at"].as_str().unwrap(),
            )
        })
        .collect();
    // The sandbox reports dates in its own offset; the instant is what matters.
    assert_eq!(extra.len(), 2, "{ap}");
    assert_eq!(extra[0].0, "bob");
    assert_eq!(extra[1].0, "dave");
    let at = chrono::DateTime::parse_from_rfc3339(extra[1].1).unwrap();
    assert_eq!(
        at,
        chrono::DateTime::parse_from_rfc3339("2026-02-03T14:15:00+01:00").unwrap()
    );
    // Buyers is additive: integration-bot is not governed, carol is there, dave is missing.
    let buyers = &j["targets"][1];
    assert_eq!(buyers["not_governed"], 1);
    assert_eq!(buyers["missing"][0]["user"], "dave");
    // The role row is reported only (apply does not write roles): bob lacks User.
    let user_role = &j["targets"][2];
    assert_eq!(
        (user_role["kind"].as_str(), user_role["applies"].as_bool()),
        (Some("role"), Some(false))
    );
    assert_eq!(user_role["missing"][0]["user"], "bob");
    // Coverage: Approvers is unmanaged, with its one member.
    assert_eq!(j["coverage"]["unmanaged_groups"][0]["name"], "Approvers");
    assert_eq!(j["coverage"]["unmanaged_groups"][0]["members"], 1);
    assert_eq!(j["coverage"]["memberships_total"], 6);
    // --since: only dave's new membership.
    let recent = j["since"]["memberships"].as_array().unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0]["membership_id"], 900);
}

#[test]
fn no_drift_exits_zero_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = policies(&[(
        "p.yaml",
        "groups:\n  AP Clerks:\n    members: [alice, bob]\n",
    )]);
    let out = bin()
        .args([
            "drift",
            "--detailed-exitcode",
            "--snapshot",
            path_str(&snap),
            "--policies",
            path_str(pol.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("Summary: no drift"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn a_snapshot_names_its_instance_and_time_in_the_report() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["snapshot", "--out", path_str(&snap)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let pol = policies(&[("p.yaml", POLICY)]);
    let (code, j) = drift_json(&mut bin(), pol.path(), &["--snapshot", path_str(&snap)]);
    assert_eq!(code, Some(2));
    let domain = j["domain"].as_str().unwrap();
    assert!(domain.starts_with(&sb.sandbox.url()), "{domain}");
    assert!(domain.contains("taken 2026-01-01T00:00:00Z"), "{domain}");
}

#[test]
fn a_bad_since_is_refused_before_anything_is_read() {
    let pol = policies(&[("p.yaml", POLICY)]);
    for (since, says) in [
        ("2026-13-01", "is not a date"),
        ("1980-01-01", "out of range"),
        ("2999-01-01", "out of range"),
    ] {
        // No connection settings: the date must be refused before connecting is tried.
        let out = bin()
            .args([
                "drift",
                "--since",
                since,
                "--policies",
                path_str(pol.path()),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains("--since") && stderr.contains(says),
            "{since}: {stderr}"
        );
    }
}

/// `--detailed-exitcode` follows apply: drift that apply leaves alone (a protected user, a role
/// `settings.writes` leaves out) is listed but does not exit 2 while `plan` has nothing to
/// apply; `--count-unapplied` counts it too.
#[test]
fn detailed_exitcode_follows_apply_and_count_unapplied_opts_the_rest_in() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = policies(&[(
        "p.yaml",
        "groups:\n  Buyers:\n    members: [carol]\nroles:\n  User:\n    members: [bob]\n\
         settings:\n  protected_users: [integration-bot]\n",
    )]);
    let run = |args: &[&str]| {
        let out = bin()
            .args(args)
            .args(["--detailed-exitcode", "--snapshot", path_str(&snap)])
            .args(["--policies", path_str(pol.path())])
            .output()
            .unwrap();
        (out.status.code(), stdout_of(&out), stderr_of(&out))
    };
    let (plan, ..) = run(&["plan"]);
    assert_eq!(plan, Some(0), "plan applies nothing here");
    let (code, text, err) = run(&["drift"]);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(
        text.contains("Summary: 2 extra, 1 missing (2 reported only, 1 kept by apply)"),
        "{text}"
    );
    assert!(text.contains("protected: apply keeps it"), "{text}");
    let (code, ..) = run(&["drift", "--count-unapplied"]);
    assert_eq!(code, Some(2));
}
