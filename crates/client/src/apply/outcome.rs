//! What happened to each change, and the report shown after apply.

use coupa_access_core::model::{Action, Change};
use coupa_access_core::render::printable_str;
use coupa_access_core::CliWords;

/// The fate of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written, and the read-back shows it.
    Verified,
    /// The write failed, or the read-back does not show it; with the reason (Coupa's message).
    Failed(String),
    /// Not attempted, with why.
    Skipped(String),
    /// Written, but Coupa kept what the change takes away (a license flag set false that
    /// Coupa does not revoke); with what to do. Not retried.
    Kept(String),
    /// A change of a kind not in `settings.writes`: reported in the plan, not written.
    ReportedOnly,
}

/// One change with its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeResult {
    pub change: Change,
    pub outcome: Outcome,
}

/// Every change of the plan with its outcome, in plan order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub domain: String,
    pub results: Vec<ChangeResult>,
    /// Set when the tenant refused a membership DELETE: what it said.
    pub delete_refused: Option<String>,
    /// True when apply was cancelled part-way (writes not attempted are `Skipped`).
    pub interrupted: bool,
    /// True when, after a refused DELETE, group removals went through the users'
    /// `user-groups` (cleared and set again) instead.
    pub removed_through_users: bool,
    /// The plan's restores (from the journal of an interrupted apply), with their outcomes.
    pub restores: Vec<(coupa_access_core::model::Restore, Outcome)>,
    /// The Coupa memberships each group change touched, by index into `results`: for an
    /// addition the membership read back, for a removal those it was to delete. For receipts.
    pub membership_ids: std::collections::BTreeMap<usize, Vec<u64>>,
    /// By user id: the user's other memberships a clear-then-set of `user-groups` re-created
    /// with new ids and dates (not new grants; receipts record them for `drift --since`).
    pub recreated: std::collections::BTreeMap<u64, Vec<u64>>,
}

/// One report line: `  ok       what (verified)`, `  FAILED   what: why`, …; nothing for a
/// reported-only change.
fn push_line(out: &mut String, what: &str, outcome: &Outcome) {
    let line = match outcome {
        Outcome::Verified => format!("  ok       {what} (verified)"),
        Outcome::Failed(why) => format!("  FAILED   {what}: {}", printable_str(why)),
        Outcome::Skipped(why) => format!("  skipped  {what}: {}", printable_str(why)),
        Outcome::Kept(why) => format!("  KEPT     {what}: {}", printable_str(why)),
        Outcome::ReportedOnly => return,
    };
    out.push_str(&line);
    out.push('\n');
}

impl ApplyReport {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
            + self.restores.iter().filter(|(_, o)| f(o)).count()
    }
    pub fn verified(&self) -> usize {
        self.count(|o| *o == Outcome::Verified)
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }
    /// Changes Coupa accepted but did not carry out (licenses it keeps).
    pub fn kept(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Kept(_)))
    }
    /// True when every written change was verified and none was skipped or kept.
    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.kept() == 0
    }

    /// A plain-text account, one line per written change, then a summary. `cli` spells the
    /// command the advice names.
    pub fn render(&self, cli: &CliWords) -> String {
        let mut out = String::new();
        for (r, outcome) in &self.restores {
            let what = format!("restore {}", printable_str(&r.one_line()));
            push_line(&mut out, &what, outcome);
        }
        for r in &self.results {
            let c = &r.change;
            // Names and reasons come from Coupa: escape sequences in them must not redraw the
            // report (a FAILED line shown as ok).
            let user = printable_str(&c.user);
            let target = c.target.label();
            let target = printable_str(&target);
            let what = match c.action {
                Action::Add => format!("add {user} to {target}"),
                Action::Remove => format!("remove {user} from {target}"),
            };
            push_line(&mut out, &what, &r.outcome);
        }
        // What Coupa answered to the first refused DELETE: a 403 there may be a missing
        // `core.user_group.write`, which the answer names.
        let refusal = self
            .delete_refused
            .as_deref()
            .map(|why| format!("The first refusal: {}\n", printable_str(why)))
            .unwrap_or_default();
        if self.removed_through_users {
            if self.delete_refused.is_some() {
                out.push_str(&format!(
                    "\n{} refused to delete a group membership, so the removals went through \
                     each user's user-groups instead (cleared and set again under the journal, \
                     then read back).\n{refusal}",
                    self.domain
                ));
            }
        } else if self.delete_refused.is_some() {
            out.push_str(&format!(
                "\n{} refused to delete a group membership, so removals were stopped at the first \
                 refusal (additions were still applied).\n{refusal}\
                 What the Coupa admin can do: remove the users marked FAILED or skipped above by \
                 hand in Coupa (Setup > User Groups), or ask Coupa support to allow membership \
                 deletion (DELETE /api/user_group_memberships) through the API; then run \
                 `{}` to confirm. Or let apply remove them through each user's \
                 user-groups: set settings.group_removals: user_groups in the policy and grant \
                 the OAuth2 client scope core.user.write.\n",
                self.domain, cli.plan
            ));
        }
        let kept = match self.kept() {
            0 => String::new(),
            n => format!(", {n} kept by Coupa"),
        };
        if self.interrupted {
            out.push_str(&format!(
                "\nInterrupted: {} applied, {} failed{kept}, {} not attempted. Run `{}` \
                 to see what is left; applying again converges.\n",
                self.verified(),
                self.failed(),
                self.skipped(),
                cli.plan
            ));
        }
        // The changes apply was to write (`applies: true`), never the reported-only rows: the
        // counts after it add up to this.
        out.push_str(&format!(
            "\nApply: {} of {} changes applied and verified, {} failed, {} skipped{kept}.\n",
            self.verified(),
            self.applied_changes(),
            self.failed(),
            self.skipped(),
        ));
        out
    }

    /// The changes apply was to write (`applies: true`) and the plan's restores, whatever
    /// became of them; the reported-only rows are not among them.
    pub fn applied_changes(&self) -> usize {
        self.results.iter().filter(|r| r.change.applies).count() + self.restores.len()
    }
}
