use serde::{Deserialize, Serialize};

use super::{ChangeTarget, Loc, PolicyFile};

/// What a plan warning is about, as a stable machine-readable code (snake_case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// A user the policy lists is inactive in Coupa (the plan still adds them).
    InactiveUser,
    /// A managed group is inactive in Coupa.
    InactiveGroup,
    /// One person is listed twice for one target, under two identities.
    SamePersonTwice,
    /// A protected user was kept where the policy would have removed them.
    ProtectedUserKept,
    /// A group owner (`owner: true` in Coupa) not listed was kept: the group does not set
    /// `remove_owners: true`.
    OwnerKept,
    /// A user holds several live memberships of one group; they are left as they are.
    DuplicateMembership,
    /// The plan changes the access of an API (integration) user (`api-user: true`): an
    /// integration may stop working.
    ApiUserChanged,
    /// The plan exceeds `settings.max_removals` (or the default guard): apply will refuse it
    /// without an override.
    GuardExceeded,
    /// A user's role removals are reported, not applied: removing a role clears all of the
    /// user's roles first, which apply never does to an API (integration) user or to the last
    /// holder of an omnipotent role.
    RolesNotCleared,
    /// An active user holds no role at all once the plan's applied role changes are made.
    LeftWithoutRoles,
    /// An entry of the apply journal is ignored: it is not authenticated as written by this
    /// tool with this client's secret, it expired, or it is not readable. Nothing is restored
    /// from it.
    JournalEntryRefused,
    /// An authenticated journal entry is not restored (the user was changed by someone since,
    /// or cannot be judged); it stays in the journal, and apply refuses to touch that user.
    JournalEntryKept,
    /// A time-bound grant (`until`) has ended and its holder still holds the target: the plan
    /// removes it, in any mode.
    GrantExpired,
    /// A time-bound grant ends within the warning window (`settings.expiry_warning_days`).
    GrantExpiring,
    /// A person holds (and keeps after the plan) something from two sides of a
    /// separation-of-duties rule, without a valid exception: an existing conflict the plan
    /// does not create.
    SodConflict,
    /// A separation-of-duties conflict allowed by a valid exception (named with its ticket).
    SodExcepted,
    /// A separation-of-duties exception ends within the warning window.
    SodExceptionExpiring,
    /// The plan resolves an existing separation-of-duties conflict.
    SodResolved,
    /// A code this version does not know (a newer plan), or a format-1 warning, which was text.
    #[serde(other)]
    Other,
}

impl WarningCode {
    /// Every code, in declaration order (`docs/plan-format.md` and `docs/diagnostics.md` list
    /// them all).
    pub const ALL: &'static [WarningCode] = &[
        WarningCode::InactiveUser,
        WarningCode::InactiveGroup,
        WarningCode::SamePersonTwice,
        WarningCode::ProtectedUserKept,
        WarningCode::OwnerKept,
        WarningCode::DuplicateMembership,
        WarningCode::ApiUserChanged,
        WarningCode::GuardExceeded,
        WarningCode::RolesNotCleared,
        WarningCode::LeftWithoutRoles,
        WarningCode::JournalEntryRefused,
        WarningCode::JournalEntryKept,
        WarningCode::GrantExpired,
        WarningCode::GrantExpiring,
        WarningCode::SodConflict,
        WarningCode::SodExcepted,
        WarningCode::SodExceptionExpiring,
        WarningCode::SodResolved,
        WarningCode::Other,
    ];
}

/// Where in the policy files a warning points: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePos {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl SourcePos {
    /// The position of `loc` in `files`; `None` when `loc` names no file.
    pub fn locate(files: &[PolicyFile], loc: Loc) -> Option<SourcePos> {
        super::Locator::new(files).locate(loc)
    }
}

impl std::fmt::Display for SourcePos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One fact a reviewer should know about a plan. Warnings are deduplicated by
/// [`Warning::fact`] (code and subject), never by their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub code: WarningCode,
    /// One line, for people.
    pub message: String,
    /// What to do about it, when there is advice.
    pub help: Option<String>,
    /// Where in the policy files, when known.
    pub at: Option<SourcePos>,
    /// The Coupa login of the user it is about, if it is about one.
    pub user: Option<String>,
    /// The group, role or license it is about, if it is about one.
    pub target: Option<ChangeTarget>,
}

/// The identity of the fact a warning states: its code and subject.
pub type Fact = (WarningCode, Option<String>, Option<ChangeTarget>);

impl Warning {
    /// A warning with only a code and a message.
    pub fn new(code: WarningCode, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
            help: None,
            at: None,
            user: None,
            target: None,
        }
    }

    /// Sets the user it is about.
    pub fn about_user(mut self, login: impl Into<String>) -> Self {
        self.user = Some(login.into());
        self
    }

    /// Sets the target it is about.
    pub fn about_target(mut self, target: ChangeTarget) -> Self {
        self.target = Some(target);
        self
    }

    /// Sets where it points.
    pub fn at(mut self, at: Option<SourcePos>) -> Self {
        self.at = at;
        self
    }

    /// Sets the advice.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What makes two warnings the same fact.
    pub fn fact(&self) -> Fact {
        (self.code, self.user.clone(), self.target.clone())
    }

    /// `path:line:col: message (help)`, the one-line form renderers show.
    pub fn one_line(&self) -> String {
        let mut s = match &self.at {
            Some(at) => format!("{at}: {}", self.message),
            None => self.message.clone(),
        };
        if let Some(h) = &self.help {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        s
    }

    /// Fills what this warning lacks (position, advice) from another statement of the same fact.
    fn absorb(&mut self, other: Warning) {
        if self.at.is_none() {
            self.at = other.at;
        }
        if self.help.is_none() {
            self.help = other.help;
        }
    }
}

/// Keeps one warning per fact, in first-seen order; a later statement of the same fact only
/// fills in the position or advice the first one lacked.
pub fn dedupe_warnings(warnings: impl IntoIterator<Item = Warning>) -> Vec<Warning> {
    let mut out: Vec<Warning> = Vec::new();
    let mut index: std::collections::HashMap<Fact, usize> = std::collections::HashMap::new();
    for w in warnings {
        match index.get(&w.fact()) {
            Some(&i) => out[i].absorb(w),
            None => {
                index.insert(w.fact(), out.len());
                out.push(w);
            }
        }
    }
    out
}

#[cfg(test)]
mod code_tests {
    use super::WarningCode;

    #[test]
    fn all_holds_every_code_once_in_order() {
        // Exhaustive: a new code fails to compile here until it has a place (and then in ALL).
        fn place(c: WarningCode) -> usize {
            match c {
                WarningCode::InactiveUser => 0,
                WarningCode::InactiveGroup => 1,
                WarningCode::SamePersonTwice => 2,
                WarningCode::ProtectedUserKept => 3,
                WarningCode::OwnerKept => 4,
                WarningCode::DuplicateMembership => 5,
                WarningCode::ApiUserChanged => 6,
                WarningCode::GuardExceeded => 7,
                WarningCode::RolesNotCleared => 8,
                WarningCode::LeftWithoutRoles => 9,
                WarningCode::JournalEntryRefused => 10,
                WarningCode::JournalEntryKept => 11,
                WarningCode::GrantExpired => 12,
                WarningCode::GrantExpiring => 13,
                WarningCode::SodConflict => 14,
                WarningCode::SodExcepted => 15,
                WarningCode::SodExceptionExpiring => 16,
                WarningCode::SodResolved => 17,
                WarningCode::Other => 18,
            }
        }
        let places: Vec<usize> = WarningCode::ALL.iter().map(|c| place(*c)).collect();
        assert_eq!(places, (0..19).collect::<Vec<_>>());
    }
}

/// One `settings.acknowledge` entry: a known warning the policy accepts (for example an
/// inactive user `export` kept on purpose), so every later plan counts it instead of repeating
/// it. It names the warning's code and its subject; only facts about the policy's own
/// listings can be acknowledged, never what a plan's changes do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    pub code: WarningCode,
    /// The login or email of the user the warning is about.
    pub user: Option<String>,
    /// The group, role or license it is about: kind and name (matched case-insensitively).
    pub target: Option<(super::Kind, String)>,
    /// Where the entry is written.
    pub loc: super::Loc,
}

impl WarningCode {
    /// The codes `settings.acknowledge` accepts: standing facts about who the policy lists,
    /// not about what a plan changes.
    pub const ACKNOWLEDGEABLE: [WarningCode; 6] = [
        WarningCode::InactiveUser,
        WarningCode::InactiveGroup,
        WarningCode::SamePersonTwice,
        WarningCode::ProtectedUserKept,
        WarningCode::OwnerKept,
        WarningCode::DuplicateMembership,
    ];

    /// The code as written in JSON and policies: `inactive_user`.
    pub fn word(self) -> &'static str {
        match self {
            WarningCode::InactiveUser => "inactive_user",
            WarningCode::InactiveGroup => "inactive_group",
            WarningCode::SamePersonTwice => "same_person_twice",
            WarningCode::ProtectedUserKept => "protected_user_kept",
            WarningCode::OwnerKept => "owner_kept",
            WarningCode::DuplicateMembership => "duplicate_membership",
            WarningCode::ApiUserChanged => "api_user_changed",
            WarningCode::GuardExceeded => "guard_exceeded",
            WarningCode::RolesNotCleared => "roles_not_cleared",
            WarningCode::LeftWithoutRoles => "left_without_roles",
            WarningCode::JournalEntryRefused => "journal_entry_refused",
            WarningCode::JournalEntryKept => "journal_entry_kept",
            WarningCode::GrantExpired => "grant_expired",
            WarningCode::GrantExpiring => "grant_expiring",
            WarningCode::SodConflict => "sod_conflict",
            WarningCode::SodExcepted => "sod_excepted",
            WarningCode::SodExceptionExpiring => "sod_exception_expiring",
            WarningCode::SodResolved => "sod_resolved",
            WarningCode::Other => "other",
        }
    }

    /// Whether the warning is about a user (an acknowledgement of it must name one).
    pub fn is_about_a_user(self) -> bool {
        self != WarningCode::InactiveGroup
    }
}

impl Acknowledgement {
    /// Whether this entry acknowledges `w`. `login_of` resolves a policy identity (login or
    /// email) to the Coupa login it names, when it names exactly one user.
    pub fn matches(&self, w: &Warning, login_of: &dyn Fn(&str) -> Option<String>) -> bool {
        if w.code != self.code {
            return false;
        }
        if let Some(identity) = &self.user {
            let Some(login) = &w.user else {
                return false;
            };
            let same = super::NameKey::new(identity) == super::NameKey::new(login)
                || login_of(identity).is_some_and(|l| &l == login);
            if !same {
                return false;
            }
        }
        if let Some((kind, name)) = &self.target {
            let Some(t) = &w.target else {
                return false;
            };
            if t.kind() != *kind || super::NameKey::new(t.name()) != super::NameKey::new(name) {
                return false;
            }
        }
        true
    }
}

/// Splits `warnings` into those shown and those `acknowledge` accepts.
pub fn acknowledged_apart(
    warnings: Vec<Warning>,
    acknowledge: &[Acknowledgement],
    login_of: &dyn Fn(&str) -> Option<String>,
) -> (Vec<Warning>, Vec<Warning>) {
    if acknowledge.is_empty() {
        return (warnings, Vec::new());
    }
    warnings
        .into_iter()
        .partition(|w| !acknowledge.iter().any(|a| a.matches(w, login_of)))
}
