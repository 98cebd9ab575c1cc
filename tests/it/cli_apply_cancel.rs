//! Stopping an apply part-way (a cancel token; Ctrl-C in the binary), and what apply's own
//! reads cost.

use std::time::Duration;

use crate::common::*;
use coupa_access_client::apply::{self, ApplyOptions, Outcome};
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use coupa_access_core::model::{Group, Membership, Plan};
use coupa_access_sandbox::Faults;

fn saved_plan(sb: &TestSandbox, dir: &tempfile::TempDir) -> Plan {
    let out = sb
        .cmd()
        .args([
            "plan",
            "--policies",
            path_str(dir.path()),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    Plan::from_json(&stdout_of(&out)).expect("a plan")
}

fn client(sb: &TestSandbox) -> Client {
    let conn = Connection::new(
        &sb.sandbox.url(),
        CLIENT_ID,
        CLIENT_SECRET.to_string().into(),
    )
    .unwrap();
    Client::new(conn, Access::ReadWrite, ClientOptions::default()).unwrap()
}

#[test]
fn a_cancel_after_n_writes_applies_n_and_reports_the_rest_not_attempted() {
    let sb = TestSandbox::start(tenant_with_users(6), Faults::default());
    let dir = policies(&[("g.yaml", &additive_policy("AP Clerks", 6))]);
    let plan = saved_plan(&sb, &dir);
    assert_eq!(plan.summary.add, 6);
    let before = sb.membership_pairs().len();

    let (handle, cancel) = apply::cancel_pair();
    let progress: apply::WriteProgress = std::sync::Arc::new(move |done| {
        if done == 2 {
            handle.cancel();
        }
    });
    // A current-thread runtime (the sandbox has its own): a finished write's result is seen
    // before the next permit is used, so "cancel after 2 writes" means exactly 2.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client(&sb);
    let report = runtime
        .block_on(apply::run(
            &plan,
            &client,
            ApplyOptions {
                concurrency: 1,
                progress: Some(progress),
                cancel,
                grace: Duration::from_secs(30),
                ..ApplyOptions::default()
            },
        ))
        .expect("apply starts");
    assert!(report.interrupted);
    let text = report.render(&cli_words());
    assert_eq!(report.verified(), 2, "{text}");
    assert_eq!(report.failed(), 0, "{text}");
    assert_eq!(report.skipped(), 4, "{text}");
    assert!(report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
        .all(|r| r.outcome == Outcome::Skipped("not attempted: apply was interrupted".into())));
    assert!(
        text.contains("Interrupted: 2 applied, 0 failed, 4 not attempted"),
        "{text}"
    );
    assert_eq!(sb.membership_pairs().len(), before + 2, "exactly 2 written");

    // The next apply converges.
    let out = sb
        .cmd()
        .args([
            "apply",
            "--policies",
            path_str(dir.path()),
            "--auto-approve",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("4 of 4 changes applied and verified"));
    assert_eq!(sb.membership_pairs().len(), before + 6);
}

#[cfg(unix)]
#[test]
fn sigint_mid_apply_stops_writes_reports_and_exits_130() {
    signal_mid_apply("-INT", 130);
}

/// CI cancellation and `docker stop` send SIGTERM: the same as a first Ctrl-C, exit 143.
#[cfg(unix)]
#[test]
fn sigterm_mid_apply_stops_writes_reports_and_exits_143() {
    signal_mid_apply("-TERM", 143);
}

#[cfg(unix)]
fn signal_mid_apply(signal: &str, code: i32) {
    let faults = Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant_with_users(30), faults);
    let dir = policies(&[("g.yaml", &additive_policy("AP Clerks", 30))]);
    let before = sb.membership_pairs().len();
    let child = sb.spawn_apply(dir.path(), &[], std::process::Stdio::piped());
    // Signal only once the sandbox has seen a write, so the interrupt lands mid-apply.
    sb.await_a_write(before, Duration::from_secs(60));
    crate::common::signal(child.id(), signal);
    let out = child.wait_with_output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(err.contains("Interrupted: no new writes"), "{err}");
    let written = sb.membership_pairs().len() - before;
    assert!((1..30).contains(&written), "{written} written: {err}");
    assert!(
        err.contains(&format!(
            "Interrupted: {written} applied, 0 failed, {} not attempted",
            30 - written
        )),
        "{err}"
    );
}

#[test]
fn preflight_and_verify_of_60_touched_groups_cost_a_few_batched_reads() {
    let mut live = tenant();
    let mut policy = String::from("groups:\n");
    for g in 0..60u64 {
        let name = format!("G{g:02}");
        live.groups.push(Group::new(200 + g, &name));
        // Each group has a member: a group a batched read answers empty costs one more read
        // confirming it (a server may answer `[in]` for its first value only).
        live.memberships.push(Membership {
            id: 5_000 + g,
            user_id: 2,
            group_id: 200 + g,
            created_at: None,
            owner: false,
            participant: None,
        });
        policy.push_str(&format!(
            "  {name}:\n    mode: additive\n    members: [alice]\n"
        ));
    }
    // No rate limit: a 429 under a loaded machine would add a retried POST to the counts.
    let sb = TestSandbox::start_unlimited(live);
    let dir = policies(&[("g.yaml", &policy)]);
    let out = sb
        .cmd()
        .args([
            "apply",
            "--policies",
            path_str(dir.path()),
            "--auto-approve",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("60 of 60 changes applied and verified"));
    let counts = sb.sandbox.request_counts();
    let reads = counts["GET /api/user_group_memberships"];
    // The plan's scoped read, preflight and verify: each 3 chunks of 25 groups (a page and
    // the keyset scan's closing page), where one read per group cost 3 + 60 + 60.
    assert!(reads <= 18, "{reads} membership reads: {counts:?}");
    assert_eq!(counts["POST /api/user_group_memberships"], 60, "{counts:?}");
}

#[cfg(unix)]
#[test]
fn a_second_sigint_exits_at_once_with_130() {
    use std::io::BufRead;
    // Each answer takes 1 s, so after the first interrupt a write is still in flight.
    let faults = Faults {
        latency: Duration::from_secs(1),
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant_with_users(5), faults);
    let dir = policies(&[("g.yaml", &additive_policy("AP Clerks", 5))]);
    let before = sb.membership_pairs().len();
    let mut child = sb.spawn_apply(dir.path(), &[], std::process::Stdio::null());
    sb.await_a_write(before, Duration::from_secs(90));
    crate::common::signal(child.id(), "-INT");
    // Wait until the binary has taken the first interrupt, then send the second.
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let first = line.contains("Interrupted: no new writes");
        seen.push(line);
        if first {
            break;
        }
    }
    crate::common::signal(child.id(), "-INT");
    seen.extend(lines.map_while(Result::ok));
    let status = child.wait().unwrap();
    let err = seen.join("\n");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("Interrupted again: exiting now"), "{err}");
    assert!(
        !err.contains("Apply:"),
        "no report after the second interrupt: {err}"
    );
}
