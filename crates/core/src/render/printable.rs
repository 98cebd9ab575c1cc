//! Names come from Coupa and policy files; a control character in one (an ANSI escape in a
//! group name, say) must not reach a terminal or a comment as-is.

use std::borrow::Cow;

use crate::model::{Origin, Plan, Warning};

/// Control characters, and the invisible bidirectional controls that reorder how a line reads
/// (a right-to-left override can make `FAILED` display as something else).
fn is_unprintable(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn has_control(s: &str) -> bool {
    // Printable ASCII, as nearly every login and name is, holds none: no decoding needed (a
    // plan checks every member of every touched group).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return false;
    }
    s.chars().any(is_unprintable)
}

/// `s` safe to show on a terminal or in a comment: control and bidirectional-control characters
/// are written as `\u{1b}`; borrowed when already clean. Every string that came from Coupa or a
/// policy file goes through this before it is printed.
pub fn printable_str(s: &str) -> Cow<'_, str> {
    if has_control(s) {
        Cow::Owned(clean(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` with control characters written as `\u{1b}`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if is_unprintable(ch) {
            out.extend(ch.escape_unicode());
        } else {
            out.push(ch);
        }
    }
    out
}

/// `s` with each control character (other than tab and line ends) and bidirectional control
/// replaced by a visible character of the same UTF-8 length, so byte offsets into `s` (the
/// spans of policy diagnostics) still point at the same places. Source snippets quote policy
/// files through this.
pub(crate) fn printable_same_width(s: &str) -> Cow<'_, str> {
    // The usual policy file: printable ASCII and line ends, checked a block at a time without
    // stopping early inside one (so the check vectorises: policy files run to megabytes).
    let clean = |b: u8| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t';
    if s.as_bytes()
        .chunks(64)
        .all(|block| block.iter().fold(true, |ok, &b| ok & clean(b)))
    {
        return Cow::Borrowed(s);
    }
    let keep = |s: &str, i: usize, ch: char| {
        ch == '\t' || ch == '\n' || (ch == '\r' && s[i + 1..].starts_with('\n'))
    };
    if !s
        .char_indices()
        .any(|(i, ch)| is_unprintable(ch) && !keep(s, i, ch))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.char_indices() {
        if is_unprintable(ch) && !keep(s, i, ch) {
            out.push(match ch.len_utf8() {
                1 => '?',
                2 => '\u{bf}',
                _ => '\u{fffd}',
            });
        } else {
            out.push(ch);
        }
    }
    debug_assert_eq!(out.len(), s.len());
    out.into()
}

fn fix(s: &mut String) {
    if has_control(s) {
        *s = clean(s);
    }
}

/// The plan with every shown string free of control characters; borrowed when already clean
/// (the usual case, so big plans are not copied).
pub(super) fn printable(plan: &Plan) -> Cow<'_, Plan> {
    let dirty = origin_strings(&plan.origin).iter().any(|s| has_control(s))
        || plan.warnings.iter().any(warning_dirty)
        || plan
            .changes
            .iter()
            .any(|c| has_control(c.target.name()) || has_control(&c.user))
        || plan
            .preconditions
            .groups
            .iter()
            .any(|(k, g)| has_control(k) || g.members.iter().any(|m| has_control(m)))
        || plan
            .preconditions
            .role_rewrites
            .iter()
            .any(|(k, r)| has_control(k) || r.roles.iter().any(|m| has_control(m)))
        || plan
            .restores
            .iter()
            .any(|r| has_control(&r.user) || r.targets.iter().any(|t| has_control(&t.name)))
        || plan.scope.as_ref().is_some_and(scope_dirty);
    if !dirty {
        return Cow::Borrowed(plan);
    }
    let mut p = plan.clone();
    match &mut p.origin {
        Origin::Instance { domain } => fix(domain),
        Origin::Snapshot { path, domain, .. } => {
            fix(path);
            domain.iter_mut().for_each(fix);
        }
    }
    for w in &mut p.warnings {
        fix(&mut w.message);
        w.help.iter_mut().for_each(fix);
        w.user.iter_mut().for_each(fix);
        if let Some(at) = &mut w.at {
            fix(&mut at.file);
        }
        if let Some(t) = &mut w.target {
            t.map_name(fix);
        }
    }
    for c in &mut p.changes {
        c.target.map_name(fix);
        fix(&mut c.user);
    }
    p.preconditions.groups = std::mem::take(&mut p.preconditions.groups)
        .into_iter()
        .map(|(mut k, mut g)| {
            fix(&mut k);
            for m in &mut g.members {
                if has_control(m) {
                    *m = clean(m).into();
                }
            }
            (k, g)
        })
        .collect();
    p.preconditions.role_rewrites = std::mem::take(&mut p.preconditions.role_rewrites)
        .into_iter()
        .map(|(mut k, mut r)| {
            fix(&mut k);
            r.roles.iter_mut().for_each(fix);
            (k, r)
        })
        .collect();
    for r in &mut p.restores {
        fix(&mut r.user);
        r.targets.iter_mut().for_each(|t| fix(&mut t.name));
    }
    if let Some(scope) = &mut p.scope {
        fix(&mut scope.changed_since);
        scope.commit.iter_mut().for_each(fix);
        if let crate::model::Planned::Targets(targets) = &mut scope.planned {
            targets.iter_mut().for_each(|t| fix(&mut t.target));
        }
    }
    Cow::Owned(p)
}

/// A scope's strings come from a plan file anyone may edit, like every other.
fn scope_dirty(s: &crate::model::PlanScope) -> bool {
    has_control(&s.changed_since)
        || s.commit.as_deref().is_some_and(has_control)
        || s.targets()
            .is_some_and(|t| t.iter().any(|t| has_control(&t.target)))
}

fn origin_strings(o: &Origin) -> Vec<&str> {
    match o {
        Origin::Instance { domain } => vec![domain],
        Origin::Snapshot { path, domain, .. } => std::iter::once(path.as_str())
            .chain(domain.as_deref())
            .collect(),
    }
}

fn warning_dirty(w: &Warning) -> bool {
    has_control(&w.message)
        || w.help.as_deref().is_some_and(has_control)
        || w.user.as_deref().is_some_and(has_control)
        || w.at.as_ref().is_some_and(|a| has_control(&a.file))
        || w.target.as_ref().is_some_and(|t| has_control(t.name()))
}

#[cfg(test)]
mod tests {
    use super::{has_control, is_unprintable, printable_same_width};
    use std::borrow::Cow;

    #[test]
    fn the_ascii_shortcut_agrees_with_decoding_every_character() {
        let mut samples: Vec<String> = (0u32..0x3000)
            .filter_map(char::from_u32)
            .map(|c| format!("ab{c}cd"))
            .collect();
        samples.extend(
            ["", "alice", "a b~", "\u{7f}", "zoë", "\u{202e}x", "x\u{85}"].map(String::from),
        );
        for s in samples {
            assert_eq!(has_control(&s), s.chars().any(is_unprintable), "{s:?}");
        }
    }

    #[test]
    fn same_width_keeps_offsets_and_line_ends() {
        for clean in ["a: b\n\tc\n", "crlf: x\r\n", "ünïcödé: ß\n"] {
            assert!(
                matches!(printable_same_width(clean), Cow::Borrowed(_)),
                "{clean:?}"
            );
        }
        // One unclean byte anywhere in a long clean text is found, whichever block it is in.
        let long = "k: v\n".repeat(40);
        for at in [0, 1, 63, 64, 65, 127, 128, long.len() - 1] {
            let mut dirty = long.clone().into_bytes();
            dirty[at] = 0x1b;
            let dirty = String::from_utf8(dirty).unwrap();
            let out = printable_same_width(&dirty);
            assert!(matches!(out, Cow::Owned(_)), "{at}");
            assert_eq!(out.as_bytes()[at], b'?', "{at}");
        }
        let dirty = "a\u{1b}[2J\rb\u{85}c\u{202e}d\u{7f}\r\n";
        let out = printable_same_width(dirty);
        assert_eq!(out, "a?[2J?b\u{bf}c\u{fffd}d?\r\n");
        assert_eq!(out.len(), dirty.len());
        // Every character boundary of the original is one of the result.
        assert!(dirty.char_indices().all(|(i, _)| out.is_char_boundary(i)));
    }
}
