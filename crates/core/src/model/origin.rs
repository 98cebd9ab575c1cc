use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What live state a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Origin {
    /// A Coupa instance read over its API: the only origin `apply` accepts.
    Instance {
        /// `https://acme.coupahost.com`.
        domain: String,
    },
    /// A snapshot file (`coupa-access snapshot`). A snapshot does not prove which instance it
    /// came from, so its plans are for review only.
    Snapshot {
        /// The snapshot file as given on the command line.
        path: String,
        /// The instance the snapshot says it was taken from, when it says so.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        /// When the snapshot was taken, when it says so.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "super::time::rfc3339_opt"
        )]
        taken_at: Option<DateTime<Utc>>,
    },
}

impl Origin {
    /// The plan JSON's `domain` field: the instance, or `snapshot:<path>` (what format 1
    /// wrote), so readers of `domain` keep working.
    pub fn legacy_domain(&self) -> String {
        match self {
            Origin::Instance { domain } => domain.clone(),
            Origin::Snapshot { path, .. } => format!("snapshot:{path}"),
        }
    }

    /// Reads a format-1 `domain` field.
    pub fn from_legacy_domain(domain: &str) -> Origin {
        match domain.strip_prefix("snapshot:") {
            Some(path) => Origin::Snapshot {
                path: path.to_string(),
                domain: None,
                taken_at: None,
            },
            None => Origin::Instance {
                domain: domain.to_string(),
            },
        }
    }

    /// The instance domain, for instance plans.
    pub fn instance_domain(&self) -> Option<&str> {
        match self {
            Origin::Instance { domain } => Some(domain),
            Origin::Snapshot { .. } => None,
        }
    }
}

/// `https://acme.coupahost.com`, or `snapshot tenant.json` (with the source instance and time
/// when the snapshot recorded them).
impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Instance { domain } => f.write_str(domain),
            Origin::Snapshot {
                path,
                domain,
                taken_at,
            } => {
                write!(f, "snapshot {path}")?;
                match (domain, taken_at) {
                    (Some(d), Some(t)) => write!(f, " (of {d}, taken {})", super::time::format(t)),
                    (Some(d), None) => write!(f, " (of {d})"),
                    (None, Some(t)) => write!(f, " (taken {})", super::time::format(t)),
                    (None, None) => Ok(()),
                }
            }
        }
    }
}
