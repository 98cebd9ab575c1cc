//! Partial or refused reads: a server that answers `[in]` for the first group only,
//! refuses `[in]`, ignores `id[lt_or_eq]`, leaves role or license fields out of user records,
//! or refuses a membership DELETE with a 403, 400 or 422. Each is a sandbox option; under each,
//! a plan is either the plan a friendly server gives or an error naming what is unknown, and
//! apply converges or stops with a clear report.

use std::collections::BTreeSet;

use coupa_access_client::{Access, ReadScope};
use coupa_access_core::model::{License, Live};
use coupa_access_core::policy;
use coupa_access_sandbox::Faults;

use crate::common::*;

/// Two authoritative groups: Buyers (11: carol, integration-bot) must lose integration-bot.
const TWO_GROUPS: &str = "\
groups:
  AP Clerks:
    members: [alice, bob]
  Buyers:
    members: [carol]
";

/// `text` without whitespace or miette's `|` gutter, so a name wrapped across lines is found.
fn squeezed(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '|')
        .collect()
}

fn run(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.output().expect("binary runs")
}

/// `plan --format json` of `policy` against a sandbox with `faults`: (exit code, changes as
/// `action kind target user` lines, stderr).
fn plan_changes(faults: Faults, policy: &str) -> (Option<i32>, Vec<String>, String) {
    plan_changes_of(tenant(), faults, policy)
}

fn plan_changes_of(live: Live, faults: Faults, policy: &str) -> (Option<i32>, Vec<String>, String) {
    let sb = TestSandbox::start(live, faults);
    let dir = policies(&[("p.yaml", policy)]);
    let out = run(sb.cmd().args([
        "plan",
        "--policies",
        path_str(dir.path()),
        "--format",
        "json",
    ]));
    let changes = if out.status.success() {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {} {}",
                    c["action"].as_str().unwrap(),
                    c["kind"].as_str().unwrap(),
                    c["target"].as_str().unwrap(),
                    c["user"].as_str().unwrap()
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    (out.status.code(), changes, stderr_of(&out))
}

#[test]
fn membership_in_answering_the_first_group_only_is_confirmed_group_by_group() {
    let friendly = plan_changes(Faults::default(), TWO_GROUPS);
    assert_eq!(
        friendly.1,
        ["remove group Buyers integration-bot"],
        "{friendly:?}"
    );
    let faults = Faults {
        membership_in_first_only: true,
        ..Faults::default()
    };
    let partial = plan_changes(faults.clone(), TWO_GROUPS);
    assert_eq!(partial.0, Some(0), "{}", partial.2);
    assert_eq!(
        partial.1, friendly.1,
        "Buyers is not read as empty: no false addition of carol, no missed removal"
    );

    // Apply under the same fault converges exactly (its preflight reads the same way).
    let sb = TestSandbox::start(tenant(), faults);
    let dir = policies(&[(
        "p.yaml",
        &format!("{TWO_GROUPS}settings:\n  max_removals: {{ per_group_fraction: 1 }}\n"),
    )]);
    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        path_str(dir.path()),
        "--auto-approve",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let expected: BTreeSet<(u64, u64)> = [(10, 1), (10, 2), (11, 3), (12, 4)].into();
    assert_eq!(sb.membership_pairs(), expected);
}

#[test]
fn an_empty_group_costs_one_confirming_read_and_nothing_else() {
    let mut live = tenant();
    live.memberships.retain(|m| m.group_id != 11);
    let sb = TestSandbox::start(live.clone(), Faults::default());
    let desired = policy::load_files(vec![coupa_access_core::model::PolicyFile {
        path: "p.yaml".into(),
        text: TWO_GROUPS.into(),
    }])
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let read = rt
        .block_on(
            client_for(&sb.sandbox, Access::Read).read_live_scoped(&ReadScope::for_plan(&desired)),
        )
        .unwrap();
    let pairs: BTreeSet<(u64, u64)> = read
        .memberships
        .iter()
        .map(|m| (m.group_id, m.user_id))
        .collect();
    assert_eq!(pairs, [(10, 1), (10, 2)].into());
    // One `[in]` page pair for the two groups, then one read confirming Buyers is empty.
    let counts = sb.sandbox.request_counts();
    assert_eq!(counts["GET /api/user_group_memberships"], 3, "{counts:?}");
}

#[test]
fn refused_in_filters_fall_back_to_per_group_and_full_reads() {
    let friendly = plan_changes(Faults::default(), TWO_GROUPS);
    let refused = plan_changes(
        Faults {
            reject_in_filters: true,
            ..Faults::default()
        },
        TWO_GROUPS,
    );
    assert_eq!(
        refused.0,
        Some(0),
        "a 400 to [in] is not a failure: {}",
        refused.2
    );
    assert_eq!(refused.1, friendly.1);
}

#[test]
fn refused_in_filters_under_the_library_read_give_the_full_answer() {
    let live = generated_tenant(400);
    let sb = TestSandbox::start_config(
        live.clone(),
        coupa_access_sandbox::SandboxConfig {
            faults: Faults {
                reject_in_filters: true,
                ..Faults::default()
            },
            ..unlimited_config()
        },
    );
    let names: Vec<String> = ["user00003", "user00010"].map(String::from).to_vec();
    let scope = ReadScope::GroupsAndUsers {
        groups: std::sync::Arc::new(|g| g.id < 1030),
        identities: names.into(),
        // Looked up by `name[in]` first, which this server refuses: a hint lost, nothing more.
        group_names: vec!["Group 00".to_string(), "Group 29".to_string()].into(),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let read = rt
        .block_on(client_for(&sb.sandbox, Access::Read).read_live_scoped(&scope))
        .unwrap();
    let mut want: Vec<_> = live
        .memberships
        .iter()
        .filter(|m| m.group_id < 1030)
        .map(|m| m.id)
        .collect();
    want.sort();
    let got: Vec<_> = read.memberships.iter().map(|m| m.id).collect();
    assert_eq!(
        got, want,
        "every membership of the chosen groups, read group by group"
    );
    assert_eq!(
        read.users, live.users,
        "users read in full after the refusal"
    );
}

#[test]
fn an_ignored_upper_bound_falls_back_to_the_plain_scan() {
    let live = generated_tenant(2_000);
    let sb = TestSandbox::start_config(
        live.clone(),
        coupa_access_sandbox::SandboxConfig {
            faults: Faults {
                ignore_id_upper_bound: true,
                ..Faults::default()
            },
            ..unlimited_config()
        },
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let read = rt
        .block_on(client_for(&sb.sandbox, Access::Read).read_live())
        .unwrap();
    assert_eq!(read.users, live.users);
    assert_eq!(read.memberships, live.memberships);
}

/// alice (1) holds expense and role User (2); bob and the rest hold neither.
const LICENSE_POLICY: &str = "\
licenses:
  expense:
    members: [bob]
";
const ROLE_POLICY: &str = "\
roles:
  User:
    members: [bob]
";

fn omitting(keys: &[&str]) -> Faults {
    Faults {
        omit_user_fields: keys.iter().map(|k| k.to_string()).collect(),
        ..Faults::default()
    }
}

#[test]
fn a_license_flag_left_out_is_unknown_and_the_plan_refuses_naming_it() {
    let friendly = plan_changes(Faults::default(), LICENSE_POLICY);
    assert!(
        friendly
            .1
            .contains(&"remove license expense alice".to_string()),
        "{friendly:?}"
    );
    let (code, changes, err) = plan_changes(omitting(&["expense-user"]), LICENSE_POLICY);
    assert_eq!(code, Some(1), "{changes:?} {err}");
    assert!(squeezed(&err).contains("`expense-user`"), "{err}");
    assert!(err.contains("unknown"), "{err}");
    // Additive: only the listed people matter, and their flag is unknown too.
    let additive = "licenses:\n  expense:\n    mode: additive\n    members: [bob]\n";
    let (code, _, err) = plan_changes(omitting(&["expense-user"]), additive);
    assert_eq!(code, Some(1), "{err}");
    // Another license, or a groups-only policy, is not touched by the missing flag.
    let (code, changes, err) = plan_changes(
        omitting(&["expense-user"]),
        "licenses:\n  travel:\n    members: [bob]\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(changes, ["add license travel bob"]);
    let (code, _, err) = plan_changes(omitting(&["expense-user", "roles"]), TWO_GROUPS);
    assert_eq!(code, Some(0), "{err}");

    // Drift and export of that license refuse too, rather than report or write a guess.
    let sb = TestSandbox::start(tenant(), omitting(&["expense-user"]));
    let dir = policies(&[("p.yaml", LICENSE_POLICY)]);
    let out = run(sb.cmd().args(["drift", "--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        squeezed(&stderr_of(&out)).contains("`expense-user`"),
        "{}",
        stderr_of(&out)
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(sb.cmd().args([
        "export",
        "--out-dir",
        path_str(out_dir.path()),
        "--licenses",
        "expense",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        squeezed(&stderr_of(&out)).contains("`expense-user`"),
        "{}",
        stderr_of(&out)
    );
    assert!(!out_dir.path().join("licenses.yaml").exists());
}

#[test]
fn roles_left_out_are_unknown_and_the_plan_refuses_naming_them() {
    let friendly = plan_changes(Faults::default(), ROLE_POLICY);
    assert!(
        friendly.1.contains(&"remove role User alice".to_string()),
        "{friendly:?}"
    );
    let (code, changes, err) = plan_changes(omitting(&["roles"]), ROLE_POLICY);
    assert_eq!(code, Some(1), "{changes:?} {err}");
    assert!(squeezed(&err).contains("`roles`"), "{err}");
}

#[test]
fn unknown_fields_survive_a_snapshot_and_plan_from_it_refuses_too() {
    let sb = TestSandbox::start(tenant(), omitting(&["expense-user"]));
    let (_dir, snap) = sb.snapshot();
    let text = std::fs::read_to_string(&snap).unwrap();
    let (live, _) = coupa_access_core::snapshot::from_json(&text).unwrap();
    assert!(live
        .users
        .iter()
        .all(|u| u.unread.licenses.contains(&License::Expense) && !u.unread.roles));
    let dir = policies(&[("p.yaml", LICENSE_POLICY)]);
    let out = run(bin()
        .args(["plan", "--policies", path_str(dir.path()), "--snapshot"])
        .arg(&snap));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        squeezed(&stderr_of(&out)).contains("`expense-user`"),
        "{}",
        stderr_of(&out)
    );
}

/// Apply removing two members under a DELETE refused with `status`.
fn apply_with_delete_refused(status: u16) -> (std::process::Output, TestSandbox) {
    let sb = TestSandbox::start(
        tenant(),
        Faults {
            delete_refused_status: Some(status),
            ..Faults::default()
        },
    );
    let policy = "\
groups:
  AP Clerks:
    members: [carol]
  Buyers:
    members: []
settings:
  max_removals: { per_group_fraction: 1 }
";
    let dir = policies(&[("groups.yaml", policy)]);
    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        path_str(dir.path()),
        "--auto-approve",
        "--concurrency",
        "1",
    ]));
    (out, sb)
}

#[test]
fn delete_refused_with_403_400_or_422_is_judged_like_405() {
    for status in [403, 400, 422] {
        let (out, sb) = apply_with_delete_refused(status);
        assert_eq!(out.status.code(), Some(1), "{status}");
        let err = stderr_of(&out);
        assert!(
            err.contains("refused to delete a group membership"),
            "{status}: {err}"
        );
        assert!(
            err.contains(&format!("answered HTTP {status}")),
            "{status}: {err}"
        );
        assert!(
            err.contains("a re-read shows the membership still there"),
            "{status}: {err}"
        );
        assert!(
            err.contains("not attempted: this instance refused an earlier membership deletion"),
            "later removals are not attempted: {status}: {err}"
        );
        let pairs = sb.membership_pairs();
        assert!(pairs.contains(&(10, 3)), "the addition was applied");
        assert!(pairs.contains(&(10, 1)) && pairs.contains(&(10, 2)) && pairs.contains(&(11, 5)));
    }
}

/// A sandbox whose client was never granted `core.common.read` (the roles list's scope).
fn without_roles_scope() -> TestSandbox {
    TestSandbox::start_config(
        tenant(),
        coupa_access_sandbox::SandboxConfig {
            scopes: ["core.user.read", "core.user_group.read"]
                .map(String::from)
                .to_vec(),
            ..sandbox_config(Faults::default())
        },
    )
}

#[test]
fn drift_and_export_of_groups_need_no_roles_and_say_they_read_none() {
    let sb = without_roles_scope();
    let dir = policies(&[("p.yaml", TWO_GROUPS)]);
    let out = run(sb.cmd().args(["drift", "--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("Roles not read"),
        "{}",
        stdout_of(&out)
    );
    let out = run(sb.cmd().args([
        "drift",
        "--policies",
        path_str(dir.path()),
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["roles_read"], false);

    let out_dir = tempfile::tempdir().unwrap();
    let out = run(sb.cmd().args([
        "export",
        "--out-dir",
        path_str(out_dir.path()),
        "--licenses",
        "expense",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("Roles not read"),
        "{}",
        stderr_of(&out)
    );
    assert!(out_dir.path().join("groups.yaml").exists());
    // Roles asked for: the scope is needed, and the error says which.
    let out = run(sb.cmd().args([
        "export",
        "--out-dir",
        path_str(out_dir.path()),
        "--force",
        "--roles",
        "*",
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("core.common.read"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_snapshot_without_roles_says_so_and_plans_of_roles_refuse_it() {
    let sb = without_roles_scope();
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = run(sb.cmd().args(["snapshot", "--out"]).arg(&snap));
    assert_eq!(out.status.code(), Some(1), "roles are read by default");
    assert!(
        stderr_of(&out).contains("--no-roles"),
        "{}",
        stderr_of(&out)
    );
    let out = run(sb
        .cmd()
        .args(["snapshot", "--no-roles", "--out"])
        .arg(&snap));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("Roles not read"),
        "{}",
        stderr_of(&out)
    );
    let text = std::fs::read_to_string(&snap).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["roles_read"], false);
    assert_eq!(v["roles"], serde_json::json!([]));

    let groups = policies(&[("p.yaml", TWO_GROUPS)]);
    let out = run(bin()
        .args(["plan", "--policies", path_str(groups.path()), "--snapshot"])
        .arg(&snap));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let roles = policies(&[("p.yaml", ROLE_POLICY)]);
    for cmd in ["plan", "validate", "drift"] {
        let out = run(bin()
            .args([cmd, "--policies", path_str(roles.path()), "--snapshot"])
            .arg(&snap));
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(
            stderr_of(&out).contains("taken without roles"),
            "{cmd}: {}",
            stderr_of(&out)
        );
    }
}
