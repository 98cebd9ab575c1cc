//! The merge-based member-list diff against the general diff it replaced (`similar`'s patience
//! diff, grouped with context), on many seeded list pairs: they must give the same lines.

use std::collections::BTreeSet;

use similar::{capture_diff_slices, group_diff_ops, Algorithm, ChangeTag};

use super::*;
use crate::compact::ShortText;
use crate::model::{Change, ChangeTarget};

/// The diff as the text renderer wrote it before: patience diff, hunks from `similar`.
fn lines_similar<'a>(before: &[&'a str], after: &[&'a str], context: usize) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let ops = capture_diff_slices(Algorithm::Patience, before, after);
    let mut shown_to = 0;
    for group in group_diff_ops(ops, context) {
        let Some(first) = group.first() else { continue };
        let start = first.old_range().start;
        if start > shown_to {
            out.push(Line::Skipped(start - shown_to));
        }
        for op in &group {
            for change in op.iter_changes(before, after) {
                out.push(match change.tag() {
                    ChangeTag::Equal => Line::Same(change.value()),
                    ChangeTag::Delete => Line::Removed(change.value()),
                    ChangeTag::Insert => Line::Added(change.value()),
                });
            }
            shown_to = op.old_range().end;
        }
    }
    if before.len() > shown_to && shown_to > 0 {
        out.push(Line::Skipped(before.len() - shown_to));
    }
    out
}

/// The members after apply as the text renderer worked them out before: a set, edited in order.
fn after_set<'a>(before: &[&'a str], changes: &[&'a Change]) -> Vec<&'a str> {
    let mut set: BTreeSet<&str> = before.iter().copied().collect();
    for c in changes {
        match c.action {
            Action::Add => set.insert(&c.user),
            Action::Remove => set.remove(c.user.as_str()),
        };
    }
    set.into_iter().collect()
}

fn lines<'a>(before: &[&'a str], after: &[&'a str], context: usize) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    diff_lines(before, after, context, |l| out.push(l));
    out
}

/// A seeded linear congruential generator: the same lists on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A sorted, duplicate-free list pair over a universe of `universe` names, each name in
/// `before` with one chance in `keep` and flipped for `after` with one chance in `flip`.
fn pair(rng: &mut Rng, universe: usize, keep: u64, flip: u64) -> (Vec<String>, Vec<String>) {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for i in 0..universe {
        // Zero-padded, so the text order is the number order; odd widths mix in other orders.
        let name = if i % 7 == 3 {
            format!("U{i}")
        } else {
            format!("u{i:05}")
        };
        let was = rng.below(keep) == 0;
        let is = if rng.below(flip) == 0 { !was } else { was };
        if was {
            before.push(name.clone());
        }
        if is {
            after.push(name);
        }
    }
    before.sort();
    after.sort();
    (before, after)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn the_merge_diff_gives_the_lines_the_patience_diff_gave() {
    let mut rng = Rng(12);
    let mut cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (vec![], vec![]),
        (vec![], vec!["a".into()]),
        (vec!["a".into()], vec![]),
        (vec!["a".into(), "b".into()], vec!["c".into(), "d".into()]),
        (vec!["c".into(), "d".into()], vec!["a".into(), "b".into()]),
    ];
    let same: Vec<String> = (0..30).map(|i| format!("m{i:02}")).collect();
    cases.push((same.clone(), same));
    for _ in 0..600 {
        let universe = rng.below(40) as usize;
        let keep = 1 + rng.below(4);
        let flip = 1 + rng.below(12);
        cases.push(pair(&mut rng, universe, keep, flip));
    }
    for _ in 0..10 {
        let flip = 1 + rng.below(300);
        cases.push(pair(&mut rng, 5000, 2, flip));
    }
    // Disjoint and interleaved: every name changes.
    let evens: Vec<String> = (0..50).map(|i| format!("n{:03}", 2 * i)).collect();
    let odds: Vec<String> = (0..50).map(|i| format!("n{:03}", 2 * i + 1)).collect();
    cases.push((evens.clone(), odds.clone()));
    cases.push((odds, evens));
    for (n, (before, after)) in cases.iter().enumerate() {
        let (b, a) = (strs(before), strs(after));
        for context in [0, 1, 2, 3] {
            assert_eq!(
                lines(&b, &a, context),
                lines_similar(&b, &a, context),
                "case {n}, context {context}: {b:?} -> {a:?}"
            );
        }
    }
}

#[test]
fn members_after_apply_are_the_set_edited_in_order() {
    let mut rng = Rng(7);
    let change = |action, user: String| Change {
        action,
        target: ChangeTarget::Group {
            id: 1,
            name: "G".into(),
        },
        user,
        user_id: 0,
        applies: true,
        membership_id: None,
        privileged: false,
        expired: None,
    };
    for _ in 0..500 {
        let universe = rng.below(30) as usize;
        let (before, _) = pair(&mut rng, universe, 2, 1);
        // Changes name members and non-members, some users more than once, in any order.
        let changes: Vec<Change> = (0..rng.below(12))
            .map(|_| {
                let action = if rng.below(2) == 0 {
                    Action::Add
                } else {
                    Action::Remove
                };
                change(action, format!("u{:05}", rng.below(30)))
            })
            .collect();
        let refs: Vec<&Change> = changes.iter().collect();
        let b = strs(&before);
        assert_eq!(
            after_members(&b, &refs),
            after_set(&b, &refs),
            "{b:?} {changes:?}"
        );
    }
}

#[test]
fn members_from_a_plan_file_are_sorted_and_deduplicated_when_they_are_not_already() {
    let v = |s: &[&str]| s.iter().map(|&s| ShortText::from(s)).collect::<Vec<_>>();
    assert_eq!(sorted_members(&v(&["a", "b", "c"])), ["a", "b", "c"]);
    assert_eq!(sorted_members(&v(&["c", "a", "b", "a"])), ["a", "b", "c"]);
    assert_eq!(sorted_members(&v(&["a", "a"])), ["a"]);
    assert!(sorted_members(&[]).is_empty());
}
