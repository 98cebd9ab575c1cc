//! The plan JSON: how a [`Plan`] is written (format [`PLAN_FORMAT_VERSION`]) and read (every
//! format so far). `docs/plan-format.md` describes every field.
//!
//! Format 3 is format 2 plus `scope` (a `plan --changed-since`); only scoped plans are written
//! as format 3, so an older coupa-access refuses them rather than apply them as full plans.
//! Format 2 differs from format 1 by: `origin` (typed; `domain` is kept as its mirror), warnings
//! as objects with a `code` (format 1 wrote strings, read as code `other`), and no `target_id`
//! on license changes (format 1 wrote `0`). Reading checks what can be checked: known versions,
//! a non-zero id for every group and role, known license keys, `domain` agreeing with `origin`,
//! and a `summary` that counts the `changes`.

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::time::rfc3339;
use super::{
    summarize, Action, Change, ChangeTarget, Expiry, Kind, Origin, Plan, PlanScope, Preconditions,
    Restore, SourcePos, Summary, Warning, WarningCode, PLAN_FORMAT_UNSCOPED, PLAN_FORMAT_VERSION,
};

/// The oldest plan format this build reads.
pub const OLDEST_READABLE_FORMAT: u32 = 1;

/// Why a plan file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanReadError {
    /// Not JSON at all.
    #[error("it is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// No `format_version`: not a plan.
    #[error("it has no format_version")]
    NoVersion,
    /// A version this build does not read (a newer coupa-access wrote it).
    #[error(
        "it has format_version {found}; this coupa-access reads format_version {OLDEST_READABLE_FORMAT} to {PLAN_FORMAT_VERSION}"
    )]
    UnsupportedVersion { found: u64 },
    /// The right version, but a field is missing, mistyped or inconsistent.
    #[error("{0}")]
    Invalid(#[source] serde_json::Error),
}

impl Plan {
    /// Reads a plan file's text, of any format this build reads. The version is looked at
    /// first, so a plan from a newer coupa-access gets a clear error.
    pub fn from_json(text: &str) -> Result<Plan, PlanReadError> {
        #[derive(Deserialize)]
        struct Version {
            format_version: Option<serde_json::Value>,
        }
        let v: Version = serde_json::from_str(text).map_err(PlanReadError::NotJson)?;
        let version = v.format_version.ok_or(PlanReadError::NoVersion)?;
        let readable = OLDEST_READABLE_FORMAT as u64..=PLAN_FORMAT_VERSION as u64;
        match version.as_u64() {
            Some(n) if readable.contains(&n) => {
                serde_json::from_str(text).map_err(PlanReadError::Invalid)
            }
            Some(n) => Err(PlanReadError::UnsupportedVersion { found: n }),
            None => Err(PlanReadError::NoVersion),
        }
    }
}

// ---- plan --------------------------------------------------------------------------------

#[derive(Serialize)]
struct PlanOut<'a> {
    format_version: u32,
    tool_version: &'a str,
    domain: String,
    origin: &'a Origin,
    #[serde(with = "rfc3339")]
    generated_at: DateTime<Utc>,
    policy_digest: &'a str,
    changes: &'a [Change],
    summary: &'a Summary,
    warnings: &'a [Warning],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    acknowledged: &'a [Warning],
    preconditions: &'a Preconditions,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    restores: &'a [Restore],
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a PlanScope>,
}

impl Serialize for Plan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PlanOut {
            // Only a scoped plan needs format 3: full plans stay readable by older versions.
            format_version: if self.scope.is_some() {
                PLAN_FORMAT_VERSION
            } else {
                PLAN_FORMAT_UNSCOPED
            },
            tool_version: &self.tool_version,
            domain: self.origin.legacy_domain(),
            origin: &self.origin,
            generated_at: self.generated_at,
            policy_digest: &self.policy_digest,
            changes: &self.changes,
            summary: &self.summary,
            warnings: &self.warnings,
            acknowledged: &self.acknowledged,
            preconditions: &self.preconditions,
            restores: &self.restores,
            scope: self.scope.as_ref(),
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct PlanIn {
    format_version: u32,
    tool_version: String,
    domain: String,
    /// Format 2; format 1 had only `domain`.
    #[serde(default)]
    origin: Option<Origin>,
    #[serde(with = "rfc3339")]
    generated_at: DateTime<Utc>,
    policy_digest: String,
    changes: Vec<Change>,
    summary: Summary,
    warnings: Vec<WarningIn>,
    /// Absent: none (plans before `settings.acknowledge`).
    #[serde(default)]
    acknowledged: Vec<WarningIn>,
    preconditions: Preconditions,
    /// Absent: none (plans before restores were part of the plan).
    #[serde(default)]
    restores: Vec<Restore>,
    /// Format 3 (`plan --changed-since`); absent: a full plan.
    #[serde(default)]
    scope: Option<PlanScope>,
}

impl<'de> Deserialize<'de> for Plan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = PlanIn::deserialize(d)?;
        if !(OLDEST_READABLE_FORMAT..=PLAN_FORMAT_VERSION).contains(&p.format_version) {
            return Err(D::Error::custom(format!(
                "format_version {} is not one this coupa-access reads",
                p.format_version
            )));
        }
        let origin = match p.origin {
            Some(o) if o.legacy_domain() != p.domain => {
                return Err(D::Error::custom(format!(
                    "domain \"{}\" does not match origin \"{o}\"",
                    p.domain
                )))
            }
            Some(o) => o,
            None => Origin::from_legacy_domain(&p.domain),
        };
        let counted = Summary {
            restore: p.restores.len(),
            ..summarize(&p.changes)
        };
        if counted != p.summary {
            return Err(D::Error::custom("summary does not count the changes"));
        }
        Ok(Plan {
            tool_version: p.tool_version,
            origin,
            generated_at: p.generated_at,
            policy_digest: p.policy_digest,
            changes: p.changes,
            summary: p.summary,
            warnings: p
                .warnings
                .into_iter()
                .map(WarningIn::into_warning)
                .collect(),
            acknowledged: p
                .acknowledged
                .into_iter()
                .map(WarningIn::into_warning)
                .collect(),
            preconditions: p.preconditions,
            restores: p.restores,
            scope: p.scope,
        })
    }
}

// ---- change ------------------------------------------------------------------------------

#[derive(Serialize)]
struct ChangeOut<'a> {
    action: Action,
    kind: Kind,
    target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<u64>,
    user: &'a str,
    user_id: u64,
    applies: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_id: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    privileged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    expired: Option<&'a Expiry>,
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ChangeOut {
            action: self.action,
            kind: self.kind(),
            target: self.target.name(),
            target_id: self.target.id(),
            user: &self.user,
            user_id: self.user_id,
            applies: self.applies,
            membership_id: self.membership_id,
            privileged: self.privileged,
            expired: self.expired.as_ref(),
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct ChangeIn {
    action: Action,
    kind: Kind,
    target: String,
    #[serde(default)]
    target_id: Option<u64>,
    user: String,
    user_id: u64,
    applies: bool,
    #[serde(default)]
    membership_id: Option<u64>,
    #[serde(default)]
    privileged: bool,
    #[serde(default)]
    expired: Option<Expiry>,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = ChangeIn::deserialize(d)?;
        Ok(Change {
            action: c.action,
            target: ChangeTarget::from_fields(c.kind, c.target, c.target_id)
                .map_err(D::Error::custom)?,
            user: c.user,
            user_id: c.user_id,
            applies: c.applies,
            membership_id: c.membership_id,
            privileged: c.privileged,
            expired: c.expired,
        })
    }
}

// ---- warning -----------------------------------------------------------------------------

#[derive(Serialize)]
struct WarningOut<'a> {
    code: WarningCode,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_id: Option<u64>,
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WarningOut {
            code: self.code,
            message: &self.message,
            help: self.help.as_deref(),
            file: self.at.as_ref().map(|a| a.file.as_str()),
            line: self.at.as_ref().map(|a| a.line),
            column: self.at.as_ref().map(|a| a.column),
            user: self.user.as_deref(),
            kind: self.target.as_ref().map(ChangeTarget::kind),
            target: self.target.as_ref().map(ChangeTarget::name),
            target_id: self.target.as_ref().and_then(ChangeTarget::id),
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct WarningFields {
    code: WarningCode,
    message: String,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    column: Option<usize>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    target_id: Option<u64>,
}

impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WarningFields::deserialize(d)?;
        let at = match (w.file, w.line, w.column) {
            (Some(file), Some(line), Some(column)) => Some(SourcePos { file, line, column }),
            (None, None, None) => None,
            _ => {
                return Err(D::Error::custom(
                    "a warning needs all of file, line and column, or none",
                ))
            }
        };
        let target = match (w.kind, w.target) {
            (Some(kind), Some(name)) => {
                Some(ChangeTarget::from_fields(kind, name, w.target_id).map_err(D::Error::custom)?)
            }
            (None, None) => None,
            _ => {
                return Err(D::Error::custom(
                    "a warning needs both kind and target, or neither",
                ))
            }
        };
        Ok(Warning {
            code: w.code,
            message: w.message,
            help: w.help,
            at,
            user: w.user,
            target,
        })
    }
}

/// A format-1 warning (text) or a format-2 one.
#[derive(Deserialize)]
#[serde(untagged)]
enum WarningIn {
    Text(String),
    Typed(Warning),
}

impl WarningIn {
    fn into_warning(self) -> Warning {
        match self {
            WarningIn::Text(message) => Warning::new(WarningCode::Other, message),
            WarningIn::Typed(w) => w,
        }
    }
}

#[cfg(test)]
#[path = "plan_json_tests.rs"]
mod tests;
