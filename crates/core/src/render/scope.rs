//! The line a `plan --changed-since` plan opens with: how many targets were planned of how many
//! managed, against which commit, and that drift elsewhere is not shown.

use crate::model::{Plan, Planned};
use crate::CliWords;

use super::thousands;

/// The scope line of a scoped plan; `None` for a full plan.
pub(crate) fn scope_line(plan: &Plan, cli: &CliWords) -> Option<String> {
    scope_line_with(plan, cli, &|s| s.to_string(), &|c| format!("`{c}`"))
}

/// [`scope_line`] with the ref shown by `text` and the commands by `code` (markdown escapes
/// the one and makes code spans of the other).
pub(crate) fn scope_line_with(
    plan: &Plan,
    cli: &CliWords,
    text: &dyn Fn(&str) -> String,
    code: &dyn Fn(&str) -> String,
) -> Option<String> {
    let s = plan.scope.as_ref()?;
    let managed = thousands(s.managed);
    let since = text(&s.since());
    Some(match &s.planned {
        Planned::Targets(t) => format!(
            "Planned {} of {managed} managed targets: those whose meaning changed since {since}. \
             Drift elsewhere is not shown: run {} or a full {}.",
            thousands(t.len()),
            code(&cli.drift),
            code(&cli.plan),
        ),
        Planned::EveryTarget(why) => format!(
            "Planned all {managed} managed targets ({} {since}: {}).",
            code(&cli.changed_since),
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
        .map(|t| format!("{} \"{}\"", t.kind.word(), t.target))
        .collect()
}
