//! Executes a plan's applied changes through the Coupa client — group memberships, then roles
//! and licenses through the user update — reads back what it wrote and reports each change as
//! verified, failed, skipped or kept by Coupa.
//!
//! Order of work: refuse a plan made for another instance or one that is stale (any touched
//! group's live members changed since the plan); write additions, then removals, with bounded
//! concurrency under the client's shared rate limiter; stop issuing removals at the first refusal
//! of a DELETE, then (after a refusal) remove through the users' `user-groups`; read back and
//! verify; then each user's roles and licenses (`users`), removals of roles by clear-then-set
//! under the `journal`. Restores from the journal (`restores`) are part of the plan and written
//! first.

mod cancel;
mod execute;
mod group_fallback;
pub mod journal;
mod outcome;
pub mod preflight;
pub mod restores;
mod users;
mod verify;

#[cfg(test)]
mod tests;

pub use cancel::{cancel_pair, Cancel, CancelHandle};
pub use coupa_access_core::plan::accept::{
    check_static, compare, Acceptance, PlanMismatch, PlanRefused, Refusal,
};
pub use journal::{Journal, JournalError, JournalKey, Loaded};
pub use outcome::{ApplyReport, ChangeResult, Outcome};
pub use preflight::{preflight, Fresh};
pub use restores::{assess, close_settled, Assessment};

use crate::Client;
use coupa_access_core::model::{GroupRemovals, Plan};

/// Why apply refused to start. Nothing has been written when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Not a plan for this instance, or not one apply can write (the core's static checks).
    #[error(transparent)]
    Refused(#[from] PlanRefused),
    /// The binary adds how to make a new plan.
    #[error("the plan is stale: the live members of {} changed since it was made; nothing was written", .groups.join(", "))]
    Stale { groups: Vec<String> },
    #[error("could not read the touched groups from Coupa before writing; nothing was written")]
    Read(#[source] crate::CoupaError),
}

/// Called after each write with the number of writes finished so far.
pub type WriteProgress = std::sync::Arc<dyn Fn(usize) + Send + Sync>;

/// Options for [`run`].
#[derive(Clone)]
pub struct ApplyOptions {
    /// Writes in flight at once.
    pub concurrency: usize,
    /// Progress callback (the binary draws a bar; the library never prints).
    pub progress: Option<WriteProgress>,
    /// Once cancelled, no new write is issued (see [`Cancel`]).
    pub cancel: Cancel,
    /// How long writes in flight may take to finish after a cancel.
    pub grace: std::time::Duration,
    /// The clear-then-set journal (role removals, group removals through `user-groups`),
    /// open and locked. Without one, a change that needs a clear-then-set fails unwritten.
    pub journal: Option<std::sync::Arc<Journal>>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 4,
            progress: None,
            cancel: Cancel::never(),
            grace: std::time::Duration::from_secs(30),
            journal: None,
        }
    }
}

/// Applies a plan: preflight (instance, staleness), writes, read-back verification.
/// Returns `Err` only when nothing was written; otherwise every change has an outcome.
pub async fn run(
    plan: &Plan,
    client: &Client,
    opts: ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let fresh = preflight(plan, client).await?;
    let journal = opts.journal.as_deref();
    // What an interrupted apply took away comes back first: the plan was made with it missing.
    let restored = match journal {
        Some(j) => restores::write(&plan.restores, client, j).await,
        None if plan.restores.is_empty() => Vec::new(),
        None => plan
            .restores
            .iter()
            .map(|_| Outcome::Failed("no journal is open, so nothing was restored".into()))
            .collect(),
    };
    let mut writes = execute::write_all(plan, &fresh, client, &opts).await;
    // Through the user only with the scope to update users; otherwise a refusal is reported.
    let through_users = (writes.delete_refused.is_some()
        || plan.preconditions.group_removals == GroupRemovals::UserGroups)
        && client.access() == crate::Access::ReadWriteUsers
        && group_fallback::remove_through_users(plan, &mut writes, client, journal, &opts.cancel)
            .await;
    let deleted = execute::assign_deletions(plan, &fresh);
    let mut report = verify::read_back(plan, writes, client, deleted).await;
    report.removed_through_users = through_users;
    let user_outcomes = users::write_roles_and_licenses(plan, client, journal, &opts.cancel).await;
    for (i, outcome) in user_outcomes {
        if let Some(r) = report.results.get_mut(i) {
            r.outcome = outcome;
        }
    }
    report.restores = plan.restores.iter().cloned().zip(restored).collect();
    report.interrupted = opts.cancel.is_cancelled();
    Ok(report)
}
