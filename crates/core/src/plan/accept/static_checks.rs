//! The checks of a plan alone, before anything else is compared or read: made against this
//! instance, every written change backed by a precondition, no protected user removed.

use std::collections::BTreeSet;

use crate::model::{Action, ChangeTarget, Kind, Plan};

/// Why a plan cannot be applied to this instance as it is. Nothing has been written.
#[derive(Debug, thiserror::Error)]
pub enum PlanRefused {
    #[error("this plan was made for {plan_domain}, not {client_domain}; make a new plan for this instance")]
    WrongInstance {
        plan_domain: String,
        client_domain: String,
    },
    #[error("this plan was made from {origin}, not against a Coupa instance, so it cannot be applied; make a new plan against the instance")]
    NotFromInstance { origin: String },
    #[error("the plan is inconsistent: {0}; nothing was written")]
    Malformed(String),
    #[error("the plan removes protected user(s) {}; nothing was written", .users.join(", "))]
    RemovesProtected { users: Vec<String> },
}

/// The checks that need no network: made against this instance, every written change backed
/// by a precondition, no protected user removed.
pub fn check_static(plan: &Plan, client_domain: &str) -> Result<(), PlanRefused> {
    let Some(plan_domain) = plan.origin.instance_domain() else {
        return Err(PlanRefused::NotFromInstance {
            origin: plan.origin.to_string(),
        });
    };
    if !plan_domain.eq_ignore_ascii_case(client_domain) {
        return Err(PlanRefused::WrongInstance {
            plan_domain: plan_domain.to_string(),
            client_domain: client_domain.to_string(),
        });
    }
    let protected: BTreeSet<u64> = plan
        .preconditions
        .protected_user_ids
        .iter()
        .copied()
        .collect();
    let mut removes_protected = Vec::new();
    for c in plan.changes.iter().filter(|c| c.applies) {
        let ChangeTarget::Group { id, name } = &c.target else {
            let recorded = plan
                .preconditions
                .role_rewrites
                .get(&c.user)
                .is_some_and(|rw| rw.user_id == c.user_id);
            if c.kind() == Kind::Role && c.action == Action::Remove && !recorded {
                return Err(PlanRefused::Malformed(format!(
                    "removing {} from {} is marked as applied, but the plan records no roles of that user to clear and set again",
                    c.target.describe(),
                    c.user
                )));
            }
            if c.action == Action::Remove && protected.contains(&c.user_id) {
                removes_protected.push(format!("{} from {}", c.user, c.target.describe()));
            }
            continue;
        };
        match plan.preconditions.groups.get(name) {
            Some(pre) if pre.group_id == *id => {}
            _ => {
                return Err(PlanRefused::Malformed(format!(
                    "group {name} (id {id}) has no recorded live members to check against"
                )))
            }
        }
        if c.action == Action::Remove && protected.contains(&c.user_id) {
            removes_protected.push(format!("{} from {name}", c.user));
        }
    }
    if !removes_protected.is_empty() {
        return Err(PlanRefused::RemovesProtected {
            users: removes_protected,
        });
    }
    Ok(())
}
