//! Group owners, the default removal guard and role reads, through the real binary against the
//! sandbox.

use crate::common::*;
use coupa_access_core::model::Live;
use coupa_access_sandbox::{sample_tenant, Faults, SandboxConfig};

fn run(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.output().expect("binary runs")
}

fn login_of(live: &Live, id: u64) -> String {
    live.users
        .iter()
        .find(|u| u.id == id)
        .map(|u| u.login.clone())
        .expect("user in the sample tenant")
}

#[test]
fn the_sample_tenants_owner_of_buyers_is_kept_by_plan_and_apply() {
    let tenant = sample_tenant();
    let owner = login_of(&tenant, 1017);
    let other = login_of(&tenant, 1018);
    assert!(tenant
        .memberships
        .iter()
        .any(|m| (m.group_id, m.user_id, m.owner) == (107, 1017, true)));
    let sb = TestSandbox::start(tenant, Faults::default());
    // Buyers (107) holds alice, frank, 1017 (the owner), 1018 and 1019; only two are listed.
    let dir = policies(&[(
        "g.yaml",
        "groups:\n  Buyers:\n    members: [alice, frank]\n",
    )]);
    let p = path_str(dir.path());

    let out = run(sb.cmd().args(["plan", "--policies", p]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    let warning = format!(
        "kept owner {owner} in group \"Buyers\": group owners are removed only when the group sets remove_owners: true"
    );
    assert!(text.contains(&warning), "{text}");
    assert!(text.contains(&format!("- {other}")), "{text}");
    assert!(!text.contains(&format!("- {owner}")), "{text}");
    assert!(text.contains("Plan: 0 to add, 2 to remove"), "{text}");

    let out = run(sb.cmd().args(["apply", "--policies", p, "--auto-approve"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let pairs = sb.membership_pairs();
    assert!(
        pairs.contains(&(107, 1017)),
        "the owner's membership is still there"
    );
    assert!(
        !pairs.contains(&(107, 1018)) && !pairs.contains(&(107, 1019)),
        "apply ran"
    );

    // With the opt-in, the owner goes too.
    let opt_in = policies(&[(
        "g.yaml",
        "groups:\n  Buyers:\n    members: [alice, frank]\n    remove_owners: true\n",
    )]);
    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        path_str(opt_in.path()),
        "--auto-approve",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!sb.membership_pairs().contains(&(107, 1017)));
}

/// `tenant()` with ten more members in Approvers (12): 11 members.
fn big_approvers() -> Live {
    let mut live = tenant();
    for i in 0..10u64 {
        let id = 100 + i;
        let login = format!("temp{i}");
        live.users
            .push(user(id, &login, &format!("{login}@acme.com"), true));
        live.memberships.push(coupa_access_core::model::Membership {
            id: 1000 + i,
            user_id: id,
            group_id: 12,
            created_at: None,
            owner: false,
            participant: None,
        });
    }
    live
}

#[test]
fn apply_refuses_under_the_default_guard_and_writes_nothing() {
    let sb = TestSandbox::start(big_approvers(), Faults::default());
    let before = sb.membership_pairs();
    let dir = policies(&[("g.yaml", "groups:\n  Approvers:\n    members: [dave]\n")]);
    let p = path_str(dir.path());

    let out = run(sb.cmd().args(["plan", "--policies", p]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("the default removal guard (no settings.max_removals)"),
        "{text}"
    );

    let out = run(sb.cmd().args(["apply", "--policies", p, "--auto-approve"]));
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("the default removal guard (no settings.max_removals) tripped"),
        "{err}"
    );
    assert!(err.contains("--allow-removals 10"), "{err}");
    assert_eq!(sb.membership_pairs(), before, "nothing written");

    // The exact count lifts it.
    let out = run(sb.cmd().args([
        "apply",
        "--policies",
        p,
        "--auto-approve",
        "--allow-removals",
        "10",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sb.membership_pairs().len(), before.len() - 10);
}

#[test]
fn roles_are_read_only_when_the_policy_declares_one() {
    let config = SandboxConfig {
        scopes: vec!["core.user.read".into(), "core.user_group.read".into()],
        ..SandboxConfig::default()
    };
    let sb = TestSandbox::start_config(tenant(), config);

    let groups = policies(&[(
        "g.yaml",
        "groups:\n  Buyers:\n    members: [carol, dave, integration-bot]\n",
    )]);
    let out = run(sb
        .cmd()
        .args(["plan", "--policies", path_str(groups.path())]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("dave"), "{}", stdout_of(&out));

    let with_role = policies(&[(
        "r.yaml",
        "groups:\n  Buyers:\n    members: [carol]\nusers:\n  alice: { roles: [Buyer] }\n",
    )]);
    let out = run(sb
        .cmd()
        .args(["plan", "--policies", path_str(with_role.path())]));
    assert_eq!(out.status.code(), Some(1), "{}", stdout_of(&out));
    let err = stderr_of(&out);
    assert!(err.contains("core.common.read"), "{err}");
}
