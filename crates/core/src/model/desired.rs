use std::collections::BTreeMap;

use super::License;

/// Where something was written in a policy file: which file (an index into
/// `Desired::files`) and the byte span, so a later check against live Coupa can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: usize,
    pub offset: usize,
    pub len: usize,
}

/// One policy file as read from disk, kept so diagnostics can quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    /// Path as given (relative to where the tool was run, when it was given that way).
    pub path: String,
    pub text: String,
}

/// How a declared group, role or license treats members that the policy does not list
/// (`authoritative` or `additive` in plan and drift JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Members not listed are removed (the default for `groups:`, `roles:`, `licenses:`).
    #[default]
    Authoritative,
    /// Listed members are added; nobody is removed.
    Additive,
}

impl Mode {
    /// The policy's word, as `mode:` takes it and plan and drift JSON write it:
    /// `authoritative` or `additive`.
    pub fn word(self) -> &'static str {
        match self {
            Mode::Authoritative => "authoritative",
            Mode::Additive => "additive",
        }
    }
}

/// A member as written in a policy file: a login or an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The identity as written (matched case-insensitively against login and email); inline
    /// when short, as most logins are (policies list hundreds of thousands of members).
    pub identity: crate::compact::ShortText,
    /// Where it was written.
    pub loc: Loc,
    /// A time-bound grant (`until`, `reason`); `None` for a plain member (boxed: most members
    /// have none, and policies list hundreds of thousands).
    pub grant: Option<Box<Grant>>,
}

/// A time-bound grant: the listing grants access up to and including `until` (UTC), and
/// nothing from the day after, in any mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The last day of access (inclusive, UTC).
    pub until: chrono::NaiveDate,
    /// Why the access was granted (`reason`), shown when it expires.
    pub reason: Option<String>,
    /// Where `until` was written.
    pub loc: Loc,
}

impl Grant {
    /// True when the grant gives nothing on `today` (the day after `until` or later).
    pub fn expired_on(&self, today: chrono::NaiveDate) -> bool {
        today > self.until
    }

    /// True when the grant is still valid on `today` but ends within `days` days.
    pub fn expires_within(&self, today: chrono::NaiveDate, days: u32) -> bool {
        !self.expired_on(today) && (self.until - today).num_days() < i64::from(days)
    }
}

/// A managed group, role or license: who should hold it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// The name as written in the policy (group or role name).
    pub name: String,
    pub mode: Mode,
    /// Optional description (groups only; informational).
    pub description: Option<String>,
    /// Members from the target's own `members:` list and from the per-user `users:` form,
    /// in the order read (duplicates already reported and removed by the loader).
    pub members: Vec<Member>,
    /// Where the target was declared (its key), for "unknown group" diagnostics.
    pub loc: Loc,
    /// True when the target was only named from the `users:` form, never declared with its
    /// own entry. Such targets are managed additively.
    pub implicit: bool,
    /// Groups only (`remove_owners: true`): group owners not listed are removed like anyone
    /// else. By default an owner's membership is kept, with a warning.
    pub remove_owners: bool,
    /// Groups only (`id: 123`): the Coupa id of the group meant, for a name that two Coupa
    /// groups share. The group with this id must still have this name.
    pub id: Option<u64>,
}

/// Guards and exemptions from the one `settings:` block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    /// Logins or emails never removed from anything.
    pub protected_users: Vec<Member>,
    /// Limits on removals: what `settings.max_removals` says, or, when it is absent,
    /// [`MaxRemovals::DEFAULT_GUARD`] (the `Default`).
    pub max_removals: MaxRemovals,
    /// Which kinds `apply` writes (`settings.writes`; absent: groups only).
    pub writes: super::Writes,
    /// How group members are removed (`settings.group_removals`).
    pub group_removals: super::GroupRemovals,
    /// Known warnings the policy accepts (`settings.acknowledge`): plans count them instead
    /// of repeating them.
    pub acknowledge: Vec<super::Acknowledgement>,
    /// Days before a grant's `until` (or an exception's) that plans warn
    /// (`settings.expiry_warning_days`; absent: 14).
    pub expiry_warning_days: Option<u32>,
    /// `settings.require_reason`: every time-bound grant must give a `reason`.
    pub require_reason: bool,
    /// `settings.reviewers`: which person each code-review account is, so `apply
    /// --approvals` can refuse a grant approved only by the person who receives it.
    pub reviewers: Vec<Reviewer>,
    /// Where `settings:` was written (`None`: the policy has no settings).
    pub at: Option<Loc>,
    /// Where each `max_removals` limit's value was written, so a tripped guard points at it.
    pub max_removals_at: GuardAt,
}

/// Where the limits of `settings.max_removals` were written (the values' spans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuardAt {
    pub total: Option<Loc>,
    pub per_group_fraction: Option<Loc>,
}

/// One entry of `settings.reviewers`: a code-review account (a GitHub or GitLab login) and
/// the person it belongs to, as a Coupa login or email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    /// The review account's login as written (matched case-insensitively, as GitHub does).
    pub account: String,
    /// The person: a Coupa login or email, resolved like any member.
    pub person: Member,
}

impl Settings {
    /// The expiry warning window in days (default 14).
    pub fn expiry_window(&self) -> u32 {
        self.expiry_warning_days.unwrap_or(14)
    }
}

/// Removal limits a plan must stay within unless `--allow-removals N` overrides it.
///
/// Saved plans carry the limits they were made under (`preconditions.max_removals`), so the
/// default guard is written out in full there, marked `"default": true`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaxRemovals {
    /// At most this many removals in one plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// At most this fraction (0..=1) of one group's current members removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_group_fraction: Option<f64>,
    /// A group may always lose this many members, whatever the fraction (so small groups stay
    /// manageable). Only the default guard sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_group_floor: Option<usize>,
    /// True for the default guard (no `settings.max_removals`), so messages can say so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
}

impl MaxRemovals {
    /// No limits at all (an explicit `max_removals:` that sets nothing).
    pub const NONE: MaxRemovals = MaxRemovals {
        total: None,
        per_group_fraction: None,
        per_group_floor: None,
        default: false,
    };

    /// The guard in force when the policy has no `settings.max_removals`: a plan may remove at
    /// most 25% of a group's current members, but a group may always lose up to 3.
    pub const DEFAULT_GUARD: MaxRemovals = MaxRemovals {
        total: None,
        per_group_fraction: Some(0.25),
        per_group_floor: Some(3),
        default: true,
    };
}

/// Absent settings mean the default guard: an unset limit must never mean "anything goes".
impl Default for MaxRemovals {
    fn default() -> Self {
        MaxRemovals::DEFAULT_GUARD
    }
}

/// Everything the policy files ask for, merged. Groups and roles are keyed by name key (one
/// entry per Coupa name); lookups against live Coupa are case-insensitive.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub groups: super::Declared,
    pub roles: super::Declared,
    pub licenses: BTreeMap<License, Target>,
    pub settings: Settings,
    /// `rules.separation_of_duties`, in the order written.
    pub sod_rules: Vec<SodRule>,
    /// `sha256:<hex>` over the policy files' paths and contents, in path order.
    pub policy_digest: String,
    /// The files read, in path order; `Loc::file` indexes this.
    pub files: Vec<PolicyFile>,
}

/// A separation-of-duties rule (`rules.separation_of_duties`): a person holding something from
/// two or more sides is a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SodRule {
    pub name: String,
    pub description: Option<String>,
    /// At least two, no target on two of them (the loader checks both).
    pub sides: Vec<SodSide>,
    pub exceptions: Vec<SodException>,
    /// Where the rule's `name` was written.
    pub loc: Loc,
}

/// One side of a rule: the groups, roles and licenses on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SodSide {
    /// Each target by kind and name as written, with where.
    pub targets: Vec<(super::Kind, String, Loc)>,
    /// Where the side was written.
    pub loc: Loc,
}

/// A person allowed to hold a rule's conflict until a day (inclusive, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SodException {
    /// The person (login or email), with where it was written.
    pub user: Member,
    pub until: chrono::NaiveDate,
    pub ticket: Option<String>,
    pub approved_by: Option<String>,
}
