//! Spool files for `snapshot`: the users and memberships of a large read go to unnamed
//! temporary files (one per id range, in arrival order) as their pages arrive, and are read back
//! in the final order while the snapshot is written. The files live in the output's folder
//! (where room for the snapshot is expected; `/tmp` may be memory) and have no name, so
//! nothing is left behind whatever happens, a crash or a kill included.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use coupa_access_client::{Run, Spool};
use coupa_access_core::snapshot::Records;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Opens spool files in one folder.
pub struct FileSpool {
    dir: PathBuf,
}

impl FileSpool {
    /// Spool files beside `out` (a regular or new file; a symbolic link's target), or in the
    /// temporary folder when the output is standard output (`None`) or a device or pipe.
    pub fn beside(out: Option<&Path>) -> FileSpool {
        let dir = out
            .and_then(|p| {
                let p = match std::fs::symlink_metadata(p) {
                    Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(p).ok()?,
                    _ => p.to_path_buf(),
                };
                match std::fs::metadata(&p) {
                    Ok(m) if !m.is_file() => None,
                    _ => Some(crate::out_file::folder_of(&p).to_path_buf()),
                }
            })
            .unwrap_or_else(std::env::temp_dir);
        FileSpool { dir }
    }
}

impl<U: Serialize + Send + 'static> Spool<U> for FileSpool {
    type Run = FileRun<U>;
    fn run(&self) -> Result<FileRun<U>, String> {
        let file = tempfile::tempfile_in(&self.dir).map_err(|e| {
            format!(
                "cannot create a temporary file in {}: {e}",
                self.dir.display()
            )
        })?;
        Ok(FileRun {
            w: BufWriter::with_capacity(64 * 1024, file),
            _records: PhantomData,
        })
    }
}

/// One run's records, a line of compact JSON each, in the order they arrived.
pub struct FileRun<U> {
    w: BufWriter<File>,
    _records: PhantomData<fn(U)>,
}

impl<U: Serialize + Send + 'static> Run<U> for FileRun<U> {
    fn push(&mut self, record: U) -> Result<(), String> {
        serde_json::to_writer(&mut self.w, &record)
            .map_err(std::io::Error::from)
            .and_then(|()| self.w.write_all(b"\n"))
            .map_err(|e| format!("cannot write a temporary file: {e}"))
    }
}

impl<U> FileRun<U> {
    /// The run written out, to be read back.
    pub fn finish(self) -> std::io::Result<Spooled<U>> {
        Ok(Spooled {
            file: self.w.into_inner().map_err(|e| e.into_error())?,
            _records: PhantomData,
        })
    }
}

/// A finished run.
pub struct Spooled<U> {
    file: File,
    _records: PhantomData<fn() -> U>,
}

impl<U: DeserializeOwned> Spooled<U> {
    /// The records, from the first (each call starts again).
    fn records(&self) -> std::io::Result<impl Iterator<Item = std::io::Result<U>>> {
        let mut file = self.file.try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        let mut lines = BufReader::with_capacity(64 * 1024, file);
        let mut line = String::new();
        Ok(std::iter::from_fn(move || {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) => None,
                Ok(_) => Some(serde_json::from_str(&line).map_err(std::io::Error::other)),
                Err(e) => Some(Err(e)),
            }
        }))
    }
}

/// The records of `runs` one after the other, each run opened when it is reached.
pub fn records<U: DeserializeOwned + 'static>(runs: &[Spooled<U>]) -> Records<'_, U> {
    Box::new(runs.iter().flat_map(|r| -> Records<'_, U> {
        match r.records() {
            Ok(it) => Box::new(it),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coupa_access_core::model::User;

    #[test]
    fn runs_read_back_in_order_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let spool = FileSpool::beside(Some(&dir.path().join("snap.json")));
        let mut runs = Vec::new();
        for ids in [[1u64, 2], [5, 9]] {
            let mut run: FileRun<User> = spool.run().unwrap();
            for id in ids {
                run.push(User::new(id, &format!("u{id}"), "e")).unwrap();
            }
            runs.push(run.finish().unwrap());
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "spool files have no name"
        );
        for _ in 0..2 {
            let back: Vec<u64> = records(&runs).map(|u| u.unwrap().id).collect();
            assert_eq!(back, [1, 2, 5, 9]);
        }
    }

    #[test]
    fn standard_output_and_devices_spool_to_the_temporary_folder() {
        assert_eq!(FileSpool::beside(None).dir, std::env::temp_dir());
        assert_eq!(
            FileSpool::beside(Some(Path::new("/dev/null"))).dir,
            std::env::temp_dir()
        );
        assert_eq!(
            FileSpool::beside(Some(Path::new("snap.json"))).dir,
            Path::new(".")
        );
    }
}
