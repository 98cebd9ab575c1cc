//! Plan renderers: pure `&Plan -> String` as text (terminals and logs), JSON (the versioned plan
//! file) and markdown (pull-request comments). Whether to colour is decided by the binary.

mod json;
mod list_diff;
mod markdown;
mod markdown_text;
mod printable;
mod rewrites;
mod scope;
mod targets;
mod text;

#[cfg(test)]
mod tests;

pub use json::json;
pub use markdown::{markdown, MARKDOWN_LIMIT, PLAN_MARKER};
pub use markdown_text::{
    code_line as markdown_code_line, code_span as markdown_code, escape as markdown_escape,
    fence_for as markdown_fence, html_text as markdown_html_text,
};
pub(crate) use printable::printable_same_width;
pub use printable::printable_str;
pub use text::{text, write_text};

use crate::model::Summary;
use num_format::{Locale, ToFormattedString};

/// Whether the text renderer emits ANSI colour codes. The binary decides (terminal, `NO_COLOR`,
/// `--color`); renderers never look at the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}

/// `1234567` as `1,234,567`: every count a person reads (plan, drift, diagnostics) goes
/// through this one helper.
pub fn thousands(n: usize) -> String {
    n.to_formatted_string(&Locale::en)
}

/// The closing line: `Plan: 3 to add, 1 to remove, 2 reported only.`, or for an empty plan
/// `No changes. Coupa matches the policy.`
pub fn closing_line(summary: &Summary, has_changes: bool) -> String {
    if !has_changes {
        return "No changes. Coupa matches the policy.".to_string();
    }
    let restore = if summary.restore > 0 {
        format!(", {} to restore", thousands(summary.restore))
    } else {
        String::new()
    };
    format!(
        "Plan: {} to add, {} to remove{restore}, {} reported only.",
        thousands(summary.add),
        thousands(summary.remove),
        thousands(summary.reported_only)
    )
}

/// The heading of the restores section, the same in every format.
pub(crate) const RESTORES_HEADING: &str =
    "Restored from the journal of an interrupted apply (what its clear took away, given back)";

/// One line per restore: `alice: roles Buyer, User (cleared 2026-12-03T10:00:00Z)`.
pub(crate) fn restore_lines(plan: &crate::model::Plan) -> Vec<String> {
    plan.restores
        .iter()
        .map(|r| {
            format!(
                "{} (cleared {})",
                r.one_line(),
                crate::model::time::format(&r.recorded_at)
            )
        })
        .collect()
}
