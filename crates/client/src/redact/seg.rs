//! A decoded reading of part of a text: bytes, each remembering which bytes of the original
//! text it was decoded from, so a secret found in the decoding is cut out of the original.

/// Bytes decoded from the original text, with each byte's source range in that text.
#[derive(Debug, Clone, Default)]
pub(super) struct Seg {
    pub bytes: Vec<u8>,
    /// For `bytes[i]`, the original bytes `src[i].0..src[i].1` it came from.
    pub src: Vec<(usize, usize)>,
}

impl Seg {
    /// The whole text, byte for byte.
    pub(super) fn of(text: &str) -> Seg {
        Seg {
            bytes: text.as_bytes().to_vec(),
            src: (0..text.len()).map(|i| (i, i + 1)).collect(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The original range covered by decoded bytes `i..j` (`i < j`).
    pub(super) fn span(&self, i: usize, j: usize) -> (usize, usize) {
        (self.src[i].0, self.src[j - 1].1)
    }

    /// Appends `b`, decoded from this seg's bytes `i..j`, to `out`.
    pub(super) fn emit(&self, out: &mut Seg, b: u8, i: usize, j: usize) {
        out.bytes.push(b);
        out.src.push(self.span(i, j));
    }

    /// Appends `s` (one decoded character's bytes), decoded from this seg's bytes `i..j`.
    pub(super) fn emit_all(&self, out: &mut Seg, s: &[u8], i: usize, j: usize) {
        for &b in s {
            self.emit(out, b, i, j);
        }
    }
}
