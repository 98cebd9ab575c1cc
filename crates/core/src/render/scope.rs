//! The line a `plan --changed-since` plan opens with: how many targets were planned of how many
//! managed, against which commit, and that drift elsewhere is not shown.

use crate::model::{Plan, Planned};

use super::thousands;

/// The scope line of a scoped plan; `None` for a full plan.
pub(crate) fn scope_line(plan: &Plan) -> Option<String> {
    let s = plan.scope.as_ref()?;
    let managed = thousands(s.managed);
    Some(match &s.planned {
        Planned::Targets(t) => format!(
            "Planned {} of {managed} managed targets: those whose meaning changed since {}. \
             Drift elsewhere is not shown: run `coupa-access drift` or a full `coupa-access plan`.",
            thousands(t.len()),
            s.since()
        ),
        Planned::EveryTarget(why) => format!(
            "Planned all {managed} managed targets (--changed-since {}: {}).",
            s.since(),
            why.why()
        ),
    })
}

/// The planned targets of a scoped plan, by kind and name (`group "AP Clerks"`), for the
/// list under the scope line; empty for a full plan.
pub(crate) fn scope_targets(plan: &Plan) -> Vec<String> {
    let Some(targets) = plan.scope.as_ref().and_then(|s| s.targets()) else {
        return Vec::new();
    };
    targets
        .iter()
        .map(|t| format!("{} \"{}\"", crate::plan::kind_word(t.kind), t.target))
        .collect()
}
