//! Who is already listed for one target, found by folded identity without keeping a copy of
//! every name: policies list hundreds of thousands of members.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use crate::model::{Loc, Member, NameKey};

/// The members of one target by folded identity. Each is found by its key's hash and confirmed
/// by comparing keys; an identity whose hash another already has (practically never) is kept
/// by its key instead, so no duplicate is missed and none is invented.
#[derive(Debug, Default)]
pub(super) struct Seen {
    state: RandomState,
    /// Hash of the folded identity -> index into the target's members.
    by_hash: HashMap<u64, u32>,
    /// Where a member was listed when that is not its own `Loc` (the `users:` form points at the
    /// target's name in that person's list).
    labels: HashMap<u32, Loc>,
    /// Identities kept by key: their hash was taken, or the index does not fit.
    by_key: HashMap<NameKey, Loc>,
}

impl Seen {
    /// Room for `n` members (a group's `members:` list is read whole before it is added).
    pub(super) fn with_capacity(n: usize) -> Self {
        Seen {
            by_hash: HashMap::with_capacity(n),
            ..Seen::default()
        }
    }

    /// Records `identity`, about to be pushed onto `members` with `member_at`, listed at
    /// `label_at`; or, when the target already has it, says where it was first listed.
    pub(super) fn add(
        &mut self,
        members: &[Member],
        identity: &str,
        member_at: Loc,
        label_at: Loc,
    ) -> Result<(), Loc> {
        let key = NameKey::fold(identity);
        if let Some(&first) = self.by_key.get(key.as_ref()) {
            return Err(first);
        }
        let hash = self.state.hash_one(key.as_ref());
        if let Some(&i) = self.by_hash.get(&hash) {
            let first = &members[i as usize];
            if NameKey::fold(&first.identity) == key {
                return Err(self.labels.get(&i).copied().unwrap_or(first.loc));
            }
        } else if let Ok(i) = u32::try_from(members.len()) {
            self.by_hash.insert(hash, i);
            if label_at != member_at {
                self.labels.insert(i, label_at);
            }
            return Ok(());
        }
        self.by_key.insert(NameKey::new(identity), label_at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: usize) -> Loc {
        Loc {
            file: 0,
            offset,
            len: 1,
        }
    }

    /// Adds like the converter does: pushes the member when it is new.
    fn add(
        seen: &mut Seen,
        members: &mut Vec<Member>,
        identity: &str,
        member: Loc,
        label: Loc,
    ) -> Result<(), Loc> {
        seen.add(members, identity, member, label)?;
        members.push(Member {
            identity: identity.into(),
            loc: member,
            grant: None,
        });
        Ok(())
    }

    #[test]
    fn repeats_are_found_by_folded_identity_with_where_they_were_first_listed() {
        let (mut seen, mut members) = (Seen::default(), Vec::new());
        assert_eq!(add(&mut seen, &mut members, "alice", at(1), at(1)), Ok(()));
        assert_eq!(
            add(&mut seen, &mut members, "Bob@Acme.com", at(2), at(20)),
            Ok(())
        );
        assert_eq!(
            add(&mut seen, &mut members, " ALICE ", at(3), at(3)),
            Err(at(1))
        );
        // A member listed through `users:` is reported where its target was named.
        assert_eq!(
            add(&mut seen, &mut members, "bob@acme.com", at(4), at(4)),
            Err(at(20))
        );
        assert_eq!(members.len(), 2);
    }

    #[test]
    fn identities_sharing_a_hash_are_told_apart_by_key() {
        let (mut seen, mut members) = (Seen::default(), Vec::new());
        add(&mut seen, &mut members, "alice", at(1), at(1)).unwrap();
        // Force the collision: "carol" is filed under alice's hash, as a real collision would be.
        let alice = seen.state.hash_one("alice");
        let carol = seen.state.hash_one("carol");
        let i = seen.by_hash.remove(&alice).unwrap();
        seen.by_hash.insert(carol, i);
        members[0].identity = "carol".into();
        assert_eq!(
            add(&mut seen, &mut members, "CAROL", at(5), at(5)),
            Err(at(1))
        );
        seen.by_hash.insert(seen.state.hash_one("dave"), 0);
        assert_eq!(
            add(&mut seen, &mut members, "dave", at(6), at(6)),
            Ok(()),
            "same hash, other key"
        );
        assert_eq!(
            add(&mut seen, &mut members, "Dave", at(7), at(7)),
            Err(at(6))
        );
    }
}
