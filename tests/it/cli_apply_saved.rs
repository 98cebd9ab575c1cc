//! A saved plan carries no authority of its own: `apply PLAN.json` plans again from the policy
//! files and live Coupa and refuses, writing nothing, unless the file is exactly that plan.
//! One test per way a plan file can be tampered with, and the untouched file applies.

use serde_json::{json, Value};

use crate::common::*;
use coupa_access_sandbox::Faults;

/// Adds carol to AP Clerks (10, 3) and removes bob from it (10, 2); integration-bot (5) is
/// protected, so it stays in Buyers (11).
const POLICY: &str = "\
groups:
  AP Clerks:
    members: [alice@acme.com, carol@acme.com]
  Buyers:
    members: [carol]
settings:
  protected_users: [integration-bot]
  max_removals: { total: 5 }
";

struct Saved {
    sb: TestSandbox,
    dir: tempfile::TempDir,
    _plan_dir: tempfile::TempDir,
    plan_file: std::path::PathBuf,
    json: Value,
}

/// A sandbox on the small tenant, the policy folder, and the plan `plan --out` saved.
fn saved_plan() -> Saved {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("groups.yaml", POLICY)]);
    let plan_dir = tempfile::tempdir().unwrap();
    let plan_file = plan_dir.path().join("plan.json");
    let out = sb
        .cmd()
        .args(["plan", "--policies", path_str(dir.path())])
        .args(["--out", path_str(&plan_file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    Saved {
        sb,
        dir,
        _plan_dir: plan_dir,
        plan_file,
        json,
    }
}

impl Saved {
    /// Writes `json` as the plan file and applies it with the same policy folder.
    fn apply(&self, json: &Value) -> std::process::Output {
        std::fs::write(&self.plan_file, serde_json::to_string_pretty(json).unwrap()).unwrap();
        self.sb
            .cmd()
            .env("COLUMNS", "400")
            .args(["apply", path_str(&self.plan_file), "--auto-approve"])
            .args(["--policies", path_str(self.dir.path())])
            .output()
            .unwrap()
    }

    /// Applies `json` and checks it is refused with exit 1, nothing written; returns stderr.
    fn refused(&self, json: &Value) -> String {
        let out = self.apply(json);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(self.sb.sandbox.live(), tenant(), "nothing written: {err}");
        err
    }

    /// The index of the change that does `action` for `user`.
    fn change(&self, action: &str, user: &str) -> usize {
        self.json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["action"] == action && c["user"] == user)
            .unwrap_or_else(|| panic!("the plan has no {action} of {user}: {}", self.json))
    }
}

#[test]
fn an_untouched_saved_plan_applies() {
    let s = saved_plan();
    let out = s.apply(&s.json);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("2 of 2 changes applied and verified"));
    let pairs = s.sb.membership_pairs();
    assert!(pairs.contains(&(10, 3)) && !pairs.contains(&(10, 2)) && pairs.contains(&(11, 5)));
}

#[test]
fn an_edited_user_id_is_refused_and_named() {
    let s = saved_plan();
    let mut json = s.json.clone();
    // The report would still say carol; the write would add dave.
    json["changes"][s.change("add", "carol")]["user_id"] = json!(4);
    let err = s.refused(&json);
    assert!(
        err.contains("in the plan file, not in a fresh plan: add carol (user id 4)"),
        "{err}"
    );
    assert!(
        err.contains("in a fresh plan, not in the plan file: add carol (user id 3)"),
        "{err}"
    );
    // The binary names the command that makes the plan to review instead.
    assert!(
        err.contains("Review a fresh `coupa-access plan` of the reviewed commit and apply that"),
        "{err}"
    );
}

#[test]
fn a_forged_precondition_for_an_unmanaged_group_is_refused() {
    let s = saved_plan();
    let mut json = s.json.clone();
    json["changes"].as_array_mut().unwrap().push(json!({
        "action": "add", "kind": "group", "target": "Approvers", "target_id": 12,
        "user": "alice", "user_id": 1, "applies": true
    }));
    json["summary"]["add"] = json!(2);
    json["preconditions"]["groups"]["Approvers"] = json!({
        "group_id": 12,
        "members_fingerprint": coupa_access_core::plan::fingerprint([4]),
        "members": ["dave"]
    });
    let err = s.refused(&json);
    assert!(
        err.contains("not in a fresh plan: add alice (user id 1) to group \"Approvers\" (id 12)"),
        "{err}"
    );
    assert!(
        err.contains("records group Approvers (id 12), which a fresh plan does not touch"),
        "{err}"
    );
}

#[test]
fn emptied_protected_users_are_refused() {
    let s = saved_plan();
    let mut json = s.json.clone();
    json["preconditions"]
        .as_object_mut()
        .unwrap()
        .remove("protected_user_ids");
    json["changes"].as_array_mut().unwrap().push(json!({
        "action": "remove", "kind": "group", "target": "Buyers", "target_id": 11,
        "user": "integration-bot", "user_id": 5, "applies": true, "membership_id": 103
    }));
    json["summary"]["remove"] = json!(2);
    // Buyers has no change in the real plan, so its live members are forged too.
    json["preconditions"]["groups"]["Buyers"] = json!({
        "group_id": 11,
        "members_fingerprint": coupa_access_core::plan::fingerprint([3, 5]),
        "members": ["carol", "integration-bot"]
    });
    let err = s.refused(&json);
    // Plain sentences naming the people, never Rust's `[5]` list text.
    assert!(
        err.contains(
            "the plan file protects no users; the policy files protect integration-bot (user id 5)"
        ),
        "{err}"
    );
    assert_no_debug_text(&err);
    assert!(
        err.contains("not in a fresh plan: remove integration-bot (user id 5)"),
        "{err}"
    );

    // Emptying the list alone is refused too.
    let mut json = s.json.clone();
    json["preconditions"]["protected_user_ids"] = json!([]);
    let err = s.refused(&json);
    assert!(
        err.contains("the policy files protect integration-bot (user id 5)"),
        "{err}"
    );
    assert_no_debug_text(&err);
}

#[test]
fn a_removed_removal_guard_is_refused() {
    let s = saved_plan();
    let mut json = s.json.clone();
    json["preconditions"]
        .as_object_mut()
        .unwrap()
        .remove("max_removals");
    let err = s.refused(&json);
    // The guards in words, never `MaxRemovals { total: Some(5), .. }`.
    assert!(
        err.contains(
            "the plan file records removal guards of at most 25% of a group's members \
             (or 3 members, whichever is more), the default removal guard (no \
             settings.max_removals); the policy files set at most 5 removals in all"
        ),
        "{err}"
    );
    assert_no_debug_text(&err);
}

/// Rust's `Debug` text has no place in a message: `Some(..)`, `None`, struct braces, `[..]`
/// lists of ids.
fn assert_no_debug_text(err: &str) {
    for debug in ["Some(", "None", "{ ", " }", "[]", "MaxRemovals", "BTreeSet"] {
        assert!(!err.contains(debug), "{debug:?} in: {err}");
    }
    let list = regex_lite_list(err);
    assert!(list.is_none(), "a [..] list in: {err}");
}

/// The first `[digits, …]` in `s`, if any.
fn regex_lite_list(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(i) = rest.find('[') {
        let tail = &rest[i + 1..];
        let end = tail.find(']')?;
        let inner = &tail[..end];
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
        {
            return Some(&rest[i..i + end + 2]);
        }
        rest = tail;
    }
    None
}

#[test]
fn an_edited_summary_is_refused() {
    let s = saved_plan();
    for (add, remove) in [(1, 0), (0, 0)] {
        let mut json = s.json.clone();
        json["summary"]["add"] = json!(add);
        json["summary"]["remove"] = json!(remove);
        let err = s.refused(&json);
        assert!(err.contains("summary does not count the changes"), "{err}");
        assert!(!err.contains("Nothing to apply"), "{err}");
    }
}

#[test]
fn a_plan_from_different_policy_files_is_refused() {
    let s = saved_plan();
    // Same changes, different files: a reworded comment is still not the reviewed commit.
    std::fs::write(
        s.dir.path().join("groups.yaml"),
        format!("# reworded\n{POLICY}"),
    )
    .unwrap();
    let err = s.refused(&s.json);
    assert!(
        err.contains("the plan was made from different policy files"),
        "{err}"
    );
    assert!(err.contains("apply the commit that was reviewed"), "{err}");
    assert!(!err.contains("not in a fresh plan"), "{err}");

    // An edited digest with the original files is refused the same way.
    std::fs::write(s.dir.path().join("groups.yaml"), POLICY).unwrap();
    let mut json = s.json.clone();
    json["policy_digest"] = json!(format!("sha256:{}", "0".repeat(64)));
    let err = s.refused(&json);
    assert!(
        err.contains("the plan was made from different policy files"),
        "{err}"
    );
}
