//! Clear-then-set never reports success for a loss, never clears a list it cannot see whole,
//! and finds the clear spelling the tenant honours. Through the real binary against the
//! sandbox's unfriendly options.

use std::collections::BTreeSet;

use crate::common::*;
use coupa_access_core::model::Live;
use coupa_access_sandbox::{ClearForm, Faults};

fn groups_of(sb: &TestSandbox, user: u64) -> BTreeSet<u64> {
    sb.membership_pairs()
        .into_iter()
        .filter(|(_, u)| *u == user)
        .map(|(g, _)| g)
        .collect()
}

fn apply(sb: &TestSandbox, policy: &str, journal: &std::path::Path) -> std::process::Output {
    let dir = policies(&[("p.yaml", policy)]);
    sb.run_journaled(&["apply", "--auto-approve"], dir.path(), journal)
}

fn plan_text(sb: &TestSandbox, policy: &str, journal: &std::path::Path) -> String {
    let dir = policies(&[("p.yaml", policy)]);
    let out = sb.run_journaled(&["plan"], dir.path(), journal);
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_of(&out)
}

/// alice holds User(2), Buyer(3) and Admin(1 — the only other holder is bob); the policy
/// removes Buyer from her.
fn three_roles() -> Live {
    let mut live = tenant();
    live.users[0].roles = [1, 2, 3].into();
    live.users[1].roles = [1].into();
    live
}

const REMOVE_BUYER: &str =
    "settings:\n  writes: [groups, roles]\nroles:\n  Buyer:\n    members: []\n";

#[test]
fn a_failed_set_and_restore_is_failed_names_what_is_missing_and_the_next_plan_restores() {
    // Every update after the clear is refused (422): the set, the restore and the give-back.
    let faults = Faults {
        fail_set_after_clear: 3,
        fail_set_after_clear_status: 422,
        ..Faults::default()
    };
    let sb = TestSandbox::start(three_roles(), faults);
    let journal = journal_file();
    let out = apply(&sb, REMOVE_BUYER, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FAILED   remove alice from role Buyer"),
        "{err}"
    );
    assert!(
        !err.contains("(verified)"),
        "a loss is never verified: {err}"
    );
    assert!(err.contains("MISSING"), "names what alice lacks: {err}");
    assert!(err.contains("Admin (#1)"), "{err}");
    assert_eq!(
        roles_of(&sb.sandbox.live(), 1),
        BTreeSet::new(),
        "alice lost everything"
    );
    assert!(journal.exists(), "the journal keeps what she held");

    // The next plan shows the restore (what the policy does not decide: Admin and User).
    sb.sandbox.set_fail_set_after_clear(0);
    let text = plan_text(&sb, REMOVE_BUYER, &journal);
    assert!(
        text.contains("+ alice: roles Admin, User (cleared "),
        "{text}"
    );
    let out = apply(&sb, REMOVE_BUYER, &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [1, 2].into());
    assert!(!journal.exists());
}

#[test]
fn a_role_lost_as_a_side_effect_is_caught_given_back_and_reported() {
    // The set fails (all of its resends), the restore then succeeds: the removal is FAILED
    // with her roles restored — never "verified" because Buyer is gone.
    let faults = Faults {
        fail_set_after_clear: 7,
        ..Faults::default()
    };
    let sb = TestSandbox::start(three_roles(), faults);
    let journal = journal_file();
    let out = apply(&sb, REMOVE_BUYER, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FAILED   remove alice from role Buyer"),
        "{err}"
    );
    assert!(err.contains("the roles held before were restored"), "{err}");
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [1, 2, 3].into());
    assert!(!journal.exists());
}

#[test]
fn a_clear_spelled_the_way_the_tenant_ignores_is_retried_the_other_way() {
    for ignored in [ClearForm::EmptyList, ClearForm::Null] {
        let faults = Faults {
            ignored_clears: [ignored].into(),
            ..Faults::default()
        };
        let sb = TestSandbox::start(three_roles(), faults);
        let work = tempfile::tempdir().unwrap();
        let journal = work.path().join("journal.json");
        let out = apply(&sb, REMOVE_BUYER, &journal);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(0), "{ignored:?}: {err}");
        assert_eq!(
            roles_of(&sb.sandbox.live(), 1),
            [1, 2].into(),
            "{ignored:?}"
        );
        assert!(!journal.exists());
    }
    // Both ignored: nothing was removed, and the report says so.
    let faults = Faults {
        ignored_clears: [ClearForm::EmptyList, ClearForm::Null].into(),
        ..Faults::default()
    };
    let sb = TestSandbox::start(three_roles(), faults);
    let journal = journal_file();
    let out = apply(&sb, REMOVE_BUYER, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("changed nothing (tried [] and null)"), "{err}");
    assert_eq!(roles_of(&sb.sandbox.live(), 1), [1, 2, 3].into());
    assert!(
        !journal.exists(),
        "nothing was taken, so nothing to recover"
    );
}

const REMOVE_ALICE_FROM_AP: &str =
    "settings:\n  group_removals: user_groups\ngroups:\n  AP Clerks:\n    members: [bob]\n";

/// alice is in AP Clerks (10), Approvers (12) and the project Launch (20).
fn alice_in_three() -> Live {
    let mut live = tenant();
    live.memberships.push(coupa_access_core::model::Membership {
        id: 200,
        user_id: 1,
        group_id: 12,
        created_at: None,
        owner: false,
        participant: None,
    });
    live
}

#[test]
fn user_groups_hidden_or_partial_is_refused_for_that_user_and_nothing_is_lost() {
    for faults in [
        Faults {
            hide_user_groups: true,
            ..Faults::default()
        },
        Faults {
            user_groups_view_omits: [12].into(),
            ..Faults::default()
        },
    ] {
        let sb = TestSandbox::start(alice_in_three(), faults.clone());
        let journal = journal_file();
        let out = apply(&sb, REMOVE_ALICE_FROM_AP, &journal);
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("FAILED   remove alice from AP Clerks"),
            "{err}"
        );
        assert!(!err.contains("Coupa accepted the deletion"), "{err}");
        if faults.hide_user_groups {
            assert!(
                err.contains("did not include the user's user-groups"),
                "{err}"
            );
        } else {
            assert!(
                err.contains("lacks #12 that their membership rows shows"),
                "{err}"
            );
        }
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(groups_of(&sb, 1), [10, 12].into(), "nothing lost");
        assert!(!sb
            .sandbox
            .request_counts()
            .contains_key("PUT /api/users/:id"));
    }
}

#[test]
fn a_failed_user_groups_rewrite_is_failed_even_though_the_group_no_longer_holds_the_user() {
    // The set and the restore are refused (422).
    let faults = Faults {
        fail_set_after_clear: 2,
        fail_set_after_clear_status: 422,
        ..Faults::default()
    };
    let sb = TestSandbox::start(alice_in_three(), faults);
    let journal = journal_file();
    let out = apply(&sb, REMOVE_ALICE_FROM_AP, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FAILED   remove alice from AP Clerks"),
        "{err}"
    );
    assert!(!err.contains("ok       remove alice"), "{err}");
    assert!(err.contains("MISSING"), "{err}");
    assert_eq!(
        groups_of(&sb, 1),
        BTreeSet::new(),
        "the fault left her in no group"
    );
    // The next plan restores Approvers (the policy does not manage it), not AP Clerks.
    sb.sandbox.set_fail_set_after_clear(0);
    let text = plan_text(&sb, REMOVE_ALICE_FROM_AP, &journal);
    assert!(
        text.contains("+ alice: groups Approvers (cleared "),
        "{text}"
    );
    let out = apply(&sb, REMOVE_ALICE_FROM_AP, &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(groups_of(&sb, 1), [12].into());
}

#[test]
fn a_clear_refused_for_one_user_leaves_no_journal_entry_and_blocks_nobody() {
    let faults = Faults {
        reject_user_updates: [1].into(),
        ..Faults::default()
    };
    let mut live = three_roles();
    live.users[2].roles = [2, 3].into();
    let sb = TestSandbox::start(live, faults);
    let journal = journal_file();
    // Buyer is removed from alice (refused: 400 for her only) and from carol.
    let out = apply(&sb, REMOVE_BUYER, &journal);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FAILED   remove alice from role Buyer: Coupa refused to clear roles"),
        "{err}"
    );
    assert!(
        err.contains("ok       remove carol from role Buyer (verified)"),
        "{err}"
    );
    assert_eq!(
        roles_of(&sb.sandbox.live(), 1),
        [1, 2, 3].into(),
        "alice unchanged"
    );
    assert!(
        !journal.exists(),
        "nothing was taken from alice, so nothing to recover"
    );
    // The next run is not blocked: it tries alice again and nothing else.
    let out = apply(&sb, REMOVE_BUYER, &journal);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("journal"), "{}", stderr_of(&out));
}

#[test]
fn a_user_groups_rewrite_keeps_the_participant_flag_of_the_memberships_it_re_creates() {
    let mut live = alice_in_three();
    // alice is in Approvers (12) as a non-participant; the set re-creates the row with Coupa's
    // default (participant: true in the sandbox).
    live.memberships.last_mut().unwrap().participant = Some(false);
    let sb = TestSandbox::start(live, Faults::default());
    let journal = journal_file();
    let out = apply(&sb, REMOVE_ALICE_FROM_AP, &journal);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let live = sb.sandbox.live();
    let rows: Vec<_> = live.memberships.iter().filter(|m| m.user_id == 1).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].group_id, 12);
    assert_eq!(rows[0].participant, Some(false), "{rows:?}");
    assert!(sb
        .sandbox
        .request_counts()
        .contains_key("PUT /api/user_group_memberships/:id"));
}
