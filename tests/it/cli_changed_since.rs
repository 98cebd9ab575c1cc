//! `plan --changed-since REF` in a real temporary git repository against the sandbox: only the
//! targets whose meaning changed are planned (with their people), settings changes plan
//! everything, `auto` finds the pull or merge request base, errors are clear, and a saved
//! scoped plan applies only its own targets.

use std::path::Path;

use serde_json::Value;

use crate::common::*;
use coupa_access_core::model::Membership;
use coupa_access_sandbox::Faults;

/// The small tenant, with bob also in Approvers (12): a live conflict under `RULE`.
fn tenant_with_conflict() -> coupa_access_core::model::Live {
    let mut live = tenant();
    live.memberships.push(Membership {
        id: 105,
        user_id: 2,
        group_id: 12,
        created_at: None,
        owner: false,
        participant: None,
    });
    live
}

/// AP Clerks drifts (bob is not listed: a full plan removes him); Buyers and Approvers match.
const BASE: &str = "\
groups:
  AP Clerks:
    members: [alice]
  Buyers:
    members: [carol, integration-bot]
  Approvers:
    members: [dave, bob]
";

/// A git repository whose commit tagged `base` holds `base` as policies/groups.yaml, and whose
/// work tree holds `head`.
fn repo(base: &str, head: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir(p.join("policies")).unwrap();
    std::fs::write(p.join("policies/groups.yaml"), base).unwrap();
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "base"]);
    git(p, &["tag", "base"]);
    std::fs::write(p.join("policies/groups.yaml"), head).unwrap();
    dir
}

/// `coupa-access plan --policies policies ARGS` in `dir` (no CI variables are inherited).
fn plan_in(sb: &TestSandbox, dir: &Path, args: &[&str]) -> std::process::Output {
    sb.cmd()
        .current_dir(dir)
        .args(["plan", "--policies", "policies"])
        .args(args)
        .output()
        .unwrap()
}

fn json_plan(sb: &TestSandbox, dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = plan_in(sb, dir, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    serde_json::from_str(&stdout_of(&out)).unwrap()
}

/// `- group AP Clerks bob` per change.
fn lines(plan: &Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let sign = if c["action"] == "add" { "+" } else { "-" };
            format!(
                "{sign} {} {} {}",
                c["kind"].as_str().unwrap(),
                c["target"].as_str().unwrap(),
                c["user"].as_str().unwrap()
            )
        })
        .collect()
}

fn scope_targets(plan: &Value) -> Vec<String> {
    plan["scope"]["targets"]
        .as_array()
        .expect("a scoped plan lists its targets")
        .iter()
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_change_to_one_group_plans_only_that_group_and_its_people() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = BASE.replace("[carol, integration-bot]", "[carol, integration-bot, dave]");
    let dir = repo(BASE, &head);
    let full = json_plan(&sb, dir.path(), &[]);
    assert_eq!(
        lines(&full),
        ["- group AP Clerks bob", "+ group Buyers dave"],
        "the full plan shows the drift too"
    );
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert_eq!(lines(&plan), ["+ group Buyers dave"]);
    assert_eq!(plan["format_version"], 3);
    assert_eq!(plan["scope"]["changed_since"], "base");
    assert_eq!(plan["scope"]["managed"], 3);
    assert_eq!(
        plan["scope"]["commit"].as_str().unwrap(),
        git(dir.path(), &["rev-parse", "base"])
    );
    assert_eq!(scope_targets(&plan), ["Buyers"]);
    // Only the touched group's live members are recorded for stale detection.
    let pre = plan["preconditions"]["groups"].as_object().unwrap();
    assert_eq!(pre.keys().collect::<Vec<_>>(), ["Buyers"]);
    // The same pull request with nothing but moved lines and spelling: nothing to plan.
    let moved = "groups:\n  Approvers: { members: [DAVE, bob@acme.com] }\n  buyers:\n    members:\n      - carol\n      - integration-bot\n  AP Clerks: { members: [alice] }\n";
    let dir = repo(BASE, moved);
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert!(lines(&plan).is_empty(), "{plan}");
    assert!(scope_targets(&plan).is_empty());
}

#[test]
fn the_text_and_markdown_plans_say_what_was_planned_and_what_is_not_shown() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = BASE.replace("[carol, integration-bot]", "[carol, integration-bot, dave]");
    let dir = repo(BASE, &head);
    let commit = git(dir.path(), &["rev-parse", "base"]);
    let out = plan_in(&sb, dir.path(), &["--changed-since", "base"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let expected = format!(
        "Planned 1 of 3 managed targets: those whose meaning changed since base ({}). \
         Drift elsewhere is not shown: run `coupa-access drift` or a full `coupa-access plan`.\n  group \"Buyers\"\n",
        &commit[..8]
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        !text.contains("bob"),
        "AP Clerks' drift is not shown: {text}"
    );
    let out = plan_in(
        &sb,
        dir.path(),
        &["--changed-since", "base", "--format", "markdown"],
    );
    let md = stdout_of(&out);
    assert!(
        md.contains("> [!NOTE]\n> Planned 1 of 3 managed targets"),
        "{md}"
    );
    assert!(
        md.contains(
            "Drift elsewhere is not shown: run `coupa-access drift` or a full `coupa-access plan`."
        ),
        "{md}"
    );
    assert!(md.contains("Buyers"), "{md}");
}

#[test]
fn a_change_to_settings_plans_everything() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = format!("{BASE}settings:\n  protected_users: [integration-bot]\n");
    let dir = repo(BASE, &head);
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert_eq!(lines(&plan), ["- group AP Clerks bob"]);
    assert_eq!(plan["scope"]["every_target"], "settings_changed");
    assert!(plan["scope"].get("targets").is_none());
    let out = plan_in(&sb, dir.path(), &["--changed-since", "base"]);
    assert!(
        stdout_of(&out).contains("Planned all 3 managed targets (`--changed-since` base ("),
        "{}",
        stdout_of(&out)
    );
    assert!(stdout_of(&out).contains("settings that affect every target changed"));
}

#[test]
fn an_until_date_that_takes_effect_plans_the_people_it_affects() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let base = BASE.replace("[dave, bob]", "[dave, { user: bob, until: 2099-12-31 }]");
    // Ended: bob loses Approvers. AP Clerks' drift stays out of the plan.
    let ended = base.replace("2099-12-31", "2020-01-31");
    let dir = repo(&base, &ended);
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert_eq!(lines(&plan), ["- group Approvers bob"]);
    assert_eq!(plan["changes"][0]["expired"]["until"], "2020-01-31");
    assert_eq!(scope_targets(&plan), ["Approvers"]);
    // Moved, but still far ahead: nothing takes effect, nothing is planned.
    let later = base.replace("2099-12-31", "2099-06-30");
    let dir = repo(&base, &later);
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert!(scope_targets(&plan).is_empty(), "{plan}");
}

/// bob holds AP Clerks' side and Approvers' side; the exception allows it.
const RULE: &str = "\
rules:
  separation_of_duties:
    - name: Clerks vs approvers
      sides:
        - groups: [AP Clerks]
        - groups: [Approvers]
      exceptions:
        - { user: bob, until: 2099-12-31, ticket: SOX-1 }
";

#[test]
fn an_exception_change_plans_the_targets_of_its_rule() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    // bob listed in AP Clerks too, so the only drift is in Buyers (integration-bot not listed).
    let policy = BASE
        .replace("[alice]", "[alice, bob]")
        .replace("[carol, integration-bot]", "[carol]");
    let base = format!("{policy}{RULE}");
    let head = format!(
        "{policy}{}",
        RULE.replace(
            "      exceptions:\n        - { user: bob, until: 2099-12-31, ticket: SOX-1 }\n",
            ""
        )
    );
    let dir = repo(&base, &head);
    let plan = json_plan(&sb, dir.path(), &["--changed-since", "base"]);
    assert_eq!(scope_targets(&plan), ["AP Clerks", "Approvers"]);
    assert!(lines(&plan).is_empty(), "{plan}");
    let warnings = plan["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["code"] == "sod_conflict" && w["user"] == "bob"),
        "bob's conflict, no longer excepted, is shown: {plan}"
    );
    // Buyers' drift is not planned.
    assert!(!plan.to_string().contains("integration-bot"), "{plan}");
}

#[test]
fn unknown_refs_and_folders_outside_git_are_errors() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = repo(BASE, BASE);
    let out = plan_in(&sb, dir.path(), &["--changed-since", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("git ref `nope` is not a commit"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");
    // Never taken for a git option.
    let out = plan_in(&sb, dir.path(), &["--changed-since=--output=x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("is not a commit"),
        "{}",
        stderr_of(&out)
    );
    assert!(!dir.path().join("x").exists());
    let plain = policies(&[("groups.yaml", BASE)]);
    let out = sb
        .cmd()
        .current_dir(plain.path())
        .args(["plan", "--policies", ".", "--changed-since", "main"])
        .env("GIT_CEILING_DIRECTORIES", plain.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("is not in a git repository"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_policy_at_ref_that_does_not_load_plans_everything_with_a_warning() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let dir = repo("groups: [not, a, map]\n", BASE);
    let out = plan_in(
        &sb,
        dir.path(),
        &["--changed-since", "base", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("does not load"),
        "{}",
        stderr_of(&out)
    );
    let plan: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(plan["scope"]["every_target"], "base_unreadable");
    assert_eq!(lines(&plan), ["- group AP Clerks bob"]);
}

#[test]
fn auto_finds_the_pull_or_merge_request_base() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = BASE.replace("[carol, integration-bot]", "[carol, integration-bot, dave]");
    let dir = repo(BASE, &head);
    let p = dir.path();
    let base = git(p, &["rev-parse", "base"]);
    git(p, &["update-ref", "refs/remotes/origin/main", &base]);
    let auto = |vars: &[(&str, &str)]| {
        let mut cmd = sb.cmd();
        cmd.current_dir(p)
            .args(["plan", "--policies", "policies", "--format", "json"])
            .args(["--changed-since", "auto"]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        (
            serde_json::from_str::<Value>(&stdout_of(&out)).unwrap(),
            stderr_of(&out),
        )
    };
    let (github, _) = auto(&[("GITHUB_BASE_REF", "main")]);
    assert_eq!(github["scope"]["changed_since"], "origin/main");
    assert_eq!(github["scope"]["commit"], base.as_str());
    assert_eq!(scope_targets(&github), ["Buyers"]);
    let (gitlab, _) = auto(&[
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.as_str()),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
    ]);
    assert_eq!(gitlab["scope"]["commit"], base.as_str());
    assert_eq!(scope_targets(&gitlab), ["Buyers"]);
    // Not for a pull request (a push to main, a developer's shell): every target, said so.
    let (none, err) = auto(&[]);
    assert_eq!(none["scope"]["every_target"], "no_base");
    assert!(err.contains("planning every target"), "{err}");
    assert_eq!(
        lines(&none),
        ["- group AP Clerks bob", "+ group Buyers dave"]
    );
    // A base branch that was not fetched: the error says how to fetch it.
    let mut cmd = sb.cmd();
    let out = cmd
        .current_dir(p)
        .env("GITHUB_BASE_REF", "release")
        .args(["plan", "--policies", "policies", "--changed-since", "auto"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("`origin/release`"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_saved_scoped_plan_applies_only_its_targets_and_apply_without_one_converges_all() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = BASE.replace("[carol, integration-bot]", "[carol, integration-bot, dave]");
    let dir = repo(BASE, &head);
    let out = plan_in(
        &sb,
        dir.path(),
        &["--changed-since", "base", "--out", "plan.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let apply = |args: &[&str]| {
        sb.cmd()
            .current_dir(dir.path())
            .args(["apply", "--policies", "policies", "--auto-approve"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = apply(&["plan.json"]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "this plan covers 1 of 3 managed targets (planned with --changed-since base ("
        ),
        "{err}"
    );
    let pairs = sb.membership_pairs();
    assert!(pairs.contains(&(11, 4)), "dave added to Buyers");
    assert!(
        pairs.contains(&(10, 2)),
        "bob kept in AP Clerks: not in the plan"
    );
    // Without a plan file, apply converges everything main declares.
    let out = apply(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!sb.membership_pairs().contains(&(10, 2)), "bob removed");
}

#[test]
fn a_saved_scoped_plan_is_refused_when_its_scope_was_edited() {
    let sb = TestSandbox::start(tenant_with_conflict(), Faults::default());
    let head = BASE.replace("[carol, integration-bot]", "[carol, integration-bot, dave]");
    let dir = repo(BASE, &head);
    let out = plan_in(
        &sb,
        dir.path(),
        &["--changed-since", "base", "--out", "plan.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let file = dir.path().join("plan.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // Widened to AP Clerks too: the fresh plan then removes bob, which the file does not hold.
    json["scope"]["targets"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "kind": "group", "target": "AP Clerks" }));
    std::fs::write(&file, json.to_string()).unwrap();
    let out = sb
        .cmd()
        .current_dir(dir.path())
        .args([
            "apply",
            "plan.json",
            "--policies",
            "policies",
            "--auto-approve",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert_eq!(sb.sandbox.live(), tenant_with_conflict(), "nothing written");
}
