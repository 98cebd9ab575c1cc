//! Untrusted text (names from Coupa and policy files, messages quoting them, file paths) made
//! inert in the markdown that GitHub and GitLab render as pull-request comments and step
//! summaries. Every markdown writer (plan, drift, the failure comment, the apply summary) puts
//! such text through this module, so the rules live in one place:
//!
//! - control characters and bidirectional controls are written visibly (`\u{202e}`), so a
//!   name can neither reorder how a line reads nor start a new line;
//! - `@name` and `@org/team` cannot notify anyone, `#123` cannot link an issue, and bare URLs
//!   (`https://…`, `www.…`) and e-mail addresses are not turned into links: an invisible
//!   word joiner (U+2060) goes after `@` and `#`, between `:` and `//`, and after `www`.
//!   Entities or backslash escapes would not do: they decode back to `@` in the rendered
//!   text, which is where GitHub looks for mentions;
//! - markdown and HTML syntax is escaped, so text never becomes emphasis, a link, a table
//!   cell boundary or a tag; inline code is fenced by more backticks than it holds, so it
//!   cannot end early.

use std::borrow::Cow;

use super::printable_str;

/// Invisible, zero-width and non-breaking: placed inside a would-be mention or link.
const BREAK: char = '\u{2060}';

/// `s` with line breaks as spaces and every other control or bidirectional control written
/// visibly.
fn visible(s: &str) -> Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        Cow::Owned(printable_str(&s.replace(['\n', '\r'], " ")).into_owned())
    } else {
        printable_str(s)
    }
}

/// Where a [`BREAK`] goes after the character at byte `i` of `s`: after `@` and `#`, after
/// the `:` of `://`, and after `www` (any case) before a dot.
fn breaks_after(s: &str, i: usize, ch: char) -> bool {
    let rest = &s[i + ch.len_utf8()..];
    match ch {
        '@' | '#' => true,
        ':' => rest.starts_with("//"),
        'w' | 'W' => {
            rest.starts_with('.')
                && i >= 2
                && s.get(i - 2..i)
                    .is_some_and(|ww| ww.eq_ignore_ascii_case("ww"))
        }
        _ => false,
    }
}

/// Text for anywhere inline in markdown: a paragraph, a list item, a heading or a table cell.
/// Shows `s` as it is (apart from the visible controls), and nothing in it links, mentions,
/// formats or ends the cell. The one escaping function of every markdown writer.
pub fn escape(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, ch) in s.char_indices() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '&' => out.push_str("&amp;"),
            _ => out.push(ch),
        }
        if breaks_after(&s, i, ch) {
            out.push(BREAK);
        }
    }
    out
}

/// Text inside an HTML element (the `<summary>` of a collapsed section), where markdown is not
/// read but GitHub still finds mentions and links: the same rules as [`escape`], HTML-escaped.
pub fn html_text(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 8);
    for (i, ch) in s.char_indices() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
        if breaks_after(&s, i, ch) {
            out.push(BREAK);
        }
    }
    out
}

/// A message written the way diagnostics and warnings write them, with inline code between
/// single backticks (``user `dave` is inactive``): each marked part becomes a [`code_span`]
/// and the rest goes through [`escape`], so the code renders as code instead of showing
/// literal backticks. A message whose backticks do not pair (a quoted name holding one) is
/// escaped whole. Either way every character is made inert: a name that moves the pairing can
/// only move what is shown as code.
pub(super) fn prose(s: &str) -> String {
    if s.matches('`').count() % 2 == 1 {
        return escape(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in s.split('`').enumerate() {
        match (i % 2 == 1, part.is_empty()) {
            (_, true) => {}
            (true, false) => out.push_str(&code_span(part)),
            (false, false) => out.push_str(&escape(part)),
        }
    }
    out
}

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    s.split(|ch| ch != '`').map(str::len).max().unwrap_or(0)
}

/// `s` as inline code (a file path, a login), exactly as it is apart from visible controls:
/// fenced by more backticks than any run inside it, and padded with a space where it starts or
/// ends with a backtick or a space (the padding is not shown), so nothing in it ends the span.
/// Inside code, GitHub makes no mentions or links.
pub fn code_span(s: &str) -> String {
    let s = visible(s);
    if s.is_empty() {
        return "` `".to_string();
    }
    let fence = "`".repeat(longest_backtick_run(&s) + 1);
    let pad = if s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' ') && !s.trim().is_empty())
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code-block fence longer than any run of backticks in `lines` (at least three), so no line
/// can close the block early.
pub fn fence_for<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let longest = lines
        .into_iter()
        .map(longest_backtick_run)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// One line for a fenced code block: controls and bidirectional controls written visibly (a
/// line break in it would start another line of the block).
pub fn code_line(s: &str) -> Cow<'_, str> {
    visible(s)
}

#[cfg(test)]
#[path = "markdown_text_tests.rs"]
mod tests;
