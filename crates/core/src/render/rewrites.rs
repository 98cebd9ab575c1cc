//! How a role removal is shown: Coupa removes a role only by clearing the user's roles and
//! setting the rest again, and a reviewer should see it as that.

use std::collections::BTreeSet;

use crate::model::{Action, GroupRemovals, Kind, Plan};

/// One line per user whose roles are cleared and set again, e.g.
/// `alice: roles cleared and set again: Buyer removed, User kept`.
pub(super) fn rewrite_lines(plan: &Plan) -> Vec<String> {
    plan.preconditions
        .role_rewrites
        .iter()
        .map(|(login, rw)| {
            let names = |action: Action| -> BTreeSet<&str> {
                plan.changes
                    .iter()
                    .filter(|c| {
                        c.applies
                            && c.kind() == Kind::Role
                            && c.user_id == rw.user_id
                            && c.action == action
                    })
                    .map(|c| c.target.name())
                    .collect()
            };
            let (removed, added) = (names(Action::Remove), names(Action::Add));
            let kept: Vec<&str> = rw
                .roles
                .iter()
                .map(String::as_str)
                .filter(|r| !removed.contains(r))
                .collect();
            let mut parts = vec![format!("{} removed", join(removed.iter().copied()))];
            if !added.is_empty() {
                parts.push(format!("{} added", join(added.iter().copied())));
            }
            if kept.is_empty() && added.is_empty() {
                parts.push("no role left".to_string());
            } else if !kept.is_empty() {
                parts.push(format!("{} kept", join(kept.into_iter())));
            }
            format!("{login}: roles cleared and set again: {}", parts.join(", "))
        })
        .collect()
}

fn join<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

/// Says how group removals are made when it is not DELETE (`settings.group_removals`).
pub(super) fn group_removal_note(plan: &Plan) -> Option<String> {
    let removes = plan
        .changes
        .iter()
        .any(|c| c.applies && c.kind() == Kind::Group && c.action == Action::Remove);
    (removes && plan.preconditions.group_removals == GroupRemovals::UserGroups).then(|| {
        "Group removals go through each user's user-groups (settings.group_removals: user_groups): cleared and set again under the journal, then read back. The user's other memberships are re-created, with new membership ids and dates.".to_string()
    })
}
