//! Reads back every touched group after the writes and decides each change's outcome.

use std::collections::{BTreeMap, BTreeSet};

use super::execute::{WriteResult, Writes};
use super::{ApplyReport, ChangeResult, Outcome};
use crate::Client;
use coupa_access_core::model::{Action, Membership, Plan};

/// `deleted`: the memberships each removal was to delete (see `execute::assign_deletions`).
pub(super) async fn read_back(
    plan: &Plan,
    mut writes: Writes,
    client: &Client,
    deleted: BTreeMap<usize, Vec<u64>>,
) -> ApplyReport {
    // (group, user) -> the membership ids read back.
    let mut present: BTreeMap<(u64, u64), Vec<u64>> = BTreeMap::new();
    let mut unreadable: BTreeSet<u64> = BTreeSet::new();
    let groups: BTreeSet<u64> = plan
        .changes
        .iter()
        .filter(|c| c.applies)
        .filter_map(|c| c.target.group_id())
        .collect();
    // One batched read; if it fails, each group alone, so one bad group does not leave every
    // change unverified.
    match super::preflight::read_groups(client, &groups).await {
        Ok(ms) => add_rows(&mut present, &ms),
        Err(e) => {
            tracing::warn!("could not read back the touched groups together: {e}");
            for group_id in groups {
                match client.read_group_memberships(group_id).await {
                    Ok(ms) => add_rows(&mut present, &ms),
                    Err(e) => {
                        tracing::warn!("could not read back group {group_id}: {e}");
                        unreadable.insert(group_id);
                    }
                }
            }
        }
    }
    let pairs: BTreeSet<(u64, u64)> = present.keys().copied().collect();
    let recreated = std::mem::take(&mut writes.recreated);
    let mut report = decide(plan, writes, &pairs, &unreadable, client.domain());
    report.recreated = recreated;
    report.membership_ids = membership_ids(plan, &present, deleted);
    report
}

fn add_rows(present: &mut BTreeMap<(u64, u64), Vec<u64>>, rows: &[Membership]) {
    for m in rows {
        present
            .entry((m.group_id, m.user_id))
            .or_default()
            .push(m.id);
    }
}

/// For each group change: the memberships an addition created (as read back), the ones a
/// removal was to delete.
fn membership_ids(
    plan: &Plan,
    present: &BTreeMap<(u64, u64), Vec<u64>>,
    mut deleted: BTreeMap<usize, Vec<u64>>,
) -> BTreeMap<usize, Vec<u64>> {
    let mut out = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let Some(group_id) = c.target.group_id().filter(|_| c.applies) else {
            continue;
        };
        let ids = match c.action {
            Action::Add => present
                .get(&(group_id, c.user_id))
                .cloned()
                .unwrap_or_default(),
            Action::Remove => deleted.remove(&i).unwrap_or_default(),
        };
        if !ids.is_empty() {
            out.insert(i, ids);
        }
    }
    out
}

/// Pure: combines write results with the read-back.
pub(super) fn decide(
    plan: &Plan,
    writes: Writes,
    present: &BTreeSet<(u64, u64)>,
    unreadable: &BTreeSet<u64>,
    domain: &str,
) -> ApplyReport {
    let mut by_index: std::collections::BTreeMap<usize, WriteResult> =
        writes.results.into_iter().collect();
    let results = plan
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let group_id = c.target.group_id().filter(|_| c.applies);
            let outcome = if let Some(group_id) = group_id {
                let want_present = c.action == Action::Add;
                let is_present = present.contains(&(group_id, c.user_id));
                match by_index.remove(&i) {
                    None => Outcome::Skipped("not attempted".into()),
                    Some(WriteResult::Skipped(why)) => Outcome::Skipped(why),
                    Some(WriteResult::FailedFinal(why)) => Outcome::Failed(why),
                    Some(WriteResult::Failed(why)) => {
                        if !unreadable.contains(&group_id) && is_present == want_present {
                            // The write reported an error but Coupa shows the desired state.
                            Outcome::Verified
                        } else {
                            Outcome::Failed(why)
                        }
                    }
                    Some(WriteResult::Ok) if unreadable.contains(&group_id) => Outcome::Failed(
                        "written, but the group could not be read back to verify".into(),
                    ),
                    Some(WriteResult::Ok) if is_present == want_present => Outcome::Verified,
                    Some(WriteResult::Ok) => Outcome::Failed(if want_present {
                        "Coupa accepted the write but the user is not a member when read back"
                            .into()
                    } else {
                        "Coupa accepted the deletion but the user is still a member when read back"
                            .into()
                    }),
                }
            } else if c.applies {
                // A role or license change: the user writes that follow decide its outcome.
                // Until they do it was not attempted, and it is counted as such, never dropped.
                Outcome::Skipped("not attempted".into())
            } else {
                Outcome::ReportedOnly
            };
            ChangeResult {
                change: c.clone(),
                outcome,
            }
        })
        .collect();
    ApplyReport {
        domain: domain.to_string(),
        results,
        delete_refused: writes.delete_refused,
        ..ApplyReport::default()
    }
}
