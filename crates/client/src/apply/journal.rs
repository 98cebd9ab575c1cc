//! The clear-then-set journal: a crash-recovery record, never an authority.
//!
//! Coupa's user update only adds roles (and `user-groups`), so a removal clears the list and
//! sets the rest again: two writes with the user holding nothing in between. Before the first
//! of them, the user's list is written to a local file and flushed; the entry goes once the set
//! is verified or the old list restored. A run killed in between leaves the entry.
//!
//! A local file can be written by anyone, so an entry carries authority only when this tool can
//! check it wrote it (see `docs/security.md`):
//! - each entry is sealed with an HMAC-SHA256 keyed from the OAuth client secret, the client id
//!   and the instance ([`JournalKey`]); whoever holds that secret can write to Coupa anyway. An
//!   entry that fails the check, is from an older version, or is older than
//!   [`ENTRY_LIFETIME`] is reported and ignored, never applied (and kept in the file for a
//!   person to look at);
//! - what an authentic entry may give back is decided by the core (`model::restore`) and shown
//!   in the plan as a restore, applied only after confirmation;
//! - the file must be a regular file (not a symlink), at most [`MAX_JOURNAL_BYTES`]; an apply
//!   holds an exclusive lock on `<journal>.lock` for its whole run; writes go through an
//!   exclusively created, randomly named temporary file renamed into place.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::UserList;
use coupa_access_core::render::printable_str;

/// The journal file format this build writes and reads (format 1 had no authentication: its
/// entries are reported, never applied).
const JOURNAL_FORMAT: u32 = 2;

/// A journal larger than this is refused: a real one holds a few entries.
pub const MAX_JOURNAL_BYTES: u64 = 1 << 20;

/// How long an entry is honoured. A crash is recovered by the next apply, which CI runs within
/// hours; an older entry describes a user that people have likely looked at since.
pub const ENTRY_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// One clear-then-set in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub user_id: u64,
    pub login: String,
    pub list: UserList,
    /// The ids the user held right before the clear.
    pub before: BTreeSet<u64>,
    /// The ids the set puts back.
    pub after: BTreeSet<u64>,
    /// When the entry was recorded (entries expire after [`ENTRY_LIFETIME`]).
    #[serde(with = "coupa_access_core::model::time::rfc3339")]
    pub recorded_at: DateTime<Utc>,
}

impl Entry {
    /// An entry recorded now.
    pub fn new(
        user_id: u64,
        login: &str,
        list: UserList,
        before: BTreeSet<u64>,
        after: BTreeSet<u64>,
    ) -> Entry {
        Entry {
            user_id,
            login: login.to_string(),
            list,
            before,
            after,
            recorded_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 0),
        }
    }
}

/// The key that seals journal entries: HMAC-SHA256 of the client id and the instance under the
/// client secret. Never printed.
#[derive(Clone)]
pub struct JournalKey([u8; 32]);

impl std::fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalKey(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

impl JournalKey {
    /// The key for this OAuth client on this instance.
    pub fn derive(client_id: &str, client_secret: &str, domain: &str) -> JournalKey {
        let mut mac = HmacSha256::new_from_slice(client_secret.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(b"coupa-access journal key v1\0");
        mac.update(client_id.as_bytes());
        mac.update(b"\0");
        mac.update(domain.to_ascii_lowercase().as_bytes());
        JournalKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self, domain: &str, entry: &Entry) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a 32-byte key");
        mac.update(b"coupa-access journal entry v2\0");
        mac.update(domain.to_ascii_lowercase().as_bytes());
        mac.update(b"\0");
        // The entry's own JSON: fields in declaration order, sets sorted, so it is canonical.
        mac.update(&serde_json::to_vec(entry).unwrap_or_default());
        mac
    }

    /// The seal of `entry` for `domain`, as hex.
    fn seal(&self, domain: &str, entry: &Entry) -> String {
        hex(&self.mac(domain, entry).finalize().into_bytes())
    }

    /// Whether `seal` is `entry`'s (compared in constant time).
    fn verify(&self, domain: &str, entry: &Entry, seal: &str) -> bool {
        match unhex(seal) {
            Some(bytes) => self.mac(domain, entry).verify_slice(&bytes).is_ok(),
            None => false,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// An entry as stored: the entry and its seal.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SealedEntry {
    #[serde(flatten)]
    entry: Entry,
    /// Absent: not sealed (an older version's entry, or a hand-written one).
    #[serde(default)]
    mac: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalFile {
    format_version: u32,
    /// The instance the entries belong to.
    domain: String,
    /// Sealed entries; entries that fail the checks are kept as they were, for people.
    entries: Vec<serde_json::Value>,
}

/// Why an entry is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its seal is missing or wrong: this tool, with this client's secret, did not write it.
    NotAuthentic,
    /// Recorded longer ago than [`ENTRY_LIFETIME`].
    Expired { recorded_at: DateTime<Utc> },
    /// Not an entry at all.
    Unreadable(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotAuthentic => f.write_str(
                "it is not sealed by this tool with this OAuth client's secret (edited, forged, or written by an older version)",
            ),
            Refusal::Expired { recorded_at } => write!(
                f,
                "it was recorded at {} and entries are honoured for {} days",
                coupa_access_core::model::time::format(recorded_at),
                ENTRY_LIFETIME.num_days()
            ),
            Refusal::Unreadable(why) => write!(f, "it is not a journal entry ({why})"),
        }
    }
}

/// An entry that is reported and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedEntry {
    /// The login it names, made printable; `None` when it names none.
    pub login: Option<String>,
    pub user_id: Option<u64>,
    pub why: Refusal,
}

impl std::fmt::Display for RefusedEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.login, self.user_id) {
            (Some(l), Some(id)) => write!(f, "the entry for {l} (user {id})")?,
            (Some(l), None) => write!(f, "the entry for {l}")?,
            (None, Some(id)) => write!(f, "the entry for user {id}")?,
            (None, None) => f.write_str("an entry")?,
        }
        write!(f, " is ignored: {}", self.why)
    }
}

/// What a journal holds, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Entries this tool wrote for this instance, within their lifetime.
    pub authentic: Vec<Entry>,
    /// Entries reported and ignored.
    pub refused: Vec<RefusedEntry>,
}

/// Why the journal could not be used. Apply stops: writing without a journal could leave a
/// user roleless with no record of what they held.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the clear-then-set journal {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the clear-then-set journal {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("refusing the clear-then-set journal {path}: {why}")]
    Unsafe { path: PathBuf, why: String },
    #[error("the clear-then-set journal {path} is in use by another apply (its lock {lock} is held); wait for it to finish")]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("the clear-then-set journal {path} was left by a run against {journal_domain}, not {domain}; restore it with apply against that instance, or move the file away once you have checked those users by hand")]
    OtherInstance {
        path: PathBuf,
        journal_domain: String,
        domain: String,
    },
}

fn shown(path: &Path) -> String {
    printable_str(&path.display().to_string()).into_owned()
}

/// Checks the file at `path` before it is read or replaced: a regular file (not a symlink),
/// small. Returns whether it exists.
fn check_file(path: &Path) -> Result<bool, JournalError> {
    let unsafe_ = |why: String| JournalError::Unsafe {
        path: path.into(),
        why,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => {
            return Err(JournalError::Read {
                path: path.into(),
                detail: e.to_string(),
            })
        }
    };
    if meta.file_type().is_symlink() {
        return Err(unsafe_(
            "it is a symbolic link; a journal must be a regular file the tool wrote".into(),
        ));
    }
    if !meta.is_file() {
        return Err(unsafe_("it is not a regular file".into()));
    }
    if meta.len() > MAX_JOURNAL_BYTES {
        return Err(unsafe_(format!(
            "it is {} bytes, over the {MAX_JOURNAL_BYTES}-byte limit of a journal",
            meta.len()
        )));
    }
    Ok(true)
}

/// The raw file, checked; `None` when there is none.
fn read_file(path: &Path, domain: &str) -> Result<Option<JournalFile>, JournalError> {
    if !check_file(path)? {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| JournalError::Read {
        path: path.into(),
        detail: e.to_string(),
    })?;
    #[derive(Deserialize)]
    struct Head {
        format_version: u32,
        domain: String,
        entries: Vec<serde_json::Value>,
    }
    let head: Head = serde_json::from_str(&text).map_err(|e| JournalError::Read {
        path: path.into(),
        detail: format!("not a coupa-access journal ({e})"),
    })?;
    if head.format_version > JOURNAL_FORMAT {
        return Err(JournalError::Read {
            path: path.into(),
            detail: format!(
                "journal format {} is newer than the format {JOURNAL_FORMAT} this version reads",
                head.format_version
            ),
        });
    }
    if !head.domain.eq_ignore_ascii_case(domain) {
        return Err(JournalError::OtherInstance {
            path: path.into(),
            journal_domain: printable_str(&head.domain).into_owned(),
            domain: domain.to_string(),
        });
    }
    Ok(Some(JournalFile {
        format_version: head.format_version,
        domain: head.domain,
        entries: head.entries,
    }))
}

/// Sorts raw entries into authentic ones and refused ones (with the raw values of the latter).
fn check_entries(
    file: &JournalFile,
    domain: &str,
    key: &JournalKey,
    now: DateTime<Utc>,
) -> (Loaded, Vec<serde_json::Value>) {
    let mut loaded = Loaded::default();
    let mut kept_raw = Vec::new();
    for raw in &file.entries {
        let login = raw
            .get("login")
            .and_then(|v| v.as_str())
            .map(|l| printable_str(l).into_owned());
        let user_id = raw.get("user_id").and_then(|v| v.as_u64());
        let why = match serde_json::from_value::<SealedEntry>(raw.clone()) {
            Err(e) => Refusal::Unreadable(e.to_string()),
            Ok(_) if file.format_version < JOURNAL_FORMAT => Refusal::NotAuthentic,
            Ok(s) if !key.verify(domain, &s.entry, &s.mac) => Refusal::NotAuthentic,
            Ok(s) if now - s.entry.recorded_at > ENTRY_LIFETIME => Refusal::Expired {
                recorded_at: s.entry.recorded_at,
            },
            Ok(s) => {
                loaded.authentic.push(s.entry);
                continue;
            }
        };
        loaded.refused.push(RefusedEntry {
            login,
            user_id,
            why,
        });
        kept_raw.push(raw.clone());
    }
    (loaded, kept_raw)
}

/// Reads and checks the journal at `path` without locking or changing it (for `plan`).
pub fn read(
    path: &Path,
    domain: &str,
    key: &JournalKey,
    now: DateTime<Utc>,
) -> Result<Loaded, JournalError> {
    Ok(match read_file(path, domain)? {
        Some(file) => check_entries(&file, domain, key, now).0,
        None => Loaded::default(),
    })
}

/// The journal of one apply run, locked for the run.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    domain: String,
    key: JournalKey,
    state: std::sync::Mutex<State>,
    /// Held for the journal's life: one apply at a time per journal.
    _lock: std::fs::File,
}

#[derive(Debug, Default)]
struct State {
    /// Authentic entries, this run's and those left by earlier runs.
    own: Vec<Entry>,
    /// Refused entries as they were in the file, kept for people.
    kept_raw: Vec<serde_json::Value>,
}

impl Journal {
    /// Opens the journal at `path` for `domain`: takes the lock (refusing when another apply
    /// holds it), checks the file, and sorts its entries. An empty journal is removed.
    pub fn open(
        path: impl Into<PathBuf>,
        domain: &str,
        key: JournalKey,
        now: DateTime<Utc>,
    ) -> Result<(Journal, Loaded), JournalError> {
        let path: PathBuf = path.into();
        let lock = lock(&path)?;
        let (loaded, kept_raw) = match read_file(&path, domain)? {
            Some(file) => check_entries(&file, domain, &key, now),
            None => (Loaded::default(), Vec::new()),
        };
        let journal = Journal {
            path,
            domain: domain.to_string(),
            key,
            state: std::sync::Mutex::new(State {
                own: loaded.authentic.clone(),
                kept_raw,
            }),
            _lock: lock,
        };
        if loaded.authentic.is_empty() && loaded.refused.is_empty() {
            // A journal with no entries (or none at all): make sure no empty file lingers.
            journal.store(&journal.state())?;
        }
        Ok((journal, loaded))
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `entry` durably (sealed, written, flushed, renamed into place) before its
    /// first write. It replaces an entry of the same user and list.
    pub fn begin(&self, entry: Entry) -> Result<(), JournalError> {
        let mut state = self.state();
        state
            .own
            .retain(|e| (e.user_id, e.list) != (entry.user_id, entry.list));
        state.own.push(entry);
        self.store(&state)
    }

    /// Drops the entry of `user_id`'s `list`: its set was verified, its list restored, or
    /// nothing was owed.
    pub fn finish(&self, user_id: u64, list: UserList) -> Result<(), JournalError> {
        let mut state = self.state();
        let before = state.own.len();
        state.own.retain(|e| (e.user_id, e.list) != (user_id, list));
        if state.own.len() == before {
            return Ok(());
        }
        self.store(&state)
    }

    fn store(&self, state: &State) -> Result<(), JournalError> {
        let err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        // Never write through (or remove) something that is not the tool's regular file.
        let exists = check_file(&self.path)?;
        if state.own.is_empty() && state.kept_raw.is_empty() {
            if !exists {
                return Ok(());
            }
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(err(e)),
                _ => sync_dir(&self.path).map_err(err),
            };
        }
        let mut entries: Vec<serde_json::Value> = state
            .own
            .iter()
            .map(|e| {
                serde_json::to_value(SealedEntry {
                    mac: self.key.seal(&self.domain, e),
                    entry: e.clone(),
                })
                .unwrap_or_default()
            })
            .collect();
        entries.extend(state.kept_raw.iter().cloned());
        let file = JournalFile {
            format_version: JOURNAL_FORMAT,
            domain: self.domain.clone(),
            entries,
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        let dir = parent_of(&self.path);
        std::fs::create_dir_all(dir).map_err(err)?;
        // Created exclusively under a random name: a file or link placed in advance at a
        // predictable temporary name cannot redirect the write.
        let mut tmp = tempfile::Builder::new()
            .prefix(".coupa-access-journal.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(err)?;
        tmp.write_all(text.as_bytes()).map_err(err)?;
        tmp.as_file().sync_all().map_err(err)?;
        tmp.persist(&self.path).map_err(|e| err(e.error))?;
        sync_dir(&self.path).map_err(err)
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Takes the exclusive lock of the journal at `path` (`<path>.lock`), without waiting.
fn lock(path: &Path) -> Result<std::fs::File, JournalError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let write_err = |source| JournalError::Write {
        path: path.into(),
        source,
    };
    std::fs::create_dir_all(parent_of(path)).map_err(write_err)?;
    if std::fs::symlink_metadata(&lock_path).is_ok_and(|m| !m.is_file()) {
        return Err(JournalError::Unsafe {
            path: path.into(),
            why: format!(
                "its lock {} is not a regular file (a symbolic link?)",
                shown(&lock_path)
            ),
        });
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(write_err)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(JournalError::Locked {
            path: path.into(),
            lock: lock_path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(write_err(e)),
    }
}

/// Flushes the directory holding `path`, so a rename or removal survives a crash.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(parent_of(path))?.sync_all()?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "https://acme.coupahost.com";

    fn key() -> JournalKey {
        JournalKey::derive("client", "secret", DOMAIN)
    }

    fn entry(user_id: u64) -> Entry {
        Entry {
            user_id,
            login: format!("u{user_id}"),
            list: UserList::Roles,
            before: [4, 5].into(),
            after: [5].into(),
            // Kept to the second, as the file keeps it.
            recorded_at: chrono::SubsecRound::trunc_subsecs(Utc::now(), 0),
        }
    }

    fn open(path: &Path) -> (Journal, Loaded) {
        Journal::open(path, DOMAIN, key(), Utc::now()).unwrap()
    }

    #[test]
    fn entries_are_on_disk_until_finished_and_the_file_goes_with_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/journal.json");
        let (j, _) = open(&path);
        j.begin(entry(1)).unwrap();
        j.begin(entry(2)).unwrap();
        let read_back = read(&path, DOMAIN, &key(), Utc::now()).unwrap();
        assert_eq!(read_back.authentic, [entry(1), entry(2)]);
        j.finish(1, UserList::Roles).unwrap();
        let read_back = read(&path, DOMAIN, &key(), Utc::now()).unwrap();
        assert_eq!(read_back.authentic, [entry(2)]);
        j.finish(2, UserList::Roles).unwrap();
        assert!(!path.exists());
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn an_edited_entry_or_one_sealed_with_another_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let (j, _) = open(&path);
        j.begin(entry(1)).unwrap();
        drop(j);
        // Raise what the entry says the user held: the seal no longer matches.
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replacen("4,", "1,", 1);
        assert_ne!(text, edited);
        std::fs::write(&path, edited).unwrap();
        let loaded = read(&path, DOMAIN, &key(), Utc::now()).unwrap();
        assert!(loaded.authentic.is_empty());
        assert_eq!(loaded.refused[0].why, Refusal::NotAuthentic);
        assert_eq!(loaded.refused[0].login.as_deref(), Some("u1"));
        // The untouched file under another client's key: refused too.
        std::fs::write(&path, text).unwrap();
        let other = JournalKey::derive("client", "other-secret", DOMAIN);
        let loaded = read(&path, DOMAIN, &other, Utc::now()).unwrap();
        assert_eq!(loaded.refused.len(), 1);
        assert!(read(&path, DOMAIN, &key(), Utc::now())
            .unwrap()
            .refused
            .is_empty());
    }

    #[test]
    fn a_hand_written_entry_without_a_seal_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let forged = serde_json::json!({
            "format_version": 2, "domain": DOMAIN,
            "entries": [{"user_id": 1, "login": "al\u{1b}[2Jice", "list": "roles",
                         "before": [1], "after": [], "recorded_at": "2026-12-04T00:00:00Z"}]
        });
        std::fs::write(&path, forged.to_string()).unwrap();
        let (j, loaded) = open(&path);
        assert!(loaded.authentic.is_empty());
        let refused = &loaded.refused[0];
        assert_eq!(refused.why, Refusal::NotAuthentic);
        assert!(!refused.to_string().contains('\u{1b}'), "{refused}");
        // This run's entries come and go; the refused one stays for a person to see.
        j.begin(entry(2)).unwrap();
        j.finish(2, UserList::Roles).unwrap();
        let loaded = read(&path, DOMAIN, &key(), Utc::now()).unwrap();
        assert_eq!(loaded.refused.len(), 1);
    }

    #[test]
    fn old_entries_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let (j, _) = open(&path);
        j.begin(entry(1)).unwrap();
        let later = Utc::now() + ENTRY_LIFETIME + chrono::TimeDelta::hours(1);
        let loaded = read(&path, DOMAIN, &key(), later).unwrap();
        assert!(loaded.authentic.is_empty());
        assert!(matches!(loaded.refused[0].why, Refusal::Expired { .. }));
    }

    #[test]
    fn format_1_journals_are_never_applied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let old = serde_json::json!({
            "format_version": 1, "domain": DOMAIN,
            "entries": [{"user_id": 1, "login": "alice", "list": "roles",
                         "before": [1], "after": []}]
        });
        std::fs::write(&path, old.to_string()).unwrap();
        let loaded = read(&path, DOMAIN, &key(), Utc::now()).unwrap();
        assert!(loaded.authentic.is_empty());
        assert_eq!(loaded.refused.len(), 1);
    }

    #[test]
    fn an_empty_journal_is_removed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        std::fs::write(
            &path,
            serde_json::json!({"format_version": 2, "domain": DOMAIN, "entries": []}).to_string(),
        )
        .unwrap();
        let _ = open(&path);
        assert!(!path.exists());
    }

    #[test]
    fn a_second_apply_on_the_same_journal_is_refused_while_the_first_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let (first, _) = open(&path);
        let second = Journal::open(&path, DOMAIN, key(), Utc::now());
        assert!(
            matches!(second, Err(JournalError::Locked { .. })),
            "{second:?}"
        );
        drop(first);
        assert!(Journal::open(&path, DOMAIN, key(), Utc::now()).is_ok());
    }

    #[test]
    fn links_other_files_and_huge_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep me").unwrap();
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            let r = Journal::open(&link, DOMAIN, key(), Utc::now());
            assert!(matches!(r, Err(JournalError::Unsafe { .. })), "{r:?}");
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        }
        let as_dir = dir.path().join("dir.json");
        std::fs::create_dir(&as_dir).unwrap();
        assert!(matches!(
            read(&as_dir, DOMAIN, &key(), Utc::now()),
            Err(JournalError::Unsafe { .. })
        ));
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; MAX_JOURNAL_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            read(&big, DOMAIN, &key(), Utc::now()),
            Err(JournalError::Unsafe { .. })
        ));
    }

    #[test]
    fn a_journal_for_another_instance_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.json");
        let (j, _) =
            Journal::open(&path, "https://other.coupahost.com", key(), Utc::now()).unwrap();
        j.begin(entry(1)).unwrap();
        drop(j);
        assert!(matches!(
            read(&path, DOMAIN, &key(), Utc::now()),
            Err(JournalError::OtherInstance { .. })
        ));
    }
}
