//! The real binary against the sandbox: plan, apply, and every way apply must refuse or report.

use crate::common::*;
use coupa_access_sandbox::{Faults, SandboxConfig};

const POLICY: &str = "\
groups:
  AP Clerks:
    members: [alice@acme.com, carol@acme.com]
  Buyers:
    members: [carol]
settings:
  protected_users: [integration-bot]
";

fn run(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.output().expect("binary runs")
}

/// `plan --out DIR/plan.json` with the policies in `dir` (plus `extra` arguments); returns the
/// plan file and the run's output.
fn save_plan(
    mut cmd: assert_cmd::Command,
    dir: &tempfile::TempDir,
    extra: &[&str],
) -> (std::path::PathBuf, std::process::Output) {
    let plan_file = dir.path().join("plan.json");
    let out = run(cmd
        .args(extra)
        .args(["plan", "--policies", path_str(dir.path())])
        .args(["--out", path_str(&plan_file)]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    (plan_file, out)
}

#[test]
fn plan_apply_plan_converges_with_detailed_exit_codes() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let p = path_str(dir.path());

    let out = run(sb
        .cmd()
        .args(["plan", "--policies", p, "--detailed-exitcode"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("Plan: 1 to add, 1 to remove"), "{text}");
    assert!(text.contains("carol") && text.contains("bob"), "{text}");

    let out = run(sb.cmd().args(["apply", "--policies", p, "--auto-approve"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("2 of 2 changes applied and verified"),
        "{}",
        stderr_of(&out)
    );
    let pairs = sb.membership_pairs();
    assert!(pairs.contains(&(10, 3)), "carol added to AP Clerks");
    assert!(!pairs.contains(&(10, 2)), "bob removed from AP Clerks");
    assert!(
        pairs.contains(&(11, 5)),
        "protected integration-bot kept in Buyers"
    );

    let out = run(sb
        .cmd()
        .args(["plan", "--policies", p, "--detailed-exitcode"]));
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
    assert!(
        stdout_of(&out).contains("No changes"),
        "{}",
        stdout_of(&out)
    );

    // Without --detailed-exitcode a plan with changes still exits 0.
    let dir2 = policies(&[("g.yaml", "groups:\n  Approvers:\n    members: [alice]\n")]);
    let out = run(sb.cmd().args(["plan", "--policies", path_str(dir2.path())]));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn saved_plan_applies_exactly_and_a_stale_plan_is_refused_with_nothing_written() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let (plan_file, _) = save_plan(sb.cmd(), &dir, &[]);
    let out = run(sb.cmd().args([
        "plan",
        "--policies",
        path_str(dir.path()),
        "--format",
        "json",
    ]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json plan");
    assert_eq!(json["format_version"], 2);
    assert_eq!(json["origin"]["domain"], sb.sandbox.url());
    assert_eq!(json["domain"], sb.sandbox.url());

    // Someone adds dave to AP Clerks by hand after the plan was made.
    sb.sandbox.with_state(|live| {
        live.memberships.push(coupa_access_core::model::Membership {
            id: 900,
            user_id: 4,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        })
    });
    let before = sb.membership_pairs();
    let out = run(sb
        .cmd()
        .args(["apply", path_str(&plan_file), "--auto-approve"])
        .args(["--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("stale") && err.contains("AP Clerks"), "{err}");
    assert_eq!(sb.membership_pairs(), before, "nothing written");

    // Undo the hand change: the saved plan applies exactly.
    sb.sandbox
        .with_state(|live| live.memberships.retain(|m| m.id != 900));
    let out = run(sb
        .cmd()
        .args(["apply", path_str(&plan_file), "--auto-approve"])
        .args(["--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let pairs = sb.membership_pairs();
    assert!(pairs.contains(&(10, 3)) && !pairs.contains(&(10, 2)));
}

#[test]
fn a_plan_for_another_instance_is_refused() {
    let a = TestSandbox::start(tenant(), Faults::default());
    let b = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let (plan_file, _) = save_plan(a.cmd(), &dir, &[]);
    let out = run(b
        .cmd()
        .args(["apply", path_str(&plan_file), "--auto-approve"])
        .args(["--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("was made for"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(b.sandbox.live(), tenant());
}

#[test]
fn removal_guard_trips_unless_allow_removals_names_the_exact_count() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let policy = "\
groups:
  AP Clerks:
    members: []
settings:
  max_removals: { total: 1 }
";
    let dir = policies(&[("groups.yaml", policy)]);
    let p = path_str(dir.path());
    // The plan a reviewer reads already says apply will refuse it.
    let out = run(sb.cmd().args(["plan", "--policies", p]));
    assert!(
        stdout_of(&out).contains("apply will refuse this plan"),
        "{}",
        stdout_of(&out)
    );

    let out = run(sb.cmd().args(["apply", "--policies", p, "--auto-approve"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("--allow-removals 2"), "{err}");
    assert_eq!(sb.sandbox.live(), tenant(), "nothing written");

    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        p,
        "--auto-approve",
        "--allow-removals",
        "3",
    ]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "a wrong count does not lift the guard"
    );
    assert_eq!(sb.sandbox.live(), tenant());

    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        p,
        "--auto-approve",
        "--allow-removals",
        "2",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!sb.membership_pairs().iter().any(|(g, _)| *g == 10));
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let out = run(sb.cmd().args(["apply", "--policies", path_str(dir.path())]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("not a terminal") && err.contains("--auto-approve"),
        "{err}"
    );
    assert_eq!(sb.sandbox.live(), tenant(), "nothing written");
}

#[test]
fn a_failed_write_is_reported_while_the_rest_is_applied() {
    let faults = Faults {
        reject_users: [3].into(), // carol cannot be added
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let policy = "\
groups:
  AP Clerks:
    members: [alice, carol, dave]
";
    let dir = policies(&[("groups.yaml", policy)]);
    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        path_str(dir.path()),
        "--auto-approve",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("FAILED   add carol to AP Clerks"), "{err}");
    assert!(
        err.contains("ok       add dave to AP Clerks (verified)"),
        "{err}"
    );
    assert!(
        err.contains("ok       remove bob from AP Clerks (verified)"),
        "{err}"
    );
    let pairs = sb.membership_pairs();
    assert!(pairs.contains(&(10, 4)) && !pairs.contains(&(10, 2)) && !pairs.contains(&(10, 3)));
}

#[test]
fn a_tenant_that_refuses_delete_stops_removals_and_explains() {
    let faults = Faults {
        delete_disabled: true,
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let policy = "\
groups:
  AP Clerks:
    members: [carol]
  Buyers:
    members: []
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
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("refused to delete a group membership"),
        "{err}"
    );
    assert!(
        err.contains("ok       add carol to AP Clerks (verified)"),
        "{err}"
    );
    assert!(
        err.contains("skipped"),
        "later removals are not attempted: {err}"
    );
    let pairs = sb.membership_pairs();
    assert!(pairs.contains(&(10, 3)), "the addition was applied");
    assert!(pairs.contains(&(10, 1)) && pairs.contains(&(10, 2)) && pairs.contains(&(11, 5)));
}

#[test]
fn the_secret_never_appears_in_output_logs_or_plan_files() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let mut cmd = sb.cmd();
    cmd.env("COUPA_ACCESS_LOG", "trace");
    let (plan_file, out) = save_plan(cmd, &dir, &["-vv"]);
    let out2 = run(sb.cmd().env("COUPA_ACCESS_LOG", "trace").args([
        "-vv",
        "apply",
        path_str(&plan_file),
        "--auto-approve",
        "--policies",
        path_str(dir.path()),
    ]));
    assert_eq!(out2.status.code(), Some(0), "{}", stderr_of(&out2));
    let plan = std::fs::read_to_string(&plan_file).unwrap();
    let tokens = sb.sandbox.issued_tokens();
    assert!(!tokens.is_empty(), "the binary fetched tokens");
    for text in [
        stdout_of(&out),
        stderr_of(&out),
        stdout_of(&out2),
        stderr_of(&out2),
        plan,
    ] {
        assert!(!text.contains(CLIENT_SECRET), "secret leaked: {text}");
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "token leaked: {text}");
        }
    }
    assert!(
        stderr_of(&out).contains("GET"),
        "trace logging was on: {}",
        stderr_of(&out)
    );
}

/// Whether util-linux `script` (which gives the binary a pseudo-terminal) is on this machine;
/// macOS and Windows have none with these flags, so the terminal tests skip there.
fn have_script() -> bool {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("util-linux"));
    if !found {
        eprintln!("skipped: util-linux `script` is not available for a pseudo-terminal");
    }
    found
}

/// Runs apply on a pseudo-terminal (util-linux `script`) and answers the prompt.
fn apply_on_terminal(sb: &TestSandbox, policy_dir: &str, answer: &str) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("coupa-access");
    let command = format!("'{}' apply --policies '{}'", bin.display(), policy_dir);
    let mut child = crate::common::scrubbed(&mut std::process::Command::new("script"))
        .args(["-qec", &command, "/dev/null"])
        .env("COUPA_DOMAIN", sb.sandbox.url())
        .env("COUPA_CLIENT_ID", CLIENT_ID)
        .env("COUPA_CLIENT_SECRET", CLIENT_SECRET)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stdout_of(&out))
}

#[test]
fn on_a_terminal_apply_names_the_instance_and_counts_and_needs_yes() {
    if !have_script() {
        return;
    }
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let (code, screen) = apply_on_terminal(&sb, path_str(dir.path()), "y\n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains(&format!(
            "Apply 1 addition(s) and 1 removal(s) to {}?",
            sb.sandbox.url()
        )),
        "{screen}"
    );
    assert!(screen.contains("nothing was written"), "{screen}");
    assert_eq!(
        sb.sandbox.live(),
        tenant(),
        "anything but 'yes' writes nothing"
    );

    let (code, screen) = apply_on_terminal(&sb, path_str(dir.path()), "yes\n");
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("2 of 2 changes applied and verified"),
        "{screen}"
    );
}

#[test]
fn under_injected_server_errors_apply_converges_and_touches_nothing_else() {
    // One API answer in ten is a 503 (seeded); reads retry, writes check before resending.
    let faults = Faults {
        error_rate: 0.1,
        seed: 7,
        ..Faults::default()
    };
    let sb = TestSandbox::start(coupa_access_sandbox::sample_tenant(), faults);
    let dir = policies(&[]);
    let policy_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let before = sb.membership_pairs();
    let plan_file = dir.path().join("plan.json");
    let out = run(sb.cmd().args([
        "plan",
        "--policies",
        policy_dir,
        "--out",
        path_str(&plan_file),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    let out = run(sb
        .cmd()
        .args(["apply", path_str(&plan_file), "--auto-approve"])
        .args(["--policies", policy_dir]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    // Exactly the planned group changes happened, nothing else.
    let mut expected = before.clone();
    for c in plan["changes"].as_array().unwrap() {
        if c["applies"] != true {
            continue;
        }
        let key = (
            c["target_id"].as_u64().unwrap(),
            c["user_id"].as_u64().unwrap(),
        );
        match c["action"].as_str().unwrap() {
            "add" => assert!(expected.insert(key)),
            _ => assert!(expected.remove(&key)),
        }
    }
    assert_ne!(expected, before, "the plan changed something");
    assert_eq!(sb.membership_pairs(), expected);
    let out = run(sb
        .cmd()
        .args(["plan", "--policies", policy_dir, "--detailed-exitcode"]));
    let text = stdout_of(&out);
    assert!(text.contains("Plan: 0 to add, 0 to remove"), "{text}");
    let faults = sb
        .sandbox
        .request_counts()
        .get("fault")
        .copied()
        .unwrap_or(0);
    assert!(faults > 0, "the run met injected errors");
}

#[test]
fn apply_without_the_write_scope_names_it_and_writes_nothing() {
    // The OAuth2 client may read (so `plan` works) but was never granted the write scope.
    let config = SandboxConfig {
        scopes: ["core.user.read", "core.user_group.read", "core.common.read"]
            .map(String::from)
            .to_vec(),
        ..sandbox_config(Faults::default())
    };
    let sb = TestSandbox::start_config(tenant(), config);
    let dir = policies(&[("groups.yaml", POLICY)]);
    let p = path_str(dir.path());
    let before = sb.membership_pairs();

    let out = run(sb
        .cmd()
        .args(["plan", "--policies", p, "--detailed-exitcode"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));

    let out = run(sb.cmd().args(["apply", "--policies", p, "--auto-approve"]));
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("core.user_group.write"), "{err}");
    assert!(err.contains("scope_not_granted"), "{err}");
    assert!(err.contains("grant the scope"), "{err}");
    assert_eq!(sb.membership_pairs(), before, "nothing was written");
}

/// A client lacking the write scopes, on a server that issues tokens without them instead of
/// refusing the token request: every write is refused, and each FAILED line names the scope
/// to grant — `core.user_group.write` for memberships, `core.user.write` for user updates —
/// whether the server answers 403 or (as some do) 401.
#[test]
fn a_write_refused_for_a_missing_scope_names_the_scope() {
    let reads = ["core.user.read", "core.user_group.read", "core.common.read"];
    let policy = "\
settings:
  writes: [groups, licenses]
groups:
  AP Clerks:
    members: [alice@acme.com, carol@acme.com]
licenses:
  expense: { members: [alice, bob] }
";
    for missing_scope_401 in [false, true] {
        let config = SandboxConfig {
            scopes: reads.map(String::from).to_vec(),
            ..sandbox_config(Faults {
                lenient_scopes: true,
                missing_scope_401,
                ..Faults::default()
            })
        };
        let sb = TestSandbox::start_config(tenant(), config);
        let dir = policies(&[("p.yaml", policy)]);
        let journal = dir.path().join("journal.json");
        let before = sb.sandbox.live();
        let out = run(sb.cmd().args([
            "apply",
            "--policies",
            path_str(dir.path()),
            "--auto-approve",
            "--journal",
            path_str(&journal),
        ]));
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let failed: Vec<&str> = err.lines().filter(|l| l.contains("FAILED")).collect();
        let create = failed
            .iter()
            .find(|l| l.contains("add carol to AP Clerks"))
            .unwrap_or_else(|| panic!("no membership line: {err}"));
        assert!(
            create.contains("scope `core.user_group.write`"),
            "401: {missing_scope_401}: {create}"
        );
        // The refused DELETE (its line, or the closing note quoting it once removals went on
        // through the users) names the membership scope too.
        let removal = failed
            .iter()
            .find(|l| l.contains("remove bob from AP Clerks"))
            .unwrap_or_else(|| panic!("no removal line: {err}"));
        if missing_scope_401 {
            assert!(
                removal.contains("scope `core.user_group.write`"),
                "{removal}"
            );
        } else {
            assert!(
                err.contains(
                    "The first refusal: Coupa refused to delete group membership 101 \
                     (DELETE /api/user_group_memberships/101 answered HTTP 403"
                ) && err.contains("the OAuth2 client may lack scope `core.user_group.write`"),
                "{err}"
            );
        }
        let license = failed
            .iter()
            .find(|l| l.contains("license expense"))
            .unwrap_or_else(|| panic!("no license line: {err}"));
        assert!(
            license.contains("scope `core.user.write`"),
            "401: {missing_scope_401}: {license}"
        );
        assert!(err.contains("0 of "), "{err}");
        assert_eq!(sb.sandbox.live(), before, "nothing written");
    }
}

/// A token endpoint that refuses a missing scope without saying which (as Doorkeeper-based
/// servers answer): apply names the one to grant, found by asking for each scope alone.
#[test]
fn a_vague_invalid_scope_answer_still_names_the_missing_scope() {
    let config = SandboxConfig {
        scopes: ["core.user.read", "core.user_group.read", "core.common.read"]
            .map(String::from)
            .to_vec(),
        ..sandbox_config(Faults {
            vague_invalid_scope: true,
            ..Faults::default()
        })
    };
    let sb = TestSandbox::start_config(tenant(), config);
    let dir = policies(&[("groups.yaml", POLICY)]);
    let before = sb.membership_pairs();
    let out = run(sb.cmd().env("COLUMNS", "400").args([
        "apply",
        "--policies",
        path_str(dir.path()),
        "--auto-approve",
    ]));
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("may not request scope core.user_group.write (token endpoint said"),
        "{err}"
    );
    assert!(
        !err.contains("core.user.read core.user_group.read"),
        "{err}"
    );
    assert_eq!(sb.membership_pairs(), before, "nothing was written");
}
