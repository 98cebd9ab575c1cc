//! Scoped reads: memberships of a few groups instead of every membership, so `plan` on a
//! 100,000-user tenant reads only what its policies manage. The client never compares names:
//! the caller says which groups it wants with a filter over the live groups (the core's
//! `plan::ManagedGroups`, the same name rule the planner uses).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use coupa_access_core::model::{Desired, Group};
use coupa_access_core::plan::{ManagedGroups, UsersNeeded};

use super::convert;
use super::scan::{join_in_order, Query, Tally};
use super::wire::{WireMembership, WireUserGroup};
use super::{Client, CoupaError};

/// Group ids per membership query (`user_group_id[in]=1,2,…`): short enough for any URL limit.
pub(crate) const GROUPS_PER_QUERY: usize = 25;

/// Picks the live groups whose memberships a scoped read fetches.
pub type GroupFilter = Arc<dyn Fn(&Group) -> bool + Send + Sync>;

/// Which memberships and users a live read fetches. Groups and roles are always read in full.
#[derive(Clone, Default)]
pub enum ReadScope {
    /// Every membership of every group, every user.
    #[default]
    Everything,
    /// Only memberships of the plain groups (projects excluded) the filter selects; every user.
    Groups(GroupFilter),
    /// Memberships of the groups the filter selects, and only the users those memberships
    /// name (read by id) and the users whose login or email has the key of one of `identities`
    /// (see `users`). When an answer cannot be trusted or an identity is nobody's, every user
    /// is read instead, so `Live::users` is then complete.
    GroupsAndUsers {
        groups: GroupFilter,
        identities: Arc<[String]>,
        /// The names the policy gives the groups `groups` selects, as written: a hint only.
        /// A few are looked up by name first (`name[in]=`), so their memberships are read
        /// while every group still is; `groups` alone decides what is kept.
        group_names: Arc<[String]>,
    },
}

impl ReadScope {
    /// Memberships of the groups `select` picks.
    pub fn groups(select: impl Fn(&Group) -> bool + Send + Sync + 'static) -> ReadScope {
        ReadScope::Groups(Arc::new(select))
    }

    /// Memberships of the groups a policy manages, by the planner's own name rule: what `plan`
    /// and `apply` read.
    pub fn managed_by(managed: ManagedGroups) -> ReadScope {
        ReadScope::groups(move |g| managed.selects(g))
    }

    /// What a plan of `desired` reads: memberships of the groups it manages, and the users it
    /// needs ([`UsersNeeded`]: every user when an authoritative role or license can remove
    /// anyone). The planner gives the same plan on this as on a full read.
    pub fn for_plan(desired: &Desired) -> ReadScope {
        let managed = ManagedGroups::of(desired);
        let groups: GroupFilter = Arc::new(move |g| managed.selects(g));
        match UsersNeeded::of(desired) {
            UsersNeeded::All => ReadScope::Groups(groups),
            UsersNeeded::Named(names) => ReadScope::GroupsAndUsers {
                groups,
                identities: names.into(),
                group_names: group_names(desired).into(),
            },
        }
    }

    /// No memberships at all (users, groups and roles only).
    pub fn no_memberships() -> ReadScope {
        ReadScope::groups(|_| false)
    }
}

impl fmt::Debug for ReadScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadScope::Everything => f.write_str("Everything"),
            ReadScope::Groups(_) => f.write_str("Groups(<filter>)"),
            ReadScope::GroupsAndUsers { identities, .. } => {
                write!(
                    f,
                    "GroupsAndUsers(<filter>, {} identities)",
                    identities.len()
                )
            }
        }
    }
}

/// The group names `desired` manages or its separation-of-duties rules name, as written (the
/// hint of [`ReadScope::GroupsAndUsers`]).
fn group_names(desired: &Desired) -> Vec<String> {
    let rules = desired
        .sod_rules
        .iter()
        .flat_map(|r| r.sides.iter())
        .flat_map(|s| s.targets.iter())
        .filter(|(kind, _, _)| *kind == coupa_access_core::model::Kind::Group)
        .map(|(_, name, _)| name.to_string());
    let names: BTreeSet<String> = desired
        .groups
        .names()
        .map(str::to_string)
        .chain(rules)
        .collect();
    names.into_iter().collect()
}

/// The ids, ascending, of the plain groups (not projects) that `select` picks. A group record
/// that cannot be read is skipped here; the full conversion of the same list reports it.
pub(crate) fn group_ids_selected(groups: &[WireUserGroup], select: &GroupFilter) -> Vec<u64> {
    let ids: BTreeSet<u64> = groups
        .iter()
        .filter(|g| convert::is_plain_group(g))
        .filter_map(|g| convert::group(g.clone()).ok())
        .filter(|g| select(g))
        .map(|g| g.id)
        .collect();
    ids.into_iter().collect()
}

impl Client {
    /// Every membership of the groups `group_ids`, ascending by id: one keyset scan per chunk
    /// of [`GROUPS_PER_QUERY`] groups (`user_group_id[in]=…`), chunks read concurrently.
    /// Rows of other groups (a server ignoring the filter) are dropped, never trusted, and a
    /// chunk's answer is trusted only as far as it proves (see [`Client::memberships_of_chunk`]).
    pub(crate) async fn read_memberships_of(
        &self,
        group_ids: &[u64],
        fields: &str,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        let tally = Tally::new(Some("memberships"));
        let reads = group_ids.chunks(GROUPS_PER_QUERY).map(|chunk| {
            let chunk = chunk.to_vec();
            let (c, t, fields) = (self.clone(), tally.clone(), fields.to_string());
            async move { c.memberships_of_chunk(&chunk, &fields, t).await }
        });
        let mut all: Vec<WireMembership> = join_in_order(reads).await?.concat();
        all.sort_by_key(|m| m.id);
        unique_rows(all)
    }

    /// The memberships of one chunk of groups. A list answer can be short without looking
    /// wrong (a server that reads only the first value of `[in]` answers the other groups as
    /// empty), so every group it left empty is confirmed by a one-group read; if one of those
    /// finds rows, the list answer is proven incomplete and every group of the chunk is read on
    /// its own. A list query the server refuses (400 or 422: no `[in]` there) is read group by
    /// group too, instead of failing.
    async fn memberships_of_chunk(
        &self,
        chunk: &[u64],
        fields: &str,
        tally: Arc<Tally>,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        if let [one] = chunk {
            return self.one_group_rows(*one, fields, tally).await;
        }
        let ids: BTreeSet<u64> = chunk.iter().copied().collect();
        let list = chunk
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let q = Arc::new(Query::new(
            super::read::MEMBERSHIPS,
            &[("user_group_id[in]", list), ("fields", fields.to_string())],
        ));
        let rows: Vec<WireMembership> = match self.scan(q, tally.clone()).await {
            Ok(rows) => rows,
            Err(e) if refused_filter(&e) => {
                tracing::debug!(error = %e, "user_group_id[in] refused; reading each group on its own");
                return self.each_group_rows(chunk, fields, tally).await;
            }
            Err(e) => return Err(e),
        };
        let rows: Vec<WireMembership> = rows
            .into_iter()
            .filter(|m| m.user_group_id.is_some_and(|g| ids.contains(&g)))
            .collect();
        let answered: BTreeSet<u64> = rows.iter().filter_map(|m| m.user_group_id).collect();
        let empty: Vec<u64> = chunk
            .iter()
            .copied()
            .filter(|g| !answered.contains(g))
            .collect();
        if empty.is_empty() {
            return Ok(rows);
        }
        // Confirmations are not progress (they usually find nothing): no tally.
        let confirmed = self
            .each_group_rows(&empty, fields, Tally::new(None))
            .await?;
        let Some(wrong) = confirmed.iter().find_map(|m| m.user_group_id) else {
            return Ok(rows);
        };
        tracing::debug!(
            group_id = wrong,
            "user_group_id[in] left out a group's rows; reading each group on its own"
        );
        let rest: Vec<u64> = answered.into_iter().collect();
        let mut all = self.each_group_rows(&rest, fields, tally).await?;
        all.extend(confirmed);
        Ok(all)
    }

    /// The rows of each of `group_ids`, each group read on its own, concurrently.
    async fn each_group_rows(
        &self,
        group_ids: &[u64],
        fields: &str,
        tally: Arc<Tally>,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        let reads = group_ids.iter().map(|&g| {
            let (c, t, fields) = (self.clone(), tally.clone(), fields.to_string());
            async move { c.one_group_rows(g, &fields, t).await }
        });
        Ok(join_in_order(reads).await?.concat())
    }

    /// One group's rows (`user_group_id=…`); rows of other groups are dropped.
    async fn one_group_rows(
        &self,
        group_id: u64,
        fields: &str,
        tally: Arc<Tally>,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        let q = Arc::new(Query::new(
            super::read::MEMBERSHIPS,
            &[
                ("user_group_id", group_id.to_string()),
                ("fields", fields.to_string()),
            ],
        ));
        let rows: Vec<WireMembership> = self.scan(q, tally).await?;
        Ok(rows
            .into_iter()
            .filter(|m| m.user_group_id == Some(group_id))
            .collect())
    }
}

/// `rows` (ascending by id), refused when one membership was listed under two groups.
pub(crate) fn unique_rows(rows: Vec<WireMembership>) -> Result<Vec<WireMembership>, CoupaError> {
    if let Some(w) = rows.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(CoupaError::Decode {
            method: "GET".into(),
            path: super::read::MEMBERSHIPS.into(),
            detail: format!(
                "membership {} was listed under two different groups",
                w[0].id.unwrap_or_default()
            ),
        });
    }
    Ok(rows)
}

/// A list query the server refused as asked (400 or 422): a filter it does not support, to be
/// read another way rather than fail.
pub(crate) fn refused_filter(e: &CoupaError) -> bool {
    matches!(
        e,
        CoupaError::Rejected {
            status: 400 | 422,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: u64, name: &str, kind: Option<&str>) -> WireUserGroup {
        WireUserGroup {
            id: Some(id),
            name: Some(name.into()),
            kind: kind.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn the_filter_picks_plain_groups_only_and_ids_come_back_sorted() {
        let groups = [
            g(12, "AP Clerks", None),
            g(3, "Buyers", Some("")),
            g(7, "Launch", Some("Project")),
            g(9, "Approvers", None),
        ];
        let all: GroupFilter = Arc::new(|_| true);
        assert_eq!(group_ids_selected(&groups, &all), vec![3, 9, 12]);
        let some: GroupFilter = Arc::new(|g| g.name != "Approvers");
        assert_eq!(group_ids_selected(&groups, &some), vec![3, 12]);
        let ReadScope::Groups(none) = ReadScope::no_memberships() else {
            panic!("no_memberships is a group scope")
        };
        assert!(group_ids_selected(&groups, &none).is_empty());
    }
}
