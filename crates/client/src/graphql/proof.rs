//! The proof a GraphQL read must pass before it is used, every run:
//!
//! - no nested list looks cut: users piling up at the same round count (10, 25, 50, …) at
//!   the top of the distribution, more of them than one below it, is what a server capping
//!   associations produces;
//! - every owner row (REST) is among the nested pairs;
//! - a REST sample agrees: the members of a few groups (the largest, the first and the last
//!   holding anyone) read by `user_group_id`, the groups of the users holding the most read by
//!   `user_id`, and the records of a few users (the most groups, the most roles, the first and
//!   last) read by id — roles, licenses and names equal. A repeated row (a user twice in one
//!   group) in the sample is a shape nested lists cannot show: REST is read instead.
//!
//! A sample cannot prove the whole tenant; it catches the systematic ways a GraphQL answer
//! differs (caps, a missing association, a different id space), and everything it checks is
//! cheap: a dozen or two requests against thousands saved.

use std::collections::{BTreeMap, BTreeSet};

use super::nested::Nested;
use super::Gql;
use crate::read::MEMBERSHIPS;
use crate::scan::{join_in_order, Query, Tally};
use crate::users::Distrust;
use crate::wire::WireMembership;
use crate::{convert, Client, CoupaError};

/// Groups read both ways.
const SAMPLE_GROUPS: usize = 3;
/// Users whose groups are read both ways.
const SAMPLE_MEMBERS: usize = 2;

/// A count at which a cap is suspected: `n` users at the top count `max`, which is round.
pub(crate) fn suspicious(counts: impl IntoIterator<Item = usize>) -> Option<(usize, usize)> {
    let mut at: BTreeMap<usize, usize> = BTreeMap::new();
    for c in counts {
        *at.entry(c).or_default() += 1;
    }
    let (&max, &n) = at.iter().next_back()?;
    let below = at.get(&(max - max.min(1))).copied().unwrap_or(0);
    (max >= 10 && max % 5 == 0 && n >= 2 && n >= below).then_some((max, n))
}

fn capped(gql: &Gql) -> Option<String> {
    let listed = &gql.nested.listed;
    if let Some((max, n)) = suspicious(listed.iter().map(|l| l.0 as usize)) {
        return Some(format!(
            "{n} users have exactly {max} groups nested, which looks like a cap on the list"
        ));
    }
    suspicious(listed.iter().map(|l| l.1 as usize)).map(|(max, n)| {
        format!("{n} users have exactly {max} roles nested, which looks like a cap on the list")
    })
}

impl Client {
    /// Checks `gql` (see the module docs); a distrust names the first disagreement.
    pub(crate) async fn prove(&self, gql: &Gql) -> Result<Result<(), Distrust>, CoupaError> {
        if let Some(why) = capped(gql) {
            return Ok(Err(Distrust(why)));
        }
        // Sorted (user, group) pairs of plain groups (`Nested::keep_plain`).
        let pairs = &gql.nested.pairs;
        let mut users: Vec<u64> = gql.nested.users.iter().map(|u| u.id).collect();
        users.sort_unstable();
        for m in &gql.owners {
            let (Some(u), Some(g)) = (m.user_id, m.user_group_id) else {
                continue;
            };
            if gql.plain.contains(&g)
                && users.binary_search(&u).is_ok()
                && pairs.binary_search(&(u, g)).is_err()
            {
                return Ok(Err(Distrust(format!(
                    "user {u} owns group {g} (REST) but GraphQL does not list the group for them"
                ))));
            }
        }
        drop(users);
        // Sizes only: the members of the few groups sampled are gathered below.
        let mut group_sizes: BTreeMap<u64, usize> = BTreeMap::new();
        let mut user_sizes: BTreeMap<u64, usize> = BTreeMap::new();
        for &(_, g) in pairs {
            *group_sizes.entry(g).or_default() += 1;
        }
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            user_sizes.insert(run[0].0, run.len());
        }
        let members =
            |g: u64| -> BTreeSet<u64> { pairs.iter().filter(|p| p.1 == g).map(|p| p.0).collect() };
        let groups_of = |u: u64| -> BTreeSet<u64> {
            let from = pairs.partition_point(|p| p.0 < u);
            pairs[from..]
                .iter()
                .take_while(|p| p.0 == u)
                .map(|p| p.1)
                .collect()
        };
        let group_sample = pick_groups(&gql.plain, &group_sizes);
        let member_sample = top(&user_sizes, SAMPLE_MEMBERS);
        let record_sample = pick_records(&gql.nested, &member_sample);

        let group_reads = group_sample.iter().map(|&g| {
            let c = self.clone();
            async move { c.rows(&[("user_group_id", g.to_string())]).await }
        });
        let member_reads = member_sample.iter().map(|&u| {
            let c = self.clone();
            async move { c.rows(&[("user_id", u.to_string())]).await }
        });
        let record_reads = record_sample.iter().map(|&u| {
            let c = self.clone();
            async move { c.users_by_id(&BTreeSet::from([u]), Tally::new(None)).await }
        });
        let (by_group, by_user, records) = tokio::try_join!(
            join_in_order(group_reads),
            join_in_order(member_reads),
            join_in_order(record_reads),
        )?;

        for (g, rows) in group_sample.iter().zip(by_group) {
            let mut seen = BTreeSet::new();
            for u in rows
                .iter()
                .filter(|m| m.user_group_id == Some(*g))
                .filter_map(|m| m.user_id)
            {
                if !seen.insert(u) {
                    return Ok(Err(Distrust(format!(
                        "user {u} has two rows in group {g}, which nested lists cannot show"
                    ))));
                }
            }
            let nested = members(*g);
            if seen != nested {
                return Ok(Err(Distrust(format!(
                    "group {g}: REST lists {} members, GraphQL {} ({} differ)",
                    seen.len(),
                    nested.len(),
                    seen.symmetric_difference(&nested).count()
                ))));
            }
        }
        for (u, rows) in member_sample.iter().zip(by_user) {
            let rest: BTreeSet<u64> = rows
                .iter()
                .filter(|m| m.user_id == Some(*u))
                .filter_map(|m| m.user_group_id)
                .filter(|g| gql.plain.contains(g))
                .collect();
            let nested = groups_of(*u);
            if rest != nested {
                return Ok(Err(Distrust(format!(
                    "user {u}: REST lists {} groups, GraphQL {}",
                    rest.len(),
                    nested.len()
                ))));
            }
        }
        for (u, found) in record_sample.iter().zip(records) {
            let rest = match found {
                Ok(mut found) => found.remove(u),
                Err(d) => return Ok(Err(Distrust(format!("the REST sample of users: {}", d.0)))),
            };
            // Compared in the model: both sides through the one conversion.
            let graphql = gql.nested.users.iter().find(|g| g.id == *u);
            let same = match (rest, graphql) {
                (Some(r), Some(g)) => convert::user(r).ok().as_ref() == Some(g),
                _ => false,
            };
            if !same {
                return Ok(Err(Distrust(format!(
                    "user {u}: the GraphQL record differs from the REST one"
                ))));
            }
        }
        Ok(Ok(()))
    }

    /// An early check on the first pages, before the rest is read, so an endpoint that cuts
    /// lists costs a few pages, not a whole GraphQL read before REST: the groups of the users
    /// holding the most so far, read by `user_id`, must be the ones nested (projects too).
    pub(crate) async fn prove_head(
        &self,
        head: &Nested,
    ) -> Result<Result<(), Distrust>, CoupaError> {
        let mut nested: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
        for &(u, g) in &head.pairs {
            nested.entry(u).or_default().insert(g);
        }
        let mut most: Vec<(usize, u64, BTreeSet<u64>)> = head
            .users
            .iter()
            .map(|u| {
                let ids = nested.remove(&u.id).unwrap_or_default();
                (ids.len(), u.id, ids)
            })
            .collect();
        most.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        most.truncate(SAMPLE_MEMBERS);
        let reads = most.iter().map(|(_, u, _)| {
            let (c, u) = (self.clone(), *u);
            async move { c.rows(&[("user_id", u.to_string())]).await }
        });
        for ((_, u, nested), rows) in most.iter().zip(join_in_order(reads).await?) {
            let rest: BTreeSet<u64> = rows
                .iter()
                .filter(|m| m.user_id == Some(*u))
                .filter_map(|m| m.user_group_id)
                .collect();
            if &rest != nested {
                return Ok(Err(Distrust(format!(
                    "user {u}: REST lists {} groups and projects, GraphQL {}",
                    rest.len(),
                    nested.len()
                ))));
            }
        }
        Ok(Ok(()))
    }

    /// Membership rows a filter selects, by REST.
    async fn rows(&self, filter: &[(&str, String)]) -> Result<Vec<WireMembership>, CoupaError> {
        let mut params = filter.to_vec();
        params.push(("fields", crate::read::MEMBERSHIP_FIELDS.to_string()));
        self.scan(
            std::sync::Arc::new(Query::new(MEMBERSHIPS, &params)),
            Tally::new(None),
        )
        .await
    }
}

/// The largest group, and the first and last holding anyone; the first and last plain groups
/// when none holds anyone (REST must agree they are empty).
fn pick_groups(plain: &BTreeSet<u64>, members: &BTreeMap<u64, usize>) -> Vec<u64> {
    let mut out = Vec::new();
    let mut add = |g: Option<u64>| {
        if let Some(g) = g {
            if !out.contains(&g) && out.len() < SAMPLE_GROUPS {
                out.push(g);
            }
        }
    };
    add(top(members, 1).first().copied());
    add(members.keys().next().copied());
    add(members.keys().next_back().copied());
    add(plain.iter().next().copied());
    add(plain.iter().next_back().copied());
    out
}

/// The `n` keys with the largest sizes (ties: lower id first).
fn top(sizes: &BTreeMap<u64, usize>, n: usize) -> Vec<u64> {
    let mut v: Vec<(usize, u64)> = sizes.iter().map(|(k, s)| (*s, *k)).collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().take(n).map(|(_, k)| k).collect()
}

/// Users whose records are read both ways: the sample members, the one with the most roles,
/// the first and the last.
fn pick_records(nested: &Nested, members: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = members.to_vec();
    // Roles as listed (repeats counted); on a tie, the last such user, as before.
    let most_roles = nested
        .users
        .iter()
        .zip(&nested.listed)
        .max_by_key(|(_, l)| l.1)
        .map(|(u, _)| u.id);
    let ends = [
        nested.users.first().map(|u| u.id),
        nested.users.last().map(|u| u.id),
    ];
    for id in std::iter::once(most_roles).chain(ends).flatten() {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pile_at_a_round_top_count_is_suspicious_a_natural_tail_is_not() {
        // A cap at 25: everyone above it lands on 25.
        let capped = [3, 5, 25, 25, 25, 24, 7];
        assert_eq!(suspicious(capped), Some((25, 3)));
        // A natural tail: one or two at the top, more just below.
        assert_eq!(suspicious([3, 9, 9, 9, 10, 10, 2]), None);
        assert_eq!(suspicious([3, 4, 12, 12]), None, "not round");
        assert_eq!(suspicious([5, 5, 5]), None, "small counts are common");
        assert_eq!(suspicious([50]), None, "one user proves nothing");
        assert_eq!(suspicious(Vec::<usize>::new()), None);
    }
}
