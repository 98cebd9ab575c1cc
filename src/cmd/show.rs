//! `coupa-access show PLAN.json`: render a saved plan (from `plan --out`) as text or markdown.
//! It reads plan files with the reader `apply` uses, so it shows every plan `apply` accepts.
//!
//! A plan can hold hundreds of thousands of changes: the text rendering streams to a buffered
//! stdout as it is produced instead of being built whole first.

use super::Output;
use crate::cli::{ShowArgs, ShowFormat};
use coupa_access_core::render;

pub fn run(args: ShowArgs, out: Output) -> miette::Result<i32> {
    let plan = crate::plan_file::read(&args.plan, "show")?;
    match args.format {
        ShowFormat::Text => {
            let color = if out.stdout_color {
                render::Color::Always
            } else {
                render::Color::Never
            };
            super::emit_streamed(|w| {
                render::write_text(&plan, color, crate::cli_words::cli_words(), w)
            })?;
        }
        // Markdown is capped at MARKDOWN_LIMIT bytes: small whatever the plan.
        ShowFormat::Markdown => {
            super::emit(&render::markdown(&plan, crate::cli_words::cli_words()))?
        }
    }
    Ok(0)
}
