use super::*;
use crate::bind::bind_listings;
use crate::index::{Listings, LiveIndex};
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

/// alice(1) bob(2) carol(3) mallory(4); AP Clerks(10: alice, mallory), Everyone(12: bob,
/// unmanaged); Buyer role(3): alice, bob; expense license: carol.
fn live() -> Live {
    let mut alice = User::new(1, "alice", "alice@acme.com");
    alice.roles = [3].into();
    let mut bob = User::new(2, "bob", "bob@acme.com");
    bob.roles = [3].into();
    let mut carol = User::new(3, "carol", "carol@acme.com");
    carol.licenses = [License::Expense].into();
    Live {
        users: vec![
            alice,
            bob,
            carol,
            User::new(4, "mallory", "mallory@acme.com"),
        ],
        groups: vec![Group::new(10, "AP Clerks"), Group::new(12, "Everyone")],
        projects: vec![],
        roles: vec![Role::new(3, "Buyer", false)],
        memberships: vec![
            membership(100, 1, 10, "2025-06-01T08:00:00+00:00"),
            membership(101, 4, 10, "2025-12-24T23:59:00+00:00"),
            membership(102, 2, 12, "2024-01-01T00:00:00+00:00"),
        ],
    }
}

const POLICY: &str = "\
groups:
  AP Clerks:
    members:
      - alice
      - { user: carol, until: 2026-12-31, reason: \"Year-end close, FIN-881\" }
roles:
  Buyer:
    members: [alice]
rules:
  separation_of_duties:
    - name: Buy vs pay
      sides:
        - roles: [Buyer]
        - groups: [AP Clerks]
      exceptions:
        - { user: alice, until: 2027-03-31, ticket: SOX-1234, approved_by: cfo@acme.com }
";

fn desired(yaml: &str) -> crate::model::Desired {
    crate::policy::load_files(vec![PolicyFile {
        path: "policies/access.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap()
}

fn opts(all: bool) -> Options {
    Options {
        source: Source::Snapshot {
            file: "snap.json".into(),
            instance: None,
            taken_at: None,
        },
        generated_at: "2026-01-01T00:00:00Z".into(),
        history: History::Complete { head: "h".into() },
        completeness: None,
        all,
    }
}

fn report(all: bool) -> AccessReport {
    let d = desired(POLICY);
    let l = live();
    let ix = LiveIndex::new(&l);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let bound = bind_listings(&Listings::new(&d, &ix).on(today)).unwrap();
    from_bound(&bound, opts(all))
}

fn find<'a>(r: &'a AccessReport, target: &str, user: &str) -> &'a Row {
    r.rows
        .iter()
        .find(|row| row.target == target && row.user == user)
        .unwrap_or_else(|| panic!("no row {target}/{user}: {:#?}", r.rows))
}

#[test]
fn holders_are_joined_with_their_policy_lines_and_outsiders_marked() {
    let r = report(false);
    let alice = find(&r, "AP Clerks", "alice");
    assert_eq!(alice.status, Status::GrantedByPolicy);
    let p = alice.policy.as_ref().unwrap();
    assert_eq!((p.file.as_str(), p.line), ("policies/access.yaml", 4));
    assert_eq!(
        alice.coupa_created_at.as_deref(),
        Some("2025-06-01T08:00:00+00:00")
    );
    assert_eq!(alice.exceptions.len(), 1);
    assert_eq!(alice.exceptions[0].ticket.as_deref(), Some("SOX-1234"));
    assert_eq!(alice.exceptions[0].line, 16);

    let mallory = find(&r, "AP Clerks", "mallory");
    assert_eq!(mallory.status, Status::OutsidePolicy);
    assert!(mallory.policy.is_none());
    assert_eq!(
        mallory.coupa_created_at.as_deref(),
        Some("2025-12-24T23:59:00+00:00")
    );

    let carol = find(&r, "AP Clerks", "carol");
    assert_eq!(carol.status, Status::NotHeld);
    let p = carol.policy.as_ref().unwrap();
    assert_eq!(p.line, 5);
    assert_eq!(p.until, chrono::NaiveDate::from_ymd_opt(2026, 12, 31));
    assert_eq!(p.reason.as_deref(), Some("Year-end close, FIN-881"));

    let bob = find(&r, "Buyer", "bob");
    assert_eq!(bob.status, Status::OutsidePolicy);
    assert_eq!(bob.coupa_created_at, None);
    assert_eq!(find(&r, "Buyer", "alice").policy.as_ref().unwrap().line, 8);
    // Unmanaged targets only with --all.
    assert!(r.rows.iter().all(|row| row.managed));
    assert_eq!(
        r.summary,
        Summary {
            granted_by_policy: 2,
            outside_policy: 2,
            expired_grant: 0,
            not_held: 1
        }
    );
    assert_eq!(r.policy_files(), vec!["policies/access.yaml".to_string()]);
}

#[test]
fn all_lists_every_target_and_expired_grants_still_held_are_marked() {
    let r = report(true);
    let everyone = find(&r, "Everyone", "bob");
    assert_eq!(
        (everyone.status, everyone.managed),
        (Status::OutsidePolicy, false)
    );
    assert_eq!(
        everyone.coupa_created_at.as_deref(),
        Some("2024-01-01T00:00:00+00:00")
    );
    let expense = find(&r, "expense", "carol");
    assert!(!expense.managed);

    // carol's grant ended before the day: still held, it is an expired grant.
    let d = desired(POLICY);
    let mut l = live();
    l.memberships
        .push(membership(103, 3, 10, "2026-01-02T00:00:00+00:00"));
    let ix = LiveIndex::new(&l);
    let later = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let bound = bind_listings(&Listings::new(&d, &ix).on(later)).unwrap();
    let r = from_bound(&bound, opts(false));
    assert_eq!(find(&r, "AP Clerks", "carol").status, Status::ExpiredGrant);
}

#[test]
fn as_of_lists_what_the_policy_granted_then() {
    let d = desired(POLICY);
    let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    let r = as_of(&d, day, opts(false));
    let statuses: Vec<(&str, &str, Status)> = r
        .rows
        .iter()
        .map(|row| (row.target.as_str(), row.user.as_str(), row.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("AP Clerks", "alice", Status::GrantedByPolicy),
            ("AP Clerks", "carol", Status::ExpiredGrant),
            ("Buyer", "alice", Status::GrantedByPolicy),
        ]
    );
    assert_eq!(r.rows[0].exceptions.len(), 1);
}

#[test]
fn provenance_is_attached_and_rendered_in_every_format() {
    let mut r = report(false);
    let blame = Blame::parse(BLAME);
    r.attach(|file, line| {
        assert_eq!(file, "policies/access.yaml");
        blame.provenance(line, &[])
    });
    let alice = find(&r, "AP Clerks", "alice");
    let Some(Provenance::Commit(c)) = &alice.policy.as_ref().unwrap().provenance else {
        panic!("{alice:?}")
    };
    assert_eq!(c.author, "Ann Author");
    assert_eq!(c.author_email, "ann@acme.com");
    assert_eq!(c.date, "2026-01-02T10:00:00+01:00");
    assert_eq!(c.pull_request, Some(7));
    let carol = find(&r, "AP Clerks", "carol");
    assert_eq!(
        carol.policy.as_ref().unwrap().provenance,
        Some(Provenance::Uncommitted)
    );
    let md = markdown(&r);
    assert!(md.contains("## Group AP Clerks"), "{md}");
    assert!(
        md.contains("| mallory | **granted outside policy** |"),
        "{md}"
    );
    assert!(md.contains("Ann Author"), "{md}");
    assert!(md.contains("(PR \\#7)"), "{md}");
    let csv = csv(&r);
    assert!(csv.starts_with("kind,target,"));
    assert!(
        csv.contains(",Ann Author,ann@acme.com,2026-01-02T10:00:00+01:00,"),
        "{csv}"
    );
    assert!(csv.contains("\"Year-end close, FIN-881\""), "{csv}");
    let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
    assert_eq!(v["format_version"], REPORT_FORMAT_VERSION);
    assert_eq!(v["kind"], "access_report");
    assert_eq!(v["rows"][0]["policy"]["provenance"]["state"], "commit");
}

/// alice's line (4) by Ann in a squash-merged PR; carol's (5) uncommitted; Buyer's (8) by Bob.
const BLAME: &str = "\
1111111111111111111111111111111111111111 1 1 4
author Ann Author
author-mail <ann@acme.com>
author-time 1767344400
author-tz +0100
committer Ann Author
committer-mail <ann@acme.com>
committer-time 1767344400
committer-tz +0100
summary Add AP Clerks (#7)
filename policies/access.yaml
\tgroups:
1111111111111111111111111111111111111111 2 2
\t  AP Clerks:
1111111111111111111111111111111111111111 3 3
\t    members:
1111111111111111111111111111111111111111 4 4
\t      - alice
0000000000000000000000000000000000000000 5 5 1
author Not Committed Yet
author-mail <not.committed.yet>
author-time 1767400000
author-tz +0000
committer Not Committed Yet
committer-mail <not.committed.yet>
committer-time 1767400000
committer-tz +0000
summary Version of policies/access.yaml from policies/access.yaml
previous 1111111111111111111111111111111111111111 policies/access.yaml
filename policies/access.yaml
\t      - { user: carol }
2222222222222222222222222222222222222222 6 8 1
author Bob Builder
author-mail <bob@acme.com>
author-time 1767430800
author-tz -0500
committer Bob Builder
committer-mail <bob@acme.com>
committer-time 1767430800
committer-tz -0500
summary Buyer role for alice
boundary
filename policies/access.yaml
\t    members: [alice]
";

#[test]
fn blame_lines_boundaries_and_pull_requests() {
    let b = Blame::parse(BLAME);
    assert_eq!(b.lines.len(), 6);
    assert_eq!(b.commits.len(), 3);
    let bob = b.provenance(8, &[]);
    let Provenance::Commit(c) = &bob else {
        panic!("{bob:?}")
    };
    assert_eq!(
        (c.author.as_str(), c.date.as_str(), c.pull_request),
        ("Bob Builder", "2026-01-03T04:00:00-05:00", None)
    );
    assert_eq!(
        b.provenance(8, &["2222222222222222222222222222222222222222".into()]),
        Provenance::HistoryIncomplete {
            boundary: "2222222222222222222222222222222222222222".into()
        }
    );
    assert!(matches!(
        b.provenance(7, &[]),
        Provenance::Unavailable { .. }
    ));

    assert_eq!(
        pull_request_in("Merge pull request #12 from acme/alice"),
        Some(12)
    );
    assert_eq!(pull_request_in("Add Buyer role (#34)"), Some(34));
    assert_eq!(pull_request_in("Merged PR 56: grant access"), Some(56));
    assert_eq!(pull_request_in("Fix typo, fixes #3"), None);
    assert_eq!(pull_request_in("(#) and (#x)"), None);
    let mut c = c.clone();
    c.merged_by(MergeInfo {
        sha: "m".into(),
        author: "Merger".into(),
        date: "2026-01-04T00:00:00+00:00".into(),
        subject: "Merge pull request #12 from acme/buyer".into(),
    });
    assert_eq!(c.pull_request, Some(12));
}
