//! Policy files: read the YAML folder into [`Desired`] with diagnostics that point at file, line
//! and column, and check a `Desired` against live Coupa.
//!
//! Semantics worth knowing:
//! - Every `*.yaml`/`*.yml` file under the folder, recursively (hidden files and folders, whose
//!   names start with `.`, are skipped), is read in path order and merged.
//! - A group, role or license declared in its own section is managed in its `mode`
//!   (authoritative by default). One named only from the per-person `users:` form is
//!   *implicit*: `implicit: true` and [`Mode::Additive`](crate::model::Mode::Additive), so it
//!   ensures those memberships but never removes anybody — the safe reading of a file that never
//!   said the group is fully described.
//! - Every problem is collected; [`load`] fails with all of them at once, sorted by file and
//!   position. [`check`] then resolves names against live Coupa the same way.
//! - YAML is read with libyaml's event parser into a small tree with byte spans (see `yaml`),
//!   because serde_yaml does not say where a value was written.
//! - `policy_digest` is `sha256:<hex>` over each file's relative path and text, in path order.

mod check;
mod convert;
mod diagnostic;
mod suggest;
mod yaml;

use std::path::Path;

/// Re-exported for callers of [`load_files`].
pub use crate::model::PolicyFile;
pub use check::{check, CheckReport};
pub use diagnostic::{render_plain, LabelPoint, PolicyDiagnostic, PolicyErrors};

use crate::model::{Desired, Loc};

/// Reads every policy file under `dir` and merges them. Paths in diagnostics and in
/// `Desired::files` are relative to `dir`'s parent (`policies/groups.yaml`), so output does not
/// depend on where the folder lives. A missing folder is an error; an empty one manages nothing.
pub fn load(dir: &Path) -> Result<Desired, PolicyErrors> {
    let files = read_dir(dir).map_err(|diagnostics| PolicyErrors { diagnostics })?;
    load_files(files)
}

/// Same as [`load`], from in-memory files (path, text); they are sorted by path first.
pub fn load_files(files: Vec<PolicyFile>) -> Result<Desired, PolicyErrors> {
    convert::convert(files).map_err(|mut diagnostics| {
        diagnostic::sort(&mut diagnostics);
        PolicyErrors { diagnostics }
    })
}

/// Where a setting was written, e.g. `&["max_removals", "total"]` or `&["protected_users"]`
/// (the value's span), so a tripped guard can point at it. `None` when it was not written.
pub fn setting_loc(desired: &Desired, keys: &[&str]) -> Option<Loc> {
    for (file, f) in desired.files.iter().enumerate() {
        let Ok(docs) = yaml::parse(&f.text) else {
            continue;
        };
        for doc in &docs {
            let mut node = doc;
            let mut found = true;
            for key in std::iter::once(&"settings").chain(keys) {
                let yaml::Value::Map(pairs) = &node.value else {
                    found = false;
                    break;
                };
                match pairs
                    .iter()
                    .find(|(k, _)| matches!(&k.value, yaml::Value::Scalar(s) if s == key))
                {
                    Some((_, v)) => node = v,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if found {
                return Some(Loc {
                    file,
                    offset: node.span.offset,
                    len: node.span.len,
                });
            }
        }
    }
    None
}

/// `path:line:column` of a `Loc` in `desired`'s files (1-based, column in characters), for
/// one-line messages such as plan warnings.
pub fn describe_loc(desired: &Desired, loc: Loc) -> String {
    let Some(f) = desired.files.get(loc.file) else {
        return String::from("<unknown file>");
    };
    let mut offset = loc.offset.min(f.text.len());
    while !f.text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &f.text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{}:{line}:{column}", f.path)
}

/// Deeper folder nesting than this is taken for a symlink loop.
const MAX_FOLDER_DEPTH: usize = 32;

/// The policy files under `dir`, in path order; every unreadable one is reported.
fn read_dir(dir: &Path) -> Result<Vec<PolicyFile>, Vec<PolicyDiagnostic>> {
    let shown = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|e| {
        let msg = if e.kind() == std::io::ErrorKind::NotFound {
            format!("policy folder `{shown}` does not exist")
        } else {
            format!("cannot read policy folder `{shown}`: {e}")
        };
        vec![PolicyDiagnostic::error("policy::folder", msg)
            .help("pass the folder with `--policies DIR` (default `./policies`)")]
    })?;
    if !meta.is_dir() {
        return Err(vec![PolicyDiagnostic::error(
            "policy::folder",
            format!("`{shown}` is not a folder"),
        )
        .help("`--policies` takes the folder that holds the YAML files")]);
    }
    // The folder's own name prefixes every path: `policies/groups.yaml`.
    let base = match dir.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => std::fs::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default(),
    };
    let mut found = Vec::new();
    let mut problems = Vec::new();
    walk(dir, &base, 0, &mut found, &mut problems);
    found.sort();
    let mut files = Vec::new();
    for (rel, path) in found {
        match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => files.push(PolicyFile { path: rel, text }),
            Ok(Err(_)) => problems.push(
                PolicyDiagnostic::error("policy::read", format!("`{rel}` is not UTF-8 text"))
                    .help("save the file as UTF-8"),
            ),
            Err(e) => problems.push(PolicyDiagnostic::error(
                "policy::read",
                format!("cannot read `{rel}`: {e}"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// Collects (relative path with `/`, full path) of policy files under `dir`.
fn walk(
    dir: &Path,
    rel: &str,
    depth: usize,
    out: &mut Vec<(String, std::path::PathBuf)>,
    problems: &mut Vec<PolicyDiagnostic>,
) {
    let cannot = |e: std::io::Error| {
        PolicyDiagnostic::error("policy::read", format!("cannot list `{rel}`: {e}"))
    };
    // Symlinks are followed, so a link to an ancestor would recurse forever.
    if depth > MAX_FOLDER_DEPTH {
        problems.push(
            PolicyDiagnostic::error("policy::read", format!("`{rel}` is nested too deeply"))
                .help("check for a symbolic link that points back up the folder tree"),
        );
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return problems.push(cannot(e)),
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(cannot(e));
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
        let is_policy = name.ends_with(".yaml") || name.ends_with(".yml");
        // metadata() follows symlinks, so a linked file or folder is read like a real one.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, &child, depth + 1, out, problems),
            Ok(meta) if meta.is_file() && is_policy => out.push((child, path)),
            Ok(_) => {}
            Err(e) if is_policy => problems.push(PolicyDiagnostic::error(
                "policy::read",
                format!("cannot read `{child}`: {e}"),
            )),
            Err(_) => {}
        }
    }
}
