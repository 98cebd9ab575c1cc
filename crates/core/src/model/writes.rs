use std::collections::BTreeSet;

use super::Kind;

/// Which kinds of change `apply` writes (`settings.writes`). The rest are reported only.
///
/// Group membership writes are the default; role and license writes are opted into in the
/// policy, so turning them on is reviewed in a pull request like any other change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writes(BTreeSet<Kind>);

impl Writes {
    /// `settings.writes: [groups]`, what a policy without the setting gets.
    pub fn groups_only() -> Writes {
        Writes([Kind::Group].into_iter().collect())
    }

    /// Exactly these kinds (an empty list: nothing is written).
    pub fn of(kinds: impl IntoIterator<Item = Kind>) -> Writes {
        Writes(kinds.into_iter().collect())
    }

    /// True when `apply` writes changes of this kind.
    pub fn applies(&self, kind: Kind) -> bool {
        self.0.contains(&kind)
    }

    /// The kinds written, in kind order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.0.iter().copied()
    }
}

impl Default for Writes {
    fn default() -> Self {
        Writes::groups_only()
    }
}

/// How `apply` removes a group member (`settings.group_removals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRemovals {
    /// `DELETE /api/user_group_memberships/:id`; after a refusal, through `user-groups` when
    /// apply may update users.
    #[default]
    Delete,
    /// Through the user's `user-groups`, cleared and set again under the journal (for tenants
    /// that refuse membership DELETE). Apply then asks for `core.user.write`.
    UserGroups,
}

impl GroupRemovals {
    /// The policy word.
    pub fn word(self) -> &'static str {
        match self {
            GroupRemovals::Delete => "delete",
            GroupRemovals::UserGroups => "user_groups",
        }
    }

    /// True for the default (what plan files leave out).
    pub fn is_default(&self) -> bool {
        *self == GroupRemovals::Delete
    }
}

/// Parses a `settings.writes` entry.
pub fn writes_kind(word: &str) -> Option<Kind> {
    [Kind::Group, Kind::Role, Kind::License]
        .into_iter()
        .find(|k| k.plural() == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_writes_groups_only_and_words_round_trip() {
        let w = Writes::default();
        assert!(w.applies(Kind::Group));
        assert!(!w.applies(Kind::Role) && !w.applies(Kind::License));
        for k in [Kind::Group, Kind::Role, Kind::License] {
            assert_eq!(writes_kind(k.plural()), Some(k));
        }
        assert_eq!(writes_kind("group"), None);
        assert!(!Writes::of([]).applies(Kind::Group));
    }
}
