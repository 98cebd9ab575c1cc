//! `coupa-access show PLAN.json`: render a saved plan (from `plan --out`) as text or markdown.

use miette::{IntoDiagnostic, WrapErr};

use super::common::render_plan;
use super::Output;
use crate::cli::{Format, ShowArgs, ShowFormat};
use coupa_access_core::model::{Plan, PLAN_FORMAT_VERSION};

pub fn run(args: ShowArgs, out: Output) -> miette::Result<i32> {
    let path = &args.plan;
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read plan {}", path.display()))?;
    // The version first, so a newer plan gets a clear message instead of a field error.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format_version").and_then(|f| f.as_u64()));
    if let Some(found) = version.filter(|&v| v != u64::from(PLAN_FORMAT_VERSION)) {
        miette::bail!(
            "{} has plan format_version {found}; this coupa-access reads format_version {PLAN_FORMAT_VERSION}",
            path.display()
        );
    }
    let plan: Plan = serde_json::from_str(&text)
        .into_diagnostic()
        .wrap_err_with(|| format!("{} is not a coupa-access plan file", path.display()))?;
    let format = match args.format {
        ShowFormat::Text => Format::Text,
        ShowFormat::Markdown => Format::Markdown,
    };
    super::emit(&render_plan(&plan, format, out.stdout_color))?;
    Ok(0)
}
