//! Markdown that reaches people (plan and drift comments, the failure comment, the apply step
//! summary), rendered by a real GFM renderer (comrak, with GFM's autolinks and tables) with
//! hostile names: a mention (`@octocat`, `@org/team`), an issue reference, bare URLs, a
//! right-to-left override, backticks and line breaks. No link or image, no text GitHub would
//! read as a mention or reference, no bidirectional control, and no markup of the names' own
//! survives; inline code holds its text whole.

use comrak::nodes::NodeValue;
use comrak::{markdown_to_html, parse_document, Arena, Options};
use coupa_access_core::model::{Group, Live, Membership, Role, User};
use coupa_access_core::render::{markdown_code, markdown_escape, markdown_html_text};
use coupa_access_sandbox::Faults;

use crate::common::{bin, path_str, policies, stderr_of, stdout_of, TestSandbox};

/// GitHub-flavoured options; raw HTML kept, as GitHub keeps `<details>` and `<summary>`.
fn gfm() -> Options<'static> {
    let mut o = Options::default();
    o.extension.autolink = true;
    o.extension.table = true;
    o.extension.strikethrough = true;
    o.extension.tasklist = true;
    o.render.r#unsafe = true;
    o
}

const BIDI: &[char] = &[
    '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// `html` without the contents of `<tag>` elements.
fn without(html: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(&close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

/// One level of HTML entities decoded.
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e < 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                _ if name.starts_with("#x") => {
                    char::from_u32(u32::from_str_radix(&name[2..], 16).ok()?)?
                }
                _ if name.starts_with('#') => char::from_u32(name[1..].parse().ok()?)?,
                _ => return None,
            };
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of the rendered page where GitHub looks for mentions and references: outside
/// code, preformatted blocks and links, tags dropped, entities decoded.
fn searched_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["pre", "code", "a"] {
        s = without(&s, tag);
    }
    let mut text = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(ch),
            _ => {}
        }
    }
    decode_entities(&text)
}

/// `md`, rendered, holds no link, image, mention, reference, bare URL or bidi control.
fn assert_inert(what: &str, md: &str) -> String {
    let arena = Arena::new();
    let root = parse_document(&arena, md, &gfm());
    for node in root.descendants() {
        if let NodeValue::Link(l) | NodeValue::Image(l) = &node.data().value {
            panic!("{what}: renders a link to {:?}:\n{md}", l.url);
        }
    }
    let html = markdown_to_html(md, &gfm());
    assert!(!html.contains("<a "), "{what}: a link in\n{html}");
    assert!(!html.contains("<img"), "{what}: an image in\n{html}");
    for c in html.chars() {
        assert!(
            !BIDI.contains(&c) && (!c.is_control() || c == '\n'),
            "{what}: renders {c:?} raw:\n{html}"
        );
    }
    let text = searched_text(&html);
    let chars: Vec<char> = text.chars().collect();
    for (i, w) in chars.windows(2).enumerate() {
        let mention = w[0] == '@' && (w[1].is_ascii_alphanumeric() || w[1] == '-');
        let reference = w[0] == '#' && w[1].is_ascii_digit();
        assert!(
            !mention && !reference,
            "{what}: GitHub would read {:?} as a mention or reference:\n{text}",
            chars[i..].iter().take(20).collect::<String>()
        );
    }
    let lower = text.to_lowercase();
    assert!(!lower.contains("://"), "{what}: a bare URL in\n{text}");
    assert!(
        !lower.contains("www."),
        "{what}: a bare www link in\n{text}"
    );
    html
}

/// The hostile names.
const MENTION: &str = "@octocat";
const TEAM: &str = "@org/team";
const GROUP: &str =
    "Ops @org/team #12 https://evil.example/x www.evil.example \u{202e}txt.exe `x` *b*";
const UNMANAGED: &str = "Old @octocat <b>bold</b> [click](https://evil.example) | cell";
const EXTRA: &str = "eve\u{202e}gnp.exe`@org/team";

#[test]
fn the_shared_escaping_neutralises_each_hazard_when_rendered() {
    let hazards = [
        MENTION,
        TEAM,
        "bob@evil.example",
        "mailto:bob@evil.example",
        "#12",
        "https://evil.example/x",
        "HTTP://EVIL.EXAMPLE",
        "www.evil.example",
        "[click](https://evil.example)",
        "<https://evil.example>",
        "![i](https://evil.example/i.png)",
        "&#64;octocat",
        "<img src=x onerror=alert(1)>",
        "a\u{202e}b\u{2066}c",
        "x\u{1b}[31mred",
        "| a | b |",
        "line\n\n## heading @octocat\n",
        "`code` ``more``",
    ];
    for h in hazards {
        let md = format!(
            "- {}\n\n| name |\n|---|\n| {} |\n\n<details><summary>{}</summary>\n\nbody\n</details>\n\nat {}: here\n",
            markdown_escape(h),
            markdown_escape(h),
            markdown_html_text(h),
            markdown_code(h),
        );
        let html = assert_inert(&format!("{h:?}"), &md);
        // Nothing became markup: one list, one one-column table, one code span, no heading.
        assert_eq!(html.matches("<li>").count(), 1, "{h:?}:\n{html}");
        assert_eq!(html.matches("<td>").count(), 1, "{h:?}:\n{html}");
        assert_eq!(html.matches("<code>").count(), 1, "{h:?}:\n{html}");
        assert!(
            !html.contains("<h2") && !html.contains("<b>") && !html.contains("<em>"),
            "{h:?}:\n{html}"
        );
    }
}

/// A tenant with hostile names: group 10 (managed) holds eve, whom the policy does not list;
/// group 11 is unmanaged.
fn hostile_tenant() -> Live {
    let membership = |id, user_id, group_id| Membership {
        id,
        user_id,
        group_id,
        created_at: Some("2026-01-05T10:00:00+00:00".into()),
        owner: false,
        participant: None,
    };
    Live {
        users: vec![
            User::new(1, MENTION, "octo@evil.example"),
            User::new(2, TEAM, "team@evil.example"),
            User::new(3, EXTRA, "eve@evil.example"),
        ],
        groups: vec![Group::new(10, GROUP), Group::new(11, UNMANAGED)],
        projects: vec![],
        roles: vec![Role::new(1, "User", false)],
        memberships: vec![membership(100, 3, 10), membership(101, 1, 11)],
    }
}

/// A policy managing the hostile group in `mode`: the two mentions as members.
fn hostile_policy(mode: &str) -> tempfile::TempDir {
    let name = serde_json::to_string(GROUP).unwrap();
    policies(&[(
        "g.yaml",
        &format!(
            "groups:\n  {name}:\n    mode: {mode}\n    members: [\"{MENTION}\", \"{TEAM}\"]\n"
        ),
    )])
}

fn snapshot_of(dir: &std::path::Path, live: &Live) -> std::path::PathBuf {
    let p = dir.join("tenant.json");
    std::fs::write(&p, serde_json::to_string(live).unwrap()).unwrap();
    p
}

#[test]
fn plan_and_drift_comments_with_hostile_names_render_inert() {
    let pol = hostile_policy("authoritative");
    let snap = snapshot_of(pol.path(), &hostile_tenant());
    let run = |args: &[&str]| {
        let out = bin()
            .args(args)
            .args(["--format", "markdown", "--policies", path_str(pol.path())])
            .args(["--snapshot", path_str(&snap)])
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c != 1),
            "{}",
            stderr_of(&out)
        );
        stdout_of(&out)
    };
    let plan = run(&["plan"]);
    let html = assert_inert("plan markdown", &plan);
    // The names are there, shown, just inert.
    for shown in ["octocat", "org/team", "evil.example", "txt.exe"] {
        assert!(html.contains(shown), "plan lacks {shown}:\n{plan}");
    }
    let drift = run(&["drift", "--since", "2020-01-01"]);
    let html = assert_inert("drift markdown", &drift);
    for shown in ["octocat", "gnp.exe", "Old", "click", "cell"] {
        assert!(html.contains(shown), "drift lacks {shown}:\n{drift}");
    }
    // eve's login is one code span, whole.
    assert!(
        html.contains("<code>eve\\u{202e}gnp.exe`@org/team</code>"),
        "{html}"
    );
}

#[test]
fn a_hostile_policy_file_name_stays_inside_the_failure_comments_code() {
    // A file name cannot hold `/`, so no scheme URL; `www.` and a mention it can.
    let file = "x`\n\n## @octocat www.evil.example \u{202e}``.yaml";
    let dir = tempfile::tempdir().unwrap();
    let pol = dir.path().join("policies");
    std::fs::create_dir(&pol).unwrap();
    std::fs::write(
        pol.join(file),
        "groups:\n  AP Clerks:\n    memberz: [alice]\n",
    )
    .unwrap();
    let summary = dir.path().join("summary.md");
    let out = bin()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["plan", "--policies", "policies", "--snapshot", "none.json"])
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let written = std::fs::read_to_string(&summary).unwrap();
    for (what, md) in [
        ("failure comment", stdout_of(&out)),
        ("step summary", written),
    ] {
        let html = assert_inert(what, &md);
        assert_eq!(
            html.matches("<h2>").count(),
            1,
            "{what}: a heading broke out:\n{html}"
        );
        // The whole position, file name included, is one code span.
        let want = "policies/x`  ## @octocat www.evil.example \\u{202e}``.yaml:3:5";
        assert!(
            html.contains(&format!("<code>{want}</code>")),
            "{what}:\n{html}"
        );
    }
}

#[test]
fn the_apply_step_summary_with_hostile_names_renders_inert() {
    let sb = TestSandbox::start(hostile_tenant(), Faults::default());
    // Additive: nobody is removed, so no removal guard stops the run.
    let pol = hostile_policy("additive");
    let work = tempfile::tempdir().unwrap();
    let summary = work.path().join("summary.md");
    let out = sb
        .cmd()
        .current_dir(work.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([
            "apply",
            "--auto-approve",
            "--policies",
            path_str(pol.path()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let md = std::fs::read_to_string(&summary).unwrap();
    let html = assert_inert("apply summary", &md);
    assert!(html.contains("<pre>"), "{html}");
    assert!(html.contains("octocat"), "{html}");
}
