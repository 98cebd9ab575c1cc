//! Names come from Coupa and policy files; a control character in one (an ANSI escape in a
//! group name, say) must not reach a terminal or a comment as-is.

use std::borrow::Cow;

use crate::model::Plan;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// `s` with control characters written as `\u{1b}`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_control() {
            out.extend(ch.escape_unicode());
        } else {
            out.push(ch);
        }
    }
    out
}

fn fix(s: &mut String) {
    if has_control(s) {
        *s = clean(s);
    }
}

/// The plan with every shown string free of control characters; borrowed when already clean
/// (the usual case, so big plans are not copied).
pub(super) fn printable(plan: &Plan) -> Cow<'_, Plan> {
    let dirty = has_control(&plan.domain)
        || plan.warnings.iter().any(|w| has_control(w))
        || plan
            .changes
            .iter()
            .any(|c| has_control(&c.target) || has_control(&c.user))
        || plan
            .preconditions
            .groups
            .iter()
            .any(|(k, g)| has_control(k) || g.members.iter().any(|m| has_control(m)));
    if !dirty {
        return Cow::Borrowed(plan);
    }
    let mut p = plan.clone();
    fix(&mut p.domain);
    p.warnings.iter_mut().for_each(fix);
    for c in &mut p.changes {
        fix(&mut c.target);
        fix(&mut c.user);
    }
    p.preconditions.groups = std::mem::take(&mut p.preconditions.groups)
        .into_iter()
        .map(|(mut k, mut g)| {
            fix(&mut k);
            g.members.iter_mut().for_each(fix);
            (k, g)
        })
        .collect();
    Cow::Owned(p)
}
