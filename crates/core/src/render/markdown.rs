//! The markdown plan for pull-request comments (GitHub caps a comment at 65,536 characters).
//!
//! Layout, in the order a reviewer needs it: a hidden marker (so CI finds its own comment to
//! update), the heading and summary line, what an interrupted apply's journal gives back, then
//! who loses and who gains what, by person (removals first), visible without clicking; a table
//! of the touched targets; users whose roles are cleared and set again; and last the warnings,
//! grouped by code and collapsed when many. Acknowledged warnings (`settings.acknowledge`) are
//! counted, not repeated.
//!
//! The whole comment stays within [`MARKDOWN_LIMIT`]: every part has a budget, the people
//! lists get what the others leave, and whatever does not fit is counted exactly ("… and 1,234
//! more people (5,678 changes)"); the JSON plan always holds every change.

use std::fmt::Write as _;

use crate::model::{time, Action, Change, Plan, Warning, WarningCode};
use crate::CliWords;

use super::markdown_text::{code_span, escape, html_text, prose};
use super::printable::printable;
use super::targets::{by_person, by_target, TargetChanges};
use super::{closing_line, thousands};

/// The markdown output never exceeds this many bytes (and so characters).
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The first line of every markdown report (plan or errors): CI scripts look for it to update
/// their own pull-request comment instead of adding a new one.
pub const PLAN_MARKER: &str = "<!-- coupa-access:plan -->";

/// Room kept for the closing notes and the footer, which are written last.
const RESERVE: usize = 1_500;

/// At most these shares (in percent) of the budget go to the restores, the target table, the
/// role rewrites and the warnings; each takes only what it needs, the people lists the rest.
const RESTORE_SHARE: usize = 10;
const TABLE_SHARE: usize = 15;
const REWRITE_SHARE: usize = 5;
const WARNING_SHARE: usize = 12;

/// A person's line names at most this many changes, then counts the rest.
const ITEMS_PER_PERSON: usize = 20;

/// A warning code with at most this many warnings is one line; more are collapsed.
const INLINE_WARNINGS: usize = 5;

/// Room kept in each budgeted part for its "and N more" note.
const NOTE: usize = 200;

/// The plan as markdown (see the module docs). Never longer than [`MARKDOWN_LIMIT`]; when
/// something is cut, it says exactly how much was left out.
pub fn markdown(plan: &Plan, cli: &CliWords) -> String {
    let plan = &*printable(plan);
    let budget = MARKDOWN_LIMIT - RESERVE;
    let share = |percent: usize| budget * percent / 100;

    let head = format!("{PLAN_MARKER}\n{}", heading(plan, cli));
    let restores = restores(plan, share(RESTORE_SHARE));
    let targets = by_target(plan);
    let table = table(&targets, share(TABLE_SHARE));
    let rewrites = rewrites(plan, share(REWRITE_SHARE));
    let warnings = warnings(plan, share(WARNING_SHARE));
    let fixed = head.len() + restores.len() + table.len() + rewrites.len() + warnings.len();
    let (people, shown) = people(plan, budget.saturating_sub(fixed));

    let mut out = head;
    out.push_str(&restores);
    out.push_str(&people);
    out.push_str(&table);
    out.push_str(&rewrites);
    out.push_str(&warnings);
    let left_out = plan.changes.len() - shown;
    if left_out > 0 {
        let _ = write!(
            out,
            "> [!WARNING]\n> This comment was cut to stay under GitHub's size limit: {} of {} changes are not shown. \
             Run {} or read the JSON plan ({}, {}) for all of them.\n\n",
            thousands(left_out),
            thousands(plan.changes.len()),
            code_span(&cli.plan),
            code_span(&cli.format_json),
            code_span(&cli.out),
        );
    }
    out.push_str(&footer(plan));
    out
}

fn heading(plan: &Plan, cli: &CliWords) -> String {
    let line = super::scope::scope_line_with(plan, cli, &|s| escape(s), &|c| code_span(c));
    let scope = line.map_or_else(String::new, |line| {
        let mut targets = super::scope::scope_targets(plan);
        // A long list is for the JSON plan; the comment names the first few.
        let more = targets.len().saturating_sub(SCOPE_TARGETS_SHOWN);
        targets.truncate(SCOPE_TARGETS_SHOWN);
        let mut list = targets.join(", ");
        if more > 0 {
            let _ = write!(list, " and {} more", thousands(more));
        }
        let list = if list.is_empty() {
            String::new()
        } else {
            format!(" Planned: {}.", escape(&list))
        };
        format!("> [!NOTE]\n> {line}{list}\n\n")
    });
    format!(
        "## {} for {}\n\n{scope}**{}**\n\n",
        escape(&cli.plan),
        escape(&plan.origin.to_string()),
        closing_line(&plan.summary, !plan.is_empty())
    )
}

/// A scoped plan's comment names at most this many of its targets.
const SCOPE_TARGETS_SHOWN: usize = 20;

/// Appends `lines` (already markdown) as a bulleted list while `s` stays within `limit` bytes,
/// then counts the rest.
fn bullets(s: &mut String, lines: &[String], limit: usize) {
    for (i, line) in lines.iter().enumerate() {
        let item = format!("- {line}\n");
        if s.len() + item.len() + NOTE > limit {
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
    let lines: Vec<String> = super::restore_lines(plan)
        .iter()
        .map(|l| escape(l))
        .collect();
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
    let lines: Vec<String> = super::rewrites::rewrite_lines(plan)
        .iter()
        .map(|l| escape(l))
        .collect();
    if lines.is_empty() {
        return note;
    }
    let mut s = note;
    s.push_str("### Roles cleared and set again\n\nCoupa's user update only adds roles: removing one clears the user's roles and sets the rest again.\n\n");
    bullets(&mut s, &lines, limit);
    s
}

// ---- people -------------------------------------------------------------------------------

/// One person's line in "Losing access" or "Gaining access".
struct PersonLine {
    text: String,
    /// Changes the line names (the rest of the person's are counted on the line).
    shown: usize,
    /// Every change of the person in this list.
    changes: usize,
}

/// `group "AP Clerks"`, with the membership when the person loses several of one group.
fn item(c: &Change, repeated: bool) -> String {
    let mut s = escape(&c.target.describe());
    if let (true, Some(id)) = (repeated, c.membership_id) {
        let _ = write!(s, " (membership {id})");
    }
    if c.privileged {
        s.push_str(" **(privileged: omnipotent)**");
    }
    if let Some(e) = &c.expired {
        let _ = write!(s, " ({})", escape(&e.label()));
    }
    s
}

/// The lines of everyone with a change of `action`, by login (case-insensitively): what is
/// written first, then what is reported only.
fn person_lines(plan: &Plan, action: Action) -> Vec<PersonLine> {
    let mut out = Vec::new();
    for (login, changes) in by_person(plan) {
        let mine: Vec<&Change> = changes.into_iter().filter(|c| c.action == action).collect();
        if mine.is_empty() {
            continue;
        }
        let repeated = |c: &Change| mine.iter().filter(|o| o.target == c.target).count() > 1;
        let (applied, reported): (Vec<&Change>, Vec<&Change>) =
            mine.iter().partition(|c| c.applies);
        let mut text = format!("- {}: ", code_span(login));
        let mut shown = 0;
        for (part, list) in [("", &applied), ("reported only: ", &reported)] {
            if list.is_empty() || shown == ITEMS_PER_PERSON {
                continue;
            }
            if shown > 0 {
                text.push_str("; ");
            }
            text.push_str(part);
            let take = list.len().min(ITEMS_PER_PERSON - shown);
            let items: Vec<String> = list[..take].iter().map(|c| item(c, repeated(c))).collect();
            text.push_str(&items.join(", "));
            shown += take;
        }
        if shown < mine.len() {
            let _ = write!(
                text,
                " _… and {} more (in the JSON plan)_",
                thousands(mine.len() - shown)
            );
        }
        text.push('\n');
        out.push(PersonLine {
            text,
            shown,
            changes: mine.len(),
        });
    }
    out
}

/// The bytes a list needs to show everyone.
fn needed(title: &str, lines: &[PersonLine]) -> usize {
    if lines.is_empty() {
        return 0;
    }
    title.len() + 2 + lines.iter().map(|l| l.text.len()).sum::<usize>() + 1 + NOTE
}

/// "Losing access" then "Gaining access", in `room` bytes: removals first, additions keep at
/// least a third of the room (or what they need). Returns the text and how many changes it
/// names.
fn people(plan: &Plan, room: usize) -> (String, usize) {
    let lists = [
        ("Losing access", person_lines(plan, Action::Remove)),
        ("Gaining access", person_lines(plan, Action::Add)),
    ];
    let titles: Vec<String> = lists
        .iter()
        .map(|(what, lines)| {
            let changes: usize = lines.iter().map(|l| l.changes).sum();
            format!(
                "### {what}: {}, {}",
                counted(lines.len(), "person", "people"),
                counted(changes, "change", "changes")
            )
        })
        .collect();
    let need_remove = needed(&titles[0], &lists[0].1);
    let need_add = needed(&titles[1], &lists[1].1);
    let add_floor = need_add.min(room / 3);
    let remove_room = need_remove.min(room.saturating_sub(add_floor));
    let rooms = [remove_room, room.saturating_sub(remove_room)];

    let mut out = String::new();
    let mut shown = 0;
    for (((_, lines), title), room) in lists.iter().zip(&titles).zip(rooms) {
        if lines.is_empty() {
            continue;
        }
        let mut s = format!("{title}\n\n");
        let mut cut = None;
        for (i, line) in lines.iter().enumerate() {
            if s.len() + line.text.len() + NOTE > room {
                cut = Some(i);
                break;
            }
            s.push_str(&line.text);
            shown += line.shown;
        }
        if let Some(i) = cut {
            let rest = &lines[i..];
            let changes: usize = rest.iter().map(|l| l.changes).sum();
            let _ = writeln!(
                s,
                "- _… and {} more {} ({}) not shown: the JSON plan lists every change._",
                thousands(rest.len()),
                if rest.len() == 1 { "person" } else { "people" },
                counted(changes, "change", "changes")
            );
        }
        s.push('\n');
        out.push_str(&s);
    }
    (out, shown)
}

// ---- targets ------------------------------------------------------------------------------

/// One row per touched target, capped at `limit` bytes with the number of targets left out.
fn table(targets: &[TargetChanges<'_>], limit: usize) -> String {
    if targets.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "### By target\n\n| kind | target | add | remove | reported only |\n|---|---|---:|---:|---|\n",
    );
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
            t.target.kind().word(),
            thousands(t.count(Action::Add)),
            thousands(t.count(Action::Remove)),
            if t.applies {
                "no"
            } else if t.any_applies {
                "partly"
            } else {
                "yes"
            }
        );
        if s.len() + row.len() + NOTE > limit {
            let rest = &targets[i..];
            let changes: usize = rest.iter().map(|t| t.changes.len()).sum();
            let _ = writeln!(
                s,
                "\n_… and {} more {} ({}) not listed in this table._",
                thousands(rest.len()),
                if rest.len() == 1 { "target" } else { "targets" },
                counted(changes, "change", "changes"),
            );
            break;
        }
        s.push_str(&row);
    }
    s.push('\n');
    s
}

// ---- warnings -----------------------------------------------------------------------------

/// The order in which warning codes are shown: what stops or endangers the apply first.
const CODE_ORDER: &[WarningCode] = &[
    WarningCode::GuardExceeded,
    WarningCode::SodConflict,
    WarningCode::SodExceptionExpiring,
    WarningCode::SodExcepted,
    WarningCode::SodResolved,
    WarningCode::GrantExpired,
    WarningCode::GrantExpiring,
    WarningCode::ApiUserChanged,
    WarningCode::RolesNotCleared,
    WarningCode::LeftWithoutRoles,
    WarningCode::JournalEntryKept,
    WarningCode::JournalEntryRefused,
    WarningCode::ProtectedUserKept,
    WarningCode::OwnerKept,
    WarningCode::DuplicateMembership,
    WarningCode::InactiveGroup,
    WarningCode::InactiveUser,
    WarningCode::SamePersonTwice,
    WarningCode::Other,
];

/// `13 users are inactive in Coupa`: what `n` warnings of `code` say together.
fn code_title(code: WarningCode, n: usize) -> String {
    let one = n == 1;
    let (noun_one, noun_many, verb_one, verb_many, rest) = match code {
        WarningCode::GuardExceeded => return "Apply will refuse this plan".into(),
        WarningCode::ApiUserChanged => (
            "API (integration) user",
            "API (integration) users",
            "changes",
            "change",
            " access",
        ),
        WarningCode::RolesNotCleared => (
            "user's role removals",
            "users' role removals",
            "are",
            "are",
            " reported, not applied",
        ),
        WarningCode::LeftWithoutRoles => (
            "active user",
            "active users",
            "holds",
            "hold",
            " no role once this plan is applied",
        ),
        WarningCode::JournalEntryKept => (
            "journal entry",
            "journal entries",
            "is",
            "are",
            " kept, not restored",
        ),
        WarningCode::JournalEntryRefused => {
            ("journal entry", "journal entries", "is", "are", " ignored")
        }
        WarningCode::ProtectedUserKept => (
            "protected user's membership",
            "protected users' memberships",
            "is",
            "are",
            " kept (`settings.protected_users`)",
        ),
        WarningCode::OwnerKept => (
            "group owner",
            "group owners",
            "is",
            "are",
            " kept (the group does not set `remove_owners: true`)",
        ),
        WarningCode::DuplicateMembership => (
            "user holds",
            "users hold",
            "",
            "",
            " duplicated memberships, left as they are",
        ),
        WarningCode::InactiveGroup => (
            "managed group",
            "managed groups",
            "is",
            "are",
            " inactive in Coupa",
        ),
        WarningCode::InactiveUser => ("user", "users", "is", "are", " inactive in Coupa"),
        WarningCode::SamePersonTwice => (
            "person",
            "people",
            "is",
            "are",
            " listed twice under two identities",
        ),
        WarningCode::SodConflict => (
            "separation-of-duties conflict",
            "separation-of-duties conflicts",
            "exists",
            "exist",
            " in Coupa (not created by this plan)",
        ),
        WarningCode::SodExcepted => (
            "separation-of-duties conflict",
            "separation-of-duties conflicts",
            "is",
            "are",
            " covered by a valid exception",
        ),
        WarningCode::SodExceptionExpiring => (
            "separation-of-duties exception",
            "separation-of-duties exceptions",
            "expires",
            "expire",
            " soon",
        ),
        WarningCode::SodResolved => (
            "separation-of-duties conflict",
            "separation-of-duties conflicts",
            "is",
            "are",
            " resolved by this plan",
        ),
        WarningCode::GrantExpired => (
            "time-bound grant",
            "time-bound grants",
            "has",
            "have",
            " expired",
        ),
        WarningCode::GrantExpiring => (
            "time-bound grant",
            "time-bound grants",
            "expires",
            "expire",
            " soon",
        ),
        WarningCode::Other => ("other warning", "other warnings", "", "", ""),
    };
    let (noun, verb) = if one {
        (noun_one, verb_one)
    } else {
        (noun_many, verb_many)
    };
    let verb = if verb.is_empty() {
        String::new()
    } else {
        format!(" {verb}")
    };
    format!("{} {noun}{verb}{rest}", thousands(n))
}

/// One warning as an item of its code's list: the subject in code when the code says the rest
/// (`dave`, `integration-bot` in group "Procurement Admins"), otherwise the message; then where
/// it points.
fn warning_item(w: &Warning, with_help: bool) -> String {
    let mut s = match (w.code, &w.user, &w.target) {
        (WarningCode::InactiveUser, Some(user), _) => {
            let mut s = code_span(user);
            if let Some((_, added)) = w.message.split_once("; the plan still adds them to ") {
                let _ = write!(s, ", still added to {}", escape(added));
            }
            s
        }
        (WarningCode::ProtectedUserKept | WarningCode::OwnerKept, Some(user), Some(t)) => {
            format!("{} in {}", code_span(user), escape(&t.describe()))
        }
        (WarningCode::InactiveGroup, _, Some(t)) => escape(&t.describe()),
        _ => prose(&w.message),
    };
    if let Some(at) = &w.at {
        let _ = write!(s, " ({})", code_span(&at.to_string()));
    }
    if let (true, Some(h)) = (with_help, &w.help) {
        let _ = write!(s, " — {}", prose(h));
    }
    s
}

/// The warnings grouped by code: a line for a few, a collapsed list for many; capped at
/// `limit` bytes with exact counts of what is left out.
fn warnings(plan: &Plan, limit: usize) -> String {
    let acknowledged = plan.acknowledged.len();
    if plan.warnings.is_empty() && acknowledged == 0 {
        return String::new();
    }
    let mut s = String::from("### Warnings\n\n");
    // Codes not reached and their warnings (a list cut short counts its own rest).
    let (mut kinds_left_out, mut unreached) = (0, 0);
    for &code in CODE_ORDER {
        let ws: Vec<&Warning> = plan
            .warnings
            .iter()
            .filter(|w| w.code == code || (code == WarningCode::Other && !known(w.code)))
            .collect();
        if ws.is_empty() {
            continue;
        }
        let title = code_title(code, ws.len());
        // Advice said once when every warning of the code gives the same.
        let shared_help = ws[0]
            .help
            .as_ref()
            .filter(|h| ws.iter().all(|w| w.help.as_ref() == Some(*h)));
        let items: Vec<String> = ws
            .iter()
            .map(|w| warning_item(w, shared_help.is_none()))
            .collect();
        // The block and how many of its warnings it leaves out.
        let block = if ws.len() <= INLINE_WARNINGS {
            let mut line = format!("- **{}:** {}", prose(&title), items.join("; "));
            if let Some(h) = shared_help {
                let _ = write!(line, " — {}", prose(h));
            }
            line.push('\n');
            Some((line, 0))
        } else {
            let mut b = format!(
                "<details><summary>{}</summary>\n\n",
                html_text(&title.replace('`', ""))
            );
            if let Some(h) = shared_help {
                let _ = write!(b, "{}\n\n", capitalised(&prose(h)));
            }
            // Room for the list's own "and N more" line and the closing tag.
            let base =
                s.len() + "- _… and 1,000,000 more not shown._\n\n</details>\n\n".len() + NOTE;
            let mut shown = 0;
            for item in &items {
                let line = format!("- {item}\n");
                if base + b.len() + line.len() > limit {
                    break;
                }
                b.push_str(&line);
                shown += 1;
            }
            if shown < items.len() {
                let _ = writeln!(
                    b,
                    "- _… and {} more not shown._",
                    thousands(items.len() - shown)
                );
            }
            b.push_str("\n</details>\n\n");
            (shown > 0).then_some((b, items.len() - shown))
        };
        match block {
            Some((b, _)) if s.len() + b.len() + NOTE <= limit => s.push_str(&b),
            _ => {
                kinds_left_out += 1;
                unreached += ws.len();
            }
        }
    }
    if kinds_left_out > 0 {
        let _ = writeln!(
            s,
            "\n_… and {} more {} ({}) not shown._",
            thousands(unreached),
            if unreached == 1 {
                "warning"
            } else {
                "warnings"
            },
            counted(kinds_left_out, "kind", "kinds")
        );
    }
    if acknowledged > 0 {
        let _ = writeln!(
            s,
            "\n_{} acknowledged in the policy (`settings.acknowledge`) and not repeated here; the JSON plan lists {}._",
            counted(acknowledged, "warning is", "warnings are"),
            if acknowledged == 1 { "it" } else { "them" }
        );
    }
    s.push('\n');
    s
}

/// Whether `code` has its own place in [`CODE_ORDER`] (anything else is shown as other).
fn known(code: WarningCode) -> bool {
    CODE_ORDER.contains(&code)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
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

/// `1 person`, `1,234 people`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
