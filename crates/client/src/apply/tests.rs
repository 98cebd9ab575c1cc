//! Pure parts of apply the client keeps: the read-back decision and the report.

use std::collections::BTreeSet;

use super::execute::{WriteResult, Writes};
use super::verify::decide;
use super::Outcome;
use coupa_access_core::model::*;
use coupa_access_core::CliWords;

/// The binary spells these; the report copies them where its advice names one.
fn cli() -> CliWords {
    CliWords {
        plan: "PLAN-COMMAND".into(),
        drift: "DRIFT-COMMAND".into(),
        allow_removals: "ALLOW-REMOVALS".into(),
        changed_since: "CHANGED-SINCE".into(),
        format_json: "FORMAT-JSON".into(),
        out: "OUT".into(),
    }
}

const DOMAIN: &str = "https://acme.coupahost.com";

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

#[test]
fn read_back_decides_each_outcome() {
    let p = plan(vec![
        change(Action::Add, 1, true),    // written, present -> verified
        change(Action::Add, 2, true),    // written, absent -> failed
        change(Action::Remove, 3, true), // failed write, still present -> failed
        change(Action::Remove, 4, true), // failed write, but absent -> verified
        change(Action::Remove, 5, true), // skipped
        change(Action::Add, 6, false),   // reported only
    ]);
    let writes = Writes {
        results: vec![
            (0, WriteResult::Ok),
            (1, WriteResult::Ok),
            (2, WriteResult::Failed("boom".into())),
            (3, WriteResult::Failed("timeout".into())),
            (4, WriteResult::Skipped("refused".into())),
        ],
        delete_refused: None,
        ..Writes::default()
    };
    let present: BTreeSet<(u64, u64)> = [(10, 1), (10, 3), (10, 5)].into();
    let report = decide(&p, writes, &present, &BTreeSet::new(), DOMAIN);
    let outcomes: Vec<_> = report.results.iter().map(|r| r.outcome.clone()).collect();
    assert_eq!(outcomes[0], Outcome::Verified);
    assert!(matches!(outcomes[1], Outcome::Failed(_)));
    assert_eq!(outcomes[2], Outcome::Failed("boom".into()));
    assert_eq!(outcomes[3], Outcome::Verified);
    assert_eq!(outcomes[4], Outcome::Skipped("refused".into()));
    assert_eq!(outcomes[5], Outcome::ReportedOnly);
    assert_eq!(
        (report.verified(), report.failed(), report.skipped()),
        (2, 2, 1)
    );
    assert!(!report.is_success());
    let text = report.render(&cli());
    assert!(
        text.contains("2 of 5 changes applied and verified, 2 failed, 1 skipped"),
        "{text}"
    );
}

#[test]
fn an_unreadable_group_never_counts_as_verified() {
    let p = plan(vec![change(Action::Add, 1, true)]);
    let writes = Writes {
        results: vec![(0, WriteResult::Ok)],
        delete_refused: None,
        ..Writes::default()
    };
    let report = decide(&p, writes, &BTreeSet::new(), &[10].into(), DOMAIN);
    assert!(matches!(report.results[0].outcome, Outcome::Failed(_)));
}

#[test]
fn duplicate_memberships_are_each_deleted_once() {
    let mut first = change(Action::Remove, 2, true);
    first.membership_id = Some(301);
    let mut second = change(Action::Remove, 2, true);
    second.membership_id = Some(302);
    let mut gone = change(Action::Remove, 3, true);
    gone.membership_id = Some(400);
    let p = plan(vec![first, second, gone, change(Action::Add, 4, true)]);
    // Live now: bob twice as planned plus a third duplicate made since; user 3 already gone.
    let fresh = super::Fresh::from_memberships(&[
        Membership {
            id: 301,
            user_id: 2,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        },
        Membership {
            id: 302,
            user_id: 2,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        },
        Membership {
            id: 303,
            user_id: 2,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        },
    ]);
    let d = super::execute::assign_deletions(&p, &fresh);
    assert_eq!(d[&0], vec![301, 303]);
    assert_eq!(d[&1], vec![302]);
    assert_eq!(d[&2], Vec::<u64>::new());
    assert!(!d.contains_key(&3), "additions delete nothing");
}

/// A login or a reason holding escape sequences cannot redraw the report: a FAILED line stays
/// a FAILED line on the terminal.
#[test]
fn the_report_escapes_control_characters_from_coupa() {
    let mut c = change(Action::Add, 7, true);
    c.user = "eve\u{1b}[2K\r  ok       add eve".into();
    let report = super::ApplyReport {
        domain: "https://acme.coupahost.com".into(),
        results: vec![super::ChangeResult {
            change: c,
            outcome: Outcome::Failed("denied\u{1b}]0;owned\u{7}\u{202e}".into()),
        }],
        ..super::ApplyReport::default()
    };
    let text = report.render(&cli());
    assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{202e}'));
    assert!(text.contains("FAILED   add eve\\u{1b}[2K\\u{d}"), "{text}");
}

/// The summary after the read-back counts the changes apply was to write (`applies: true`)
/// and what became of each: reported-only rows are not counted, a role or license change the
/// user writes left without an outcome counts as not attempted (never vanishes), and the
/// outcomes add up to the total, kept ones included, interrupted or not.
#[test]
fn the_apply_summary_counts_the_applied_changes_and_their_outcomes() {
    let role = |action, user_id, applies| Change {
        target: ChangeTarget::Role {
            id: 4,
            name: "Buyer".into(),
        },
        ..change(action, user_id, applies)
    };
    let license = |user_id| Change {
        target: ChangeTarget::License(License::Contracts),
        ..change(Action::Remove, user_id, true)
    };
    let p = plan(vec![
        change(Action::Add, 1, true),    // group, verified
        change(Action::Remove, 2, true), // group, failed
        role(Action::Add, 3, true),      // role, verified by the user writes
        role(Action::Add, 4, true),      // role, no outcome from the user writes
        role(Action::Remove, 5, false),  // reported only
        role(Action::Add, 6, false),     // reported only
        license(7),                      // license, kept by Coupa
        change(Action::Add, 8, false),   // reported only (a group change not written)
    ]);
    let writes = Writes {
        results: vec![
            (0, WriteResult::Ok),
            (1, WriteResult::Failed("denied".into())),
        ],
        delete_refused: None,
        ..Writes::default()
    };
    let present: BTreeSet<(u64, u64)> = [(10, 1), (10, 2)].into();
    let mut report = decide(&p, writes, &present, &BTreeSet::new(), DOMAIN);
    // As `run` does with the user writes' outcomes.
    report.results[2].outcome = Outcome::Verified;
    report.results[6].outcome = Outcome::Kept("Coupa keeps contracts".into());
    assert_eq!(report.applied_changes(), 5);
    assert_eq!(
        (
            report.verified(),
            report.failed(),
            report.skipped(),
            report.kept()
        ),
        (2, 1, 1, 1)
    );
    let text = report.render(&cli());
    assert!(
        text.contains(
            "Apply: 2 of 5 changes applied and verified, 1 failed, 1 skipped, 1 kept by Coupa."
        ),
        "{text}"
    );
    assert!(
        text.contains("skipped  add u4 to role Buyer: not attempted"),
        "{text}"
    );
    report.interrupted = true;
    report.delete_refused = Some("405".into());
    let text = report.render(&cli());
    assert!(
        text.contains("Interrupted: 2 applied, 1 failed, 1 kept by Coupa, 1 not attempted."),
        "{text}"
    );
    // A tenant refusing DELETE: the advice names the scope that removing through the users
    // needs.
    assert!(
        text.contains("set settings.group_removals: user_groups in the policy and grant the OAuth2 client scope core.user.write"),
        "{text}"
    );
    // The commands it names are the binary's words.
    assert!(
        text.contains("then run `PLAN-COMMAND` to confirm"),
        "{text}"
    );
    assert!(
        text.contains("Run `PLAN-COMMAND` to see what is left"),
        "{text}"
    );
}
