//! The binary finds the client secret by a fixed precedence — `--client-secret-file`, then
//! `COUPA_CLIENT_SECRET`, then `COUPA_CLIENT_SECRET_FILE` — and when Coupa refuses it, the
//! error names where it came from (and never the secret).

use std::path::Path;

use crate::common::{bin, path_str, stderr_of, tenant, TestSandbox, CLIENT_ID, CLIENT_SECRET};
use coupa_access_sandbox::Faults;

const WRONG: &str = "wrong-secret-QQQ";

/// `snapshot` (one read of everything) with the sandbox's domain and client id, and only the
/// secret settings given.
fn snapshot(
    sb: &TestSandbox,
    out: &Path,
    flag_file: Option<&Path>,
    env_secret: Option<&str>,
    env_file: Option<&Path>,
) -> std::process::Output {
    let mut cmd = bin();
    cmd.env("COUPA_DOMAIN", sb.sandbox.url())
        .env("COUPA_CLIENT_ID", CLIENT_ID)
        .env("COLUMNS", "1000")
        .args(["snapshot", "--out", path_str(out)]);
    if let Some(f) = flag_file {
        cmd.args(["--client-secret-file", path_str(f)]);
    }
    if let Some(s) = env_secret {
        cmd.env("COUPA_CLIENT_SECRET", s);
    }
    if let Some(f) = env_file {
        cmd.env("COUPA_CLIENT_SECRET_FILE", f);
    }
    cmd.output().expect("binary runs")
}

/// (`--client-secret-file`, `COUPA_CLIENT_SECRET`, `COUPA_CLIENT_SECRET_FILE`, succeeds)
type Case<'a> = (Option<&'a Path>, Option<&'a str>, Option<&'a Path>, bool);

#[test]
fn the_flag_wins_over_the_env_secret_which_wins_over_the_env_file() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    let bad = dir.path().join("bad");
    std::fs::write(&good, format!("{CLIENT_SECRET}\n")).unwrap();
    std::fs::write(&bad, WRONG).unwrap();
    let out = dir.path().join("snap.json");
    let cases: [Case; 6] = [
        (Some(&good), Some(WRONG), Some(&bad), true),
        (Some(&bad), Some(CLIENT_SECRET), Some(&good), false),
        (None, Some(CLIENT_SECRET), Some(&bad), true),
        (None, Some(WRONG), Some(&good), false),
        (None, None, Some(&good), true),
        (None, None, Some(&bad), false),
    ];
    for (i, (flag, env, env_file, ok)) in cases.into_iter().enumerate() {
        let o = snapshot(&sb, &out, flag, env, env_file);
        assert_eq!(o.status.success(), ok, "case {i}: {}", stderr_of(&o));
    }
}

#[test]
fn a_refused_secret_is_named_by_its_source_never_shown() {
    let sb = TestSandbox::start(tenant(), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad-secret");
    std::fs::write(&bad, WRONG).unwrap();
    let out = dir.path().join("snap.json");
    let cases = [
        (
            snapshot(&sb, &out, Some(&bad), Some(CLIENT_SECRET), None),
            format!(
                "the secret from the file {} (--client-secret-file)",
                bad.display()
            ),
        ),
        (
            snapshot(&sb, &out, None, Some(WRONG), None),
            "the secret from COUPA_CLIENT_SECRET".to_string(),
        ),
        (
            snapshot(&sb, &out, None, None, Some(&bad)),
            format!(
                "the secret from the file {} (COUPA_CLIENT_SECRET_FILE)",
                bad.display()
            ),
        ),
    ];
    for (o, source) in cases {
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("rejected the OAuth2 client credentials"),
            "{err}"
        );
        assert!(err.contains("coupa_access::auth::bad_credentials"), "{err}");
        assert!(err.contains(&source), "wants {source:?}:\n{err}");
        assert!(err.contains("--client-id"), "{err}");
        assert!(
            !err.contains(WRONG) && !err.contains(CLIENT_SECRET),
            "{err}"
        );
    }
}
