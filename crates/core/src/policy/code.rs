//! The closed set of codes a [`PolicyDiagnostic`](super::PolicyDiagnostic) carries. A code is
//! stable: CI annotations show it as the title and the JSON error document as `code`, and
//! `docs/diagnostics.md` lists each with its description.

use std::fmt;

/// Declares [`Code`]: each variant with its stable text and its one-line description.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal, $description:literal;)+) => {
        /// A policy diagnostic's stable code, e.g. `policy::unknown_user`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* #[doc = $description] $variant,)+
        }

        impl Code {
            /// Every code, in the order of the reference table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The code as shown, e.g. `policy::unknown_user`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)+
                }
            }

            /// What the code means, in one sentence.
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)+
                }
            }
        }
    };
}

codes! {
    // Reading the policy folder (the binary reads it; the codes are the policy's).
    Folder = "policy::folder",
        "The policy folder cannot be read, or is not a folder.";
    Read = "policy::read",
        "A file in the policy folder cannot be read: not UTF-8, unreadable, or nested too deeply.";
    // Loading the YAML.
    YamlSyntax = "policy::yaml_syntax",
        "A policy file is not valid YAML.";
    WrongType = "policy::wrong_type",
        "A value has the wrong type: a list where a map belongs, a quoted number, a bad group `id`.";
    MergeKey = "policy::merge_key",
        "A YAML merge key (`<<`) is used; policy files do not support it.";
    BadKey = "policy::bad_key",
        "A key is empty or not a name.";
    UnknownField = "policy::unknown_field",
        "A key the policy format does not know (usually a typo; the help suggests the field meant).";
    DuplicateKey = "policy::duplicate_key",
        "A key is written twice in one map, or a person twice under `users`.";
    EmptyEntry = "policy::empty_entry",
        "A list entry is empty, or a word YAML reads as nothing (`null`, `~`).";
    DuplicateSettings = "policy::duplicate_settings",
        "`settings` is written more than once; at most one file may hold it.";
    DuplicateMember = "policy::duplicate_member",
        "One identity is listed twice for one target, or twice in `protected_users`.";
    UnknownWriteKind = "policy::unknown_write_kind",
        "`settings.writes` names something other than `groups`, `roles` or `licenses`.";
    BadSetting = "policy::bad_setting",
        "A setting's value is out of range or not one of its words (`max_removals`, `group_removals`).";
    UnknownLicense = "policy::unknown_license",
        "A license key that is not one of Coupa's 15 writable license flags.";
    DuplicateTarget = "policy::duplicate_target",
        "A group, role or license is declared twice (names match case-insensitively), in one file or across files; the help says when the two modes also disagree.";
    RemoveOwnersNotGroup = "policy::remove_owners_not_group",
        "`remove_owners` is set on a role or license; it applies to groups only.";
    BadMode = "policy::bad_mode",
        "`mode` is neither `authoritative` nor `additive`.";
    EmptyTarget = "policy::empty_target",
        "A target is declared with no body or no `members`, which would remove every holder; write `members: []` to empty it on purpose.";
    BadAcknowledgement = "policy::bad_acknowledgement",
        "A `settings.acknowledge` entry names a code that cannot be acknowledged, lacks its subject, or names two targets.";
    MissingField = "policy::missing_field",
        "A time-bound entry (`{ user: ..., until: ... }`) lacks its name.";
    BadDate = "policy::bad_date",
        "`until` is neither a date (`2026-12-31`) nor an RFC 3339 time.";
    MissingReason = "policy::missing_reason",
        "A time-bound grant has no `reason` while `settings.require_reason` is on.";
    SodSides = "policy::sod_sides",
        "A separation-of-duties rule has fewer than two sides.";
    SodTargetTwice = "policy::sod_target_twice",
        "A separation-of-duties rule names one group, role or license on two sides.";
    SodConflict = "policy::sod_conflict",
        "A plan would give a person holdings on two sides of a separation-of-duties rule, without a valid exception (the plan is refused).";
    // Checking names against Coupa.
    UnknownUser = "policy::unknown_user",
        "No Coupa user has this login or email (the help suggests a close match).";
    UnknownProtectedUser = "policy::unknown_protected_user",
        "An entry of `protected_users` names no Coupa user.";
    UnknownReviewer = "policy::unknown_reviewer",
        "A person `settings.reviewers` maps a review account to is no Coupa user.";
    AmbiguousUser = "policy::ambiguous_user",
        "An identity is one Coupa user's login and another's email.";
    SupplierAccount = "policy::supplier_account",
        "An identity names a Coupa Supplier Portal account, which never matches a policy identity.";
    InactiveUser = "policy::inactive_user",
        "Warning: a listed user is inactive in Coupa (the plan still adds them).";
    SamePersonTwice = "policy::same_person_twice",
        "Warning: two identities listed for one target are the same Coupa user.";
    UnknownGroup = "policy::unknown_group",
        "No user group in Coupa has this name (the help suggests a close match).";
    UnknownGroupId = "policy::unknown_group_id",
        "No user group in Coupa has the `id:` given for a group.";
    GroupIdMismatch = "policy::group_id_mismatch",
        "The group with the `id:` given has another name in Coupa.";
    ProjectNotGroup = "policy::project_not_group",
        "The name is a Coupa project, not a user group.";
    InactiveGroup = "policy::inactive_group",
        "Warning: a managed group is inactive in Coupa.";
    AmbiguousName = "policy::ambiguous_name",
        "A name matches two groups or roles in Coupa equally well (a group entry can add `id:`).";
    UnknownRole = "policy::unknown_role",
        "No role in Coupa has this name (the help suggests a close match).";
    UnreadField = "policy::unread_field",
        "Coupa's user records left out a role or license field, so who holds it is unknown.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and callers compare a code with its text: `d.code() == "policy::unknown_user"`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_are_unique_namespaced_and_described() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert!(c.as_str().starts_with("policy::"), "{c}");
            assert!(c.description().ends_with('.'), "{c}");
        }
    }
}
