//! The drift use case, the mirror of `plan::make`: check the policy against live Coupa with
//! the plan's listings (the same day decides time-bound grants), bind, compute the report and
//! stamp it with its time. The clock and the origin are the caller's.

use chrono::{DateTime, FixedOffset, Utc};

use crate::index::{Listings, LiveIndex};
use crate::model::{Desired, Live};
use crate::plan::PlanFailure;
use crate::policy::{self, PolicyDiagnostic};

use super::{drift_bound, DriftReport};

/// A drift report, and the policy check's warnings as diagnostics for showing with their
/// source.
#[derive(Debug)]
pub struct Drifted {
    pub report: DriftReport,
    pub diagnostics: Vec<PolicyDiagnostic>,
}

/// The drift report of `desired` against `live` at `now`, with memberships created since
/// `since` when given. Fails as a plan would: every name problem at once
/// ([`PlanFailure::Check`]), or the binding's refusal.
pub fn make(
    desired: &Desired,
    live: &Live,
    since: Option<DateTime<FixedOffset>>,
    now: DateTime<Utc>,
) -> Result<Drifted, PlanFailure> {
    // One index and one lookup per listing for the check and the binding, as for a plan.
    let ix = LiveIndex::new(live);
    let listings = Listings::new(desired, &ix).on(now.date_naive());
    let resolution = crate::bind::resolve(&listings);
    let check = policy::check_resolved(&listings, &resolution);
    if !check.errors.is_empty() {
        return Err(PlanFailure::Check {
            errors: check.errors,
            warnings: check.warnings,
        });
    }
    let bound = crate::bind::bind_resolved(&listings, resolution)?;
    let mut report = drift_bound(&bound, since);
    report.generated_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(Drifted {
        report,
        diagnostics: check.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Group, Live, Membership, PolicyFile, User};

    fn desired(yaml: &str) -> Desired {
        crate::policy::load_files(vec![PolicyFile {
            path: "p.yaml".into(),
            text: yaml.into(),
        }])
        .expect("loads")
    }

    fn live() -> Live {
        Live {
            users: vec![
                User::new(1, "ann", "ann@x.com"),
                User::new(2, "bob", "bob@x.com"),
            ],
            groups: vec![Group::new(10, "AP")],
            memberships: vec![Membership {
                id: 100,
                user_id: 2,
                group_id: 10,
                created_at: None,
                owner: false,
                participant: None,
            }],
            ..Live::default()
        }
    }

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T12:00:00Z").parse().expect("time")
    }

    #[test]
    fn every_unknown_name_is_reported_at_once_as_for_a_plan() {
        let d =
            desired("groups:\n  AP: { members: [nobody, ghost] }\n  Missing: { members: [ann] }\n");
        let Err(PlanFailure::Check { errors, .. }) = drift_make(&d) else {
            panic!("expected the check's errors");
        };
        assert_eq!(errors.len(), 3, "{errors:?}");
        let plan = crate::plan::make(
            &d,
            &live(),
            crate::model::Origin::Instance { domain: "x".into() },
            at("2026-01-01"),
            &crate::CliWords::for_tests(),
        );
        let Err(PlanFailure::Check {
            errors: planned, ..
        }) = plan
        else {
            panic!("the plan refuses too");
        };
        let words = |e: &[PolicyDiagnostic]| e.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(words(&errors), words(&planned));
    }

    fn drift_make(d: &Desired) -> Result<Drifted, PlanFailure> {
        make(d, &live(), None, at("2026-01-01"))
    }

    #[test]
    fn the_day_decides_expired_grants_in_check_and_report_alike() {
        let d = desired("groups:\n  AP:\n    members:\n      - { user: bob, until: 2026-01-31 }\n");
        let before = make(&d, &live(), None, at("2026-01-31")).expect("drift");
        assert_eq!(before.report.summary.applies(), 0);
        let after = make(&d, &live(), None, at("2026-02-01")).expect("drift");
        assert_eq!(
            after.report.summary.applies(),
            1,
            "bob's grant ended: one extra row"
        );
        assert_eq!(after.report.generated_at, "2026-02-01T12:00:00Z");
    }
}
