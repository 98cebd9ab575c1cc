use super::*;
use crate::model::{Group, License, Live, Membership, PolicyFile, Role, User};

fn membership(id: u64, user_id: u64, group_id: u64, at: &str) -> Membership {
    Membership {
        id,
        user_id,
        group_id,
        created_at: Some(at.into()),
        owner: false,
        participant: None,
    }
}

/// alice(1) bob(2) carol(3) erin(4, inactive) bot(5); AP Clerks(10: alice, bob, bot),
/// Approvers(11: alice, carol), Everyone(12: everybody, unmanaged); Buyer role: alice, bob.
fn live() -> Live {
    let mut alice = User::new(1, "alice", "alice@acme.com");
    alice.roles = [3].into();
    alice.licenses = [License::Expense].into();
    let mut bob = User::new(2, "bob", "bob@acme.com");
    bob.roles = [3].into();
    let erin = User {
        active: false,
        ..User::new(4, "erin", "erin@acme.com")
    };
    let mut memberships = vec![
        membership(100, 1, 10, "2025-06-01T08:00:00+00:00"),
        membership(101, 2, 10, "2026-01-05T10:00:00+00:00"),
        membership(102, 5, 10, "2025-01-01T00:00:00+00:00"),
        membership(103, 1, 11, "2025-06-01T08:00:00+00:00"),
        membership(104, 3, 11, "2026-02-01T09:00:00+01:00"),
    ];
    for u in 1..=5 {
        memberships.push(membership(200 + u, u, 12, "2024-01-01T00:00:00Z"));
    }
    Live {
        users: vec![
            alice,
            bob,
            User::new(3, "carol", "carol@acme.com"),
            erin,
            User::new(5, "bot", "bot@acme.com"),
        ],
        groups: vec![
            Group::new(10, "AP Clerks"),
            Group::new(11, "Approvers"),
            Group::new(12, "Everyone"),
        ],
        projects: vec![],
        roles: vec![Role::new(3, "Buyer", false)],
        memberships,
    }
}

fn desired(yaml: &str) -> crate::model::Desired {
    crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap()
}

const POLICY: &str = "\
groups:
  AP Clerks:
    members: [alice, erin, bot]
  Approvers:
    mode: additive
    members: [alice]
roles:
  Buyer:
    members: [alice]
licenses:
  expense:
    members: [alice, carol]
settings:
  protected_users: [bot]
";

#[test]
fn extra_and_missing_per_target_with_dates_and_reported_only_rows() {
    let r = drift(&desired(POLICY), &live(), None).unwrap();
    let ap = &r.targets[0];
    assert_eq!((ap.kind, ap.target.as_str()), (Kind::Group, "AP Clerks"));
    assert_eq!(ap.extra.len(), 1);
    assert_eq!(ap.extra[0].user, "bob");
    assert_eq!(
        ap.extra[0].created_at.as_deref(),
        Some("2026-01-05T10:00:00+00:00")
    );
    assert_eq!(ap.extra[0].membership_ids, [101]);
    assert_eq!(
        ap.missing
            .iter()
            .map(|m| (&*m.user, m.active))
            .collect::<Vec<_>>(),
        [("erin", false)]
    );
    // Additive: carol is not governed, so not drift.
    let approvers = &r.targets[1];
    assert_eq!(
        (
            approvers.extra.len(),
            approvers.missing.len(),
            approvers.not_governed
        ),
        (0, 0, 1)
    );
    let buyer = &r.targets[2];
    assert_eq!((buyer.kind, buyer.applies), (Kind::Role, false));
    assert_eq!(
        buyer.extra.iter().map(|m| &*m.user).collect::<Vec<_>>(),
        ["bob"]
    );
    let expense = &r.targets[3];
    assert_eq!(
        expense.missing.iter().map(|m| &*m.user).collect::<Vec<_>>(),
        ["carol"]
    );
    assert_eq!(
        r.summary,
        DriftSummary {
            extra: 2,
            missing: 2,
            reported_only: 2,
            kept: 0,
            targets_drifted: 3,
            targets_managed: 4,
            people: 3,
            conflicts: 0,
            unexcepted_conflicts: 0,
        }
    );
    assert!(r.summary.has_drift());
    let bob = r.people.iter().find(|p| p.user == "bob").unwrap();
    assert_eq!(bob.items.len(), 2);
    assert_eq!(r.coverage.unmanaged_groups.len(), 1);
    assert_eq!(
        (
            r.coverage.unmanaged_groups[0].name.as_str(),
            r.coverage.unmanaged_groups[0].members
        ),
        ("Everyone", 5)
    );
    assert_eq!(
        (
            r.coverage.groups_managed,
            r.coverage.groups_authoritative,
            r.coverage.memberships_managed,
            r.coverage.memberships_governed,
            r.coverage.memberships_total
        ),
        (2, 1, 5, 3, 10)
    );
}

#[test]
fn protected_extras_are_marked_and_matching_policy_is_no_drift() {
    let policy =
        "groups:\n  AP Clerks:\n    members: [alice]\nsettings:\n  protected_users: [bot]\n";
    let r = drift(&desired(policy), &live(), None).unwrap();
    let bot = r.targets[0].extra.iter().find(|e| e.user == "bot").unwrap();
    assert!(bot.protected);
    let clean = "groups:\n  AP Clerks:\n    members: [alice, bob, bot]\n";
    let r = drift(&desired(clean), &live(), None).unwrap();
    assert!(!r.summary.has_drift());
    assert!(r.people.is_empty());
}

#[test]
fn since_lists_memberships_in_any_group_oldest_first() {
    let at = parse_since(
        "2026-01-01",
        chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
    )
    .unwrap();
    let r = drift(&desired(POLICY), &live(), Some(at)).unwrap();
    let since = r.since.unwrap();
    let rows: Vec<(u64, bool)> = since
        .memberships
        .iter()
        .map(|m| (m.membership_id, m.managed))
        .collect();
    assert_eq!(rows, [(101, true), (104, true)]);
    assert_eq!(since.undated, 0);
}

#[test]
fn unknown_names_are_errors_not_silence() {
    let err = drift(
        &desired("groups:\n  Nope:\n    members: [alice]\n"),
        &live(),
        None,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "group \"Nope\" does not exist in Coupa");
    let err = drift(
        &desired("groups:\n  AP Clerks:\n    members: [zed]\n"),
        &live(),
        None,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        crate::plan::PlanError::Unresolved(p)
            if matches!(p.0[..], [crate::bind::Problem::UnknownUser { .. }])
    ));
}

#[test]
fn long_lists_are_capped_in_text_and_markdown_with_exact_counts_and_complete_in_json() {
    let mut l = live();
    for i in 0..120u64 {
        l.users.push(User::new(
            1000 + i,
            &format!("u{i:03}"),
            &format!("u{i}@acme.com"),
        ));
        l.memberships
            .push(membership(5000 + i, 1000 + i, 10, "2026-01-02T00:00:00Z"));
    }
    let r = drift(&desired(POLICY), &l, None).unwrap();
    let text = text(&r, &crate::CliWords::for_tests());
    assert!(
        text.contains(&format!(
            "… and {} more rows of this target",
            122 - LIST_CAP
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("… and {} more people", r.people.len() - LIST_CAP)),
        "{text}"
    );
    let md = markdown(&r, &crate::CliWords::for_tests());
    assert!(md.contains("more rows of this target"), "{md}");
    let j: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
    assert_eq!(j["format_version"], 1);
    assert_eq!(j["kind"], "drift");
    assert_eq!(j["targets"][0]["extra"].as_array().unwrap().len(), 121);
    // Summary first, then targets, then people.
    let (s, t, p) = (
        text.find("Summary:").unwrap(),
        text.find("By target").unwrap(),
        text.find("By person").unwrap(),
    );
    assert!(s < t && t < p);
}

#[test]
fn many_drifted_targets_are_capped_too() {
    let mut l = live();
    let mut policy = String::from("groups:\n");
    for g in 0..60u64 {
        l.groups.push(Group::new(500 + g, &format!("G{g:02}")));
        l.memberships
            .push(membership(7000 + g, 2, 500 + g, "2026-01-02T00:00:00Z"));
        policy.push_str(&format!("  G{g:02}:\n    members: []\n"));
    }
    let r = drift(&desired(&policy), &l, None).unwrap();
    assert_eq!(r.summary.targets_drifted, 60);
    let text = text(&r, &crate::CliWords::for_tests());
    assert!(text.contains("… and 10 more targets"), "{text}");
    assert!(!text.contains("Group \"G55\""), "{text}");
    assert_eq!(r.targets.len(), 60, "JSON stays complete");
}

#[test]
fn markdown_shows_hostile_names_without_mentions_links_or_bidi_controls() {
    let mut l = live();
    l.users[1].login = "@octocat\u{202e}".into(); // bob: an extra member
    l.groups[2].name = "Everyone @org/team https://evil.example www.evil.example".into();
    let md = markdown(
        &drift(&desired(POLICY), &l, None).unwrap(),
        &crate::CliWords::for_tests(),
    );
    for raw in [
        "@org/team",
        "https://",
        "www.evil",
        "\u{202e}",
        "| @octocat",
    ] {
        assert!(!md.contains(raw), "{raw:?} in\n{md}");
    }
    // Shown, inert: a word joiner inside each, the override written out, the login in code.
    assert!(md.contains("| @\u{2060}octocat\\\\u{202e} |"), "{md}");
    assert!(md.contains("- extra `@octocat\\u{202e}`"), "{md}");
    assert!(
        md.contains(
            "Everyone @\u{2060}org/team https:\u{2060}//evil.example www\u{2060}.evil.example"
        ),
        "{md}"
    );
}

// ---- drift means what the plan means: the same rule decides both, target by target ----

#[test]
fn drift_follows_settings_writes_like_the_plan() {
    let d = desired(
        "roles:\n  Buyer:\n    members: [alice]\nlicenses:\n  expense:\n    members: [bob]\n\
         settings:\n  writes: [groups, roles, licenses]\n",
    );
    let r = drift(&d, &live(), None).unwrap();
    let plan = crate::plan::diff(&d, &live()).unwrap();
    assert!(plan.changes.iter().all(|c| c.applies), "{:?}", plan.changes);
    assert_eq!(
        r.targets
            .iter()
            .map(|t| (t.kind, t.applies))
            .collect::<Vec<_>>(),
        [(Kind::Role, true), (Kind::License, true)]
    );
    assert_eq!(r.summary.reported_only, 0);
    assert_eq!(r.summary.applies(), 3);
}

#[test]
fn an_ambiguous_protected_identity_is_refused_by_drift_the_plan_and_the_check_alike() {
    // `bob@acme.com` is bob's email and bot's login: whom it protects is for the policy to say.
    let mut l = live();
    l.users[4].login = "bob@acme.com".into();
    let d = desired(
        "groups:
  AP Clerks:
    members: [alice]
settings:
  protected_users: [bob@acme.com]
",
    );
    let plan = crate::plan::diff(&d, &l).unwrap_err();
    assert!(
        matches!(&plan, crate::plan::PlanError::Unresolved(p)
            if matches!(&p.0[..], [crate::bind::Problem::AmbiguousUser { .. }])),
        "{plan}"
    );
    assert_eq!(drift(&d, &l, None).unwrap_err(), plan);
    let check = crate::policy::check(&d, &l);
    assert_eq!(
        check.errors.iter().map(|e| e.code()).collect::<Vec<_>>(),
        [crate::policy::Code::AmbiguousUser]
    );
}

#[test]
fn an_owner_is_kept_unless_the_group_removes_owners_as_in_the_plan() {
    let mut l = live();
    l.memberships[1].owner = true; // bob owns AP Clerks
    for (yaml, kept) in [
        (
            "groups:\n  AP Clerks:\n    members: [alice, bot]\n",
            Some(Kept::Owner),
        ),
        (
            "groups:\n  AP Clerks:\n    remove_owners: true\n    members: [alice, bot]\n",
            None,
        ),
    ] {
        let d = desired(yaml);
        let r = drift(&d, &l, None).unwrap();
        let bob = &r.targets[0].extra[0];
        assert_eq!(
            (bob.user_id, bob.owner, bob.kept),
            (2, true, kept),
            "{yaml}"
        );
        let removals = crate::plan::diff(&d, &l).unwrap().summary.remove;
        assert_eq!(r.summary.applies(), removals, "{yaml}");
        // Only a kept owner is said to be kept.
        assert_eq!(
            text(&r, &crate::CliWords::for_tests()).contains("apply keeps it"),
            kept.is_some(),
            "{}",
            text(&r, &crate::CliWords::for_tests())
        );
    }
}

/// 3,200 drifted rows with long logins: the markdown stays under the plan comment's limit and
/// counts exactly what it cut (rows in shown targets, and the targets it could not reach).
#[test]
fn drift_markdown_has_a_total_budget_with_exact_counts() {
    let mut l = live();
    let mut policy = String::from("groups:\n");
    let mut id = 10_000u64;
    for g in 0..50u64 {
        l.groups.push(Group::new(500 + g, &format!("G{g:02}")));
        policy.push_str(&format!("  G{g:02}:\n    members: []\n"));
        for _ in 0..64 {
            id += 1;
            let login = format!("user{id:06}.with-a-rather-long-login@subsidiary.acme.example.com");
            l.users
                .push(User::new(id, &login, &format!("{id}@acme.com")));
            l.memberships
                .push(membership(id, id, 500 + g, "2026-01-02T00:00:00Z"));
        }
    }
    let r = drift(&desired(&policy), &l, None).unwrap();
    let total: usize = r.targets.iter().map(|t| t.extra.len()).sum();
    assert_eq!(total, 3_200);
    let md = markdown(&r, &crate::CliWords::for_tests());
    assert!(
        md.len() <= crate::render::MARKDOWN_LIMIT,
        "{} bytes",
        md.len()
    );
    let shown = md.lines().filter(|l| l.starts_with("  - extra `")).count();
    let number = |s: &str| s.replace(',', "").parse::<usize>().unwrap();
    let mut cut = 0;
    for line in md.lines() {
        let Some(rest) = line.strip_prefix("_… and ") else {
            continue;
        };
        let mut words = rest.split(' ');
        let n = number(words.next().unwrap());
        if rest.contains("more rows of this target") {
            cut += n;
        } else if rest.contains("more targets (") {
            let rows = rest.split('(').nth(1).unwrap().split(' ').next().unwrap();
            cut += number(rows);
        }
    }
    assert!(shown > 100 && shown < 3_200, "{shown}");
    assert_eq!(shown + cut, 3_200, "{}", &md[md.len() - 1_500..]);
    assert!(
        md.contains("more targets ("),
        "the budget cut whole targets too"
    );
}

mod recreated_by_receipts {
    use super::super::{RecentMembership, SinceReport};
    use crate::evidence::{Receipt, Recreated};

    fn row(id: u64, user_id: u64, created_at: &str) -> RecentMembership {
        RecentMembership {
            created_at: created_at.into(),
            group: "AP".into(),
            group_id: 10,
            user: format!("u{user_id}"),
            user_id,
            membership_id: id,
            managed: true,
        }
    }

    fn receipt(instance: &str) -> Receipt {
        let start = "2026-03-01T10:00:00Z".parse().unwrap();
        let mut r = Receipt::started("0.1.0", instance, start);
        r.finished_at = "2026-03-01T10:05:00Z".parse().unwrap();
        r.recreated_memberships = vec![Recreated {
            user: "u1".into(),
            user_id: 1,
            membership_ids: vec![500, 501, 502],
        }];
        r
    }

    fn since(rows: Vec<RecentMembership>) -> SinceReport {
        SinceReport {
            since: "2026-02-01T00:00:00Z".into(),
            memberships: rows,
            undated: 0,
            recreated_by_apply: 0,
        }
    }

    #[test]
    fn a_receipt_vouches_only_for_its_instance_user_ids_and_time() {
        let mut s = since(vec![
            row(500, 1, "2026-03-01T10:02:00Z"), // re-created during the run: left out
            row(501, 2, "2026-03-01T10:02:00Z"), // same id, another person: listed
            row(502, 1, "2026-03-02T09:00:00Z"), // same id and person, a day later: listed
            row(600, 1, "2026-03-01T10:02:00Z"), // not named by the receipt: listed
        ]);
        s.leave_out_recreated(
            &[receipt("https://acme.coupahost.com")],
            Some("https://acme.coupahost.com/"),
        );
        let left: Vec<u64> = s.memberships.iter().map(|m| m.membership_id).collect();
        assert_eq!(left, [501, 502, 600]);
        assert_eq!(s.recreated_by_apply, 1);
    }

    #[test]
    fn a_receipt_of_another_instance_or_an_unknown_one_names_nothing() {
        for instance in [Some("https://other.coupahost.com"), None] {
            let mut s = since(vec![row(500, 1, "2026-03-01T10:02:00Z")]);
            s.leave_out_recreated(&[receipt("https://acme.coupahost.com")], instance);
            assert_eq!(s.memberships.len(), 1, "{instance:?}");
            assert_eq!(s.recreated_by_apply, 0);
        }
    }
}
