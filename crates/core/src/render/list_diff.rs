//! The member-list view of one group: its members before and after apply, as a diff with a few
//! unchanged members around each change.
//!
//! Both lists are sorted and duplicate-free, so one merge finds every kept member: the result
//! is the longest common subsequence, as a general diff would find it, in linear time (groups
//! can have tens of thousands of members).

use std::ops::Range;

use crate::compact::ShortText;
use crate::model::{Action, Change};

/// One line of a member-list diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line<'a> {
    /// A member before and after.
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
    /// This many unchanged members not shown.
    Skipped(usize),
}

/// A run of the diff: members in both lists, or the members of one stretch between two kept
/// members that only `before` has (removed, shown first) and only `after` has (added).
#[derive(Debug, Clone, PartialEq)]
struct Op {
    old: Range<usize>,
    new: Range<usize>,
    equal: bool,
}

/// Calls `line` for each line of the diff of `before` against `after` (both sorted and
/// duplicate-free), showing `context` unchanged members around each change and a count of
/// those left out. Identical lists give no lines.
pub(super) fn diff_lines<'a>(
    before: &[&'a str],
    after: &[&'a str],
    context: usize,
    mut line: impl FnMut(Line<'a>),
) {
    let mut shown_to = 0; // old index up to which lines were shown or skipped
    for group in hunks(ops(before, after), context) {
        let Some(first) = group.first() else { continue };
        if first.old.start > shown_to {
            line(Line::Skipped(first.old.start - shown_to));
        }
        for op in &group {
            if op.equal {
                before[op.old.clone()]
                    .iter()
                    .for_each(|m| line(Line::Same(m)));
            } else {
                before[op.old.clone()]
                    .iter()
                    .for_each(|m| line(Line::Removed(m)));
                after[op.new.clone()]
                    .iter()
                    .for_each(|m| line(Line::Added(m)));
            }
            shown_to = op.old.end;
        }
    }
    if before.len() > shown_to && shown_to > 0 {
        line(Line::Skipped(before.len() - shown_to));
    }
}

/// The runs of the diff, alternating kept and changed.
fn ops(before: &[&str], after: &[&str]) -> Vec<Op> {
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        let (si, sj) = (i, j);
        while i < before.len() && j < after.len() && before[i] == after[j] {
            i += 1;
            j += 1;
        }
        if i > si {
            ops.push(Op {
                old: si..i,
                new: sj..j,
                equal: true,
            });
        }
        let (si, sj) = (i, j);
        loop {
            match (before.get(i), after.get(j)) {
                (Some(b), Some(a)) if b < a => i += 1,
                (Some(b), Some(a)) if a < b => j += 1,
                (Some(_), None) => i += 1,
                (None, Some(_)) => j += 1,
                _ => break,
            }
        }
        if i > si || j > sj {
            ops.push(Op {
                old: si..i,
                new: sj..j,
                equal: false,
            });
        }
    }
    ops
}

/// Groups the runs into hunks with `n` kept members of context, the way unified diffs do: the
/// leading and trailing kept runs cut to `n`, and a kept run longer than `2 n` splitting two
/// hunks. A hunk of nothing but kept members is dropped.
fn hunks(mut ops: Vec<Op>, n: usize) -> Vec<Vec<Op>> {
    if let Some(first) = ops.first_mut().filter(|op| op.equal) {
        let cut = first.old.len().saturating_sub(n);
        first.old.start += cut;
        first.new.start += cut;
    }
    if let Some(last) = ops.last_mut().filter(|op| op.equal) {
        let cut = last.old.len().saturating_sub(n);
        last.old.end -= cut;
        last.new.end -= cut;
    }
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for op in ops {
        if op.equal && op.old.len() > 2 * n {
            let (o, w) = (op.old.start, op.new.start);
            pending.push(Op {
                old: o..o + n,
                new: w..w + n,
                equal: true,
            });
            out.push(std::mem::take(&mut pending));
            pending.push(Op {
                old: op.old.end - n..op.old.end,
                new: op.new.end - n..op.new.end,
                equal: true,
            });
            continue;
        }
        pending.push(op);
    }
    if !matches!(pending.as_slice(), [] | [Op { equal: true, .. }]) {
        out.push(pending);
    }
    out
}

/// `before` with `changes` applied in order (a later change to the same user wins), sorted
/// and duplicate-free; `before` must be sorted and duplicate-free.
pub(super) fn after_members<'a>(before: &[&'a str], changes: &[&'a Change]) -> Vec<&'a str> {
    let mut edits: Vec<(&str, Action)> = changes
        .iter()
        .map(|c| (c.user.as_str(), c.action))
        .collect();
    // Stable: a user's changes keep their order, so the last of them is last.
    edits.sort_by(|a, b| a.0.cmp(b.0));
    let last = edits
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|run| run.last().copied());
    let mut out = Vec::with_capacity(before.len() + edits.len());
    let mut rest = before.iter().copied().peekable();
    for (user, action) in last {
        while let Some(b) = rest.next_if(|b| *b < user) {
            out.push(b);
        }
        rest.next_if(|b| *b == user);
        if action == Action::Add {
            out.push(user);
        }
    }
    out.extend(rest);
    out
}

/// `members` sorted and duplicate-free, borrowed as they are when they already are (a plan
/// this build made; a plan file read back may say anything).
pub(super) fn sorted_members(members: &[ShortText]) -> Vec<&str> {
    let mut v: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
    if !v.windows(2).all(|w| w[0] < w[1]) {
        v.sort_unstable();
        v.dedup();
    }
    v
}

#[cfg(test)]
#[path = "list_diff_tests.rs"]
mod tests;
