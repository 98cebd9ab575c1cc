//! A minimal, strict GraphQL query parser: what the sandbox's endpoint accepts is an anonymous
//! or named `query` of fields, each with at most a `query: "..."` string argument and an
//! optional selection set. Variables, fragments, directives, aliases and mutations are refused
//! with a GraphQL error, as a real server refuses what its schema does not allow.

/// An argument's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Str(String),
    Int(String),
}

/// One field of a selection set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    pub name: String,
    /// Arguments as written: `(name, value)`; only string values count as strings.
    pub args: Vec<(String, Arg)>,
    /// The sub-selection; empty for a scalar.
    pub selection: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Punct(char),
    Name(String),
    Str(String),
    /// An integer literal (arguments such as `first: 2` parse; the schema refuses them).
    Int(String),
}

fn tokens(src: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut it = src.chars().peekable();
    while let Some(&c) = it.peek() {
        match c {
            // Commas are insignificant in GraphQL, like whitespace.
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => {
                it.next();
            }
            '#' => {
                for c in it.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' | '}' | '(' | ')' | ':' => {
                it.next();
                out.push(Tok::Punct(c));
            }
            '"' => {
                it.next();
                let mut s = String::new();
                loop {
                    match it.next() {
                        None | Some('\n') => return Err("unterminated string".into()),
                        Some('"') => break,
                        Some('\\') => match it.next() {
                            Some('"') => s.push('"'),
                            Some('\\') => s.push('\\'),
                            Some('/') => s.push('/'),
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            other => return Err(format!("bad escape in string: {other:?}")),
                        },
                        Some(c) => s.push(c),
                    }
                }
                out.push(Tok::Str(s));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let mut s = String::new();
                s.push(c);
                it.next();
                while let Some(&c) = it.peek().filter(|c| c.is_ascii_digit()) {
                    s.push(c);
                    it.next();
                }
                out.push(Tok::Int(s));
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let mut s = String::new();
                while let Some(&c) = it.peek() {
                    if c == '_' || c.is_ascii_alphanumeric() {
                        s.push(c);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Name(s));
            }
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Tok::Punct(p)) if p == c => Ok(()),
            other => Err(format!("expected '{c}', found {}", show(other.as_ref()))),
        }
    }

    fn selection(&mut self) -> Result<Vec<Field>, String> {
        self.expect('{')?;
        let mut fields = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::Punct('}')) => {
                    self.next();
                    break;
                }
                Some(Tok::Name(_)) => fields.push(self.field()?),
                other => return Err(format!("expected a field, found {}", show(other))),
            }
        }
        if fields.is_empty() {
            return Err("a selection set may not be empty".into());
        }
        Ok(fields)
    }

    fn field(&mut self) -> Result<Field, String> {
        let Some(Tok::Name(name)) = self.next() else {
            return Err("expected a field name".into());
        };
        if self.peek() == Some(&Tok::Punct(':')) {
            return Err(format!("aliases are not supported (at {name})"));
        }
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::Punct('(')) {
            self.next();
            loop {
                match self.next() {
                    Some(Tok::Punct(')')) => break,
                    Some(Tok::Name(arg)) => {
                        self.expect(':')?;
                        match self.next() {
                            Some(Tok::Str(v)) => args.push((arg, Arg::Str(v))),
                            Some(Tok::Int(v)) => args.push((arg, Arg::Int(v))),
                            other => {
                                return Err(format!(
                                    "expected a value for argument {arg}, found {}",
                                    show(other.as_ref())
                                ))
                            }
                        }
                    }
                    other => {
                        return Err(format!(
                            "expected an argument, found {}",
                            show(other.as_ref())
                        ))
                    }
                }
            }
        }
        let selection = if self.peek() == Some(&Tok::Punct('{')) {
            self.selection()?
        } else {
            Vec::new()
        };
        Ok(Field {
            name,
            args,
            selection,
        })
    }
}

fn show(t: Option<&Tok>) -> String {
    match t {
        None => "the end of the document".into(),
        Some(Tok::Punct(c)) => format!("'{c}'"),
        Some(Tok::Name(n)) => n.clone(),
        Some(Tok::Str(s)) => format!("{s:?}"),
        Some(Tok::Int(n)) => n.clone(),
    }
}

/// The top-level fields of a query document, or a parse error's message.
pub(super) fn document(src: &str) -> Result<Vec<Field>, String> {
    let toks = tokens(src)?;
    let mut p = Parser { toks, at: 0 };
    match p.peek() {
        Some(Tok::Name(op)) if op == "query" => {
            p.next();
            if let Some(Tok::Name(_)) = p.peek() {
                p.next();
            }
        }
        Some(Tok::Name(op)) => return Err(format!("operation {op} is not supported")),
        _ => {}
    }
    let fields = p.selection()?;
    if let Some(t) = p.peek() {
        return Err(format!(
            "one operation per document; found {} after it",
            show(Some(t))
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_clients_shapes_and_refuses_the_rest() {
        let f = document(
            r#"query Users { users(query: "id[gt]=0&order_by=id") { id roles { id name } } }"#,
        )
        .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].name, "users");
        assert_eq!(
            f[0].args,
            vec![("query".into(), Arg::Str("id[gt]=0&order_by=id".into()))]
        );
        assert_eq!(f[0].selection[1].selection.len(), 2);
        assert!(document("{ users { id }").is_err());
        assert!(document("mutation { x }").is_err());
        assert_eq!(
            document("{ users(query: 5) { id } }").unwrap()[0].args[0].1,
            Arg::Int("5".into())
        );
        assert!(document("{ users(query: [1]) { id } }").is_err());
        assert!(document("{ a: users { id } }").is_err());
        assert!(document("{ users { } }").is_err());
        assert!(document("{ users { id } } { roles { id } }").is_err());
        assert!(document(r#"{ users(query: "a\"b") { id } }"#).is_ok());
    }
}
