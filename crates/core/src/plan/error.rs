/// Why a plan could not be made. The CLI runs `policy::check` first, which reports the same
/// name problems with file positions; this keeps the planner from ever skipping a name it
/// cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Names in the policy that do not mean one live record, every one of them, each where
    /// it was written (the policy check reports the same problems as diagnostics).
    #[error("{0}")]
    Unresolved(crate::bind::Problems),
    /// Live data is inconsistent: a managed group has a membership of a user that was not read.
    /// Planning on it could miss a removal, so the plan is refused.
    #[error(
        "group \"{group}\": membership {membership_id} belongs to user id {user_id}, which is not among the users read from Coupa; the live data looks incomplete"
    )]
    UnknownMember {
        group: String,
        membership_id: u64,
        user_id: u64,
    },
}
