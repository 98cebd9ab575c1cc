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

    /// The name with `f` applied (renderers clean control characters this way).
    pub(crate) fn map_name(&mut self, f: impl FnOnce(&mut String)) {
        match self {
            ChangeTarget::Group { name, .. } | ChangeTarget::Role { name, .. } => f(name),
            ChangeTarget::License(_) => {}
        }
    }
}
