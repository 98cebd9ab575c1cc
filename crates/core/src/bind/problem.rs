//! Why a name in a policy does not mean one thing in the tenant: the typed problems binding
//! finds, each where it was written. The policy check turns them into diagnostics (codes,
//! labels, suggestions); a refused binding carries them; their one-line wording is here.

use std::fmt;

use crate::model::{Kind, Loc};

/// Where a person was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A member of a group, role or license.
    Target { kind: Kind, name: String },
    /// `settings.protected_users`.
    Protected,
    /// An exception of a separation-of-duties rule.
    Exception { rule: String },
    /// `settings.reviewers`: the person behind a review account.
    Reviewer { account: String },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Target { kind, name } => write!(f, "{} \"{name}\"", kind.word()),
            Place::Protected => f.write_str("settings.protected_users"),
            Place::Exception { rule } => write!(f, "exception to rule \"{rule}\""),
            Place::Reviewer { account } => write!(f, "reviewer \"{account}\""),
        }
    }
}

/// A name that does not resolve to exactly one live record, or a target whose holders are
/// unknown. `at` is where the name was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A login or email that no Coupa user has.
    #[error("{place}: no Coupa user has the login or email \"{identity}\"")]
    UnknownUser {
        at: Loc,
        identity: String,
        place: Place,
    },
    /// A login or email that names several users (one's login, another's email...); every
    /// one is given as (login, email).
    #[error(
        "{place}: \"{identity}\" is ambiguous: it names {} Coupa users ({})",
        .users.len(),
        .users.iter().map(|(l, _)| format!("\"{l}\"")).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousUser {
        at: Loc,
        identity: String,
        place: Place,
        users: Vec<(String, String)>,
    },
    /// A Coupa Supplier Portal account, which holds no groups, roles or licenses.
    #[error("{place}: \"{identity}\" is a Coupa Supplier Portal account, not an employee")]
    SupplierAccount {
        at: Loc,
        identity: String,
        place: Place,
    },
    /// No user group has this name.
    #[error("group \"{name}\" does not exist in Coupa")]
    UnknownGroup { at: Loc, name: String },
    /// The name is a Coupa project's (`project`, as Coupa spells it), not a user group's.
    #[error("\"{name}\" is a Coupa project, not a user group")]
    GroupIsProject {
        at: Loc,
        name: String,
        project: String,
    },
    /// `id:` names no user group.
    #[error("group \"{name}\": no user group in Coupa has id {id}")]
    UnknownGroupId { at: Loc, name: String, id: u64 },
    /// `id:` names a group called otherwise (`live`).
    #[error("group \"{name}\": id {id} is \"{live}\" in Coupa")]
    GroupIdMismatch {
        at: Loc,
        name: String,
        id: u64,
        live: String,
    },
    /// No role has this name.
    #[error("role \"{name}\" does not exist in Coupa")]
    UnknownRole { at: Loc, name: String },
    /// A group or role name that several live records match equally well; every one is
    /// given as (name, id).
    #[error("{}", ambiguous_name(*.kind, .name, .found))]
    AmbiguousName {
        at: Loc,
        kind: Kind,
        name: String,
        found: Vec<(String, u64)>,
    },
    /// Coupa's user records left out a role or license field for users whose holding the
    /// plan depends on: reading it as "not held" could miss removals.
    #[error(
        "{} \"{target}\": Coupa's user records left out `{field}` for {count} user(s) (first: {first}), so whether they hold it is unknown; no plan is made on a guess",
        kind.word()
    )]
    UnreadField {
        at: Loc,
        kind: Kind,
        target: String,
        field: String,
        count: usize,
        first: String,
    },
}

fn ambiguous_name(kind: Kind, name: &str, found: &[(String, u64)]) -> String {
    let ids: Vec<String> = found.iter().map(|(_, id)| id.to_string()).collect();
    let fix = match kind {
        Kind::Group => "add `id:` to say which one",
        _ => "write the name exactly as Coupa spells it, or rename all but one in Coupa",
    };
    format!(
        "{} \"{name}\" matches {} Coupa {}s (ids {}): {fix}",
        kind.word(),
        found.len(),
        kind.word(),
        ids.join(", ")
    )
}

impl Problem {
    /// Where the name was written.
    pub fn at(&self) -> Loc {
        match self {
            Problem::UnknownUser { at, .. }
            | Problem::AmbiguousUser { at, .. }
            | Problem::SupplierAccount { at, .. }
            | Problem::UnknownGroup { at, .. }
            | Problem::GroupIsProject { at, .. }
            | Problem::UnknownGroupId { at, .. }
            | Problem::GroupIdMismatch { at, .. }
            | Problem::UnknownRole { at, .. }
            | Problem::AmbiguousName { at, .. }
            | Problem::UnreadField { at, .. } => *at,
        }
    }
}

/// Every problem of a refused binding, in the order found (the first is the summary's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.0.first() else {
            return f.write_str("no problems");
        };
        write!(f, "{first}")?;
        match self.0.len() {
            1 => Ok(()),
            n => write!(f, " (and {} more)", n - 1),
        }
    }
}
