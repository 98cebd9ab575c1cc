//! Separation of duties on a scoped live plan: the groups a rule names are read whoever holds
//! them, so a live plan and a snapshot plan of the same tenant give the same verdicts.

use crate::common::*;
use coupa_access_sandbox::{sample_tenant, Faults};

/// bob holds AP Clerks in the sample tenant; erin holds AP Clerks, AP Managers and role AP
/// Supervisor. The policy manages AP Managers only.
const RULE: &str = "rules:\n  separation_of_duties:\n    - name: AP entry vs AP approval\n      sides:\n        - groups: [AP Clerks]\n        - { groups: [AP Managers], roles: [AP Supervisor] }\n";

fn verdict(out: &std::process::Output) -> (Option<i32>, Vec<String>) {
    let text = format!("{}{}", stdout_of(out), stderr_of(out));
    let lines = text
        .lines()
        .filter(|l| l.contains("conflict under rule") || l.contains("would hold"))
        .map(|l| l.trim().to_string())
        .collect();
    (out.status.code(), lines)
}

#[test]
fn scoped_live_and_snapshot_plans_agree_on_every_verdict() {
    let sb = TestSandbox::start(sample_tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out", path_str(&snap)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for (policy, refused) in [
        // bob gains AP Managers: refused.
        (
            format!("groups:\n  AP Managers:\n    mode: additive\n    members: [bob]\n{RULE}"),
            true,
        ),
        // The same under an exception, and erin's existing conflict: warnings.
        (
            format!("groups:\n  AP Managers:\n    mode: additive\n    members: [bob]\n{RULE}      exceptions:\n        - {{ user: bob, until: 2099-12-31, ticket: SOX-7 }}\n"),
            false,
        ),
    ] {
        let pol = policies(&[("p.yaml", &policy)]);
        let live = sb
            .cmd()
            .args(["plan", "--policies", path_str(pol.path())])
            .output()
            .unwrap();
        let offline = bin()
            .args(["plan", "--snapshot", path_str(&snap), "--policies", path_str(pol.path())])
            .output()
            .unwrap();
        let (live, offline) = (verdict(&live), verdict(&offline));
        assert_eq!(live, offline);
        assert_eq!(live.0, Some(if refused { 1 } else { 0 }), "{live:?}");
        assert!(
            live.1.iter().any(|l| l.contains("bob would hold")),
            "{live:?}"
        );
        if !refused {
            assert!(live.1.iter().any(|l| l.contains("erin already holds")), "{live:?}");
        }
    }
}

/// The holdings read costs the membership pages of the groups a rule names that the policy
/// does not manage (and their members' user records): measured against the same plan without
/// the rule.
#[test]
fn a_rule_costs_only_its_groups_memberships_in_requests() {
    let count = |policy: &str| {
        let sb = TestSandbox::start(sample_tenant(), Faults::default());
        let pol = policies(&[("p.yaml", policy)]);
        let before = sb.sandbox.total_api_requests();
        let out = sb
            .cmd()
            .args(["plan", "--policies", path_str(pol.path())])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        sb.sandbox.total_api_requests() - before
    };
    let base = "groups:\n  AP Managers:\n    mode: additive\n    members: [daniela.johansson]\n";
    let without = count(base);
    let with = count(&format!("{base}{RULE}"));
    eprintln!("scoped plan requests: {without} without the rule, {with} with it");
    assert!(
        with >= without && with - without <= 4,
        "{without} -> {with}"
    );
}
