//! One test per hazard of untrusted text in markdown (the rendered checks, with a real GFM
//! renderer, are in the integration tests: `tests/it/markdown_rendered.rs`).

use super::*;

const WJ: char = BREAK;

#[test]
fn mentions_and_team_mentions_cannot_notify() {
    assert_eq!(escape("@octocat"), format!("@{WJ}octocat"));
    assert_eq!(escape("cc @org/team"), format!("cc @{WJ}org/team"));
    // E-mail addresses are not turned into mailto links either.
    assert_eq!(escape("bob@acme.com"), format!("bob@{WJ}acme.com"));
    assert_eq!(html_text("@octocat"), format!("@{WJ}octocat"));
    // An entity that would decode to `@` stays an entity's text.
    assert_eq!(escape("&#64;octocat"), format!("&amp;\\#{WJ}64;octocat"));
}

#[test]
fn bare_urls_and_www_do_not_link() {
    assert_eq!(
        escape("see https://evil.example/x"),
        format!("see https:{WJ}//evil.example/x")
    );
    assert_eq!(escape("ftp://h"), format!("ftp:{WJ}//h"));
    assert_eq!(escape("www.evil.example"), format!("www{WJ}.evil.example"));
    assert_eq!(escape("WWW.Evil.example"), format!("WWW{WJ}.Evil.example"));
    assert_eq!(escape("a.www.b"), format!("a.www{WJ}.b"));
    // `[x](y)`, `<url>` and images are escaped syntax, not links.
    assert_eq!(
        escape("[a](b) <https:x> ![i](j)"),
        "\\[a\\](b) \\<https:x\\> \\!\\[i\\](j)"
    );
    assert_eq!(
        html_text("<a href=\"https://x\">"),
        format!("&lt;a href=&quot;https:{WJ}//x&quot;&gt;")
    );
    // Issue references.
    assert_eq!(escape("#123"), format!("\\#{WJ}123"));
}

#[test]
fn bidi_and_control_characters_are_shown_not_obeyed() {
    for (input, want) in [
        ("a\u{202e}b", "a\\\\u{202e}b"),
        ("a\u{2066}b\u{2069}", "a\\\\u{2066}b\\\\u{2069}"),
        ("a\u{200f}b", "a\\\\u{200f}b"),
        ("a\u{1b}[31mb", "a\\\\u{1b}\\[31mb"),
        ("a\nb\rc", "a b c"),
    ] {
        assert_eq!(escape(input), want, "{input:?}");
    }
    assert_eq!(html_text("a\u{202e}b"), "a\\u{202e}b");
    assert_eq!(code_span("a\u{202e}b"), "`a\\u{202e}b`");
    assert_eq!(code_line("x\u{202d}y"), "x\\u{202d}y");
}

#[test]
fn markdown_syntax_and_table_cells_are_escaped() {
    assert_eq!(
        escape("*b* _i_ `c` | ~s~ # h \\"),
        format!("\\*b\\* \\_i\\_ \\`c\\` \\| \\~s\\~ \\#{WJ} h \\\\")
    );
    assert_eq!(escape("Tom & Jerry"), "Tom &amp; Jerry");
}

#[test]
fn inline_code_cannot_be_broken_out_of() {
    assert_eq!(code_span("policies/a.yaml:3:5"), "`policies/a.yaml:3:5`");
    assert_eq!(code_span("a`b"), "``a`b``");
    assert_eq!(code_span("a```b``c"), "````a```b``c````");
    assert_eq!(code_span("`lead"), "`` `lead ``");
    assert_eq!(code_span("trail`"), "`` trail` ``");
    assert_eq!(code_span(" both "), "`  both  `");
    assert_eq!(code_span("   "), "`   `");
    assert_eq!(code_span(""), "` `");
    // A line break would end the list item and start a block of the attacker's.
    assert_eq!(
        code_span("x.yaml\n\n## @org/team"),
        "`x.yaml  ## @org/team`"
    );
}

#[test]
fn code_fences_outlast_any_backtick_run() {
    assert_eq!(fence_for(["a", "b"]), "```");
    assert_eq!(fence_for(["a ``` b", "````"]), "`````");
    assert_eq!(fence_for(Vec::<&str>::new()), "```");
}

#[test]
fn prose_renders_marked_code_as_code_spans_and_escapes_the_rest() {
    assert_eq!(
        prose("user `dave` is *inactive*"),
        "user `dave` is \\*inactive\\*"
    );
    assert_eq!(prose("write `members: []`"), "write `members: []`");
    // Unpaired backticks: all escaped, nothing opens a span.
    assert_eq!(prose("a `b"), "a \\`b");
    // A code part holding what would be a mention stays code (GitHub makes none in code).
    assert_eq!(prose("`@octocat` left"), "`@octocat` left");
}
