//! A light YAML tree with byte spans, built from saphyr-parser's event stream.
//!
//! `serde_yaml` (yaml_serde) does not expose where a value was written, and every diagnostic must
//! point at file, line and column. saphyr-parser is a safe, pure-Rust YAML 1.2 event parser whose
//! markers count characters; [`Offsets`] turns them into the byte offsets the rest of the crate
//! uses, so non-ASCII text is located correctly.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as Marks, StrInput, Tag};

/// A byte range in the file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub offset: usize,
    pub len: usize,
}

/// A YAML value with where it was written. Scalars borrow the file's text when they are written
/// as they read (most are), so a tree of a 6 MB policy holds no copy of its names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'t> {
    pub value: Value<'t>,
    pub span: Span,
    /// A scalar written quoted or as a block (`'…'`, `"…"`, `|`, `>`) or tagged `!!str`: it is
    /// text as written, never a number, a null or a YAML merge key. False for collections.
    pub quoted: bool,
}

/// The shape of a YAML value. Scalars stay text: the converter decides what they mean.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'t> {
    /// `~`, `null`, or nothing at all (`members:` with no value), with the text as written
    /// (a key such as `Null:` is still a name). Only unquoted scalars are null.
    Null(Cow<'t, str>),
    Scalar(Cow<'t, str>),
    Seq(Vec<Node<'t>>),
    /// Pairs in the order written (duplicate keys are kept; the converter reports them).
    Map(Vec<(Node<'t>, Node<'t>)>),
}

impl Node<'_> {
    /// A short name of the node's type, for "expected a list, found a string" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null(_) => "nothing",
            Value::Scalar(_) if self.quoted => "a quoted string",
            Value::Scalar(_) => "a single value",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error with its byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Deeper nesting than this is never a policy file; the limit keeps recursion bounded.
const MAX_DEPTH: usize = 64;
/// Bounds alias expansion (a "billion laughs" file must not exhaust memory).
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Parses every document of a file. An empty file yields no documents.
pub(crate) fn parse(text: &str) -> Result<Vec<Node<'_>>, SyntaxError> {
    let mut builder = Builder {
        text,
        events: Parser::new_from_str(text),
        offsets: Offsets::new(text),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        open_flows: Vec::new(),
    };
    let mut docs = Vec::new();
    loop {
        let (ev, marks) = builder.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                // Anchors carry over into later documents of the file (as they always have):
                // the policy tests share member lists that way.
                let (first, marks) = builder.next()?;
                docs.push(builder.node(first, marks, 0)?);
            }
            Event::StreamEnd => return Ok(docs),
            _ => return Err(builder.unexpected(marks)),
        }
    }
}

/// Turns the parser's character indices into byte offsets. Events come nearly in text order, so
/// a cursor that walks from the last position keeps the whole parse linear.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        Offsets {
            text,
            ascii: text.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    /// The byte offset of character `index` (the text's length past its end).
    fn byte(&mut self, index: usize) -> usize {
        if self.ascii {
            return index.min(self.text.len());
        }
        if index < self.chars / 2 {
            self.chars = 0;
            self.bytes = 0;
        }
        while self.chars > index {
            match self.text[..self.bytes].chars().next_back() {
                Some(c) => {
                    self.bytes -= c.len_utf8();
                    self.chars -= 1;
                }
                None => break,
            }
        }
        while self.chars < index {
            match self.text[self.bytes..].chars().next() {
                Some(c) => {
                    self.bytes += c.len_utf8();
                    self.chars += 1;
                }
                None => break,
            }
        }
        self.bytes
    }

    fn span(&mut self, start: usize, end: usize) -> Span {
        let offset = self.byte(start);
        let end = self.byte(end.max(start));
        Span {
            offset,
            len: end - offset,
        }
    }
}

struct Builder<'a> {
    text: &'a str,
    events: Parser<'a, StrInput<'a>>,
    offsets: Offsets<'a>,
    /// Anchor id (the parser numbers anchors) -> the node it names.
    anchors: HashMap<usize, Node<'a>>,
    alias_budget: usize,
    /// Byte offsets of the `[` and `{` collections being read, innermost last: an error inside
    /// one is most often its missing close, which the parser's message does not say.
    open_flows: Vec<usize>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Marks), SyntaxError> {
        match self.events.next() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(self.scan_error(&e)),
            // The parser always ends with StreamEnd; running out early is a truncated stream.
            None => Err(SyntaxError {
                message: "unexpected end of the YAML stream".into(),
                offset: self.text.len(),
            }),
        }
    }

    fn scan_error(&mut self, e: &ScanError) -> SyntaxError {
        let offset = self.offsets.byte(e.marker().index());
        let message = if e.info().contains("unknown anchor") {
            // Name the alias: the parser only says that one was unknown.
            let name: String = self.text[offset..]
                .trim_start_matches('*')
                .chars()
                .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                .take(100)
                .collect();
            format!("unknown anchor `{name}`")
        } else {
            e.info().to_string()
        };
        let message = match self.open_flows.last() {
            Some(&open) => {
                let (bracket, close) = match self.text[open..].chars().next() {
                    Some('{') => ("{", "}"),
                    _ => ("[", "]"),
                };
                let line = self.text[..open].matches('\n').count() + 1;
                format!("{message}, inside the `{bracket}` opened on line {line} (is a `{close}` missing?)")
            }
            None => message,
        };
        SyntaxError { message, offset }
    }

    fn unexpected(&mut self, marks: Marks) -> SyntaxError {
        SyntaxError {
            message: "unexpected YAML event".into(),
            offset: self.offsets.byte(marks.start.index()),
        }
    }

    fn node(&mut self, ev: Event<'a>, marks: Marks, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                message: format!("nested more than {MAX_DEPTH} levels deep"),
                offset: self.offsets.byte(marks.start.index()),
            });
        }
        let start = marks.start.index();
        let (node, anchor) = match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let quoted = style != ScalarStyle::Plain || is_str_tag(tag.as_deref());
                let span = self.offsets.span(start, marks.end.index());
                let value = self.text_of(value, span);
                let is_null = !quoted && matches!(&*value, "" | "~" | "null" | "Null" | "NULL");
                let value = if is_null {
                    Value::Null(value)
                } else {
                    Value::Scalar(value)
                };
                (
                    Node {
                        value,
                        span,
                        quoted,
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    // The parser rejects unknown aliases itself; this is a safety net.
                    return Err(SyntaxError {
                        message: "unknown anchor".into(),
                        offset: self.offsets.byte(start),
                    });
                };
                let cost = count(target);
                if cost > self.alias_budget {
                    return Err(SyntaxError {
                        message: "too many alias expansions".into(),
                        offset: self.offsets.byte(start),
                    });
                }
                self.alias_budget -= cost;
                return Ok(target.clone());
            }
            Event::SequenceStart(anchor, _) => {
                let flow = self.open_flow(start);
                let mut items = Vec::new();
                loop {
                    let (next, next_marks) = self.next()?;
                    if let Event::SequenceEnd = next {
                        self.close_flow(flow);
                        // Member lists are long: no room left over for the whole load.
                        items.shrink_to_fit();
                        let span = self.offsets.span(start, next_marks.end.index());
                        break (
                            Node {
                                value: Value::Seq(items),
                                span,
                                quoted: false,
                            },
                            anchor,
                        );
                    }
                    items.push(self.node(next, next_marks, depth + 1)?);
                }
            }
            Event::MappingStart(anchor, _) => {
                let flow = self.open_flow(start);
                let mut pairs = Vec::new();
                loop {
                    let (next, next_marks) = self.next()?;
                    if let Event::MappingEnd = next {
                        self.close_flow(flow);
                        pairs.shrink_to_fit();
                        let span = self.offsets.span(start, next_marks.end.index());
                        break (
                            Node {
                                value: Value::Map(pairs),
                                span,
                                quoted: false,
                            },
                            anchor,
                        );
                    }
                    let key = self.node(next, next_marks, depth + 1)?;
                    let (value_ev, value_marks) = self.next()?;
                    let value = self.node(value_ev, value_marks, depth + 1)?;
                    pairs.push((key, value));
                }
            }
            _ => return Err(self.unexpected(marks)),
        };
        // Anchor id 0 means "no anchor".
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

impl<'a> Builder<'a> {
    /// A scalar's value: the text at `span` itself when it reads as written (a plain or simply
    /// quoted name), so the tree borrows it; otherwise the parser's own string (escapes, folded
    /// lines), trimmed of the room the parser reserves in every string it builds.
    fn text_of(&self, value: Cow<'a, str>, span: Span) -> Cow<'a, str> {
        let written = self
            .text
            .get(span.offset..span.offset + span.len)
            .unwrap_or("");
        let inner = match written.as_bytes() {
            [b'\'' | b'"', .., b'\'' | b'"'] => &written[1..written.len() - 1],
            _ => written,
        };
        if *value == *written {
            Cow::Borrowed(written)
        } else if *value == *inner {
            Cow::Borrowed(inner)
        } else {
            let mut owned = value.into_owned();
            owned.shrink_to_fit();
            Cow::Owned(owned)
        }
    }

    /// Notes a collection starting at character `start` if it is written `[...]` or `{...}`.
    fn open_flow(&mut self, start: usize) -> bool {
        let at = self.offsets.byte(start);
        let flow = matches!(self.text.as_bytes().get(at), Some(b'[' | b'{'));
        if flow {
            self.open_flows.push(at);
        }
        flow
    }

    fn close_flow(&mut self, flow: bool) {
        if flow {
            self.open_flows.pop();
        }
    }
}

/// `!!str` (however its handle was written) makes a scalar text whatever it looks like.
fn is_str_tag(tag: Option<&Tag>) -> bool {
    tag.is_some_and(|t| t.suffix == "str" && (t.handle == "!!" || t.is_yaml_core_schema()))
}

fn count(node: &Node<'_>) -> usize {
    1 + match &node.value {
        Value::Null(_) | Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(pairs) => pairs.iter().map(|(k, v)| count(k) + count(v)).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar_at<'a>(text: &'a str, node: &Node<'_>) -> &'a str {
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
        assert_eq!(m[0].1.value, Value::Null("".into()));
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

    #[test]
    fn spans_are_bytes_after_non_ascii_comments_and_keys() {
        let text = "# café ünïcode — notes\ngroups:\n  Zoë: { members: [ä@x.com, 'ö ü'] }\n";
        let docs = parse(text).unwrap();
        let Value::Map(top) = &docs[0].value else {
            panic!()
        };
        let Value::Map(groups) = &top[0].1.value else {
            panic!()
        };
        assert_eq!(scalar_at(text, &groups[0].0), "Zoë");
        let Value::Map(fields) = &groups[0].1.value else {
            panic!()
        };
        let Value::Seq(members) = &fields[0].1.value else {
            panic!()
        };
        assert_eq!(scalar_at(text, &members[0]), "ä@x.com");
        assert_eq!(scalar_at(text, &members[1]), "'ö ü'");
        let err = parse("a: ünï\nb: [ä, ö\n").unwrap_err();
        assert!(err.offset <= 22 && "a: ünï\nb: [ä, ö\n".is_char_boundary(err.offset));
    }

    #[test]
    fn quoted_block_and_str_tagged_scalars_are_marked_quoted() {
        let docs = parse("a: 10\nb: '10'\nc: \"10\"\nd: !!str 10\ne: |\n  10\nf: ''\n").unwrap();
        let Value::Map(m) = &docs[0].value else {
            panic!()
        };
        let quoted: Vec<bool> = m.iter().map(|(_, v)| v.quoted).collect();
        assert_eq!(quoted, [false, true, true, true, true, true]);
        assert_eq!(
            m[5].1.value,
            Value::Scalar("".into()),
            "'' is text, not null"
        );
        assert!(!m[0].0.quoted, "plain keys are not quoted");
    }

    /// Every scalar of a tree, depth first, keys before their values.
    fn scalars<'n>(node: &'n Node<'_>, out: &mut Vec<&'n Cow<'n, str>>) {
        match &node.value {
            Value::Null(s) | Value::Scalar(s) => out.push(s),
            Value::Seq(items) => items.iter().for_each(|n| scalars(n, out)),
            Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                scalars(k, out);
                scalars(v, out);
            }),
        }
    }

    #[test]
    fn scalars_borrowed_from_the_text_are_the_values_the_parser_reads() {
        let text = "groups:\n  'AP Clerks':\n    members: [alice, \"bob@acme.com\", 'it''s', \"tab\\there\"]\n  \
                    Zoë:\n    description: >\n      folded\n      lines\n    members:\n      - plain  # note\n      \
                    - two\n        lines\n      - ~\n      - ''\n      - !!str 10\n";
        let docs = parse(text).unwrap();
        let mut ours = Vec::new();
        scalars(&docs[0], &mut ours);
        let parser: Vec<String> = Parser::new_from_str(text)
            .filter_map(|ev| match ev.unwrap().0 {
                Event::Scalar(v, ..) => Some(v.into_owned()),
                _ => None,
            })
            .collect();
        let ours_text: Vec<&str> = ours.iter().map(|s| s.as_ref()).collect();
        assert_eq!(ours_text, parser);
        let borrowed: Vec<&str> = ours
            .iter()
            .filter(|s| matches!(s, Cow::Borrowed(_)))
            .map(|s| s.as_ref())
            .collect();
        assert!(borrowed.contains(&"AP Clerks") && borrowed.contains(&"bob@acme.com"));
        assert!(borrowed.contains(&"plain") && borrowed.contains(&"alice"));
        for owned in ["it's", "tab\there", "folded lines\n", "two lines"] {
            assert!(
                !borrowed.contains(&owned),
                "{owned:?} differs from its text"
            );
        }
    }

    #[test]
    fn a_billion_laughs_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h"])
        {
            text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&text).unwrap_err().message.contains("alias"));
    }
}
