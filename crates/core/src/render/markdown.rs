//! The markdown plan for pull-request comments (GitHub caps a comment at 65,536 characters).
//!
//! Layout: a hidden marker (so CI finds its own comment to update), the heading and summary
//! line, a table of every touched target, the warnings, then each target's changes in a
//! collapsed `<details>` section, every change listed exactly once. Each part has a budget so
//! that one huge group cannot hide the others, and whatever does not fit is counted exactly.

use std::fmt::Write as _;

use crate::model::{time, Action, Plan};
use crate::plan::kind_word;

use super::closing_line;
use super::markdown_text::{code_line, escape, fence_for, html_text};
use super::printable::printable;
use super::targets::{by_target, TargetChanges};

/// The markdown output never exceeds this many bytes (and so characters).
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The first line of every markdown report (plan or errors): CI scripts look for it to update
/// their own pull-request comment instead of adding a new one.
pub const PLAN_MARKER: &str = "<!-- coupa-access:plan -->";

/// Room kept for the closing note and the footer, which are written last.
const RESERVE: usize = 1_000;

/// At most this share (in percent) of the budget goes to the target table.
const TABLE_SHARE: usize = 40;

/// At most this share (in percent) of the budget goes to warnings.
const WARNING_SHARE: usize = 10;

/// The plan as markdown (see the module docs). Never longer than [`MARKDOWN_LIMIT`]; when
/// something is cut, it says exactly how much was left out.
pub fn markdown(plan: &Plan) -> String {
    let plan = &*printable(plan);
    let budget = MARKDOWN_LIMIT - RESERVE;
    let mut out = String::new();
    let _ = writeln!(out, "{PLAN_MARKER}");
    out.push_str(&heading(plan));

    out.push_str(&restores(plan, budget * WARNING_SHARE / 100));
    let targets = by_target(plan);
    out.push_str(&table(&targets, budget * TABLE_SHARE / 100));
    out.push_str(&warnings(plan, budget * WARNING_SHARE / 100));
    out.push_str(&rewrites(plan, budget * WARNING_SHARE / 100));

    let mut shown = 0;
    let mut skipped_targets = 0;
    let mut skipped_changes = 0;
    if !targets.is_empty() {
        out.push_str("### Details\n\n");
        let sections: Vec<Section> = targets.iter().map(Section::of).collect();
        let shares = fair_shares(&sections, budget.saturating_sub(out.len()));
        for (section, share) in sections.iter().zip(shares) {
            match section.render(share) {
                Some((text, n)) => {
                    out.push_str(&text);
                    shown += n;
                }
                None => {
                    skipped_targets += 1;
                    skipped_changes += section.lines.len();
                }
            }
        }
    }

    let left_out = plan.changes.len() - shown;
    if left_out > 0 {
        if skipped_targets > 0 {
            let _ = writeln!(
                out,
                "_… and the details of {} more {} ({} {}) not shown._\n",
                thousands(skipped_targets),
                plural(skipped_targets, "target", "targets"),
                thousands(skipped_changes),
                plural(skipped_changes, "change", "changes"),
            );
        }
        let _ = write!(
            out,
            "> [!WARNING]\n> This comment was cut to stay under GitHub's size limit: {} of {} changes are not shown. \
             Run `coupa-access plan` or read the JSON plan for all of them.\n\n",
            thousands(left_out),
            thousands(plan.changes.len())
        );
    }
    out.push_str(&footer(plan));
    out
}

/// Appends `lines` as a bulleted list while `s` stays within `limit` bytes, then counts the rest.
fn bullets(s: &mut String, lines: &[String], limit: usize) {
    for (i, line) in lines.iter().enumerate() {
        let item = format!("- {}\n", escape(line));
        if s.len() + item.len() > limit {
            let _ = writeln!(
                s,
                "- _… and {} more not shown._",
                thousands(lines.len() - i)
            );
            break;
        }
        s.push_str(&item);
    }
    s.push('\n');
}

/// What an interrupted apply's journal gives back, capped at `limit` bytes.
fn restores(plan: &Plan, limit: usize) -> String {
    let lines = super::restore_lines(plan);
    if lines.is_empty() {
        return String::new();
    }
    let mut s = format!("### {}\n\n", super::RESTORES_HEADING);
    bullets(&mut s, &lines, limit);
    s
}

/// Users whose roles are cleared and set again, capped at `limit` bytes.
fn rewrites(plan: &Plan, limit: usize) -> String {
    let note = super::rewrites::group_removal_note(plan)
        .map(|n| format!("_{}_\n\n", escape(&n)))
        .unwrap_or_default();
    let lines = super::rewrites::rewrite_lines(plan);
    if lines.is_empty() {
        return note;
    }
    let mut s = note;
    s.push_str("### Roles cleared and set again\n\nCoupa's user update only adds roles: removing one clears the user's roles and sets the rest again.\n\n");
    bullets(&mut s, &lines, limit);
    s
}

fn heading(plan: &Plan) -> String {
    format!(
        "## coupa-access plan for {}\n\n**{}**\n\n",
        escape(&plan.origin.to_string()),
        closing_line(&plan.summary, !plan.is_empty())
    )
}

/// One row per touched target, capped at `limit` bytes with the number of targets left out.
fn table(targets: &[TargetChanges<'_>], limit: usize) -> String {
    if targets.is_empty() {
        return String::new();
    }
    let mut s =
        String::from("| kind | target | add | remove | reported only |\n|---|---|---:|---:|---|\n");
    let cap_note = 200;
    for (i, t) in targets.iter().enumerate() {
        let mut name = escape(t.target.name());
        if let Some(id) = t.target.id() {
            let _ = write!(name, " (id {id})");
        }
        if t.privileged {
            name.push_str(" — **privileged: omnipotent**");
        }
        let row = format!(
            "| {} | {name} | {} | {} | {} |\n",
            kind_word(t.target.kind()),
            t.count(Action::Add),
            t.count(Action::Remove),
            if t.applies {
                "no"
            } else if t.any_applies {
                "partly"
            } else {
                "yes"
            }
        );
        if s.len() + row.len() + cap_note > limit {
            let rest = &targets[i..];
            let changes: usize = rest.iter().map(|t| t.changes.len()).sum();
            let _ = writeln!(
                s,
                "\n_… and {} more {} ({} {}) not listed in this table._",
                thousands(rest.len()),
                plural(rest.len(), "target", "targets"),
                thousands(changes),
                plural(changes, "change", "changes"),
            );
            break;
        }
        s.push_str(&row);
    }
    s.push('\n');
    s
}

/// The warnings, capped at `limit` bytes with the number left out.
fn warnings(plan: &Plan, limit: usize) -> String {
    if plan.warnings.is_empty() {
        return String::new();
    }
    let mut s = String::from("### Warnings\n\n");
    let cap_note = 100;
    for (i, w) in plan.warnings.iter().enumerate() {
        let item = format!("- {}\n", escape(&w.one_line()));
        if s.len() + item.len() + cap_note > limit {
            let n = plan.warnings.len() - i;
            let _ = writeln!(
                s,
                "- _… and {} more {} not shown_",
                thousands(n),
                plural(n, "warning", "warnings")
            );
            break;
        }
        s.push_str(&item);
    }
    s.push('\n');
    s
}

/// One target's collapsed section, prepared so its size is known before it is placed.
struct Section {
    open: String,
    /// The change lines: removals first (what a reviewer must not miss), each once.
    lines: Vec<String>,
    close: String,
    /// `group`, `role` or `license`, for the "more changes in this group" note.
    kind: &'static str,
}

impl Section {
    fn of(t: &TargetChanges<'_>) -> Section {
        let mut summary = t.title();
        let (adds, removes) = (t.count(Action::Add), t.count(Action::Remove));
        let _ = write!(summary, ": {adds} to add, {removes} to remove");
        if t.privileged {
            summary.push_str(", privileged: omnipotent");
        }
        if !t.any_applies {
            summary.push_str(" (reported only, not applied)");
        }
        let mut ordered = t.changes.to_vec();
        ordered.sort_by_key(|c| c.action != Action::Remove);
        let lines: Vec<String> = ordered
            .iter()
            .map(|c| {
                let m = match c.action {
                    Action::Add => '+',
                    Action::Remove => '-',
                };
                let mut line = format!("{m} {}", code_line(&t.user_label(c)));
                if c.privileged {
                    line.push_str("  (privileged: omnipotent role)");
                }
                if t.mixed() && !c.applies {
                    line.push_str("  (reported only)");
                }
                line.push('\n');
                line
            })
            .collect();
        let fence = fence_for(lines.iter().map(String::as_str));
        Section {
            open: format!(
                "<details><summary>{}</summary>\n\n{fence}diff\n",
                html_text(&summary)
            ),
            close: format!("{fence}\n"),
            lines,
            kind: kind_word(t.target.kind()),
        }
    }

    /// The bytes of the section with nothing in it but the cut note (its least room).
    fn skeleton(&self) -> usize {
        self.open.len() + self.close.len() + self.note(self.lines.len()).len() + END.len()
    }

    /// The bytes of the whole section.
    fn full(&self) -> usize {
        self.open.len()
            + self.lines.iter().map(String::len).sum::<usize>()
            + self.close.len()
            + END.len()
    }

    fn note(&self, n: usize) -> String {
        format!(
            "\n… and {} more {} in this {} not shown\n",
            thousands(n),
            plural(n, "change", "changes"),
            self.kind
        )
    }

    /// The section within `room` bytes and how many changes it shows; `None` when not even its
    /// skeleton fits.
    fn render(&self, room: usize) -> Option<(String, usize)> {
        if self.full() <= room {
            let mut s = self.open.clone();
            self.lines.iter().for_each(|l| s.push_str(l));
            s.push_str(&self.close);
            s.push_str(END);
            return Some((s, self.lines.len()));
        }
        if self.skeleton() > room {
            return None;
        }
        let mut s = self.open.clone();
        // The note's digits shrink as more lines fit, so the skeleton's note is an upper bound.
        let mut used = self.skeleton();
        let mut n = 0;
        for line in &self.lines {
            if used + line.len() > room {
                break;
            }
            used += line.len();
            s.push_str(line);
            n += 1;
        }
        s.push_str(&self.close);
        s.push_str(&self.note(self.lines.len() - n));
        s.push_str(END);
        Some((s, n))
    }
}

const END: &str = "\n</details>\n\n";

/// Splits `room` among sections. Each placed section first gets its skeleton (so it is named
/// with its count); the rest is shared out: a section needing less than an equal share gets
/// what it needs, and what it leaves goes to the bigger ones. When even the skeletons do not
/// all fit, the last sections get nothing (and are counted as left out).
fn fair_shares(sections: &[Section], room: usize) -> Vec<usize> {
    let mut shares = vec![0; sections.len()];
    let mut placed = 0;
    let mut skeletons = 0;
    for s in sections {
        if skeletons + s.skeleton() > room {
            break;
        }
        skeletons += s.skeleton();
        shares[placed] = s.skeleton();
        placed += 1;
    }
    let extra_need = |i: usize| sections[i].full().saturating_sub(sections[i].skeleton());
    let mut order: Vec<usize> = (0..placed).collect();
    order.sort_by_key(|&i| extra_need(i));
    let mut left = room - skeletons;
    for (k, &i) in order.iter().enumerate() {
        let extra = extra_need(i).min(left / (placed - k));
        shares[i] += extra;
        left -= extra;
    }
    shares
}

fn footer(plan: &Plan) -> String {
    let mut s = format!("<sub>coupa-access {}", html_text(&plan.tool_version));
    if !plan.policy_digest.is_empty() {
        let _ = write!(s, " · policy {}", html_text(&plan.policy_digest));
    }
    let _ = write!(s, " · generated {}", time::format(&plan.generated_at));
    s.push_str("</sub>\n");
    s
}

/// `1,234`: counts in notes are read by people.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
