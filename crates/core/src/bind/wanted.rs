//! A declared target with its effective mode: the one rule for what a declaration means.
//!
//! `Desired` holds one target per name key (the loader refuses twins), so there is nothing to
//! merge: a target named only from `users:` (implicit) is additive, and only an explicit
//! declaration can remove owners.

use crate::index::Listed;
use crate::model::{Loc, Member, Mode, Target};

/// One managed group, role or license as the policy wants it.
#[derive(Debug)]
pub(crate) struct Wanted<'a> {
    /// Effective mode: `implicit` targets are additive.
    pub mode: Mode,
    /// Each with whom it names (see [`crate::model::Listings`]).
    pub members: Vec<(&'a Member, Listed)>,
    /// Groups only: owners not listed are removed too (`remove_owners: true`).
    pub remove_owners: bool,
    /// Where it was declared.
    pub loc: Loc,
}

impl<'a> Wanted<'a> {
    /// What `t`, whose members resolved to `listed`, asks for.
    pub(crate) fn of(t: &'a Target, listed: &[Listed]) -> Self {
        Wanted {
            mode: if t.implicit { Mode::Additive } else { t.mode },
            members: t.members.iter().zip(listed.iter().copied()).collect(),
            remove_owners: !t.implicit && t.remove_owners,
            loc: t.loc,
        }
    }
}
