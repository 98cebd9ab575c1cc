//! The apply preparation's pure checks: a plan alone (its instance, its preconditions, its
//! protected users) and a saved plan against the fresh plan.

use super::*;
use crate::model::*;

fn change(action: Action, user_id: u64, applies: bool) -> Change {
    let (id, name) = (10, "AP Clerks".to_string());
    Change {
        action,
        target: if applies {
            ChangeTarget::Group { id, name }
        } else {
            ChangeTarget::Role { id, name }
        },
        user: format!("u{user_id}"),
        user_id,
        applies,
        membership_id: None,
        privileged: false,
        expired: None,
    }
}

fn plan(changes: Vec<Change>) -> Plan {
    let mut pre = Preconditions::default();
    pre.groups.insert(
        "AP Clerks".into(),
        GroupPrecondition {
            group_id: 10,
            members_fingerprint: "sha256:x".into(),
            members: vec![],
        },
    );
    Plan {
        tool_version: "0".into(),
        origin: Origin::Instance {
            domain: "https://acme.coupahost.com".into(),
        },
        generated_at: time::DateTime::UNIX_EPOCH,
        policy_digest: String::new(),
        changes,
        summary: Summary::default(),
        warnings: vec![],
        preconditions: pre,
        restores: Vec::new(),
        scope: None,
        acknowledged: Vec::new(),
    }
}

const DOMAIN: &str = "https://acme.coupahost.com";

#[test]
fn static_checks_refuse_other_instances_snapshots_and_protected_removals() {
    let p = plan(vec![change(Action::Remove, 2, true)]);
    assert!(check_static(&p, "https://ACME.coupahost.com").is_ok());
    assert!(matches!(
        check_static(&p, "https://other.coupahost.com"),
        Err(PlanRefused::WrongInstance { .. })
    ));
    let mut snapshot = p.clone();
    snapshot.origin = Origin::Snapshot {
        path: "tenant.json".into(),
        domain: Some(DOMAIN.into()),
        taken_at: None,
    };
    let err = check_static(&snapshot, DOMAIN).unwrap_err();
    assert!(matches!(err, PlanRefused::NotFromInstance { .. }));
    assert!(
        err.to_string().starts_with(
            "this plan was made from snapshot tenant.json (of https://acme.coupahost.com)"
        ),
        "{err}"
    );
    let mut role_applied = p.clone();
    role_applied.changes[0].target = ChangeTarget::Role {
        id: 10,
        name: "AP Clerks".into(),
    };
    assert!(matches!(
        check_static(&role_applied, DOMAIN),
        Err(PlanRefused::Malformed(_))
    ));
    // A role removal is written only with the user's recorded roles to clear and set again.
    role_applied.preconditions.role_rewrites.insert(
        "u2".into(),
        RoleRewrite {
            user_id: 2,
            role_ids: vec![10],
            roles: vec!["AP Clerks".into()],
        },
    );
    assert!(check_static(&role_applied, DOMAIN).is_ok());
    let mut compared = role_applied.clone();
    compared
        .preconditions
        .role_rewrites
        .get_mut("u2")
        .unwrap()
        .role_ids = vec![10, 11];
    let m = compare(&role_applied, &compared, |_| None);
    assert!(
        m.other
            .iter()
            .any(|o| o.starts_with("the plan file records u2 (user id 2) holding roles")),
        "{m:?}"
    );
    let mut through = role_applied.clone();
    through.preconditions.group_removals = GroupRemovals::UserGroups;
    assert!(!compare(&role_applied, &through, |_| None).is_empty());
    let mut protected = p.clone();
    protected.preconditions.protected_user_ids = vec![2];
    assert!(matches!(
        check_static(&protected, DOMAIN),
        Err(PlanRefused::RemovesProtected { .. })
    ));
    let mut unbacked = p.clone();
    unbacked.preconditions.groups.clear();
    assert!(matches!(
        check_static(&unbacked, DOMAIN),
        Err(PlanRefused::Malformed(_))
    ));
}

/// Every difference a saved plan can have reads as a sentence with names: no `Some(..)`,
/// struct or `[..]` list text from Rust's `Debug`, and names from the file cannot redraw the
/// terminal.
#[test]
fn a_plan_mismatch_reads_as_sentences_without_debug_text() {
    let mut saved = plan(vec![change(Action::Add, 1, true)]);
    saved.policy_digest = "sha256:aaa".into();
    saved.preconditions.max_removals = MaxRemovals {
        total: Some(5),
        ..MaxRemovals::NONE
    };
    saved.preconditions.role_rewrites.insert(
        "u2".into(),
        RoleRewrite {
            user_id: 2,
            role_ids: vec![],
            roles: vec![],
        },
    );
    saved.changes[0].user = "eve\u{1b}\u{7}".into();
    let mut fresh = plan(vec![change(Action::Add, 3, true)]);
    fresh.policy_digest = "sha256:bbb".into();
    fresh.preconditions.max_removals = MaxRemovals::DEFAULT_GUARD;
    fresh.preconditions.protected_user_ids = vec![7, 5];
    fresh.preconditions.role_rewrites.insert(
        "u2".into(),
        RoleRewrite {
            user_id: 2,
            role_ids: vec![10, 11],
            roles: vec!["Buyer".into(), "User".into()],
        },
    );
    fresh.preconditions.group_removals = GroupRemovals::UserGroups;
    fresh.summary.add = 1;
    let names = |id: u64| (id == 5).then(|| "integration-bot".to_string());
    let m = compare(&saved, &fresh, names);
    let text = m.to_string();
    for debug in [
        "Some(",
        "None",
        "{ ",
        " }",
        "[",
        "]",
        "MaxRemovals",
        "\u{1b}",
        "\u{7}",
    ] {
        assert!(!text.contains(debug), "{debug:?} in:\n{text}");
    }
    for line in [
        "the plan file records removal guards of at most 5 removals in all; the policy files set at most 25% of a group's members (or 3 members, whichever is more), the default removal guard (no settings.max_removals)",
        "the plan file protects no users; the policy files protect integration-bot (user id 5), user id 7",
        "the plan file records u2 (user id 2) holding no roles; a fresh plan has u2 (user id 2) holding roles Buyer, User (role ids 10, 11)",
        "the plan file removes group members by",
        "in the plan file, not in a fresh plan: add eve\\u{1b}\\u{7} (user id 1)",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
}
