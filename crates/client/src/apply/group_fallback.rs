//! Group removals on a tenant that refuses membership DELETE: after the first refusal, the
//! removals not made go through each user's `user-groups` instead — cleared and set again
//! under the journal, as connectors tested against real tenants do. Before a clear, the user's
//! `user-groups` view must show every group and project of their membership rows (read just
//! before); after the set, the rows — not the same view — must show what they keep. A failure
//! here is final: the read-back of the touched groups never turns it into "verified" (the user
//! may have lost other groups).

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
    journal: Option<&Journal>,
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
            let how = if writes.delete_refused.is_some() {
                "membership DELETE refused; through the user's user-groups"
            } else {
                "through the user's user-groups"
            };
            match through_user(client, journal, user_id, &login, &remove).await {
                Ok(recreated) => {
                    if !recreated.is_empty() {
                        writes.recreated.insert(user_id, recreated);
                    }
                    WriteResult::Ok
                }
                Err(why) => WriteResult::FailedFinal(format!("{how}: {why}")),
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

/// One user's group removals by clear-then-set of `user-groups`, checked against the rows.
/// Returns the ids of the memberships the set re-created (the user's other groups, with new
/// ids and dates), so receipts can tell them from new grants.
async fn through_user(
    client: &Client,
    journal: Option<&Journal>,
    user_id: u64,
    login: &str,
    remove: &BTreeSet<u64>,
) -> Result<Vec<u64>, String> {
    let rows = client
        .read_user_memberships(user_id)
        .await
        .map_err(|e| format!("could not read the user's memberships; nothing was written: {e}"))?;
    kept_ownership(&rows, remove)?;
    let fresh = client
        .read_user_access(user_id, true)
        .await
        .map_err(|e| format!("could not read the user's user-groups; nothing was written: {e}"))?;
    users::rewrite(
        client,
        journal,
        &fresh,
        login,
        UserList::UserGroups,
        remove,
        &BTreeSet::new(),
        &users::MustHold {
            ids: rows.iter().map(|m| m.group_id).collect(),
            source: "their membership rows",
        },
    )
    .await?;
    let now = client.read_user_memberships(user_id).await.map_err(|e| {
        format!("removed, but the re-created memberships could not be read to keep their participant flags: {e}")
    })?;
    keep_participation(client, &now, &rows, remove).await?;
    Ok(recreated(&rows, &now, remove))
}

/// The rows after the set that stand for a kept group under a new id.
fn recreated(
    before: &[coupa_access_core::model::Membership],
    now: &[coupa_access_core::model::Membership],
    remove: &BTreeSet<u64>,
) -> Vec<u64> {
    let old_ids: BTreeSet<u64> = before.iter().map(|m| m.id).collect();
    let kept: BTreeSet<u64> = before
        .iter()
        .map(|m| m.group_id)
        .filter(|g| !remove.contains(g))
        .collect();
    now.iter()
        .filter(|m| kept.contains(&m.group_id) && !old_ids.contains(&m.id))
        .map(|m| m.id)
        .collect()
}

/// Puts each kept membership's `participant` flag back as it was: the set re-created the rows
/// (`now`, read after it) with Coupa's default.
async fn keep_participation(
    client: &Client,
    now: &[coupa_access_core::model::Membership],
    before: &[coupa_access_core::model::Membership],
    remove: &BTreeSet<u64>,
) -> Result<(), String> {
    let was: std::collections::BTreeMap<u64, bool> = before
        .iter()
        .filter(|m| !remove.contains(&m.group_id))
        .filter_map(|m| Some((m.group_id, m.participant?)))
        .collect();
    if was.is_empty() {
        return Ok(());
    }
    let mut failed = Vec::new();
    for m in now {
        let Some(&p) = was.get(&m.group_id) else {
            continue;
        };
        if m.participant != Some(p) {
            if let Err(e) = client.set_membership_participant(m.id, p).await {
                failed.push(format!("group {} ({e})", m.group_id));
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "removed, but the re-created memberships lost their participant flag in {}",
            failed.join(", ")
        ))
    }
}

/// Refuses a user who owns a group they keep: clearing `user-groups` would drop the owner row,
/// and setting it again makes a plain membership.
fn kept_ownership(
    rows: &[coupa_access_core::model::Membership],
    remove: &BTreeSet<u64>,
) -> Result<(), String> {
    let owned: Vec<String> = rows
        .iter()
        .filter(|m| m.owner && !remove.contains(&m.group_id))
        .map(|m| m.group_id.to_string())
        .collect();
    if owned.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "removing through the user's user-groups would clear their owner rows of group(s) {}; nothing was written: remove the membership in the Coupa UI",
            owned.join(", ")
        ))
    }
}
