//! `coupa-access show PLAN.json`: render a saved plan (from `plan --out`) as text or markdown.
//! It reads plan files with the reader `apply` uses, so it shows every plan `apply` accepts.

use super::common::render_plan;
use super::Output;
use crate::cli::{Format, ShowArgs, ShowFormat};

pub fn run(args: ShowArgs, out: Output) -> miette::Result<i32> {
    let plan = crate::plan_file::read(&args.plan, "show")?;
    let format = match args.format {
        ShowFormat::Text => Format::Text,
        ShowFormat::Markdown => Format::Markdown,
    };
    super::emit(&render_plan(&plan, format, out.stdout_color))?;
    Ok(0)
}
