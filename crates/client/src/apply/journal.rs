//! The clear-then-set journal. Coupa's user update only adds roles (and `user-groups`), so a
//! removal clears the list and sets the rest again: two writes with the user holding nothing in
//! between. Before the first of them, the user's list as it was is written to a local file and
//! flushed to disk; the entry goes once the set is verified or the old list restored. A run
//! that finds entries left (a killed run) restores them before anything else.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Client, CoupaError, UserList};

/// The journal file format this build writes and reads.
const JOURNAL_FORMAT: u32 = 1;

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct JournalFile {
    format_version: u32,
    /// The instance the entries belong to.
    domain: String,
    entries: Vec<Entry>,
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
    #[error("the clear-then-set journal {path} was left by a run against {journal_domain}, not {domain}; restore it with apply against that instance, or move the file away once you have checked those users by hand")]
    OtherInstance {
        path: PathBuf,
        journal_domain: String,
        domain: String,
    },
    #[error("could not restore {login} (user {user_id}) from the clear-then-set journal {path}; it is kept for the next run: {source}")]
    Restore {
        path: PathBuf,
        login: String,
        user_id: u64,
        #[source]
        source: Box<CoupaError>,
    },
}

/// The journal of one apply run.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    domain: String,
    entries: std::sync::Mutex<Vec<Entry>>,
}

impl Journal {
    /// A journal at `path` for `domain`, empty (see [`recover`] for one left behind).
    pub fn new(path: impl Into<PathBuf>, domain: &str) -> Journal {
        Journal {
            path: path.into(),
            domain: domain.to_string(),
            entries: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `entry` durably (written, flushed, renamed into place) before its first write.
    pub fn begin(&self, entry: Entry) -> Result<(), JournalError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| (e.user_id, e.list) != (entry.user_id, entry.list));
        entries.push(entry);
        self.store(&entries)
    }

    /// Drops the entry of `user_id`'s `list`: its set was verified or its list restored.
    pub fn finish(&self, user_id: u64, list: UserList) -> Result<(), JournalError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| (e.user_id, e.list) != (user_id, list));
        self.store(&entries)
    }

    fn store(&self, entries: &[Entry]) -> Result<(), JournalError> {
        let err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if entries.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(err(e)),
                _ => sync_dir(&self.path).map_err(err),
            };
        }
        let file = JournalFile {
            format_version: JOURNAL_FORMAT,
            domain: self.domain.clone(),
            entries: entries.to_vec(),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default();
        let tmp = self.path.with_extension("tmp");
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)?;
        sync_dir(&self.path).map_err(err)
    }
}

/// Flushes the directory holding `path`, so a rename or removal survives a crash.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// What [`recover`] did with one entry left by an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovered {
    /// The user held the list the set was to put back: the run had finished the set.
    Completed(Entry),
    /// The user's list as it was before the clear was put back (a fresh plan redoes the
    /// removal).
    Restored(Entry),
}

impl std::fmt::Display for Recovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (e, what) = match self {
            Recovered::Completed(e) => (e, "already set again; nothing to restore"),
            Recovered::Restored(e) => (e, "restored to what they held before the clear"),
        };
        write!(
            f,
            "{} (user {}): {} {what}",
            e.login,
            e.user_id,
            e.list.key()
        )
    }
}

/// Reads the journal at `path`, if any, and settles every entry before anything else: an
/// entry whose set finished is dropped; any other user gets the list they held before the
/// clear back (an update only adds, so this never takes anything away). The file is removed
/// once every entry is settled. Returns what was done (empty: no journal).
pub async fn recover(client: &Client, path: &Path) -> Result<Vec<Recovered>, JournalError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(JournalError::Read {
                path: path.into(),
                detail: e.to_string(),
            })
        }
    };
    let file: JournalFile = serde_json::from_str(&text).map_err(|e| JournalError::Read {
        path: path.into(),
        detail: format!("not a coupa-access journal ({e})"),
    })?;
    if file.format_version != JOURNAL_FORMAT {
        return Err(JournalError::Read {
            path: path.into(),
            detail: format!(
                "journal format {} is not the format {JOURNAL_FORMAT} this version reads",
                file.format_version
            ),
        });
    }
    if !file.domain.eq_ignore_ascii_case(client.domain()) {
        return Err(JournalError::OtherInstance {
            path: path.into(),
            journal_domain: file.domain,
            domain: client.domain().to_string(),
        });
    }
    let journal = Journal {
        path: path.into(),
        domain: file.domain.clone(),
        entries: std::sync::Mutex::new(file.entries.clone()),
    };
    let mut done = Vec::new();
    for e in file.entries {
        let restore_err = |source| JournalError::Restore {
            path: path.into(),
            login: e.login.clone(),
            user_id: e.user_id,
            source: Box::new(source),
        };
        let with_groups = e.list == UserList::UserGroups;
        let now = client
            .read_user_access(e.user_id, with_groups)
            .await
            .map_err(restore_err)?;
        let held = e.list.of(&now);
        if held == e.after {
            journal.finish(e.user_id, e.list)?;
            done.push(Recovered::Completed(e));
            continue;
        }
        client
            .put_user_list(e.user_id, e.list, &e.before)
            .await
            .map_err(restore_err)?;
        let now = client
            .read_user_access(e.user_id, with_groups)
            .await
            .map_err(restore_err)?;
        if !e.list.of(&now).is_superset(&e.before) {
            return Err(restore_err(CoupaError::Setup(format!(
                "Coupa accepted the update but {} does not hold {} {:?} when read back",
                e.login,
                e.list.key(),
                e.before
            ))));
        }
        journal.finish(e.user_id, e.list)?;
        done.push(Recovered::Restored(e));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user_id: u64) -> Entry {
        Entry {
            user_id,
            login: format!("u{user_id}"),
            list: UserList::Roles,
            before: [4, 5].into(),
            after: [5].into(),
        }
    }

    #[test]
    fn entries_are_on_disk_until_finished_and_the_file_goes_with_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/journal.json");
        let j = Journal::new(&path, "https://acme.coupahost.com");
        j.begin(entry(1)).unwrap();
        j.begin(entry(2)).unwrap();
        let on_disk: JournalFile =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(on_disk.entries, [entry(1), entry(2)]);
        assert_eq!(on_disk.domain, "https://acme.coupahost.com");
        j.finish(1, UserList::Roles).unwrap();
        let on_disk: JournalFile =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(on_disk.entries, [entry(2)]);
        j.finish(2, UserList::Roles).unwrap();
        assert!(!path.exists());
        assert!(!path.with_extension("tmp").exists());
    }
}
