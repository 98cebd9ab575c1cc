//! What CI sees of a run: error documents (markdown and JSON) when a plan fails, GitHub
//! workflow-command annotations on stderr, and the step summary file.

use std::io::Write as _;
use std::path::PathBuf;

use coupa_access_core::model::Warning;
use coupa_access_core::policy::{PolicyDiagnostic, PolicyErrors};
use coupa_access_core::render::{
    markdown_code, markdown_code_line, markdown_escape, markdown_fence, MARKDOWN_LIMIT, PLAN_MARKER,
};

use crate::cli::Annotations;
use crate::cmd::LiveCheckFailed;
use crate::codes::ErrorCode;

/// One problem as CI reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    pub code: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub help: Option<String>,
}

impl ErrorItem {
    fn of_policy(d: &PolicyDiagnostic) -> ErrorItem {
        let at = d.points().into_iter().next();
        ErrorItem {
            code: d.code().to_string(),
            message: d.message().to_string(),
            file: at.as_ref().map(|p| p.path.clone()),
            line: at.as_ref().map(|p| p.line),
            column: at.as_ref().map(|p| p.column),
            help: d.help_text().map(str::to_string),
        }
    }
}

/// The problems in a failed run: each policy diagnostic with its position, or the error itself
/// (message with its causes, code and help).
pub fn errors_of(report: &miette::Report) -> Vec<ErrorItem> {
    let diags = report
        .downcast_ref::<PolicyErrors>()
        .map(|e| &e.diagnostics)
        .or_else(|| {
            report
                .downcast_ref::<LiveCheckFailed>()
                .map(|e| &e.diagnostics)
        });
    if let Some(diags) = diags {
        return diags.iter().map(ErrorItem::of_policy).collect();
    }
    let message = report
        .chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ");
    vec![ErrorItem {
        code: report
            .code()
            .map_or_else(|| ErrorCode::Other.to_string(), |c| c.to_string()),
        message,
        file: None,
        line: None,
        column: None,
        help: report.help().map(|h| h.to_string()),
    }]
}

/// The JSON error document: `{"format_version":1,"kind":"error","errors":[…]}`.
pub fn error_json(errors: &[ErrorItem]) -> String {
    let errors: Vec<_> = errors
        .iter()
        .map(|e| {
            serde_json::json!({ "code": e.code, "message": e.message, "file": e.file,
                                "line": e.line, "column": e.column, "help": e.help })
        })
        .collect();
    let doc = serde_json::json!({ "format_version": 1, "kind": "error", "errors": errors });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The markdown error report for the pull request, under [`MARKDOWN_LIMIT`] with the number of
/// problems left out.
pub fn error_markdown(command: &str, errors: &[ErrorItem]) -> String {
    let mut s = format!(
        "{PLAN_MARKER}\n## coupa-access {command} failed\n\n**{} found; nothing was planned.**\n\n",
        count(errors.len(), "problem", "problems")
    );
    let reserve = 200;
    for (i, e) in errors.iter().enumerate() {
        let mut item = String::from("- ");
        if let (Some(f), Some(l), Some(c)) = (&e.file, e.line, e.column) {
            // A file name is anyone's text: inline code it cannot end, nor break a line of.
            item.push_str(&format!("{}: ", markdown_code(&format!("{f}:{l}:{c}"))));
        }
        item.push_str(&markdown_escape(&e.message));
        item.push_str(&format!(" <sub>{}</sub>", markdown_escape(&e.code)));
        if let Some(h) = &e.help {
            item.push_str(&format!("\n  - help: {}", markdown_escape(h)));
        }
        item.push('\n');
        if s.len() + item.len() + reserve > MARKDOWN_LIMIT {
            let n = errors.len() - i;
            let what = if n == 1 { "problem" } else { "problems" };
            s.push_str(&format!("- _… and {n} more {what} not shown_\n"));
            break;
        }
        s.push_str(&item);
    }
    s.push_str("\nRun `coupa-access validate` locally for the full report.\n");
    s
}

/// A text report (apply's) as a step-summary section: a heading and the text in a code block
/// no line can close early, capped at [`MARKDOWN_LIMIT`] on a line boundary with the number of
/// lines left out.
pub fn text_summary(command: &str, success: bool, text: &str) -> String {
    let status = if success { "done" } else { "failed" };
    let lines: Vec<_> = text.lines().map(markdown_code_line).collect();
    let fence = markdown_fence(lines.iter().map(|l| l.as_ref()));
    let mut s = format!("## coupa-access {command} {status}\n\n{fence}text\n");
    for (i, line) in lines.iter().enumerate() {
        if s.len() + line.len() + fence.len() + 200 > MARKDOWN_LIMIT {
            s.push_str(&format!("… and {} more lines not shown\n", lines.len() - i));
            break;
        }
        s.push_str(line);
        s.push('\n');
    }
    s.push_str(&fence);
    s.push('\n');
    s
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether to print GitHub annotations: `auto` means under GitHub Actions.
pub fn annotate(choice: Annotations) -> bool {
    match choice {
        Annotations::Github => true,
        Annotations::None => false,
        Annotations::Auto => std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
    }
}

/// Escapes a workflow command's message (GitHub's rules: `%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=…,line=…,col=…,title=…::message`.
pub fn annotation(level: &str, e: &ErrorItem) -> String {
    let mut props = Vec::new();
    if let Some(f) = &e.file {
        props.push(format!("file={}", escape_property(f)));
    }
    if let Some(l) = e.line {
        props.push(format!("line={l}"));
    }
    if let Some(c) = e.column {
        props.push(format!("col={c}"));
    }
    props.push(format!("title={}", escape_property(&e.code)));
    let mut message = e.message.clone();
    if let Some(h) = &e.help {
        message.push_str(&format!(" (help: {h})"));
    }
    format!("::{level} {}::{}", props.join(","), escape_data(&message))
}

/// GitHub shows at most this many annotations of one level (error, warning) per step and drops
/// the rest without a word; the ones past it are counted in a notice instead.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// The annotation lines for `items` at `level`: the first [`ANNOTATIONS_PER_LEVEL`], then one
/// `::notice` counting the rest (`what` names them: "policy problems", "plan warnings").
pub fn annotations(level: &str, items: &[ErrorItem], what: &str) -> Vec<String> {
    let mut lines: Vec<_> = items
        .iter()
        .take(ANNOTATIONS_PER_LEVEL)
        .map(|e| annotation(level, e))
        .collect();
    if items.len() > ANNOTATIONS_PER_LEVEL {
        let rest = items.len() - ANNOTATIONS_PER_LEVEL;
        let message = format!(
            "{rest} more {what} than the {ANNOTATIONS_PER_LEVEL} shown as annotations ({} in all): \
             GitHub shows {ANNOTATIONS_PER_LEVEL} per step; the report lists every one",
            items.len()
        );
        lines.push(format!(
            "::notice title={}::{}",
            escape_property(&format!("coupa-access: {rest} more {what}")),
            escape_data(&message)
        ));
    }
    lines
}

/// Prints an `::error` line per problem (the first [`ANNOTATIONS_PER_LEVEL`], then a count).
pub fn annotate_errors(errors: &[ErrorItem]) {
    for line in annotations("error", errors, "policy problems") {
        say!("{line}");
    }
}

/// Prints a `::warning` line per plan warning (the first [`ANNOTATIONS_PER_LEVEL`], then a
/// count).
pub fn annotate_warnings(warnings: &[Warning]) {
    let items: Vec<_> = warnings
        .iter()
        .map(|w| ErrorItem {
            code: serde_json::to_value(w.code)
                .ok()
                .and_then(|v| v.as_str().map(|c| format!("coupa_access::plan::{c}")))
                .unwrap_or_else(|| "coupa_access::plan::warning".to_string()),
            message: w.message.clone(),
            file: w.at.as_ref().map(|p| p.file.clone()),
            line: w.at.as_ref().map(|p| p.line),
            column: w.at.as_ref().map(|p| p.column),
            help: w.help.clone(),
        })
        .collect();
    for line in annotations("warning", &items, "plan warnings") {
        say!("{line}");
    }
}

/// Appends `markdown` to the step summary (`GITHUB_STEP_SUMMARY`) when `--summary` is given or
/// the variable is set; never overwrites what earlier steps wrote. The markdown is rendered only
/// when it is written (a large plan's takes tens of milliseconds).
pub fn append_summary(asked: bool, markdown: impl FnOnce() -> String) -> miette::Result<()> {
    let path = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let Some(path) = path else {
        if asked {
            say!("note: --summary: GITHUB_STEP_SUMMARY is not set, so no summary was written");
        }
        return Ok(());
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| miette::miette!("cannot open the step summary {}: {e}", path.display()))?;
    f.write_all(markdown().as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| miette::miette!("cannot write the step summary {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ErrorItem {
        ErrorItem {
            code: "coupa_access::policy::unknown_user".into(),
            message: "50% of\nlines".into(),
            file: Some("policies/a,b.yaml".into()),
            line: Some(3),
            column: Some(5),
            help: None,
        }
    }

    #[test]
    fn annotations_escape_per_github_rules() {
        assert_eq!(
            annotation("error", &item()),
            "::error file=policies/a%2Cb.yaml,line=3,col=5,title=coupa_access%3A%3Apolicy%3A%3Aunknown_user::50%25 of%0Alines"
        );
    }

    #[test]
    fn annotations_stop_at_githubs_limit_per_level_and_count_the_rest() {
        let lines = annotations("error", &vec![item(); 13], "policy problems");
        assert_eq!(lines.len(), ANNOTATIONS_PER_LEVEL + 1);
        assert!(lines[..10].iter().all(|l| l.starts_with("::error ")));
        assert_eq!(
            lines[10],
            "::notice title=coupa-access%3A 3 more policy problems::3 more policy problems than \
             the 10 shown as annotations (13 in all): GitHub shows 10 per step; the report lists \
             every one"
        );
        assert_eq!(annotations("warning", &vec![item(); 10], "w").len(), 10);
    }

    #[test]
    fn error_markdown_is_capped_with_a_count() {
        let many = vec![item(); 5_000];
        let md = error_markdown("plan", &many);
        assert!(md.starts_with(PLAN_MARKER));
        assert!(md.len() <= MARKDOWN_LIMIT);
        let shown = md.lines().filter(|l| l.starts_with("- `policies")).count();
        assert!(
            md.contains(&format!("… and {} more problems not shown", 5_000 - shown)),
            "{md}"
        );
    }

    #[test]
    fn the_apply_summary_block_cannot_be_closed_or_reordered_by_a_name() {
        let text = "ok  group \"G\" + @octocat\nfailed  ````\n```\u{202e}x\n";
        let md = text_summary("apply", false, text);
        // The fence outlasts the longest run inside; no line starts with one as long.
        assert!(
            md.starts_with("## coupa-access apply failed\n\n`````text\n"),
            "{md}"
        );
        assert!(md.ends_with("\n`````\n"), "{md}");
        assert_eq!(md.matches("`````").count(), 2, "{md}");
        assert!(
            md.contains("```\\u{202e}x\n") && !md.contains('\u{202e}'),
            "{md}"
        );
    }

    #[test]
    fn a_file_name_stays_in_its_inline_code() {
        let mut e = item();
        e.file = Some("a`b\n\n## @org/team.yaml".into());
        let md = error_markdown("plan", &[e]);
        assert!(
            md.contains("- ``a`b  ## @org/team.yaml:3:5``: 50% of lines"),
            "{md}"
        );
    }
}
