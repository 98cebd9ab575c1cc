//! Coupa asks for a five-second buffer between issuing a token and using it. A token refused
//! in that time is waited out and sent again — one token, no error — on tokio's paused clock
//! against a sandbox that refuses young tokens.

use std::time::Duration;

use crate::common::{CLIENT_ID, CLIENT_SECRET};
use coupa_access_client::{Access, Client, ClientOptions, Connection};
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};

async fn warming_sandbox(warmup: Duration) -> Sandbox {
    let config = SandboxConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        // The sandbox's bucket runs on the wall clock, which a paused test does not advance.
        rate_per_second: 1e6,
        burst: 100_000,
        faults: Faults {
            token_warmup: warmup,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client(sb: &Sandbox, access: Access) -> Client {
    let conn = Connection::new(&sb.url(), CLIENT_ID, CLIENT_SECRET.to_string().into()).unwrap();
    // Default options: the 5 s warm-up Coupa asks for.
    Client::new(conn, access, ClientOptions::default()).unwrap()
}

#[tokio::test(start_paused = true)]
async fn first_reads_succeed_after_the_warmup_with_one_token() {
    let sb = warming_sandbox(Duration::from_secs(5)).await;
    let c = client(&sb, Access::Read);
    let started = tokio::time::Instant::now();
    let live = c.read_live().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(live, sample_tenant());
    let counts = sb.request_counts();
    assert_eq!(counts["POST /oauth2/token"], 1, "{counts:?}");
    assert!(counts["401 warmup"] >= 1, "the sandbox refused: {counts:?}");
    assert_eq!(c.stats().tokens_fetched, 1);
    // Waited until the token was 5 s old (plus a little), not a backoff series.
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(7),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_first_write_is_resent_after_the_warmup_not_reported_unknown() {
    let sb = warming_sandbox(Duration::from_secs(5)).await;
    let c = client(&sb, Access::ReadWrite);
    let before = sb.live().memberships.len();
    let m = c.create_membership(1001, 102).await.unwrap();
    assert_eq!((m.user_id, m.group_id), (1001, 102));
    assert_eq!(sb.live().memberships.len(), before + 1);
    let counts = sb.request_counts();
    assert_eq!(counts["POST /oauth2/token"], 1, "{counts:?}");
    assert_eq!(counts["401 warmup"], 1, "{counts:?}");
    assert_eq!(counts["POST /api/user_group_memberships"], 2, "{counts:?}");
}

#[tokio::test(start_paused = true)]
async fn a_token_still_refused_after_its_warmup_is_replaced_once() {
    // The sandbox wants a minute, the client waits 5 s: the client replaces the token once, then
    // waits the new one out too, and fails clearly rather than fetching tokens in a loop.
    let sb = warming_sandbox(Duration::from_secs(60)).await;
    let c = client(&sb, Access::Read);
    let err = c.read_group_memberships(101).await.unwrap_err();
    assert!(
        matches!(err, coupa_access_client::CoupaError::Unauthorized { .. }),
        "{err:?}"
    );
    assert_eq!(sb.request_counts()["POST /oauth2/token"], 2);
}
