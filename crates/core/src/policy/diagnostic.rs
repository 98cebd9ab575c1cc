//! Diagnostics that point into the user's policy files, and their plain-text rendering.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};

use super::Code;
use crate::model::{Desired, Loc, PolicyFile};

/// All the problems found in one run over the policy files (at least one).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{} in policy files", problems(.diagnostics.len()))]
pub struct PolicyErrors {
    /// Sorted by file, then by position in the file; at most 50 of one code, each capped code
    /// ending with one "and N more" summary after all of them.
    #[related]
    pub diagnostics: Vec<PolicyDiagnostic>,
}

fn problems(n: usize) -> String {
    if n == 1 {
        "1 problem".to_string()
    } else {
        format!("{n} problems")
    }
}

/// Where a label points, resolved to a human position (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPoint {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub label: String,
}

/// One problem (or warning) in the policy files, pointing at where it was written.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PolicyDiagnostic {
    message: String,
    code: Code,
    severity: Severity,
    help: Option<String>,
    src: Option<FileSource>,
    labels: Vec<LabeledSpan>,
    points: Vec<LabelPoint>,
    /// Places in other files, each with its own source (miette labels are per source).
    related: Vec<PolicyDiagnostic>,
    /// Sort key: file index (path order), then byte offset; `None` sorts first.
    sort_key: (Option<usize>, usize),
}

impl PolicyDiagnostic {
    /// A new diagnostic with no position yet.
    pub(crate) fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        PolicyDiagnostic {
            // Messages quote names from policy files and Coupa: never let them drive a terminal.
            message: crate::render::printable_str(&message.into()).into_owned(),
            code,
            severity,
            help: None,
            src: None,
            labels: Vec::new(),
            points: Vec::new(),
            related: Vec::new(),
            sort_key: (None, 0),
        }
    }

    /// An error without a position (e.g. a file that cannot be read).
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning without a position.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Adds a label at `loc`. The first label sets the diagnostic's file; a label in another
    /// file becomes a related note with its own source.
    pub(crate) fn label(mut self, sources: &Sources, loc: Loc, text: impl Into<String>) -> Self {
        let text = text.into();
        let Some(file) = sources.files.get(loc.file) else {
            return self;
        };
        match self.sort_key.0 {
            None => {
                self.sort_key = (Some(loc.file), loc.offset);
                self.src = Some(file.named());
            }
            Some(f) if f != loc.file => {
                let note = PolicyDiagnostic::new(Severity::Advice, self.code, "see also")
                    .label(sources, loc, text);
                self.related.push(note);
                return self;
            }
            Some(_) => {}
        }
        let (offset, mut len) = file.clamp(loc.offset, loc.len);
        let on_long_line = file.long_line_at(offset);
        if let Some((_, line_end)) = on_long_line {
            // On a very long line miette only sees a window around one label (see FileSource).
            len = len.min(WINDOW).min(line_end - offset);
            while !file.text.is_char_boundary(offset + len) {
                len -= 1;
            }
        }
        let (line, column) = file.line_col(offset);
        self.points.push(LabelPoint {
            path: file.path.clone(),
            line,
            column,
            label: text.clone(),
        });
        let span = SourceSpan::new(offset.into(), len);
        if let Some((line_start, line_end)) = on_long_line {
            let shares_line = self
                .labels
                .iter()
                .any(|l| (line_start..=line_end).contains(&l.offset()));
            if shares_line {
                // Its position is still in `points`; miette draws one label per long line.
                return self;
            }
        }
        self.labels.push(if self.labels.is_empty() {
            LabeledSpan::new_primary_with_span(Some(text), span)
        } else {
            LabeledSpan::new_with_span(Some(text), span)
        });
        self
    }

    /// A diagnostic pointing at `loc` in `desired`'s files, for checks made outside this module
    /// (e.g. a removal guard pointing at `max_removals`). Add more with [`Self::with_help`].
    pub fn at(
        desired: &Desired,
        severity: Severity,
        code: Code,
        message: impl Into<String>,
        loc: Loc,
        label: impl Into<String>,
    ) -> Self {
        // Only the one file is needed; policy files can be large and this may run per change.
        let sources = Sources::only(&desired.files, loc.file);
        Self::new(severity, code, message).label(&sources, loc, label)
    }

    /// Sets the help line.
    pub fn with_help(self, help: impl Into<String>) -> Self {
        self.help(help)
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(crate::render::printable_str(&help.into()).into_owned());
        self
    }

    /// The one-line message, e.g. ``unknown field `membrs` ``.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Its stable code, such as `policy::unknown_field`.
    pub fn code(&self) -> Code {
        self.code
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The help line, if any.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Every labelled position, this diagnostic's first, then those in other files.
    pub fn points(&self) -> Vec<LabelPoint> {
        let mut out = self.points.clone();
        for r in &self.related {
            out.extend(r.points());
        }
        out
    }

    /// `path:line:col: message` (plus the help), for plan warnings and CI logs.
    pub fn one_line(&self) -> String {
        let mut s = match self.points.first() {
            Some(p) => format!("{}:{}:{}: {}", p.path, p.line, p.column, self.message),
            None => self.message.clone(),
        };
        if let Some(h) = &self.help {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        s
    }

    pub(crate) fn sort_key(&self) -> (Option<usize>, usize) {
        self.sort_key
    }
}

impl Diagnostic for PolicyDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}

/// Sorts diagnostics by file (path order), then position; stable for equal keys.
pub(crate) fn sort(diags: &mut [PolicyDiagnostic]) {
    diags.sort_by_key(|d| d.sort_key());
}

/// Renders diagnostics as plain text without colour at a fixed width of 100 columns (for golden
/// files and CI logs), with miette's graphical handler and its no-colour theme; a blank line
/// separates reports.
pub fn render_plain(diags: &[PolicyDiagnostic]) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Writing into a String cannot fail; a rendering error just leaves that report short.
        let _ = handler.render_report(&mut out, d);
    }
    out
}

/// The policy files' texts, shared by every diagnostic that quotes them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources<'a> {
    files: Vec<Source<'a>>,
}

#[derive(Debug, Clone)]
struct Source<'a> {
    path: String,
    /// The file as read: positions are found here (the quoted copy has the same byte layout).
    text: &'a str,
    /// The copy snippets quote, made printable; built when a first diagnostic quotes the file
    /// (policies run to megabytes, and most runs quote nothing).
    quoted: std::cell::OnceCell<Arc<str>>,
    lines: Arc<Lines>,
    /// An ASCII text's columns are byte differences: no counting along long lines.
    ascii: bool,
}

/// Where a text's lines start, found once and shared by every diagnostic quoting the text.
#[derive(Debug)]
struct Lines {
    /// Byte offsets where each line starts (after each `\n`), the first being 0.
    starts: Vec<usize>,
    /// The text has a `\r` not followed by `\n`, which miette counts as a line break of its own.
    lone_cr: bool,
}

impl Lines {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        Lines {
            starts: crate::model::line_starts(text),
            lone_cr: text
                .match_indices('\r')
                .any(|(i, _)| bytes.get(i + 1) != Some(&b'\n')),
        }
    }

    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1) - 1
    }
}

impl<'a> Sources<'a> {
    pub(crate) fn new(files: &'a [PolicyFile]) -> Self {
        Sources {
            files: files.iter().map(Source::new).collect(),
        }
    }

    /// Like `new`, with the text of file `keep` only (indices stay the same).
    pub(crate) fn only(files: &'a [PolicyFile], keep: usize) -> Self {
        let empty = |f: &PolicyFile| Source::of(f.path.clone(), "");
        Sources {
            files: files
                .iter()
                .enumerate()
                .map(|(i, f)| if i == keep { Source::new(f) } else { empty(f) })
                .collect(),
        }
    }
}

impl Sources<'_> {
    /// Whether file `file` is known (a label there sets a diagnostic's position).
    pub(crate) fn has(&self, file: usize) -> bool {
        file < self.files.len()
    }

    /// Where `loc` starts, as a label there reports it (`None` for an unknown file).
    pub(crate) fn pos(&self, loc: Loc) -> Option<crate::model::SourcePos> {
        let file = self.files.get(loc.file)?;
        let (line, column) = file.line_col(loc.offset);
        Some(crate::model::SourcePos {
            file: file.path.clone(),
            line,
            column,
        })
    }
}

impl<'a> Source<'a> {
    fn new(f: &'a PolicyFile) -> Self {
        Source::of(f.path.clone(), &f.text)
    }

    fn of(path: String, text: &'a str) -> Self {
        Source {
            path,
            lines: Arc::new(Lines::new(text)),
            text,
            quoted: std::cell::OnceCell::new(),
            ascii: text.is_ascii(),
        }
    }

    fn named(&self) -> FileSource {
        // Snippets quote the file: never let it drive a terminal. Each character keeps its
        // byte length, so every offset found in `text` holds in the copy.
        let quoted = self
            .quoted
            .get_or_init(|| Arc::from(crate::render::printable_same_width(self.text)));
        FileSource {
            name: crate::render::printable_str(&self.path).into_owned(),
            text: quoted.clone(),
            lines: self.lines.clone(),
        }
    }

    /// The byte range of the line holding `offset` if that line is too long to quote whole.
    fn long_line_at(&self, offset: usize) -> Option<(usize, usize)> {
        let line = self.lines.line_of(offset);
        let start = self.lines.starts[line];
        let mut end = self
            .lines
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        if self.text[start..end].ends_with('\r') {
            end -= 1;
        }
        (end - start > MAX_LINE).then_some((start, end))
    }

    /// Keeps a span inside the text and on character boundaries.
    fn clamp(&self, offset: usize, len: usize) -> (usize, usize) {
        let mut start = offset.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = offset.saturating_add(len).min(self.text.len()).max(start);
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        (start, end - start)
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let (offset, _) = self.clamp(offset, 0);
        let line = self.lines.line_of(offset);
        let start = self.lines.starts[line];
        let column = if self.ascii {
            offset - start
        } else {
            column_of(self.text, start, offset)
        };
        (line + 1, column + 1)
    }
}

/// Lines longer than this (bytes) are quoted only around the label.
const MAX_LINE: usize = 1_000;
/// Bytes quoted on each side of a label on a long line; also the longest label drawn there.
const WINDOW: usize = 100;

/// The `[start, end)` byte range of the line holding `offset` (without its line break).
fn line_around(text: &str, offset: usize) -> Option<(usize, usize)> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| offset + i);
    Some((start, end))
}

pub(crate) use crate::model::column_of;

/// A policy file as miette reads it. Like `NamedSource`, except that a snippet with a very long
/// line shows only a window of that line around the span: miette pads with format widths,
/// which panic past 65,535 columns, and quoting 100 KB of one line helps nobody.
#[derive(Debug, Clone)]
struct FileSource {
    name: String,
    text: Arc<str>,
    lines: Arc<Lines>,
}

impl FileSource {
    /// Where miette may start reading for a span at `offset` with `before` lines of context:
    /// a line start a little before them, and that line's number. miette counts lines from the
    /// start of what it is given, so on a large file reading from the top for every snippet
    /// costs a scan of the file per diagnostic; from here the answer is the same. A text with
    /// lone `\r`s (miette's line breaks, not ours) is read from the top.
    fn base(&self, offset: usize, before: usize) -> (usize, usize) {
        if self.lines.lone_cr {
            return (0, 0);
        }
        let line = self.lines.line_of(offset.min(self.text.len()));
        match line.checked_sub(before + 1) {
            Some(base) if base > 0 => (self.lines.starts[base], base),
            _ => (0, 0),
        }
    }
}

impl SourceCode for FileSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &str = &self.text;
        let (base, base_line) = self.base(span.offset(), before);
        let from_base = SourceSpan::new((span.offset() - base).into(), span.len());
        let full = text.as_bytes()[base..].read_span(&from_base, before, after)?;
        let (start, end) = (
            base + full.span().offset(),
            base + full.span().offset() + full.span().len(),
        );
        // miette's count of line breaks up to the end of what it read, from the top.
        let line_count = base_line + full.line_count();
        let Some(quoted) = text.get(start..end) else {
            // Not character boundaries (labels are clamped to them): miette's own reading.
            return text.as_bytes().read_span(span, before, after);
        };
        let (lo, hi) = if quoted.split('\n').all(|l| l.len() <= MAX_LINE) {
            (start, end)
        } else {
            let at = span.offset().min(text.len());
            let Some((line_start, line_end)) = line_around(text, at) else {
                return Err(MietteError::OutOfBounds);
            };
            if line_end - line_start > MAX_LINE {
                // A window of the long line itself.
                let mut lo = at.saturating_sub(WINDOW).max(line_start);
                let mut hi = at.saturating_add(2 * WINDOW).min(line_end);
                while !text.is_char_boundary(lo) {
                    lo -= 1;
                }
                while !text.is_char_boundary(hi) {
                    hi += 1;
                }
                (lo, hi)
            } else {
                // Only the span's own (short) line.
                (line_start, line_end)
            }
        };
        let line = self.lines.line_of(lo);
        // miette counts columns in bytes; ours are characters, as in `points`.
        let column = column_of(text, self.lines.starts[line], lo);
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                &text.as_bytes()[lo..hi],
                (lo, hi - lo).into(),
                line,
                column,
                line_count,
            )
            .with_language("yaml"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Lines, PolicyDiagnostic};
    use crate::model::PolicyFile;
    use crate::policy::{load_files, render_plain};

    /// The diagnostics with their sources read by miette from the top of the text (as before
    /// snippets were read from a nearby line start).
    fn read_from_the_top(diags: &[PolicyDiagnostic]) -> Vec<PolicyDiagnostic> {
        fn redo(d: &PolicyDiagnostic) -> PolicyDiagnostic {
            let mut src = d.src.clone();
            if let Some(src) = &mut src {
                src.lines = Arc::new(Lines {
                    starts: src.lines.starts.clone(),
                    lone_cr: true,
                });
            }
            PolicyDiagnostic {
                message: d.message.clone(),
                code: d.code,
                severity: d.severity,
                help: d.help.clone(),
                src,
                labels: d.labels.clone(),
                points: d.points.clone(),
                related: d.related.iter().map(redo).collect(),
                sort_key: d.sort_key,
            }
        }
        diags.iter().map(redo).collect()
    }

    #[test]
    fn snippets_read_near_the_span_render_as_read_from_the_top() {
        // Problems all along a long file: on its first lines, labels far apart (a group
        // declared twice), two on one line, in LF and CRLF files.
        let mut text = String::from("groups:\n  G0: {membrs: [a]}\n");
        for i in 1..400 {
            text.push_str(&format!("  G{i}:\n    members: [u{i}]\n"));
            if i % 97 == 0 {
                text.push_str(&format!("    mode: sideways\n  g{}: {{}}\n", i - 50));
            }
        }
        text.push_str("  G0: {membrs: [b], descr: x}\nrolez: {}\n");
        for text in [text.clone(), text.replace('\n', "\r\n")] {
            let err = load_files(vec![PolicyFile {
                path: "p/a.yaml".into(),
                text,
            }])
            .unwrap_err();
            assert!(err.diagnostics.len() >= 8, "{:?}", err.diagnostics.len());
            let near = render_plain(&err.diagnostics);
            assert_eq!(near, render_plain(&read_from_the_top(&err.diagnostics)));
            assert!(near.contains("declared twice"), "{near}");
        }
    }

    fn render_errors(text: String) -> String {
        let err = load_files(vec![PolicyFile {
            path: "p/a.yaml".into(),
            text,
        }])
        .unwrap_err();
        render_plain(&err.diagnostics)
    }

    #[test]
    fn snippets_never_quote_control_characters() {
        // An escape sequence and a right-to-left override in the file, on the erroneous line
        // and around it; CRLF line ends stay as they are.
        let text = "groups:\r\n  Buyers:\r\n    # \u{1b}]0;owned\u{7}\u{1b}[2J\r\n    members: [\u{202e}alice, 12]\u{85}\r\n".to_string();
        let out = render_errors(text);
        assert!(out.contains("members"), "{out}");
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{85}'] {
            assert!(!out.contains(bad), "{bad:?} quoted raw in:\n{out}");
        }
        assert!(out.contains("?]0;owned??[2J"), "{out}");
    }

    #[test]
    fn errors_far_along_one_long_line_render() {
        // 1,000 names of 100 characters: over 100 KB on one line.
        let groups: Vec<String> = (0..1_000)
            .map(|i| format!("g{i:05}{}: {{members: []}}", "x".repeat(94)))
            .collect();
        let line = format!("{{groups: {{{}}}, zzz: 1}}", groups.join(", "));
        assert!(line.len() > 100_000);
        let out = render_errors(line.clone());
        assert!(out.contains("unknown top-level key `zzz`"), "{out}");
        assert!(out.len() < 5_000, "only a window of the line is quoted");
        let out = render_errors(format!("{line}, ["));
        assert!(out.contains("invalid YAML"), "{out}");
        // Two labels on one long line, far apart: `groups` written twice.
        let out = render_errors(format!(
            "{{groups: {{}}, {}, groups: {{}}}}",
            groups.join(", ")
        ));
        assert!(out.contains("`groups` is written twice"), "{out}");
        // Non-ASCII before the error, and a long line in the middle of short ones.
        let out = render_errors(format!("# ü\n{}\n", line.replace("g0", "ü0")));
        assert!(out.contains("unknown top-level key `zzz`"), "{out}");
        let out = render_errors(format!(
            "roles: {{}}\ngroups: {{{}}}\nzzz: 1\n",
            groups.join(", ")
        ));
        assert!(out.contains("unknown top-level key `zzz`"), "{out}");
    }
}
