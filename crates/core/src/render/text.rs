//! The text plan for terminals and CI logs.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::model::{Action, Change, Kind, Plan};

use super::list_diff::{after_members, diff_lines, sorted_members, Line};
use super::printable::printable;
use super::targets::{by_person, by_target, TargetChanges};
use super::{closing_line, Color};

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
/// `color` is `Always`.
pub fn text(plan: &Plan, color: Color) -> String {
    let plan = &*printable(plan);
    let p = Painter(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\n",
        p.paint(HEADER, &format!("coupa-access plan for {}", plan.origin))
    );

    let targets = by_target(plan);
    for t in &targets {
        write_target(&mut out, &p, t);
    }

    let restores = super::restore_lines(plan);
    if !restores.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(HEADER, &format!("{}:", super::RESTORES_HEADING))
        );
        for line in restores {
            let _ = writeln!(out, "  {} {line}", p.marker(Action::Add));
        }
        out.push('\n');
    }

    if let Some(note) = super::rewrites::group_removal_note(plan) {
        let _ = writeln!(out, "{}\n", p.paint(NOTE, &note));
    }
    let rewrites = super::rewrites::rewrite_lines(plan);
    if !rewrites.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                HEADER,
                "Roles cleared and set again (Coupa's user update only adds roles):"
            )
        );
        for line in rewrites {
            let _ = writeln!(out, "  {line}");
        }
        out.push('\n');
    }

    if !plan.changes.is_empty() {
        write_people(&mut out, &p, plan);
        write_member_lists(&mut out, &p, plan, &targets);
    }

    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "{}", p.paint(HEADER, "Warnings:"));
        for w in &plan.warnings {
            let _ = writeln!(out, "  {} {}", p.paint(WARN, "!"), w.one_line());
        }
        out.push('\n');
    }
    if !plan.acknowledged.is_empty() {
        let n = plan.acknowledged.len();
        let _ = writeln!(
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
        );
    }

    let _ = writeln!(
        out,
        "{}",
        p.paint(HEADER, &closing_line(&plan.summary, !plan.is_empty()))
    );
    out
}

fn write_target(out: &mut String, p: &Painter, t: &TargetChanges<'_>) {
    let mut head = p.paint(HEADER, &t.title());
    if t.privileged {
        head.push_str(&p.paint(REMOVE, ", privileged: omnipotent"));
    }
    if !t.any_applies {
        head.push(' ');
        head.push_str(&p.paint(NOTE, REPORTED_ONLY));
    }
    let _ = writeln!(out, "{head}");
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
        let _ = writeln!(out, "  {} {user}{note}", p.marker(c.action));
    }
    out.push('\n');
}

/// `alice: + AP Clerks, - role Buyer (reported only)`.
fn write_people(out: &mut String, p: &Painter, plan: &Plan) {
    let _ = writeln!(out, "{}", p.paint(HEADER, "By person:"));
    for (login, changes) in by_person(plan) {
        let mut items: Vec<String> = changes.iter().map(|c| person_item(p, c)).collect();
        // Duplicated memberships give one person two identical removals.
        items.dedup();
        let _ = writeln!(out, "  {login}: {}", items.join(", "));
    }
    out.push('\n');
}

fn person_item(p: &Painter, c: &Change) -> String {
    let what = match c.kind() {
        Kind::Group => c.target.name().to_string(),
        Kind::Role => format!("role {}", c.target.name()),
        Kind::License => format!("license {}", c.target.name()),
    };
    let what = match c.action {
        Action::Remove => p.paint(REMOVE, &what),
        Action::Add => what,
    };
    let note = if c.applies { "" } else { " (reported only)" };
    format!("{} {what}{note}", p.marker(c.action))
}

/// For each touched group: its members before and after, as a diff.
fn write_member_lists(out: &mut String, p: &Painter, plan: &Plan, targets: &[TargetChanges<'_>]) {
    let groups: Vec<_> = targets
        .iter()
        .filter(|t| t.target.kind() == Kind::Group)
        .collect();
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}", p.paint(HEADER, "Group members after apply:"));
    for t in groups {
        let before: Vec<&str> = match plan.preconditions.groups.get(t.target.name()) {
            Some(pre) => sorted_members(&pre.members),
            None => Vec::new(),
        };
        let after = after_members(&before, &t.changes);
        let _ = writeln!(
            out,
            "  {}, members {} -> {}:",
            t.title(),
            super::thousands(before.len()),
            super::thousands(after.len())
        );
        diff_lines(&before, &after, CONTEXT, |line| {
            let _ = match line {
                Line::Same(m) => writeln!(out, "      {m}"),
                Line::Removed(m) => writeln!(
                    out,
                    "    {} {}",
                    p.marker(Action::Remove),
                    p.paint(REMOVE, m)
                ),
                Line::Added(m) => writeln!(out, "    {} {m}", p.marker(Action::Add)),
                Line::Skipped(n) => {
                    write_skipped(out, p, n);
                    Ok(())
                }
            };
        });
        out.push('\n');
    }
}

fn write_skipped(out: &mut String, p: &Painter, n: usize) {
    let word = if n == 1 { "member" } else { "members" };
    let _ = writeln!(
        out,
        "      {}",
        p.paint(NOTE, &format!("... {n} unchanged {word}"))
    );
}
