//! Role and license writes (`settings.writes`), journaled clear-then-set, and group removals
//! through `user-groups`, through the real binary against the sandbox.

use std::collections::BTreeSet;

use crate::common::*;
use coupa_access_core::compact::{IdSet, LicenseSet};
use coupa_access_core::model::{License, Live};
use coupa_access_sandbox::Faults;

/// alice: User(2) → Buyer(3) (User removed: clear-then-set); bob gains Buyer and User; carol
/// gains User. expense moves from alice to bob; carol gains sourcing.
const POLICY: &str = "\
settings:
  writes: [groups, roles, licenses]
groups:
  AP Clerks:
    members: [alice, carol]
roles:
  Buyer:
    members: [alice, bob]
  User:
    members: [bob, carol]
licenses:
  expense: { members: [bob] }
  sourcing: { members: [carol] }
";

fn run(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.output().expect("binary runs")
}

fn apply(
    sb: &TestSandbox,
    policies: &tempfile::TempDir,
    journal: &std::path::Path,
) -> std::process::Output {
    sb.run_journaled(&["apply", "--auto-approve"], policies.path(), journal)
}

fn plan_exit(sb: &TestSandbox, policies: &tempfile::TempDir) -> (Option<i32>, String) {
    let out = run(sb.cmd().args([
        "plan",
        "--policies",
        path_str(policies.path()),
        "--detailed-exitcode",
    ]));
    (out.status.code(), stdout_of(&out))
}

fn licenses_of(live: &Live, id: u64) -> BTreeSet<License> {
    live.users
        .iter()
        .find(|u| u.id == id)
        .unwrap()
        .licenses
        .iter()
        .copied()
        .collect()
}

fn assert_small_policy_holds(live: &Live) {
    assert_eq!(roles_of(live, 1), [3].into(), "alice: Buyer only");
    assert_eq!(roles_of(live, 2), [2, 3].into(), "bob: User and Buyer");
    assert_eq!(roles_of(live, 3), [2].into(), "carol: User");
    assert!(!licenses_of(live, 1).contains(&License::Expense));
    assert!(licenses_of(live, 2).contains(&License::Expense));
    assert!(licenses_of(live, 3).contains(&License::Sourcing));
}

#[test]
fn plan_shows_clear_then_set_and_apply_converges_to_exit_0() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = policies(&[("p.yaml", POLICY)]);
    let journal = journal_file();

    let (code, text) = plan_exit(&sb, &dir);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("alice: roles cleared and set again: User removed, Buyer added"),
        "{text}"
    );
    assert!(!text.contains("reported only, not applied"), "{text}");

    let out = apply(&sb, &dir, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("ok       remove alice from role User (verified)"),
        "{err}"
    );
    assert!(
        err.contains("ok       add bob to license expense (verified)"),
        "{err}"
    );
    assert_small_policy_holds(&sb.sandbox.live());
    assert!(
        !journal.exists(),
        "the journal is removed once every set is verified"
    );

    let (code, text) = plan_exit(&sb, &dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("No changes"), "{text}");
}

#[test]
fn without_settings_writes_roles_and_licenses_stay_reported_only() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let policy = POLICY.replace(
        "  writes: [groups, roles, licenses]\n",
        "  protected_users: []\n",
    );
    let dir = policies(&[("p.yaml", &policy)]);
    let work = tempfile::tempdir().unwrap();
    let out = apply(&sb, &dir, &work.path().join("j.json"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let live = sb.sandbox.live();
    assert_eq!(roles_of(&live, 1), [2].into(), "roles untouched");
    assert!(
        licenses_of(&live, 1).contains(&License::Expense),
        "licenses untouched"
    );
    // Only group changes were applied; the rest is still planned, but does not count.
    let (code, text) = plan_exit(&sb, &dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("(reported only, not applied)"), "{text}");
}

#[test]
fn a_failure_between_clear_and_set_restores_the_roles_and_the_next_run_converges() {
    // Every attempt at the set fails (1 + the client's 6 resends of an unconfirmed update);
    // the restore that follows goes through.
    let faults = Faults {
        fail_set_after_clear: 7,
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults);
    let dir = policies(&[("p.yaml", POLICY)]);
    let journal = journal_file();

    let out = apply(&sb, &dir, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FAILED   remove alice from role User"),
        "{err}"
    );
    assert!(err.contains("the roles held before were restored"), "{err}");
    let live = sb.sandbox.live();
    // Restored: what alice held right before the clear (User), never nothing.
    assert_eq!(roles_of(&live, 1), [2].into());
    assert!(!journal.exists(), "a restored entry leaves no journal");
    assert!(live
        .users
        .iter()
        .filter(|u| u.id <= 3)
        .all(|u| !u.roles.is_empty()));
    // The other users' changes were made; the next run removes alice's User role.
    let out = apply(&sb, &dir, &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_small_policy_holds(&sb.sandbox.live());
    assert_eq!(plan_exit(&sb, &dir).0, Some(0));
}

#[test]
fn under_20_percent_write_failures_apply_converges_exactly_and_nobody_is_roleless() {
    let live = generated_tenant(60);
    let faults = Faults {
        write_error_rate: 0.2,
        seed: 13,
        ..Faults::default()
    };
    let sb = TestSandbox::start_config(
        live.clone(),
        coupa_access_sandbox::SandboxConfig {
            rate_per_second: 1e6,
            burst: 100_000,
            ..sandbox_config(faults)
        },
    );
    let login = |id: u64| format!("user{id:05}");
    let list = |f: &dyn Fn(u64) -> bool| {
        (1..=60u64)
            .filter(|id| f(*id))
            .map(login)
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Role 1 (id 2) authoritative over even users; Role 4 (id 5) added to everyone, so no one
    // can end roleless; expense authoritative over every third user.
    let policy = format!(
        "settings:\n  writes: [groups, roles, licenses]\nroles:\n  Role 1:\n    members: [{}]\n  Role 4:\n    mode: additive\n    members: [{}]\nlicenses:\n  expense:\n    members: [{}]\n",
        list(&|id| id % 2 == 0),
        list(&|_| true),
        list(&|id| id % 3 == 0),
    );
    let dir = policies(&[("p.yaml", &policy)]);
    let journal = journal_file();
    let out = apply(&sb, &dir, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        sb.sandbox
            .request_counts()
            .get("fault")
            .copied()
            .unwrap_or(0)
            > 5,
        "faults were injected"
    );

    let now = sb.sandbox.live();
    for u in &now.users {
        assert!(!u.roles.is_empty(), "{} is roleless", u.login);
        assert_eq!(u.roles.contains(&2), u.id % 2 == 0, "{} Role 1", u.login);
        assert!(u.roles.contains(&5), "{} Role 4", u.login);
        assert_eq!(
            u.licenses.contains(&License::Expense),
            u.id % 3 == 0,
            "{} expense",
            u.login
        );
        // Roles the policy does not manage are as they were.
        let was = live.users.iter().find(|w| w.id == u.id).unwrap();
        let unmanaged = |r: &IdSet| {
            r.iter()
                .filter(|id| ![2, 5].contains(*id))
                .copied()
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(unmanaged(&u.roles), unmanaged(&was.roles), "{}", u.login);
        let other = |l: &LicenseSet| {
            l.iter()
                .filter(|l| **l != License::Expense)
                .copied()
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(other(&u.licenses), other(&was.licenses), "{}", u.login);
    }
    assert!(!journal.exists());
    assert_eq!(plan_exit(&sb, &dir).0, Some(0));
}

#[test]
fn a_license_coupa_keeps_is_reported_as_kept_not_retried() {
    let mut live = tenant();
    live.users[1].licenses.insert(License::Purchasing);
    let sb = TestSandbox::start(live, Faults::default());
    let policy = "settings:\n  writes: [licenses]\nlicenses:\n  purchasing: { members: [] }\n";
    let dir = policies(&[("p.yaml", policy)]);
    let work = tempfile::tempdir().unwrap();
    let out = apply(&sb, &dir, &work.path().join("j.json"));
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("KEPT     remove bob from license purchasing"),
        "{err}"
    );
    assert!(err.contains("1 kept by Coupa"), "{err}");
    assert_eq!(
        sb.sandbox
            .request_counts()
            .get("PUT /api/users/:id")
            .copied(),
        Some(1),
        "one update, not retried: {:?}",
        sb.sandbox.request_counts()
    );
}

#[test]
fn group_removals_converge_on_a_tenant_that_refuses_delete() {
    let policy = "\
settings:
  group_removals: user_groups
groups:
  AP Clerks:
    members: [carol]
  Buyers:
    members: []
";
    // Chosen in settings: no DELETE is sent at all.
    let faults = Faults {
        delete_disabled: true,
        ..Faults::default()
    };
    let sb = TestSandbox::start(tenant(), faults.clone());
    let dir = policies(&[("p.yaml", policy)]);
    let journal = journal_file();
    let (code, text) = plan_exit(&sb, &dir);
    assert_eq!(code, Some(2));
    assert!(
        text.contains("Group removals go through each user's user-groups"),
        "{text}"
    );
    let out = apply(&sb, &dir, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let pairs = sb.membership_pairs();
    assert_eq!(
        pairs,
        [(10, 3), (12, 4)].into(),
        "AP Clerks is carol, Buyers is empty, Approvers untouched"
    );
    assert!(!sb
        .sandbox
        .request_counts()
        .contains_key("DELETE /api/user_group_memberships/:id"));
    assert_eq!(plan_exit(&sb, &dir).0, Some(0));
    assert!(!journal.exists());

    // Automatic: a policy that updates users anyway falls back after the first refusal.
    let sb = TestSandbox::start(tenant(), faults);
    let policy = "\
settings:
  writes: [groups, licenses]
groups:
  AP Clerks:
    members: [carol]
licenses:
  expense: { members: [alice] }
";
    let dir = policies(&[("p.yaml", policy)]);
    let out = apply(&sb, &dir, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("so the removals went through each user's user-groups instead"),
        "{err}"
    );
    assert!(!sb.membership_pairs().contains(&(10, 1)) && !sb.membership_pairs().contains(&(10, 2)));
    assert!(sb.membership_pairs().contains(&(10, 3)));
    assert_eq!(plan_exit(&sb, &dir).0, Some(0));
}
