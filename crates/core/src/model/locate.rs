//! Positions in policy files — the one locator (line and column, the byte-order-mark rule
//! included) for diagnostics and plan warnings — for many warnings at once: each file's line starts are found once,
//! then every position is a binary search (a plan can warn thousands of times about a 6 MB file).

use std::cell::OnceCell;

use super::{Loc, PolicyFile, SourcePos};

/// Locates `Loc`s in `files` as [`SourcePos::locate`] does, scanning each file at most once.
#[derive(Debug)]
pub struct Locator<'a> {
    files: &'a [PolicyFile],
    /// Byte offsets where each line starts, per file, found on the first position asked for.
    line_starts: Vec<OnceCell<Vec<usize>>>,
}

impl<'a> Locator<'a> {
    pub fn new(files: &'a [PolicyFile]) -> Self {
        Locator {
            files,
            line_starts: files.iter().map(|_| OnceCell::new()).collect(),
        }
    }

    /// The position of `loc`; `None` when `loc` names no file. Equal to
    /// `SourcePos::locate(files, loc)`.
    pub fn locate(&self, loc: Loc) -> Option<SourcePos> {
        let f = self.files.get(loc.file)?;
        let starts = self
            .line_starts
            .get(loc.file)?
            .get_or_init(|| line_starts(&f.text));
        let mut offset = loc.offset.min(f.text.len());
        while !f.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The line holding `offset`: the last start at or before it (line 0 starts at 0).
        let line = starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = starts[line];
        Some(SourcePos {
            file: f.path.clone(),
            line: line + 1,
            column: column_of(&f.text, start, offset) + 1,
        })
    }
}

/// The 0-based column, in characters, of `offset` on the line starting at `line_start`: the
/// one column rule for diagnostics and plan warnings. A byte order mark opening the file is no
/// column: editors do not show it.
pub(crate) fn column_of(text: &str, line_start: usize, offset: usize) -> usize {
    let chars = text[line_start..offset].chars().count();
    if line_start == 0 && text.starts_with('\u{feff}') && offset > 0 {
        chars - 1
    } else {
        chars
    }
}

/// Byte offsets where each line of `text` starts (after each `\n`), the first being 0: sized
/// exactly (a policy can have hundreds of thousands of lines, and two indexes are kept).
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    let lines = 1 + text.bytes().filter(|&b| b == b'\n').count();
    let mut starts = Vec::with_capacity(lines);
    starts.push(0);
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_position_is_where_a_scan_from_the_start_puts_it() {
        let files = vec![
            PolicyFile {
                path: "p/a.yaml".into(),
                text: "\u{feff}groups:\r\n  Zoë:\n    members: [ä, b]\n\nx".into(),
            },
            PolicyFile {
                path: "p/b.yaml".into(),
                text: String::new(),
            },
        ];
        let locator = Locator::new(&files);
        for file in 0..3 {
            let len = files.get(file).map_or(0, |f| f.text.len());
            for offset in 0..len + 3 {
                let loc = Loc {
                    file,
                    offset,
                    len: 1,
                };
                assert_eq!(
                    locator.locate(loc),
                    SourcePos::locate(&files, loc),
                    "file {file}, offset {offset}"
                );
            }
        }
    }
}
