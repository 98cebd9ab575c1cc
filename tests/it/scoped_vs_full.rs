//! One name rule: a plan made from a scoped read (memberships of managed groups only, and only
//! the users the policy names or the groups hold: what `plan` and `apply` do) equals the plan
//! made from a full read (what `snapshot` and `plan --snapshot` do), on generated tenants full
//! of names that are easy to get wrong: case twins in group names, logins and emails, leading
//! and trailing spaces, projects named like groups, non-ASCII names, inactive users, Supplier
//! Portal accounts sharing an employee's email or login, a login that is someone else's email,
//! names nobody has. The same holds against a server that ignores `[in]` filters, and for the
//! verdicts of time-bound grants and separation-of-duties rules (which read the rules' groups).
//! A plan's read chooses, part by part, between its scoped read and the full read cut down to
//! the scope (whichever costs fewer requests): both sides of that choice, forced, plan the same.

use std::collections::BTreeSet;

use coupa_access_client::{Access, ReadScope, ReadWay};
use coupa_access_core::model::{Group, Live, Membership, NameKey, Origin, PolicyFile, Role, User};
use coupa_access_core::plan::{ManagedGroups, PlanFailure};
use coupa_access_core::{plan, policy};
use coupa_access_sandbox::{Faults, Sandbox};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::common::{client_for, client_reading, sandbox_config, unlimited_config};

/// Group names that fold together or nearly do.
const GROUP_NAMES: &[&str] = &[
    "AP Clerks",
    "AP Clerks ",
    "ap clerks",
    " Finance",
    "Finance",
    "Zoë's Team",
    "ZOË'S TEAM",
    "Straße",
    "STRASSE",
    "Ünïcödé",
    "Buyers",
    "Buyers\u{a0}",
];
const LOGINS: &[&str] = &[
    "alice", "Alice", "bob", "zoë", "ZOË", "dave", "erin", "frank", "ümit", "grace",
];

/// How a policy author might spell a name: as is, upper-cased, lower-cased, padded.
fn respell(rng: &mut SmallRng, name: &str) -> String {
    match rng.gen_range(0..8) {
        0 => name.to_uppercase(),
        1 => name.to_lowercase(),
        2 => format!(" {name} "),
        _ => name.to_string(),
    }
}

/// YAML-quotes a string (double quotes, escaping what needs it).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A tenant and a policy over it, from `seed`.
fn generate(seed: u64) -> (Live, Vec<PolicyFile>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut users = Vec::new();
    let mut emails = BTreeSet::new();
    for (i, login) in LOGINS.iter().enumerate() {
        if rng.gen_bool(0.85) {
            // Emails spelled lower case or like the login; login twins mostly get emails of
            // their own, sometimes one that differs only in case (`Alice@acme.com`).
            let lower = login.to_lowercase();
            let email = if !emails.insert(lower.clone()) && rng.gen_bool(0.7) {
                format!("{lower}.{i}@acme.com")
            } else if rng.gen_bool(0.5) {
                format!("{login}@acme.com")
            } else {
                format!("{lower}@acme.com")
            };
            users.push(User {
                active: rng.gen_bool(0.9),
                ..User::new(100 + i as u64, login, &email)
            });
        }
    }
    // A login that is another user's email, and an email that is another user's login.
    if rng.gen_bool(0.3) {
        users.push(User::new(150, "dave@acme.com", "d.two@acme.com"));
    }
    if rng.gen_bool(0.3) {
        users.push(User::new(151, "frank2", "ERIN"));
    }
    // Supplier Portal accounts: one sharing an employee's email, one sharing a login, one of
    // its own; none of them takes part in identity matching.
    if rng.gen_bool(0.6) {
        let supplier = |id: u64, login: &str, email: &str| User {
            supplier: true,
            ..User::new(id, login, email)
        };
        users.push(supplier(160, "acme-supplier", "alice@acme.com"));
        users.push(supplier(161, "bob", "bob@supplier.example"));
        users.push(supplier(162, "parts-inc", "sales@parts.example"));
    }
    let mut groups = Vec::new();
    let mut projects = Vec::new();
    for (i, name) in GROUP_NAMES.iter().enumerate() {
        if rng.gen_bool(0.7) {
            groups.push(Group::new(10 + i as u64, name));
        }
        if rng.gen_bool(0.15) {
            projects.push(Group::new(60 + i as u64, name));
        }
    }
    // Coupa lets two groups have the exact same name; a policy tells them apart with `id:`.
    if !groups.is_empty() && rng.gen_bool(0.3) {
        let twin = groups.choose(&mut rng).unwrap().name.clone();
        groups.push(Group::new(50, &twin));
    }
    let mut memberships = Vec::new();
    let mut next = 1000;
    for g in &groups {
        for u in &users {
            if rng.gen_bool(0.4) {
                memberships.push(Membership {
                    id: next,
                    user_id: u.id,
                    group_id: g.id,
                    created_at: None,
                    owner: false,
                    participant: None,
                });
                next += 1;
            }
        }
    }
    memberships.shuffle(&mut rng);
    memberships.sort_by_key(|m| m.id);
    let live = Live {
        users,
        groups,
        projects,
        roles: vec![Role::new(1, "Admin", true), Role::new(2, "Buyer", false)],
        memberships,
    };

    let mut yaml = String::from("groups:\n");
    let mut declared = BTreeSet::new();
    // Mostly names Coupa has (so most policies check), sometimes any name of the pool.
    let live_names: Vec<&str> = live.groups.iter().map(|g| g.name.as_str()).collect();
    // Mostly employees' logins and emails; now and then anyone's (suppliers too) or a name
    // nobody has.
    let employees: Vec<&str> = live
        .users
        .iter()
        .filter(|u| !u.supplier)
        .flat_map(|u| [u.login.as_str(), u.login.as_str(), u.email.as_str()])
        .collect();
    let mut anyone: Vec<&str> = live
        .users
        .iter()
        .flat_map(|u| [u.login.as_str(), u.email.as_str()])
        .collect();
    anyone.extend(["nobody", "alicee"]);
    let member = |rng: &mut SmallRng| -> &str {
        let pool = if rng.gen_bool(0.93) {
            &employees
        } else {
            &anyone
        };
        pool.choose(rng).copied().unwrap_or("nobody")
    };
    for _ in 0..4 {
        let pool = if rng.gen_bool(0.8) && !live_names.is_empty() {
            &live_names[..]
        } else {
            GROUP_NAMES
        };
        let name = pool.choose(&mut rng).unwrap();
        let written = respell(&mut rng, name);
        // Two spellings of one key in a policy are a (reported) duplicate; keep policies valid
        // so the comparison is about plans, not about the same error twice.
        if !declared.insert(written.trim().to_lowercase()) {
            continue;
        }
        let mut keys = BTreeSet::new();
        let picked: Vec<&str> = (0..3)
            .map(|_| member(&mut rng))
            .filter(|l| keys.insert(l.to_lowercase()))
            .collect();
        let mut members: Vec<String> = picked
            .iter()
            .map(|l| quoted(&respell(&mut rng, l)))
            .collect();
        // Time-bound grants: one that ended the day before the plan (removed in any mode), one
        // ending inside the warning window (a warning).
        for until in ["2025-12-31", "2026-01-10"] {
            let extra = member(&mut rng);
            if rng.gen_bool(0.3) && keys.insert(extra.to_lowercase()) {
                members.push(format!(
                    "{{ user: {}, until: {until}, reason: FIN-1 }}",
                    quoted(extra)
                ));
            }
        }
        let mode = if rng.gen_bool(0.3) {
            "additive"
        } else {
            "authoritative"
        };
        // Sometimes the group is named by id too: one of its twins', or a wrong one.
        let ids: Vec<u64> = live
            .groups
            .iter()
            .filter(|g| NameKey::new(&g.name) == NameKey::new(&written))
            .map(|g| g.id)
            .collect();
        // Twins need it (mostly given); a lone group may have it too.
        let p_id = if ids.len() > 1 { 0.9 } else { 0.3 };
        let id = match ids.choose(&mut rng) {
            Some(&id) if rng.gen_bool(p_id) => format!("    id: {id}\n"),
            Some(_) if rng.gen_bool(0.1) => "    id: 11\n".to_string(),
            _ => String::new(),
        };
        yaml.push_str(&format!(
            "  {}:\n{id}    mode: {mode}\n    members: [{}]\n",
            quoted(&written),
            members.join(", ")
        ));
    }
    // A separation-of-duties rule over two live groups (managed or not), sometimes with an
    // exception: its verdicts need every holder of both, however the tenant was read.
    if rng.gen_bool(0.5) && live_names.len() >= 2 {
        let mut two: Vec<&str> = live_names.choose_multiple(&mut rng, 2).copied().collect();
        two.sort();
        if NameKey::new(two[0]) != NameKey::new(two[1]) {
            yaml.push_str(&format!(
                "rules:\n  separation_of_duties:\n    - name: Two duties\n      sides:\n        - groups: [{}]\n        - groups: [{}]\n",
                quoted(two[0]),
                quoted(two[1])
            ));
            if rng.gen_bool(0.5) {
                let until = if rng.gen_bool(0.5) {
                    "2026-06-30"
                } else {
                    "2025-06-30"
                };
                yaml.push_str(&format!(
                    "      exceptions:\n        - {{ user: {}, until: {until}, ticket: SOX-1, approved_by: cfo@acme.com }}\n",
                    quoted(member(&mut rng))
                ));
            }
        }
    }
    // Additive roles and licenses read only the users they name; now and then an authoritative
    // one, which needs every user.
    let pick = |rng: &mut SmallRng| -> String {
        let mut seen = BTreeSet::new();
        (0..2)
            .map(|_| member(rng))
            .filter(|l| seen.insert(l.to_lowercase()))
            .map(quoted)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rng.gen_bool(0.4) {
        let mode = if rng.gen_bool(0.2) {
            "authoritative"
        } else {
            "additive"
        };
        let members = pick(&mut rng);
        yaml.push_str(&format!(
            "roles:\n  Buyer:\n    mode: {mode}\n    members: [{members}]\n"
        ));
    }
    if rng.gen_bool(0.4) {
        let members = pick(&mut rng);
        yaml.push_str(&format!(
            "licenses:\n  expense:\n    mode: additive\n    members: [{members}]\n"
        ));
    }
    if rng.gen_bool(0.3) {
        let members = pick(&mut rng);
        yaml.push_str(&format!("settings:\n  protected_users: [{members}]\n"));
    }
    let files = vec![PolicyFile {
        path: "policies/groups.yaml".into(),
        text: yaml,
    }];
    (live, files)
}

/// The plan (or the check's errors, one line each) for a policy over a live read.
fn outcome(files: &[PolicyFile], live: &Live) -> Result<String, Vec<String>> {
    let desired = policy::load_files(files.to_vec()).map_err(|e| {
        e.diagnostics
            .iter()
            .map(|d| d.one_line())
            .collect::<Vec<_>>()
    })?;
    // The same use case the CLI runs: check, diff, guards, stamp.
    let origin = Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    match plan::make(&desired, live, origin, now, &crate::common::cli_words()) {
        Ok(planned) => Ok(coupa_access_core::render::json(&planned.plan)),
        Err(PlanFailure::Check { errors, .. }) => {
            Err(errors.iter().map(|d| d.one_line()).collect())
        }
        Err(e) => Err(vec![e.to_string()]),
    }
}

/// Generated tenants per run: enough that a few hundred policies are compared, plans and
/// errors alike.
const SEEDS: u64 = 60;

#[tokio::test]
async fn scoped_and_full_reads_give_the_same_plan_on_generated_tenants() {
    let (mut compared_plans, mut planned_by_id, mut with_rules, mut with_expiry) = (0, 0, 0, 0);
    let mut fewer_users = 0;
    for seed in 0..SEEDS {
        let (tenant, files) = generate(seed);
        let addr = "127.0.0.1:0".parse().unwrap();
        let sb = Sandbox::start(tenant.clone(), unlimited_config(), addr)
            .await
            .unwrap();
        // A server that ignores `[in]` filters: the client must notice and read everything.
        let ignoring = Sandbox::start(
            tenant.clone(),
            coupa_access_sandbox::SandboxConfig {
                faults: Faults {
                    ignore_in_filters: true,
                    ..Faults::default()
                },
                ..unlimited_config()
            },
            addr,
        )
        .await
        .unwrap();
        let client = client_for(&sb, Access::Read);

        let full = client
            .read_live_scoped(&ReadScope::Everything)
            .await
            .unwrap();
        let desired = policy::load_files(files.clone()).expect("generated policies load");
        let groups_only = ReadScope::managed_by(ManagedGroups::of(&desired));
        let scoped = client.read_live_scoped(&groups_only).await.unwrap();
        let for_plan = ReadScope::for_plan(&desired);
        let plan_read = client.read_live_scoped(&for_plan).await.unwrap();
        let ignored = client_for(&ignoring, Access::Read)
            .read_live_scoped(&for_plan)
            .await
            .unwrap();
        // Both sides of the scoped-or-full choice, forced, for both kinds of plan read.
        let mut forced = Vec::new();
        for way in [ReadWay::Scoped, ReadWay::Full] {
            let c = client_reading(&sb, way);
            for (what, scope) in [("plan", &for_plan), ("groups", &groups_only)] {
                let live = c.read_live_scoped(scope).await.unwrap();
                forced.push((format!("{way:?} read for the {what}"), live));
            }
        }
        let ignored_full = client_reading(&ignoring, ReadWay::Full)
            .read_live_scoped(&for_plan)
            .await
            .unwrap();
        forced.push(("Full read of a server ignoring [in]".into(), ignored_full));
        sb.shutdown().await;
        ignoring.shutdown().await;
        if plan_read.users.len() < full.users.len() {
            fewer_users += 1;
        }
        assert_eq!(
            ignored.users, full.users,
            "seed {seed}: a server ignoring [in] filters must lead to the full user read"
        );

        let a = outcome(&files, &full);
        let mut reads: Vec<(&str, &Live)> = vec![
            ("memberships of managed groups", &scoped),
            ("the users the plan needs", &plan_read),
            ("a server ignoring [in]", &ignored),
        ];
        reads.extend(forced.iter().map(|(what, live)| (what.as_str(), live)));
        for (what, live) in reads {
            assert_eq!(
                a,
                outcome(&files, live),
                "seed {seed}: the read of {what} planned differently from the full read\npolicy:\n{}",
                files[0].text
            );
        }
        match &a {
            Ok(_) => {
                compared_plans += 1;
                if files[0].text.contains("    id: ") {
                    planned_by_id += 1;
                }
                if files[0].text.contains("separation_of_duties") {
                    with_rules += 1;
                }
                if files[0].text.contains("until: 2025-12-31") {
                    with_expiry += 1;
                }
            }
            Err(e) => eprintln!("seed {seed}: {e:?}"),
        }
    }
    assert!(
        planned_by_id >= 3,
        "only {planned_by_id} plans named a group by id"
    );
    // The generator must produce mostly valid policies, or the property says little; and the
    // user scoping must actually leave users out.
    println!("{compared_plans} plans, {planned_by_id} by id, {with_rules} with a rule, {with_expiry} with an expired grant, {fewer_users} reads left users out");
    assert!(with_rules >= 4, "only {with_rules} plans had a rule");
    assert!(
        with_expiry >= 5,
        "only {with_expiry} plans had an expired grant"
    );
    assert!(
        compared_plans >= 12,
        "only {compared_plans} of {SEEDS} seeds planned"
    );
    // Rules widen the read to their groups' holders, so fewer reads leave users out than
    // before rules existed.
    assert!(
        fewer_users >= 10,
        "only {fewer_users} of {SEEDS} scoped reads left any user out"
    );
}

/// The bug that motivated one name rule: a live group named with a trailing space.
#[tokio::test]
async fn a_group_with_a_trailing_space_keeps_its_members_in_a_scoped_read() {
    let mut tenant = crate::common::tenant();
    tenant.groups[0].name = "AP Clerks ".into();
    let sb = Sandbox::start(
        tenant,
        sandbox_config(Default::default()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let client = client_for(&sb, Access::Read);
    let files = vec![PolicyFile {
        path: "policies/g.yaml".into(),
        text: "groups:\n  AP Clerks:\n    members: [alice, bob]\n".into(),
    }];
    let desired = policy::load_files(files.clone()).unwrap();
    let scoped = client
        .read_live_scoped(&ReadScope::managed_by(ManagedGroups::of(&desired)))
        .await
        .unwrap();
    assert_eq!(
        scoped.memberships.len(),
        2,
        "both members of `AP Clerks ` read"
    );
    let diff = plan::diff(&desired, &scoped).unwrap();
    assert!(diff.changes.is_empty(), "no changes: {:?}", diff.changes);
}

/// The same comparison through the binary: `plan` against the instance (scoped read) and
/// `plan --snapshot` of a `snapshot` (full read) list the same changes.
#[test]
fn the_cli_plans_the_same_from_the_instance_and_from_a_snapshot() {
    let mut tenant = crate::common::tenant();
    tenant.groups[0].name = "AP Clerks ".into();
    tenant.groups[1].name = "BUYERS".into();
    let sb = crate::common::TestSandbox::start(tenant, Default::default());
    let dir = crate::common::policies(&[(
        "g.yaml",
        "groups:\n  ap clerks:\n    members: [alice, carol]\n  Buyers:\n    members: [carol]\n",
    )]);
    let (_work, snap) = sb.snapshot();
    let changes = |extra: &[&str]| -> serde_json::Value {
        let out = sb
            .cmd()
            .args(["plan", "--format", "json", "--policies"])
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", crate::common::stderr_of(&out));
        let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        plan["changes"].clone()
    };
    let live = changes(&[]);
    let offline = changes(&["--snapshot", snap.to_str().unwrap()]);
    assert_eq!(live, offline);
    // alice stays, bob goes, carol joins AP Clerks; integration-bot leaves Buyers.
    assert_eq!(live.as_array().unwrap().len(), 3, "{live:#}");
}
