//! Reads the policy folder from disk into in-memory files for `coupa_access_core::policy`.
//!
//! - Files ending in `.yaml` or `.yml`, in any letter case (`Settings.YAML` too), are policy
//!   files; every other file (but the editors' `*.schema.json`) is listed as ignored so nothing
//!   vanishes without a word.
//! - Hidden files and folders (names starting with `.`) are skipped.
//! - Symbolic links are followed, but every folder is visited once, by its canonical path, so
//!   links pointing back up the tree cannot make the walk loop or explode.
//! - Paths are the folder as given plus the file's path in it (`--policies infra/coupa/policies`
//!   names `infra/coupa/policies/groups.yaml`): relative to the working directory, which in CI is
//!   the repository root, so GitHub can attach an annotation to the file. An absolute folder, or
//!   one reached through `..`, is named by its own name (`policies/groups.yaml`). The names are
//!   part of a plan's policy digest, so plan and apply name the folder the same way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use coupa_access_core::model::{Desired, PolicyFile};
use coupa_access_core::policy::{self, Code, PolicyDiagnostic, PolicyErrors};

/// Deeper folder nesting than this is never a policy folder.
const MAX_FOLDER_DEPTH: usize = 32;

/// What the folder holds: the policy files and the other files that were not read.
#[derive(Debug, Default)]
pub struct PolicyFolder {
    pub files: Vec<PolicyFile>,
    /// Relative paths of files that are not policy files (not `.yaml`/`.yml`).
    pub ignored: Vec<String>,
}

/// Reads and merges the policy folder; every problem is reported at once.
pub fn load(dir: &Path) -> Result<(Desired, Vec<String>), PolicyErrors> {
    let folder = read(dir).map_err(|diagnostics| PolicyErrors { diagnostics })?;
    let desired = policy::load_files(folder.files)?;
    Ok((desired, folder.ignored))
}

/// Whether a file name is a policy file: `.yaml` or `.yml`, in any letter case.
pub fn is_policy_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// The policy files under `dir`, in path order; every unreadable one is reported.
pub fn read(dir: &Path) -> Result<PolicyFolder, Vec<PolicyDiagnostic>> {
    let shown = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|e| {
        let msg = if e.kind() == std::io::ErrorKind::NotFound {
            format!("policy folder `{shown}` does not exist")
        } else {
            format!("cannot read policy folder `{shown}`: {e}")
        };
        vec![PolicyDiagnostic::error(Code::Folder, msg)
            .with_help("pass the folder with `--policies DIR` (default `./policies`)")]
    })?;
    if !meta.is_dir() {
        return Err(vec![PolicyDiagnostic::error(
            Code::Folder,
            format!("`{shown}` is not a folder"),
        )
        .with_help("`--policies` takes the folder that holds the YAML files")]);
    }
    let base = shown_base(dir);
    let mut walk = Walk::default();
    walk.folder(dir, &base, 0);
    walk.found.sort();
    walk.ignored.sort();
    let mut files = Vec::new();
    for (rel, path) in walk.found {
        match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => files.push(PolicyFile { path: rel, text }),
            Ok(Err(_)) => walk.problems.push(
                PolicyDiagnostic::error(Code::Read, format!("`{rel}` is not UTF-8 text"))
                    .with_help("save the file as UTF-8"),
            ),
            Err(e) => walk.problems.push(PolicyDiagnostic::error(
                Code::Read,
                format!("cannot read `{rel}`: {e}"),
            )),
        }
    }
    if walk.problems.is_empty() {
        Ok(PolicyFolder {
            files,
            ignored: walk.ignored,
        })
    } else {
        Err(walk.problems)
    }
}

/// The prefix of every policy file's path: the folder as given, when relative.
pub fn shown_base(dir: &Path) -> String {
    use std::path::Component;
    let join = |parts: Vec<String>| parts.join("/");
    // A relative path of plain names (`./` dropped) is already relative to the working directory.
    if dir.is_relative() {
        let plain: Option<Vec<String>> = dir
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| match c {
                Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        if let Some(parts) = plain {
            return join(parts);
        }
    }
    // An absolute path, or one through `..`: the folder's own name (`policies/groups.yaml`), so
    // a plan's policy digest does not depend on where the folder lives.
    match dir.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => std::fs::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    }
}

#[derive(Default)]
struct Walk {
    /// (relative path with `/`, full path) of policy files.
    found: Vec<(String, PathBuf)>,
    ignored: Vec<String>,
    problems: Vec<PolicyDiagnostic>,
    /// Canonical paths of folders already walked.
    visited: BTreeSet<PathBuf>,
}

impl Walk {
    fn folder(&mut self, dir: &Path, rel: &str, depth: usize) {
        let cannot = |e: std::io::Error| {
            PolicyDiagnostic::error(Code::Read, format!("cannot list `{rel}`: {e}"))
        };
        if depth > MAX_FOLDER_DEPTH {
            self.problems.push(
                PolicyDiagnostic::error(Code::Read, format!("`{rel}` is nested too deeply"))
                    .with_help("policy folders are at most 32 levels deep"),
            );
            return;
        }
        // A folder reached twice (through a symbolic link) is read once.
        match std::fs::canonicalize(dir) {
            Ok(id) => {
                if !self.visited.insert(id) {
                    return;
                }
            }
            Err(e) => return self.problems.push(cannot(e)),
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.problems.push(cannot(e)),
        };
        let mut entries: Vec<_> = entries.collect();
        entries.sort_by_key(|e| e.as_ref().ok().map(|e| e.file_name()));
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.problems.push(cannot(e));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let is_policy = is_policy_file(&name);
            // metadata() follows symlinks, so a linked file or folder is read like a real one.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => self.folder(&path, &child, depth + 1),
                Ok(meta) if meta.is_file() && is_policy => self.found.push((child, path)),
                // The policy schema lives beside the policies for editors; it is expected.
                Ok(_) if name.ends_with(".schema.json") => {}
                Ok(_) => self.ignored.push(child),
                Err(e) if is_policy => self.problems.push(PolicyDiagnostic::error(
                    Code::Read,
                    format!("cannot read `{child}`: {e}"),
                )),
                Err(_) => self.ignored.push(child),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn files_are_found_recursively_in_any_case_sorted_and_others_listed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("policies");
        write(
            &dir,
            &[
                ("b.yaml", "groups: {}\n"),
                ("a/x.yml", "roles: {}\n"),
                ("Settings.YAML", "settings: {}\n"),
                ("README.md", "notes"),
                (".hidden.yaml", "not: read"),
            ],
        );
        let folder = read(&dir).unwrap();
        let paths: Vec<_> = folder.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "policies/Settings.YAML",
                "policies/a/x.yml",
                "policies/b.yaml"
            ]
        );
        assert_eq!(folder.ignored, ["policies/README.md"]);
    }

    #[test]
    fn a_missing_folder_or_a_file_is_an_error_and_an_empty_one_has_no_files() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = read(&tmp.path().join("nope")).unwrap_err();
        assert!(
            missing[0].message().contains("does not exist"),
            "{missing:?}"
        );
        write(tmp.path(), &[("f.yaml", "")]);
        let not_dir = read(&tmp.path().join("f.yaml")).unwrap_err();
        assert!(not_dir[0].message().contains("is not a folder"));
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(read(&empty).unwrap().files.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_back_up_the_tree_are_walked_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("policies");
        write(&dir, &[("g.yaml", "groups: {}\n")]);
        // Two links to the folder itself: without identity tracking the walk is exponential.
        std::os::unix::fs::symlink(&dir, dir.join("loop1")).unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("loop2")).unwrap();
        let folder = read(&dir).unwrap();
        assert_eq!(folder.files.len(), 1);
    }
}
