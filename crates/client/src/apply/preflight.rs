//! Checks made before anything is written.

use std::collections::{BTreeMap, BTreeSet};

use super::ApplyError;
use crate::Client;
use coupa_access_core::model::{Action, ChangeTarget, Membership, Plan};

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

/// Refuses a plan made from a snapshot or for another instance, inconsistent, removing a
/// protected user, or stale (the plan file's version was checked when it was read). Returns the fresh memberships of the touched groups.
pub async fn preflight(plan: &Plan, client: &Client) -> Result<Fresh, ApplyError> {
    check_static(plan, client.domain())?;
    let mut stale = Vec::new();
    let mut all = Vec::new();
    for (name, pre) in &plan.preconditions.groups {
        let members = client
            .read_group_memberships(pre.group_id)
            .await
            .map_err(ApplyError::Read)?;
        let fp = coupa_access_core::plan::fingerprint(members.iter().map(|m| m.user_id));
        if fp != pre.members_fingerprint {
            stale.push(name.clone());
        }
        all.extend(members);
    }
    if !stale.is_empty() {
        return Err(ApplyError::Stale { groups: stale });
    }
    Ok(Fresh::from_memberships(&all))
}

/// The checks that need no network: made against this instance, every written change backed
/// by a precondition, no protected user removed.
pub fn check_static(plan: &Plan, client_domain: &str) -> Result<(), ApplyError> {
    let Some(plan_domain) = plan.origin.instance_domain() else {
        return Err(ApplyError::NotFromInstance {
            origin: plan.origin.to_string(),
        });
    };
    if !plan_domain.eq_ignore_ascii_case(client_domain) {
        return Err(ApplyError::WrongInstance {
            plan_domain: plan_domain.to_string(),
            client_domain: client_domain.to_string(),
        });
    }
    let protected: BTreeSet<u64> = plan
        .preconditions
        .protected_user_ids
        .iter()
        .copied()
        .collect();
    let mut removes_protected = Vec::new();
    for c in plan.changes.iter().filter(|c| c.applies) {
        let ChangeTarget::Group { id, name } = &c.target else {
            return Err(ApplyError::Malformed(format!(
                "a change to {} is marked as applied, but only group changes are written",
                c.target.describe()
            )));
        };
        match plan.preconditions.groups.get(name) {
            Some(pre) if pre.group_id == *id => {}
            _ => {
                return Err(ApplyError::Malformed(format!(
                    "group {name} (id {id}) has no recorded live members to check against"
                )))
            }
        }
        if c.action == Action::Remove && protected.contains(&c.user_id) {
            removes_protected.push(format!("{} from {name}", c.user));
        }
    }
    if !removes_protected.is_empty() {
        return Err(ApplyError::RemovesProtected {
            users: removes_protected,
        });
    }
    Ok(())
}
