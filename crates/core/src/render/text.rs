//! The text plan for terminals and CI logs.

use std::fmt::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::model::{Action, Change, Kind, Plan};

use super::list_diff::{after_members, diff_lines, sorted_members, Line};
use super::printable::printable;
use super::targets::{by_person, by_target, TargetChanges};
use super::{closing_line, Color};
use crate::CliWords;

const REMOVE: Style = AnsiColor::Red.on_default().bold();
const ADD: Style = AnsiColor::Green.on_default();
const HEADER: Style = Style::new().bold();
const NOTE: Style = Style::new().dimmed();
const WARN: Style = AnsiColor::Yellow.on_default();

/// Lines of unchanged members shown around each change in the member-list view.
const CONTEXT: usize = 2;

const REPORTED_ONLY: &str = "(reported only, not applied)";

/// Paints text when colour is on; plain otherwise.
struct Painter(Color);

impl Painter {
    fn paint(&self, style: Style, s: &str) -> String {
        match self.0 {
            Color::Always => format!("{}{s}{}", style.render(), style.render_reset()),
            Color::Never => s.to_string(),
        }
    }

    fn marker(&self, action: Action) -> String {
        match action {
            Action::Add => self.paint(ADD, "+"),
            Action::Remove => self.paint(REMOVE, "-"),
        }
    }
}

/// The plan as text: changes per target, the same changes per person, member-list diffs of the
/// touched groups, warnings and a closing summary line. Removals stand out in red and bold when
/// `color` is `Always`. `cli` spells the commands the plan's title and scope line name.
pub fn text(plan: &Plan, color: Color, cli: &CliWords) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_text(plan, color, cli, &mut out);
    out
}

/// [`text`], written to `out` as it is rendered, so a huge plan is never held rendered in
/// memory all at once (the binary passes a buffered standard output). Stops at the first
/// error `out` returns.
pub fn write_text(plan: &Plan, color: Color, cli: &CliWords, out: &mut dyn Write) -> fmt::Result {
    let plan = &*printable(plan);
    let p = Painter(color);
    writeln!(
        out,
        "{}\n",
        p.paint(HEADER, &format!("{} for {}", cli.plan, plan.origin))
    )?;
    if let Some(line) = super::scope::scope_line(plan, cli) {
        writeln!(out, "{line}")?;
        let targets = super::scope::scope_targets(plan);
        if !targets.is_empty() {
            writeln!(out, "  {}", targets.join(", "))?;
        }
        out.write_char('\n')?;
    }

    let targets = by_target(plan);
    for t in &targets {
        write_target(out, &p, t)?;
    }

    let restores = super::restore_lines(plan);
    if !restores.is_empty() {
        writeln!(
            out,
            "{}",
            p.paint(HEADER, &format!("{}:", super::RESTORES_HEADING))
        )?;
        for line in restores {
            writeln!(out, "  {} {line}", p.marker(Action::Add))?;
        }
        out.write_char('\n')?;
    }

    if let Some(note) = super::rewrites::group_removal_note(plan) {
        writeln!(out, "{}\n", p.paint(NOTE, &note))?;
    }
    let rewrites = super::rewrites::rewrite_lines(plan);
    if !rewrites.is_empty() {
        writeln!(
            out,
            "{}",
            p.paint(
                HEADER,
                "Roles cleared and set again (Coupa's user update only adds roles):"
            )
        )?;
        for line in rewrites {
            writeln!(out, "  {line}")?;
        }
        out.write_char('\n')?;
    }

    if !plan.changes.is_empty() {
        write_people(out, &p, plan)?;
        write_member_lists(out, &p, plan, &targets)?;
    }

    if !plan.warnings.is_empty() {
        writeln!(out, "{}", p.paint(HEADER, "Warnings:"))?;
        for w in &plan.warnings {
            writeln!(out, "  {} {}", p.paint(WARN, "!"), w.one_line())?;
        }
        out.write_char('\n')?;
    }
    if !plan.acknowledged.is_empty() {
        let n = plan.acknowledged.len();
        writeln!(
            out,
            "{}\n",
            p.paint(
                NOTE,
                &format!(
                    "{} acknowledged in the policy (settings.acknowledge), not repeated.",
                    if n == 1 {
                        "1 warning is".to_string()
                    } else {
                        format!("{} warnings are", super::thousands(n))
                    }
                )
            )
        )?;
    }

    writeln!(
        out,
        "{}",
        p.paint(HEADER, &closing_line(&plan.summary, !plan.is_empty()))
    )
}

fn write_target(out: &mut dyn Write, p: &Painter, t: &TargetChanges<'_>) -> fmt::Result {
    let mut head = p.paint(HEADER, &t.title());
    if t.privileged {
        head.push_str(&p.paint(REMOVE, ", privileged: omnipotent"));
    }
    if !t.any_applies {
        head.push(' ');
        head.push_str(&p.paint(NOTE, REPORTED_ONLY));
    }
    writeln!(out, "{head}")?;
    for c in &t.changes {
        let user = t.user_label(c);
        let user = match c.action {
            Action::Remove => p.paint(REMOVE, &user),
            Action::Add => user,
        };
        let note = if t.mixed() && !c.applies {
            p.paint(NOTE, " (reported only)")
        } else {
            String::new()
        };
        writeln!(out, "  {} {user}{note}", p.marker(c.action))?;
    }
    out.write_char('\n')
}

/// `alice: + AP Clerks, - role Buyer (reported only)`.
fn write_people(out: &mut dyn Write, p: &Painter, plan: &Plan) -> fmt::Result {
    writeln!(out, "{}", p.paint(HEADER, "By person:"))?;
    for (login, changes) in by_person(plan) {
        let mut items: Vec<String> = changes.iter().map(|c| person_item(p, c)).collect();
        // Duplicated memberships give one person two identical removals.
        items.dedup();
        writeln!(out, "  {login}: {}", items.join(", "))?;
    }
    out.write_char('\n')
}

fn person_item(p: &Painter, c: &Change) -> String {
    let what = c.target.label();
    let what = match c.action {
        Action::Remove => p.paint(REMOVE, &what),
        Action::Add => what,
    };
    let note = if c.applies { "" } else { " (reported only)" };
    format!("{} {what}{note}", p.marker(c.action))
}

/// For each touched group: its members before and after, as a diff.
fn write_member_lists(
    out: &mut dyn Write,
    p: &Painter,
    plan: &Plan,
    targets: &[TargetChanges<'_>],
) -> fmt::Result {
    let groups: Vec<_> = targets
        .iter()
        .filter(|t| t.target.kind() == Kind::Group)
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    writeln!(out, "{}", p.paint(HEADER, "Group members after apply:"))?;
    for t in groups {
        let before: Vec<&str> = match plan.preconditions.groups.get(t.target.name()) {
            Some(pre) => sorted_members(&pre.members),
            None => Vec::new(),
        };
        let after = after_members(&before, &t.changes);
        writeln!(
            out,
            "  {}, members {} -> {}:",
            t.title(),
            super::thousands(before.len()),
            super::thousands(after.len())
        )?;
        // The diff calls back per line; the first write error is kept and ends the render.
        let mut result = Ok(());
        diff_lines(&before, &after, CONTEXT, |line| {
            if result.is_err() {
                return;
            }
            result = match line {
                Line::Same(m) => writeln!(out, "      {m}"),
                Line::Removed(m) => writeln!(
                    out,
                    "    {} {}",
                    p.marker(Action::Remove),
                    p.paint(REMOVE, m)
                ),
                Line::Added(m) => writeln!(out, "    {} {m}", p.marker(Action::Add)),
                Line::Skipped(n) => write_skipped(out, p, n),
            };
        });
        result?;
        out.write_char('\n')?;
    }
    Ok(())
}

fn write_skipped(out: &mut dyn Write, p: &Painter, n: usize) -> fmt::Result {
    let word = if n == 1 { "member" } else { "members" };
    writeln!(
        out,
        "      {}",
        p.paint(NOTE, &format!("... {n} unchanged {word}"))
    )
}
