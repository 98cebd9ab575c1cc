use crate::model::Kind;

/// Why a plan could not be made. The CLI runs `policy::check` first and reports these problems
/// with file positions; this is the safety net that keeps the planner from ever skipping a name
/// it cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A member identity matches no Coupa user's login or email.
    #[error("{} \"{target}\": no Coupa user has the login or email \"{identity}\"", kind.word())]
    UnknownUser {
        kind: Kind,
        target: String,
        identity: String,
    },
    /// A member identity is one user's login and another user's email.
    #[error(
        "{} \"{target}\": \"{identity}\" is ambiguous: it names both Coupa users \"{first}\" and \"{second}\"",
        kind.word()
    )]
    AmbiguousUser {
        kind: Kind,
        target: String,
        identity: String,
        first: String,
        second: String,
    },
    /// A protected user matches no Coupa user; protecting nobody by accident is not an option.
    #[error("settings.protected_users: no Coupa user has the login or email \"{identity}\"")]
    UnknownProtectedUser { identity: String },
    /// A declared group does not exist in Coupa.
    #[error("group \"{name}\" does not exist in Coupa")]
    UnknownGroup { name: String },
    /// A declared group's name matches several Coupa groups equally well; every one is named.
    #[error(
        "group \"{name}\" matches {} Coupa groups (ids {}): add `id:` to say which one",
        .ids.len(),
        .ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousGroup { name: String, ids: Vec<u64> },
    /// A declared group is a Coupa project, which this tool does not manage.
    #[error("\"{name}\" is a Coupa project, not a user group")]
    GroupIsProject { name: String },
    /// A declared role does not exist in Coupa.
    #[error("role \"{name}\" does not exist in Coupa")]
    UnknownRole { name: String },
    /// A declared role's name matches several Coupa roles equally well; every one is named.
    #[error(
        "role \"{name}\" matches {} Coupa roles (ids {}): write the name exactly as Coupa spells it, or rename all but one in Coupa",
        .ids.len(),
        .ids.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousRole { name: String, ids: Vec<u64> },
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
    /// Coupa's user records left out a role or license field for users whose holding the plan
    /// depends on: reading it as "not held" could miss removals, so no plan is made.
    #[error(
        "{} \"{target}\": Coupa's user records left out `{field}` for {count} user(s) (first: {first}), so whether they hold it is unknown; no plan is made on a guess",
        kind.word()
    )]
    UnreadField {
        kind: Kind,
        target: String,
        field: String,
        count: usize,
        first: String,
    },
}
