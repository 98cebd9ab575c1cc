//! Memberships of a few managed groups read before every group is: their ids are looked up by
//! name (`name[in]=`, the policy's spellings) beside the full groups read, so the membership
//! pages and the groups pages share the limiter instead of waiting on each other.
//!
//! Only a hint. The lookup's answer is passed through the same filter as the full list, and
//! after the full read only the rows of groups the full list selects are kept; the selected
//! groups the lookup missed (another spelling, a server comparing otherwise) are read then. A
//! server that refuses the filter (400, 422) loses the hint, nothing more.

use std::collections::BTreeSet;

use super::read::{GROUPS, GROUP_FIELDS, MEMBERSHIP_FIELDS};
use super::scan::Query;
use super::scope::{self, GroupFilter, GROUPS_PER_QUERY};
use super::wire::{WireMembership, WireUserGroup};
use super::{Client, CoupaError};

/// Encoded bytes of the name list: the URL stays short, as in `users`.
const NAMES_BUDGET: usize = 2_000;

/// Groups read early, and their rows.
#[derive(Default)]
pub(crate) struct Early {
    ids: BTreeSet<u64>,
    rows: Vec<WireMembership>,
}

impl Early {
    /// The users the early rows name.
    pub(crate) fn members(&self) -> BTreeSet<u64> {
        self.rows.iter().filter_map(|m| m.user_id).collect()
    }
}

impl Client {
    /// The memberships of the groups `names` find that `select` picks, when there are few
    /// enough names for one list query (else none: a policy of many groups is read otherwise).
    pub(crate) async fn early_memberships(
        &self,
        select: &GroupFilter,
        names: &[String],
    ) -> Result<Early, CoupaError> {
        // A comma would split a name in `[in]`; such a group is simply read later.
        let names: Vec<&str> = names
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty() && !n.contains(','))
            .collect();
        let list = names.join(",");
        let encoded: usize = url::form_urlencoded::byte_serialize(list.as_bytes())
            .map(str::len)
            .sum();
        if names.is_empty() || names.len() > GROUPS_PER_QUERY || encoded > NAMES_BUDGET {
            return Ok(Early::default());
        }
        let q = Query::new(
            GROUPS,
            &[("name[in]", list), ("fields", GROUP_FIELDS.to_string())],
        );
        let page: Vec<WireUserGroup> = match self.get_json(&q.page(0, None)).await {
            Ok(page) => page,
            Err(e) if scope::refused_filter(&e) => {
                tracing::debug!(error = %e, "name[in] refused on groups; memberships wait for every group");
                return Ok(Early::default());
            }
            Err(e) => return Err(e),
        };
        // One page: a server ignoring the filter answers any 50 groups, of which only those
        // the filter picks are read early; anything missed is read later.
        let ids = scope::group_ids_selected(&page, select);
        if ids.is_empty() {
            return Ok(Early::default());
        }
        let rows = self.read_memberships_of(&ids, MEMBERSHIP_FIELDS).await?;
        Ok(Early {
            ids: ids.into_iter().collect(),
            rows,
        })
    }

    /// The rows of `selected` (every group's list read): the early rows of those groups, and
    /// the groups not read early, read now; ascending by id.
    pub(crate) async fn memberships_after(
        &self,
        selected: &[u64],
        early: Early,
    ) -> Result<Vec<WireMembership>, CoupaError> {
        let rest: Vec<u64> = selected
            .iter()
            .copied()
            .filter(|g| !early.ids.contains(g))
            .collect();
        if early.ids.is_empty() {
            return self.read_memberships_of(&rest, MEMBERSHIP_FIELDS).await;
        }
        let keep: BTreeSet<u64> = selected.iter().copied().collect();
        let mut all = self.read_memberships_of(&rest, MEMBERSHIP_FIELDS).await?;
        all.extend(
            early
                .rows
                .into_iter()
                .filter(|m| m.user_group_id.is_some_and(|g| keep.contains(&g))),
        );
        all.sort_by_key(|m| m.id);
        scope::unique_rows(all)
    }
}
