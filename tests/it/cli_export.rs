//! `export` through the real binary: export then plan shows no changes (sample tenant and a
//! generated 5,000-user tenant), hostile names survive, nothing is overwritten or half-written.

use std::path::Path;

use crate::common::*;
use coupa_access_core::model::{Group, Live, Membership, User};
use coupa_access_sandbox::sample_tenant;

/// `coupa-access snapshot` against the sandbox into `file`.
fn snapshot(sb: &TestSandbox, file: &Path) {
    let out = sb
        .cmd()
        .args(["snapshot", "--out", path_str(file)])
        .args(["--rate-limit", "1000", "--burst", "1000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

/// `plan --snapshot FILE --detailed-exitcode` on `policies`: the exit code and stdout.
fn plan_offline(file: &Path, policies: &Path) -> (Option<i32>, String) {
    let out = bin()
        .args([
            "plan",
            "--snapshot",
            path_str(file),
            "--policies",
            path_str(policies),
        ])
        .arg("--detailed-exitcode")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(1), "{}", stderr_of(&out));
    (out.status.code(), stdout_of(&out))
}

fn export(cmd: &mut assert_cmd::Command, args: &[&str]) -> std::process::Output {
    cmd.arg("export").args(args).output().unwrap()
}

#[test]
fn export_from_the_sample_tenant_then_plan_changes_nothing() {
    let sb = TestSandbox::start_unlimited(sample_tenant());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    snapshot(&sb, &snap);
    let pol = dir.path().join("policies");
    // Live, from the running sandbox.
    let out = export(
        &mut sb.cmd(),
        &[
            "--out-dir",
            path_str(&pol),
            "--roles",
            "*",
            "--licenses",
            "*",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for f in ["groups.yaml", "roles.yaml", "licenses.yaml"] {
        assert!(pol.join(f).is_file(), "{f} written");
    }
    let groups = std::fs::read_to_string(pol.join("groups.yaml")).unwrap();
    assert!(
        groups.contains("# inactive in Coupa"),
        "inactive members are marked"
    );
    assert!(groups.contains("are not exported: "), "projects are named");
    assert!(groups.contains(&format!("from {} at ", sb.sandbox.url())));
    // The files say when apply writes roles and licenses (the one switch: `settings.writes`).
    for (file, kind) in [("roles.yaml", "roles"), ("licenses.yaml", "licenses")] {
        let text = std::fs::read_to_string(pol.join(file)).unwrap();
        let says = format!("only when `settings.writes` includes `{kind}`");
        assert!(text.contains(&says), "{file}:\n{text}");
        assert!(!text.contains("(yet)"), "{file}:\n{text}");
    }
    let (code, stdout) = plan_offline(&snap, &pol);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("No changes"), "{stdout}");
    // And against the live sandbox too.
    let out = sb
        .cmd()
        .args(["plan", "--policies", path_str(&pol), "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout_of(&out));
}

#[test]
fn export_from_a_generated_5000_user_tenant_then_plan_changes_nothing() {
    let live = generated_tenant(5_000);
    let sb = TestSandbox::start_unlimited(live.clone());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    snapshot(&sb, &snap);
    let pol = dir.path().join("policies");
    // Offline, from the snapshot.
    let out = export(
        &mut bin(),
        &[
            "--snapshot",
            path_str(&snap),
            "--out-dir",
            path_str(&pol),
            "--roles",
            "*",
            "--licenses",
            "*",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!(
            "40 groups, {} member entries",
            live.memberships.len()
        )),
        "{stderr}"
    );
    let groups = std::fs::read_to_string(pol.join("groups.yaml")).unwrap();
    assert!(
        groups.contains(&format!("from {} (snapshot", sb.sandbox.url())),
        "{}",
        &groups[..300]
    );
    assert!(groups.contains("are not exported: Rollout Project."));
    let (code, stdout) = plan_offline(&snap, &pol);
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn hostile_names_are_quoted_and_read_back() {
    let hostile = [
        "yes", "no", "null", "~", "true", "42", "3.5", "a: b", "a #b", " spaced ", "-dash",
        "*star", "&anchor", "!tag", "%pct", "@at", "`tick", "[list]", "{map}", "it's",
    ];
    let mut live = Live::default();
    for (i, name) in hostile.iter().enumerate() {
        let i = i as u64;
        live.users
            .push(User::new(1 + i, name, &format!("u{i}@acme.com")));
        live.groups.push(Group::new(100 + i, name));
        live.memberships.push(Membership {
            id: 1000 + i,
            user_id: 1 + i,
            group_id: 100 + i,
            created_at: None,
            owner: false,
            participant: None,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&live).unwrap()).unwrap();
    let pol = dir.path().join("p");
    let out = export(
        &mut bin(),
        &["--snapshot", path_str(&snap), "--out-dir", path_str(&pol)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(pol.join("groups.yaml")).unwrap();
    for bad in [
        "  yes:", "  null:", "  ~:", "  42:", "- no\n", "- true\n", "  -dash:",
    ] {
        assert!(!text.contains(bad), "{bad:?} written plain:\n{text}");
    }
    let (code, stdout) = plan_offline(&snap, &pol);
    assert_eq!(code, Some(0), "{stdout}\n{text}");
}

#[test]
fn existing_files_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = dir.path().join("p");
    std::fs::create_dir(&pol).unwrap();
    std::fs::write(pol.join("roles.yaml"), "# mine\n").unwrap();
    let args = [
        "--snapshot",
        path_str(&snap),
        "--out-dir",
        path_str(&pol),
        "--roles",
        "*",
    ];
    let out = export(&mut bin(), &args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("nothing written") && stderr.contains("roles.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(
        !pol.join("groups.yaml").exists(),
        "groups.yaml not written either"
    );
    assert_eq!(
        std::fs::read_to_string(pol.join("roles.yaml")).unwrap(),
        "# mine\n"
    );

    let out = export(&mut bin(), &[&args[..], &["--force"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let roles = std::fs::read_to_string(pol.join("roles.yaml")).unwrap();
    assert!(
        roles.contains("  User:\n    members:\n      - alice\n"),
        "{roles}"
    );
    // Only the two files and the editors' schema: temporaries were renamed into place.
    let mut names: Vec<String> = std::fs::read_dir(&pol)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["groups.yaml", "policy.schema.json", "roles.yaml"]);
}

#[test]
fn patterns_that_match_nothing_and_additive_mode() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = dir.path().join("p");
    let base = ["--snapshot", path_str(&snap), "--out-dir", path_str(&pol)];
    let out = export(
        &mut bin(),
        &[&base[..], &["--groups", "AP*", "Nope"]].concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("no group matches `Nope`"),
        "{}",
        stderr_of(&out)
    );
    assert!(!pol.exists(), "nothing created");

    let out = export(
        &mut bin(),
        &[
            &base[..],
            &[
                "--groups",
                "ap clerks",
                "--licenses",
                "exp*",
                "--mode",
                "additive",
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let groups = std::fs::read_to_string(pol.join("groups.yaml")).unwrap();
    assert!(
        groups.contains(
            "  AP Clerks:\n    mode: additive\n    members:\n      - alice\n      - bob\n"
        ),
        "{groups}"
    );
    assert!(!groups.contains("Buyers"));
    let licenses = std::fs::read_to_string(pol.join("licenses.yaml")).unwrap();
    assert!(
        licenses.contains("  expense:\n    mode: additive\n    members:\n      - alice\n"),
        "{licenses}"
    );
    assert!(!pol.join("roles.yaml").exists());
}

/// Coupa data that tries to become policy: a project, group names, the snapshot's
/// `domain` and `taken_at` carrying line breaks followed by a `settings:` block or a `users:`
/// grant of Admin; a 2,000-character name, a blank one, and logins equal but for case.
fn hostile_snapshot(dir: &Path) -> std::path::PathBuf {
    let mut live = tenant();
    live.projects.push(Group::new(
        21,
        "Launch\nsettings:\n  protected_users: [alice]\n  max_removals: {}\n#",
    ));
    let names = [
        "Ops\r\nusers:\n  dave:\n    roles: [Admin]\n#".to_string(),
        "Q\u{2028}settings: {writes: [roles]}".to_string(),
        "\u{202e}sreyuB".to_string(),
        "L".repeat(2_000),
        String::new(),
    ];
    for (i, name) in names.iter().enumerate() {
        let i = i as u64;
        live.groups.push(Group::new(30 + i, name));
        live.memberships.push(Membership {
            id: 300 + i,
            user_id: 2,
            group_id: 30 + i,
            created_at: None,
            owner: false,
            participant: None,
        });
    }
    for (id, login) in [(7, "Zed"), (8, "zed")] {
        let mut u = User::new(id, login, &format!("b{id}@acme.com"));
        u.roles = [2].into();
        live.users.push(u);
        live.memberships.push(Membership {
            id: 400 + id,
            user_id: id,
            group_id: 10,
            created_at: None,
            owner: false,
            participant: None,
        });
    }
    let mut json = serde_json::to_value(&live).unwrap();
    json["format_version"] = 1.into();
    json["kind"] = "snapshot".into();
    json["domain"] = "https://acme.coupahost.com\nusers:\n  dave:\n    roles: [Admin]\n#".into();
    json["taken_at"] = "2026-01-01T00:00:00Z\rsettings:\n  protected_users: [bob]\n#".into();
    let snap = dir.join("hostile.json");
    std::fs::write(&snap, serde_json::to_string(&json).unwrap()).unwrap();
    snap
}

#[test]
fn hostile_coupa_data_exports_to_policy_that_plans_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let snap = hostile_snapshot(dir.path());
    let pol = dir.path().join("p");
    let out = export(
        &mut bin(),
        &[
            "--snapshot",
            path_str(&snap),
            "--out-dir",
            path_str(&pol),
            "--roles",
            "*",
            "--licenses",
            "*",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("warning: group id 34 not exported: its name is blank"),
        "{stderr}"
    );
    for f in ["groups.yaml", "roles.yaml", "licenses.yaml"] {
        let text = std::fs::read_to_string(pol.join(f)).unwrap();
        for (n, line) in text.split('\n').enumerate() {
            assert!(
                !line.starts_with("settings") && !line.starts_with("users"),
                "{f}:{}: {line:?}",
                n + 1
            );
            assert!(
                !line.contains(['\r', '\u{2028}', '\u{202e}']),
                "{f}:{}: raw {line:?}",
                n + 1
            );
        }
    }
    // Export then plan: no changes, so nothing granted to dave and nothing protected.
    let (code, stdout) = plan_offline(&snap, &pol);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("No changes"), "{stdout}");
    // Removing bob from every group now plans every removal: no `protected_users` hides one.
    let groups = std::fs::read_to_string(pol.join("groups.yaml")).unwrap();
    // A list left with nothing is written `members: []`: an empty `members:` is refused.
    let without_bob = groups.replace("      - bob\n", "");
    let lines: Vec<&str> = without_bob.split('\n').collect();
    let mut edited = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied().unwrap_or("");
        if *line == "    members:" && !next.starts_with("      - ") {
            edited.push("    members: []");
        } else {
            edited.push(line);
        }
    }
    std::fs::write(pol.join("groups.yaml"), edited.join("\n")).unwrap();
    let (code, stdout) = plan_offline(&snap, &pol);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(!stdout.to_lowercase().contains("protected"), "{stdout}");
}

#[test]
fn a_refused_export_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A membership of a user Coupa did not return: no plan can be made of such a policy, so
    // the read-back check refuses it.
    let mut live = tenant();
    live.memberships.push(Membership {
        id: 999,
        user_id: 77,
        group_id: 10,
        created_at: None,
        owner: false,
        participant: None,
    });
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&live).unwrap()).unwrap();
    let pol = dir.path().join("p");
    let out = export(
        &mut bin(),
        &["--snapshot", path_str(&snap), "--out-dir", path_str(&pol)],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("refused") && stderr.contains("user id 77"),
        "{stderr}"
    );
    assert!(!pol.exists(), "nothing created");
}

#[cfg(unix)]
#[test]
fn every_target_path_is_checked_before_any_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("t.json");
    std::fs::write(&snap, serde_json::to_string(&tenant()).unwrap()).unwrap();
    let pol = dir.path().join("p");
    std::fs::create_dir(&pol).unwrap();
    let base = [
        "--snapshot",
        path_str(&snap),
        "--out-dir",
        path_str(&pol),
        "--roles",
        "*",
    ];
    // The schema (written last) is a dangling link: refused, even with --force, and groups.yaml
    // and roles.yaml are not written first.
    let elsewhere = dir.path().join("elsewhere.json");
    std::os::unix::fs::symlink(&elsewhere, pol.join("policy.schema.json")).unwrap();
    for force in [false, true] {
        let args = [&base[..], if force { &["--force"] } else { &[] }].concat();
        let out = export(&mut bin(), &args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains("nothing written") && stderr.contains("policy.schema.json"),
            "{stderr}"
        );
        assert!(!pol.join("groups.yaml").exists(), "force {force}");
        assert!(!elsewhere.exists(), "the link was not followed");
    }
    std::fs::remove_file(pol.join("policy.schema.json")).unwrap();
    // A folder where roles.yaml goes: refused with --force too, groups.yaml not written.
    std::fs::create_dir(pol.join("roles.yaml")).unwrap();
    let out = export(&mut bin(), &[&base[..], &["--force"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("nothing written") && stderr.contains("roles.yaml exists and is not a"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&pol).unwrap().collect();
    assert_eq!(left.len(), 1, "only the folder that was in the way");
}
