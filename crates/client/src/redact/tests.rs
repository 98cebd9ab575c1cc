//! One test per encoding: the secret (or any run of [`RUN`] of its bytes) is cut out, and what
//! surrounds it is kept.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;

use super::*;

const SECRET: &str = "zz-Client-Secret-9f8e7d";
/// Every character that URL, form, HTML and Base64 encodings change.
const AWKWARD: &str = "p@ss+w/rd=&x !%<>\"'";

fn redactor() -> Redactor {
    let r = Redactor::new(SECRET);
    r.add(AWKWARD);
    r
}

/// `encoded` is gone from `out` in every telling part: no `len`-character stretch of it, and
/// no run of either secret, is left.
fn assert_gone(input: &str, out: &str, encoded: &str, len: usize) {
    assert!(out.contains(REDACTED), "{input:?} -> {out:?}");
    let chars: Vec<char> = encoded.chars().collect();
    for w in chars.windows(len.min(chars.len())) {
        let w: String = w.iter().collect();
        assert!(!out.contains(&w), "{input:?} -> {out:?} keeps {w:?}");
    }
    for s in [SECRET, AWKWARD] {
        for w in s.as_bytes().windows(RUN) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!out.contains(w), "{input:?} -> {out:?} keeps {w:?}");
        }
    }
    // Nothing the redactor itself could still read.
    assert_eq!(redactor().redact(out), out, "{input:?}");
}

/// Each encoding of each secret, between ordinary words that must survive: no `stretch`
/// characters of the encoding are left.
fn check(encode: impl Fn(&str) -> String, stretch: usize) {
    check_telling(&encode, |s| vec![encode(s)], stretch);
}

/// Like [`check`], when only parts of the encoding tell the secret (`telling`), the rest
/// (a request around it) being kept.
fn check_telling(
    encode: impl Fn(&str) -> String,
    telling: impl Fn(&str) -> Vec<String>,
    stretch: usize,
) {
    let r = redactor();
    for s in [SECRET, AWKWARD] {
        let enc = encode(s);
        let input = format!("said: {enc} (end)");
        let out = r.redact(&input);
        for t in telling(s) {
            assert_gone(&input, &out, &t, stretch);
        }
        assert!(
            out.starts_with("said: ") && out.ends_with(" (end)"),
            "{out:?}"
        );
    }
}

/// The Base64 characters that depend only on `data`'s bytes, wherever `data` sits in the
/// encoded stream (each of three alignments, both alphabets).
fn base64_cores(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for e in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
        for (pad, skip) in [(0, 0), (1, 2), (2, 3)] {
            let mut v = vec![0u8; pad];
            v.extend(data);
            let enc = e.encode(&v);
            out.push(enc[skip..enc.len() - 2].to_string());
        }
    }
    out
}

fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn percent(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn raw_copies_and_truncated_echoes() {
    let r = redactor();
    assert_eq!(r.redact(&format!("x {SECRET} y")), "x [redacted] y");
    // A server that cuts its echo still shows 8 or more of the secret: cut.
    for piece in [&SECRET[..8], &SECRET[3..14], &SECRET[SECRET.len() - 9..]] {
        assert_eq!(
            r.redact(&format!("a {piece} b")),
            "a [redacted] b",
            "{piece}"
        );
    }
    // Fewer than 8 bytes are not the secret's (an ordinary word would match too).
    assert_eq!(r.redact("a Client- b"), "a Client- b");
    assert_eq!(
        r.redact("user: Login has already been taken"),
        "user: Login has already been taken"
    );
}

#[test]
fn percent_encoding_once_twice_and_three_times() {
    check(percent, 9);
    check(|s| percent(s).to_lowercase(), 9);
    check(|s| percent(s).replace('%', "%25"), 9);
    check(|s| percent(s).replace('%', "%2525"), 12);
    check(form, 9);
    // Form-encoded twice: `+` for the space became `%2B`.
    check(|s| form(&form(s)), 9);
    check(
        |s| s.chars().map(|c| format!("%u{:04X}", c as u32)).collect(),
        12,
    );
}

#[test]
fn html_entities() {
    check(|s| s.bytes().map(|b| format!("&#{b};")).collect(), 10);
    check(|s| s.bytes().map(|b| format!("&#x{b:x}")).collect(), 10);
    check(
        |s| {
            s.replace('&', "&amp;")
                .replace('@', "&commat;")
                .replace('<', "&lt;")
                .replace('"', "&quot;")
                .replace('-', "&hyphen;")
        },
        9,
    );
    // HTML-escaped percent-encoding.
    check(|s| percent(s).replace('%', "&#37;"), 12);
}

#[test]
fn json_and_javascript_escapes() {
    check(
        |s| s.chars().map(|c| format!("\\u{:04x}", c as u32)).collect(),
        12,
    );
    check(|s| s.bytes().map(|b| format!("\\x{b:02x}")).collect(), 9);
    check(|s| serde_json::to_string(s).unwrap().replace('/', "\\/"), 9);
}

#[test]
fn base64_of_the_secret_and_of_a_whole_form_body_at_any_offset() {
    let cores = |s: &str| base64_cores(s.as_bytes());
    for e in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        check_telling(|s| e.encode(s), cores, 12);
        check_telling(|s| e.encode(format!("my-client:{s}")), cores, 12);
        for prefix in ["", "g", "gr", "gra", "gran"] {
            let body = |s: &str| {
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", &format!("{prefix}client_credentials"))
                    .append_pair("client_id", "cid")
                    .append_pair("client_secret", s)
                    .append_pair("scope", "core.user.read")
                    .finish()
            };
            check_telling(
                |s| e.encode(body(s)),
                |s| base64_cores(form(s).as_bytes()),
                12,
            );
            // The request around the secret is still quoted.
            let r = redactor();
            let enc = e.encode(body(SECRET));
            assert!(r.redact(&enc).starts_with(&enc[..60]), "{}", r.redact(&enc));
        }
    }
    // MIME-style line breaks inside the Base64, and a run glued to other letters.
    check_telling(
        |s| {
            let b = STANDARD.encode(format!("client_secret={s}"));
            let (a, z) = b.split_at(b.len() / 2);
            format!("{a}\r\n{z}")
        },
        cores,
        12,
    );
    check_telling(|s| format!("xyz{}", STANDARD.encode(s)), cores, 12);
}

#[test]
fn hex_in_either_case_and_alignment_with_or_without_separators() {
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    check(hex, 17);
    check(|s| hex(s).to_uppercase(), 17);
    check(|s| format!("a{}", hex(s)), 17);
    check(
        |s| {
            s.bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        },
        17,
    );
    check(
        |s| {
            s.bytes()
                .map(|b| format!("0x{b:02X}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        17,
    );
    // Base64 of the hex.
    check_telling(
        |s| STANDARD.encode(hex(s)),
        |s| base64_cores(hex(s).as_bytes()),
        12,
    );
}

#[test]
fn spaced_out_copies() {
    for sep in [
        " ", "\u{200b}", "\u{2060}", "  ", ", ", "-", ".", " | ", "\u{202e}",
    ] {
        check(
            |s| s.chars().map(String::from).collect::<Vec<_>>().join(sep),
            9,
        );
    }
    // Spaced out after encoding: spacing is dropped, then the encoding undone.
    check(
        |s| {
            form(s)
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        },
        9,
    );
    // Uneven spacing (of the secret without a space of its own: dropping spacing drops that
    // too, so only the runs either side of it would be cut).
    let r = redactor();
    let uneven: String = SECRET
        .char_indices()
        .map(|(i, c)| {
            if i % 3 == 0 {
                format!(" {c}\t")
            } else {
                c.to_string()
            }
        })
        .collect();
    let out = r.redact(&format!("said: {uneven} (end)"));
    assert_eq!(out, "said:  [redacted] (end)");
}

#[test]
fn tokens_are_hidden_once_added_and_short_ones_whole() {
    let r = Redactor::new("s3cret");
    assert_eq!(r.redact("tok-1 here"), "tok-1 here");
    r.add("tok-1");
    assert_eq!(r.redact("Bearer tok-1 here"), "Bearer [redacted] here");
    assert_eq!(r.redact("nothing"), "nothing");
    r.add("");
    assert_eq!(r.redact("nothing"), "nothing");
    // A short secret inside Basic credentials.
    let basic = STANDARD.encode("my-client:s3cret");
    assert!(!r.redact(&format!("Basic {basic}")).contains(&basic[4..]));
    assert!(!format!("{r:?}").contains("s3"));
}

#[test]
fn a_text_too_intricate_to_read_is_not_quoted() {
    let r = redactor();
    // Every character its own percent-encoded layer, four deep, spaced out: readings explode.
    let hostile = "%25252541 ".repeat(20_000);
    let out = r.redact(&hostile);
    assert!(out == hostile || out == UNCHECKED, "{}", &out[..100]);
    let t = std::time::Instant::now();
    let _ = r.redact(&"aZ09+/".repeat(10_000));
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn cuts_merge_and_keep_whole_characters() {
    assert_eq!(cut("aébc", vec![(1, 2)]), "a[redacted]bc");
    assert_eq!(cut("abcdef", vec![(1, 3), (3, 4), (2, 3)]), "a[redacted]ef");
    assert_eq!(
        cut("abcdef", vec![(1, 2), (4, 5)]),
        "a[redacted]cd[redacted]f"
    );
}
