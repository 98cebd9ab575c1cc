//! `report access` through the real binary, against a real temporary git repository: commits by
//! two authors, a merge naming a pull request, a shallow clone, a folder outside git, and
//! `--as-of`.

use std::path::Path;

use crate::common::*;
use coupa_access_core::model::Membership;

const ANN: (&str, &str) = ("Ann Author", "ann@acme.com");
const BOB: (&str, &str) = ("Bob Builder", "bob@acme.com");
const MERGER: (&str, &str) = ("Mia Merger", "mia@acme.com");

const FIRST: &str = "\
groups:
  AP Clerks:
    members:
      - alice
";

/// A repository whose `policies/groups.yaml` got alice from Ann on main (2026-01-02), then bob
/// (time-bound) from Bob on a branch merged as pull request #12 (2026-01-11).
struct Repo {
    dir: tempfile::TempDir,
    ann: String,
    bob: String,
    merge: String,
}

fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("policies")).unwrap();
    git_as(
        d,
        ANN,
        Some("2026-01-01T09:00:00Z"),
        &["init", "-q", "-b", "main"],
    );
    std::fs::write(d.join("policies/groups.yaml"), FIRST).unwrap();
    git_as(d, ANN, Some("2026-01-02T10:00:00Z"), &["add", "."]);
    git_as(
        d,
        ANN,
        Some("2026-01-02T10:00:00Z"),
        &["commit", "-q", "-m", "AP Clerks: alice"],
    );
    let ann = git_as(d, ANN, Some("2026-01-02T10:00:00Z"), &["rev-parse", "HEAD"]);
    git_as(
        d,
        BOB,
        Some("2026-01-10T10:00:00Z"),
        &["checkout", "-q", "-b", "bob-access"],
    );
    let second = format!(
        "{FIRST}      - {{ user: bob, until: 2026-12-31, reason: \"Year-end close, FIN-881\" }}\n"
    );
    std::fs::write(d.join("policies/groups.yaml"), second).unwrap();
    git_as(
        d,
        BOB,
        Some("2026-01-10T10:00:00Z"),
        &["commit", "-q", "-am", "Give bob AP Clerks until year end"],
    );
    let bob = git_as(d, BOB, Some("2026-01-10T10:00:00Z"), &["rev-parse", "HEAD"]);
    git_as(
        d,
        ANN,
        Some("2026-01-10T11:00:00Z"),
        &["checkout", "-q", "main"],
    );
    // Something else on main, so the merge is a real one.
    std::fs::write(d.join("README.md"), "policies\n").unwrap();
    git_as(d, ANN, Some("2026-01-10T11:00:00Z"), &["add", "README.md"]);
    git_as(
        d,
        ANN,
        Some("2026-01-10T11:00:00Z"),
        &["commit", "-q", "-m", "Readme"],
    );
    git_as(
        d,
        MERGER,
        Some("2026-01-11T12:00:00Z"),
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #12 from acme/bob-access",
            "bob-access",
        ],
    );
    let merge = git_as(
        d,
        MERGER,
        Some("2026-01-11T12:00:00Z"),
        &["rev-parse", "HEAD"],
    );
    Repo {
        dir,
        ann: ann.trim().into(),
        bob: bob.trim().into(),
        merge: merge.trim().into(),
    }
}

/// The test tenant plus dave in AP Clerks by hand (created 2025-12-24), as a bare tenant file.
fn snapshot_file(dir: &Path) -> std::path::PathBuf {
    let mut live = tenant();
    live.memberships.push(Membership {
        id: 999,
        user_id: 4,
        group_id: 10,
        created_at: Some("2025-12-24T23:59:00+00:00".into()),
        owner: false,
        participant: None,
    });
    let file = dir.join("snap.json");
    std::fs::write(&file, serde_json::to_string(&live).unwrap()).unwrap();
    file
}

fn report(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .args(["report", "access", "--policies", "policies"])
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(v: &'a serde_json::Value, target: &str, user: &str) -> &'a serde_json::Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["target"] == target && r["user"] == user)
        .unwrap_or_else(|| panic!("no row {target}/{user}: {v:#}"))
}

#[test]
fn each_entry_names_its_commit_author_and_pull_request_and_outsiders_are_marked() {
    let r = repo();
    let snaps = tempfile::tempdir().unwrap();
    let snap = snapshot_file(snaps.path());
    let v = json_of(&report(
        r.dir.path(),
        &["--snapshot", path_str(&snap), "--format", "json"],
    ));
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["history"]["state"], "complete");
    assert_eq!(v["history"]["head"], r.merge.as_str());
    assert_eq!(v["completeness"]["established_by"], "unproven");

    let alice = row(&v, "AP Clerks", "alice");
    assert_eq!(alice["status"], "granted_by_policy");
    assert_eq!(alice["policy"]["file"], "policies/groups.yaml");
    assert_eq!(alice["policy"]["line"], 4);
    let p = &alice["policy"]["provenance"];
    assert_eq!(p["state"], "commit");
    assert_eq!(p["sha"], r.ann.as_str());
    assert_eq!(p["author"], "Ann Author");
    assert_eq!(p["author_email"], "ann@acme.com");
    assert_eq!(p["date"], "2026-01-02T10:00:00Z");
    assert_eq!(p["subject"], "AP Clerks: alice");
    // Committed on main directly: no merge, no pull request.
    assert!(
        p.get("merge").is_none() && p.get("pull_request").is_none(),
        "{p}"
    );
    assert_eq!(alice["coupa_created_at"], "2026-01-05T10:00:00+00:00");

    let bob = row(&v, "AP Clerks", "bob");
    assert_eq!(bob["status"], "granted_by_policy");
    assert_eq!(bob["policy"]["line"], 5);
    assert_eq!(bob["policy"]["until"], "2026-12-31");
    assert_eq!(bob["policy"]["reason"], "Year-end close, FIN-881");
    let p = &bob["policy"]["provenance"];
    assert_eq!(p["sha"], r.bob.as_str());
    assert_eq!(p["author"], "Bob Builder");
    assert_eq!(p["pull_request"], 12);
    assert_eq!(p["merge"]["sha"], r.merge.as_str());
    assert_eq!(p["merge"]["author"], "Mia Merger");

    let dave = row(&v, "AP Clerks", "dave");
    assert_eq!(dave["status"], "outside_policy");
    assert!(dave.get("policy").is_none());
    assert_eq!(dave["coupa_created_at"], "2025-12-24T23:59:00+00:00");
    assert_eq!(v["summary"]["granted_by_policy"], 2);
    assert_eq!(v["summary"]["outside_policy"], 1);
    // Unmanaged groups only with --all.
    assert!(v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["target"] == "AP Clerks"));
    let all = json_of(&report(
        r.dir.path(),
        &["--snapshot", path_str(&snap), "--format", "json", "--all"],
    ));
    let carol = row(&all, "Buyers", "carol");
    assert_eq!(
        (carol["managed"].as_bool(), carol["status"].as_str()),
        (Some(false), Some("outside_policy"))
    );

    let out = report(r.dir.path(), &["--snapshot", path_str(&snap)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let md = stdout_of(&out);
    assert!(md.contains("## Group AP Clerks"), "{md}");
    assert!(
        md.contains(&format!(
            "| bob | granted by policy | `policies/groups.yaml:5` | `{}` 2026-01-10 by Bob Builder: \u{201c}Give bob AP Clerks until year end\u{201d} (PR \\#12), merged 2026-01-11 in `{}` | until 2026-12-31; reason: Year-end close, FIN-881 | 2026-01-05T10:00:00+00:00 |",
            &r.bob[..12],
            &r.merge[..12]
        )),
        "{md}"
    );
    assert!(
        md.contains("| dave | **granted outside policy** |  |  |  | 2025-12-24T23:59:00+00:00 |"),
        "{md}"
    );

    let out = report(
        r.dir.path(),
        &["--snapshot", path_str(&snap), "--format", "csv"],
    );
    let csv = stdout_of(&out);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0].starts_with("kind,target,target_id,managed,user,"),
        "{csv}"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(
        csv.contains(&format!(
            ",\"Year-end close, FIN-881\",,commit,{},Bob Builder,bob@acme.com,",
            r.bob
        )),
        "{csv}"
    );
}

#[test]
fn a_shallow_clone_says_history_is_incomplete_and_outside_git_it_is_unavailable() {
    let r = repo();
    let snaps = tempfile::tempdir().unwrap();
    let snap = snapshot_file(snaps.path());
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.dir.path().display());
    git_as(
        clones.path(),
        ANN,
        Some("2026-01-12T00:00:00Z"),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = clones.path().join("shallow");
    let v = json_of(&report(
        &shallow,
        &["--snapshot", path_str(&snap), "--format", "json"],
    ));
    assert_eq!(v["history"]["state"], "shallow");
    assert_eq!(v["history"]["boundaries"][0], r.merge.as_str());
    for user in ["alice", "bob"] {
        let p = &row(&v, "AP Clerks", user)["policy"]["provenance"];
        assert_eq!(p["state"], "history_incomplete", "{p}");
        assert_eq!(p["boundary"], r.merge.as_str());
    }
    let md = stdout_of(&report(&shallow, &["--snapshot", path_str(&snap)]));
    assert!(md.contains("shallow clone"), "{md}");
    assert!(
        !md.contains("Ann Author") && !md.contains("Bob Builder"),
        "{md}"
    );

    // A policy line changed after the clone is attributed: it is inside the history.
    let text = std::fs::read_to_string(shallow.join("policies/groups.yaml")).unwrap();
    std::fs::write(
        shallow.join("policies/groups.yaml"),
        format!("{text}      - dave\n"),
    )
    .unwrap();
    git_as(
        &shallow,
        BOB,
        Some("2026-01-13T00:00:00Z"),
        &["commit", "-q", "-am", "dave (#13)"],
    );
    let v = json_of(&report(
        &shallow,
        &["--snapshot", path_str(&snap), "--format", "json"],
    ));
    let p = &row(&v, "AP Clerks", "dave")["policy"]["provenance"];
    assert_eq!(
        (p["state"].as_str(), p["pull_request"].as_u64()),
        (Some("commit"), Some(13)),
        "{p}"
    );

    // Outside git.
    let plain = tempfile::tempdir().unwrap();
    std::fs::create_dir(plain.path().join("policies")).unwrap();
    std::fs::write(plain.path().join("policies/groups.yaml"), FIRST).unwrap();
    let v = json_of(&report(
        plain.path(),
        &["--snapshot", path_str(&snap), "--format", "json"],
    ));
    assert_eq!(v["history"]["state"], "unavailable");
    assert_eq!(
        row(&v, "AP Clerks", "alice")["policy"]["provenance"]["state"],
        "unavailable"
    );
}

#[test]
fn as_of_answers_from_the_policy_of_that_day() {
    let r = repo();
    let v = json_of(&report(
        r.dir.path(),
        &["--as-of", "2026-01-05", "--format", "json"],
    ));
    assert_eq!(v["source"]["type"], "policy_as_of");
    assert_eq!(v["source"]["commit"], r.ann.as_str());
    assert!(v.get("completeness").is_none());
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v:#}");
    assert_eq!(rows[0]["user"], "alice");
    assert_eq!(rows[0]["policy"]["provenance"]["author"], "Ann Author");

    let v = json_of(&report(
        r.dir.path(),
        &["--as-of", "2026-01-12", "--format", "json"],
    ));
    assert_eq!(v["source"]["commit"], r.merge.as_str());
    let bob = row(&v, "AP Clerks", "bob");
    assert_eq!(bob["status"], "granted_by_policy");
    assert_eq!(bob["policy"]["provenance"]["pull_request"], 12);
    // On a day after the grant's `until`, the same entry is an expired grant.
    let v = json_of(&report(
        r.dir.path(),
        &["--as-of", "2027-01-01", "--format", "json"],
    ));
    assert_eq!(row(&v, "AP Clerks", "bob")["status"], "expired_grant");

    let out = report(r.dir.path(), &["--as-of", "2025-06-01"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("no commit on HEAD was made by then"),
        "{}",
        stderr_of(&out)
    );
    let out = report(r.dir.path(), &["--as-of", "last tuesday"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("YYYY-MM-DD"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn live_reads_name_the_instance_and_how_completeness_was_established() {
    let r = repo();
    let sb = TestSandbox::start(tenant(), coupa_access_sandbox::Faults::default());
    let out = sb
        .cmd()
        .current_dir(r.dir.path())
        .args([
            "report",
            "access",
            "--policies",
            "policies",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(v["source"]["type"], "live");
    assert_eq!(v["source"]["instance"], sb.sandbox.url().as_str());
    assert_eq!(v["completeness"]["established_by"], "live_read");
    let bob = row(&v, "AP Clerks", "bob");
    assert_eq!(bob["policy"]["provenance"]["author"], "Bob Builder");
    // Uncommitted work is said to be so.
    let text = std::fs::read_to_string(r.dir.path().join("policies/groups.yaml")).unwrap();
    std::fs::write(
        r.dir.path().join("policies/groups.yaml"),
        format!("{text}      - dave\n"),
    )
    .unwrap();
    let out = sb
        .cmd()
        .current_dir(r.dir.path())
        .args([
            "report",
            "access",
            "--policies",
            "policies",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(
        row(&v, "AP Clerks", "dave")["policy"]["provenance"]["state"],
        "uncommitted"
    );
    assert_eq!(
        row(&v, "AP Clerks", "alice")["policy"]["provenance"]["state"],
        "commit"
    );
}
