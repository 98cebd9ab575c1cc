//! The access report as markdown (for an auditor), CSV (for a spreadsheet) and JSON
//! (complete, versioned).

use std::fmt::Write as _;

use super::{AccessReport, History, PolicyEntry, Provenance, Row, Source, Status};
use crate::render::markdown_escape as esc;

/// Pretty JSON ending in a newline: every field of the report.
pub fn json(report: &AccessReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// The source in one line.
fn source_line(s: &Source) -> String {
    match s {
        Source::Live { instance } => format!("live Coupa at {instance}"),
        Source::Snapshot {
            file,
            instance,
            taken_at,
        } => {
            let mut out = format!("snapshot {file}");
            if let Some(i) = instance {
                let _ = write!(out, " of {i}");
            }
            if let Some(t) = taken_at {
                let _ = write!(out, " taken {t}");
            }
            out
        }
        Source::PolicyAsOf {
            date,
            commit,
            commit_date,
        } => format!(
            "the policy as of {date}: commit {} of {commit_date} (no Coupa read: what the reviewed policy granted then)",
            commit.get(..12).unwrap_or(commit)
        ),
    }
}

fn history_line(h: &History) -> String {
    match h {
        History::Complete { head } => {
            format!("git history complete at {}", head.get(..12).unwrap_or(head))
        }
        History::Shallow { head, .. } => format!(
            "shallow clone at {}: history is incomplete, so lines older than the clone's boundary are not attributed (fetch the full history with `git fetch --unshallow`)",
            head.get(..12).unwrap_or(head)
        ),
        History::Unavailable { why } => format!("provenance unavailable: {why}"),
    }
}

/// The provenance in a few words (markdown-escaped when `md`).
fn provenance_text(p: Option<&Provenance>, md: bool) -> String {
    let e = |s: &str| if md { esc(s) } else { s.to_string() };
    match p {
        None => String::new(),
        Some(Provenance::Commit(c)) => {
            let date = c.date.get(..10).unwrap_or(&c.date);
            let mut out = format!(
                "{} {} by {}: \u{201c}{}\u{201d}",
                if md {
                    format!("`{}`", c.short())
                } else {
                    c.short().to_string()
                },
                date,
                e(&c.author),
                e(&c.subject)
            );
            if let Some(pr) = c.pull_request {
                let _ = write!(out, " (PR {}{pr})", if md { "\\#" } else { "#" });
            }
            if let Some(m) = &c.merge {
                let _ = write!(
                    out,
                    ", merged {} in {}",
                    m.date.get(..10).unwrap_or(&m.date),
                    if md {
                        format!("`{}`", m.sha.get(..12).unwrap_or(&m.sha))
                    } else {
                        m.sha.get(..12).unwrap_or(&m.sha).to_string()
                    }
                );
            }
            out
        }
        Some(Provenance::Uncommitted) => "not committed yet".into(),
        Some(Provenance::HistoryIncomplete { boundary }) => format!(
            "history incomplete (shallow clone; at or before {})",
            boundary.get(..12).unwrap_or(boundary)
        ),
        Some(Provenance::Unavailable { why }) => format!("unavailable: {}", e(why)),
    }
}

/// `until`, `reason` and exceptions in a few words.
fn terms(r: &Row, md: bool) -> String {
    let e = |s: &str| if md { esc(s) } else { s.to_string() };
    let mut parts = Vec::new();
    if let Some(p) = &r.policy {
        if let Some(u) = p.until {
            parts.push(format!("until {u}"));
        }
        if let Some(reason) = &p.reason {
            parts.push(format!("reason: {}", e(reason)));
        }
    }
    for x in &r.exceptions {
        let mut s = format!(
            "SoD exception \u{201c}{}\u{201d} until {}",
            e(&x.rule),
            x.until
        );
        if let Some(t) = &x.ticket {
            let _ = write!(s, ", ticket {}", e(t));
        }
        if let Some(a) = &x.approved_by {
            let _ = write!(s, ", approved by {}", e(a));
        }
        parts.push(s);
    }
    if let Some(k) = r.kept {
        parts.push(format!("kept by apply: {}", k.why()));
    }
    if !r.managed {
        parts.push("target not managed by policy".into());
    }
    parts.join("; ")
}

fn entry_text(p: Option<&PolicyEntry>, md: bool) -> String {
    match p {
        Some(p) if md => format!("`{}:{}`", p.file.replace('`', "'"), p.line),
        Some(p) => format!("{}:{}", p.file, p.line),
        None => String::new(),
    }
}

/// For an auditor: a heading per target, a table of its holders.
pub fn markdown(report: &AccessReport) -> String {
    let mut out = String::from("# Access report\n\n");
    let _ = writeln!(out, "- Source: {}", esc(&source_line(&report.source)));
    let _ = writeln!(out, "- Policy: `{}`", report.policy_digest);
    if let Some(c) = &report.completeness {
        let _ = writeln!(out, "- Completeness: {}", esc(&c.describe()));
    }
    let _ = writeln!(out, "- Provenance: {}", esc(&history_line(&report.history)));
    let _ = writeln!(
        out,
        "- Generated {} by coupa-access {}",
        report.generated_at, report.tool_version
    );
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} granted by policy, {} granted outside policy, {} expired grant(s), {} listed but not held.",
        s.granted_by_policy, s.outside_policy, s.expired_grant, s.not_held
    );
    let as_of = matches!(report.source, Source::PolicyAsOf { .. });
    let mut i = 0;
    while i < report.rows.len() {
        let first = &report.rows[i];
        let end = report.rows[i..]
            .iter()
            .position(|r| r.kind != first.kind || r.target != first.target)
            .map_or(report.rows.len(), |n| i + n);
        let _ = writeln!(
            out,
            "\n## {} {}{}\n",
            first.kind.title(),
            esc(&first.target),
            if first.managed { "" } else { " (not managed)" }
        );
        if as_of {
            out.push_str("| Person | Status | Policy entry | Introduced by | Terms |\n");
            out.push_str("|---|---|---|---|---|\n");
        } else {
            out.push_str(
                "| Person | Status | Policy entry | Introduced by | Terms | Coupa created-at |\n",
            );
            out.push_str("|---|---|---|---|---|---|\n");
        }
        for r in &report.rows[i..end] {
            let status = match r.status {
                Status::OutsidePolicy | Status::ExpiredGrant => {
                    format!("**{}**", r.status.words())
                }
                _ => r.status.words().to_string(),
            };
            let prov = r.policy.as_ref().and_then(|p| p.provenance.as_ref());
            let _ = write!(
                out,
                "| {} | {} | {} | {} | {} |",
                esc(&r.user),
                status,
                entry_text(r.policy.as_ref(), true),
                provenance_text(prov, true),
                terms(r, true)
            );
            if !as_of {
                let _ = write!(out, " {} |", r.coupa_created_at.as_deref().unwrap_or(""));
            }
            out.push('\n');
        }
        i = end;
    }
    if report.rows.is_empty() {
        out.push_str("\nNo holders and no policy entries.\n");
    }
    out
}

/// The CSV columns, in order.
const COLUMNS: [&str; 21] = [
    "kind",
    "target",
    "target_id",
    "managed",
    "user",
    "user_id",
    "status",
    "policy_file",
    "policy_line",
    "identity",
    "until",
    "reason",
    "exceptions",
    "provenance",
    "commit",
    "author",
    "author_email",
    "commit_date",
    "subject",
    "pull_request",
    "coupa_created_at",
];

/// For a spreadsheet: one row per report row, RFC 4180 quoting, and a leading `'` on any
/// field a spreadsheet would run as a formula.
pub fn csv(report: &AccessReport) -> String {
    let mut out = String::new();
    line(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    for r in &report.rows {
        let p = r.policy.as_ref();
        let prov = p.and_then(|p| p.provenance.as_ref());
        let commit = match prov {
            Some(Provenance::Commit(c)) => Some(c),
            _ => None,
        };
        let state = match prov {
            None => "",
            Some(Provenance::Commit(_)) => "commit",
            Some(Provenance::Uncommitted) => "uncommitted",
            Some(Provenance::HistoryIncomplete { .. }) => "history_incomplete",
            Some(Provenance::Unavailable { .. }) => "unavailable",
        };
        let kind = serde_json::to_value(r.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let status = serde_json::to_value(r.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let exceptions = r
            .exceptions
            .iter()
            .map(|x| {
                let mut s = format!("{} until {}", x.rule, x.until);
                if let Some(t) = &x.ticket {
                    let _ = write!(s, " ({t})");
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ");
        let opt = |o: Option<String>| o.unwrap_or_default();
        line(
            &mut out,
            [
                kind,
                r.target.clone(),
                opt(r.target_id.map(|i| i.to_string())),
                r.managed.to_string(),
                r.user.clone(),
                opt(r.user_id.map(|i| i.to_string())),
                status,
                opt(p.map(|p| p.file.clone())),
                opt(p.map(|p| p.line.to_string())),
                opt(p.map(|p| p.identity.clone())),
                opt(p.and_then(|p| p.until).map(|u| u.to_string())),
                opt(p.and_then(|p| p.reason.clone())),
                exceptions,
                state.to_string(),
                opt(commit.map(|c| c.sha.clone())),
                opt(commit.map(|c| c.author.clone())),
                opt(commit.map(|c| c.author_email.clone())),
                opt(commit.map(|c| c.date.clone())),
                opt(commit.map(|c| c.subject.clone())),
                opt(commit.and_then(|c| c.pull_request).map(|n| n.to_string())),
                opt(r.coupa_created_at.clone()),
            ]
            .into_iter(),
        );
    }
    out
}

/// One CSV record; CRLF ends it, as RFC 4180 says (spreadsheets read either).
fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    let mut first = true;
    for f in fields {
        if !first {
            out.push(',');
        }
        first = false;
        field(out, &f);
    }
    out.push_str("\r\n");
}

/// A field: a formula's first character defused (names and subjects come from people), then
/// quoted when it holds a comma, quote or line break.
fn field(out: &mut String, f: &str) {
    let defused;
    let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        defused = format!("'{f}");
        &defused
    } else {
        f
    };
    if f.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let mut s = String::new();
        line(
            &mut s,
            [
                "a,b",
                "say \"hi\"",
                "=HYPERLINK(1)",
                "plain",
                "two\nlines",
                "-1",
            ]
            .into_iter()
            .map(String::from),
        );
        assert_eq!(
            s,
            "\"a,b\",\"say \"\"hi\"\"\",'=HYPERLINK(1),plain,\"two\nlines\",'-1\r\n"
        );
    }
}
