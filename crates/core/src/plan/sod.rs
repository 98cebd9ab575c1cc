//! The preventive separation-of-duties check: each person's holdings after the plan (live
//! holdings of every kind plus every change, reported-only ones included). A plan that creates
//! a conflict without a valid exception is refused; the rest are warnings.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::bind::sod::{after, conflicts, live_holdings, sides_held, Conflict, ExceptionStatus};
use crate::bind::Bound;
use crate::model::{Action, Change, ChangeTarget, Locator, Warning, WarningCode};
use crate::policy::{Code, PolicyDiagnostic, Sources};

/// What the check found: refusals (errors at the policy lines) and warnings.
#[derive(Debug, Default)]
pub struct SodVerdict {
    pub refusals: Vec<PolicyDiagnostic>,
    pub warnings: Vec<Warning>,
}

fn login(bound: &Bound<'_>, id: u64) -> String {
    bound
        .ix
        .user_by_id(id)
        .map(|u| u.login.clone())
        .unwrap_or_else(|| format!("user {id}"))
}

/// `group "A" (side 1) and role "B" (side 2)`.
fn holding_text(c: &Conflict<'_>) -> String {
    let parts: Vec<String> = c
        .held
        .iter()
        .enumerate()
        .filter(|(_, held)| !held.is_empty())
        .map(|(n, held)| {
            let names: Vec<String> = held.iter().map(ChangeTarget::describe).collect();
            format!("{} (side {})", names.join(", "), n + 1)
        })
        .collect();
    parts.join(" and ")
}

fn exception_text(c: &Conflict<'_>) -> String {
    let Some(e) = c.exception else {
        return String::new();
    };
    let ticket = e.ticket.as_deref().unwrap_or("no ticket");
    match c.status {
        ExceptionStatus::Expired => format!("; its exception {ticket} expired {}", e.until),
        _ => format!("; allowed by exception {ticket} until {}", e.until),
    }
}

/// Judges the plan's `changes` against the rules of `bound` on `today`.
pub fn judge(bound: &Bound<'_>, changes: &[Change], today: NaiveDate) -> SodVerdict {
    let mut v = SodVerdict::default();
    if bound.rules.is_empty() {
        return v;
    }
    let desired = bound.desired;
    let window = desired.settings.expiry_window();
    let locator = Locator::new(&desired.files);
    let sources = Sources::new(&desired.files);
    let before = live_holdings(&bound.rules, bound.ix);
    let later = after(before.clone(), changes);
    let was = conflicts(&bound.rules, &before, today, window);
    let now = conflicts(&bound.rules, &later, today, window);
    let key = |c: &Conflict<'_>| (c.rule as *const _ as usize, c.user_id);
    let now_keys: BTreeSet<_> = now.iter().map(key).collect();
    for c in &was {
        if !now_keys.contains(&key(c)) {
            let w = Warning::new(
                WarningCode::SodResolved,
                format!(
                    "the plan resolves {}'s conflict under rule `{}`",
                    login(bound, c.user_id),
                    c.rule.name
                ),
            )
            .about_user(login(bound, c.user_id))
            .at(locator.locate(c.rule.loc));
            v.warnings.push(w);
        }
    }
    for c in &now {
        let r = bound
            .rules
            .iter()
            .find(|r| std::ptr::eq(r.rule, c.rule))
            .expect("a conflict's rule is bound");
        let held_after: BTreeSet<usize> = c
            .held
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty())
            .map(|(n, _)| n)
            .collect();
        let created = !held_after.is_subset(&sides_held(r, &before, c.user_id));
        let who = login(bound, c.user_id);
        let holds = holding_text(c);
        let exc = exception_text(c);
        if let (ExceptionStatus::Expiring, Some(e)) = (c.status, c.exception) {
            let w = Warning::new(
                WarningCode::SodExceptionExpiring,
                format!(
                    "{who}'s exception {} to rule `{}` ends {}: from the day after, the conflict counts",
                    e.ticket.as_deref().unwrap_or("(no ticket)"),
                    c.rule.name,
                    e.until
                ),
            )
            .about_user(&who)
            .at(locator.locate(e.user.loc));
            v.warnings.push(w);
        }
        if c.status.excepts() {
            let verb = if created { "would hold" } else { "holds" };
            let w = Warning::new(
                WarningCode::SodExcepted,
                format!(
                    "{who} {verb} {holds}, a conflict under rule `{}`{exc}",
                    c.rule.name
                ),
            )
            .about_user(&who)
            .at(c.exception.and_then(|e| locator.locate(e.user.loc)));
            v.warnings.push(w);
            continue;
        }
        if !created {
            let w = Warning::new(
                WarningCode::SodConflict,
                format!(
                    "{who} already holds {holds}, a conflict under rule `{}`{exc}; the plan leaves it",
                    c.rule.name
                ),
            )
            .help("remove one side's access, or record an exception with a ticket")
            .about_user(&who)
            .at(locator.locate(c.rule.loc));
            v.warnings.push(w);
            continue;
        }
        let mut d = PolicyDiagnostic::error(
            Code::SodConflict,
            format!(
                "plan refused: {who} would hold {holds}, a conflict under rule `{}`{exc}",
                c.rule.name
            ),
        );
        let rule_targets: BTreeSet<&ChangeTarget> = r.sides.iter().flatten().collect();
        for ch in changes
            .iter()
            .filter(|ch| ch.user_id == c.user_id && ch.action == Action::Add)
            .filter(|ch| rule_targets.contains(&ch.target))
        {
            let listing = bound
                .targets
                .iter()
                .find(|t| t.target == ch.target)
                .and_then(|t| t.listing(c.user_id));
            if let Some(m) = listing {
                d = d.label(
                    &sources,
                    m.loc,
                    format!("gives {who} {}", ch.target.describe()),
                );
            }
        }
        d = d
            .label(&sources, c.rule.loc, "the rule")
            .help("remove the listing that gives the second side, or add an exception (`exceptions: [{ user, until, ticket, approved_by }]`)");
        v.refusals.push(d);
    }
    v
}
