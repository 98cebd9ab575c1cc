//! The apply journal carries no authority of its own: forged, edited or expired entries are
//! reported and ignored; honest ones become restores in the plan, shown, counted and applied
//! only after confirmation. Through the real binary against the sandbox.

use std::collections::BTreeSet;

use crate::common::*;
use coupa_access_client::apply::journal::Entry;
use coupa_access_client::UserList;
use coupa_access_sandbox::Faults;

/// Groups only: the policy decides no role.
const GROUPS_ONLY: &str = "groups:\n  Approvers:\n    members: [dave]\n";

/// A hand-written (unsealed) journal beside a groups-only policy that would give alice the
/// omnipotent Admin role and a group the policy does not manage.
fn forged_journal(url: &str) -> String {
    serde_json::json!({
        "format_version": 2,
        "domain": url,
        "entries": [
            {"user_id": 1, "login": "alice", "list": "roles", "before": [1, 2], "after": [],
             "recorded_at": chrono::Utc::now().to_rfc3339(), "mac": "00".repeat(32)},
            {"user_id": 1, "login": "alice", "list": "user-groups", "before": [11], "after": [],
             "recorded_at": chrono::Utc::now().to_rfc3339()}
        ]
    })
    .to_string()
}

#[test]
fn a_forged_journal_grants_nothing_and_is_reported_in_the_plan() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("p.yaml", GROUPS_ONLY)]);
    let journal = journal_file();
    std::fs::write(&journal, forged_journal(&sb.sandbox.url())).unwrap();
    let before = sb.sandbox.live();

    let out = sb.run_journaled(&["plan", "--detailed-exitcode"], dir.path(), &journal);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr_of(&out));
    assert!(text.contains("No changes"), "{text}");
    assert!(
        text.contains(
            "apply journal: the entry for alice (user 1) is ignored: it is not sealed by this tool"
        ),
        "{text}"
    );
    let json = stdout_of(&sb.run_journaled(&["plan", "--format", "json"], dir.path(), &journal));
    let plan: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(plan.get("restores").is_none(), "{json}");
    assert!(json.contains("journal_entry_refused"), "{json}");

    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("Nothing to apply"), "{err}");
    assert_eq!(sb.sandbox.live(), before, "nothing granted");
    assert!(!sb
        .sandbox
        .request_counts()
        .contains_key("PUT /api/users/:id"));
    assert!(journal.exists(), "kept for a person to look at");
}

#[test]
fn an_entry_sealed_with_another_secret_or_edited_is_ignored() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    sb.sandbox.with_state(|live| live.users[0].roles.clear());
    let dir = policies(&[("p.yaml", GROUPS_ONLY)]);
    let journal = journal_file();
    let url = sb.sandbox.url();
    // Honest entry for [2]; then edited to claim Admin (1) as well.
    sealed_journal(
        &journal,
        &url,
        vec![Entry::new(
            1,
            "alice",
            UserList::Roles,
            [2].into(),
            [].into(),
        )],
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    let edited = text.replacen(
        "\"before\": [\n        2\n      ]",
        "\"before\": [\n        1,\n        2\n      ]",
        1,
    );
    assert_ne!(text, edited, "{text}");
    std::fs::write(&journal, edited).unwrap();
    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        roles_of(&sb.sandbox.live(), 1),
        BTreeSet::new(),
        "no role given"
    );
    // Sealed by a client with another secret: the same.
    std::fs::remove_file(&journal).unwrap();
    let key = coupa_access_client::apply::JournalKey::derive(CLIENT_ID, "another-secret", &url);
    let (j, _) =
        coupa_access_client::apply::Journal::open(&*journal, &url, key, chrono::Utc::now())
            .unwrap();
    j.begin(Entry::new(
        1,
        "alice",
        UserList::Roles,
        [1, 2].into(),
        [].into(),
    ))
    .unwrap();
    drop(j);
    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        stdout_of(&out).contains("is ignored: it is not sealed"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(roles_of(&sb.sandbox.live(), 1), BTreeSet::new());
}

#[test]
fn an_honest_entry_is_a_restore_in_every_format_and_is_applied_only_after_confirmation() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    // Killed between the clear and the set: alice held User and Buyer, holds nothing now.
    sb.sandbox.with_state(|live| live.users[0].roles.clear());
    let dir = policies(&[("p.yaml", GROUPS_ONLY)]);
    let journal = journal_file();
    sealed_journal(
        &journal,
        &sb.sandbox.url(),
        vec![Entry::new(
            1,
            "alice",
            UserList::Roles,
            [2, 3].into(),
            [2].into(),
        )],
    );

    let out = sb.run_journaled(&["plan", "--detailed-exitcode"], dir.path(), &journal);
    let text = stdout_of(&out);
    assert_eq!(out.status.code(), Some(2), "a restore is a change: {text}");
    assert!(
        text.contains("Restored from the journal of an interrupted apply"),
        "{text}"
    );
    assert!(
        text.contains("+ alice: roles User, Buyer (cleared "),
        "{text}"
    );
    assert!(
        text.contains("Plan: 0 to add, 0 to remove, 1 to restore, 0 reported only."),
        "{text}"
    );
    let md = stdout_of(&sb.run_journaled(&["plan", "--format", "markdown"], dir.path(), &journal));
    assert!(md.contains("### Restored from the journal"), "{md}");
    assert!(md.contains("- alice: roles User, Buyer"), "{md}");
    let json = stdout_of(&sb.run_journaled(&["plan", "--format", "json"], dir.path(), &journal));
    let plan: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(plan["summary"]["restore"], 1, "{json}");
    assert_eq!(plan["restores"][0]["user"], "alice", "{json}");
    assert_eq!(plan["restores"][0]["kind"], "role", "{json}");
    assert_eq!(
        plan["restores"][0]["targets"].as_array().unwrap().len(),
        2,
        "{json}"
    );

    // No terminal and no --auto-approve: refused, and nothing was restored before asking.
    let out = sb.run_journaled(&["apply"], dir.path(), &journal);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("refusing to apply without confirmation"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        roles_of(&sb.sandbox.live(), 1),
        BTreeSet::new(),
        "nothing before confirmation"
    );
    assert!(journal.exists());

    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("ok       restore alice: roles User, Buyer (verified)"),
        "{err}"
    );
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [2, 3].into());
    assert!(!journal.exists(), "a restored entry leaves no journal");
    let out = sb.run_journaled(&["plan", "--detailed-exitcode"], dir.path(), &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
}

#[test]
fn a_restore_never_gives_back_what_the_plan_decides() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    sb.sandbox.with_state(|live| live.users[0].roles.clear());
    // Roles written and managed: Buyer is the policy's to decide (alice is not listed), User is
    // not managed, so only User comes back.
    let policy = "settings:\n  writes: [groups, roles]\nroles:\n  Buyer:\n    members: [bob]\n";
    let dir = policies(&[("p.yaml", policy)]);
    let journal = journal_file();
    sealed_journal(
        &journal,
        &sb.sandbox.url(),
        vec![Entry::new(
            1,
            "alice",
            UserList::Roles,
            [2, 3].into(),
            [2].into(),
        )],
    );
    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("restore alice: roles User (verified)"),
        "{err}"
    );
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [2].into());
    assert!(!journal.exists());
}

#[test]
fn a_user_changed_since_is_reported_kept_and_only_applies_touching_them_stop() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    // Someone gave alice Admin after the clear: the entry must not overwrite that.
    sb.sandbox
        .with_state(|live| live.users[0].roles = [1].into());
    let journal = journal_file();
    sealed_journal(
        &journal,
        &sb.sandbox.url(),
        vec![Entry::new(
            1,
            "alice",
            UserList::Roles,
            [2, 3].into(),
            [2].into(),
        )],
    );
    // A plan that does not touch alice goes ahead, with the entry reported.
    let dir = policies(&[(
        "p.yaml",
        GROUPS_ONLY.replace("[dave]", "[dave, bob]").as_str(),
    )]);
    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let (text, err) = (stdout_of(&out), stderr_of(&out));
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        text.contains("not restored because the user now holds #1"),
        "{text}"
    );
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [1].into(), "untouched");
    assert!(journal.exists(), "kept");
    // One that touches alice is refused before anything is written.
    let dir = policies(&[("p.yaml", "groups:\n  AP Clerks:\n    members: [bob]\n")]);
    let before = sb.sandbox.live();
    let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("refusing to change alice"), "{err}");
    assert_eq!(sb.sandbox.live(), before);
}

#[test]
fn a_saved_plan_without_the_journals_restores_is_refused() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[(
        "p.yaml",
        GROUPS_ONLY.replace("[dave]", "[dave, bob]").as_str(),
    )]);
    let work = tempfile::tempdir().unwrap();
    let journal = work.path().join("journal.json");
    let plan_file = work.path().join("plan.json");
    let out = sb.run_journaled(
        &["plan", "--out", path_str(&plan_file)],
        dir.path(),
        &journal,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    // A journal appears after review.
    sb.sandbox.with_state(|live| live.users[0].roles.clear());
    sealed_journal(
        &journal,
        &sb.sandbox.url(),
        vec![Entry::new(
            1,
            "alice",
            UserList::Roles,
            [2].into(),
            [].into(),
        )],
    );
    let before = sb.sandbox.live();
    let out = sb.run_journaled(
        &["apply", path_str(&plan_file), "--auto-approve"],
        dir.path(),
        &journal,
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let flat = err
        .split_whitespace()
        .filter(|w| *w != "|")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("it restores none, the journal now gives alice: roles User"),
        "{err}"
    );
    assert_eq!(sb.sandbox.live(), before);
}

#[test]
fn a_journal_tracked_by_git_or_a_symlink_is_refused() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("p.yaml", GROUPS_ONLY)]);
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .expect("git runs")
    };
    if git(&["init", "-q"]).status.success() {
        let journal = repo.path().join("journal.json");
        sealed_journal(
            &journal,
            &sb.sandbox.url(),
            vec![Entry::new(
                1,
                "alice",
                UserList::Roles,
                [2].into(),
                [].into(),
            )],
        );
        assert!(git(&["add", "journal.json"]).status.success());
        for cmd in ["plan", "apply"] {
            let out = sb.run_journaled(
                &[cmd, "--auto-approve"][..if cmd == "plan" { 1 } else { 2 }],
                dir.path(),
                &journal,
            );
            let err = stderr_of(&out);
            assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
            let flat = err
                .split_whitespace()
                .filter(|w| *w != "|")
                .collect::<Vec<_>>()
                .join(" ");
            assert!(flat.contains("it is tracked by git"), "{cmd}: {err}");
        }
    }
    #[cfg(unix)]
    {
        let work = tempfile::tempdir().unwrap();
        let target = work.path().join("precious.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = work.path().join("journal.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let out = sb.run_journaled(&["apply", "--auto-approve"], dir.path(), &link);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }
}

#[test]
fn the_default_journal_is_in_the_state_directory_not_the_work_tree() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[(
        "p.yaml",
        "settings:\n  writes: [groups, roles]\nroles:\n  User:\n    members: []\n",
    )]);
    let work = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let out = sb
        .cmd()
        .current_dir(work.path())
        .env("XDG_STATE_HOME", state.path())
        .args([
            "apply",
            "--auto-approve",
            "--policies",
            path_str(dir.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(roles_of(&sb.sandbox.live(), 1), BTreeSet::new());
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "nothing in the work tree"
    );
    let lock = state.path().join("coupa-access").join(format!(
        "journal-{}.json.lock",
        sb.sandbox
            .url()
            .trim_start_matches("http://")
            .replace(':', "_")
    ));
    assert!(
        lock.exists(),
        "the journal's lock sits in the state directory: {lock:?}"
    );
}

#[test]
fn plan_needs_no_state_directory_but_apply_says_where_to_keep_the_journal() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("p.yaml", GROUPS_ONLY)]);
    let bare = |cmd: &str| {
        let mut c = sb.cmd();
        c.env_remove("XDG_STATE_HOME")
            .env_remove("HOME")
            .env_remove("LOCALAPPDATA")
            .args([cmd, "--policies", path_str(dir.path())]);
        if cmd == "apply" {
            c.arg("--auto-approve");
        }
        c.output().expect("binary runs")
    };
    let out = bare("plan");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = bare("apply");
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--journal"), "{err}");
}
