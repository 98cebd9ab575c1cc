//! Drift as text (terminals, logs), markdown (issues, PR comments) and JSON (complete).
//! Text and markdown put the summary first, then each target, then each person, and cap long
//! lists so a 100,000-user tenant stays readable, saying exactly how many rows were left out.

use std::fmt::Write as _;

use super::report::*;
use crate::CliWords;

/// Rows shown per list in text and markdown; JSON is always complete.
pub const LIST_CAP: usize = 50;

/// Room kept under the markdown limit for the notes and headings written after a list is cut.
const NOTES_RESERVE: usize = 2_500;

/// Whether one more line of `len` bytes fits in `out` (markdown stays under the plan's limit,
/// [`crate::render::MARKDOWN_LIMIT`], like the plan comment; text is never cut by size).
fn fits(out: &str, len: usize, style: Style) -> bool {
    style == Style::Text || out.len() + len + NOTES_RESERVE <= crate::render::MARKDOWN_LIMIT
}

/// The versioned drift JSON, complete, ending in a newline.
pub fn json(report: &DriftReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// Which of text or markdown is being written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Text,
    Markdown,
}

/// For people at a terminal. `cli` spells the command and flag the report names.
pub fn text(report: &DriftReport, cli: &CliWords) -> String {
    render(report, Style::Text, cli)
}

/// For issues and pull-request comments.
pub fn markdown(report: &DriftReport, cli: &CliWords) -> String {
    render(report, Style::Markdown, cli)
}

/// `1234567` as `1,234,567` (the one separator helper of every renderer).
use crate::render::thousands as n;

fn plural(v: usize, one: &str, many: &str) -> String {
    format!("{} {}", n(v), if v == 1 { one } else { many })
}

/// Untrusted text in markdown: the one shared escaping of every markdown writer (no mention,
/// link, bidi control or table-cell break survives).
fn md(s: &str) -> String {
    crate::render::markdown_escape(s)
}

/// Control characters in names from Coupa never reach the terminal raw.
fn plain(s: &str) -> String {
    crate::render::printable_str(s).into_owned()
}

fn name(s: &str, style: Style) -> String {
    match style {
        Style::Text => format!("\"{}\"", plain(s)),
        Style::Markdown => format!("**{}**", md(s)),
    }
}

fn who(s: &str, style: Style) -> String {
    match style {
        Style::Text => plain(s),
        Style::Markdown => md(s),
    }
}

fn more(out: &mut String, left: usize, what: &str, style: Style, cli: &CliWords) {
    if left > 0 {
        let line = format!(
            "… and {} more {what} (all of them in {})",
            n(left),
            cli.format_json
        );
        match style {
            Style::Text => {
                let _ = writeln!(out, "  {line}");
            }
            Style::Markdown => {
                let _ = writeln!(out, "\n_{line}_");
            }
        }
    }
}

fn heading(out: &mut String, text: &str, style: Style) {
    match style {
        Style::Text => {
            let _ = writeln!(out, "\n{text}");
        }
        Style::Markdown => {
            let _ = writeln!(out, "\n### {text}\n");
        }
    }
}

fn render(r: &DriftReport, style: Style, cli: &CliWords) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let c = &r.coverage;
    if style == Style::Markdown {
        let _ = write!(out, "## {}\n\n", md(&cli.drift));
    }
    let _ = writeln!(
        out,
        "Drift of {} against policy {} at {}.",
        who(&r.domain, style),
        who(&r.policy_digest, style),
        who(&r.generated_at, style)
    );
    if !r.roles_read {
        // Said, so nobody reads an empty role section as "no role drift".
        let _ = writeln!(
            out,
            "Roles not read: the policy manages no role (and /api/roles needs scope core.common.read)."
        );
    }
    if style == Style::Markdown {
        out.push('\n');
    }
    if s.has_drift() {
        let _ = writeln!(
            out,
            "Summary: {} extra, {} missing ({} reported only{}) in {} of {}; {} affected.",
            n(s.extra),
            n(s.missing),
            n(s.reported_only),
            // Only when there are any: most reports have none.
            if s.kept > 0 {
                format!(", {} kept by apply", n(s.kept))
            } else {
                String::new()
            },
            n(s.targets_drifted),
            plural(s.targets_managed, "managed target", "managed targets"),
            plural(s.people, "person", "people")
        );
    } else {
        let _ = writeln!(
            out,
            "Summary: no drift: live access matches policy for all {}.",
            plural(s.targets_managed, "managed target", "managed targets")
        );
    }
    if style == Style::Markdown {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Coverage: {} of {} managed ({} authoritative); {} of {} in managed groups ({} governed \
         authoritatively); {} unmanaged.",
        n(c.groups_managed),
        plural(c.groups_total, "group", "groups"),
        n(c.groups_authoritative),
        n(c.memberships_managed),
        plural(c.memberships_total, "membership", "memberships"),
        n(c.memberships_governed),
        plural(c.unmanaged_groups.len(), "group", "groups")
    );

    sod_conflicts(&mut out, r, style, cli);
    targets(&mut out, r, style, cli);
    people(&mut out, r, style, cli);
    unmanaged(&mut out, r, style, cli);
    if let Some(since) = &r.since {
        recent(&mut out, since, style, cli);
    }
    out
}

/// Live separation-of-duties conflicts, with each exception's standing.
fn sod_conflicts(out: &mut String, r: &DriftReport, style: Style, cli: &CliWords) {
    if r.conflicts.is_empty() {
        return;
    }
    heading(
        out,
        &format!(
            "Separation-of-duties conflicts ({}, {} without a valid exception)",
            r.summary.conflicts, r.summary.unexcepted_conflicts
        ),
        style,
    );
    for c in r.conflicts.iter().take(LIST_CAP) {
        let held: Vec<String> = c
            .sides
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .map(|(n, s)| format!("{} (side {})", s.join(", "), n + 1))
            .collect();
        let ticket = c.ticket.as_deref().unwrap_or("no ticket");
        let until = c.until.map(|d| d.to_string()).unwrap_or_default();
        let status = match c.exception {
            crate::bind::sod::ExceptionStatus::None => "no exception".to_string(),
            crate::bind::sod::ExceptionStatus::Valid => format!("exception {ticket} until {until}"),
            crate::bind::sod::ExceptionStatus::Expiring => {
                format!("exception {ticket} ends soon: {until}")
            }
            crate::bind::sod::ExceptionStatus::Expired => {
                format!("exception {ticket} expired {until}")
            }
        };
        let line = format!(
            "{}: {} holds {} ({status})",
            name(&c.rule, style),
            who(&c.user, style),
            held.join(" and ")
        );
        match style {
            Style::Text => {
                let _ = writeln!(out, "  {line}");
            }
            Style::Markdown => {
                let _ = writeln!(out, "- {line}");
            }
        }
    }
    more(
        out,
        r.conflicts.len().saturating_sub(LIST_CAP),
        "conflicts",
        style,
        cli,
    );
}

fn targets(out: &mut String, r: &DriftReport, style: Style, cli: &CliWords) {
    let drifted: Vec<&TargetDrift> = r
        .targets
        .iter()
        .filter(|t| !t.extra.is_empty() || !t.missing.is_empty() || t.not_governed > 0)
        .collect();
    if drifted.is_empty() {
        return;
    }
    heading(out, "By target", style);
    let mut left_out = drifted.len().saturating_sub(LIST_CAP);
    let total_targets = drifted.len().min(LIST_CAP);
    let rows_of =
        |ts: &[&TargetDrift]| -> usize { ts.iter().map(|t| t.extra.len() + t.missing.len()).sum() };
    let mut rows_left_out = rows_of(&drifted[total_targets..]);
    for (ti, t) in drifted.iter().take(LIST_CAP).enumerate() {
        if !fits(out, 200, style) {
            // Out of room: the rest of the targets are counted, with their rows.
            let rest = &drifted[ti..total_targets];
            left_out += rest.len();
            rows_left_out += rows_of(rest);
            break;
        }
        let mode = t.mode.word();
        let reported = if t.applies { "" } else { ", reported only" };
        let title = format!(
            "{} {} ({mode}{reported})",
            t.kind.title(),
            name(&t.target, style)
        );
        match style {
            Style::Text => {
                let _ = writeln!(
                    out,
                    "{title}: {} extra, {} missing",
                    n(t.extra.len()),
                    n(t.missing.len())
                );
            }
            Style::Markdown => {
                let _ = writeln!(
                    out,
                    "- {title}: {} extra, {} missing",
                    n(t.extra.len()),
                    n(t.missing.len())
                );
            }
        }
        if t.not_governed > 0 {
            let line = format!(
                "{} the policy does not list: not governed (additive)",
                plural(t.not_governed, "holder", "holders")
            );
            match style {
                Style::Text => {
                    let _ = writeln!(out, "  {line}");
                }
                Style::Markdown => {
                    let _ = writeln!(out, "  - {line}");
                }
            }
        }
        let rows = t
            .extra
            .iter()
            .map(|row| ("extra", row))
            .chain(t.missing.iter().map(|row| ("missing", row)));
        let total = t.extra.len() + t.missing.len();
        let mut shown = 0;
        for (dir, row) in rows.take(LIST_CAP) {
            let mut notes = Vec::new();
            if let Some(at) = &row.created_at {
                notes.push(format!("since {}", who(at, style)));
            }
            if !row.membership_ids.is_empty() {
                let ids: Vec<String> = row.membership_ids.iter().map(u64::to_string).collect();
                notes.push(format!("membership {}", ids.join(", ")));
            }
            if !row.active {
                notes.push("inactive".into());
            }
            if let Some(e) = &row.expired {
                notes.push(format!("grant {}", e.label()));
            }
            match row.kept {
                Some(Kept::Protected) => notes.push("protected: apply keeps it".into()),
                Some(Kept::Owner) => notes.push(
                    "group owner: apply keeps it unless the group sets remove_owners".into(),
                ),
                Some(Kept::RolesNotCleared) => notes.push(
                    "apply keeps it: an API user's or the only active admin's roles are never cleared"
                        .into(),
                ),
                None if row.owner => {
                    notes.push("group owner: apply removes it (remove_owners)".into())
                }
                None => {}
            }
            let notes = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            let line = match style {
                Style::Text => format!("  {dir:<7} {}{notes}\n", who(&row.user, style)),
                Style::Markdown => format!(
                    "  - {dir} {}{notes}\n",
                    crate::render::markdown_code(&row.user)
                ),
            };
            if !fits(out, line.len(), style) {
                break;
            }
            out.push_str(&line);
            shown += 1;
        }
        more(out, total - shown, "rows of this target", style, cli);
    }
    let what = if rows_left_out > 0 {
        format!("targets ({} rows)", n(rows_left_out))
    } else {
        "targets".to_string()
    };
    more(out, left_out, &what, style, cli);
}

fn people(out: &mut String, r: &DriftReport, style: Style, cli: &CliWords) {
    if r.people.is_empty() {
        return;
    }
    heading(out, "By person", style);
    if style == Style::Markdown {
        out.push_str("| person | extra | missing |\n|---|---|---|\n");
    }
    let mut shown = 0;
    for p in r.people.iter().take(LIST_CAP) {
        let list = |d: Direction| {
            let items: Vec<String> = p
                .items
                .iter()
                .filter(|i| i.direction == d)
                .map(|i| {
                    let ro = if i.applies { "" } else { " (reported only)" };
                    match style {
                        Style::Text => format!("{} {}{ro}", i.kind.word(), name(&i.target, style)),
                        Style::Markdown => format!("{} {}{ro}", i.kind.word(), md(&i.target)),
                    }
                })
                .collect();
            items.join(", ")
        };
        let inactive = if p.active { "" } else { " (inactive)" };
        match style {
            Style::Text => {
                let _ = writeln!(out, "  {}{inactive}", who(&p.user, style));
                for (label, d) in [("extra", Direction::Extra), ("missing", Direction::Missing)] {
                    let l = list(d);
                    if !l.is_empty() {
                        let _ = writeln!(out, "    {label:<7} {l}");
                    }
                }
            }
            Style::Markdown => {
                let line = format!(
                    "| {}{inactive} | {} | {} |\n",
                    md(&p.user),
                    list(Direction::Extra),
                    list(Direction::Missing)
                );
                if !fits(out, line.len(), style) {
                    break;
                }
                out.push_str(&line);
            }
        }
        shown += 1;
    }
    more(out, r.people.len() - shown, "people", style, cli);
}

fn unmanaged(out: &mut String, r: &DriftReport, style: Style, cli: &CliWords) {
    let groups = &r.coverage.unmanaged_groups;
    if groups.is_empty() {
        return;
    }
    heading(
        out,
        &format!("Unmanaged groups ({}), most members first", n(groups.len())),
        style,
    );
    if style == Style::Markdown {
        out.push_str("| group | members |\n|---|---:|\n");
    }
    let mut shown = 0;
    for g in groups.iter().take(LIST_CAP) {
        let line = match style {
            Style::Text => format!("  {:>7}  {}\n", n(g.members), plain(&g.name)),
            Style::Markdown => format!("| {} | {} |\n", md(&g.name), n(g.members)),
        };
        if !fits(out, line.len(), style) {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    more(out, groups.len() - shown, "groups", style, cli);
}

fn recent(out: &mut String, since: &SinceReport, style: Style, cli: &CliWords) {
    heading(
        out,
        &format!(
            "Memberships created since {} ({}), in any group",
            who(&since.since, style),
            n(since.memberships.len())
        ),
        style,
    );
    if since.undated > 0 {
        let _ = writeln!(
            out,
            "  ({} without a created-at date are not listed)",
            plural(since.undated, "membership", "memberships")
        );
    }
    if since.recreated_by_apply > 0 {
        let _ = writeln!(
            out,
            "  ({} re-created by an apply's clear-then-set, per its receipts, are not listed)",
            plural(since.recreated_by_apply, "membership", "memberships")
        );
    }
    if style == Style::Markdown && !since.memberships.is_empty() {
        out.push_str("| created | group | person | managed |\n|---|---|---|---|\n");
    }
    let mut shown = 0;
    for m in since.memberships.iter().take(LIST_CAP) {
        let managed = if m.managed { "managed" } else { "unmanaged" };
        let line = match style {
            Style::Text => format!(
                "  {}  {}  {} ({managed})\n",
                plain(&m.created_at),
                name(&m.group, style),
                plain(&m.user)
            ),
            Style::Markdown => format!(
                "| {} | {} | {} | {managed} |\n",
                md(&m.created_at),
                md(&m.group),
                md(&m.user)
            ),
        };
        if !fits(out, line.len(), style) {
            break;
        }
        out.push_str(&line);
        shown += 1;
    }
    more(
        out,
        since.memberships.len() - shown,
        "memberships",
        style,
        cli,
    );
}
