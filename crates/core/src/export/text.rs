//! Text from Coupa written into policy YAML: which characters may never appear raw, how a
//! scalar escapes them and how a comment does.
//!
//! A line break inside a comment ends it, and whatever follows on the next line is policy; a YAML
//! 1.1 reader (many editors and linters) also breaks lines at NEL, U+2028 and U+2029. Other
//! control characters make the file unreadable, and bidirectional controls make a line read
//! differently from what it holds. None of these reaches a written line raw: scalars write them
//! as YAML escapes inside double quotes (so the name still reads back exactly), comments as
//! `\u{…}` (a comment is never read back, so it only has to stay one honest line).

use std::borrow::Cow;

/// True for a character no exported line may hold raw: control characters (C0, DEL, C1 with
/// NEL), the Unicode line and paragraph separators, bidirectional controls, the byte-order mark
/// and the two non-characters YAML forbids.
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

/// True when `s` holds a character [`needs_escape`] refuses.
pub(crate) fn has_escapable(s: &str) -> bool {
    // Printable ASCII (nearly every name) holds none: no decoding needed.
    !s.bytes().all(|b| (0x20..0x7f).contains(&b)) && s.chars().any(needs_escape)
}

/// `s` as a YAML double-quoted scalar with every control or invisible character escaped: one line that any
/// YAML reader (1.1 or 1.2) reads back as exactly `s`.
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let n = u32::from(c);
                let _ = match n {
                    0..=0xff => std::fmt::Write::write_fmt(&mut out, format_args!("\\x{n:02X}")),
                    0x100..=0xffff => {
                        std::fmt::Write::write_fmt(&mut out, format_args!("\\u{n:04X}"))
                    }
                    _ => std::fmt::Write::write_fmt(&mut out, format_args!("\\U{n:08X}")),
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` safe inside a `#` comment: every control or invisible character written as `\u{…}` (see the module
/// docs); borrowed when there is none.
pub(crate) fn comment(s: &str) -> Cow<'_, str> {
    if !has_escapable(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BREAKERS: [char; 12] = [
        '\n', '\r', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}', '\u{202e}',
        '\u{2066}', '\u{feff}', '\u{ffff}',
    ];

    #[test]
    fn comments_keep_no_line_break_or_control_character() {
        for c in BREAKERS {
            let s = format!("a{c}settings:\n  protected_users: [x]");
            let out = comment(&s);
            assert!(!out.chars().any(needs_escape), "{c:?}: {out:?}");
            assert!(out.starts_with("a\\u{"), "{c:?}: {out:?}");
        }
        assert!(matches!(comment("AP Clerks, zoë"), Cow::Borrowed(_)));
    }

    #[test]
    fn double_quoted_escapes_everything_unsafe_and_reads_back() {
        for c in BREAKERS {
            let s = format!("x{c}\"\\y\u{1F600}");
            let q = double_quoted(&s);
            assert!(!q.chars().any(needs_escape), "{c:?}: {q:?}");
            let back: String = serde_yaml::from_str(&q).unwrap();
            assert_eq!(back, s, "{q}");
            // And through the project's own loader (saphyr), as a group name.
            let file = crate::model::PolicyFile {
                path: "g.yaml".into(),
                text: format!("groups:\n  {q}:\n    members: []\n"),
            };
            let desired = crate::policy::load_files(vec![file]).unwrap();
            assert!(desired.groups.contains_key(&s), "{q}");
        }
    }
}
