//! Restores: access an interrupted apply of this tool took away, given back as part of a plan.
//!
//! Coupa's user update only adds roles and `user-groups`, so a removal clears the list and sets
//! the rest again; a run killed between the two writes leaves the user without them. The
//! journal records the list before the clear. A journal is a local file anyone can edit, so an
//! entry is only a claim: it must be authenticated (the client crate checks that), and this
//! module decides — against what the user holds now and what the policy decides — what, if
//! anything, it may give back. Never more than the entry says the clear took, never onto a
//! list someone changed since, and never a target the plan itself decides.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Kind;

/// A role or group given back, by id and (for people) name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RestoreTarget {
    pub id: u64,
    /// The role or group name; `#<id>` when live Coupa does not list it.
    pub name: String,
}

/// One user's roles or groups given back from an authenticated journal entry. Shown in every
/// plan format, counted in `summary.restore`, and written by `apply` only after confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    /// The user's Coupa login.
    pub user: String,
    pub user_id: u64,
    /// `role` or `group`.
    pub kind: Kind,
    /// What is given back, ascending by id.
    pub targets: Vec<RestoreTarget>,
    /// Ids of what the user holds of this kind when the plan was made (ascending); apply
    /// restores only onto this same list.
    pub held_ids: Vec<u64>,
    /// When the interrupted apply recorded the entry.
    #[serde(with = "super::time::rfc3339")]
    pub recorded_at: DateTime<Utc>,
}

/// What an authenticated journal entry says: the user's list right before a clear of this
/// tool, and the list the set was to put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalClaim {
    pub user_id: u64,
    pub login: String,
    /// `Role` or `Group` (`user-groups`, projects included).
    pub kind: Kind,
    pub before: BTreeSet<u64>,
    pub after: BTreeSet<u64>,
    pub recorded_at: DateTime<Utc>,
}

/// What the user holds now, read fresh from Coupa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldNow {
    pub login: String,
    /// The ids of the claim's kind; `None` when Coupa's answer did not include the list.
    pub ids: Option<BTreeSet<u64>>,
}

/// What to do with one authenticated journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Give these back (a plan change, applied after confirmation).
    Restore(BTreeSet<u64>),
    /// Nothing is owed: the user holds everything the clear took that the plan does not
    /// decide. The entry can be closed.
    Settled,
    /// Not restored and kept in the journal, for a person to look at; apply refuses to touch
    /// this user until then.
    Kept(KeptReason),
}

/// Why an entry is neither restored nor settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptReason {
    /// User id `user_id` is now `login`, not the entry's login.
    OtherLogin { login: String },
    /// Coupa's answer did not include the user's list, so nothing can be judged.
    ListUnknown,
    /// The user holds something the clear did not leave (not in the entry's `after`): someone
    /// changed them since, and a restore would overwrite that person's decision.
    ChangedSince { unexpected: BTreeSet<u64> },
}

/// Judges one claim. `decided` holds the ids of this kind the plan decides (managed targets
/// whose changes apply writes): the plan, not the journal, says whether the user holds those.
pub fn judge(claim: &JournalClaim, now: &HeldNow, decided: &BTreeSet<u64>) -> Verdict {
    if !now.login.eq_ignore_ascii_case(&claim.login) {
        return Verdict::Kept(KeptReason::OtherLogin {
            login: now.login.clone(),
        });
    }
    let Some(held) = &now.ids else {
        return Verdict::Kept(KeptReason::ListUnknown);
    };
    let owed: BTreeSet<u64> = claim
        .before
        .difference(held)
        .filter(|id| !decided.contains(id))
        .copied()
        .collect();
    if owed.is_empty() {
        return Verdict::Settled;
    }
    // The state a clear of this tool leaves is empty, or part of the set (a set that was cut
    // short). Anything else was done by someone else since.
    let unexpected: BTreeSet<u64> = held.difference(&claim.after).copied().collect();
    if !unexpected.is_empty() {
        return Verdict::Kept(KeptReason::ChangedSince { unexpected });
    }
    Verdict::Restore(owed)
}

impl std::fmt::Display for KeptReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeptReason::OtherLogin { login } => {
                write!(f, "that user id is now the login {login}")
            }
            KeptReason::ListUnknown => write!(f, "Coupa's answer did not include the user's list"),
            KeptReason::ChangedSince { unexpected } => write!(
                f,
                "the user now holds {} that the interrupted apply did not set, so someone changed them since",
                id_list(unexpected)
            ),
        }
    }
}

/// `#4, #9`.
pub fn id_list(ids: &BTreeSet<u64>) -> String {
    ids.iter()
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Restore {
    /// `alice: roles Buyer, User`.
    pub fn one_line(&self) -> String {
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        format!("{}: {} {}", self.user, self.kind.plural(), names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(before: &[u64], after: &[u64]) -> JournalClaim {
        JournalClaim {
            user_id: 1,
            login: "alice".into(),
            kind: Kind::Role,
            before: before.iter().copied().collect(),
            after: after.iter().copied().collect(),
            recorded_at: DateTime::UNIX_EPOCH,
        }
    }

    fn now(ids: &[u64]) -> HeldNow {
        HeldNow {
            login: "Alice".into(),
            ids: Some(ids.iter().copied().collect()),
        }
    }

    fn set(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn a_cleared_user_gets_back_what_the_plan_does_not_decide() {
        // Held 2 (managed, being removed) and 7 (unmanaged); the clear left nothing.
        let v = judge(&claim(&[2, 7], &[7]), &now(&[]), &set(&[2]));
        assert_eq!(v, Verdict::Restore(set(&[7])));
    }

    #[test]
    fn a_restore_never_grants_beyond_what_the_entry_recorded() {
        let v = judge(&claim(&[7], &[7, 9]), &now(&[]), &set(&[]));
        assert_eq!(v, Verdict::Restore(set(&[7])), "9 was only to be added");
    }

    #[test]
    fn a_set_cut_short_is_finished_from_the_entry() {
        let v = judge(&claim(&[3, 7, 8], &[7, 8]), &now(&[7]), &set(&[]));
        assert_eq!(v, Verdict::Restore(set(&[3, 8])));
    }

    #[test]
    fn a_user_who_holds_everything_owed_is_settled() {
        assert_eq!(
            judge(&claim(&[2, 7], &[7]), &now(&[7]), &set(&[2])),
            Verdict::Settled
        );
        assert_eq!(
            judge(&claim(&[7], &[7]), &now(&[7, 11]), &set(&[])),
            Verdict::Settled,
            "holding more than the entry is not this entry's business when nothing is owed"
        );
    }

    #[test]
    fn someone_elses_change_since_is_reported_not_overwritten() {
        let v = judge(&claim(&[2, 7], &[7]), &now(&[5]), &set(&[]));
        assert_eq!(
            v,
            Verdict::Kept(KeptReason::ChangedSince {
                unexpected: set(&[5])
            })
        );
    }

    #[test]
    fn another_login_or_an_unknown_list_is_kept() {
        let mut n = now(&[]);
        n.login = "mallory".into();
        assert!(matches!(
            judge(&claim(&[7], &[]), &n, &set(&[])),
            Verdict::Kept(KeptReason::OtherLogin { .. })
        ));
        let n = HeldNow {
            login: "alice".into(),
            ids: None,
        };
        assert_eq!(
            judge(&claim(&[7], &[]), &n, &set(&[])),
            Verdict::Kept(KeptReason::ListUnknown)
        );
    }
}
