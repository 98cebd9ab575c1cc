//! Full reads (every user, group and membership) through the path `--read-path` chooses, and
//! the narrow REST reads that replace the GraphQL path's placeholder membership rows with
//! Coupa's own (ids, dates, repeats) for the rows a report shows. `drift`, `export` and plans
//! that read everything come through here; `snapshot` and `apply` read REST.

use coupa_access_client::{Client, FullRead, ReadScope};
use coupa_access_core::drift::DriftReport;
use coupa_access_core::model::{Action, Plan, ReadVia};

use super::common;
use super::Output;

/// Reads everything (see `Client::read_live_full`), with progress as `common::read_live` shows
/// it; the path taken is logged at debug level.
pub async fn read(client: &mut Client, out: Output) -> miette::Result<FullRead> {
    read_or(client, &ReadScope::Everything, out).await
}

/// As [`read`], reading only what `fallback` selects when REST is read (a plan's scope).
pub async fn read_or(
    client: &mut Client,
    fallback: &ReadScope,
    out: Output,
) -> miette::Result<FullRead> {
    let bar = common::start_progress(client, out);
    let read = client.read_live_full_or(fallback).await;
    let read = common::read_done(bar, client.domain(), read)?;
    match (&read.taken.via, &read.taken.reason) {
        (ReadVia::Graphql, _) => tracing::debug!("read live state through GraphQL"),
        (ReadVia::Rest, Some(why)) => {
            tracing::debug!(reason = %why, "read live state through REST")
        }
        (ReadVia::Rest, None) => tracing::debug!("read live state through REST"),
    }
    Ok(read)
}

/// Membership ids a drift report shows.
pub fn drift_ids(report: &DriftReport) -> Vec<u64> {
    report
        .targets
        .iter()
        .flat_map(|t| t.extra.iter().chain(&t.missing))
        .flat_map(|r| r.membership_ids.iter().copied())
        .collect()
}

/// Membership ids a plan shows (its removals).
pub fn plan_ids(plan: &Plan) -> Vec<u64> {
    plan.changes
        .iter()
        .filter(|c| c.action == Action::Remove)
        .filter_map(|c| c.membership_id)
        .collect()
}

/// Reads by REST the rows behind the placeholders among `shown`; true when any was read (the
/// report must then be made again).
pub async fn complete(
    client: &Client,
    read: &mut FullRead,
    shown: Vec<u64>,
) -> miette::Result<bool> {
    let pairs = read.placeholder_pairs(shown);
    if pairs.is_empty() {
        return Ok(false);
    }
    tracing::debug!(
        rows = pairs.len(),
        "reading the memberships the report shows by REST"
    );
    client
        .complete_rows(read, &pairs)
        .await
        .map_err(crate::errors::report)?;
    Ok(true)
}

/// Refuses a report that still shows a placeholder id (never expected: `complete` replaced
/// them), so a made-up id can never reach a plan file or a report.
pub fn none_left(read: &FullRead, shown: Vec<u64>) -> miette::Result<()> {
    match shown.into_iter().find(|id| read.is_placeholder(*id)) {
        Some(id) => miette::bail!(
            help = "run again with --read-path rest, and report this",
            "internal error: membership placeholder {id} was left in the report"
        ),
        None => Ok(()),
    }
}
