//! Receipts sealed and checked; approvals read and judged.

use chrono::{TimeZone, Utc};

use super::approvals::{self, approvers, self_approvals};
use super::*;
use crate::model::{Group, Live, Membership, Origin, Plan, PolicyFile, User};

fn live() -> Live {
    Live {
        users: vec![
            User::new(1, "alice", "alice@acme.com"),
            User::new(2, "bob", "bob@acme.com"),
            User::new(3, "carol", "carol@acme.com"),
        ],
        groups: vec![Group::new(10, "AP Clerks")],
        memberships: vec![Membership {
            id: 100,
            user_id: 2,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        }],
        ..Live::default()
    }
}

fn plan_for(policy: &str, live: &Live) -> (Plan, crate::model::Desired) {
    let desired = crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: policy.into(),
    }])
    .expect("policy loads");
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let plan = crate::plan::make(&desired, live, origin, now, &crate::CliWords::for_tests())
        .expect("plans")
        .plan;
    (plan, desired)
}

const POLICY: &str = "groups:\n  AP Clerks:\n    members: [alice]\nsettings:\n  reviewers: { alice-gh: alice@acme.com, Bob-GH: bob }\n";

fn receipt() -> Receipt {
    let (plan, _) = plan_for(POLICY, &live());
    let t = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mut r = Receipt::started("0.1.0", "https://acme.coupahost.com", t);
    r.planned(&plan);
    r.changes[0].outcome = ChangeOutcome::Verified;
    r.changes[0].membership_ids = vec![555];
    r.changes[1].outcome = ChangeOutcome::Failed;
    r.changes[1].message = Some("Coupa said: 422 nope".into());
    r.status = Status::Failed;
    r.count();
    r
}

#[test]
fn a_sealed_receipt_verifies_and_reads_back_equal() {
    let r = receipt();
    assert_eq!(r.changes.len(), 2, "remove bob, add alice");
    let text = seal(&r);
    assert_eq!(verify(&text).expect("verifies"), r);
    // Reformatting is not an edit.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(verify(&serde_json::to_string(&v).unwrap()).is_ok());
}

/// Every one-byte edit of a value is caught and names the field it is in.
#[test]
fn a_one_byte_edit_names_the_field() {
    let text = seal(&receipt());
    let cases = [
        (
            "\"outcome\": \"failed\"",
            "\"outcome\": \"skipped\"",
            "changes[1]",
        ),
        (
            "\"instance\": \"https://acme",
            "\"instance\": \"https://acmf",
            "instance",
        ),
        ("555", "556", "changes[0]"),
        ("\"failed\": 1", "\"failed\": 0", "summary"),
    ];
    for (from, to, field) in cases {
        assert!(text.contains(from), "{from} in {text}");
        let edited = text.replacen(from, to, 1);
        match verify(&edited) {
            Err(ReceiptError::Edited { edits }) => {
                assert_eq!(edits.len(), 1, "{edits:?}");
                assert_eq!(edits[0].field(), field, "{edits:?}");
            }
            other => panic!("{from} -> {to}: {other:?}"),
        }
    }
    let err = verify(&text.replacen("\"outcome\": \"failed\"", "\"outcome\": \"skipped\"", 1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("changes[1]") && err.contains("add alice to group \"AP Clerks\""),
        "{err}"
    );
}

#[test]
fn edited_digests_removed_and_added_elements_are_named() {
    let r = receipt();
    let text = seal(&r);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let whole = v["integrity"]["digest"].as_str().unwrap().to_string();
    let flipped = format!("{}0", &whole[..whole.len() - 1]);
    let flipped = if flipped == whole {
        format!("{}1", &whole[..whole.len() - 1])
    } else {
        flipped
    };
    let err = verify(&text.replace(&whole, &flipped)).unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Edited { edits } if edits[0].field() == "digest"),
        "{err:?}"
    );

    let inst = v["integrity"]["fields"]["instance"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = format!("sha256:{}", "0".repeat(64));
    let err = verify(&text.replace(&inst, &bad)).unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Edited { edits } if edits[0].field() == "fields.instance"),
        "{err:?}"
    );

    let mut dropped = v.clone();
    dropped["changes"].as_array_mut().unwrap().pop();
    let err = verify(&dropped.to_string()).unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Edited { edits } if edits.iter().any(|e| e.field() == "changes[1]")),
        "{err:?}"
    );
    let mut extra = v;
    extra["note"] = "added later".into();
    let err = verify(&extra.to_string()).unwrap_err();
    assert!(
        matches!(&err, ReceiptError::Edited { edits } if edits[0].field() == "note"),
        "{err:?}"
    );
}

#[test]
fn unsealed_or_foreign_files_are_named_for_what_they_are() {
    assert!(matches!(
        verify("{\"format_version\": 2}"),
        Err(ReceiptError::NotAReceipt)
    ));
    assert!(matches!(
        verify("not json"),
        Err(ReceiptError::NotJson { line: 1, .. })
    ));
    let mut v: serde_json::Value = serde_json::from_str(&seal(&receipt())).unwrap();
    v.as_object_mut().unwrap().remove("integrity");
    assert!(matches!(
        verify(&v.to_string()),
        Err(ReceiptError::NotSealed)
    ));
}

#[test]
fn the_plan_digest_ignores_when_the_plan_was_made() {
    let (mut plan, _) = plan_for(POLICY, &live());
    let d = plan_digest(&plan);
    plan.generated_at = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    plan.tool_version = "9.9.9".into();
    assert_eq!(plan_digest(&plan), d);
    plan.changes.pop();
    assert_ne!(plan_digest(&plan), d);
}

const APPROVALS: &str = r#"{
  "format_version": 1,
  "repository": "acme/coupa-policy",
  "pull_request": 42,
  "reviews": [
    { "reviewer": "alice-gh", "state": "APPROVED", "submitted_at": "2026-11-30T09:00:00Z", "commit": "4f9c0e1" },
    { "reviewer": "bob-gh", "state": "APPROVED", "submitted_at": "2026-11-30T09:05:00Z", "commit": "4f9c0e1" },
    { "reviewer": "bob-gh", "state": "CHANGES_REQUESTED", "submitted_at": "2026-11-30T10:00:00Z", "commit": "4f9c0e1" },
    { "reviewer": "carol-gh", "state": "COMMENTED", "submitted_at": "2026-11-30T10:00:00Z", "commit": "4F9C0E1" }
  ]
}"#;

#[test]
fn an_approvals_file_is_read_and_the_latest_verdict_counts() {
    let a = approvals::parse("approvals.json", APPROVALS).expect("valid");
    assert_eq!(a.pull_request, Some(42));
    assert_eq!(a.repository.as_deref(), Some("acme/coupa-policy"));
    assert_eq!(a.reviews.len(), 4);
    assert_eq!(a.reviews[3].commit, "4f9c0e1");
    assert_eq!(
        approvers(&a),
        ["alice-gh"],
        "bob asked for changes after approving"
    );
}

#[test]
fn every_problem_in_an_approvals_file_is_reported_with_its_line() {
    let text = r#"{
  "format_version": 1,
  "reviews": [
    { "reviewer": "alice-gh", "state": "APPROVE", "submitted_at": "2026-11-30T09:00:00Z", "commit": "4f9c0e1" },
    { "reviewer": "", "state": "APPROVED", "submitted_at": "yesterday", "commit": "zz" },
    { "reviewer": "bob-gh", "color": "red" }
  ]
}"#;
    let err = approvals::parse("approvals.json", text).unwrap_err();
    let lines: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    let want = [
        "approvals.json:4:",
        "`state` must be one of APPROVED",
        "approvals.json:5:",
        "`reviewer` must be a login",
        "`submitted_at` must be an RFC 3339 time",
        "`commit` must be a commit id",
        "approvals.json:6:",
        "unknown field `color`",
        "review 3: missing state, submitted_at, commit",
    ];
    let all = lines.join("\n");
    for w in want {
        assert!(all.contains(w), "{w} in:\n{all}");
    }
    assert_eq!(lines.len(), 6, "{all}");
    let err = approvals::parse("a.json", "{\"reviews\": [").unwrap_err();
    assert!(
        err.problems[0].to_string().starts_with("a.json:1:"),
        "{err:?}"
    );
}

#[test]
fn a_grant_approved_only_by_its_receiver_is_a_self_approval() {
    let live = live();
    let (plan, desired) = plan_for(POLICY, &live);
    let reviewers = &desired.settings.reviewers;
    assert_eq!(reviewers.len(), 2);
    let review = |who: &str| {
        format!(
            r#"{{ "reviewer": "{who}", "state": "APPROVED", "submitted_at": "2026-11-30T09:00:00Z", "commit": "4f9c0e1" }}"#
        )
    };
    let file = |who: &[&str]| {
        let reviews: Vec<String> = who.iter().map(|w| review(w)).collect();
        approvals::parse(
            "a.json",
            &format!(
                "{{\"format_version\": 1, \"reviews\": [{}]}}",
                reviews.join(",")
            ),
        )
        .unwrap()
    };
    // alice (as ALICE-GH, any case) approves her own grant.
    let found = self_approvals(&plan, &file(&["ALICE-GH"]), reviewers, &live);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].user, "alice");
    assert_eq!(found[0].reviewers, ["ALICE-GH"]);
    assert_eq!(found[0].person, "alice@acme.com");
    assert!(
        found[0].to_string().contains("group \"AP Clerks\""),
        "{}",
        found[0]
    );
    // Someone else also approved: not a self-approval.
    assert!(self_approvals(&plan, &file(&["alice-gh", "bob-gh"]), reviewers, &live).is_empty());
    // An approver the mapping does not know is someone else.
    assert!(self_approvals(&plan, &file(&["alice-gh", "stranger"]), reviewers, &live).is_empty());
    // No approval at all is not a self-approval (the receipt lists the reviews).
    assert!(self_approvals(&plan, &file(&[]), reviewers, &live).is_empty());
}

#[test]
fn verified_changes_are_judged_against_live_coupa() {
    use crate::evidence::holds::{still_holds, Since};
    let r = {
        let mut r = receipt();
        // remove bob (membership 100), add alice (membership 555): both verified.
        r.changes[1].outcome = ChangeOutcome::Verified;
        r.changes[1].membership_ids = vec![555];
        r
    };
    let mut now = live();
    now.memberships.clear();
    let alice = |id| Membership {
        id,
        user_id: 1,
        group_id: 10,
        created_at: None,
        owner: false,
        participant: None,
    };
    now.memberships.push(alice(555));
    assert_eq!(
        still_holds(&r, &now),
        [(0, Since::Holds), (1, Since::Holds)]
    );
    // alice re-granted through another membership; bob back in the group.
    now.memberships = vec![
        alice(777),
        Membership {
            user_id: 2,
            ..alice(900)
        },
    ];
    let v = still_holds(&r, &now);
    assert_eq!(
        v[1],
        (
            1,
            Since::Recreated {
                membership_ids: vec![777]
            }
        )
    );
    assert!(
        matches!(&v[0], (0, Since::Changed(why)) if why.contains("bob is a member again (membership 900)"))
    );
    // alice gone: changed since.
    now.memberships.clear();
    assert!(
        matches!(&still_holds(&r, &now)[1], (1, Since::Changed(why)) if why.contains("no longer in the group"))
    );
}

#[test]
fn a_reviewer_mapped_to_nobody_in_coupa_refuses_the_plan() {
    let desired = crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: "groups:\n  AP Clerks:\n    members: [alice]\nsettings:\n  reviewers: { alice-gh: alicia@acme.com }\n".into(),
    }])
    .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let Err(err) = crate::plan::make(
        &desired,
        &live(),
        origin,
        now,
        &crate::CliWords::for_tests(),
    ) else {
        panic!("the plan is refused");
    };
    let text = format!("{err:?}");
    assert!(text.contains("UnknownReviewer"), "{text}");
    assert!(
        text.contains("unknown user `alicia@acme.com` for reviewer `alice-gh`"),
        "{text}"
    );
}
