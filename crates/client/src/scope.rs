//! Scoped reads: memberships of a few named groups instead of every membership, so `plan` on a
//! 100,000-user tenant reads only what its policies manage.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::convert;
use super::scan::{join_in_order, Query, Tally};
use super::wire::{WireMembership, WireUserGroup};
use super::{Client, CoupaError};

/// Group ids per membership query (`user_group_id[in]=1,2,…`): short enough for any URL limit.
pub(crate) const GROUPS_PER_QUERY: usize = 25;

/// Which memberships a live read fetches. Users, groups and roles are always read in full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReadScope {
    /// Every membership of every group.
    #[default]
    Everything,
    /// Only memberships of these groups, by name, matched case-insensitively against live
    /// group names (projects excluded). Unknown names are ignored here: the policy check
    /// reports them. An empty list reads no memberships at all.
    Groups(Vec<String>),
}

/// The ids, ascending, of the plain groups (not projects) whose name matches one of `names`
/// case-insensitively.
pub(crate) fn group_ids_named(groups: &[WireUserGroup], names: &[String]) -> Vec<u64> {
    let wanted: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let ids: BTreeSet<u64> = groups
        .iter()
        .filter(|g| convert::is_plain_group(g))
        .filter(|g| {
            g.name
                .as_deref()
                .is_some_and(|n| wanted.contains(&n.to_lowercase()))
        })
        .filter_map(|g| g.id)
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
    fn names_match_case_insensitively_and_skip_projects_and_unknowns() {
        let groups = [
            g(12, "AP Clerks", None),
            g(3, "Buyers", Some("")),
            g(7, "Launch", Some("Project")),
            g(9, "Approvers", None),
        ];
        let names = ["ap clerks", "BUYERS", "Launch", "Nobody", "AP CLERKS"].map(String::from);
        assert_eq!(group_ids_named(&groups, &names), vec![3, 12]);
        assert!(group_ids_named(&groups, &[]).is_empty());
    }
}
