//! Line and column in a file, counted as serde_json counts them (the column is the number of
//! bytes before the position on its line), and errors located by them.

/// (line from 1, column).
pub(super) type Pos = (usize, usize);

/// A parse error's message and where in the file it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// serde_json's message, without its position.
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return f.write_str(&self.message);
        }
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl Fault {
    /// `e`'s message at `pos` (its own position may be relative to a piece of the file).
    pub(super) fn from_serde(e: &serde_json::Error, pos: Pos) -> Fault {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        Fault {
            message,
            line: pos.0,
            column: pos.1,
        }
    }

    /// `e` where it says it is (it was parsed from the whole file).
    pub(super) fn of(e: &serde_json::Error) -> Fault {
        Fault::from_serde(e, (e.line(), e.column()))
    }
}

/// The position after `bytes`, which start at `from`.
pub(super) fn advance(from: Pos, bytes: &[u8]) -> Pos {
    match bytes.iter().rposition(|&b| b == b'\n') {
        None => (from.0, from.1 + bytes.len()),
        Some(last) => {
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
            (from.0 + newlines, bytes.len() - last - 1)
        }
    }
}

/// The offset in `bytes` of serde_json's (`line`, `column`) within them (clamped).
pub(super) fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    (line_start + column).min(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip() {
        let text = b"ab\ncde\n\nf";
        for i in 0..=text.len() {
            let (line, column) = advance((1, 0), &text[..i]);
            assert_eq!(offset_of(text, line, column), i, "{i}");
        }
        assert_eq!(advance((3, 4), b"xy"), (3, 6));
        assert_eq!(advance((3, 4), b"x\nyz"), (4, 2));
    }
}
