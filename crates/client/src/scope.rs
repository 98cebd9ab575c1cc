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
    /// Rows of other groups (a server ignoring the filter) are dropped, never trusted.
    pub(crate) async fn read_memberships_of(
        &self,
        group_ids: &[u64],
        fields: &str,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        let tally = Tally::new(Some("memberships"));
        let reads = group_ids.chunks(GROUPS_PER_QUERY).map(|chunk| {
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
            let (c, t) = (self.clone(), tally.clone());
            async move {
                let rows: Vec<WireMembership> = c.scan(q, t).await?;
                Ok(rows
                    .into_iter()
                    .filter(|m| m.user_group_id.is_some_and(|g| ids.contains(&g)))
                    .collect::<Vec<_>>())
            }
        });
        let mut all: Vec<WireMembership> = join_in_order(reads).await?.concat();
        all.sort_by_key(|m| m.id);
        if let Some(w) = all.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(CoupaError::Decode {
                method: "GET".into(),
                path: super::read::MEMBERSHIPS.into(),
                detail: format!(
                    "membership {} was listed under two different groups",
                    w[0].id.unwrap_or_default()
                ),
            });
        }
        Ok(all)
    }
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
