//! The client secret and bearer tokens never show up in Debug output, error messages or
//! tracing output, even at TRACE level.

use std::time::Duration;

use coupa_access_client::{Access, Client, ClientOptions, Connection};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "zz-Client-Secret-9f8e7d";
const TOKEN1: &str = "tok-first-0a1b2c3d";
const TOKEN2: &str = "tok-second-4e5f6a7b";

fn assert_clean(what: &str, text: &str) {
    for s in [SECRET, TOKEN1, TOKEN2] {
        assert!(!text.contains(s), "{what} leaks {s}:\n{text}");
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_errors_and_trace_logs() {
    let logs_capture = crate::common::capture_logs();

    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": TOKEN1, "token_type": "bearer", "expires_in": 86399}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": TOKEN2, "token_type": "bearer", "expires_in": 86399}),
        ))
        .mount(&server)
        .await;
    // Token 1 is "expired": 401, echoing the header back like a careless proxy might.
    Mock::given(method("GET"))
        .and(bearer_token(TOKEN1))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(format!("bad token Bearer {TOKEN1}")),
        )
        .mount(&server)
        .await;
    for p in [
        "/api/users",
        "/api/user_groups",
        "/api/user_group_memberships",
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/roles"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"errors": {"base": [format!("secret {SECRET}")]}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/user_group_memberships"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("oops {SECRET}")))
        .mount(&server)
        .await;

    let conn = Connection::new(&server.uri(), "cid", SecretString::from(SECRET)).unwrap();
    assert_clean("Debug of Connection", &format!("{conn:?}"));
    let opts = ClientOptions {
        max_retries: 1,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        token_warmup: Duration::ZERO,
        ..ClientOptions::default()
    };
    let client = Client::new(conn, Access::ReadWrite, opts).unwrap();

    // 401 -> refetch -> success.
    client.read_group_memberships(1).await.unwrap();
    // 403 whose body quotes the secret.
    let e1 = client.read_live().await.unwrap_err();
    // A write whose outcome stays unknown.
    let e2 = client.create_membership(1, 2).await.unwrap_err();

    for e in [&e1, &e2] {
        assert_clean("error message", &e.to_string());
        assert_clean("error Debug", &format!("{e:?}"));
    }
    assert!(e1.to_string().contains("core.common.read"), "{e1}");
    assert_clean("Debug of Client", &format!("{client:?}"));
    assert_eq!(client.stats().tokens_fetched, 2);

    let logs = logs_capture.text();
    drop(logs_capture);
    // The logs are really there (method, path, status), just without secrets.
    assert!(logs.contains("/api/user_group_memberships"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(logs.contains("/oauth2/token"), "{logs}");
    assert_clean("TRACE logs", &logs);
}

/// A secret with every character that URL, form and Base64 encodings change.
const AWKWARD: &str = "p@ss+w/rd=&x !%";

/// Every way `AWKWARD` or a token could appear, in full or in telling part.
fn assert_no_leak(what: &str, text: &str, tokens: &[String]) {
    let form: String = url::form_urlencoded::byte_serialize(AWKWARD.as_bytes()).collect();
    let leaks = [
        AWKWARD,
        "p@ss+w",
        "w/rd=&x",
        form.as_str(),
        "p%40ss%2Bw",
        "%2Frd%3D",
    ];
    for leak in leaks {
        assert!(!text.contains(leak), "{what} leaks {leak:?}:\n{text}");
    }
    for t in tokens {
        assert!(!text.contains(t.as_str()), "{what} leaks a token:\n{text}");
        assert!(
            !text.contains(&t[..t.len() / 2]),
            "{what} leaks half a token:\n{text}"
        );
    }
}

#[tokio::test]
async fn an_echoing_server_never_gets_the_secret_or_a_token_into_errors_or_logs() {
    use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};
    let logs_capture = crate::common::capture_logs();

    let start = |secret: &str, faults: Faults, scopes: Option<Vec<String>>| {
        let mut config = SandboxConfig {
            client_id: "cid".into(),
            client_secret: secret.into(),
            rate_per_second: 1e6,
            burst: 100_000,
            faults: Faults {
                echo_requests: true,
                ..faults
            },
            ..SandboxConfig::default()
        };
        if let Some(s) = scopes {
            config.scopes = s;
        }
        Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
    };
    let client = |sb: &Sandbox, access: Access| {
        let conn = Connection::new(&sb.url(), "cid", SecretString::from(AWKWARD)).unwrap();
        let opts = ClientOptions {
            max_retries: 1,
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            ..ClientOptions::default()
        };
        Client::new(conn, access, opts).unwrap()
    };
    let mut errors = Vec::new();

    // 1. The token endpoint refuses the secret and echoes the form body holding it.
    let wrong = start("another-secret", Faults::default(), None)
        .await
        .unwrap();
    let e = client(&wrong, Access::Read).read_live().await.unwrap_err();
    let msg = e.to_string();
    // The token endpoint's body is not OAuth2's error JSON: described, never quoted.
    assert!(
        msg.contains("not quoted") && !msg.contains("request echo"),
        "{msg}"
    );
    errors.push(e);

    // 2. A scope refused at the token endpoint, echoing the secret again.
    let read_only = start(
        AWKWARD,
        Faults::default(),
        Some(vec![
            "core.user.read".into(),
            "core.user_group.read".into(),
            "core.common.read".into(),
        ]),
    )
    .await
    .unwrap();
    errors.push(
        client(&read_only, Access::ReadWrite)
            .create_membership(1001, 102)
            .await
            .unwrap_err(),
    );

    // 3. API errors echoing `Authorization: Bearer <token>`: a read that never recovers and a
    //    write whose outcome stays unknown.
    let failing = start(
        AWKWARD,
        Faults {
            error_rate: 1.0,
            ..Faults::default()
        },
        None,
    )
    .await
    .unwrap();
    let c = client(&failing, Access::ReadWrite);
    errors.push(c.read_group_memberships(101).await.unwrap_err());
    errors.push(c.create_membership(1001, 102).await.unwrap_err());
    let tokens: Vec<String> = [&wrong, &read_only, &failing]
        .iter()
        .flat_map(|sb| sb.issued_tokens())
        .collect();
    assert!(!tokens.is_empty());

    for e in &errors {
        assert_no_leak("error message", &e.to_string(), &tokens);
        assert_no_leak("error Debug", &format!("{e:?}"), &tokens);
    }
    assert!(
        errors[2].to_string().contains("[redacted]"),
        "{}",
        errors[2]
    );
    assert_no_leak("Debug of Client", &format!("{c:?}"), &tokens);

    let logs = logs_capture.text();
    drop(logs_capture);
    assert!(logs.contains("status=503"), "{logs}");
    assert_no_leak("TRACE logs", &logs, &tokens);
}
