//! GraphQL's users as the read goes: each page converted into model users as it arrives, its
//! nested groups kept only as (user id, group id) pairs and its list lengths as two counts, so
//! a 100k-user read never holds the wire shape of more than one page (as the REST scan does).

use coupa_access_core::model::User;

use super::wire::GqlUser;
use crate::convert;
use crate::users::Distrust;

/// Users read through GraphQL so far, in the order read.
#[derive(Debug, Default)]
pub(crate) struct Nested {
    pub users: Vec<User>,
    /// Per user (same order): the lengths of its nested `userGroups` and `roles` lists as
    /// answered (repeats and projects counted), which the cap check reads.
    pub listed: Vec<(u32, u32)>,
    /// (user id, group id) of every nested group, as listed (projects included, repeats kept).
    pub pairs: Vec<(u64, u64)>,
}

impl Nested {
    /// Adds a checked page; a user the model cannot hold (no id, no login) makes the read
    /// doubtful, as REST would decide it.
    pub(crate) fn add_page(&mut self, page: Vec<GqlUser>) -> Result<(), Distrust> {
        self.users.reserve(page.len());
        for GqlUser { user, group_ids } in page {
            let roles = user.roles.as_ref().map_or(0, Vec::len);
            let u = convert::user(user)
                .map_err(|bad| Distrust(format!("a GraphQL user cannot be used: {bad}")))?;
            self.listed.push((count(group_ids.len()), count(roles)));
            self.pairs.extend(group_ids.into_iter().map(|g| (u.id, g)));
            self.users.push(u);
        }
        Ok(())
    }

    /// Appends a later range's users.
    pub(crate) fn append(&mut self, mut other: Nested) {
        self.users.append(&mut other.users);
        self.listed.append(&mut other.listed);
        self.pairs.append(&mut other.pairs);
    }

    /// Leaves in `pairs` only those of `plain` groups, sorted and without repeats: the pairs
    /// the read shows as memberships, and the proof compares.
    pub(crate) fn keep_plain(&mut self, plain: &std::collections::BTreeSet<u64>) {
        self.pairs.retain(|(_, g)| plain.contains(g));
        self.pairs.sort_unstable();
        self.pairs.dedup();
        self.pairs.shrink_to_fit();
    }
}

/// A list length as held (a nested list is never near 4 billion long).
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::wire::{WireRole, WireUser};

    fn gql(id: u64, login: &str, groups: &[u64], roles: usize) -> GqlUser {
        GqlUser {
            user: WireUser {
                id: Some(id),
                login: Some(login.into()),
                roles: Some(vec![
                    WireRole {
                        id: Some(4),
                        ..WireRole::default()
                    };
                    roles
                ]),
                ..WireUser::default()
            },
            group_ids: groups.to_vec(),
        }
    }

    #[test]
    fn pages_become_model_users_counts_and_pairs() {
        let mut a = Nested::default();
        a.add_page(vec![gql(1, "a", &[12, 11, 12], 2), gql(2, "b", &[], 0)])
            .unwrap();
        let mut b = Nested::default();
        b.add_page(vec![gql(5, "c", &[30, 11], 1)]).unwrap();
        a.append(b);
        assert_eq!(
            a.users.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![1, 2, 5]
        );
        assert_eq!(a.users[0].roles.iter().copied().collect::<Vec<_>>(), [4]);
        // Lengths as listed: repeats and projects counted (the cap check's input).
        assert_eq!(a.listed, vec![(3, 2), (0, 0), (2, 1)]);
        assert_eq!(a.pairs, vec![(1, 12), (1, 11), (1, 12), (5, 30), (5, 11)]);
        // Group 30 is a project: dropped; repeats go; sorted.
        a.keep_plain(&BTreeSet::from([11, 12]));
        assert_eq!(a.pairs, vec![(1, 11), (1, 12), (5, 11)]);
    }

    #[test]
    fn a_user_the_model_cannot_hold_makes_the_read_doubtful() {
        let mut n = Nested::default();
        let why = n.add_page(vec![gql(7, "", &[1], 0)]).unwrap_err();
        assert!(why.0.contains("user 7 has no login"), "{}", why.0);
    }
}
