//! Who holds each planned target now: one flat table of rows, bucketed by target and sorted by
//! user (tenants have 300k memberships, so no map per target).

use std::collections::{BTreeMap, BTreeSet};

use crate::index::LiveIndex;
use crate::model::{License, User};

/// One live holding of a target: a membership record of a group, or a role or license flag on
/// a user (no record: `membership_id` is `None`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Holding {
    pub user_id: u64,
    /// The holder's place in `Live::users` (as `LiveIndex::user_at_id` finds it), or
    /// [`NO_USER`] when no user has the id (a membership of someone the tenant lacks).
    pub user: usize,
    pub membership_id: Option<u64>,
}

/// [`Holding::user`] of a holder who is not among the users.
pub(crate) const NO_USER: usize = usize::MAX;

/// Every holding of the targets planned, bucketed by target id and sorted by user id; a user's
/// holdings of one target keep the order they were placed in (Coupa's).
pub(crate) struct HoldersByTarget {
    /// The targets' ids, sorted and distinct: a target's bucket is its place here.
    ids: Vec<u64>,
    rows: Vec<Holding>,
    /// Where each bucket starts in `rows`, and where the last one ends.
    starts: Vec<usize>,
}

/// Builds a [`HoldersByTarget`] in two passes over the same holdings: [`Count::count`] each
/// one's target, then [`Fill::place`] each in the same order. Counting first gives the rows
/// exactly their room and a place per row without sorting the whole table.
pub(crate) struct Count {
    ids: Vec<u64>,
    counts: Vec<usize>,
}

impl Count {
    /// For targets with these ids (in any order, repeats ignored).
    pub(super) fn new(mut ids: Vec<u64>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        let counts = vec![0; ids.len()];
        Count { ids, counts }
    }

    /// The bucket of the target with this id; `None` when it is not planned.
    pub(super) fn bucket(&self, target_id: u64) -> Option<usize> {
        self.ids.binary_search(&target_id).ok()
    }

    pub(super) fn count(&mut self, bucket: usize) {
        if let Some(c) = self.counts.get_mut(bucket) {
            *c += 1;
        }
    }

    /// Done counting: the rows are allocated, to be placed.
    pub(super) fn fill(self) -> Fill {
        let mut starts = Vec::with_capacity(self.counts.len() + 1);
        let mut total = 0;
        for c in &self.counts {
            starts.push(total);
            total += c;
        }
        starts.push(total);
        let empty = Holding {
            user_id: 0,
            user: NO_USER,
            membership_id: None,
        };
        Fill {
            next: starts.clone(),
            table: HoldersByTarget {
                ids: self.ids,
                rows: vec![empty; total],
                starts,
            },
        }
    }
}

/// The second pass of building a [`HoldersByTarget`].
pub(crate) struct Fill {
    table: HoldersByTarget,
    /// Where the next row of each bucket goes.
    next: Vec<usize>,
}

impl Fill {
    /// As [`Count::bucket`].
    pub(super) fn bucket(&self, target_id: u64) -> Option<usize> {
        self.table.ids.binary_search(&target_id).ok()
    }

    /// Places a holding counted in `bucket` (one not counted is dropped: there is no room).
    pub(super) fn place(&mut self, bucket: usize, h: Holding) {
        let (Some(at), Some(&end)) = (self.next.get_mut(bucket), self.table.starts.get(bucket + 1))
        else {
            return;
        };
        if *at < end {
            self.table.rows[*at] = h;
            *at += 1;
        }
    }

    /// Sorts each bucket by user id (stably: a user's holdings keep their order).
    pub(super) fn finish(mut self) -> HoldersByTarget {
        let t = &mut self.table;
        for w in t.starts.windows(2) {
            t.rows[w[0]..w[1]].sort_by_key(|h| h.user_id);
        }
        self.table
    }
}

impl HoldersByTarget {
    /// The holders of one target (none when nobody holds it).
    pub(crate) fn of(&self, target_id: u64) -> Holders<'_> {
        let rows = self
            .ids
            .binary_search(&target_id)
            .ok()
            .and_then(|b| Some(self.starts.get(b)?..self.starts.get(b + 1)?))
            .and_then(|r| self.rows.get(*r.start..*r.end));
        Holders(rows.unwrap_or(&[]))
    }
}

/// Who holds one target now, sorted by user id.
#[derive(Clone, Copy)]
pub(crate) struct Holders<'r>(&'r [Holding]);

impl<'r> Holders<'r> {
    pub(crate) fn contains(self, user_id: u64) -> bool {
        let at = self.0.partition_point(|h| h.user_id < user_id);
        self.0.get(at).is_some_and(|h| h.user_id == user_id)
    }

    /// Each holder's id with their rows, by user id.
    pub(crate) fn by_user(self) -> impl Iterator<Item = (u64, &'r [Holding])> + Clone {
        self.0
            .chunk_by(|a, b| a.user_id == b.user_id)
            .map(|rows| (rows[0].user_id, rows))
    }
}

/// Who holds each of these groups (by id), with the owners of each: the one place a group's
/// holders are read from the memberships (bind and export both ask here).
pub(crate) fn of_groups(
    ix: &LiveIndex<'_>,
    ids: Vec<u64>,
) -> (HoldersByTarget, BTreeMap<u64, BTreeSet<u64>>) {
    // Memberships of these groups only (tenants are large), counted, then placed: finding a
    // bucket twice (a binary search over the ids) costs less than remembering it.
    let live = ix.live;
    let mut count = Count::new(ids);
    for m in &live.memberships {
        if let Some(b) = count.bucket(m.group_id) {
            count.count(b);
        }
    }
    let mut fill = count.fill();
    let mut owners: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for m in &live.memberships {
        let Some(b) = fill.bucket(m.group_id) else {
            continue;
        };
        fill.place(
            b,
            Holding {
                user_id: m.user_id,
                user: ix.user_at_id(m.user_id).unwrap_or(NO_USER),
                membership_id: Some(m.id),
            },
        );
        if m.owner {
            owners.entry(m.group_id).or_default().insert(m.user_id);
        }
    }
    (fill.finish(), owners)
}

/// Who holds each of these roles (by id), from the users' role lists.
pub(crate) fn of_roles(ix: &LiveIndex<'_>, ids: Vec<u64>) -> HoldersByTarget {
    // Few roles: finding a role's bucket twice (count, then place) is cheap.
    let mut count = Count::new(ids);
    for u in &ix.live.users {
        for &id in u.roles.iter() {
            if let Some(b) = count.bucket(id) {
                count.count(b);
            }
        }
    }
    let mut fill = count.fill();
    for u in &ix.live.users {
        for &id in u.roles.iter() {
            if let Some(b) = fill.bucket(id) {
                fill.place(b, flag(ix, u));
            }
        }
    }
    fill.finish()
}

/// Who holds each of these licenses, keyed by its place in `licenses`.
pub(crate) fn of_licenses(ix: &LiveIndex<'_>, licenses: &[License]) -> HoldersByTarget {
    let mut count = Count::new((0..licenses.len() as u64).collect());
    for u in &ix.live.users {
        for (n, l) in licenses.iter().enumerate() {
            if u.licenses.contains(l) {
                count.count(n);
            }
        }
    }
    let mut fill = count.fill();
    for u in &ix.live.users {
        for (n, l) in licenses.iter().enumerate() {
            if u.licenses.contains(l) {
                fill.place(n, flag(ix, u));
            }
        }
    }
    fill.finish()
}

/// A role or license flag on `u`, as a holding (no membership record). The holder's place is
/// the one `LiveIndex::user_at_id` gives, as for group members.
fn flag(ix: &LiveIndex<'_>, u: &User) -> Holding {
    Holding {
        user_id: u.id,
        user: ix.user_at_id(u.id).unwrap_or(NO_USER),
        membership_id: None,
    }
}
