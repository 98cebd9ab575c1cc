//! Declared targets merged by case-insensitive name, with the effective mode: the one rule
//! for what two declarations of the same Coupa group, role or license mean together.

use std::collections::BTreeMap;

use crate::index::Listed;
use crate::model::{Kind, Loc, Member, Mode, NameKey, Target};

use crate::plan::PlanError;

/// One managed group, role or license after merging declarations that differ only in case.
#[derive(Debug)]
pub(crate) struct Wanted<'a> {
    /// The name as first written.
    pub name: &'a str,
    /// Effective mode: `implicit` targets are additive.
    pub mode: Mode,
    /// Each with whom it names (see [`crate::index::Listings`]).
    pub members: Vec<(&'a Member, Listed)>,
    /// Groups only: owners not listed are removed too (`remove_owners: true` on an explicit
    /// declaration).
    pub remove_owners: bool,
    /// Where it was first declared.
    pub loc: Loc,
    /// Groups only: the Coupa id an explicit declaration gives (`id:`).
    pub id: Option<u64>,
}

/// The mode a declaration asks for; `None` for an implicit target (named only from `users:`),
/// which has no say when it is also declared explicitly.
fn declared_mode(t: &Target) -> Option<Mode> {
    (!t.implicit).then_some(t.mode)
}

/// Merges targets whose names fold to the same key. Keys of the result are folded names, so
/// iteration follows the case-insensitive name order. Each target comes with its members'
/// listings.
pub(crate) fn merge<'a, 'l>(
    kind: Kind,
    targets: impl IntoIterator<Item = (&'a Target, &'l [Listed])>,
) -> Result<BTreeMap<NameKey, Wanted<'a>>, PlanError> {
    // The first explicit declaration fixes the mode: (its name, its mode).
    type Decided<'a> = Option<(&'a str, Mode)>;
    let mut out: BTreeMap<NameKey, (Wanted<'a>, Decided<'a>)> = BTreeMap::new();
    for (t, listed) in targets {
        let entry = out.entry(NameKey::new(&t.name)).or_insert_with(|| {
            (
                Wanted {
                    name: &t.name,
                    mode: Mode::Additive,
                    members: Vec::new(),
                    remove_owners: false,
                    loc: t.loc,
                    id: None,
                },
                None,
            )
        });
        entry
            .0
            .members
            .extend(t.members.iter().zip(listed.iter().copied()));
        entry.0.remove_owners |= !t.implicit && t.remove_owners;
        entry.0.id = entry.0.id.or(t.id);
        if let Some(mode) = declared_mode(t) {
            match entry.1 {
                None => entry.1 = Some((&t.name, mode)),
                Some((first, m)) if m != mode => {
                    return Err(PlanError::ConflictingModes {
                        kind,
                        first: first.to_string(),
                        second: t.name.clone(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, (mut w, decided))| {
            w.mode = decided.map_or(Mode::Additive, |(_, m)| m);
            (k, w)
        })
        .collect())
}
