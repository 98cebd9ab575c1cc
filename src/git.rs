//! Reading git with the git CLI — the one place the tool runs git: for `report access`
//! (whether the policy folder is in a whole history, who last changed each policy line with
//! `git blame --porcelain`, the merge that brought a commit in), for `plan --changed-since` and
//! `report access --as-of` (the policy files as of a commit, [`policy_files_at`]) and for apply
//! receipts (commit, branch, clean tree). Nothing here writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use coupa_access_core::model::PolicyFile;
use coupa_access_core::report::{Blame, History, MergeInfo};

/// git run in one folder (the policy folder), at one revision.
pub struct Git {
    dir: PathBuf,
}

/// git's answer on stdout, as printed, or what went wrong in one line.
pub fn run_in(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Plain, stable output whatever the user's configuration or language.
        .env("LC_ALL", "C")
        .env("GIT_PAGER", "cat")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .map_err(|e| format!("git could not be run ({e})"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("").trim();
        return Err(format!(
            "git {} failed: {first}",
            args.first().unwrap_or(&"")
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed something that is not UTF-8".into())
}

/// [`run_in`] without the final newline (answers of one line: a commit, a path, a prefix).
pub fn line(dir: &Path, args: &[&str]) -> Result<String, String> {
    let text = run_in(dir, args)?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

/// The policy files (`*.yaml`, `*.yml`, not hidden, no symbolic links) under the policy folder
/// `dir` as of commit `rev`, named `shown/…` as the work-tree reader names them (`shown` from
/// `policy_dir::shown_base`), each with its path relative to the folder (for blame), sorted by
/// name. The one reading of "the policy at a commit": `plan --changed-since` and `report access
/// --as-of` both ask here.
pub fn policy_files_at(
    dir: &Path,
    rev: &str,
    shown: &str,
) -> Result<Vec<(PolicyFile, String)>, String> {
    let top = line(dir, &["rev-parse", "--show-toplevel"])?;
    let prefix = line(dir, &["rev-parse", "--show-prefix"])?;
    let top = Path::new(&top);
    let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", rev];
    if !prefix.is_empty() {
        args.extend(["--", prefix.as_str()]);
    }
    let listing = run_in(top, &args)?;
    let mut files = Vec::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        // `<mode> blob <oid>\t<path>`; links and submodules are not policy files.
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(mode), Some("blob"), Some(oid)) = (meta.next(), meta.next(), meta.next()) else {
            continue;
        };
        let rel = path.strip_prefix(prefix.as_str()).unwrap_or(path);
        let hidden = rel.split('/').any(|part| part.starts_with('.'));
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if mode == "120000" || hidden || !crate::policy_dir::is_policy_file(name) {
            continue;
        }
        let text = run_in(top, &["cat-file", "blob", oid])
            .map_err(|e| format!("cannot read {path} at {rev}: {e}"))?;
        let path = if shown.is_empty() {
            rel.to_string()
        } else {
            format!("{shown}/{rel}")
        };
        files.push((PolicyFile { path, text }, rel.to_string()));
    }
    files.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    Ok(files)
}

impl Git {
    pub fn new(dir: &Path) -> Git {
        Git {
            dir: dir.to_path_buf(),
        }
    }

    fn run(&self, args: &[&str]) -> Result<String, String> {
        run_in(&self.dir, args)
    }

    /// Whether provenance can be read here, and whether the history is whole. The shallow
    /// boundary commits come with a shallow clone.
    pub fn history(&self) -> (History, Vec<String>) {
        let inside = self.run(&["rev-parse", "--is-inside-work-tree"]);
        if inside.as_deref().map(str::trim) != Ok("true") {
            let why = match inside {
                Err(e) if e.contains("could not be run") => e,
                _ => format!(
                    "{} is not in a git work tree, so no commit can be named",
                    self.dir.display()
                ),
            };
            return (History::Unavailable { why }, Vec::new());
        }
        let head = match self.run(&["rev-parse", "--verify", "HEAD"]) {
            Ok(h) => h.trim().to_string(),
            Err(_) => {
                return (
                    History::Unavailable {
                        why: "the repository has no commits yet".into(),
                    },
                    Vec::new(),
                )
            }
        };
        let shallow = self
            .run(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|s| s.trim() == "true");
        if !shallow {
            return (History::Complete { head }, Vec::new());
        }
        let boundaries = self.shallow_boundaries();
        (
            History::Shallow {
                head,
                boundaries: boundaries.clone(),
            },
            boundaries,
        )
    }

    /// The commits a shallow clone's history stops at (`$GIT_DIR/shallow`).
    fn shallow_boundaries(&self) -> Vec<String> {
        let Ok(path) = self.run(&["rev-parse", "--git-path", "shallow"]) else {
            return Vec::new();
        };
        let path = Path::new(path.trim());
        let path = if path.is_relative() {
            self.dir.join(path)
        } else {
            path.to_path_buf()
        };
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Who last changed each line of `file` (relative to the folder), in the work tree or at
    /// `rev`. A file git does not track yet has every line uncommitted (`Ok(None)`).
    pub fn blame(&self, file: &str, rev: Option<&str>) -> Result<Option<Blame>, String> {
        let mut args = vec!["blame", "--porcelain"];
        if let Some(rev) = rev {
            args.push(rev);
        }
        args.extend(["--", file]);
        match self.run(&args) {
            Ok(text) => Ok(Some(Blame::parse(&text))),
            Err(e) if rev.is_none() && e.contains("no such path") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The merge on `tip`'s first-parent history that brought `sha` in; `None` when `sha` was
    /// committed there directly (or git cannot say).
    pub fn merge_of(&self, sha: &str, tip: &str) -> Option<MergeInfo> {
        let range = format!("{sha}..{tip}");
        let out = self
            .run(&[
                "log",
                "--first-parent",
                "--ancestry-path",
                "--reverse",
                "--format=%H%x1f%P%x1f%an%x1f%aI%x1f%s",
                &range,
            ])
            .ok()?;
        let first = out.lines().next()?;
        let f: Vec<&str> = first.split('\u{1f}').collect();
        let [merge, parents, author, date, subject] = f[..] else {
            return None;
        };
        // The earliest first-parent descendant of `sha`: a merge when its first parent is not
        // `sha` itself.
        let first_parent = parents.split(' ').next().unwrap_or_default();
        (first_parent != sha && parents.contains(' ')).then(|| MergeInfo {
            sha: merge.to_string(),
            author: author.to_string(),
            date: date.to_string(),
            subject: subject.to_string(),
        })
    }

    /// The last commit on `HEAD` made at or before `before` (a date git understands), with its
    /// committer date.
    pub fn commit_before(&self, before: &str) -> Result<Option<(String, String)>, String> {
        let arg = format!("--before={before}");
        let sha = self.run(&["rev-list", "-1", &arg, "HEAD"])?;
        let sha = sha.trim();
        if sha.is_empty() {
            return Ok(None);
        }
        let date = self.run(&["show", "-s", "--format=%cI", sha])?;
        Ok(Some((sha.to_string(), date.trim().to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "a")
            .env("GIT_AUTHOR_EMAIL", "a@x")
            .env("GIT_COMMITTER_NAME", "a")
            .env("GIT_COMMITTER_EMAIL", "a@x")
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }

    /// What `--changed-since` and `--as-of` read at a commit: policy files under the folder,
    /// named as the work-tree reader names them; links, hidden and other files are not policy.
    #[cfg(unix)]
    #[test]
    fn the_policy_at_a_commit_is_the_policy_files_under_the_folder() {
        let repo = tempfile::tempdir().unwrap();
        let top = repo.path();
        let dir = top.join("policies");
        std::fs::create_dir_all(dir.join("team")).unwrap();
        std::fs::create_dir_all(dir.join(".hidden")).unwrap();
        std::fs::write(dir.join("a.yaml"), "groups: {}\n").unwrap();
        std::fs::write(dir.join("team/b.yml"), "roles: {}\n").unwrap();
        std::fs::write(dir.join(".hidden/c.yaml"), "x\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "x\n").unwrap();
        std::fs::write(top.join("outside.yaml"), "x\n").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.join("link.yaml")).unwrap();
        git(top, &["init", "-q"]);
        git(top, &["add", "-A"]);
        git(top, &["commit", "-qm", "policy"]);
        std::fs::write(dir.join("a.yaml"), "groups: { changed: {} }\n").unwrap();
        let files = policy_files_at(&dir, "HEAD", "policies").unwrap();
        let got: Vec<(&str, &str, &str)> = files
            .iter()
            .map(|(f, rel)| (f.path.as_str(), rel.as_str(), f.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("policies/a.yaml", "a.yaml", "groups: {}\n"),
                ("policies/team/b.yml", "team/b.yml", "roles: {}\n"),
            ]
        );
    }
}
