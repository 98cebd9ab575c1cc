//! The markdown plan for pull-request comments (GitHub caps a comment at 65,536 characters).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::model::{time, Action, Change, ChangeTarget, Kind, Plan};
use crate::plan::kind_word;

use super::closing_line;
use super::printable::printable;
use super::targets::{by_target, TargetChanges};

/// The markdown output never exceeds this many bytes (and so characters).
pub const MARKDOWN_LIMIT: usize = 65_000;

/// Room kept for the truncation note and the footer, which are written last.
const RESERVE: usize = 1_000;

/// The plan as markdown: a heading with the origin, a summary table, removals and privileged
/// changes first, warnings, then every target's changes in a collapsible `<details>` section.
/// Never longer than [`MARKDOWN_LIMIT`]; when cut, it says how many changes were left out.
pub fn markdown(plan: &Plan) -> String {
    let plan = &*printable(plan);
    let mut w = Budget::new(MARKDOWN_LIMIT - RESERVE);
    // Which changes appear somewhere, so "left out" is counted exactly.
    let mut shown = vec![false; plan.changes.len()];

    w.force(&heading(plan));
    w.force(&summary_table(plan));
    let mut warnings_left_out = 0;

    if !plan.is_empty() {
        let important: Vec<(usize, &Change)> = plan
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.action == Action::Remove || c.privileged)
            .collect();
        if !important.is_empty() {
            w.push("### Removals and privileged changes\n\n");
            // A user removed twice from one group (duplicated memberships) gets the ids shown.
            let mut times: HashMap<(&ChangeTarget, u64, Action), usize> = HashMap::new();
            for (_, c) in &important {
                *times.entry((&c.target, c.user_id, c.action)).or_default() += 1;
            }
            for (i, c) in important {
                let repeated = times[&(&c.target, c.user_id, c.action)] > 1;
                if !w.push(&important_item(c, repeated)) {
                    break;
                }
                shown[i] = true;
            }
            w.push("\n");
        }
    }

    if !plan.warnings.is_empty() && w.push("### Warnings\n\n") {
        for (i, warning) in plan.warnings.iter().enumerate() {
            if !w.push(&format!("- {}\n", escape(&warning.one_line()))) {
                warnings_left_out = plan.warnings.len() - i;
                break;
            }
        }
        w.push("\n");
    } else {
        warnings_left_out = plan.warnings.len();
    }

    let targets = by_target(plan);
    if !targets.is_empty() && w.push("### Details\n\n") {
        for t in &targets {
            if !write_details(&mut w, t, &mut shown) {
                break;
            }
        }
    }

    let left_out = shown.iter().filter(|s| !**s).count();
    let mut out = w.out;
    if left_out > 0 || warnings_left_out > 0 {
        let _ = write!(
            out,
            "> [!WARNING]\n> This comment was cut to stay under GitHub's size limit: {left_out} of {} changes",
            plan.changes.len()
        );
        if warnings_left_out > 0 {
            let _ = write!(out, " and {warnings_left_out} warnings");
        }
        out.push_str(
            " are not shown. Run `coupa-access plan` or read the JSON plan for all of them.\n\n",
        );
    }
    out.push_str(&footer(plan));
    out
}

/// Appends while under a byte limit.
struct Budget {
    out: String,
    limit: usize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Budget {
            out: String::new(),
            limit,
        }
    }

    fn room(&self) -> usize {
        self.limit.saturating_sub(self.out.len())
    }

    /// Appends `s` if it fits; says whether it did.
    fn push(&mut self, s: &str) -> bool {
        if s.len() > self.room() {
            return false;
        }
        self.out.push_str(s);
        true
    }

    /// Appends short, bounded text that must always be there.
    fn force(&mut self, s: &str) {
        self.out.push_str(s);
    }
}

fn heading(plan: &Plan) -> String {
    let mut s = format!(
        "## coupa-access plan for {}",
        escape(&plan.origin.to_string())
    );
    let _ = write!(
        s,
        "\n\n**{}**\n\n",
        closing_line(&plan.summary, !plan.is_empty())
    );
    s
}

fn summary_table(plan: &Plan) -> String {
    if plan.is_empty() {
        return String::new();
    }
    let mut s = String::from("| kind | add | remove |\n|---|---:|---:|\n");
    for (kind, label) in [
        (Kind::Group, "group"),
        (Kind::Role, "role (reported only)"),
        (Kind::License, "license (reported only)"),
    ] {
        let n = |a: Action| {
            plan.changes
                .iter()
                .filter(|c| c.kind() == kind && c.action == a)
                .count()
        };
        let _ = writeln!(
            s,
            "| {label} | {} | {} |",
            n(Action::Add),
            n(Action::Remove)
        );
    }
    s.push('\n');
    s
}

/// `- **remove** bob from group AP Clerks` (with the reported-only and privileged notes).
fn important_item(c: &Change, repeated: bool) -> String {
    let (verb, prep) = match c.action {
        Action::Add => ("add", "to"),
        Action::Remove => ("remove", "from"),
    };
    let mut s = format!(
        "- **{verb}** {} {prep} {} {}",
        escape(&c.user),
        kind_word(c.kind()),
        escape(c.target.name())
    );
    if let (true, Some(id)) = (repeated, c.membership_id) {
        let _ = write!(s, " (membership {id})");
    }
    if c.privileged {
        s.push_str(" — **privileged: omnipotent role**");
    }
    if !c.applies {
        s.push_str(" _(reported only, not applied)_");
    }
    s.push('\n');
    s
}

/// One target's `<details>` section; false when it did not fit at all (then nothing was
/// written). A section cut short ends with a note inside its code block.
fn write_details(w: &mut Budget, t: &TargetChanges<'_>, shown: &mut [bool]) -> bool {
    let mut summary = t.title();
    let (adds, removes) = (t.count(Action::Add), t.count(Action::Remove));
    let _ = write!(summary, ": {adds} to add, {removes} to remove");
    if t.privileged {
        summary.push_str(", privileged: omnipotent");
    }
    if !t.applies {
        summary.push_str(" (reported only, not applied)");
    }
    let lines: Vec<String> = t
        .changes
        .iter()
        .map(|c| {
            let m = match c.action {
                Action::Add => '+',
                Action::Remove => '-',
            };
            format!("{m} {}\n", t.user_label(c))
        })
        .collect();
    let fence = fence_for(&lines);
    let open = format!(
        "<details><summary>{}</summary>\n\n{fence}diff\n",
        html_escape(&summary)
    );
    let cut = "... more not shown\n";
    let close = format!("{fence}\n\n</details>\n\n");
    if open.len() + cut.len() + close.len() > w.room() {
        return false;
    }
    w.push(&open);
    let mut complete = true;
    for (&i, line) in t.indices.iter().zip(&lines) {
        if line.len() + cut.len() + close.len() > w.room() {
            complete = false;
            break;
        }
        w.push(line);
        shown[i] = true;
    }
    if !complete {
        w.push(cut);
    }
    w.push(&close);
    complete
}

/// A code fence longer than any run of backticks in the content.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|ch| ch != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn footer(plan: &Plan) -> String {
    let mut s = format!("<sub>coupa-access {}", html_escape(&plan.tool_version));
    if !plan.policy_digest.is_empty() {
        let _ = write!(s, " · policy {}", html_escape(&plan.policy_digest));
    }
    let _ = write!(s, " · generated {}", time::format(&plan.generated_at));
    s.push_str("</sub>\n");
    s
}

/// Escapes text (names, logins, warnings) so markdown shows it literally.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text inside HTML (the `<summary>` line).
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}
