use super::{Kind, License};

/// What a change (or a warning) is about: a Coupa group or role, by id and name, or a license.
/// Licenses are flags on the user and have no id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeTarget {
    /// A user group, named as Coupa spells it.
    Group { id: u64, name: String },
    /// A role, named as Coupa spells it.
    Role { id: u64, name: String },
    /// A license flag.
    License(License),
}

impl ChangeTarget {
    /// Group, role or license.
    pub fn kind(&self) -> Kind {
        match self {
            ChangeTarget::Group { .. } => Kind::Group,
            ChangeTarget::Role { .. } => Kind::Role,
            ChangeTarget::License(_) => Kind::License,
        }
    }

    /// The group or role name, or the license key (`expense`).
    pub fn name(&self) -> &str {
        match self {
            ChangeTarget::Group { name, .. } | ChangeTarget::Role { name, .. } => name,
            ChangeTarget::License(l) => l.key(),
        }
    }

    /// The group or role id; `None` for licenses.
    pub fn id(&self) -> Option<u64> {
        match self {
            ChangeTarget::Group { id, .. } | ChangeTarget::Role { id, .. } => Some(*id),
            ChangeTarget::License(_) => None,
        }
    }

    /// The group id, when this is a group.
    pub fn group_id(&self) -> Option<u64> {
        match self {
            ChangeTarget::Group { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Builds a target from the plan JSON's flat fields (`kind`, `target`, `target_id`).
    /// Groups and roles need a non-zero id; a license needs a known key and takes no id
    /// (format 1 wrote `0`, which is accepted).
    pub fn from_fields(kind: Kind, target: String, target_id: Option<u64>) -> Result<Self, String> {
        let id = |what: &str| match target_id {
            Some(0) | None => Err(format!("{what} \"{target}\" has no target_id")),
            Some(id) => Ok(id),
        };
        match kind {
            Kind::Group => Ok(ChangeTarget::Group {
                id: id("group")?,
                name: target,
            }),
            Kind::Role => Ok(ChangeTarget::Role {
                id: id("role")?,
                name: target,
            }),
            Kind::License => {
                if target_id.is_some_and(|id| id != 0) {
                    return Err(format!(
                        "license \"{target}\" has a target_id; licenses have none"
                    ));
                }
                License::from_key(&target)
                    .map(ChangeTarget::License)
                    .ok_or_else(|| format!("\"{target}\" is not a Coupa license key"))
            }
        }
    }

    /// `group "AP Clerks"`, `role "Buyer"`, `license "expense"`, for messages.
    pub fn describe(&self) -> String {
        format!("{} \"{}\"", self.kind().word(), self.name())
    }

    /// `AP Clerks`, `role Buyer`, `license expense`: a group by its name alone (the common
    /// case), the others with their kind, for lists of changes.
    pub fn label(&self) -> String {
        match self.kind() {
            Kind::Group => self.name().to_string(),
            kind => format!("{} {}", kind.word(), self.name()),
        }
    }

    /// The name with `f` applied (renderers clean control characters this way).
    pub(crate) fn map_name(&mut self, f: impl FnOnce(&mut String)) {
        match self {
            ChangeTarget::Group { name, .. } | ChangeTarget::Role { name, .. } => f(name),
            ChangeTarget::License(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Mode;

    /// One vocabulary: every form of a kind's word is the same word.
    #[test]
    fn a_kinds_words_are_one_word_in_its_forms() {
        for kind in [Kind::Group, Kind::Role, Kind::License] {
            let word = kind.word();
            assert_eq!(kind.plural(), format!("{word}s"));
            assert_eq!(kind.title().to_lowercase(), word);
            assert!(kind.title().starts_with(|c: char| c.is_ascii_uppercase()));
        }
        for mode in [Mode::Authoritative, Mode::Additive] {
            let json = serde_json::to_value(mode).unwrap();
            assert_eq!(json, mode.word(), "JSON and messages spell a mode alike");
        }
    }

    #[test]
    fn a_label_names_a_group_alone_and_the_others_with_their_kind() {
        let group = ChangeTarget::Group {
            id: 1,
            name: "AP Clerks".into(),
        };
        let role = ChangeTarget::Role {
            id: 2,
            name: "Buyer".into(),
        };
        assert_eq!(group.label(), "AP Clerks");
        assert_eq!(role.label(), "role Buyer");
        assert_eq!(
            ChangeTarget::License(License::ALL[0]).label(),
            format!("license {}", License::ALL[0].key())
        );
    }
}
