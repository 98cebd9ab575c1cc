//! Checks made before anything is written.

use std::collections::{BTreeMap, BTreeSet};

use super::ApplyError;
use crate::Client;
use coupa_access_core::model::{Membership, Plan};

/// Live memberships of the touched groups, read just before writing.
#[derive(Debug, Clone, Default)]
pub struct Fresh {
    /// (group id, user id) → membership ids (Coupa can hold duplicates).
    pub memberships: BTreeMap<(u64, u64), Vec<u64>>,
}

impl Fresh {
    /// Indexes memberships by (group, user).
    pub fn from_memberships<'a>(ms: impl IntoIterator<Item = &'a Membership>) -> Fresh {
        let mut memberships: BTreeMap<(u64, u64), Vec<u64>> = BTreeMap::new();
        for m in ms {
            memberships
                .entry((m.group_id, m.user_id))
                .or_default()
                .push(m.id);
        }
        Fresh { memberships }
    }
}

/// Every membership of `group_ids`, read fresh in batches (`user_group_id[in]=…`, chunks read
/// concurrently), so checking 60 touched groups costs a few requests, not 60.
pub(crate) async fn read_groups(
    client: &Client,
    group_ids: &BTreeSet<u64>,
) -> Result<Vec<Membership>, crate::CoupaError> {
    let ids: Vec<u64> = group_ids.iter().copied().collect();
    let rows = client
        .read_memberships_of(&ids, crate::read::MEMBERSHIP_FIELDS)
        .await?;
    rows.into_iter()
        .map(|w| {
            crate::convert::membership(w).map_err(|detail| crate::CoupaError::Decode {
                method: "GET".into(),
                path: crate::read::MEMBERSHIPS.into(),
                detail,
            })
        })
        .collect()
}

/// Refuses a plan made from a snapshot or for another instance, inconsistent, removing a
/// protected user, or stale (any touched group's live members changed since the plan was
/// made). Returns the fresh memberships of the touched groups.
pub async fn preflight(plan: &Plan, client: &Client) -> Result<Fresh, ApplyError> {
    coupa_access_core::plan::accept::check_static(plan, client.domain())?;
    let ids: BTreeSet<u64> = plan
        .preconditions
        .groups
        .values()
        .map(|pre| pre.group_id)
        .collect();
    let all = read_groups(client, &ids).await.map_err(ApplyError::Read)?;
    let mut by_group: BTreeMap<u64, Vec<u64>> = ids.iter().map(|&id| (id, Vec::new())).collect();
    for m in &all {
        by_group.entry(m.group_id).or_default().push(m.user_id);
    }
    let stale: Vec<String> = plan
        .preconditions
        .groups
        .iter()
        .filter(|(_, pre)| {
            let members = by_group.get(&pre.group_id).cloned().unwrap_or_default();
            coupa_access_core::plan::fingerprint(members) != pre.members_fingerprint
        })
        .map(|(name, _)| name.clone())
        .collect();
    if !stale.is_empty() {
        return Err(ApplyError::Stale { groups: stale });
    }
    Ok(Fresh::from_memberships(&all))
}
