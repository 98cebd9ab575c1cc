//! Writing a set of files all or nothing (`export`): every target path is checked before any
//! file is written, every file is staged as a temporary file in the target folder (created
//! exclusively, under an unpredictable name), and only when all are staged are they renamed
//! into place. A refused path, an unwritable folder or a full disk leaves nothing behind.
//!
//! Unlike `out_file`, nothing is written through a symbolic link or into anything but a regular
//! file: a link at a target path is refused, never followed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, WrapErr};
use tempfile::NamedTempFile;

/// What to do when a target path already holds a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse (and write nothing at all).
    Refuse,
    /// Replace it, keeping its permissions.
    Replace,
    /// Leave it as it is and skip this file.
    Keep,
}

/// One file to write.
#[derive(Debug)]
pub struct Target<'a> {
    pub path: PathBuf,
    pub contents: &'a str,
    pub existing: Existing,
}

/// A target that passed the checks: to write, or kept as it was.
struct Checked<'a> {
    target: &'a Target<'a>,
    /// The permissions of the file it replaces, if any.
    replaces: Option<std::fs::Permissions>,
}

/// Writes every target into `dir` (created if missing), all or nothing; returns the paths
/// written, in order (targets kept as they were are left out).
pub fn write_all(dir: &Path, targets: &[Target<'_>]) -> miette::Result<Vec<PathBuf>> {
    let checked = check(dir, targets)?;
    let created = !dir.exists();
    std::fs::create_dir_all(dir)
        .into_diagnostic()
        .wrap_err_with(|| format!("nothing written: cannot create {}", dir.display()))?;
    let staged = match stage(dir, &checked) {
        Ok(s) => s,
        Err(e) => {
            if created {
                // Only removes it while empty: nothing of anybody else's goes with it.
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
    };
    commit(staged)
}

/// Every problem with every target path, reported together before anything is written.
fn check<'a>(dir: &Path, targets: &'a [Target<'a>]) -> miette::Result<Vec<Checked<'a>>> {
    let mut problems = Vec::new();
    let mut existing = Vec::new();
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => problems.push(format!("{} is not a folder", dir.display())),
        _ => {}
    }
    let mut out = Vec::new();
    for t in targets {
        let shown = t.path.display();
        match std::fs::symlink_metadata(&t.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.push(Checked {
                target: t,
                replaces: None,
            }),
            Err(e) => problems.push(format!("cannot inspect {shown}: {e}")),
            Ok(meta) if meta.file_type().is_symlink() => problems.push(format!(
                "{shown} is a symbolic link (export replaces only regular files, never through a link)"
            )),
            Ok(meta) if !meta.is_file() => {
                problems.push(format!("{shown} exists and is not a regular file"))
            }
            Ok(meta) => match t.existing {
                Existing::Refuse => existing.push(shown.to_string()),
                Existing::Replace => out.push(Checked {
                    target: t,
                    replaces: Some(meta.permissions()),
                }),
                Existing::Keep => {}
            },
        }
    }
    if !existing.is_empty() {
        problems.push(format!("{} already exist(s)", existing.join(", ")));
    }
    if problems.is_empty() {
        return Ok(out);
    }
    let help = if existing.is_empty() {
        "remove or rename what is in the way, or choose another --out-dir"
    } else {
        "pass --force to overwrite existing files, or choose another --out-dir"
    };
    Err(miette::miette!(
        help = help,
        "nothing written: {}",
        problems.join("; ")
    ))
}

/// Each file written and flushed to a temporary file beside its target.
fn stage<'a>(
    dir: &Path,
    checked: &[Checked<'a>],
) -> miette::Result<Vec<(NamedTempFile, &'a Target<'a>)>> {
    let mut staged = Vec::with_capacity(checked.len());
    for c in checked {
        let name = c
            .target
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        let permissions = c.replaces.clone().or_else(new_file_permissions);
        if let Some(p) = &permissions {
            builder.permissions(p.clone());
        }
        let written = (|| {
            let mut f = builder.tempfile_in(dir)?;
            f.write_all(c.target.contents.as_bytes())?;
            f.as_file().sync_all()?;
            Ok::<_, std::io::Error>(f)
        })();
        let f = written.into_diagnostic().wrap_err_with(|| {
            format!(
                "nothing written: cannot write {} in {}",
                name,
                dir.display()
            )
        })?;
        staged.push((f, c.target));
    }
    Ok(staged)
}

/// Renames every staged file into place. A new file never replaces one that appeared since the
/// check (`persist_noclobber`).
fn commit(staged: Vec<(NamedTempFile, &Target<'_>)>) -> miette::Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(staged.len());
    let mut staged = staged.into_iter();
    while let Some((f, t)) = staged.next() {
        let result = match t.existing {
            Existing::Replace => still_regular_or_absent(&t.path)
                .and_then(|()| f.persist(&t.path).map(|_| ()).map_err(|e| e.error)),
            Existing::Refuse | Existing::Keep => f
                .persist_noclobber(&t.path)
                .map(|_| ())
                .map_err(|e| e.error),
        };
        if let Err(e) = result {
            let not: Vec<String> = std::iter::once(t.path.display().to_string())
                .chain(staged.map(|(_, t)| t.path.display().to_string()))
                .collect();
            let done: Vec<String> = written
                .iter()
                .map(|p: &PathBuf| p.display().to_string())
                .collect();
            return Err(miette::miette!(
                "cannot write {}: {e}; written: {}; not written: {}",
                t.path.display(),
                if done.is_empty() {
                    "nothing".into()
                } else {
                    done.join(", ")
                },
                not.join(", ")
            ));
        }
        written.push(t.path.clone());
    }
    Ok(written)
}

/// Between the check and the rename, a link may have been put where a file was: refuse it.
fn still_regular_or_absent(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(std::io::Error::other("it is no longer a regular file")),
        _ => Ok(()),
    }
}

/// New policy files are readable by everyone, as files a checkout creates are (temporary files
/// are created private).
#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn all_are_written_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new");
        let t = [
            Target {
                path: out.join("a.yaml"),
                contents: "a",
                existing: Existing::Refuse,
            },
            Target {
                path: out.join("b.json"),
                contents: "b",
                existing: Existing::Keep,
            },
        ];
        assert_eq!(write_all(&out, &t).unwrap().len(), 2);
        assert_eq!(names(&out), ["a.yaml", "b.json"]);
        // Again: `a` is refused, so `b` (kept) is not touched either and nothing is written.
        std::fs::write(out.join("b.json"), "mine").unwrap();
        let err = write_all(&out, &t).unwrap_err().to_string();
        assert!(
            err.contains("nothing written") && err.contains("a.yaml"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(out.join("b.json")).unwrap(), "mine");
        assert_eq!(names(&out), ["a.yaml", "b.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_or_a_folder_at_any_target_is_refused_before_anything_is_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::os::unix::fs::symlink(out.join("nowhere"), out.join("s.json")).unwrap();
        std::fs::create_dir(out.join("c.yaml")).unwrap();
        let t = [
            Target {
                path: out.join("a.yaml"),
                contents: "a",
                existing: Existing::Replace,
            },
            Target {
                path: out.join("c.yaml"),
                contents: "c",
                existing: Existing::Replace,
            },
            Target {
                path: out.join("s.json"),
                contents: "s",
                existing: Existing::Keep,
            },
        ];
        let err = write_all(out, &t).unwrap_err().to_string();
        assert!(err.contains("s.json is a symbolic link"), "{err}");
        assert!(
            err.contains("c.yaml exists and is not a regular file"),
            "{err}"
        );
        assert!(!out.join("a.yaml").exists());
        assert!(!out.join("nowhere").exists(), "the link was not followed");

        // A folder nobody may write in: refused while staging, nothing left behind.
        let ro = out.join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let t = [Target {
            path: ro.join("a.yaml"),
            contents: "a",
            existing: Existing::Refuse,
        }];
        let result = write_all(&ro, &t);
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        // (Root may write anywhere; then the file is simply written.)
        if let Err(e) = result {
            assert!(e.to_string().contains("nothing written"), "{e}");
            assert!(names(&ro).is_empty());
        }
    }

    #[cfg(unix)]
    #[test]
    fn replaced_files_keep_their_permissions_and_new_ones_are_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.yaml");
        std::fs::write(&old, "x").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
        let t = [
            Target {
                path: old.clone(),
                contents: "new",
                existing: Existing::Replace,
            },
            Target {
                path: dir.path().join("new.yaml"),
                contents: "n",
                existing: Existing::Refuse,
            },
        ];
        write_all(dir.path(), &t).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "new");
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&dir.path().join("new.yaml")), 0o644);
    }
}
