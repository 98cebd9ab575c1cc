//! The client secret and bearer tokens never show up in Debug output, error messages or
//! tracing output, even at TRACE level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coupa_access_client::{Access, Client, ClientOptions, Connection};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "zz-Client-Secret-9f8e7d";
const TOKEN1: &str = "tok-first-0a1b2c3d";
const TOKEN2: &str = "tok-second-4e5f6a7b";

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    for s in [SECRET, TOKEN1, TOKEN2] {
        assert!(!text.contains(s), "{what} leaks {s}:\n{text}");
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_errors_and_trace_logs() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Thread-local: the current-thread test runtime (and reqwest's tasks) log into `buf`.
    let _guard = tracing::subscriber::set_default(subscriber);

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

    drop(_guard);
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    // The logs are really there (method, path, status), just without secrets.
    assert!(logs.contains("/api/user_group_memberships"), "{logs}");
    assert!(logs.contains("status=401"), "{logs}");
    assert!(logs.contains("/oauth2/token"), "{logs}");
    assert_clean("TRACE logs", &logs);
}
