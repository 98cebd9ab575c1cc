//! The one resolver: every name a policy writes (targets, members, protected users,
//! reviewers, separation-of-duties sides and exceptions) looked up in the tenant once, with
//! every problem kept where it was written. Binding builds on what resolved; the policy check
//! reports the problems.

use std::collections::BTreeMap;

use crate::index::{Listings, LiveIndex, NameMatch, UserMatch};
use crate::model::{
    ChangeTarget, Group, Kind, License, Loc, Member, Mode, Role, SodException, Target, Unread, User,
};

use super::problem::{Place, Problem};

/// What every name of a policy means in one tenant.
pub struct Resolution<'a> {
    /// The live group of each `Desired::groups` entry, in order (`None`: a problem says why).
    pub groups: Vec<Option<&'a Group>>,
    /// The live role of each `Desired::roles` entry, in order.
    pub roles: Vec<Option<&'a Role>>,
    /// Protected user ids, each with where it was first listed.
    pub protected: BTreeMap<u64, Loc>,
    /// Per rule, per side: the targets that resolved, with where each was written.
    pub sides: Vec<Vec<Vec<(ChangeTarget, Loc)>>>,
    /// Per rule: the exceptions whose person resolved, by user id.
    pub exceptions: Vec<Vec<(u64, &'a SodException)>>,
    /// Every group a name resolved to (declared or on a rule's side), with where it was
    /// written, in that order.
    pub named_groups: Vec<(Loc, &'a Group)>,
    /// Everything that did not resolve, in the order met.
    pub problems: Vec<Problem>,
}

impl Resolution<'_> {
    /// The live target of the `n`th declared target of `kind` (`t`), when it resolved.
    pub fn target(&self, kind: Kind, n: usize, t: &Target) -> Option<ChangeTarget> {
        match kind {
            Kind::Group => self
                .groups
                .get(n)
                .copied()
                .flatten()
                .map(|g| ChangeTarget::Group {
                    id: g.id,
                    name: g.name.clone(),
                }),
            Kind::Role => self
                .roles
                .get(n)
                .copied()
                .flatten()
                .map(|r| ChangeTarget::Role {
                    id: r.id,
                    name: r.name.clone(),
                }),
            Kind::License => License::from_key(&t.name).map(ChangeTarget::License),
        }
    }
}

/// Resolves every name of the policy `listings` holds.
pub fn resolve<'a>(listings: &Listings<'a>) -> Resolution<'a> {
    let (ix, d) = (listings.ix, listings.desired);
    let mut r = Resolution {
        groups: Vec::with_capacity(d.groups.len()),
        roles: Vec::with_capacity(d.roles.len()),
        protected: BTreeMap::new(),
        sides: Vec::with_capacity(d.sod_rules.len()),
        exceptions: Vec::with_capacity(d.sod_rules.len()),
        named_groups: Vec::new(),
        problems: Vec::new(),
    };
    for t in d.groups.values() {
        let g = ok(&mut r.problems, group(ix, &t.name, t.id, t.loc));
        if let Some(g) = g {
            r.named_groups.push((t.loc, g));
        }
        r.groups.push(g);
    }
    for t in d.roles.values() {
        let role = ok(&mut r.problems, role(ix, &t.name, t.loc));
        r.roles.push(role);
    }
    let mut users: Vec<&User> = Vec::new();
    for kind in [Kind::Group, Kind::Role, Kind::License] {
        for (n, (t, listed)) in listings.targets(kind).enumerate() {
            users.clear();
            let place = || Place::Target {
                kind,
                name: t.name.clone(),
            };
            for (m, &l) in t.members.iter().zip(listed) {
                match listings.user(m, l) {
                    UserMatch::One(u) => users.push(u),
                    found => r.problems.extend(user_problem(ix, m, found, place)),
                }
            }
            if kind != Kind::Group {
                if let Some(target) = r.target(kind, n, t) {
                    r.problems.extend(unread(ix, t, &target, &users));
                }
            }
        }
    }
    for (m, l) in listings.protected() {
        match listings.user(m, l) {
            UserMatch::One(u) => {
                r.protected.entry(u.id).or_insert(m.loc);
            }
            found => r
                .problems
                .extend(user_problem(ix, m, found, || Place::Protected)),
        }
    }
    // `settings.reviewers`: a mapping to nobody would let a self-approval pass unseen.
    for rv in &d.settings.reviewers {
        let place = || Place::Reviewer {
            account: rv.account.clone(),
        };
        match ix.user(&rv.person.identity) {
            UserMatch::One(_) => {}
            found => r
                .problems
                .extend(user_problem(ix, &rv.person, found, place)),
        }
    }
    for rule in &d.sod_rules {
        let mut sides = Vec::with_capacity(rule.sides.len());
        for side in &rule.sides {
            let mut targets = Vec::new();
            for (kind, name, at) in &side.targets {
                let target = match kind {
                    Kind::Group => ok(&mut r.problems, group(ix, name, None, *at)).map(|g| {
                        r.named_groups.push((*at, g));
                        ChangeTarget::Group {
                            id: g.id,
                            name: g.name.clone(),
                        }
                    }),
                    Kind::Role => {
                        ok(&mut r.problems, role(ix, name, *at)).map(|r| ChangeTarget::Role {
                            id: r.id,
                            name: r.name.clone(),
                        })
                    }
                    Kind::License => License::from_key(name).map(ChangeTarget::License),
                };
                targets.extend(target.map(|t| (t, *at)));
            }
            sides.push(targets);
        }
        r.sides.push(sides);
        let mut exceptions = Vec::new();
        for e in &rule.exceptions {
            let place = || Place::Exception {
                rule: rule.name.clone(),
            };
            match ix.user(&e.user.identity) {
                UserMatch::One(u) => exceptions.push((u.id, e)),
                found => r.problems.extend(user_problem(ix, &e.user, found, place)),
            }
        }
        r.exceptions.push(exceptions);
    }
    r
}

/// The value, or `None` with its problem kept.
fn ok<T>(problems: &mut Vec<Problem>, found: Result<T, Problem>) -> Option<T> {
    found.map_err(|p| problems.push(p)).ok()
}

/// The group a policy entry names: by `id:` when it gives one (and only if that group has
/// this name), else by name.
pub(crate) fn group<'a>(
    ix: &LiveIndex<'a>,
    name: &str,
    id: Option<u64>,
    at: Loc,
) -> Result<&'a Group, Problem> {
    match (ix.group_named(name, id), id) {
        (NameMatch::One(g), _) => Ok(g),
        (NameMatch::Ambiguous(..), _) => Err(Problem::AmbiguousName {
            at,
            kind: Kind::Group,
            name: name.to_string(),
            found: ix
                .groups_matching(name)
                .into_iter()
                .map(|g| (g.name.clone(), g.id))
                .collect(),
        }),
        (NameMatch::None, Some(id)) => Err(match ix.live.groups.iter().find(|g| g.id == id) {
            Some(g) => Problem::GroupIdMismatch {
                at,
                name: name.to_string(),
                id,
                live: g.name.clone(),
            },
            None => Problem::UnknownGroupId {
                at,
                name: name.to_string(),
                id,
            },
        }),
        (NameMatch::None, None) => Err(match ix.project(name) {
            Some(p) => Problem::GroupIsProject {
                at,
                name: name.to_string(),
                project: p.name.clone(),
            },
            None => Problem::UnknownGroup {
                at,
                name: name.to_string(),
            },
        }),
    }
}

/// The role a policy names.
pub(crate) fn role<'a>(ix: &LiveIndex<'a>, name: &str, at: Loc) -> Result<&'a Role, Problem> {
    match ix.role_match(name) {
        NameMatch::One(r) => Ok(r),
        NameMatch::Ambiguous(..) => Err(Problem::AmbiguousName {
            at,
            kind: Kind::Role,
            name: name.to_string(),
            found: ix
                .roles_matching(name)
                .into_iter()
                .map(|r| (r.name.clone(), r.id))
                .collect(),
        }),
        NameMatch::None => Err(Problem::UnknownRole {
            at,
            name: name.to_string(),
        }),
    }
}

/// Why `m` (which `found` says names no one, or several) does not name one user.
fn user_problem(
    ix: &LiveIndex<'_>,
    m: &Member,
    found: UserMatch<'_>,
    place: impl FnOnce() -> Place,
) -> Option<Problem> {
    let (at, identity) = (m.loc, m.identity.to_string());
    let place = place();
    Some(match found {
        UserMatch::One(_) => return None,
        UserMatch::Ambiguous(..) => Problem::AmbiguousUser {
            at,
            identity,
            place,
            users: ix
                .users_matching(&m.identity)
                .into_iter()
                .map(|u| (u.login.to_string(), u.email.to_string()))
                .collect(),
        },
        UserMatch::None if ix.supplier(&m.identity).is_some() => Problem::SupplierAccount {
            at,
            identity,
            place,
        },
        UserMatch::None => Problem::UnknownUser {
            at,
            identity,
            place,
        },
    })
}

/// A role or license that Coupa's user records left out for users whose holding matters:
/// every user when the target is authoritative (anyone may lose it), the listed ones (`listed`)
/// when it only adds. Unknown is never read as "not held": that would miss removals.
fn unread(
    ix: &LiveIndex<'_>,
    t: &Target,
    target: &ChangeTarget,
    listed: &[&User],
) -> Option<Problem> {
    let found = if t.mode == Mode::Authoritative && !t.implicit {
        Unread::among(&ix.live.users, target)
    } else {
        Unread::among(listed.iter().copied(), target)
    };
    let (count, first) = found?;
    Some(Problem::UnreadField {
        at: t.loc,
        kind: target.kind(),
        target: t.name.clone(),
        field: Unread::field(target),
        count,
        first: first.login.to_string(),
    })
}
