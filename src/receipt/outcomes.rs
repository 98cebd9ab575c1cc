//! An apply report's outcomes, as the receipt records them.

use coupa_access_client::apply::{ApplyReport, Outcome};
use coupa_access_core::evidence::{ChangeOutcome, Receipt, Recreated, Status};

/// Each change's outcome and memberships, the restores, the counts and the run's status.
pub fn record(r: &mut Receipt, report: &ApplyReport) {
    for (i, (change, result)) in r.changes.iter_mut().zip(&report.results).enumerate() {
        (change.outcome, change.message) = outcome(&result.outcome);
        if let Some(ids) = report.membership_ids.get(&i) {
            change.membership_ids = ids.clone();
        }
    }
    for (restore, (_, o)) in r.restores.iter_mut().zip(&report.restores) {
        (restore.outcome, restore.message) = outcome(o);
    }
    r.recreated_memberships = report
        .recreated
        .iter()
        .map(|(&user_id, ids)| Recreated {
            user: r
                .changes
                .iter()
                .find(|c| c.user_id == user_id)
                .map(|c| c.user.clone())
                .unwrap_or_default(),
            user_id,
            membership_ids: ids.clone(),
        })
        .collect();
    r.count();
    r.status = if report.interrupted {
        Status::Interrupted
    } else if report.is_success() {
        Status::Applied
    } else {
        Status::Failed
    };
}

fn outcome(o: &Outcome) -> (ChangeOutcome, Option<String>) {
    match o {
        Outcome::Verified => (ChangeOutcome::Verified, None),
        Outcome::Failed(why) => (ChangeOutcome::Failed, Some(why.clone())),
        Outcome::Skipped(why) => (ChangeOutcome::Skipped, Some(why.clone())),
        Outcome::Kept(why) => (ChangeOutcome::Kept, Some(why.clone())),
        Outcome::ReportedOnly => (ChangeOutcome::ReportedOnly, None),
    }
}
