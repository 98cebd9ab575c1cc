//! Group removals on a tenant that refuses membership DELETE: after the first refusal, the
//! removals not made go through each user's `user-groups` instead — cleared and set again
//! under the journal, as connectors tested against real tenants do.

use std::collections::{BTreeMap, BTreeSet};

use super::execute::{WriteResult, Writes};
use super::journal::Journal;
use super::{users, Cancel};
use crate::{Client, UserList};
use coupa_access_core::model::{Action, Plan};

/// Redoes every applied group removal that did not succeed through DELETE; returns whether
/// any was attempted this way.
pub(super) async fn remove_through_users(
    plan: &Plan,
    writes: &mut Writes,
    client: &Client,
    journal: &Journal,
    cancel: &Cancel,
) -> bool {
    let mut by_user: BTreeMap<u64, (String, BTreeMap<u64, Vec<usize>>)> = BTreeMap::new();
    for (i, result) in &writes.results {
        let c = &plan.changes[*i];
        let (true, Action::Remove, Some(group_id)) = (c.applies, c.action, c.target.group_id())
        else {
            continue;
        };
        if *result == WriteResult::Ok {
            continue;
        }
        let entry = by_user.entry(c.user_id).or_default();
        entry.0.clone_from(&c.user);
        entry.1.entry(group_id).or_default().push(*i);
    }
    if by_user.is_empty() {
        return false;
    }
    let mut results: BTreeMap<usize, WriteResult> = BTreeMap::new();
    for (user_id, (login, groups)) in by_user {
        let indices: Vec<usize> = groups.values().flatten().copied().collect();
        let result = if cancel.is_cancelled() {
            WriteResult::Skipped(super::execute::INTERRUPTED.into())
        } else {
            let remove: BTreeSet<u64> = groups.keys().copied().collect();
            match kept_ownership(client, user_id, &remove).await {
                Err(why) => WriteResult::Failed(why),
                Ok(()) => match users::rewrite(
                    client,
                    journal,
                    user_id,
                    &login,
                    UserList::UserGroups,
                    &remove,
                    &BTreeSet::new(),
                )
                .await
                {
                    Ok(()) => WriteResult::Ok,
                    Err(why) => WriteResult::Failed(format!(
                        "membership DELETE refused; through the user's user-groups: {why}"
                    )),
                },
            }
        };
        for i in indices {
            results.insert(i, result.clone());
        }
    }
    for (i, r) in &mut writes.results {
        if let Some(new) = results.remove(i) {
            *r = new;
        }
    }
    true
}

/// Refuses a user who owns a group they keep: clearing `user-groups` would drop the owner row,
/// and setting it again makes a plain membership.
async fn kept_ownership(
    client: &Client,
    user_id: u64,
    remove: &BTreeSet<u64>,
) -> Result<(), String> {
    let rows = client
        .read_user_memberships(user_id)
        .await
        .map_err(|e| format!("could not read the user's memberships: {e}"))?;
    let owned: Vec<String> = rows
        .iter()
        .filter(|m| m.owner && !remove.contains(&m.group_id))
        .map(|m| m.group_id.to_string())
        .collect();
    if owned.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "membership DELETE refused, and removing through the user's user-groups would clear their owner rows of group(s) {}; remove the membership in the Coupa UI",
            owned.join(", ")
        ))
    }
}
