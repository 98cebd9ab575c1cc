//! Who wrote a policy line, and when: `git blame --porcelain` parsed, and pull-request
//! numbers found in commit subjects. The binary runs git and hands the text here.

use std::collections::BTreeMap;

use serde::Serialize;

/// Whether the git history the provenance comes from is whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum History {
    /// A full clone at `head`.
    Complete { head: String },
    /// A shallow clone: lines last changed at or before a shallow boundary commit may be
    /// older than it says, so they are reported as history incomplete, not attributed.
    Shallow {
        head: String,
        boundaries: Vec<String>,
    },
    /// Not a git work tree, or git could not be run: provenance unavailable.
    Unavailable { why: String },
}

/// Where one policy line came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Provenance {
    /// The commit that last changed the line (it introduced the entry as it reads now).
    Commit(Box<CommitInfo>),
    /// The line has changes not committed yet.
    Uncommitted,
    /// A shallow clone: the line is at least as old as the boundary commit `boundary`; the
    /// commit that introduced it is not in this clone.
    HistoryIncomplete { boundary: String },
    /// No git history to read (see [`History::Unavailable`]), or git said nothing of the line.
    Unavailable { why: String },
}

/// A commit, as an auditor asks about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub sha: String,
    pub author: String,
    pub author_email: String,
    /// The author date, RFC 3339 with the author's offset.
    pub date: String,
    pub subject: String,
    /// The pull request named by the commit's subject (a squash merge's `(#12)`) or, failing
    /// that, by the merge that brought the commit in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<u64>,
    /// The merge commit on the first-parent history that brought this commit in, when it was
    /// not committed there directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeInfo>,
}

/// The merge that brought a commit into the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeInfo {
    pub sha: String,
    pub author: String,
    pub date: String,
    pub subject: String,
}

impl CommitInfo {
    /// The short sha (12 characters).
    pub fn short(&self) -> &str {
        self.sha.get(..12).unwrap_or(&self.sha)
    }

    /// Sets the merge and, when the commit's own subject names none, the pull request it
    /// names.
    pub fn merged_by(&mut self, merge: MergeInfo) {
        if self.pull_request.is_none() {
            self.pull_request = pull_request_in(&merge.subject);
        }
        self.merge = Some(merge);
    }
}

/// The pull-request number a commit subject names: GitHub's `Merge pull request #12 from …`
/// and squash merges' `… (#12)`, Azure DevOps' `Merged PR 12: …`. `None` otherwise (an issue
/// reference like `fixes #3` is not a pull request).
pub fn pull_request_in(subject: &str) -> Option<u64> {
    let digits = |s: &str| -> Option<u64> {
        let n: String = s.chars().take_while(char::is_ascii_digit).collect();
        n.parse().ok()
    };
    if let Some(i) = subject.find("pull request #") {
        return digits(&subject[i + "pull request #".len()..]);
    }
    if let Some(rest) = subject.strip_prefix("Merged PR ") {
        return digits(rest);
    }
    // The last `(#N)`: squash merges append it.
    let mut found = None;
    let mut from = 0;
    while let Some(i) = subject[from..].find("(#") {
        let start = from + i + 2;
        let n: String = subject[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !n.is_empty() && subject[start + n.len()..].starts_with(')') {
            found = n.parse().ok();
        }
        from = start;
    }
    found
}

/// `git blame --porcelain` of one file, by final line number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blame {
    /// Line (from 1) to commit sha.
    pub lines: BTreeMap<usize, String>,
    /// Every commit named, with what the porcelain says of it.
    pub commits: BTreeMap<String, CommitInfo>,
}

/// The all-zero sha blame gives lines not committed yet.
const UNCOMMITTED: &str = "0000000000000000000000000000000000000000";

impl Blame {
    /// Parses `git blame --porcelain` output; lines it cannot read are skipped (a line
    /// without a commit is then reported as unavailable, never guessed).
    pub fn parse(text: &str) -> Blame {
        let mut out = Blame::default();
        let mut current: Option<String> = None;
        let mut fields: BTreeMap<&str, &str> = BTreeMap::new();
        let flush = |sha: &Option<String>, fields: &mut BTreeMap<&str, &str>, out: &mut Blame| {
            if let Some(sha) = sha {
                if fields.contains_key("author") && !out.commits.contains_key(sha) {
                    out.commits.insert(sha.clone(), commit_of(sha, fields));
                }
            }
            fields.clear();
        };
        for line in text.lines() {
            if line.starts_with('\t') {
                flush(&current, &mut fields, &mut out);
                continue;
            }
            let mut words = line.split(' ');
            let first = words.next().unwrap_or_default();
            if first.len() == 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
                let final_line = words.nth(1).and_then(|n| n.parse::<usize>().ok());
                if let Some(n) = final_line {
                    out.lines.insert(n, first.to_string());
                }
                current = Some(first.to_string());
                continue;
            }
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            fields.insert(key, value);
        }
        flush(&current, &mut fields, &mut out);
        out
    }

    /// The provenance of `line`: its commit, or uncommitted; a commit among `boundaries`
    /// (a shallow clone's) is history incomplete.
    pub fn provenance(&self, line: usize, boundaries: &[String]) -> Provenance {
        let Some(sha) = self.lines.get(&line) else {
            return Provenance::Unavailable {
                why: "git blame did not cover the line".into(),
            };
        };
        if sha == UNCOMMITTED {
            return Provenance::Uncommitted;
        }
        if boundaries.iter().any(|b| b == sha) {
            return Provenance::HistoryIncomplete {
                boundary: sha.clone(),
            };
        }
        match self.commits.get(sha) {
            Some(c) => Provenance::Commit(Box::new(c.clone())),
            None => Provenance::Unavailable {
                why: format!("git blame named commit {sha} without describing it"),
            },
        }
    }
}

fn commit_of(sha: &str, fields: &BTreeMap<&str, &str>) -> CommitInfo {
    let get = |k: &str| fields.get(k).copied().unwrap_or_default().to_string();
    let email = get("author-mail");
    let email = email
        .strip_prefix('<')
        .and_then(|e| e.strip_suffix('>'))
        .unwrap_or(&email)
        .to_string();
    let subject = get("summary");
    CommitInfo {
        sha: sha.to_string(),
        author: get("author"),
        author_email: email,
        date: rfc3339(&get("author-time"), &get("author-tz")),
        pull_request: pull_request_in(&subject),
        subject,
        merge: None,
    }
}

/// Seconds since 1970 and a `+hhmm` offset as RFC 3339 in that offset.
fn rfc3339(time: &str, tz: &str) -> String {
    let secs: Option<i64> = time.parse().ok();
    let offset = (|| {
        let sign = match tz.get(..1)? {
            "+" => 1,
            "-" => -1,
            _ => return None,
        };
        let h: i32 = tz.get(1..3)?.parse().ok()?;
        let m: i32 = tz.get(3..5)?.parse().ok()?;
        chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
    })()
    .or_else(|| chrono::FixedOffset::east_opt(0));
    match (
        secs.and_then(|s| chrono::DateTime::from_timestamp(s, 0)),
        offset,
    ) {
        (Some(t), Some(o)) => t
            .with_timezone(&o)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        _ => time.to_string(),
    }
}
