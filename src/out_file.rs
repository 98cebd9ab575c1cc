//! Writing `--out` files (plans, snapshots, exports).
//!
//! A regular file (or a new one) is written atomically: a temporary file in the same folder,
//! created exclusively under a random name (a file or link planted at a predictable name cannot
//! redirect the write), flushed, then renamed over the target, so no reader ever sees half a plan and a failed write
//! leaves the old file as it was. Anything else is written through, never replaced: a symbolic
//! link keeps pointing where it did (its target gets the contents), and `/dev/null` or a named
//! pipe stays what it is.

use std::io::Write;
use std::path::Path;

use miette::{IntoDiagnostic, WrapErr};

/// Writes `contents` to `path` as described in the module docs.
pub fn write(path: &Path, contents: &str) -> miette::Result<()> {
    write_with(path, &|w: &mut dyn Write| w.write_all(contents.as_bytes()))
}

/// Writes what `render` writes to `path`, as [`write`] does, without holding it whole: it is
/// written through a buffer into the temporary file, which is renamed into place only once
/// `render` and the flush succeed (a failure leaves no file and the old one as it was).
pub fn write_with(path: &Path, render: Render<'_>) -> miette::Result<()> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            // Write through the link: replace the file it points at, atomically when that is a
            // regular file.
            let target = std::fs::canonicalize(path)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot follow the symbolic link {shown}"))?;
            write_with(&target, render)
        }
        Ok(meta) if !meta.is_file() => {
            if meta.is_dir() {
                miette::bail!("cannot write {shown}: it is a folder");
            }
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| {
                    let mut w = std::io::BufWriter::new(f);
                    render(&mut w)?;
                    w.flush()
                })
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot write {shown}"))
        }
        _ => atomically(path, render)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {shown}")),
    }
}

/// Writes the contents into the writer it is given.
pub type Render<'a> = &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>;

/// The folder a file at `path` is written in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn atomically(path: &Path, render: Render<'_>) -> std::io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // The mode a plain create gives (0666 less the umask), not tempfile's private 0600: the
    // file written is the user's output, readable as any file they create.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    // Removed on drop unless persisted: a failure leaves no temporary behind.
    let tmp = builder.tempfile_in(folder_of(path))?;
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, tmp);
    render(&mut w)?;
    let tmp = w.into_inner().map_err(|e| e.into_error())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_replaced_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.json");
        std::fs::write(&p, "old").unwrap();
        write(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_written_file_has_the_mode_a_plain_create_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let ours = dir.path().join("plan.json");
        write(&ours, "new").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
    }

    #[test]
    fn a_failed_render_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plan.json");
        std::fs::write(&p, "old").unwrap();
        let failed = write_with(&p, &|w: &mut dyn Write| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("render failed"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_is_refused_and_a_missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(dir.path(), "x").is_err());
        assert!(write(&dir.path().join("no/such/plan.json"), "x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_dev_null_stays_a_device() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");

        write(Path::new("/dev/null"), "discarded").unwrap();
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "/dev/null is still a device"
        );
    }
}
