//! A wrong address fails fast and says which failure it was (refused, TLS); a run with a
//! deadline stops at it with a clear error.

use std::time::Duration;

use crate::common::{CLIENT_ID, CLIENT_SECRET};
use coupa_access_client::{Access, Client, ClientOptions, Connection, CoupaError};
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};

fn client_at(url: &str, opts: ClientOptions) -> Client {
    let conn = Connection::new(url, CLIENT_ID, CLIENT_SECRET.to_string().into()).unwrap();
    Client::new(conn, Access::Read, opts).unwrap()
}

async fn sandbox(faults: Faults) -> Sandbox {
    let config = SandboxConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_per_second: 1e6,
        burst: 100_000,
        faults,
        ..SandboxConfig::default()
    };
    Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn nothing_listening_is_refused_after_two_quick_retries() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Default options: 6 retries for 5xx, but a refused connection gets two quick ones.
    let c = client_at(
        &format!("http://127.0.0.1:{port}"),
        ClientOptions::default(),
    );
    let started = tokio::time::Instant::now();
    let err = c.read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, CoupaError::TokenEndpoint { .. }), "{err:?}");
    assert!(msg.contains("connection was refused"), "{msg}");
    assert_eq!(c.stats().token_requests, 3);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_failure() {
    let sb = sandbox(Faults::default()).await;
    let url = sb.url().replace("http://", "https://");
    let opts = ClientOptions {
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    let c = client_at(&url, opts);
    let err = c.read_live().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("TLS handshake failed"), "{msg}");
    assert_eq!(c.stats().token_requests, 3);
}

#[tokio::test(start_paused = true)]
async fn a_run_stops_at_its_deadline() {
    // Every API answer is a 503: retries with backoff would go on for minutes.
    let sb = sandbox(Faults {
        error_rate: 1.0,
        ..Faults::default()
    })
    .await;
    let opts = ClientOptions {
        max_retries: 100,
        deadline: Some(Duration::from_secs(20)),
        ..ClientOptions::default()
    };
    let c = client_at(&sb.url(), opts);
    let started = tokio::time::Instant::now();
    let err = c.read_live().await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(err, CoupaError::DeadlineExceeded { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("time limit of 20s"), "{err}");
    assert!(
        waited >= Duration::from_secs(20) && waited < Duration::from_secs(21),
        "{waited:?}"
    );
}
