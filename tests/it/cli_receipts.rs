//! `apply --receipt`, `--approvals` and `evidence verify` through the real binary against the
//! sandbox: receipts of successful, failed, refused and interrupted applies; integrity checks
//! that name an edited field; self-approval refused; no secret in a receipt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::*;
use coupa_access_sandbox::Faults;

/// AP Clerks (10) holds alice and bob: this makes "add dave, remove bob".
const POLICY: &str = "groups:\n  AP Clerks:\n    members: [alice, dave]\n";

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("receipt written"))
        .expect("receipt is JSON")
}

fn apply_with(sb: &TestSandbox, policies: &Path, extra: &[&str]) -> std::process::Output {
    sb.cmd()
        .args(["apply", "--policies", path_str(policies), "--auto-approve"])
        .args(extra)
        .output()
        .unwrap()
}

/// A git repository with the policy committed on branch `main`.
fn repo_with(policy: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let pol = dir.path().join("policies");
    std::fs::create_dir(&pol).unwrap();
    std::fs::write(pol.join("groups.yaml"), policy).unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "Grant dave AP Clerks"]);
    (dir, pol)
}

fn change<'v>(receipt: &'v Value, action: &str, user: &str) -> &'v Value {
    receipt["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == action && c["user"] == user)
        .unwrap_or_else(|| panic!("{action} {user} in {receipt:#}"))
}

fn verify(sb: Option<&TestSandbox>, files: &[&Path]) -> std::process::Output {
    let mut cmd = match sb {
        Some(sb) => sb.cmd(),
        None => bin(),
    };
    cmd.args(["evidence", "verify"]);
    for f in files {
        cmd.arg(f);
    }
    cmd.output().unwrap()
}

#[test]
fn a_successful_apply_writes_a_receipt_that_verifies_and_catches_a_one_byte_edit() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let (repo, pol) = repo_with(POLICY);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("receipt.json");
    let out = apply_with(&sb, &pol, &["--receipt", path_str(&path)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("Receipt written to"),
        "{}",
        stderr_of(&out)
    );

    let r = read_json(&path);
    assert_eq!(r["format_version"], 1);
    assert_eq!(r["kind"], "coupa-access apply receipt");
    assert_eq!(r["status"], "applied");
    assert_eq!(r["instance"], sb.sandbox.url().trim_end_matches('/'));
    assert!(r["policy_digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(r["plan_digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(r["source"]["commit"], head.as_str());
    assert_eq!(r["source"]["branch"], "main");
    assert_eq!(r["source"]["clean"], true);
    assert_eq!(r["approvals"]["checked"], false);
    assert!(r["approvals"]["not_checked_because"]
        .as_str()
        .unwrap()
        .contains("no approvals were given"));
    // The membership created for dave, as Coupa holds it; the one deleted for bob.
    let dave_membership = sb
        .sandbox
        .live()
        .memberships
        .iter()
        .find(|m| m.group_id == 10 && m.user_id == 4)
        .expect("dave added")
        .id;
    let add = change(&r, "add", "dave");
    assert_eq!(add["outcome"], "verified");
    assert_eq!(add["membership_ids"], serde_json::json!([dave_membership]));
    let remove = change(&r, "remove", "bob");
    assert_eq!(remove["outcome"], "verified");
    assert_eq!(remove["membership_ids"], serde_json::json!([101]));
    assert_eq!(r["summary"]["verified"], 2);

    // Intact offline, and still holding in Coupa.
    let out = verify(None, &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("intact"), "{}", stdout_of(&out));
    let out = verify(Some(&sb), &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("2 of 2 verified change(s) still hold."),
        "{}",
        stdout_of(&out)
    );

    // Someone puts bob back by hand: reported, not an error.
    let back = policies(&[(
        "g.yaml",
        "groups:\n  AP Clerks:\n    members: [alice, dave, bob]\n",
    )]);
    let out = apply_with(&sb, back.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = verify(Some(&sb), &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("1 of 2 verified change(s) still hold; changed since:"),
        "{text}"
    );
    assert!(
        text.contains("remove bob from group \"AP Clerks\": changed since: bob is a member again"),
        "{text}"
    );

    // One byte changed: the id of dave's membership.
    let original = std::fs::read_to_string(&path).unwrap();
    let id = dave_membership.to_string();
    let last = id.chars().last().unwrap();
    let other = if last == '9' {
        '8'
    } else {
        (last as u8 + 1) as char
    };
    let edited_id = format!("{}{other}", &id[..id.len() - 1]);
    let edited = original.replacen(
        &format!("\n        {id}\n"),
        &format!("\n        {edited_id}\n"),
        1,
    );
    assert_ne!(edited, original, "the id is in the file: {original}");
    assert_eq!(edited.len(), original.len());
    let tampered = out_dir.path().join("tampered.json");
    std::fs::write(&tampered, edited).unwrap();
    let out = verify(None, &[&path, &tampered]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let text = stdout_of(&out);
    let index = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["user"] == "dave")
        .unwrap();
    assert!(
        text.contains(&format!("tampered.json: FAILED: it was edited: `changes[{index}]` (add dave to group \"AP Clerks\")")),
        "{text}"
    );
    assert!(text.contains("receipt.json: intact"), "{text}");
}

#[test]
fn a_failed_apply_records_coupas_message_and_a_dirty_work_tree() {
    let faults = Faults {
        reject_users: [4].into(),
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let (_repo, pol) = repo_with(POLICY);
    std::fs::write(
        pol.join("groups.yaml"),
        format!("{POLICY}# edited after the commit\n"),
    )
    .unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("receipt.json");
    let out = apply_with(&sb, &pol, &["--receipt", path_str(&path)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let r = read_json(&path);
    assert_eq!(r["status"], "failed");
    assert_eq!(r["source"]["clean"], false, "{r:#}");
    let add = change(&r, "add", "dave");
    assert_eq!(add["outcome"], "failed");
    let message = add["message"].as_str().unwrap();
    assert!(message.contains("400"), "Coupa's answer: {message}");
    assert_eq!(change(&r, "remove", "bob")["outcome"], "verified");
    assert_eq!(r["summary"]["failed"], 1);
    let out = verify(None, &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
}

#[cfg(unix)]
#[test]
fn an_interrupted_apply_writes_a_whole_receipt_with_what_was_not_attempted() {
    let faults = Faults {
        latency: Duration::from_millis(150),
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant_with_users(20), faults);
    let dir = policies(&[("g.yaml", &additive_policy("AP Clerks", 20))]);
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("receipt.json");
    let before = sb.membership_pairs().len();
    let receipt = ["--receipt", path_str(&path)];
    let child = sb.spawn_apply(dir.path(), &receipt, std::process::Stdio::null());
    sb.await_a_write(before, Duration::from_secs(60));
    signal(child.id(), "-TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", stderr_of(&out));
    let written = sb.membership_pairs().len() - before;
    let r = read_json(&path);
    assert_eq!(r["status"], "interrupted");
    assert_eq!(r["summary"]["verified"], written, "{r:#}");
    assert_eq!(r["summary"]["skipped"], 20 - written, "{r:#}");
    let skipped = change(&r, "add", "u20");
    assert_eq!(skipped["outcome"], "skipped");
    assert_eq!(skipped["message"], "not attempted: apply was interrupted");
    let out = verify(None, &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
    // Nothing but the receipt is left in its folder (no temporary file).
    assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 1);
}

/// A second interrupt exits at once: the receipt is still written whole, status `abandoned`,
/// and what was in flight or never reported is `unknown`, not guessed.
#[cfg(unix)]
#[test]
fn a_second_interrupt_writes_an_abandoned_receipt_with_unknown_outcomes() {
    use std::io::BufRead;
    let faults = Faults {
        latency: Duration::from_secs(1),
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant_with_users(5), faults);
    let dir = policies(&[("g.yaml", &additive_policy("AP Clerks", 5))]);
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("receipt.json");
    let before = sb.membership_pairs().len();
    let receipt = ["--receipt", path_str(&path)];
    let mut child = sb.spawn_apply(dir.path(), &receipt, std::process::Stdio::null());
    sb.await_a_write(before, Duration::from_secs(90));
    signal(child.id(), "-INT");
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("Interrupted: no new writes") {
            break;
        }
    }
    signal(child.id(), "-INT");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let r = read_json(&path);
    assert_eq!(r["status"], "abandoned");
    assert_eq!(r["summary"]["unknown"], 5, "{r:#}");
    let out = verify(None, &[&path]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
}

fn approvals_file(dir: &Path, reviewers: &[&str]) -> PathBuf {
    let reviews: Vec<String> = reviewers
        .iter()
        .map(|r| {
            format!(
                r#"    {{ "reviewer": "{r}", "state": "APPROVED", "submitted_at": "2026-11-30T09:00:00Z", "commit": "4f9c0e1d2b3a" }}"#
            )
        })
        .collect();
    let path = dir.join("approvals.json");
    std::fs::write(
        &path,
        format!(
            "{{\n  \"format_version\": 1,\n  \"repository\": \"acme/coupa-policy\",\n  \"pull_request\": 42,\n  \"reviews\": [\n{}\n  ]\n}}\n",
            reviews.join(",\n")
        ),
    )
    .unwrap();
    path
}

const MAPPED: &str = "groups:\n  AP Clerks:\n    mode: additive\n    members: [alice, bob, dave]\nsettings:\n  reviewers:\n    dave-gh: dave@acme.com\n    carol-gh: carol\n";

#[test]
fn a_grant_approved_only_by_its_receiver_is_refused_naming_both() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("g.yaml", MAPPED)]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let before = sb.membership_pairs();
    let approvals = approvals_file(out_dir.path(), &["Dave-GH"]);
    let out = apply_with(
        &sb,
        dir.path(),
        &[
            "--approvals",
            path_str(&approvals),
            "--receipt",
            path_str(&receipt),
        ],
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The message as one line (the terminal renderer wraps it).
    let flat: Vec<&str> = err.split_whitespace().filter(|w| *w != "|").collect();
    let flat = flat.join(" ");
    assert!(
        flat.contains("approved only by the person who receives them"),
        "{err}"
    );
    assert!(
        flat.contains("dave receives group \"AP Clerks\", approved only by Dave-GH (settings.reviewers: dave@acme.com)"),
        "{err}"
    );
    assert_eq!(sb.membership_pairs(), before, "nothing written");
    let r = read_json(&receipt);
    assert_eq!(r["status"], "refused");
    assert_eq!(r["approvals"]["checked"], true);
    assert_eq!(r["approvals"]["pull_request"], 42);
    assert_eq!(r["approvals"]["self_approvals"][0]["user"], "dave");
    assert_eq!(change(&r, "add", "dave")["outcome"], "unknown");
    assert!(r["error"].as_str().unwrap().contains("refusing to apply"));

    // Approved by someone else as well: applied, and the receipt says approvals were checked.
    let approvals = approvals_file(out_dir.path(), &["dave-gh", "carol-gh"]);
    let out = apply_with(
        &sb,
        dir.path(),
        &[
            "--approvals",
            path_str(&approvals),
            "--receipt",
            path_str(&receipt),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let r = read_json(&receipt);
    assert_eq!(r["status"], "applied");
    assert_eq!(r["approvals"]["checked"], true);
    assert_eq!(r["approvals"]["reviews"].as_array().unwrap().len(), 2);
    assert!(r["approvals"].get("self_approvals").is_none());
}

#[test]
fn without_a_reviewers_mapping_the_receipt_says_approvals_were_not_checked() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("g.yaml", POLICY)]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let approvals = approvals_file(out_dir.path(), &["dave-gh"]);
    let out = apply_with(
        &sb,
        dir.path(),
        &[
            "--approvals",
            path_str(&approvals),
            "--receipt",
            path_str(&receipt),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let r = read_json(&receipt);
    assert_eq!(r["approvals"]["checked"], false);
    assert!(r["approvals"]["not_checked_because"]
        .as_str()
        .unwrap()
        .contains("no settings.reviewers"));
    assert_eq!(r["approvals"]["reviews"][0]["reviewer"], "dave-gh");
    assert!(r["approvals"]["file_digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
}

#[test]
fn an_invalid_approvals_file_is_refused_with_its_lines_and_a_receipt_says_so() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("g.yaml", MAPPED)]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let approvals = out_dir.path().join("approvals.json");
    std::fs::write(
        &approvals,
        "{\n  \"format_version\": 1,\n  \"reviews\": [\n    { \"reviewer\": \"dave-gh\", \"state\": \"LGTM\", \"submitted_at\": \"2026-11-30T09:00:00Z\", \"commit\": \"4f9c0e1\" }\n  ]\n}\n",
    )
    .unwrap();
    let before = sb.membership_pairs();
    let out = apply_with(
        &sb,
        dir.path(),
        &[
            "--approvals",
            path_str(&approvals),
            "--receipt",
            path_str(&receipt),
        ],
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("approvals.json:4:"), "{err}");
    assert!(err.contains("review 1: `state` must be one of"), "{err}");
    assert_eq!(sb.membership_pairs(), before);
    assert_eq!(read_json(&receipt)["status"], "refused");
}

/// Coupa's error answers may quote the request back (a careless proxy): neither the client
/// secret nor any token issued to the run may reach the receipt through Coupa's messages.
#[test]
fn no_secret_or_token_appears_in_a_receipt() {
    let faults = Faults {
        reject_users: [4].into(),
        echo_requests: true,
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let dir = policies(&[("g.yaml", POLICY)]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let out = apply_with(&sb, dir.path(), &["--receipt", path_str(&receipt)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(text.contains("\"failed\""), "{text}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    let tokens = sb.sandbox.issued_tokens();
    assert!(!tokens.is_empty());
    for t in tokens {
        assert!(!text.contains(&t), "token in the receipt: {text}");
    }
    // Coupa's quoted request is kept, its credentials are not.
    assert!(text.contains("Bearer [redacted]"), "{text}");
}

/// The GitHub Actions run and the saved plan's digest are recorded.
#[test]
fn the_ci_run_and_the_saved_plan_are_recorded() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("g.yaml", POLICY)]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let plan = out_dir.path().join("plan.json");
    let out = sb
        .cmd()
        .args([
            "plan",
            "--policies",
            path_str(dir.path()),
            "--out",
            path_str(&plan),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let out = sb
        .cmd()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/coupa-policy")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_ACTOR", "release-bot")
        .args(["apply", path_str(&plan), "--policies", path_str(dir.path())])
        .args(["--auto-approve", "--receipt", path_str(&receipt)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let r = read_json(&receipt);
    // The saved plan applied, by the digest `sha256sum` gives of the file.
    assert_eq!(r["from_plan_file"], true);
    let bytes = std::fs::read(&plan).unwrap();
    assert_eq!(
        r["plan_file_sha256"],
        coupa_access_core::evidence::canonical::sha256_bytes(&bytes).as_str()
    );
    assert_eq!(r["source"]["ci"]["system"], "github-actions");
    assert_eq!(
        r["source"]["ci"]["run_url"],
        "https://github.com/acme/coupa-policy/actions/runs/4242"
    );
    assert_eq!(r["source"]["ci"]["actor"], "release-bot");
    // Not a git repository: said, not guessed.
    assert!(r["source"].get("commit").is_none());
    assert!(r["source"]["git_unavailable"].is_string(), "{r:#}");
}

/// A clear-then-set of alice's `user-groups` (removing her from AP Clerks) re-creates her
/// Approvers membership with a new id and date: the receipt records it, and `drift --since
/// --receipts` does not list it as a new grant (without the receipt it does).
#[test]
fn memberships_re_created_by_a_clear_then_set_are_left_out_of_drift_since_with_receipts() {
    let mut live = tenant();
    live.memberships.push(coupa_access_core::model::Membership {
        id: 200,
        user_id: 1,
        group_id: 12,
        created_at: Some("2025-01-05T10:00:00+00:00".into()),
        owner: false,
        participant: None,
    });
    let sb = TestSandbox::start(live, Faults::default());
    let dir = policies(&[(
        "p.yaml",
        "settings:\n  group_removals: user_groups\ngroups:\n  AP Clerks:\n    members: [bob]\n",
    )]);
    let out_dir = tempfile::tempdir().unwrap();
    let receipt = out_dir.path().join("receipt.json");
    let journal = out_dir.path().join("journal.json");
    let out = apply_with(
        &sb,
        dir.path(),
        &[
            "--receipt",
            path_str(&receipt),
            "--journal",
            path_str(&journal),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let new_id = sb
        .sandbox
        .live()
        .memberships
        .iter()
        .find(|m| m.user_id == 1 && m.group_id == 12)
        .expect("alice keeps Approvers")
        .id;
    assert_ne!(new_id, 200, "re-created under a new id");
    let r = read_json(&receipt);
    assert_eq!(
        r["recreated_memberships"],
        serde_json::json!([{ "user": "alice", "user_id": 1, "membership_ids": [new_id] }])
    );
    let drift = |extra: &[&str]| {
        let out = sb
            .cmd()
            .args([
                "drift",
                "--policies",
                path_str(dir.path()),
                "--format",
                "json",
            ])
            .args(["--since", "2026-01-01"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let v: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
        v["since"].clone()
    };
    let ids = |since: &Value| -> Vec<u64> {
        since["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["membership_id"].as_u64().unwrap())
            .collect()
    };
    let without = drift(&[]);
    assert!(ids(&without).contains(&new_id), "{without:#}");
    let with = drift(&["--receipts", path_str(&receipt)]);
    assert!(!ids(&with).contains(&new_id), "{with:#}");
    assert_eq!(with["recreated_by_apply"], 1, "{with:#}");
    // An edited receipt is refused, not trusted.
    let text = std::fs::read_to_string(&receipt).unwrap();
    let edited = out_dir.path().join("edited.json");
    std::fs::write(&edited, text.replacen("\"alice\"", "\"alicf\"", 1)).unwrap();
    let out = sb
        .cmd()
        .args([
            "drift",
            "--policies",
            path_str(dir.path()),
            "--since",
            "2026-01-01",
        ])
        .args(["--receipts", path_str(&edited)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("cannot be used"),
        "{}",
        stderr_of(&out)
    );
}
