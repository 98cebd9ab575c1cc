//! `snapshot` writes from the model through a buffer into a temporary file renamed into place:
//! the bytes are those the whole-text writer made, and a failed read leaves no file (and an
//! existing one as it was).

use coupa_access_client::Access;

use crate::common::{client_for, generated_tenant, stderr_of, TestSandbox};

const EPOCH: &str = "1767225600";
const TAKEN_AT: &str = "2026-01-01T00:00:00Z";

#[test]
fn the_snapshot_is_byte_for_byte_what_the_whole_text_writer_made() {
    // Large enough to be read in concurrent id ranges, each spooled to its own file.
    let sb = TestSandbox::start_unlimited(generated_tenant(2_500));
    let rt = tokio::runtime::Runtime::new().unwrap();
    for no_roles in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("snap.json");
        let mut cmd = sb.cmd();
        cmd.env("SOURCE_DATE_EPOCH", EPOCH)
            .args(["snapshot", "--out"])
            .arg(&snap);
        if no_roles {
            cmd.arg("--no-roles");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let written = std::fs::read_to_string(&snap).unwrap();
        let client = client_for(&sb.sandbox, Access::Read);
        let mut live = rt.block_on(client.read_live()).unwrap();
        if no_roles {
            live.roles.clear();
        }
        // The existing reader reads it back, manifest and all.
        let (back, meta) = coupa_access_core::snapshot::from_json(&written).unwrap();
        let manifest = meta.manifest.clone().expect("a manifest");
        assert_eq!(
            manifest.content,
            coupa_access_core::snapshot::content_of(&live),
            "digests of the records read"
        );
        let old = coupa_access_core::snapshot::to_json_with_manifest(
            &live,
            client.domain(),
            TAKEN_AT,
            !no_roles,
            Some(&manifest),
        );
        assert!(
            written == old,
            "the snapshot differs from the whole-text writer's"
        );
        assert_eq!(back, live);
        assert_eq!(meta.roles_read, no_roles.then_some(false));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }
}

#[test]
fn a_failed_read_leaves_no_snapshot_file_and_an_old_one_as_it_was() {
    let mut tenant = generated_tenant(300);
    // Late in the users: a record the client refuses, after pages have been read.
    tenant.users[250].login = String::new();
    let sb = TestSandbox::start_unlimited(tenant);
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("new.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out"])
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("has no login"),
        "{}",
        stderr_of(&out)
    );
    assert!(!fresh.exists(), "no snapshot file after a failed read");
    let old = dir.path().join("old.json");
    std::fs::write(&old, "yesterday's snapshot").unwrap();
    let out = sb
        .cmd()
        .args(["snapshot", "--out"])
        .arg(&old)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "yesterday's snapshot"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("old.json")],
        "nothing else left"
    );
}
