//! Issues the membership writes: additions first (granting before revoking), then removals,
//! each with bounded concurrency. A refused DELETE stops further removals.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{ApplyOptions, Fresh};
use crate::Client;
use coupa_access_core::model::{Action, GroupRemovals, Plan};

/// The result of the write for change `index` of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WriteResult {
    Ok,
    Failed(String),
    /// A failure the read-back of the group must not overrule: the write may have cost the
    /// user other access (a clear-then-set of `user-groups`).
    FailedFinal(String),
    Skipped(String),
}

/// What the writes did, by plan change index, and whether the tenant refused a DELETE.
#[derive(Debug, Default)]
pub(super) struct Writes {
    pub results: Vec<(usize, WriteResult)>,
    pub delete_refused: Option<String>,
    /// By user id: memberships a clear-then-set of `user-groups` re-created with new ids.
    pub recreated: BTreeMap<u64, Vec<u64>>,
}

/// Which live memberships each removal deletes. Coupa can hold a user twice in a group; the
/// planner then makes one removal per membership. Each removal deletes its own membership if it
/// still exists; memberships no removal names (e.g. a duplicate created since the plan) go to
/// the first removal of that user and group, so the user really leaves and nothing is deleted
/// twice.
pub(super) fn assign_deletions(plan: &Plan, fresh: &Fresh) -> BTreeMap<usize, Vec<u64>> {
    let mut by_key: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        if let (true, Action::Remove, Some(group_id)) = (c.applies, c.action, c.target.group_id()) {
            by_key.entry((group_id, c.user_id)).or_default().push(i);
        }
    }
    let mut out = BTreeMap::new();
    for (key, indices) in by_key {
        let mut live_ids: Vec<u64> = fresh.memberships.get(&key).cloned().unwrap_or_default();
        for &i in &indices {
            let own = plan.changes[i]
                .membership_id
                .and_then(|id| live_ids.iter().position(|&x| x == id))
                .map(|pos| live_ids.remove(pos));
            out.insert(i, own.into_iter().collect::<Vec<u64>>());
        }
        if let Some(first) = out.get_mut(&indices[0]) {
            first.extend(live_ids);
        }
    }
    out
}

/// A removal left to the user-groups path (`settings.group_removals: user_groups`).
pub(super) const THROUGH_USERS: &str =
    "not attempted: removed through the user's user-groups instead";

/// Why a change was not attempted after a cancel.
pub(super) const INTERRUPTED: &str = "not attempted: apply was interrupted";

/// Writes additions, then removals. A task is spawned only once it holds a permit, so at most
/// `concurrency` tasks exist at once however long the plan. After a cancel no new write is
/// issued; writes in flight get `opts.grace` to finish, then are abandoned (the read-back
/// decides whether they happened).
pub(super) async fn write_all(
    plan: &Plan,
    fresh: &Fresh,
    client: &Client,
    opts: &ApplyOptions,
) -> Writes {
    let concurrency = opts.concurrency.max(1);
    let deletions = assign_deletions(plan, fresh);
    let mut writes = Writes::default();
    let refused: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let stop_removals = Arc::new(AtomicBool::new(false));
    let cancel = &opts.cancel;
    for action in [Action::Add, Action::Remove] {
        let semaphore = Arc::new(Semaphore::new(concurrency));
        let mut tasks: JoinSet<(usize, WriteResult)> = JoinSet::new();
        let mut in_flight: BTreeSet<usize> = BTreeSet::new();
        let finish =
            |r: (usize, WriteResult), writes: &mut Writes, in_flight: &mut BTreeSet<usize>| {
                in_flight.remove(&r.0);
                writes.results.push(r);
                if let Some(progress) = &opts.progress {
                    progress(writes.results.len());
                }
            };
        for (index, change) in plan.changes.iter().enumerate() {
            // Only group changes are written (preflight refused any other marked as applied).
            let (true, Some(group_id)) = (change.applies, change.target.group_id()) else {
                continue;
            };
            if change.action != action {
                continue;
            }
            let permit = if cancel.is_cancelled() {
                None
            } else {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => None,
                    p = semaphore.clone().acquire_owned() => p.ok(),
                }
            };
            // `settings.group_removals: user_groups`: no DELETE; removed through the user.
            if action == Action::Remove
                && plan.preconditions.group_removals == GroupRemovals::UserGroups
            {
                drop(permit);
                writes
                    .results
                    .push((index, WriteResult::Skipped(THROUGH_USERS.into())));
                continue;
            }
            let Some(permit) = permit else {
                writes
                    .results
                    .push((index, WriteResult::Skipped(INTERRUPTED.into())));
                continue;
            };
            // Collect what already finished, so results and progress keep up.
            while let Some(joined) = tasks.try_join_next() {
                match joined {
                    Ok(r) => finish(r, &mut writes, &mut in_flight),
                    Err(e) => tracing::error!("a write task failed: {e}"),
                }
            }
            // A result just collected (its progress callback) may have cancelled.
            if cancel.is_cancelled() {
                drop(permit);
                writes
                    .results
                    .push((index, WriteResult::Skipped(INTERRUPTED.into())));
                continue;
            }
            let key = (group_id, change.user_id);
            let client = client.clone();
            let stop_removals = stop_removals.clone();
            let refused = refused.clone();
            let membership_ids = deletions.get(&index).cloned().unwrap_or_default();
            in_flight.insert(index);
            tasks.spawn(async move {
                let _permit = permit;
                let result = match action {
                    Action::Add => match client.create_membership(key.1, key.0).await {
                        Ok(_) => WriteResult::Ok,
                        Err(e) => WriteResult::Failed(e.to_string()),
                    },
                    Action::Remove => {
                        remove(&client, &membership_ids, &stop_removals, &refused).await
                    }
                };
                (index, result)
            });
        }
        // Drain; once cancelled, in-flight writes get the grace period and no more.
        let deadline = async {
            cancel.cancelled().await;
            tokio::time::sleep(opts.grace).await;
        };
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = tasks.join_next() => match joined {
                    Some(Ok(r)) => finish(r, &mut writes, &mut in_flight),
                    Some(Err(e)) => tracing::error!("a write task failed: {e}"),
                    None => break,
                },
                () = &mut deadline => {
                    tasks.abort_all();
                    for index in std::mem::take(&mut in_flight) {
                        writes.results.push((index, WriteResult::Failed(
                            "interrupted while in flight: Coupa did not answer in time".into(),
                        )));
                    }
                    break;
                }
            }
        }
    }
    writes.results.sort_by_key(|(i, _)| *i);
    writes.delete_refused = refused.lock().unwrap_or_else(|e| e.into_inner()).take();
    writes
}

/// Deletes the memberships assigned to one removal (see [`assign_deletions`]).
async fn remove(
    client: &Client,
    membership_ids: &[u64],
    stop: &AtomicBool,
    refused: &Mutex<Option<String>>,
) -> WriteResult {
    if membership_ids.is_empty() {
        // Already absent: the read-back will verify it.
        return WriteResult::Ok;
    }
    for id in membership_ids {
        if stop.load(Ordering::SeqCst) {
            return WriteResult::Skipped(
                "not attempted: this instance refused an earlier membership deletion".into(),
            );
        }
        if let Err(e) = client.delete_membership(*id).await {
            if e.is_delete_refused() {
                stop.store(true, Ordering::SeqCst);
                let mut slot = refused.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert_with(|| e.to_string());
            }
            return WriteResult::Failed(e.to_string());
        }
    }
    WriteResult::Ok
}
