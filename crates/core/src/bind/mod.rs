//! The bound policy: what a loaded policy means against one tenant, decided once.
//!
//! [`bind`] resolves every name of a [`Desired`] against a [`LiveIndex`] — targets (one per
//! name key) with their effective mode, whether `apply` writes them (`settings.writes`, read
//! only here), owners, protected users, the listed members and the current holders with their
//! membership ids — or refuses with every name that does not resolve ([`Problem`], found by
//! [`resolve`], the one resolver; the policy check reports the same problems). The planner,
//! drift and anything later that asks "who holds what, and what does the policy say about it"
//! read the [`Bound`] form and never resolve a name themselves, so they cannot disagree.

mod holders;
mod problem;
mod resolve;
mod roles_not_cleared;
pub mod sod;
mod wanted;

use std::collections::{BTreeMap, BTreeSet};

use crate::index::{Listings, LiveIndex, UserMatch};
use crate::model::{ChangeTarget, Desired, Kind, License, Loc, Member, Mode, User};
use crate::plan::PlanError;

pub(crate) use holders::{
    of_groups, of_licenses, of_roles, Holders, HoldersByTarget, Holding, NO_USER,
};
pub use problem::{Place, Problem, Problems};
pub use resolve::{resolve, Resolution};
pub use roles_not_cleared::roles_not_cleared;
use wanted::Wanted;

/// A policy bound to a tenant. Targets come groups, roles, licenses, each in name-key order
/// (`Desired`'s order).
pub struct Bound<'a> {
    pub desired: &'a Desired,
    pub ix: &'a LiveIndex<'a>,
    /// Protected user ids, each with where it was first listed.
    pub protected: BTreeMap<u64, Loc>,
    /// Every managed target.
    pub targets: Vec<BoundTarget<'a>>,
    /// Holders of the managed groups, roles and licenses (one table per kind).
    tables: [HoldersByTarget; 3],
    /// Separation-of-duties rules, resolved.
    pub rules: Vec<sod::BoundRule<'a>>,
    /// The day grants and exceptions are judged on, when given.
    pub today: Option<chrono::NaiveDate>,
}

/// One managed group, role or license, resolved.
pub struct BoundTarget<'a> {
    /// The live target (as Coupa names it).
    pub target: ChangeTarget,
    /// Effective mode: implicit declarations (`users:` form only) are additive.
    pub mode: Mode,
    /// Whether `apply` writes this kind (`settings.writes`).
    pub applies: bool,
    /// An omnipotent (admin) role.
    pub privileged: bool,
    /// Users with an `owner: true` membership (groups only).
    pub owners: BTreeSet<u64>,
    /// Groups only: owners not listed are removed too.
    pub remove_owners: bool,
    /// Where it was declared.
    pub loc: Loc,
    /// The listed users, sorted by id and distinct, each with its first listing (where it
    /// was written).
    pub members: Vec<(&'a User, &'a Member)>,
    /// Listed users whose every listing here is a time-bound grant that has expired on the
    /// plan's day, sorted by id: they are granted nothing, and one who still holds the target
    /// loses it in any mode.
    pub expired: Vec<(&'a User, &'a Member)>,
    /// Listed users whose grant here ends within the warning window
    /// (`settings.expiry_warning_days`), sorted by id.
    pub expiring: Vec<(&'a User, &'a Member)>,
    /// Key of its holders in its kind's table.
    holders_key: u64,
}

impl<'a> BoundTarget<'a> {
    /// True when the policy lists this user (with a grant that has not expired).
    pub fn lists(&self, user_id: u64) -> bool {
        self.members
            .binary_search_by_key(&user_id, |(u, _)| u.id)
            .is_ok()
    }

    /// The listing of this user here (with a grant that has not expired).
    pub fn listing(&self, user_id: u64) -> Option<&'a Member> {
        self.members
            .binary_search_by_key(&user_id, |(u, _)| u.id)
            .ok()
            .map(|i| self.members[i].1)
    }

    /// The expired grant of this user here, if their only listings have expired.
    pub fn expired_grant(&self, user_id: u64) -> Option<&'a Member> {
        self.expired
            .binary_search_by_key(&user_id, |(u, _)| u.id)
            .ok()
            .map(|i| self.expired[i].1)
    }

    /// Why `apply` keeps `user_id`, a holder this authoritative target does not list, if it
    /// does: protected users first, then owners of groups that keep owners. Role removals it
    /// holds back as a whole are [`roles_not_cleared`]'s.
    pub fn keeps(&self, bound: &Bound<'_>, user_id: u64) -> Option<Kept> {
        if bound.protected.contains_key(&user_id) {
            Some(Kept::Protected)
        } else if self.owners.contains(&user_id) && !self.remove_owners {
            Some(Kept::Owner)
        } else {
            None
        }
    }
}

/// Why `apply` keeps a holder the policy does not list on a target it manages
/// authoritatively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kept {
    /// A protected user (`settings.protected_users`).
    Protected,
    /// An owner of a group that keeps owners (no `remove_owners: true`).
    Owner,
    /// A role whose holder's roles are never cleared: an API (integration) user, or the only
    /// active holder of an omnipotent role.
    RolesNotCleared,
}

impl Kept {
    /// Why, in a few words, for text and markdown.
    pub fn why(self) -> &'static str {
        match self {
            Kept::Protected => "protected user",
            Kept::Owner => "group owner",
            Kept::RolesNotCleared => "roles never cleared",
        }
    }
}

impl<'a> Bound<'a> {
    /// Who holds `t` now, by user id (each with their membership ids, for groups).
    pub(crate) fn holders(&self, t: &BoundTarget<'_>) -> Holders<'_> {
        let table = match t.target.kind() {
            Kind::Group => 0,
            Kind::Role => 1,
            Kind::License => 2,
        };
        self.tables[table].of(t.holders_key)
    }

    /// The holders of the managed groups, for the plan's preconditions.
    pub(crate) fn group_holders(&self) -> &HoldersByTarget {
        &self.tables[0]
    }

    /// The user at a holding's place.
    pub(crate) fn user_of(&self, h: &Holding) -> Option<&'a User> {
        self.ix.live.users.get(h.user)
    }
}

/// Binds `desired` to the tenant `ix` indexes.
pub fn bind<'a>(desired: &'a Desired, ix: &'a LiveIndex<'a>) -> Result<Bound<'a>, PlanError> {
    bind_listings(&Listings::new(desired, ix))
}

/// [`bind`] over member listings already resolved (the plan use case resolves them once for
/// the policy check and the binding). Refused with every problem when a name does not
/// resolve.
pub fn bind_listings<'a>(listings: &Listings<'a>) -> Result<Bound<'a>, PlanError> {
    bind_resolved(listings, resolve(listings))
}

/// [`bind_listings`] with the names already resolved (`r`, of these listings: the use cases
/// resolve once for the policy check and the binding).
pub fn bind_resolved<'a>(
    listings: &Listings<'a>,
    r: Resolution<'a>,
) -> Result<Bound<'a>, PlanError> {
    if !r.problems.is_empty() {
        return Err(PlanError::Unresolved(Problems(r.problems)));
    }
    let (desired, ix) = (listings.desired, listings.ix);
    let mut targets = Vec::new();
    let groups = bind_groups(listings, &r, &mut targets)?;
    let roles = bind_roles(listings, &r, &mut targets);
    let licenses = bind_licenses(listings, &mut targets);
    let rules = sod::bind_rules(&desired.sod_rules, r.sides, r.exceptions);
    Ok(Bound {
        desired,
        ix,
        protected: r.protected,
        targets,
        tables: [groups, roles, licenses],
        rules,
        today: listings.today,
    })
}

/// A target's fields that do not depend on its holders.
fn bound<'a>(
    listings: &Listings<'a>,
    target: ChangeTarget,
    w: &Wanted<'a>,
    holders_key: u64,
) -> BoundTarget<'a> {
    let (members, expired) = members(listings, w);
    let expiring = match listings.today {
        Some(today) => {
            let days = listings.desired.settings.expiry_window();
            members
                .iter()
                .filter(|(_, m)| {
                    m.grant
                        .as_ref()
                        .is_some_and(|g| g.expires_within(today, days))
                })
                .copied()
                .collect()
        }
        None => Vec::new(),
    };
    BoundTarget {
        expired,
        expiring,
        applies: listings.desired.settings.writes.applies(target.kind()),
        target,
        mode: w.mode,
        privileged: false,
        owners: BTreeSet::new(),
        remove_owners: w.remove_owners,
        loc: w.loc,
        members,
        holders_key,
    }
}

/// The declared groups, with the live group each resolved to (`r.groups`, in order).
fn bind_groups<'a>(
    listings: &Listings<'a>,
    r: &Resolution<'a>,
    out: &mut Vec<BoundTarget<'a>>,
) -> Result<HoldersByTarget, PlanError> {
    let ix = listings.ix;
    let start = out.len();
    for ((t, listed), group) in listings.targets(Kind::Group).zip(&r.groups) {
        let Some(group) = group else {
            continue; // a problem of `r`: not bound at all
        };
        let target = ChangeTarget::Group {
            id: group.id,
            name: group.name.clone(),
        };
        out.push(bound(listings, target, &Wanted::of(t, listed), group.id));
    }
    let managed = &mut out[start..];
    let (holders, mut owners) =
        holders::of_groups(ix, managed.iter().map(|t| t.holders_key).collect());
    for t in managed.iter_mut() {
        for (user_id, rows) in holders.of(t.holders_key).by_user() {
            if rows[0].user == NO_USER {
                return Err(PlanError::UnknownMember {
                    group: t.target.name().to_string(),
                    membership_id: rows[0].membership_id.unwrap_or_default(),
                    user_id,
                });
            }
        }
        t.owners = owners.remove(&t.holders_key).unwrap_or_default();
    }
    Ok(holders)
}

/// The declared roles, with the live role each resolved to (`r.roles`, in order).
fn bind_roles<'a>(
    listings: &Listings<'a>,
    r: &Resolution<'a>,
    out: &mut Vec<BoundTarget<'a>>,
) -> HoldersByTarget {
    let start = out.len();
    for ((t, listed), role) in listings.targets(Kind::Role).zip(&r.roles) {
        let Some(role) = role else {
            continue; // a problem of `r`: not bound at all
        };
        let target = ChangeTarget::Role {
            id: role.id,
            name: role.name.clone(),
        };
        let mut t = bound(listings, target, &Wanted::of(t, listed), role.id);
        t.privileged = role.omnipotent;
        out.push(t);
    }
    holders::of_roles(
        listings.ix,
        out[start..].iter().map(|t| t.holders_key).collect(),
    )
}

fn bind_licenses<'a>(listings: &Listings<'a>, out: &mut Vec<BoundTarget<'a>>) -> HoldersByTarget {
    let d = listings.desired;
    let key = |n: usize| n as u64;
    for (n, (license, (t, listed))) in d
        .licenses
        .keys()
        .zip(listings.targets(Kind::License))
        .enumerate()
    {
        out.push(bound(
            listings,
            ChangeTarget::License(*license),
            &Wanted::of(t, listed),
            key(n),
        ));
    }
    let licenses: Vec<License> = d.licenses.keys().copied().collect();
    holders::of_licenses(listings.ix, &licenses)
}

/// Member listings a time-bound grant no longer covers, by user id.
type Members<'a> = Vec<(&'a User, &'a Member)>;

/// The listed users of one target by id, each with where it was first listed, and those whose
/// only listings are expired grants. (A listing naming no one, or two, is a problem of the
/// resolution, which refused the binding already.)
fn members<'a>(listings: &Listings<'a>, wanted: &Wanted<'a>) -> (Members<'a>, Members<'a>) {
    let mut members: Vec<(&User, &Member)> = Vec::with_capacity(wanted.members.len());
    let mut expired: Vec<(&User, &Member)> = Vec::new();
    let is_expired = |m: &Member| match (listings.today, &m.grant) {
        (Some(today), Some(g)) => g.expired_on(today),
        _ => false,
    };
    for &(m, l) in &wanted.members {
        if let UserMatch::One(u) = listings.user(m, l) {
            if is_expired(m) {
                expired.push((u, m));
            } else {
                members.push((u, m));
            }
        }
    }
    // A stable sort keeps the first listing first; dedup keeps it.
    members.sort_by_key(|(u, _)| u.id);
    members.dedup_by_key(|(u, _)| u.id);
    expired.sort_by_key(|(u, _)| u.id);
    expired.dedup_by_key(|(u, _)| u.id);
    expired.retain(|(u, _)| members.binary_search_by_key(&u.id, |(m, _)| m.id).is_err());
    (members, expired)
}
