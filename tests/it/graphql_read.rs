//! Full reads through Coupa's GraphQL endpoint give the same answers as REST: the live state,
//! plans, drift reports and exports of generated tenants (owners, projects, inactive users,
//! Supplier Portal accounts, extra and missing members) are identical whichever path read
//! them. Each unfriendly variant of the endpoint (absent, nested lists capped, a field missing
//! from the schema) makes `auto` fall back to REST with the same result and a reason, and
//! makes a forced `graphql` read an error.

use std::collections::BTreeSet;

use coupa_access_client::{Access, Client, ClientOptions, Connection, ReadPath};
use coupa_access_core::model::{Group, License, Live, Membership, ReadVia, Role, User};
use coupa_access_sandbox::{Faults, SandboxConfig};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::common::{
    generated_tenant, policies, stderr_of, stdout_of, unlimited_config, TestSandbox, CLIENT_ID,
    CLIENT_SECRET,
};

fn client(t: &TestSandbox, path: ReadPath) -> Client {
    let conn = Connection::new(
        &t.sandbox.url(),
        CLIENT_ID,
        CLIENT_SECRET.to_string().into(),
    )
    .unwrap();
    let opts = ClientOptions {
        read_path: path,
        per_second: 1e6,
        burst: 100_000,
        ..ClientOptions::default()
    };
    Client::new(conn, Access::Read, opts).unwrap()
}

fn with_faults(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        faults,
        ..unlimited_config()
    }
}

/// (user, group, owner) of every membership: what GraphQL and REST must agree on.
fn pairs(live: &Live) -> BTreeSet<(u64, u64, bool)> {
    live.memberships
        .iter()
        .map(|m| (m.user_id, m.group_id, m.owner))
        .collect()
}

fn same_state(a: &Live, b: &Live) {
    assert_eq!(a.users, b.users);
    assert_eq!(a.groups, b.groups);
    assert_eq!(a.projects, b.projects);
    assert_eq!(a.roles, b.roles);
    assert_eq!(pairs(a), pairs(b));
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A tenant with owners on a large one.
fn owned_tenant(users: u64) -> Live {
    let mut live = generated_tenant(users);
    for m in live.memberships.iter_mut().filter(|m| m.id % 17 == 0) {
        m.owner = true;
    }
    live
}

#[test]
fn a_graphql_full_read_equals_the_rest_one_for_fewer_requests() {
    let t = TestSandbox::start_config(owned_tenant(700), unlimited_config());
    let rt = rt();
    let rest = rt
        .block_on(client(&t, ReadPath::Rest).read_live_full())
        .unwrap();
    assert_eq!(rest.taken.via, ReadVia::Rest);
    let rest_requests = t.sandbox.total_api_requests();
    t.sandbox.reset_counts();
    let c = client(&t, ReadPath::Auto);
    let mut gql = rt.block_on(c.read_live_full()).unwrap();
    assert_eq!(gql.taken.via, ReadVia::Graphql, "{:?}", gql.taken.reason);
    let gql_requests = t.sandbox.total_api_requests();
    same_state(&gql.live, &rest.live);
    // Small tenants gain little (the bench measures large ones); fewer all the same.
    assert!(
        gql_requests < rest_requests,
        "GraphQL {gql_requests} requests, REST {rest_requests}"
    );
    let counts = t.sandbox.request_counts();
    assert!(counts.get("POST /api/graphql").copied().unwrap_or(0) >= 14);
    // Owner rows are Coupa's own; the rest carry placeholders until completed.
    for m in &gql.live.memberships {
        assert_eq!(m.owner, !gql.is_placeholder(m.id), "{m:?}");
    }
    // Completing rows gives Coupa's ids and dates, per row and per whole group.
    let few: Vec<u64> = gql
        .live
        .memberships
        .iter()
        .filter(|m| gql.is_placeholder(m.id))
        .take(3)
        .map(|m| m.id)
        .collect();
    let group = gql.live.memberships[0].group_id;
    let mut wanted = gql.placeholder_pairs(few);
    wanted.extend(
        gql.live
            .memberships
            .iter()
            .filter(|m| m.group_id == group && gql.is_placeholder(m.id))
            .map(|m| (m.user_id, m.group_id)),
    );
    rt.block_on(c.complete_rows(&mut gql, &wanted)).unwrap();
    for (u, g) in &wanted {
        let real: Vec<&Membership> = rest
            .live
            .memberships
            .iter()
            .filter(|m| m.user_id == *u && m.group_id == *g)
            .collect();
        let now: Vec<&Membership> = gql
            .live
            .memberships
            .iter()
            .filter(|m| m.user_id == *u && m.group_id == *g)
            .collect();
        assert_eq!(now, real, "user {u} group {g}");
    }
    same_state(&gql.live, &rest.live);
}

/// Each unfriendly variant: auto reads REST (same state, a reason), forced graphql fails.
#[test]
fn every_unfriendly_graphql_endpoint_falls_back_to_rest_with_the_same_state() {
    let variants: Vec<(&str, Faults)> = vec![
        (
            "404",
            Faults {
                graphql_absent: true,
                ..Faults::default()
            },
        ),
        (
            "",
            Faults {
                graphql_nested_cap: Some(2),
                ..Faults::default()
            },
        ),
        (
            "doesn't exist",
            Faults {
                graphql_missing_fields: ["userGroups".to_string()].into(),
                ..Faults::default()
            },
        ),
        (
            "doesn't exist",
            Faults {
                graphql_missing_fields: ["purchasingUser".to_string()].into(),
                ..Faults::default()
            },
        ),
        (
            "owner=true",
            Faults {
                ignore_owner_filter: true,
                ..Faults::default()
            },
        ),
    ];
    let rt = rt();
    for (said, faults) in variants {
        let t = TestSandbox::start_config(owned_tenant(300), with_faults(faults.clone()));
        let rest = rt
            .block_on(client(&t, ReadPath::Rest).read_live_full())
            .unwrap();
        let auto = rt
            .block_on(client(&t, ReadPath::Auto).read_live_full())
            .unwrap();
        assert_eq!(auto.taken.via, ReadVia::Rest, "{said}");
        let reason = auto.taken.reason.clone().unwrap_or_default();
        assert!(
            !reason.is_empty() && reason.contains(said),
            "{said}: {reason}"
        );
        same_state(&auto.live, &rest.live);
        assert_eq!(
            auto.live.memberships, rest.live.memberships,
            "{said}: REST rows"
        );
        let forced = rt.block_on(client(&t, ReadPath::Graphql).read_live_full());
        let err = forced
            .expect_err("forced graphql must not fall back")
            .to_string();
        assert!(err.contains("did not prove itself"), "{said}: {err}");
    }
}

/// A cap the heuristic cannot see (few users above it) is caught by the REST sample of the
/// users holding the most groups.
#[test]
fn a_cap_only_a_few_users_exceed_is_caught_by_the_sample() {
    let mut live = generated_tenant(120);
    // One user in 12 groups; everyone else in 2 to 4.
    let mut next = 5_000_000;
    for g in 0..12 {
        if !live
            .memberships
            .iter()
            .any(|m| m.user_id == 7 && m.group_id == 1000 + g)
        {
            next += 1;
            live.memberships.push(Membership {
                id: next,
                user_id: 7,
                group_id: 1000 + g,
                created_at: None,
                owner: false,
                participant: None,
            });
        }
    }
    let faults = Faults {
        graphql_nested_cap: Some(10),
        ..Faults::default()
    };
    let t = TestSandbox::start_config(live, with_faults(faults));
    let read = rt()
        .block_on(client(&t, ReadPath::Auto).read_live_full())
        .unwrap();
    assert_eq!(read.taken.via, ReadVia::Rest);
    let reason = read.taken.reason.unwrap_or_default();
    assert!(reason.contains("user 7"), "{reason}");
}

// ---- the same answers through the binary, on generated tenants ----

/// A generated tenant and a policy over it.
fn generate(seed: u64) -> (Live, String) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n_users = rng.gen_range(30..140);
    let mut users = Vec::new();
    for id in 1..=n_users {
        let mut u = User::new(id, &format!("u{id}"), &format!("u{id}@acme.com"));
        u.active = rng.gen_bool(0.9);
        u.supplier = rng.gen_bool(0.05);
        for r in 1..=4 {
            if rng.gen_bool(0.3) {
                u.roles.insert(r);
            }
        }
        for l in License::ALL {
            if rng.gen_bool(0.2) {
                u.licenses.insert(l);
            }
        }
        users.push(u);
    }
    let n_groups = rng.gen_range(3..12);
    let groups: Vec<Group> = (0..n_groups)
        .map(|g| Group::new(100 + g, &format!("Group {g}")))
        .collect();
    let projects = vec![Group::new(500, "Project P")];
    let mut memberships = Vec::new();
    let mut next = 10_000;
    for g in groups.iter().chain(&projects) {
        let p = rng.gen_range(0.05..0.5);
        for u in &users {
            if rng.gen_bool(p) {
                next += rng.gen_range(1..4);
                memberships.push(Membership {
                    id: next,
                    user_id: u.id,
                    group_id: g.id,
                    created_at: Some(
                        format!("2026-0{}-1{}T09:00:00+00:00", 1 + next % 9, next % 10).into(),
                    ),
                    owner: rng.gen_bool(0.08),
                    participant: rng.gen_bool(0.5).then_some(true),
                });
            }
        }
    }
    memberships.shuffle(&mut rng);
    memberships.sort_by_key(|m| m.id);
    let live = Live {
        users,
        groups,
        projects,
        roles: (1..=4)
            .map(|r| Role::new(r, &format!("Role {r}"), r == 1))
            .collect(),
        memberships,
    };
    // The policy: some groups listed (authoritative or additive), a license and a role.
    let employees: Vec<&User> = live.users.iter().filter(|u| !u.supplier).collect();
    let some = |rng: &mut SmallRng, p: f64| -> String {
        let names: Vec<String> = employees
            .iter()
            .filter(|_| rng.gen_bool(p))
            .map(|u| format!("\"{}\"", u.login))
            .collect();
        format!("[{}]", names.join(", "))
    };
    let mut yaml = String::from("groups:\n");
    for g in &live.groups {
        if rng.gen_bool(0.7) {
            let mode = if rng.gen_bool(0.3) {
                "additive"
            } else {
                "authoritative"
            };
            // Mostly the group's own members, some dropped, some added.
            let members: Vec<String> = employees
                .iter()
                .filter(|u| {
                    let held = live
                        .memberships
                        .iter()
                        .any(|m| m.group_id == g.id && m.user_id == u.id);
                    if held {
                        rng.gen_bool(0.8)
                    } else {
                        rng.gen_bool(0.05)
                    }
                })
                .map(|u| format!("\"{}\"", u.login))
                .collect();
            yaml.push_str(&format!(
                "  \"{}\":\n    mode: {mode}\n    members: [{}]\n",
                g.name,
                members.join(", ")
            ));
        }
    }
    yaml.push_str(&format!(
        "licenses:\n  expense:\n    members: {}\n",
        some(&mut rng, 0.2)
    ));
    yaml.push_str(&format!(
        "roles:\n  \"Role 2\":\n    members: {}\n",
        some(&mut rng, 0.3)
    ));
    yaml.push_str("settings:\n  writes: [groups, roles, licenses]\n  max_removals: { total: 100000, per_group_fraction: 1.0 }\n");
    (live, yaml)
}

fn run(t: &TestSandbox, args: &[&str], path: &str) -> (String, std::process::Output) {
    let out = t
        .cmd()
        .args(args)
        .args(["--read-path", path])
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .unwrap();
    (stdout_of(&out), out)
}

/// Drift JSON without how it was read (the read path, and the REST listings that completeness
/// names: a GraphQL read lists fewer), the only things allowed to differ.
fn drift_json(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| {
        panic!("drift JSON: {e}\n{text}");
    });
    let m = v.as_object_mut().unwrap();
    assert_eq!(m["completeness"]["established_by"], "live_read", "{text}");
    m.remove("completeness");
    m.remove("read_path");
    m.remove("read_path_reason");
    v
}

#[test]
fn plans_drift_and_exports_are_the_same_through_graphql_and_rest() {
    for seed in 0..10 {
        let (live, yaml) = generate(seed);
        let faults = match seed % 4 {
            // Every few tenants, an unfriendly endpoint: auto falls back, same answers.
            3 => Faults {
                graphql_nested_cap: Some(1),
                ..Faults::default()
            },
            _ => Faults::default(),
        };
        let t = TestSandbox::start_config(live, with_faults(faults));
        let dir = policies(&[("policy.yaml", &yaml)]);
        let p = dir.path().to_str().unwrap();

        let drift = ["drift", "--policies", p, "--format", "json"];
        let (rest, rest_out) = run(&t, &drift, "rest");
        let (auto, auto_out) = run(&t, &drift, "auto");
        assert_eq!(
            rest_out.status.code(),
            auto_out.status.code(),
            "seed {seed}: {}",
            stderr_of(&auto_out)
        );
        assert_eq!(
            drift_json(&rest),
            drift_json(&auto),
            "seed {seed}: drift\n{yaml}"
        );
        let via: serde_json::Value = serde_json::from_str(&auto).unwrap();
        let expect = if seed % 4 == 3 { "rest" } else { "graphql" };
        assert_eq!(
            via["read_path"], expect,
            "seed {seed}: {}",
            via["read_path_reason"]
        );

        let plan = ["plan", "--policies", p, "--format", "json"];
        let (rest, rest_out) = run(&t, &plan, "rest");
        let (gql, gql_out) = run(&t, &plan, if seed % 4 == 3 { "auto" } else { "graphql" });
        assert_eq!(
            rest_out.status.code(),
            gql_out.status.code(),
            "seed {seed}: {}",
            stderr_of(&gql_out)
        );
        assert_eq!(rest, gql, "seed {seed}: plan\n{}", stderr_of(&gql_out));

        let mut exported = Vec::new();
        for path in ["rest", "auto"] {
            let out_dir = tempfile::tempdir().unwrap();
            let (stdout, out) = run(
                &t,
                &[
                    "export",
                    "--licenses",
                    "*",
                    "--roles",
                    "*",
                    "--out-dir",
                    out_dir.path().to_str().unwrap(),
                ],
                path,
            );
            // Exported or refused, the same either way.
            let said = (
                out.status.code(),
                stdout,
                stderr_of(&out).replace(out_dir.path().to_str().unwrap(), "DIR"),
            );
            let mut files: Vec<(String, String)> = std::fs::read_dir(out_dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|f| {
                    (
                        f.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read_to_string(&f).unwrap(),
                    )
                })
                .collect();
            files.sort();
            exported.push((said, files));
        }
        assert_eq!(exported[0], exported[1], "seed {seed}: export");
    }
}

#[test]
fn a_forced_graphql_read_that_fails_its_proof_is_an_error_and_drift_json_says_why_auto_fell_back() {
    let faults = Faults {
        graphql_absent: true,
        ..Faults::default()
    };
    let t = TestSandbox::start_config(crate::common::tenant(), with_faults(faults));
    let dir = policies(&[(
        "p.yaml",
        "groups:\n  AP Clerks:\n    members: [alice, bob]\n",
    )]);
    let p = dir.path().to_str().unwrap();
    let (_, out) = run(
        &t,
        &["drift", "--policies", p, "--format", "json"],
        "graphql",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("did not prove") && err.contains("--read-path auto"),
        "{err}"
    );
    let (json, out) = run(&t, &["drift", "--policies", p, "--format", "json"], "auto");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["read_path"], "rest");
    assert!(
        v["read_path_reason"].as_str().unwrap().contains("404"),
        "{v}"
    );
    // A snapshot says nothing about a read path.
    let (_snapdir, snap) = t.snapshot();
    let (json, _) = run(
        &t,
        &[
            "drift",
            "--policies",
            p,
            "--format",
            "json",
            "--snapshot",
            snap.to_str().unwrap(),
        ],
        "auto",
    );
    assert!(!json.contains("read_path"), "{json}");
}
