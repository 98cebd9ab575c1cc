//! The plan use case: check the policy against live Coupa, diff, run the removal guards, stamp
//! the result with its origin and time. The clock is the caller's.

use chrono::{DateTime, SubsecRound, Utc};

use crate::model::{
    acknowledged_apart, dedupe_warnings, Desired, Live, Origin, Plan, SourcePos, Warning,
    WarningCode,
};
use crate::policy::{self, PolicyDiagnostic};
use crate::CliWords;

use super::{check_guards, PlanError};

/// A plan, and the policy check's warnings as diagnostics for showing with their source (the
/// same facts are in `plan.warnings` as typed values).
#[derive(Debug)]
pub struct Planned {
    pub plan: Plan,
    pub diagnostics: Vec<PolicyDiagnostic>,
    /// The live roles and groups the plan decides, from the binding it was made from (what a
    /// journal restore must leave alone).
    pub decided: super::Decided,
}

/// Why no plan was made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanFailure {
    /// Names in the policy do not resolve against live Coupa; every problem is here.
    #[error("{} problem(s) in the policy files when checked against Coupa", .errors.len())]
    Check {
        #[related]
        errors: Vec<PolicyDiagnostic>,
        /// The check's warnings, to show before the errors.
        warnings: Vec<PolicyDiagnostic>,
    },
    /// The plan would create separation-of-duties conflicts without a valid exception; each
    /// error names the rule, the person, what they would hold and the policy lines.
    #[error("plan refused: it would create {} separation-of-duties conflict(s)", .errors.len())]
    Sod {
        #[related]
        errors: Vec<PolicyDiagnostic>,
        /// The plan's other warnings, as diagnostics from the check.
        warnings: Vec<PolicyDiagnostic>,
    },
    /// The planner refused (a safety net behind the check, e.g. incomplete live data).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Makes the plan for `desired` against `live`, read from `origin`, at `now` (kept to the
/// second, as the plan JSON writes it). `cli` spells the flag a tripped guard's advice names.
///
/// Warnings come one per fact: the planner's first, then the policy check's, then a tripped
/// removal guard's (the plan is still made, so reviewers see that apply will refuse it).
pub fn make(
    desired: &Desired,
    live: &Live,
    origin: Origin,
    now: DateTime<Utc>,
    cli: &CliWords,
) -> Result<Planned, PlanFailure> {
    // One index for the check and the diff: built once per plan (100k users).
    // One index and one lookup per member listing for the check and the diff (100k users).
    let ix = crate::index::LiveIndex::new(live);
    let listings = crate::index::Listings::new(desired, &ix).on(now.date_naive());
    let resolution = crate::bind::resolve(&listings);
    let report = policy::check_resolved(&listings, &resolution);
    if !report.errors.is_empty() {
        return Err(PlanFailure::Check {
            errors: report.errors,
            warnings: report.warnings,
        });
    }
    let bound = crate::bind::bind_resolved(&listings, resolution)?;
    let diff = super::diff_bound(&bound);
    let sod = super::sod::judge(&bound, &diff.changes, now.date_naive());
    if !sod.refusals.is_empty() {
        return Err(PlanFailure::Sod {
            errors: sod.refusals,
            warnings: report.warnings,
        });
    }
    let mut plan = Plan {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        origin,
        generated_at: now.trunc_subsecs(0),
        policy_digest: desired.policy_digest.clone(),
        changes: diff.changes,
        summary: diff.summary,
        warnings: Vec::new(),
        preconditions: diff.preconditions,
        restores: Vec::new(),
        scope: None,
        acknowledged: Vec::new(),
    };
    let mut warnings = diff.warnings;
    warnings.extend(sod.warnings);
    warnings.extend(report.plan_warnings);
    if let Err(violation) = check_guards(&plan, &desired.settings, None) {
        let written = &desired.settings.max_removals_at;
        let at = if violation.total_limit.is_some() {
            written.total
        } else {
            written.per_group_fraction
        };
        let at = at.and_then(|loc| SourcePos::locate(&desired.files, loc));
        // One line (every reason), so it reads the same in text, markdown and CI annotations.
        warnings.push(
            Warning::new(
                WarningCode::GuardExceeded,
                format!(
                    "apply will refuse this plan: {}",
                    violation.reasons(cli).join("; ")
                ),
            )
            .help(violation.advice(cli))
            .at(at),
        );
    }
    let login_of = |identity: &str| match ix.user(identity) {
        crate::index::UserMatch::One(u) => Some(u.login.to_string()),
        _ => None,
    };
    (plan.warnings, plan.acknowledged) = acknowledged_apart(
        dedupe_warnings(warnings),
        &desired.settings.acknowledge,
        &login_of,
    );
    Ok(Planned {
        plan,
        diagnostics: report.warnings,
        decided: super::Decided::from_bound(&bound),
    })
}
