//! The closed set of codes the binary gives errors that are not about a policy file: the
//! connection settings, Coupa's answers (from the client's errors) and the client secret.
//! Like the policy codes (`coupa_access_core::policy::Code`) they are stable: CI annotations
//! show them as titles and the JSON error document as `code`; `docs/diagnostics.md` lists
//! every code with its description.

use std::fmt;

/// Declares [`ErrorCode`]: each variant with its stable text and its one-line description.
macro_rules! codes {
    ($($variant:ident = $text:literal, $description:literal;)+) => {
        /// An error's stable code, e.g. `coupa_access::auth::bad_credentials`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $description] $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the reference table.
            #[cfg_attr(not(test), expect(dead_code, reason = "the reference-table test reads it"))]
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code as shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)+
                }
            }

            /// What the code means, in one sentence.
            #[cfg_attr(not(test), expect(dead_code, reason = "the reference-table test reads it"))]
            pub fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $description,)+
                }
            }
        }
    };
}

codes! {
    DomainInvalid = "coupa_access::domain::invalid",
        "The instance setting is missing or is not a URL or host name.";
    DomainInsecure = "coupa_access::domain::insecure",
        "The instance is given as `http://` and is not a loopback address (only the sandbox may be).";
    ClientIdMissing = "coupa_access::client_id::missing",
        "No OAuth2 client id is set.";
    SecretMissing = "coupa_access::secret::missing",
        "No OAuth2 client secret is set, in the environment or in a file.";
    SecretUnreadable = "coupa_access::secret::unreadable",
        "The file said to hold the client secret cannot be read.";
    SecretEmpty = "coupa_access::secret::empty",
        "The client secret given is empty.";
    BadCredentials = "coupa_access::auth::bad_credentials",
        "Coupa's token endpoint refused the client id and secret (the error names the secret's source).";
    ScopeNotGranted = "coupa_access::auth::scope_not_granted",
        "The OAuth2 client lacks a scope the command asked for.";
    TokenEndpoint = "coupa_access::auth::token_endpoint",
        "The token endpoint answered with something other than a token or an OAuth2 refusal.";
    Unauthorized = "coupa_access::auth::unauthorized",
        "Coupa refused a fresh access token (401) on an API call.";
    Forbidden = "coupa_access::auth::forbidden",
        "Coupa refused an API call for a missing scope (403).";
    NotCoupa = "coupa_access::api::not_coupa",
        "The instance answered with a redirect or a 404: it does not look like a Coupa API.";
    Rejected = "coupa_access::api::rejected",
        "Coupa refused a request as sent (a 4xx other than the ones above); its words are quoted.";
    RetriesExhausted = "coupa_access::api::retries_exhausted",
        "Coupa kept answering 429 or 5xx after every retry; nothing partial was used.";
    Unreachable = "coupa_access::api::unreachable",
        "The instance could not be reached (DNS, TLS, connection or timeout).";
    UnexpectedAnswer = "coupa_access::api::unexpected_answer",
        "An answer that is not what Coupa sends: not JSON, a wrong shape, or a page that breaks its query.";
    DeleteRefused = "coupa_access::api::delete_refused",
        "The instance refuses to delete group memberships through the API.";
    WriteNotTaken = "coupa_access::api::write_not_taken",
        "A write got no answer after every attempt, and a read right after shows it was not made.";
    WriteUnconfirmed = "coupa_access::api::write_unconfirmed",
        "A write's outcome could not be established, even by reading Coupa; check it before applying again.";
    Deadline = "coupa_access::api::deadline",
        "The run's time limit passed before Coupa answered everything; nothing partial was used.";
    ClientSetup = "coupa_access::client::setup",
        "The HTTP client could not be set up.";
    Other = "coupa_access::error",
        "Any other error (a file that cannot be read or written, a refused plan, a failed apply); its message says what.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use coupa_access_core::model::WarningCode;
    use coupa_access_core::policy::Code;

    /// Every code the tool reports, by hand: adding, renaming or removing one is a deliberate
    /// change to a stable interface (and to `docs/diagnostics.md`).
    const EVERY_CODE: &[&str] = &[
        "policy::folder",
        "policy::read",
        "policy::yaml_syntax",
        "policy::wrong_type",
        "policy::merge_key",
        "policy::bad_key",
        "policy::unknown_field",
        "policy::duplicate_key",
        "policy::empty_entry",
        "policy::duplicate_settings",
        "policy::duplicate_member",
        "policy::unknown_write_kind",
        "policy::bad_setting",
        "policy::unknown_license",
        "policy::duplicate_target",
        "policy::remove_owners_not_group",
        "policy::bad_mode",
        "policy::empty_target",
        "policy::bad_acknowledgement",
        "policy::missing_field",
        "policy::bad_date",
        "policy::missing_reason",
        "policy::sod_sides",
        "policy::sod_target_twice",
        "policy::sod_conflict",
        "policy::unknown_user",
        "policy::unknown_protected_user",
        "policy::unknown_reviewer",
        "policy::ambiguous_user",
        "policy::supplier_account",
        "policy::inactive_user",
        "policy::same_person_twice",
        "policy::unknown_group",
        "policy::unknown_group_id",
        "policy::group_id_mismatch",
        "policy::project_not_group",
        "policy::inactive_group",
        "policy::ambiguous_name",
        "policy::unknown_role",
        "policy::unread_field",
        "coupa_access::domain::invalid",
        "coupa_access::domain::insecure",
        "coupa_access::client_id::missing",
        "coupa_access::secret::missing",
        "coupa_access::secret::unreadable",
        "coupa_access::secret::empty",
        "coupa_access::auth::bad_credentials",
        "coupa_access::auth::scope_not_granted",
        "coupa_access::auth::token_endpoint",
        "coupa_access::auth::unauthorized",
        "coupa_access::auth::forbidden",
        "coupa_access::api::not_coupa",
        "coupa_access::api::rejected",
        "coupa_access::api::retries_exhausted",
        "coupa_access::api::unreachable",
        "coupa_access::api::unexpected_answer",
        "coupa_access::api::delete_refused",
        "coupa_access::api::write_not_taken",
        "coupa_access::api::write_unconfirmed",
        "coupa_access::api::deadline",
        "coupa_access::client::setup",
        "coupa_access::error",
        "coupa_access::plan::inactive_user",
        "coupa_access::plan::inactive_group",
        "coupa_access::plan::same_person_twice",
        "coupa_access::plan::protected_user_kept",
        "coupa_access::plan::owner_kept",
        "coupa_access::plan::duplicate_membership",
        "coupa_access::plan::api_user_changed",
        "coupa_access::plan::guard_exceeded",
        "coupa_access::plan::roles_not_cleared",
        "coupa_access::plan::left_without_roles",
        "coupa_access::plan::journal_entry_refused",
        "coupa_access::plan::journal_entry_kept",
        "coupa_access::plan::grant_expired",
        "coupa_access::plan::grant_expiring",
        "coupa_access::plan::sod_conflict",
        "coupa_access::plan::sod_excepted",
        "coupa_access::plan::sod_exception_expiring",
        "coupa_access::plan::sod_resolved",
        "coupa_access::plan::other",
    ];

    /// A plan warning's JSON code (`owner_kept`).
    fn warning_name(c: WarningCode) -> String {
        serde_json::to_value(c)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The reference tables of `docs/diagnostics.md`, made from the enums.
    fn tables() -> String {
        let row = |code: &str, meaning: &str| format!("| `{code}` | {meaning} |\n");
        let head = "| code | meaning |\n|---|---|\n";
        let mut s = format!("### Policy files\n\n{head}");
        for c in Code::ALL {
            s.push_str(&row(c.as_str(), c.description()));
        }
        s.push_str(&format!(
            "\n### Connection, Coupa and the client secret\n\n{head}"
        ));
        for c in ErrorCode::ALL {
            s.push_str(&row(c.as_str(), c.description()));
        }
        s.push_str(&format!("\n### Plan warnings\n\n{head}"));
        for c in WarningCode::ALL {
            let name = warning_name(*c);
            let meaning = format!("See [`{name}`](plan-format.md#warnings).");
            s.push_str(&row(&format!("coupa_access::plan::{name}"), &meaning));
        }
        s
    }

    #[test]
    fn every_code_is_listed_once_and_documented() {
        let mut all: Vec<String> = Code::ALL.iter().map(|c| c.to_string()).collect();
        all.extend(ErrorCode::ALL.iter().map(|c| c.to_string()));
        all.extend(
            WarningCode::ALL
                .iter()
                .map(|c| format!("coupa_access::plan::{}", warning_name(*c))),
        );
        assert_eq!(all, EVERY_CODE);
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "a code is used twice");

        // The reference table is generated from the enums; UPDATE_GOLDEN=1 rewrites it.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = root.join("docs/diagnostics.md");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (start, end) = ("<!-- codes:start -->\n", "<!-- codes:end -->");
        let from = doc.find(start).expect("start marker") + start.len();
        let to = doc.find(end).expect("end marker");
        let want = tables();
        if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
            let new = format!("{}{want}{}", &doc[..from], &doc[to..]);
            std::fs::write(&path, new).unwrap();
        } else {
            assert!(
                doc[from..to] == want,
                "docs/diagnostics.md is out of date: rerun with UPDATE_GOLDEN=1 cargo test --bin coupa-access codes"
            );
        }
        // Every plan warning code has its row in the plan format reference.
        let format = std::fs::read_to_string(root.join("docs/plan-format.md")).unwrap();
        for c in WarningCode::ALL {
            let name = warning_name(*c);
            assert!(
                format.contains(&format!("| `{name}` |")),
                "{name} in docs/plan-format.md"
            );
        }
    }
}
