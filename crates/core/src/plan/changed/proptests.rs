//! Property: over generated policies and edits of them, the plan of the changed targets is
//! exactly the full plan's changes for those targets, and every target left out plans the same
//! changes under both versions (so nothing the edit changed is missed).

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::model::{Change, Live, Origin, PolicyFile};
use crate::testkit::Seq;

const LOGINS: [&str; 5] = ["alice", "bob", "carol", "dave", "frank"];
const GROUPS: [&str; 4] = ["AP Clerks", "Buyers", "Finance", "Ops"];
const LICENSES: [&str; 2] = ["expense", "sourcing"];
/// Around the plan's day (2026-01-01): ended, ending within the window, ending later.
const UNTILS: [&str; 4] = ["2025-06-30", "2026-01-05", "2026-01-20", "2027-12-31"];

#[derive(Debug, Clone)]
struct Decl {
    kind: Kind,
    name: &'static str,
    additive: bool,
    members: Vec<(&'static str, Option<&'static str>)>,
}

#[derive(Debug, Clone)]
struct Policy {
    targets: Vec<Decl>,
    protected: Vec<&'static str>,
}

fn members(seq: &mut Seq) -> Vec<(&'static str, Option<&'static str>)> {
    let mut out = Vec::new();
    for login in LOGINS {
        if seq.one_in(2) {
            let until = seq.one_in(3).then(|| *seq.pick(&UNTILS));
            out.push((login, until));
        }
    }
    out
}

fn decl(seq: &mut Seq, kind: Kind, name: &'static str) -> Decl {
    Decl {
        kind,
        name,
        additive: seq.one_in(3),
        members: members(seq),
    }
}

fn policy(seq: &mut Seq) -> Policy {
    let mut targets = Vec::new();
    for g in GROUPS {
        if !seq.one_in(4) {
            targets.push(decl(seq, Kind::Group, g));
        }
    }
    if seq.one_in(2) {
        targets.push(decl(seq, Kind::Role, "Admin"));
    }
    for l in LICENSES {
        if seq.one_in(3) {
            targets.push(decl(seq, Kind::License, l));
        }
    }
    let protected = if seq.one_in(3) { vec!["dave"] } else { vec![] };
    Policy { targets, protected }
}

/// One to three edits of the kinds a pull request makes.
fn edit(mut p: Policy, seq: &mut Seq) -> Policy {
    for _ in 0..=seq.below(3) {
        let n = p.targets.len();
        match seq.below(8) {
            0 if n > 0 => {
                let t = seq.below(n);
                let login = *seq.pick(&LOGINS);
                p.targets[t].members.push((login, None));
            }
            1 if n > 0 => {
                let t = seq.below(n);
                let m = p.targets[t].members.len();
                if m > 0 {
                    let i = seq.below(m);
                    p.targets[t].members.remove(i);
                }
            }
            2 if n > 0 => {
                let t = seq.below(n);
                p.targets[t].additive = !p.targets[t].additive;
            }
            3 if n > 0 => {
                let t = seq.below(n);
                let m = p.targets[t].members.len();
                if m > 0 {
                    let i = seq.below(m);
                    let until = (!seq.one_in(4)).then(|| *seq.pick(&UNTILS));
                    p.targets[t].members[i].1 = until;
                }
            }
            4 if n > 0 => {
                let t = seq.below(n);
                p.targets.remove(t);
            }
            5 => {
                let name = *seq.pick(&GROUPS);
                if !p.targets.iter().any(|t| t.name == name) {
                    p.targets.push(decl(seq, Kind::Group, name));
                }
            }
            6 if seq.one_in(3) => {
                p.protected = if p.protected.is_empty() {
                    vec!["bob"]
                } else {
                    vec![]
                };
            }
            // Moved around in the file: changes nothing.
            _ => p.targets.reverse(),
        }
    }
    p
}

fn yaml(p: &Policy) -> String {
    let mut out = String::new();
    for (kind, section) in [
        (Kind::Group, "groups"),
        (Kind::Role, "roles"),
        (Kind::License, "licenses"),
    ] {
        let of_kind: Vec<&Decl> = p.targets.iter().filter(|t| t.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        out.push_str(&format!("{section}:\n"));
        for t in of_kind {
            out.push_str(&format!("  {}:\n", t.name));
            if t.additive {
                out.push_str("    mode: additive\n");
            }
            if t.members.is_empty() {
                out.push_str("    members: []\n");
                continue;
            }
            out.push_str("    members:\n");
            for (login, until) in &t.members {
                match until {
                    Some(u) => out.push_str(&format!("      - {{ user: {login}, until: {u} }}\n")),
                    None => out.push_str(&format!("      - {login}\n")),
                }
            }
        }
    }
    if !p.protected.is_empty() {
        out.push_str(&format!(
            "settings:\n  protected_users: [{}]\n",
            p.protected.join(", ")
        ));
    }
    out
}

fn load(text: &str) -> Option<Desired> {
    crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: text.into(),
    }])
    .ok()
}

/// The generated tenant, with every name resolving to one person.
fn live(seed: u64) -> Live {
    let mut live = crate::testkit::tenant_with_access(seed);
    live.groups.retain(|g| g.id != 9);
    for u in &mut live.users {
        u.supplier = false;
        u.email = format!("{}@acme.com", u.login.to_lowercase());
    }
    live
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn changes(d: &Desired, live: &Live) -> Option<Vec<Change>> {
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    crate::plan::make(d, live, origin, now(), &crate::CliWords::for_tests())
        .ok()
        .map(|p| p.plan.changes)
}

fn of(changes: &[Change], keep: impl Fn(&TargetKey) -> bool) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| keep(&TargetKey::new(c.kind(), c.target.name())))
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_plan_of_changed_targets_is_that_part_of_the_full_plan(
        tenant_seed in any::<u64>(),
        policy_seed in any::<u64>(),
        edit_seed in any::<u64>(),
    ) {
        let live = live(tenant_seed);
        let old = policy(&mut Seq::new(policy_seed));
        let new = edit(old.clone(), &mut Seq::new(edit_seed));
        let (Some(base), Some(head)) = (load(&yaml(&old)), load(&yaml(&new))) else {
            return Ok(());
        };
        let Some(full) = changes(&head, &live) else { return Ok(()) };
        let cand = match declared_changes(&base, &head) {
            Changes::Every(_) => {
                // Settings changed: the full plan is the plan.
                prop_assert!(old.protected != new.protected);
                return Ok(());
            }
            Changes::Targets(c) => c,
        };
        let kept = bound_changes(
            &restrict(&base, &cand),
            &restrict(&head, &cand),
            &live,
            now().date_naive(),
            &cand,
        );
        prop_assert!(kept.is_subset(&cand));
        let scoped = changes(&restrict(&head, &kept), &live);
        let Some(scoped) = scoped else {
            return Err(TestCaseError::fail("the full plan was made, the scoped one not"));
        };
        prop_assert_eq!(&scoped, &of(&full, |k| kept.contains(k)), "base:\n{}\nhead:\n{}", yaml(&old), yaml(&new));
        // Nothing missed: every target left out plans the same under the old policy.
        if let Some(before) = changes(&base, &live) {
            let heads: BTreeSet<TargetKey> = managed(&head);
            let left_out = |k: &TargetKey| !kept.contains(k) && heads.contains(k);
            prop_assert_eq!(of(&before, left_out), of(&full, left_out), "base:\n{}\nhead:\n{}", yaml(&old), yaml(&new));
        }
    }
}
