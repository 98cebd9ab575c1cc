//! Whether each verified change of a receipt still holds in live Coupa (`evidence verify`
//! with credentials). A change undone or redone since is reported, not an error: the receipt
//! is evidence of what apply did then, and this says what happened after.

use std::fmt;

use super::receipt::{ChangeOutcome, Receipt, ReceiptChange};
use crate::model::{Action, Kind, License, Live};

/// What became of one verified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Live Coupa shows what the change made (for an addition, the same membership).
    Holds,
    /// The access is there, through another membership than the receipt's (removed and
    /// granted again since, e.g. by a clear-then-set).
    Recreated { membership_ids: Vec<u64> },
    /// Live Coupa no longer shows what the change made.
    Changed(String),
    /// The user is not in what was read (deleted or deactivated out of view).
    UserGone,
}

impl fmt::Display for Since {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Since::Holds => f.write_str("still holds"),
            Since::Recreated { membership_ids } => write!(
                f,
                "holds through another membership since (id {})",
                membership_ids
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Since::Changed(what) => write!(f, "changed since: {what}"),
            Since::UserGone => f.write_str("changed since: the user is no longer in Coupa"),
        }
    }
}

/// Each verified change of `receipt` (index into `changes`) with what live Coupa shows now.
pub fn still_holds(receipt: &Receipt, live: &Live) -> Vec<(usize, Since)> {
    receipt
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.outcome == ChangeOutcome::Verified)
        .map(|(i, c)| (i, judge(c, live)))
        .collect()
}

fn judge(c: &ReceiptChange, live: &Live) -> Since {
    let add = c.action == Action::Add;
    match c.kind {
        Kind::Group => {
            let Some(group_id) = c.target_id else {
                return Since::Changed("the receipt names no group id".into());
            };
            let rows: Vec<u64> = live
                .memberships
                .iter()
                .filter(|m| m.group_id == group_id && m.user_id == c.user_id)
                .map(|m| m.id)
                .collect();
            match (add, rows.is_empty()) {
                (true, true) => Since::Changed(format!("{} is no longer in the group", c.user)),
                (true, false) if c.membership_ids.iter().any(|id| rows.contains(id)) => {
                    Since::Holds
                }
                (true, false) => Since::Recreated {
                    membership_ids: rows,
                },
                (false, true) => Since::Holds,
                (false, false) => Since::Changed(format!(
                    "{} is a member again (membership {})",
                    c.user,
                    rows.iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        Kind::Role | Kind::License => {
            let Some(user) = live.users.iter().find(|u| u.id == c.user_id) else {
                return Since::UserGone;
            };
            let held = match (c.kind, c.target_id) {
                (Kind::Role, Some(id)) => user.roles.contains(&id),
                _ => License::from_key(&c.target).is_some_and(|l| user.licenses.contains(&l)),
            };
            match (add, held) {
                (true, true) | (false, false) => Since::Holds,
                (true, false) => Since::Changed(format!("{} no longer holds it", c.user)),
                (false, true) => Since::Changed(format!("{} holds it again", c.user)),
            }
        }
    }
}
