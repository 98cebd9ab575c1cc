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
//!   position. [`check`] then reports the names that do not resolve against live Coupa, as the binding's one resolver (`bind::resolve`) finds them. Both report at
//!   most 50 problems of one kind, then one "and N more" summary.
//! - YAML is read with saphyr-parser's event parser (safe, pure Rust) into a small tree with
//!   byte spans (see `yaml`), because serde_yaml does not say where a value was written.
//! - `policy_digest` is `sha256:<hex>` over each file's relative path and text, in path order.

mod cap;
mod check;
#[cfg(test)]
mod check_agreement;
mod code;
mod convert;
mod diagnostic;
#[cfg(test)]
mod proptests;
mod schema;
#[cfg(test)]
mod schema_agreement;
mod suggest;
pub(crate) mod yaml;

/// Re-exported for callers of [`load_files`].
pub use crate::model::PolicyFile;
pub use check::{check, check_resolved, check_with, CheckReport};
pub use code::Code;
pub(crate) use diagnostic::Sources;
pub use diagnostic::{render_plain, LabelPoint, PolicyDiagnostic, PolicyErrors};
pub use schema::{json_schema, PolicyDocument};

use crate::model::{Desired, Loc};

/// Loads policy files already read into memory (path, text), sorted by path first, and merges
/// them. Reading the folder is the binary's job; this crate does no I/O.
pub fn load_files(files: Vec<PolicyFile>) -> Result<Desired, PolicyErrors> {
    convert::convert(files).map_err(|mut diagnostics| {
        diagnostic::sort(&mut diagnostics);
        PolicyErrors {
            diagnostics: cap::cap_diagnostics(diagnostics),
        }
    })
}

/// `path:line:column` of a `Loc` in `desired`'s files (1-based, column in characters), for
/// one-line messages such as plan warnings.
pub fn describe_loc(desired: &Desired, loc: Loc) -> String {
    crate::model::SourcePos::locate(&desired.files, loc)
        .map_or_else(|| String::from("<unknown file>"), |p| p.to_string())
}
