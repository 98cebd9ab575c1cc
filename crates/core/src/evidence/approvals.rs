//! The approvals file (`apply --approvals FILE`) and the self-approval check.
//!
//! The file is what the example GitHub workflow writes from the pull request's reviews
//! (`docs/evidence.md`):
//!
//! ```json
//! { "format_version": 1, "repository": "acme/coupa-policy", "pull_request": 42,
//!   "reviews": [ { "reviewer": "octocat", "state": "APPROVED",
//!                  "submitted_at": "2026-11-30T09:12:00Z",
//!                  "commit": "4f9c0e1d2b3a4f9c0e1d2b3a4f9c0e1d2b3a4f9c" } ] }
//! ```
//!
//! It is read through the policy's YAML tree (JSON is YAML), so every problem is reported at
//! once with its line and column. A reviewer's latest review decides: an approval followed by
//! "changes requested" or a dismissal is no approval.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use miette::{NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};

use crate::index::{LiveIndex, UserMatch};
use crate::model::{Action, Live, NameKey, Plan, Reviewer};
use crate::policy::yaml::{self, Node, Value};

/// The approvals file version this build reads.
pub const APPROVALS_FORMAT_VERSION: u32 = 1;

/// The approvals of one pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvals {
    /// `owner/name`, when the file gives it.
    pub repository: Option<String>,
    /// The pull (merge) request number, when the file gives it.
    pub pull_request: Option<u64>,
    /// Every review, in file order.
    pub reviews: Vec<Review>,
}

/// One review of the pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// The reviewer's login on the code host.
    pub reviewer: String,
    pub state: ReviewState,
    /// When the review was submitted (UTC).
    #[serde(with = "crate::model::time::rfc3339")]
    pub submitted_at: DateTime<Utc>,
    /// The commit the review was of (hex).
    pub commit: String,
}

/// A review's state, as GitHub's REST API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewState {
    #[serde(rename = "APPROVED")]
    Approved,
    #[serde(rename = "CHANGES_REQUESTED")]
    ChangesRequested,
    #[serde(rename = "COMMENTED")]
    Commented,
    #[serde(rename = "DISMISSED")]
    Dismissed,
    #[serde(rename = "PENDING")]
    Pending,
}

impl ReviewState {
    const ALL: [(ReviewState, &'static str); 5] = [
        (ReviewState::Approved, "APPROVED"),
        (ReviewState::ChangesRequested, "CHANGES_REQUESTED"),
        (ReviewState::Commented, "COMMENTED"),
        (ReviewState::Dismissed, "DISMISSED"),
        (ReviewState::Pending, "PENDING"),
    ];
}

/// A grant approved only by the person who receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfApproval {
    /// The Coupa login receiving the grant, and what it is (`group "AP Clerks"`).
    pub user: String,
    pub grant: String,
    /// The approving review accounts, each mapped to this same person.
    pub reviewers: Vec<String>,
    /// The person as `settings.reviewers` names them.
    pub person: String,
}

impl std::fmt::Display for SelfApproval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} receives {}, approved only by {} (settings.reviewers: {})",
            self.user,
            self.grant,
            self.reviewers.join(", "),
            self.person
        )
    }
}

/// Every problem found in an approvals file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the approvals file {path} is not valid ({} problem(s)); nothing was written", .problems.len())]
#[diagnostic(help("the file is written by the example workflow from the pull request's reviews; see docs/evidence.md"))]
pub struct ApprovalsErrors {
    pub path: String,
    #[related]
    pub problems: Vec<ApprovalsProblem>,
}

/// One problem, at its line and column.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ApprovalsProblem {
    pub message: String,
    pub path: String,
    /// 1-based line and column (in characters).
    pub line: usize,
    pub column: usize,
    #[source_code]
    src: NamedSource<Arc<str>>,
    #[label("here")]
    span: SourceSpan,
}

/// Reads an approvals file's text (`path` names it in messages).
pub fn parse(path: &str, text: &str) -> Result<Approvals, ApprovalsErrors> {
    let mut cx = Cx {
        path,
        text,
        src: Arc::from(text),
        problems: Vec::new(),
    };
    let approvals = cx.read();
    match (approvals, cx.problems.is_empty()) {
        (Some(a), true) => Ok(a),
        _ => Err(ApprovalsErrors {
            path: path.to_string(),
            problems: cx.problems,
        }),
    }
}

struct Cx<'t> {
    path: &'t str,
    text: &'t str,
    src: Arc<str>,
    problems: Vec<ApprovalsProblem>,
}

impl<'t> Cx<'t> {
    fn problem(&mut self, offset: usize, len: usize, message: impl Into<String>) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.problems.push(ApprovalsProblem {
            message: crate::render::printable_str(&message.into()).into_owned(),
            path: self.path.to_string(),
            line,
            column,
            src: NamedSource::new(self.path, self.src.clone()),
            span: (offset, len.min(self.text.len() - offset)).into(),
        });
    }

    fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.problem(node.span.offset, node.span.len, message);
    }

    fn read(&mut self) -> Option<Approvals> {
        let docs = match yaml::parse(self.text) {
            Ok(docs) => docs,
            Err(e) => {
                self.problem(e.offset, 0, format!("not valid JSON: {}", e.message));
                return None;
            }
        };
        let [doc] = docs.as_slice() else {
            self.problem(0, 0, "expected one JSON object");
            return None;
        };
        let Value::Map(pairs) = &doc.value else {
            self.at(
                doc,
                "expected a JSON object with `format_version` and `reviews`",
            );
            return None;
        };
        let mut out = Approvals {
            repository: None,
            pull_request: None,
            reviews: Vec::new(),
        };
        let (mut version, mut reviews) = (false, false);
        for (key, value) in pairs {
            match scalar(key).unwrap_or_default() {
                "format_version" => {
                    version = true;
                    if scalar(value) != Some(&APPROVALS_FORMAT_VERSION.to_string()) || value.quoted
                    {
                        self.at(
                            value,
                            format!("`format_version` must be {APPROVALS_FORMAT_VERSION}"),
                        );
                    }
                }
                "repository" => match scalar(value) {
                    Some(s) if value.quoted && !s.trim().is_empty() => {
                        out.repository = Some(s.to_string())
                    }
                    _ => self.at(value, "`repository` must be a string (`owner/name`)"),
                },
                "pull_request" => match scalar(value).and_then(|s| s.parse::<u64>().ok()) {
                    Some(n) if !value.quoted => out.pull_request = Some(n),
                    _ => self.at(value, "`pull_request` must be a number"),
                },
                "reviews" => {
                    reviews = true;
                    match &value.value {
                        Value::Seq(items) => {
                            for (i, item) in items.iter().enumerate() {
                                if let Some(r) = self.review(i, item) {
                                    out.reviews.push(r);
                                }
                            }
                        }
                        _ => self.at(value, "`reviews` must be a list"),
                    }
                }
                other => self.at(
                    key,
                    format!(
                        "unknown field `{other}`; expected format_version, repository, pull_request, reviews"
                    ),
                ),
            }
        }
        if !version {
            self.at(doc, "`format_version` is missing");
        }
        if !reviews {
            self.at(doc, "`reviews` is missing");
        }
        Some(out)
    }

    fn review(&mut self, i: usize, node: &Node) -> Option<Review> {
        let n = i + 1;
        let Value::Map(pairs) = &node.value else {
            self.at(node, format!("review {n} must be an object"));
            return None;
        };
        let (mut reviewer, mut state, mut submitted_at, mut commit) = (None, None, None, None);
        for (key, value) in pairs {
            let text = scalar(value).filter(|_| value.quoted).map(str::trim);
            match scalar(key).unwrap_or_default() {
                "reviewer" => match text {
                    Some(s) if !s.is_empty() => reviewer = Some(s.to_string()),
                    _ => self.at(value, format!("review {n}: `reviewer` must be a login")),
                },
                "state" => match ReviewState::ALL.iter().find(|(_, w)| Some(*w) == text) {
                    Some((s, _)) => state = Some(*s),
                    None => {
                        let words: Vec<&str> = ReviewState::ALL.iter().map(|(_, w)| *w).collect();
                        self.at(
                            value,
                            format!("review {n}: `state` must be one of {}", words.join(", ")),
                        );
                    }
                },
                "submitted_at" => match text.and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
                    Some(t) => submitted_at = Some(t.with_timezone(&Utc)),
                    None => self.at(
                        value,
                        format!("review {n}: `submitted_at` must be an RFC 3339 time"),
                    ),
                },
                "commit" => match text {
                    Some(s)
                        if (7..=64).contains(&s.len())
                            && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        commit = Some(s.to_ascii_lowercase())
                    }
                    _ => self.at(
                        value,
                        format!("review {n}: `commit` must be a commit id (hex)"),
                    ),
                },
                other => self.at(
                    key,
                    format!(
                        "review {n}: unknown field `{other}`; expected reviewer, state, submitted_at, commit"
                    ),
                ),
            }
        }
        let mut missing = Vec::new();
        for (name, absent) in [
            ("reviewer", reviewer.is_none()),
            ("state", state.is_none()),
            ("submitted_at", submitted_at.is_none()),
            ("commit", commit.is_none()),
        ] {
            if absent && !pairs.iter().any(|(k, _)| scalar(k) == Some(name)) {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            self.at(node, format!("review {n}: missing {}", missing.join(", ")));
        }
        Some(Review {
            reviewer: reviewer?,
            state: state?,
            submitted_at: submitted_at?,
            commit: commit?,
        })
    }
}

fn scalar<'n>(node: &'n Node) -> Option<&'n str> {
    match &node.value {
        Value::Scalar(s) => Some(s),
        _ => None,
    }
}

/// The reviewers whose latest verdict approves, by login as written. As on GitHub, a comment
/// or pending review after an approval keeps it; a later request for changes or a dismissal
/// ends it.
pub fn approvers(approvals: &Approvals) -> Vec<&str> {
    let mut last: BTreeMap<NameKey, &Review> = BTreeMap::new();
    for r in &approvals.reviews {
        // Comments and pending reviews do not change a reviewer's verdict.
        if matches!(r.state, ReviewState::Commented | ReviewState::Pending) {
            continue;
        }
        let key = NameKey::new(&r.reviewer);
        match last.get(&key) {
            Some(prev) if prev.submitted_at > r.submitted_at => {}
            _ => {
                last.insert(key, r);
            }
        }
    }
    last.values()
        .filter(|r| r.state == ReviewState::Approved)
        .map(|r| r.reviewer.as_str())
        .collect()
}

/// The applied grants (additions) whose every approver is, by `reviewers`, the person who
/// receives the grant. A grant with no approver, or with one approver `reviewers` does not
/// map, is not a self-approval.
pub fn self_approvals(
    plan: &Plan,
    approvals: &Approvals,
    reviewers: &[Reviewer],
    live: &Live,
) -> Vec<SelfApproval> {
    let ix = LiveIndex::new(live);
    // Each approver's Coupa user id (None: unmapped or unknown, so someone else).
    let approving: Vec<(&str, Option<(u64, &str)>)> = approvers(approvals)
        .into_iter()
        .map(|login| {
            let key = NameKey::new(login);
            let person = reviewers
                .iter()
                .find(|r| NameKey::new(&r.account) == key)
                .and_then(|r| match ix.user(&r.person.identity) {
                    UserMatch::One(u) => Some((u.id, r.person.identity.as_str())),
                    _ => None,
                });
            (login, person)
        })
        .collect();
    if approving.is_empty() {
        return Vec::new();
    }
    plan.changes
        .iter()
        .filter(|c| c.applies && c.action == Action::Add)
        .filter(|c| {
            approving
                .iter()
                .all(|(_, p)| p.is_some_and(|(id, _)| id == c.user_id))
        })
        .map(|c| SelfApproval {
            user: c.user.clone(),
            grant: c.target.describe(),
            reviewers: approving.iter().map(|(l, _)| l.to_string()).collect(),
            person: approving
                .iter()
                .filter_map(|(_, p)| p.map(|(_, who)| who.to_string()))
                .next()
                .unwrap_or_default(),
        })
        .collect()
}
