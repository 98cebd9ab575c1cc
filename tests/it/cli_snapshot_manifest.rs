//! The snapshot manifest through the real binary: written by `snapshot` from the read it made,
//! held against the content whenever a snapshot is loaded, and reported by `drift`.

use crate::common::*;
use coupa_access_sandbox::Faults;

const POLICY: &str = "groups:\n  AP Clerks:\n    members: [alice, bob]\n";

fn drift_json(snap: &std::path::Path, pol: &std::path::Path) -> std::process::Output {
    bin()
        .env("COLUMNS", "1000")
        .args(["drift", "--format", "json", "--policies", path_str(pol)])
        .args(["--snapshot", path_str(snap)])
        .output()
        .unwrap()
}

#[test]
fn snapshots_carry_a_manifest_of_the_read_and_drift_says_how_completeness_was_established() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out", path_str(&snap)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("each paged to its end"),
        "{}",
        stderr_of(&out)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&snap).unwrap()).unwrap();
    let m = &v["manifest"];
    assert_eq!(m["manifest_version"], 1);
    assert_eq!(m["instance"], sb.sandbox.url().as_str());
    assert_eq!(m["tool_version"], env!("CARGO_PKG_VERSION"));
    assert!(m["read_started_at"].as_str().unwrap() <= m["read_finished_at"].as_str().unwrap());
    let listings = m["listings"].as_array().unwrap();
    let endpoints: Vec<&str> = listings
        .iter()
        .map(|l| l["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints,
        [
            "/api/roles",
            "/api/user_group_memberships",
            "/api/user_groups",
            "/api/users"
        ]
    );
    for l in listings {
        assert_eq!(l["read_to_end"], true, "{l}");
        // At least one page with records and the empty one that ends the scan.
        assert!(l["requests"].as_u64().unwrap() >= 2, "{l}");
    }
    let users = listings
        .iter()
        .find(|l| l["endpoint"] == "/api/users")
        .unwrap();
    assert_eq!(users["records"], tenant().users.len());
    let resources = m["content"]["resources"].as_array().unwrap();
    assert_eq!(resources[0]["resource"], "users");
    assert_eq!(resources[0]["records"], tenant().users.len());
    assert_eq!(resources[4]["resource"], "memberships");
    assert_eq!(resources[4]["records"], tenant().memberships.len());

    let pol = policies(&[("g.yaml", POLICY)]);
    let out = drift_json(&snap, pol.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &d["completeness"];
    assert_eq!(c["established_by"], "snapshot_manifest");
    assert_eq!(c["content_sha256"], m["content"]["sha256"]);
    assert_eq!(c["listings"], m["listings"]);

    // Live, drift names the listings it read itself.
    let out = sb
        .cmd()
        .args([
            "drift",
            "--format",
            "json",
            "--policies",
            path_str(pol.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["completeness"]["established_by"], "live_read");
    assert!(d["completeness"]["listings"].as_array().unwrap().len() >= 3);
}

#[test]
fn a_snapshot_edited_by_one_byte_is_refused_and_one_without_a_manifest_warns() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let (_dir, snap) = sb.snapshot();
    let pol = policies(&[("g.yaml", POLICY)]);
    let good = std::fs::read_to_string(&snap).unwrap();
    assert_eq!(drift_json(&snap, pol.path()).status.code(), Some(0));

    // One byte of a login: still a valid snapshot, no longer the one Coupa gave.
    let at = good.find("\"dave\"").unwrap() + 4;
    let mut bytes = good.clone().into_bytes();
    bytes[at] = b'f';
    std::fs::write(&snap, &bytes).unwrap();
    for cmd in ["drift", "plan", "validate"] {
        let out = bin()
            .env("COLUMNS", "1000")
            .arg(cmd)
            .args([
                "--policies",
                path_str(pol.path()),
                "--snapshot",
                path_str(&snap),
            ])
            .output()
            .unwrap();
        let err = stderr_of(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(out.status.code(), Some(1), "{cmd}: {err}");
        assert!(err.contains("does not match its manifest"), "{err}");
        assert!(err.contains("snap.json"), "{err}");
        assert!(
            err.contains("users: the records' digest is sha256:"),
            "{err}"
        );
    }
    // A dropped record is named by its count.
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["memberships"].as_array_mut().unwrap().pop();
    std::fs::write(&snap, serde_json::to_string(&v).unwrap()).unwrap();
    let out = drift_json(&snap, pol.path());
    let err = stderr_of(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(1), "{err}");
    let n = tenant().memberships.len();
    assert!(
        err.contains(&format!(
            "memberships: the file holds {} records, the manifest says {n}",
            n - 1
        )),
        "{err}"
    );

    // The metadata beside the records is held to the read too.
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["domain"] = "https://evil.coupahost.com".into();
    std::fs::write(&snap, serde_json::to_string(&v).unwrap()).unwrap();
    let out = drift_json(&snap, pol.path());
    let err = stderr_of(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("domain: the file says https://evil.coupahost.com"),
        "{err}"
    );

    // Written by an older version (no manifest): loads, with a warning.
    let old = coupa_access_core::snapshot::to_json(
        &tenant(),
        "https://acme.coupahost.com",
        "2026-01-01T00:00:00Z",
    );
    std::fs::write(&snap, old).unwrap();
    let out = drift_json(&snap, pol.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("has no manifest") && err.contains("completeness is unproven"),
        "{err}"
    );
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["completeness"]["established_by"], "unproven");
}
