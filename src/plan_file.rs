//! Reading a saved plan file (from `plan --out`): one reader for every command that takes one
//! (`apply`, `show`), so they accept exactly the same files — every format this build reads.

use std::path::Path;

use miette::{IntoDiagnostic, WrapErr};

use coupa_access_core::model::{Plan, PlanReadError};

/// Reads the plan at `path` for `command` (`apply` or `show`, named in the messages). A plan of
/// a format this build does not read says which it reads and what to do.
pub fn read(path: &Path, command: &str) -> miette::Result<Plan> {
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read plan file {}", path.display()))?;
    match Plan::from_json(&text) {
        Err(e @ PlanReadError::UnsupportedVersion { .. }) => Err(miette::miette!(
            help = format!("make the plan with this coupa-access (`coupa-access plan --out`), or {command} it with the version that made it"),
            "cannot {command} {}: {e}",
            path.display()
        )),
        other => other.into_diagnostic().wrap_err_with(|| {
            format!(
                "{} is not a coupa-access plan (from `plan --out`)",
                path.display()
            )
        }),
    }
}
