//! YAML scalars that read back as the same string, in any YAML reader. `serde_yaml` writes
//! each name and quotes what YAML 1.2 would misread (`null`, `~`, numbers, `: `, ` #`, leading
//! indicators, surrounding spaces); on top of that, words YAML 1.1 readers take for booleans
//! (`yes`, `no`, `on`, `off`, …) and anything else that looks unusual are single-quoted too.
//! A name holding a line break, a control character or any other character `text::needs_escape`
//! refuses (U+2028, bidirectional controls, …) is written double-quoted with escapes, since
//! keys and list items must stay on one line in every YAML reader.

use super::text::{double_quoted, has_escapable};

/// One string as a one-line YAML scalar.
pub fn scalar(s: &str) -> String {
    // Most logins and names are plain words: no need to ask the emitter (exports list
    // hundreds of thousands of members).
    if is_simple(s) && plain_is_safe(s) {
        return s.to_string();
    }
    if has_escapable(s) {
        return double_quoted(s);
    }
    let written = serde_yaml::to_string(s).unwrap_or_default();
    let written = written.strip_suffix('\n').unwrap_or(&written);
    let quoted = written.starts_with('\'') || written.starts_with('"');
    if written.is_empty() || written.contains('\n') || (!quoted && !plain_is_safe(s)) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    written.to_string()
}

/// Words some YAML reader takes for something other than a string.
const SPECIAL_WORDS: [&str; 13] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf", "<<",
];

/// Letters, digits, `.`, `_`, `@`, `-`, `+` and inner single spaces, starting with a letter:
/// YAML reads these plain as the same string unless `plain_is_safe` objects (`yes`, `null`).
fn is_simple(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !s.ends_with(' ')
        && !s.contains("  ")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-' | '+' | ' '))
}

/// A conservative test for a plain (unquoted) scalar: no surprises for any reader.
fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_lowercase();
    let bare = lower.trim_start_matches(['+', '-', '.']);
    !(SPECIAL_WORDS.contains(&lower.as_str())
        || SPECIAL_WORDS.contains(&bare)
        || first.is_ascii_digit()
        || (bare.starts_with(|c: char| c.is_ascii_digit()) && bare.len() < lower.len())
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains(['\t', '{', '}', '[', ']', ',']))
}

#[cfg(test)]
mod tests {
    use super::scalar;

    #[test]
    fn plain_names_stay_plain_and_hostile_ones_are_quoted() {
        assert_eq!(scalar("AP Clerks"), "AP Clerks");
        assert_eq!(scalar("alice@acme.com"), "alice@acme.com");
        assert_eq!(scalar("jean-luc.o'neil"), "jean-luc.o'neil");
        for hostile in [
            "yes", "No", "ON", "null", "~", "true", "12", "1e3", "-1", ".5", "0x1F", "a: b",
            "a #b", " x", "x ", "-x", "*x", "&x", "!x", "%x", "@x", "`x", "x:", "[x]", "a, b", "",
        ] {
            let s = scalar(hostile);
            assert!(
                s.starts_with('\'') || s.starts_with('"'),
                "{hostile:?} written as {s}"
            );
        }
        assert_eq!(scalar("it's: odd"), "'it''s: odd'");
        // The fast path agrees with the emitter on simple names.
        for simple in [
            "alice",
            "AP Clerks",
            "jean-luc.o_neil+x@acme.com",
            "Group 00",
        ] {
            let emitted = serde_yaml::to_string(simple).unwrap();
            assert_eq!(format!("{}\n", scalar(simple)), emitted);
        }
        assert_eq!(scalar("two\nlines"), "\"two\\nlines\"");
        assert_eq!(scalar("a\u{2028}b"), "\"a\\u2028b\"");
        assert_eq!(scalar("\u{202e}nimda"), "\"\\u202Enimda\"");
    }
}
