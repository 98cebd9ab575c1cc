//! Shared test scaffolding: a small tenant, a sandbox on 127.0.0.1:0 kept alive on its own
//! runtime, and the real binary pointed at it.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use coupa_access_core::model::{Group, License, Live, Membership, Role, User};
use coupa_access_sandbox::{Faults, Sandbox, SandboxConfig};

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "s3cr3t-VALUE-never-shown";

pub fn user(id: u64, login: &str, email: &str, active: bool) -> User {
    User {
        active,
        ..User::new(id, login, email)
    }
}

fn group(id: u64, name: &str) -> Group {
    Group::new(id, name)
}

fn membership(id: u64, user_id: u64, group_id: u64) -> Membership {
    Membership {
        id,
        user_id,
        group_id,
        created_at: Some("2026-01-05T10:00:00+00:00".into()),
        owner: false,
        participant: None,
    }
}

/// alice(1) bob(2) carol(3, Carol@Acme.com) dave(4) integration-bot(5) erin(6, inactive);
/// groups AP Clerks(10: alice, bob), Buyers(11: carol, integration-bot), Approvers(12: dave);
/// project Launch(20); roles Admin(1, omnipotent), User(2), Buyer(3).
pub fn tenant() -> Live {
    let mut alice = user(1, "alice", "alice@acme.com", true);
    alice.roles = [2].into();
    alice.licenses = [License::Expense].into();
    Live {
        users: vec![
            alice,
            user(2, "bob", "bob@acme.com", true),
            user(3, "carol", "Carol@Acme.com", true),
            user(4, "dave", "dave@acme.com", true),
            user(5, "integration-bot", "integration@acme.com", true),
            user(6, "erin", "erin@acme.com", false),
        ],
        groups: vec![
            group(10, "AP Clerks"),
            group(11, "Buyers"),
            group(12, "Approvers"),
        ],
        projects: vec![group(20, "Launch")],
        roles: vec![
            Role::new(1, "Admin", true),
            Role::new(2, "User", false),
            Role::new(3, "Buyer", false),
        ],
        memberships: vec![
            membership(100, 1, 10),
            membership(101, 2, 10),
            membership(102, 3, 11),
            membership(103, 5, 11),
            membership(104, 4, 12),
        ],
    }
}

/// A sandbox serving `live`, on a runtime of its own so it keeps answering while the test
/// thread waits for the binary.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
}

/// The sandbox settings tests use: this file's client, Coupa's rate limit, `faults`.
pub fn sandbox_config(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        faults,
        ..SandboxConfig::default()
    }
}

/// [`sandbox_config`] without a rate limit (large tenants and many reads stay quick).
pub fn unlimited_config() -> SandboxConfig {
    SandboxConfig {
        rate_per_second: 1e6,
        burst: 100_000,
        ..sandbox_config(Faults::default())
    }
}

/// A client of the library (not the binary) for a sandbox started with [`sandbox_config`].
pub fn client_for(sandbox: &Sandbox, access: Access) -> Client {
    let conn = Connection::new(&sandbox.url(), CLIENT_ID, CLIENT_SECRET.to_string().into())
        .expect("sandbox URL is valid");
    Client::new(conn, access, ClientOptions::default()).expect("client")
}

/// [`client_for`] whose plan reads go `way` (scoped, full, or whichever is cheaper).
pub fn client_reading(sandbox: &Sandbox, way: coupa_access_client::ReadWay) -> Client {
    let conn = Connection::new(&sandbox.url(), CLIENT_ID, CLIENT_SECRET.to_string().into())
        .expect("sandbox URL is valid");
    let opts = ClientOptions {
        read_way: way,
        ..ClientOptions::default()
    };
    Client::new(conn, Access::Read, opts).expect("client")
}

impl TestSandbox {
    pub fn start(live: Live, faults: Faults) -> TestSandbox {
        Self::start_config(live, sandbox_config(faults))
    }

    /// A sandbox serving `live` without a rate limit (large tenants read quickly).
    pub fn start_unlimited(live: Live) -> TestSandbox {
        Self::start_config(live, unlimited_config())
    }

    /// `live` served with `config` (its client id and secret replaced by the ones `cmd` sends).
    pub fn start_config(live: Live, config: SandboxConfig) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let config = SandboxConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            ..config
        };
        let sandbox = runtime
            .block_on(Sandbox::start(live, config, "127.0.0.1:0".parse().unwrap()))
            .expect("sandbox starts");
        TestSandbox {
            sandbox,
            _runtime: runtime,
        }
    }

    /// The real binary, connected to this sandbox through the environment.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// [`cmd`](Self::cmd) as a plain `std::process::Command`, to spawn and signal.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std_bin();
        cmd.env("COUPA_DOMAIN", self.sandbox.url())
            .env("COUPA_CLIENT_ID", CLIENT_ID)
            .env("COUPA_CLIENT_SECRET", CLIENT_SECRET);
        cmd
    }

    /// Runs `coupa-access snapshot` against this sandbox into a temporary folder; returns the
    /// folder (keep it alive) and the snapshot file.
    pub fn snapshot(&self) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let snap = dir.path().join("snap.json");
        let out = self
            .cmd()
            .args(["snapshot", "--out"])
            .arg(&snap)
            .output()
            .expect("binary runs");
        assert!(out.status.success(), "snapshot failed: {}", stderr_of(&out));
        (dir, snap)
    }

    /// (group id, user id) pairs of the sandbox's memberships now.
    pub fn membership_pairs(&self) -> BTreeSet<(u64, u64)> {
        self.sandbox
            .live()
            .memberships
            .iter()
            .map(|m| (m.group_id, m.user_id))
            .collect()
    }

    /// The binary's `args` with the policies in `policies` and the apply journal at `journal`.
    pub fn run_journaled(
        &self,
        args: &[&str],
        policies: &Path,
        journal: &Path,
    ) -> std::process::Output {
        self.cmd()
            .args(args)
            .args(["--policies", path_str(policies)])
            .args(["--journal", path_str(journal)])
            .output()
            .expect("binary runs")
    }

    /// The real binary applying the policies in `dir`, one write at a time, with `extra`
    /// arguments; standard output to `stdout`, standard error piped for the report.
    pub fn spawn_apply(
        &self,
        dir: &Path,
        extra: &[&str],
        stdout: std::process::Stdio,
    ) -> std::process::Child {
        self.std_cmd()
            .args(["apply", "--policies", path_str(dir), "--auto-approve"])
            .args(["--concurrency", "1"])
            .args(extra)
            .stdout(stdout)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("binary starts")
    }

    /// Returns once the sandbox holds more memberships than `before` (a write has landed, so a
    /// signal sent now lands mid-apply); fails the test after `limit`.
    pub fn await_a_write(&self, before: usize, limit: std::time::Duration) {
        let started = std::time::Instant::now();
        while self.membership_pairs().len() == before {
            assert!(started.elapsed() < limit, "no write within {limit:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// The binary with no Coupa settings inherited from the developer's environment.
pub fn bin() -> Command {
    Command::from_std(std_bin())
}

/// [`bin`] as a plain `std::process::Command`, for tests that spawn the binary and signal it:
/// the same scrubbed environment.
pub fn std_bin() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("coupa-access"));
    scrubbed(&mut cmd);
    cmd
}

/// What the binary reads from the environment and no test inherits: Coupa settings, and the CI
/// variables behind annotations, step summaries, pull-request bases and a receipt's CI run.
const NOT_INHERITED: &[&str] = &[
    "COUPA_DOMAIN",
    "COUPA_CLIENT_ID",
    "COUPA_CLIENT_SECRET",
    "COUPA_CLIENT_SECRET_FILE",
    "COUPA_ACCESS_LOG",
    "COUPA_READ_PATH",
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_BASE_REF",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_ACTOR",
    "GITHUB_TRIGGERING_ACTOR",
    "GITLAB_CI",
    "GITLAB_USER_LOGIN",
    "CI_COMMIT_REF_NAME",
    "CI_JOB_URL",
    "CI_PIPELINE_URL",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
];

/// The one environment scrub of every process a test starts that runs the binary (directly, or
/// through a shell or a pseudo-terminal): [`NOT_INHERITED`] removed, no colour, the tests'
/// state directory (the default apply journal is never the developer's), and git without the
/// user's or the system's configuration.
pub fn scrubbed(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for name in NOT_INHERITED {
        cmd.env_remove(name);
    }
    cmd.env("XDG_STATE_HOME", test_state_dir())
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
}

/// Runs git in `dir` as a fixed test identity; returns its standard output, trimmed. Fails the
/// test when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_as(dir, ("Test", "test@example.com"), None, args)
}

/// [`git`] as `who` (name, email), with author and committer dates `date` when given. Nothing
/// from the environment changes git's answers: no global or system configuration, no
/// `GIT_DIR` or `GIT_WORK_TREE`.
pub fn git_as(dir: &Path, who: (&str, &str), date: Option<&str>, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    if let Some(date) = date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    let out = cmd.output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr_of(&out));
    stdout_of(&out).trim().to_string()
}

/// A state directory for the binary under test, one per test process (each sandbox has its
/// own port, so its default journal file is its own).
pub fn test_state_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("coupa-access-it-state-{}", std::process::id()))
}

/// Writes a journal at `path` for the sandbox at `url`, sealed as the binary under test seals
/// (an honest journal left by an interrupted apply).
pub fn sealed_journal(
    path: &std::path::Path,
    url: &str,
    entries: Vec<coupa_access_client::apply::journal::Entry>,
) {
    let key = coupa_access_client::apply::JournalKey::derive(CLIENT_ID, CLIENT_SECRET, url);
    let (journal, _) =
        coupa_access_client::apply::Journal::open(path, url, key, chrono::Utc::now())
            .expect("journal opens");
    for e in entries {
        journal.begin(e).expect("entry recorded");
    }
}

/// An apply journal's path in a folder of its own, removed with it; derefs to the path.
pub struct JournalFile {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl std::ops::Deref for JournalFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for JournalFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// A fresh [`JournalFile`] (not written yet).
pub fn journal_file() -> JournalFile {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.json");
    JournalFile { _dir: dir, path }
}

/// Sends `signal` (`-INT`, `-TERM`) to the process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {pid}");
}

/// The small [`tenant`] with users u01..u`n` (ids 101..) added: a policy adding them to a group
/// ([`additive_policy`]) makes `n` writes.
pub fn tenant_with_users(n: u64) -> Live {
    let mut live = tenant();
    for i in 1..=n {
        live.users.push(User::new(
            100 + i,
            &format!("u{i:02}"),
            &format!("u{i:02}@acme.com"),
        ));
    }
    live
}

/// A policy that adds u01..u`n` to `group` and removes nobody.
pub fn additive_policy(group: &str, n: u64) -> String {
    let members: Vec<String> = (1..=n).map(|i| format!("u{i:02}")).collect();
    format!(
        "groups:\n  {group}:\n    mode: additive\n    members: [{}]\n",
        members.join(", ")
    )
}

/// Writes `files` (name, YAML) into a fresh policy folder.
pub fn policies(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write policy");
    }
    dir
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A generated tenant of `users` users (deterministic): every seventh inactive, 40 groups of
/// which a user joins two to four, one project, five roles and a few licenses each; membership
/// dates spread over 2025.
pub fn generated_tenant(users: u64) -> Live {
    let licenses = License::ALL;
    let mut live = Live {
        groups: (0..40)
            .map(|g| group(1000 + g, &format!("Group {g:02}")))
            .collect(),
        projects: vec![group(2000, "Rollout Project")],
        roles: (0..5)
            .map(|r| Role::new(1 + r, &format!("Role {r}"), r == 0))
            .collect(),
        ..Live::default()
    };
    let mut next_membership = 1_000_000;
    for id in 1..=users {
        let mut u = user(
            id,
            &format!("user{id:05}"),
            &format!("User{id:05}@Acme.com"),
            id % 7 != 0,
        );
        u.roles = [1 + id % 5, 1 + (id / 5) % 5].into();
        u.licenses = [
            licenses[(id % 15) as usize],
            licenses[((id / 15) % 15) as usize],
        ]
        .into();
        live.users.push(u);
        for k in 0..(2 + id % 3) {
            let gid = 1000 + (id * 7 + k * 13) % 40;
            next_membership += 1;
            live.memberships.push(Membership {
                id: next_membership,
                user_id: id,
                group_id: gid,
                created_at: Some(
                    format!("2025-{:02}-{:02}T08:00:00+00:00", 1 + id % 12, 1 + id % 28).into(),
                ),
                owner: false,
                participant: None,
            });
        }
    }
    live
}

/// Log lines of this thread, captured while a [`LogCapture`] lives.
///
/// One global subscriber (installed once for the whole test binary) writes coupa-access's own
/// TRACE events into the buffer of the thread that emitted them, when that thread is capturing.
/// Per-thread `set_default` subscribers are not reliable while other test threads start and
/// drop theirs (tracing's global interest and level caches race), so tests never use them.
pub struct LogCapture {
    buf: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

thread_local! {
    static CAPTURING: std::cell::RefCell<Option<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>> =
        const { std::cell::RefCell::new(None) };
}

struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|c| {
            if let Some(buf) = c.borrow().as_ref() {
                buf.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(b);
            }
        });
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing this thread's coupa-access logs (TRACE); use a current-thread runtime
/// (`#[tokio::test]`) so every task of the test logs on this thread.
pub fn capture_logs() -> LogCapture {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::new(
            "coupa_access=trace,coupa_access_client=trace,coupa_access_sandbox=trace",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(|| ThreadWriter)
            .try_init();
    });
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    CAPTURING.with(|c| *c.borrow_mut() = Some(buf.clone()));
    LogCapture { buf }
}

impl LogCapture {
    /// Everything captured so far.
    pub fn text(&self) -> String {
        let bytes = self.buf.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        CAPTURING.with(|c| *c.borrow_mut() = None);
    }
}

/// The role ids user `id` holds in `live`.
pub fn roles_of(live: &Live, id: u64) -> BTreeSet<u64> {
    live.users
        .iter()
        .find(|u| u.id == id)
        .expect("user exists")
        .roles
        .iter()
        .copied()
        .collect()
}

/// The command-line words library messages copy, as the binary spells them today (the binary
/// spells them from its clap definitions; tests that call the library directly need some).
pub fn cli_words() -> coupa_access_core::CliWords {
    coupa_access_core::CliWords {
        plan: "coupa-access plan".into(),
        drift: "coupa-access drift".into(),
        allow_removals: "--allow-removals".into(),
        changed_since: "--changed-since".into(),
        format_json: "--format json".into(),
        out: "--out".into(),
    }
}
