//! Every member listing of a policy resolved against live users once per plan.
//!
//! The check and the diff both read the listings from here, so they cannot disagree about whom
//! a listing means, and a policy managing every group of a 100k-user tenant (300k listings)
//! costs one index probe per listing rather than one per reader.

use crate::index::{LiveIndex, UserAt, UserMatch};
use crate::model::{Desired, Kind, Member, Target, User};

/// One listing, resolved: the place in `Live::users` of the one user it names, or `NOT_ONE`
/// (ambiguous or unknown: those are errors, few, and looked up again when asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed(u32);

const NOT_ONE: u32 = u32::MAX;

/// The policy's member listings with the user each names, over one [`LiveIndex`].
///
/// Kept in the policy's order: the groups' members (in `Desired::groups` order), then the
/// roles', the licenses', and `settings.protected_users` last.
#[derive(Debug)]
pub struct Listings<'a> {
    pub desired: &'a Desired,
    pub ix: &'a LiveIndex<'a>,
    listed: Vec<Listed>,
    /// Where each target's listings start in `listed`: groups, roles and licenses in order,
    /// then where the protected users' start.
    starts: Vec<usize>,
    /// The plan's day (UTC), which decides time-bound grants: from the day after its `until`
    /// a grant gives nothing. `None` (no date given) counts every grant as still valid; the
    /// plan and drift always give one.
    pub today: Option<chrono::NaiveDate>,
}

impl<'a> Listings<'a> {
    /// Looks every listing of `desired` up in `ix`, once.
    pub fn new(desired: &'a Desired, ix: &'a LiveIndex<'a>) -> Self {
        let targets = all_targets(desired);
        let count = targets.clone().map(|t| t.members.len()).sum::<usize>()
            + desired.settings.protected_users.len();
        let mut listed = Vec::with_capacity(count);
        let mut starts = Vec::with_capacity(desired.groups.len() + desired.roles.len() + 8);
        let resolve = |m: &Member| match ix.user_at(&m.identity) {
            // A place past `u32` (never, in practice) is looked up again when asked.
            UserAt::One(i) => Listed(u32::try_from(i).unwrap_or(NOT_ONE)),
            UserAt::Ambiguous(..) | UserAt::None => Listed(NOT_ONE),
        };
        for t in targets {
            starts.push(listed.len());
            listed.extend(t.members.iter().map(resolve));
        }
        starts.push(listed.len());
        listed.extend(desired.settings.protected_users.iter().map(resolve));
        Listings {
            desired,
            ix,
            listed,
            starts,
            today: None,
        }
    }

    /// The same listings on the day `today` (see [`Listings::today`]).
    pub fn on(mut self, today: chrono::NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    /// The targets of `kind` in `Desired` order, each with its listings (one per member, in
    /// member order).
    pub fn targets(&self, kind: Kind) -> impl Iterator<Item = (&'a Target, &[Listed])> + '_ {
        let d = self.desired;
        let (skip, take) = match kind {
            Kind::Group => (0, d.groups.len()),
            Kind::Role => (d.groups.len(), d.roles.len()),
            Kind::License => (d.groups.len() + d.roles.len(), d.licenses.len()),
        };
        all_targets(d)
            .enumerate()
            .skip(skip)
            .take(take)
            .map(move |(n, t)| (t, self.slice(n)))
    }

    /// `settings.protected_users` with their listings.
    pub fn protected(&self) -> impl Iterator<Item = (&'a Member, Listed)> + '_ {
        let start = *self.starts.last().unwrap_or(&0);
        self.desired
            .settings
            .protected_users
            .iter()
            .zip(self.listed[start.min(self.listed.len())..].iter().copied())
    }

    /// The listings of the `n`th target overall.
    fn slice(&self, n: usize) -> &[Listed] {
        match (self.starts.get(n), self.starts.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.listed[a..b],
            _ => &[],
        }
    }

    /// The user listing `m` names (`listed` is its resolution, from [`Listings::targets`] or
    /// [`Listings::protected`]): exactly what `LiveIndex::user` says of `m.identity`.
    pub fn user(&self, m: &Member, listed: Listed) -> UserMatch<'a> {
        match self.one(listed) {
            Some((_, u)) => UserMatch::One(u),
            None => self.ix.user(&m.identity),
        }
    }

    /// The one user a listing names, with their place in `Live::users`; `None` when it names
    /// no one or two users.
    pub fn one(&self, listed: Listed) -> Option<(usize, &'a User)> {
        let i = listed.0 as usize;
        (listed.0 != NOT_ONE)
            .then(|| self.ix.live.users.get(i).map(|u| (i, u)))
            .flatten()
    }
}

/// Every target with members, in the order listings are kept.
fn all_targets(d: &Desired) -> impl Iterator<Item = &Target> + Clone {
    d.groups
        .values()
        .chain(d.roles.values())
        .chain(d.licenses.values())
}
