//! A light YAML tree with byte spans, built from libyaml's event stream.
//!
//! `serde_yaml` (yaml_serde) does not expose where a value was written, and every diagnostic must
//! point at file, line and column. libyaml-rs is the parser yaml_serde itself runs on, so this costs
//! no extra build and reads YAML exactly as serde_yaml would. The `unsafe` is confined to
//! [`EventParser`], a minimal safe wrapper modelled on yaml_serde's own.

use std::collections::HashMap;
use std::ffi::{c_char, CStr};
use std::mem::MaybeUninit;

use libyaml_rs as sys;

/// A byte range in the file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

/// A YAML value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// The shape of a YAML value. Scalars stay text: the converter decides what they mean.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, or nothing at all (`members:` with no value), with the text as written
    /// (a key such as `Null:` is still a name).
    Null(String),
    Scalar(String),
    Seq(Vec<Node>),
    /// Pairs in the order written (duplicate keys are kept; the converter reports them).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A short name of the node's type, for "expected a list, found a string" messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null(_) => "nothing",
            Value::Scalar(_) => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Deeper nesting than this is never a policy file; the limit keeps recursion bounded.
const MAX_DEPTH: usize = 64;
/// Bounds alias expansion (a "billion laughs" file must not exhaust memory).
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Parses every document of a file. An empty file yields no documents.
pub fn parse(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder {
        events: EventParser::new(text.as_bytes())?,
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
    };
    let mut docs = Vec::new();
    loop {
        let ev = builder.events.next()?;
        match ev.kind {
            EventKind::StreamStart | EventKind::DocumentEnd => {}
            EventKind::DocumentStart => {
                let first = builder.events.next()?;
                docs.push(builder.node(first, 0)?);
            }
            EventKind::StreamEnd => return Ok(docs),
            _ => return Err(unexpected(&ev)),
        }
    }
}

fn unexpected(ev: &Event) -> SyntaxError {
    SyntaxError {
        message: "unexpected YAML event".into(),
        offset: ev.start,
    }
}

struct Builder<'a> {
    events: EventParser<'a>,
    anchors: HashMap<String, Node>,
    alias_budget: usize,
}

impl Builder<'_> {
    fn node(&mut self, ev: Event, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("nested more than {MAX_DEPTH} levels deep"),
                offset: ev.start,
            });
        }
        let start = ev.start;
        let (node, anchor) = match ev.kind {
            EventKind::Scalar {
                value,
                plain,
                anchor,
            } => {
                let is_null =
                    plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let value = if is_null {
                    Value::Null(value)
                } else {
                    Value::Scalar(value)
                };
                let span = Span {
                    offset: start,
                    len: ev.end.saturating_sub(start),
                };
                (Node { value, span }, anchor)
            }
            EventKind::Alias(name) => {
                let Some(target) = self.anchors.get(&name) else {
                    return Err(SyntaxError {
                        message: format!("unknown anchor `{name}`"),
                        offset: start,
                    });
                };
                let cost = count(target);
                if cost > self.alias_budget {
                    return Err(SyntaxError {
                        message: "too many alias expansions".into(),
                        offset: start,
                    });
                }
                self.alias_budget -= cost;
                return Ok(target.clone());
            }
            EventKind::SequenceStart { anchor } => {
                let mut items = Vec::new();
                loop {
                    let next = self.events.next()?;
                    if let EventKind::SequenceEnd = next.kind {
                        let span = Span {
                            offset: start,
                            len: next.end.saturating_sub(start),
                        };
                        break (
                            Node {
                                value: Value::Seq(items),
                                span,
                            },
                            anchor,
                        );
                    }
                    items.push(self.node(next, depth + 1)?);
                }
            }
            EventKind::MappingStart { anchor } => {
                let mut pairs = Vec::new();
                loop {
                    let next = self.events.next()?;
                    if let EventKind::MappingEnd = next.kind {
                        let span = Span {
                            offset: start,
                            len: next.end.saturating_sub(start),
                        };
                        break (
                            Node {
                                value: Value::Map(pairs),
                                span,
                            },
                            anchor,
                        );
                    }
                    let key = self.node(next, depth + 1)?;
                    let value_ev = self.events.next()?;
                    let value = self.node(value_ev, depth + 1)?;
                    pairs.push((key, value));
                }
            }
            _ => return Err(unexpected(&ev)),
        };
        if let Some(name) = anchor {
            self.anchors.insert(name, node.clone());
        }
        Ok(node)
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Null(_) | Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(pairs) => pairs.iter().map(|(k, v)| count(k) + count(v)).sum(),
    }
}

/// One parser event with its byte range.
struct Event {
    kind: EventKind,
    start: usize,
    end: usize,
}

enum EventKind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias(String),
    Scalar {
        value: String,
        plain: bool,
        anchor: Option<String>,
    },
    SequenceStart {
        anchor: Option<String>,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<String>,
    },
    MappingEnd,
}

/// Safe wrapper over libyaml's pull parser. The parser struct is boxed because libyaml keeps a
/// pointer to it (`read_handler_data`), so it must never move; `'a` ties it to the input it reads.
struct EventParser<'a> {
    raw: Box<MaybeUninit<sys::yaml_parser_t>>,
    _input: std::marker::PhantomData<&'a [u8]>,
}

impl<'a> EventParser<'a> {
    fn new(input: &'a [u8]) -> Result<Self, SyntaxError> {
        let mut raw = Box::new(MaybeUninit::<sys::yaml_parser_t>::uninit());
        let p = raw.as_mut_ptr();
        // SAFETY: `p` points to boxed, writable memory that initialize fills in; `input`
        // outlives the parser through `'a`.
        unsafe {
            if sys::yaml_parser_initialize(p).fail {
                return Err(SyntaxError {
                    message: "out of memory starting the YAML parser".into(),
                    offset: 0,
                });
            }
            sys::yaml_parser_set_encoding(p, sys::YAML_UTF8_ENCODING);
            sys::yaml_parser_set_input_string(p, input.as_ptr(), input.len() as u64);
        }
        Ok(EventParser {
            raw,
            _input: std::marker::PhantomData,
        })
    }

    fn next(&mut self) -> Result<Event, SyntaxError> {
        let p = self.raw.as_mut_ptr();
        let mut event = MaybeUninit::<sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised in `new`; the event is read only after parse
        // succeeded and deleted exactly once.
        unsafe {
            if (&*p).error != sys::YAML_NO_ERROR
                || sys::yaml_parser_parse(p, event.as_mut_ptr()).fail
            {
                return Err(parse_error(p));
            }
            let ev = &*event.as_ptr();
            let kind = convert(ev);
            let out = Event {
                kind,
                start: ev.start_mark.index as usize,
                end: ev.end_mark.index as usize,
            };
            sys::yaml_event_delete(event.as_mut_ptr());
            Ok(out)
        }
    }
}

impl Drop for EventParser<'_> {
    fn drop(&mut self) {
        // SAFETY: only constructed after a successful initialize.
        unsafe { sys::yaml_parser_delete(self.raw.as_mut_ptr()) }
    }
}

/// SAFETY: `p` must be an initialised parser that reported an error.
unsafe fn parse_error(p: *const sys::yaml_parser_t) -> SyntaxError {
    let parser = unsafe { &*p };
    let problem =
        unsafe { cstr(parser.problem.cast::<u8>()) }.unwrap_or_else(|| "invalid YAML".to_string());
    let context = unsafe { cstr(parser.context.cast::<u8>()) };
    let message = match context {
        Some(c) => format!("{problem}, {c}"),
        None => problem,
    };
    SyntaxError {
        message,
        offset: parser.problem_mark.index as usize,
    }
}

/// SAFETY: `ptr` is null or a NUL-terminated string.
unsafe fn cstr(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(ptr.cast::<c_char>()) };
    Some(s.to_string_lossy().into_owned())
}

/// SAFETY: `ev` is an event just produced by `yaml_parser_parse`.
unsafe fn convert(ev: &sys::yaml_event_t) -> EventKind {
    unsafe {
        match ev.type_ {
            sys::YAML_STREAM_START_EVENT => EventKind::StreamStart,
            sys::YAML_DOCUMENT_START_EVENT => EventKind::DocumentStart,
            sys::YAML_DOCUMENT_END_EVENT => EventKind::DocumentEnd,
            sys::YAML_ALIAS_EVENT => {
                EventKind::Alias(cstr(ev.data.alias.anchor).unwrap_or_default())
            }
            sys::YAML_SCALAR_EVENT => {
                let s = &ev.data.scalar;
                let bytes = if s.value.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(s.value, s.length as usize)
                };
                EventKind::Scalar {
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    plain: s.style == sys::YAML_PLAIN_SCALAR_STYLE,
                    anchor: cstr(s.anchor),
                }
            }
            sys::YAML_SEQUENCE_START_EVENT => EventKind::SequenceStart {
                anchor: cstr(ev.data.sequence_start.anchor),
            },
            sys::YAML_SEQUENCE_END_EVENT => EventKind::SequenceEnd,
            sys::YAML_MAPPING_START_EVENT => EventKind::MappingStart {
                anchor: cstr(ev.data.mapping_start.anchor),
            },
            sys::YAML_MAPPING_END_EVENT => EventKind::MappingEnd,
            // STREAM_END, and NO_EVENT which libyaml never returns on success.
            _ => EventKind::StreamEnd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_at<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.offset..node.span.offset + node.span.len]
    }

    #[test]
    fn spans_are_byte_offsets_of_scalars() {
        let text = "groups:\n  Ünïcode Grp:\n    members: [alice@acme.com, 'bob']\n";
        let docs = parse(text).unwrap();
        let Value::Map(top) = &docs[0].value else {
            panic!()
        };
        let Value::Map(groups) = &top[0].1.value else {
            panic!()
        };
        assert_eq!(scalar_at(text, &groups[0].0), "Ünïcode Grp");
        let Value::Map(fields) = &groups[0].1.value else {
            panic!()
        };
        let Value::Seq(members) = &fields[0].1.value else {
            panic!()
        };
        assert_eq!(scalar_at(text, &members[0]), "alice@acme.com");
        assert_eq!(scalar_at(text, &members[1]), "'bob'");
        assert_eq!(members[1].value, Value::Scalar("bob".into()));
    }

    #[test]
    fn empty_values_are_null_and_empty_files_have_no_documents() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# only a comment\n").unwrap().is_empty());
        let docs = parse("a:\nb: ~\nc: 'null'\n").unwrap();
        let Value::Map(m) = &docs[0].value else {
            panic!()
        };
        assert_eq!(m[0].1.value, Value::Null(String::new()));
        assert_eq!(m[1].1.value, Value::Null("~".into()));
        assert_eq!(m[2].1.value, Value::Scalar("null".into()));
    }

    #[test]
    fn syntax_errors_carry_an_offset() {
        let text = "groups:\n  a: [x, y\n";
        let err = parse(text).unwrap_err();
        assert!(err.message.contains("flow sequence"), "{}", err.message);
        assert!(err.offset > 8 && err.offset <= text.len());
    }

    #[test]
    fn aliases_expand_and_unknown_ones_fail() {
        let docs = parse("a: &x [p, q]\nb: *x\n").unwrap();
        let Value::Map(m) = &docs[0].value else {
            panic!()
        };
        assert_eq!(m[0].1.value, m[1].1.value);
        assert!(parse("a: *nope\n").unwrap_err().message.contains("nope"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&text).unwrap_err().message.contains("nested"));
    }

    fn first_key_of_first_value(text: &str) -> Span {
        let docs = parse(text).unwrap();
        let Value::Map(top) = &docs[0].value else {
            panic!()
        };
        let Value::Map(inner) = &top[0].1.value else {
            panic!()
        };
        inner[0].0.span
    }

    #[test]
    fn offsets_stay_byte_offsets_with_a_bom_and_crlf() {
        let text = "\u{feff}groups:\n  A: {}\n";
        let span = first_key_of_first_value(text);
        assert_eq!(&text[span.offset..span.offset + span.len], "A");
        let text = "groups:\r\n  # note\r\n  B: {}\r\n";
        let span = first_key_of_first_value(text);
        assert_eq!(&text[span.offset..span.offset + span.len], "B");
    }
}
