//! Which users a plan looks at, so a live read can fetch only those: the members of the managed
//! groups (by id, from their memberships) and the users the policy names (by login or email).
//! A role or license managed authoritatively removes whoever holds it, so it needs every user.

use std::collections::BTreeMap;

use crate::model::{Desired, Mode, NameKey, Target};

/// The users a plan for one policy needs besides the members of its managed groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsersNeeded {
    /// Every user: an authoritative role or license removes holders the policy never names.
    All,
    /// The users whose login or email has the key of one of these identities (each identity
    /// the policy names, once per key, trimmed as first written). Unknown ones make the plan
    /// fail with "did you mean", which needs every user again.
    Named(Vec<String>),
}

impl UsersNeeded {
    /// What a plan of `desired` needs (see [`crate::plan::make`]: the check and the diff look up
    /// every member, protected user and reviewer, and the holders of every managed target).
    pub fn of(desired: &Desired) -> UsersNeeded {
        let authoritative = |t: &Target| !t.implicit && t.mode == Mode::Authoritative;
        if desired.roles.values().any(authoritative) || desired.licenses.values().any(authoritative)
        {
            return UsersNeeded::All;
        }
        let mut by_key: BTreeMap<NameKey, String> = BTreeMap::new();
        let members = desired
            .groups
            .values()
            .chain(desired.roles.values())
            .chain(desired.licenses.values())
            .flat_map(|t| t.members.iter())
            .chain(desired.settings.protected_users.iter())
            .chain(
                desired
                    .sod_rules
                    .iter()
                    .flat_map(|r| r.exceptions.iter().map(|e| &e.user)),
            )
            // The people `settings.reviewers` names: the check resolves them too.
            .chain(desired.settings.reviewers.iter().map(|r| &r.person));
        for m in members {
            by_key
                .entry(NameKey::new(&m.identity))
                .or_insert_with(|| m.identity.trim().to_string());
        }
        UsersNeeded::Named(by_key.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PolicyFile;

    fn needed(yaml: &str) -> UsersNeeded {
        let desired = crate::policy::load_files(vec![PolicyFile {
            path: "p.yaml".into(),
            text: yaml.into(),
        }])
        .expect("policy loads");
        UsersNeeded::of(&desired)
    }

    #[test]
    fn named_identities_once_per_key_from_every_target_and_protected_users() {
        let n = needed(
            "groups:\n  AP:\n    members: [alice, ' Bob ']\n  Buyers:\n    mode: additive\n    members: [ALICE, carol@acme.com]\n\
             roles:\n  Buyer:\n    mode: additive\n    members: [dave]\n\
             users:\n  erin: { licenses: [expense] }\n\
             settings:\n  protected_users: [integration-bot]\n  reviewers: { frank-gh: frank }\n",
        );
        assert_eq!(
            n,
            UsersNeeded::Named(
                [
                    "alice",
                    "Bob",
                    "carol@acme.com",
                    "dave",
                    "erin",
                    "frank",
                    "integration-bot"
                ]
                .map(String::from)
                .to_vec()
            )
        );
    }

    #[test]
    fn an_authoritative_role_or_license_needs_every_user() {
        assert_eq!(
            needed("roles:\n  Buyer:\n    members: [dave]\n"),
            UsersNeeded::All
        );
        assert_eq!(
            needed("licenses:\n  expense:\n    members: [dave]\n"),
            UsersNeeded::All
        );
        assert!(matches!(
            needed("licenses:\n  expense:\n    mode: additive\n    members: [dave]\n"),
            UsersNeeded::Named(_)
        ));
    }
}
