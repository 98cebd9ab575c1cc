//! Removes the client secret and every issued access token from text quoted from a server
//! (an echoing proxy, a careless error page) before it reaches a message or a log line.
//!
//! Any run of [`RUN`] or more consecutive bytes of a secret is cut out, so a server that echoes
//! only part of it (a truncated echo) leaks less than `RUN` bytes. Runs are looked for in the
//! text as it is and in every reading of it that undoes an encoding, alone or chained:
//! percent-encoding (applied any number of times up to four, `+` as space or not), HTML
//! entities, JSON and JavaScript escapes, Base64 (standard or URL-safe, of any stretch of the
//! text at any alignment, such as a whole echoed form body) and hex, and copies spaced out by
//! whitespace, invisible characters or a repeated separator. What a run was decoded from is
//! what is cut from the text. A text too intricate to read within a budget is not quoted.

mod binary;
mod seg;
mod spacing;
mod unescape;
mod views;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::RwLock;

/// What replaces a secret.
pub(crate) const REDACTED: &str = "[redacted]";

/// What replaces a whole text that could not be checked within the budget.
pub(crate) const UNCHECKED: &str = "[not quoted: too intricate to check for secrets]";

/// The shortest run of a secret that is hidden wherever it appears.
pub(crate) const RUN: usize = 8;

/// Bytes of readings allowed per byte of text (plus [`BUDGET_BASE`]); past it, fail closed.
const BUDGET_PER_BYTE: usize = 256;
const BUDGET_BASE: usize = 64 * 1024;

/// Cutting a secret out can make new neighbours; the text is read again until it is clean,
/// at most this many times.
const PASSES: usize = 3;

/// What is looked for.
#[derive(Default)]
struct Needles {
    /// Every `RUN`-byte window of every secret at least `RUN` long.
    windows: HashSet<[u8; RUN]>,
    /// Secrets shorter than `RUN`, looked for whole.
    short: Vec<Vec<u8>>,
}

impl Needles {
    /// The fewest bytes a match can have.
    fn min_len(&self) -> usize {
        self.short
            .iter()
            .map(Vec::len)
            .min()
            .unwrap_or(RUN)
            .min(RUN)
    }

    fn is_empty(&self) -> bool {
        self.windows.is_empty() && self.short.is_empty()
    }

    /// The original ranges of every match in `seg`.
    fn find(&self, seg: &seg::Seg, marks: &mut Vec<(usize, usize)>) {
        let b = &seg.bytes;
        if !self.windows.is_empty() {
            for (i, w) in b.windows(RUN).enumerate() {
                if self
                    .windows
                    .contains(<&[u8; RUN]>::try_from(w).expect("RUN bytes"))
                {
                    marks.push(seg.span(i, i + RUN));
                }
            }
        }
        for s in &self.short {
            for (i, w) in b.windows(s.len()).enumerate() {
                if w == s.as_slice() {
                    marks.push(seg.span(i, i + s.len()));
                }
            }
        }
    }
}

/// The secrets to hide. `Debug` shows only counts.
pub(crate) struct Redactor {
    needles: RwLock<Needles>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .needles
            .read()
            .map_or(0, |p| p.windows.len() + p.short.len());
        write!(f, "Redactor({n} patterns)")
    }
}

impl Redactor {
    /// Hides `secret` (the client secret; inside Basic credentials too, through Base64).
    pub(crate) fn new(secret: &str) -> Redactor {
        let r = Redactor {
            needles: RwLock::new(Needles::default()),
        };
        r.add(secret);
        r
    }

    /// Hides `secret` (e.g. a token just issued) from now on.
    pub(crate) fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut n = self.needles.write().unwrap_or_else(|e| e.into_inner());
        let b = secret.as_bytes();
        if b.len() < RUN {
            if !n.short.iter().any(|s| s == b) {
                n.short.push(b.to_vec());
            }
        } else {
            for w in b.windows(RUN) {
                n.windows.insert(w.try_into().expect("RUN bytes"));
            }
        }
    }

    /// `text` with every run of a secret, in any encoding above, replaced by `[redacted]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let needles = self.needles.read().unwrap_or_else(|e| e.into_inner());
        if needles.is_empty() || text.is_empty() {
            return text.to_string();
        }
        let mut out = text.to_string();
        for _ in 0..PASSES {
            let budget = BUDGET_BASE + BUDGET_PER_BYTE * out.len();
            let Some(readings) = views::readings(&out, needles.min_len(), budget) else {
                return UNCHECKED.to_string();
            };
            let mut marks = Vec::new();
            readings.iter().for_each(|s| needles.find(s, &mut marks));
            if marks.is_empty() {
                return out;
            }
            out = cut(&out, marks);
        }
        // Still finding runs after cutting: say nothing rather than something partly clean.
        REDACTED.to_string()
    }
}

/// `text` with the byte ranges `marks` (widened to whole characters, merged where they
/// overlap or touch) each replaced by [`REDACTED`].
fn cut(text: &str, mut marks: Vec<(usize, usize)>) -> String {
    marks.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut i = 0;
    while i < marks.len() {
        let (mut start, mut end) = marks[i];
        i += 1;
        while i < marks.len() && marks[i].0 <= end {
            end = end.max(marks[i].1);
            i += 1;
        }
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        // A widened range may reach back into what was already cut.
        let start = start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end.max(at);
    }
    out.push_str(&text[at..]);
    out
}
