//! A push parser for snapshot files: the text is fed in chunks and never held whole.
//!
//! Only the top-level object is scanned here (keys, `:`, `,`, braces). Each element of a record
//! array (`users`, `groups`, ...) is deserialized on its own, from the bytes at hand, so at most
//! one partial element is carried between chunks. Every other top-level key/value is kept
//! verbatim in a small JSON text ("the rest", with `[]` standing in for the record arrays) that
//! is deserialized at the end with the same `Read` struct [`super::from_whole_text`] uses, so
//! unknown keys, duplicate metadata, wrong types and the version check behave as they always did.
//! Errors carry line and column in the file's coordinates.

use serde::de::{DeserializeOwned, IgnoredAny};

use super::position::{advance, offset_of, Fault, Pos};
use super::{check_version, from_whole_text, Read, SnapshotError, SnapshotMeta, VersionOnly};
use crate::model::Live;

/// The record arrays, in `Live`'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Users,
    Groups,
    Projects,
    Roles,
    Memberships,
}

impl Record {
    const ALL: [Record; 5] = [
        Record::Users,
        Record::Groups,
        Record::Projects,
        Record::Roles,
        Record::Memberships,
    ];

    fn name(self) -> &'static str {
        match self {
            Record::Users => "users",
            Record::Groups => "groups",
            Record::Projects => "projects",
            Record::Roles => "roles",
            Record::Memberships => "memberships",
        }
    }

    fn of(key: &str) -> Option<Record> {
        Record::ALL.into_iter().find(|r| r.name() == key)
    }
}

/// What the value after the current key goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Kept verbatim in the rest.
    Rest,
    /// A record array, seen for the first time.
    Record(Record),
    /// A record key seen twice: already an error; its value is only checked for syntax.
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening brace.
    Start,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After a top-level `,`: a key.
    NextKey,
    Colon,
    Value,
    AfterValue,
    /// After `[`: an element or `]`.
    FirstElement,
    /// After an element's `,`: an element.
    NextElement,
    Element,
    AfterElement,
    /// After the closing brace: whitespace only.
    Trailing,
    /// Not an object: the whole input is kept and read as before (an error, or a curiosity).
    Whole,
    /// A syntax error was found; the rest of the input is ignored.
    Failed,
}

/// One parsed JSON value at the front of the bytes at hand.
enum Parsed<T> {
    Value(T, usize),
    /// The value may continue in the next chunk.
    More,
    Error(serde_json::Error),
}

/// `text` was checked as UTF-8 once, by chunk; serde_json reads it without checking again.
fn parse_one<T: DeserializeOwned>(text: &str, at_eof: bool) -> Parsed<T> {
    let bytes = text.as_bytes();
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
    match values.next() {
        None if at_eof => Parsed::Error(eof_error(bytes)),
        None => Parsed::More,
        Some(Ok(v)) => {
            let n = values.byte_offset();
            // A number or literal that ends the bytes at hand may go on in the next chunk.
            let delimited = matches!(bytes[..n].last(), Some(b'}' | b']' | b'"'));
            if n == bytes.len() && !at_eof && !delimited {
                Parsed::More
            } else {
                Parsed::Value(v, n)
            }
        }
        Some(Err(e)) if e.is_eof() && !at_eof => Parsed::More,
        // E.g. `1.` or `-`: a number cut by the chunk's end.
        Some(Err(e)) if !at_eof && offset_of(bytes, e.line(), e.column()) >= bytes.len() => {
            Parsed::More
        }
        Some(Err(e)) => Parsed::Error(e),
    }
}

/// serde_json's own EOF error for `bytes`, so its wording is kept.
fn eof_error(bytes: &[u8]) -> serde_json::Error {
    serde_json::from_slice::<IgnoredAny>(bytes)
        .err()
        .unwrap_or_else(|| serde::de::Error::custom("EOF while parsing a value"))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

/// Reads a snapshot fed in chunks of any size; see the module docs.
///
/// ```
/// # use coupa_access_core::snapshot::Reader;
/// let mut reader = Reader::new();
/// for chunk in br#"{"users": [], "groups": [], "roles": [], "memberships": []}"#.chunks(7) {
///     reader.feed(chunk).unwrap();
/// }
/// let (live, meta) = reader.finish().unwrap();
/// assert!(live.users.is_empty() && meta.domain.is_none());
/// ```
pub struct Reader {
    state: State,
    /// The unparsed bytes kept between feeds (at most a partial element or token).
    carry: Vec<u8>,
    /// The carry length at which parsing is tried again after a feed that made no progress.
    retry_at: usize,
    /// File offset of the next unparsed byte, its line, and where that line starts.
    offset: u64,
    line: usize,
    line_start: u64,
    /// How far into the bytes being parsed `offset` has been brought.
    synced: usize,
    target: Target,
    /// The current key as written, for the rest.
    key_raw: Vec<u8>,
    key_pos: Pos,
    record: Record,
    /// Elements of the current array are only checked, not kept (after an error, or a duplicate).
    discard: bool,
    seen: Vec<Record>,
    /// `{` and the verbatim top-level key/values other than record arrays.
    rest: Vec<u8>,
    /// Where pieces of the rest come from in the file: (offset in rest, file position).
    pieces: Vec<(usize, Pos)>,
    close: Pos,
    syntax: Option<Fault>,
    /// The first error the whole-text `Read` would have stopped at, in a record or a record
    /// key seen twice (`Json` when serde_json names it a syntax error, as `from_whole_text` does).
    read_error: Option<SnapshotError>,
    /// A second `format_version`: the whole-text read's fallback stops there, so a later
    /// syntax error is named as this one.
    version_twice: Option<Fault>,
    version_seen: bool,
    live: Live,
    /// Whitespace before the first token, for the `Whole` case (which rereads from the start).
    lead: Vec<u8>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    /// A reader at the start of a file.
    pub fn new() -> Reader {
        Reader {
            state: State::Start,
            carry: Vec::new(),
            retry_at: 0,
            offset: 0,
            line: 1,
            line_start: 0,
            synced: 0,
            target: Target::Rest,
            key_raw: Vec::new(),
            key_pos: (1, 0),
            record: Record::Users,
            discard: false,
            seen: Vec::new(),
            rest: b"{".to_vec(),
            pieces: vec![(0, (1, 0))],
            close: (1, 0),
            syntax: None,
            read_error: None,
            version_twice: None,
            version_seen: false,
            live: Live::default(),
            lead: Vec::new(),
        }
    }

    /// Feeds the next bytes of the file. A syntax error is returned as soon as it is seen
    /// (and again by [`Reader::finish`]); other errors wait for `finish`, as a newer
    /// `format_version` later in the file takes precedence over them.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        if let Some(f) = &self.syntax {
            return Err(SnapshotError::Json(f.clone()));
        }
        if !self.carry.is_empty() && self.carry.len() + chunk.len() < self.retry_at {
            self.carry.extend_from_slice(chunk);
            return Ok(());
        }
        let mut carry = std::mem::take(&mut self.carry);
        let in_carry = !carry.is_empty();
        if in_carry {
            carry.extend_from_slice(chunk);
        }
        let data: &[u8] = if in_carry { &carry } else { chunk };
        let text = match std::str::from_utf8(data) {
            Ok(text) => text,
            // A character split across chunks: its first bytes wait for the rest.
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(e) => {
                let fault = self.invalid_utf8(&data[..e.valid_up_to()]);
                return Err(self.fail(fault));
            }
        };
        let used = self.run(text, false);
        if in_carry {
            carry.drain(..used);
        } else {
            carry.extend_from_slice(&chunk[used..]);
        }
        // No progress (one huge value, or `Whole`): try again once the carry has doubled,
        // so the value is reparsed O(log n) times, not once a chunk.
        self.retry_at = if used == 0 { 2 * carry.len() } else { 0 };
        self.carry = carry;
        match &self.syntax {
            Some(f) => Err(SnapshotError::Json(f.clone())),
            None => Ok(()),
        }
    }

    /// Ends the file: the live state and metadata, or why the file is not a snapshot.
    pub fn finish(mut self) -> Result<(Live, SnapshotMeta), SnapshotError> {
        if let Some(f) = self.syntax.take() {
            return Err(SnapshotError::Json(f));
        }
        let carry = std::mem::take(&mut self.carry);
        let text = match std::str::from_utf8(&carry) {
            Ok(text) => text,
            Err(e) => {
                return Err(SnapshotError::Json(
                    self.invalid_utf8(&carry[..e.valid_up_to()]),
                ))
            }
        };
        if self.state == State::Whole {
            let mut whole = String::from_utf8_lossy(&self.lead).into_owned();
            whole.push_str(text);
            return from_whole_text(&whole);
        }
        let used = self.run(text, true);
        if let Some(f) = self.syntax.take() {
            return Err(SnapshotError::Json(f));
        }
        if self.state != State::Trailing {
            let message = match self.state {
                State::Start => "EOF while parsing a value",
                State::FirstElement | State::NextElement | State::Element | State::AfterElement => {
                    "EOF while parsing a list"
                }
                _ => "EOF while parsing an object",
            };
            let (line, column) = advance(self.here(), &carry[used..]);
            return Err(SnapshotError::Json(Fault {
                message: message.to_owned(),
                line,
                column,
            }));
        }
        self.finish_rest()
    }

    /// Reads the rest with `Read`, as the whole file used to be read, and puts the records in.
    fn finish_rest(mut self) -> Result<(Live, SnapshotMeta), SnapshotError> {
        for record in std::mem::take(&mut self.seen) {
            self.start_piece(self.close);
            self.rest.push(b'"');
            self.rest.extend_from_slice(record.name().as_bytes());
            self.rest.extend_from_slice(b"\":[]");
        }
        self.pieces.push((self.rest.len(), self.close));
        self.rest.push(b'}');
        let version: VersionOnly = serde_json::from_slice(&self.rest)
            .map_err(|e| SnapshotError::Json(self.rest_fault(&e)))?;
        check_version(version.format_version.as_ref())?;
        let mut read: Read = match serde_json::from_slice(&self.rest) {
            Ok(read) => read,
            Err(e) => {
                let fault = self.rest_fault(&e);
                let rest_error = if e.is_syntax() || e.is_eof() {
                    SnapshotError::Json(fault)
                } else {
                    SnapshotError::Shape(fault)
                };
                return Err(match self.read_error.take() {
                    Some(first) if position(&first) <= position(&rest_error) => first,
                    _ => rest_error,
                });
            }
        };
        if let Some(first) = self.read_error.take() {
            return Err(first);
        }
        check_version(read.format_version.map(serde_json::Value::from).as_ref())?;
        let meta = super::meta_of(&mut read);
        let mut live = self.live;
        // Vec doubling leaves up to twice the room; the records are kept for the whole run.
        live.users.shrink_to_fit();
        live.groups.shrink_to_fit();
        live.projects.shrink_to_fit();
        live.roles.shrink_to_fit();
        live.memberships.shrink_to_fit();
        Ok((live, meta))
    }

    fn here(&self) -> Pos {
        (self.line, (self.offset - self.line_start) as usize)
    }

    /// Brings the position up to `data[to]`: lines are counted only when a position is needed
    /// and once per chunk, not per element.
    fn sync(&mut self, data: &[u8], to: usize) {
        let bytes = &data[self.synced..to];
        self.synced = to;
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
        if newlines > 0 {
            let last = bytes.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            self.line += newlines;
            self.line_start = self.offset + last as u64 + 1;
        }
        self.offset += bytes.len() as u64;
    }

    /// `bytes` start at the next unparsed byte; `e` is relative to them.
    fn fault_in(&self, bytes: &[u8], e: &serde_json::Error) -> Fault {
        let pos = if e.line() == 0 {
            self.here()
        } else {
            advance(
                self.here(),
                &bytes[..offset_of(bytes, e.line(), e.column())],
            )
        };
        Fault::from_serde(e, pos)
    }

    fn rest_fault(&self, e: &serde_json::Error) -> Fault {
        if e.line() == 0 {
            return Fault::from_serde(e, self.close);
        }
        let at = offset_of(&self.rest, e.line(), e.column());
        let i = self
            .pieces
            .partition_point(|&(start, _)| start <= at)
            .max(1)
            - 1;
        let (start, pos) = self.pieces[i];
        Fault::from_serde(e, advance(pos, &self.rest[start..at]))
    }

    fn invalid_utf8(&self, valid: &[u8]) -> Fault {
        let (line, column) = advance(self.here(), valid);
        Fault {
            message: "invalid UTF-8".to_owned(),
            line,
            column: column + 1,
        }
    }

    /// A syntax error at the next byte (serde_json counts the offending byte in the column).
    fn syntax_at(&mut self, message: &str) {
        let (line, column) = self.here();
        let fault = Fault {
            message: message.to_owned(),
            line,
            column: column + 1,
        };
        self.fail(fault);
    }

    fn fail(&mut self, fault: Fault) -> SnapshotError {
        let fault = self.version_twice.clone().unwrap_or(fault);
        self.state = State::Failed;
        self.syntax = Some(fault.clone());
        SnapshotError::Json(fault)
    }

    fn start_piece(&mut self, pos: Pos) {
        if self.rest.len() > 1 {
            self.rest.push(b',');
        }
        self.pieces.push((self.rest.len(), pos));
    }

    /// Parses what it can of `data` (valid UTF-8 up to a character boundary); returns the
    /// number of bytes used. The unused tail is a partial token or element.
    fn run(&mut self, text: &str, at_eof: bool) -> usize {
        let pos = self.parse(text, at_eof);
        self.sync(text.as_bytes(), pos);
        self.synced = 0;
        pos
    }

    fn parse(&mut self, text: &str, at_eof: bool) -> usize {
        let data = text.as_bytes();
        self.synced = 0;
        let mut pos = 0;
        loop {
            if matches!(self.state, State::Whole | State::Failed) {
                return pos;
            }
            // Whitespace between tokens.
            let ws = data[pos..].iter().take_while(|&&b| is_ws(b)).count();
            if ws > 0 {
                if self.state == State::Start {
                    self.lead.extend_from_slice(&data[pos..pos + ws]);
                }
                pos += ws;
            }
            let Some(&byte) = data.get(pos) else {
                return pos;
            };
            let in_array = matches!(
                self.state,
                State::FirstElement | State::NextElement | State::Element | State::AfterElement
            );
            if !in_array {
                self.sync(data, pos);
            }
            let at = text.get(pos..).unwrap_or_default();
            let used = match self.state {
                State::Start if byte == b'{' => {
                    self.pieces[0].1 = self.here();
                    self.state = State::FirstKey;
                    Some(1)
                }
                State::Start => {
                    self.state = State::Whole;
                    return pos;
                }
                State::FirstKey if byte == b'}' => {
                    self.close = self.here();
                    self.state = State::Trailing;
                    Some(1)
                }
                State::FirstKey | State::NextKey if byte == b'"' => self.key(at, at_eof),
                State::NextKey if byte == b'}' => {
                    self.syntax_at("trailing comma");
                    None
                }
                State::FirstKey | State::NextKey => {
                    self.syntax_at("key must be a string");
                    None
                }
                State::Colon if byte == b':' => {
                    if self.target == Target::Rest {
                        self.rest.push(b':');
                    }
                    self.state = State::Value;
                    Some(1)
                }
                State::Colon => {
                    self.syntax_at("expected `:`");
                    None
                }
                State::Value => self.value(at, at_eof),
                State::AfterValue if byte == b',' => {
                    self.state = State::NextKey;
                    Some(1)
                }
                State::AfterValue if byte == b'}' => {
                    self.close = self.here();
                    self.state = State::Trailing;
                    Some(1)
                }
                State::AfterValue => {
                    self.syntax_at("expected `,` or `}`");
                    None
                }
                State::FirstElement if byte == b']' => {
                    self.state = State::AfterValue;
                    Some(1)
                }
                State::NextElement if byte == b']' => {
                    self.sync(data, pos);
                    self.syntax_at("trailing comma");
                    None
                }
                State::FirstElement | State::NextElement | State::Element => {
                    self.state = State::Element;
                    self.element(text, pos, at_eof)
                }
                State::AfterElement if byte == b',' => {
                    self.state = State::NextElement;
                    Some(1)
                }
                State::AfterElement if byte == b']' => {
                    self.state = State::AfterValue;
                    Some(1)
                }
                State::AfterElement => {
                    self.sync(data, pos);
                    self.syntax_at("expected `,` or `]`");
                    None
                }
                State::Trailing => {
                    self.syntax_at("trailing characters");
                    None
                }
                State::Whole | State::Failed => None,
            };
            match used {
                Some(n) => pos += n,
                None => return pos,
            }
        }
    }

    /// Handles a parse error of a value at the front of `at`: a syntax error ends the read.
    fn parse_error(&mut self, at: &str, e: &serde_json::Error) {
        let fault = self.fault_in(at.as_bytes(), e);
        if e.is_syntax() || e.is_eof() {
            self.fail(fault);
        } else {
            self.note_read_error(SnapshotError::Shape(fault));
        }
    }

    fn note_read_error(&mut self, error: SnapshotError) {
        if self.read_error.is_none() {
            self.read_error = Some(error);
        }
    }

    fn key(&mut self, at: &str, at_eof: bool) -> Option<usize> {
        let (key, n) = match parse_one::<String>(at, at_eof) {
            Parsed::Value(key, n) => (key, n),
            Parsed::More => return None,
            Parsed::Error(e) => {
                self.parse_error(at, &e);
                return None;
            }
        };
        self.key_raw.clear();
        self.key_raw.extend_from_slice(&at.as_bytes()[..n]);
        self.key_pos = self.here();
        self.target = match Record::of(&key) {
            Some(r) if self.seen.contains(&r) => {
                let (line, column) = advance(self.here(), &at.as_bytes()[..n]);
                self.note_read_error(SnapshotError::Shape(Fault {
                    message: format!("duplicate field `{key}`"),
                    line,
                    column,
                }));
                Target::Discard
            }
            Some(r) => Target::Record(r),
            None => Target::Rest,
        };
        if self.target == Target::Rest && key == "format_version" {
            if self.version_seen && self.version_twice.is_none() {
                let (line, column) = advance(self.here(), &at.as_bytes()[..n]);
                self.version_twice = Some(Fault {
                    message: "duplicate field `format_version`".to_owned(),
                    line,
                    column,
                });
            }
            self.version_seen = true;
        }
        if self.target == Target::Rest {
            self.start_piece(self.key_pos);
            self.rest.extend_from_slice(&at.as_bytes()[..n]);
        }
        self.state = State::Colon;
        Some(n)
    }

    fn value(&mut self, at: &str, at_eof: bool) -> Option<usize> {
        if at.as_bytes()[0] == b'[' {
            match self.target {
                Target::Record(r) => {
                    self.seen.push(r);
                    self.record = r;
                    self.discard = self.read_error.is_some();
                    self.state = State::FirstElement;
                    return Some(1);
                }
                Target::Discard => {
                    self.discard = true;
                    self.state = State::FirstElement;
                    return Some(1);
                }
                Target::Rest => {}
            }
        }
        // As the whole-text read's fallback reads them (the one that names syntax errors):
        // `format_version` as a value, everything else skipped.
        let parsed = if self.target == Target::Rest && self.key_raw == b"\"format_version\"" {
            match parse_one::<serde_json::Value>(at, at_eof) {
                Parsed::Value(_, n) => Parsed::Value(IgnoredAny, n),
                Parsed::More => Parsed::More,
                Parsed::Error(e) => Parsed::Error(e),
            }
        } else {
            parse_one::<IgnoredAny>(at, at_eof)
        };
        let n = match parsed {
            Parsed::Value(_, n) => n,
            Parsed::More => return None,
            Parsed::Error(e) => {
                self.parse_error(at, &e);
                return None;
            }
        };
        if let Target::Record(r) = self.target {
            // Not an array: the rest's `Read` names the wrong type, where it is.
            self.seen.push(r);
            self.start_piece(self.key_pos);
            self.rest.extend_from_slice(&self.key_raw);
            self.rest.push(b':');
            self.target = Target::Rest;
        }
        if self.target == Target::Rest {
            self.pieces.push((self.rest.len(), self.here()));
            self.rest.extend_from_slice(&at.as_bytes()[..n]);
        }
        self.state = State::AfterValue;
        Some(n)
    }

    fn element(&mut self, text: &str, pos: usize, at_eof: bool) -> Option<usize> {
        let data = text.as_bytes();
        // `pos` is at a token's start: a character boundary.
        let at = text.get(pos..).unwrap_or_default();
        let parsed = if self.discard {
            match parse_one::<IgnoredAny>(at, at_eof) {
                Parsed::Value(_, n) => Ok(Some(n)),
                Parsed::More => Ok(None),
                Parsed::Error(e) => Err(e),
            }
        } else {
            let live = &mut self.live;
            match self.record {
                Record::Users => push(&mut live.users, at, at_eof),
                Record::Groups => push(&mut live.groups, at, at_eof),
                Record::Projects => push(&mut live.projects, at, at_eof),
                Record::Roles => push(&mut live.roles, at, at_eof),
                Record::Memberships => push(&mut live.memberships, at, at_eof),
            }
        };
        match parsed {
            Ok(Some(n)) => {
                self.state = State::AfterElement;
                Some(n)
            }
            Ok(None) => None,
            Err(e) if !self.discard => {
                self.sync(data, pos);
                // The whole-text read stops here. Its fallback skips records and names only
                // syntax errors: so does this reader from now on, from this element on.
                let fault = self.fault_in(at.as_bytes(), &e);
                self.note_read_error(if e.is_syntax() || e.is_eof() {
                    SnapshotError::Json(fault)
                } else {
                    SnapshotError::Shape(fault)
                });
                self.discard = true;
                self.element(text, pos, at_eof)
            }
            Err(e) => {
                self.sync(data, pos);
                self.parse_error(at, &e);
                None
            }
        }
    }
}

/// Where an error is, for finding the first of two.
fn position(e: &SnapshotError) -> (usize, usize) {
    match e {
        SnapshotError::Json(f) | SnapshotError::Shape(f) => (f.line, f.column),
        SnapshotError::Version { .. } => (0, 0),
    }
}

fn push<T: DeserializeOwned>(
    into: &mut Vec<T>,
    at: &str,
    at_eof: bool,
) -> Result<Option<usize>, serde_json::Error> {
    match parse_one::<T>(at, at_eof) {
        Parsed::Value(v, n) => {
            into.push(v);
            Ok(Some(n))
        }
        Parsed::More => Ok(None),
        Parsed::Error(e) => Err(e),
    }
}
