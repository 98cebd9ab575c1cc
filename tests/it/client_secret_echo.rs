//! A hostile token endpoint (wiremock on 127.0.0.1:0) echoes the request it was sent — the
//! form body holding the client secret — in every encoding a server might use, whole or
//! truncated, as a plain body, inside OAuth2's own error fields, and as a token type. Neither
//! the secret nor any 8-character run of it, raw or in any of those encodings, reaches an
//! error's Display or Debug, the client's logs, or the binary's stdout and stderr.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{bin, path_str, policies, stderr_of, stdout_of};

/// A secret with characters that form, percent, HTML and Base64 encodings all change.
const SECRET: &str = "q8+vR/w=K&p 3xT%Lm9@Zr";
const CLIENT_ID: &str = "cid";

/// How the server mangles what it echoes.
type Encode = fn(&[u8]) -> String;

fn percent(b: &[u8]) -> String {
    b.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Each encoding of an echo, by name.
const ENCODINGS: &[(&str, Encode)] = &[
    ("raw", |b| String::from_utf8_lossy(b).into_owned()),
    ("percent-encoded again", |b| {
        url::form_urlencoded::byte_serialize(b).collect()
    }),
    ("percent-encoded twice more", |b| {
        percent(percent(b).as_bytes())
    }),
    ("HTML entities", |b| {
        b.iter().map(|b| format!("&#{b};")).collect()
    }),
    ("HTML hex entities", |b| {
        b.iter().map(|b| format!("&#x{b:x};")).collect()
    }),
    ("JSON escapes", |b| {
        b.iter().map(|b| format!("\\u{:04x}", b)).collect()
    }),
    ("hex", |b| b.iter().map(|b| format!("{b:02x}")).collect()),
    ("hex with colons", |b| {
        b.iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }),
    ("Base64", |b| STANDARD.encode(b)),
    ("URL-safe Base64", |b| URL_SAFE_NO_PAD.encode(b)),
    ("Base64 after one byte", |b| {
        STANDARD.encode([b"x", b].concat())
    }),
    ("Base64 after two bytes", |b| {
        URL_SAFE.encode([b"xy", b].concat())
    }),
    ("spaced out", |b| {
        String::from_utf8_lossy(b)
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" ")
    }),
    ("zero-width spaced", |b| {
        String::from_utf8_lossy(b)
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join("\u{200b}")
    }),
];

/// Which part of the request the server echoes.
#[derive(Clone, Copy, Debug)]
enum Part {
    /// The whole form body.
    Body,
    /// The body cut three bytes before the secret's (form-encoded) end.
    Truncated,
    /// Twelve characters from inside the secret, decoded.
    Fragment,
}

/// Where in the answer the echo goes.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// A 401 whose whole body is the echo.
    PlainBody,
    /// OAuth2's error JSON with the echo as its description.
    Description,
    /// OAuth2's error JSON with the echo as its error code, and more of it beside.
    Code,
    /// A successful answer whose token type is the echo.
    TokenType,
}

struct Echo {
    part: Part,
    shape: Shape,
    encode: Encode,
}

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body = &req.body;
        let form_secret: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
        let echoed: Vec<u8> = match self.part {
            Part::Body => body.clone(),
            Part::Truncated => {
                let text = String::from_utf8_lossy(body);
                let end = text.find(&form_secret).expect("secret in body") + form_secret.len();
                body[..end - 3].to_vec()
            }
            Part::Fragment => SECRET.as_bytes()[4..16].to_vec(),
        };
        let echo = (self.encode)(&echoed);
        match self.shape {
            Shape::PlainBody => ResponseTemplate::new(401).set_body_string(echo),
            Shape::Description => ResponseTemplate::new(401).set_body_json(
                json!({"error": "invalid_client", "error_description": format!("bad: {echo}")}),
            ),
            Shape::Code => ResponseTemplate::new(400)
                .set_body_json(json!({"error": echo.clone(), "request": echo})),
            Shape::TokenType => ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-unused-0123", "token_type": echo})),
        }
    }
}

/// Strings that tell a run of the secret: every 8-byte run of it (and of it form-encoded, as
/// the body carries it) in each encoding above; for Base64, the characters made only of the
/// run's bits, at each alignment.
fn telltales() -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    let mut out = Vec::new();
    for s in [SECRET, form.as_str()] {
        for run in s.as_bytes().windows(8) {
            for (name, e) in ENCODINGS {
                if !name.contains("Base64") {
                    out.push(e(run));
                }
            }
            for e in [STANDARD_NO_PAD, URL_SAFE_NO_PAD] {
                for (pad, skip) in [(0, 0), (1, 2), (2, 3)] {
                    let enc = e.encode([&vec![0u8; pad][..], run].concat());
                    out.push(enc[skip..enc.len() - 2].to_string());
                }
            }
        }
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for t in telltales() {
        assert!(!text.contains(&t), "{what} leaks {t:?}:\n{text}");
    }
}

async fn hostile(part: Part, shape: Shape, encode: Encode) -> MockServer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(Echo {
            part,
            shape,
            encode,
        })
        .mount(&server)
        .await;
    server
}

const PARTS: [Part; 3] = [Part::Body, Part::Truncated, Part::Fragment];
const SHAPES: [Shape; 4] = [
    Shape::PlainBody,
    Shape::Description,
    Shape::Code,
    Shape::TokenType,
];

#[tokio::test]
async fn a_hostile_token_endpoint_never_gets_the_secret_into_errors_or_logs() {
    let logs_capture = crate::common::capture_logs();
    let opts = ClientOptions {
        max_retries: 1,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..ClientOptions::default()
    };
    let mut quoted = 0;
    for &(name, encode) in ENCODINGS {
        for part in PARTS {
            for shape in SHAPES {
                let server = hostile(part, shape, encode).await;
                let conn =
                    Connection::new(&server.uri(), CLIENT_ID, SecretString::from(SECRET)).unwrap();
                let client = Client::new(conn, Access::Read, opts.clone()).unwrap();
                let e = client.read_live().await.unwrap_err();
                let what = format!("{name}, {part:?} as {shape:?}");
                let shown = e.to_string();
                assert_clean(&format!("error ({what})"), &shown);
                assert_clean(&format!("error Debug ({what})"), &format!("{e:?}"));
                if matches!(shape, Shape::PlainBody) {
                    // Not OAuth2's error JSON: described, never quoted.
                    assert!(shown.contains("not quoted"), "{what}: {shown}");
                }
                quoted += usize::from(shown.contains("[redacted]"));
            }
        }
    }
    // The echo was quoted (redacted) where OAuth2's fields carried it.
    assert!(quoted > 0);
    let logs = logs_capture.text();
    drop(logs_capture);
    assert!(logs.contains("/oauth2/token"), "{logs}");
    assert_clean("TRACE logs", &logs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_prints_no_part_of_a_secret_a_hostile_token_endpoint_echoes() {
    let dir = policies(&[("g.yaml", "groups:\n  Buyers:\n    members: [carol]\n")]);
    for &(name, encode) in ENCODINGS {
        for (part, shape) in [
            (Part::Body, Shape::PlainBody),
            (Part::Truncated, Shape::Description),
            (Part::Body, Shape::Code),
            (Part::Fragment, Shape::TokenType),
        ] {
            let server = hostile(part, shape, encode).await;
            let mut cmd = bin();
            cmd.env("COUPA_DOMAIN", server.uri())
                .env("COUPA_CLIENT_ID", CLIENT_ID)
                .env("COUPA_CLIENT_SECRET", SECRET)
                .env("COUPA_ACCESS_LOG", "trace")
                .args(["plan", "--policies", path_str(dir.path())]);
            let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap();
            let what = format!("{name}, {part:?} as {shape:?}");
            assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr_of(&out));
            assert_clean(&format!("stderr ({what})"), &stderr_of(&out));
            assert_clean(&format!("stdout ({what})"), &stdout_of(&out));
        }
    }
}
