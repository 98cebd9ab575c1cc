//! The apply preparation, the mirror of `plan::make` for apply: may the plan made now be
//! written? Every check that needs no Coupa call, in one place and in one order — the saved plan
//! (when given) must be the plan made now, restores first; the plan must be for this instance;
//! no change may touch a user whose journal entry is kept; the removal guards (with the exact
//! count allowed) must pass. Pure: the client and the binary keep the I/O (reading, the
//! prompt, the writes).

mod compare;
mod static_checks;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Plan, Settings};

use super::{check_guards, GuardViolation};

pub use compare::{compare, restores_differ, PlanMismatch};
pub use static_checks::{check_static, PlanRefused};

/// Why apply refuses the plan made now. Nothing has been written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The saved plan's restores from the journal are not the ones the journal gives now.
    #[error(
        "the plan file is not the plan the policy files and the apply journal make now; nothing \
         was written: {0}"
    )]
    RestoresDiffer(String),
    /// The saved plan is not the plan made now. The binary adds how to make the plan to
    /// review instead.
    #[error(
        "the plan file is not the plan the policy files make against live Coupa now; nothing \
         was written. Differences:\n{0}"
    )]
    Mismatch(Box<PlanMismatch>),
    /// The plan is not for this instance, or is not one apply can write.
    #[error(transparent)]
    Refused(#[from] PlanRefused),
    /// Changes to users whose journal entry cannot be restored (their logins, printable).
    #[error(
        "refusing to change {}: the apply journal holds an entry for them that cannot be \
         restored; nothing was written",
        .0.join(", ")
    )]
    KeptUsers(Vec<String>),
    /// A removal guard tripped; [`GuardViolation::message`] words it with the binary's flags.
    #[error("{}", .0.title())]
    Guard(GuardViolation),
}

/// What the plan made now is checked against.
pub struct Acceptance<'a> {
    /// The plan file given to apply, if any (already checked for its instance and shape).
    pub saved: Option<&'a Plan>,
    /// The instance apply writes to.
    pub domain: &'a str,
    /// The policy's settings (the removal guards).
    pub settings: &'a Settings,
    /// `--allow-removals N`.
    pub allow_removals: Option<usize>,
    /// Users whose journal entry is kept for a person to look at, by id.
    pub kept_users: &'a BTreeMap<u64, String>,
}

impl Acceptance<'_> {
    /// Accepts `plan` (made now) or says why not. `login_of` names users the plans record by
    /// id only (protected users), for the mismatch report.
    pub fn check(
        &self,
        plan: &Plan,
        login_of: impl Fn(u64) -> Option<String>,
    ) -> Result<(), Refusal> {
        if let Some(saved) = self.saved {
            // Restores first: they also change the summary, which the comparison below reports
            // only as counts.
            if let Some(why) = restores_differ(saved, plan) {
                return Err(Refusal::RestoresDiffer(why));
            }
            let mismatch = compare(saved, plan, login_of);
            if !mismatch.is_empty() {
                return Err(Refusal::Mismatch(Box::new(mismatch)));
            }
        }
        check_static(plan, self.domain)?;
        let touched: BTreeSet<&str> = plan
            .changes
            .iter()
            .filter(|c| c.applies && self.kept_users.contains_key(&c.user_id))
            .map(|c| c.user.as_str())
            .collect();
        if !touched.is_empty() {
            return Err(Refusal::KeptUsers(
                touched
                    .iter()
                    .map(|l| crate::render::printable_str(l).into_owned())
                    .collect(),
            ));
        }
        check_guards(plan, self.settings, self.allow_removals).map_err(Refusal::Guard)?;
        Ok(())
    }
}
