//! The real client against the sandbox (not a mock): what Coupa's behaviour means for reads and
//! writes end to end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{CLIENT_ID, CLIENT_SECRET};
use coupa_access_client::{Access, Client, ClientOptions, Connection, CoupaError};
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox, SandboxConfig};

fn fast_opts() -> ClientOptions {
    ClientOptions {
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        // The sandbox accepts tokens at once unless told otherwise (see client_warmup).
        token_warmup: Duration::ZERO,
        ..ClientOptions::default()
    }
}

async fn start(faults: Faults, scopes: Option<Vec<String>>) -> Sandbox {
    let mut config = SandboxConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        faults,
        ..SandboxConfig::default()
    };
    if let Some(s) = scopes {
        config.scopes = s;
    }
    Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client(sb: &Sandbox, access: Access, opts: ClientOptions) -> Client {
    let conn = Connection::new(&sb.url(), CLIENT_ID, CLIENT_SECRET.to_string().into()).unwrap();
    Client::new(conn, access, opts).unwrap()
}

#[tokio::test]
async fn read_live_reproduces_the_tenant_pages_past_50_and_excludes_projects() {
    let sb = start(Faults::default(), None).await;
    let mut c = client(&sb, Access::Read, fast_opts());
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    c.set_progress(Arc::new(move |p| {
        if p.resource == "users" {
            s.store(p.fetched, Ordering::SeqCst);
        }
    }));
    let live = c.read_live().await.unwrap();
    let tenant = sample_tenant();
    assert!(tenant.users.len() > 50);
    assert_eq!(
        live, tenant,
        "a snapshot of the sandbox is the tenant it serves"
    );
    assert!(live.groups.iter().all(|g| !g.name.contains("Migration")));
    assert_eq!(live.projects.len(), 2);
    assert_eq!(seen.load(Ordering::SeqCst), tenant.users.len() as u64);
    let counts = sb.request_counts();
    // Users: 302 records => 7 pages (the last one short) and one empty page, plus the one probe
    // for the highest id that a resource past 3 full pages gets before it is split into ranges.
    assert_eq!(tenant.users.len(), 302);
    assert_eq!(
        counts["GET /api/users"],
        tenant.users.len().div_ceil(50) as u64 + 1 + 1
    );
    assert_eq!(counts["POST /oauth2/token"], 1);
}

#[tokio::test]
async fn rate_limited_reads_are_retried_with_and_without_retry_after() {
    for retry_after in [Some(0), None] {
        // The sandbox's bucket is smaller than the client's burst: the client meets 429s.
        let config = SandboxConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            // A bucket of one: the read's first concurrent requests meet 429s however slow
            // the machine is.
            burst: 1,
            rate_per_second: 50.0,
            faults: Faults {
                retry_after,
                ..Faults::default()
            },
            ..SandboxConfig::default()
        };
        let sb = Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let opts = ClientOptions {
            per_second: 1000.0,
            max_retries: 50,
            ..fast_opts()
        };
        let c = client(&sb, Access::Read, opts);
        let live = c.read_live().await.unwrap();
        assert_eq!(live, sample_tenant());
        let throttled = sb.request_counts().get("429").copied().unwrap_or(0);
        assert!(
            throttled > 0,
            "the test must provoke 429s ({retry_after:?}): {:?} {:?}",
            sb.request_counts(),
            c.stats()
        );
        assert!(c.stats().rate_limited > 0);
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_never_give_a_partial_read() {
    let sb = start(
        Faults {
            fail_first: 3,
            error_status: 503,
            ..Faults::default()
        },
        None,
    )
    .await;
    let c = client(&sb, Access::Read, fast_opts());
    assert_eq!(c.read_live().await.unwrap(), sample_tenant());

    let sb = start(
        Faults {
            error_rate: 1.0,
            error_status: 500,
            ..Faults::default()
        },
        None,
    )
    .await;
    let c = client(&sb, Access::Read, fast_opts());
    assert!(
        c.read_live().await.is_err(),
        "every page failing is an error, not a partial Live"
    );
}

#[tokio::test]
async fn a_token_expiring_mid_read_is_fetched_again_once() {
    let sb = start(
        Faults {
            token_lifetime: Duration::from_secs(3600),
            ..Faults::default()
        },
        None,
    )
    .await;
    let c = client(&sb, Access::Read, fast_opts());
    c.read_group_memberships(101).await.unwrap();
    sb.expire_tokens();
    assert_eq!(c.read_live().await.unwrap(), sample_tenant());
    assert_eq!(sb.request_counts()["POST /oauth2/token"], 2);
}

#[tokio::test]
async fn a_missing_scope_is_named() {
    let sb = start(
        Faults::default(),
        Some(vec![
            "core.user.read".into(),
            "core.user_group.read".into(),
            "core.common.read".into(),
        ]),
    )
    .await;
    // Asking for write scopes the client was not granted fails at the token endpoint.
    let c = client(&sb, Access::ReadWrite, fast_opts());
    let err = c
        .create_membership(1001, 102)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("core.user"), "{err}");
}

#[tokio::test]
async fn writes_converge_and_a_refused_delete_is_an_error() {
    let sb = start(Faults::default(), None).await;
    let c = client(&sb, Access::ReadWrite, fast_opts());
    let m = c.create_membership(1004, 101).await.unwrap();
    assert!(sb
        .live()
        .memberships
        .iter()
        .any(|x| x.id == m.id && x.user_id == 1004));
    c.delete_membership(m.id).await.unwrap();
    assert!(!sb.live().memberships.iter().any(|x| x.id == m.id));

    let sb = start(
        Faults {
            delete_disabled: true,
            ..Faults::default()
        },
        None,
    )
    .await;
    let c = client(&sb, Access::ReadWrite, fast_opts());
    let err = c.delete_membership(5001).await.unwrap_err();
    assert!(err.is_delete_refused(), "{err}");
    assert!(matches!(err, CoupaError::DeleteRefused { .. }));
}

#[tokio::test]
async fn a_write_with_an_unknown_outcome_is_not_resent_blindly() {
    // The first API request fails with 503: the client must look before it resends.
    let sb = start(
        Faults {
            fail_first: 1,
            ..Faults::default()
        },
        None,
    )
    .await;
    let c = client(&sb, Access::ReadWrite, fast_opts());
    c.create_membership(1004, 101).await.unwrap();
    let counts = sb.request_counts();
    assert!(counts["GET /api/user_group_memberships"] >= 1, "{counts:?}");
    let dave_in_ap = sb
        .live()
        .memberships
        .iter()
        .filter(|m| m.user_id == 1004 && m.group_id == 101)
        .count();
    assert_eq!(dave_in_ap, 1, "created exactly once");
}

#[tokio::test]
async fn a_403_names_the_scope_to_grant() {
    let sb = start(Faults::default(), None).await;
    // A read-only token cannot write: Coupa answers 403 and the message names the scope.
    let c = client(&sb, Access::Read, fast_opts());
    let err = c
        .create_membership(1004, 101)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("core.user_group.write"), "{err}");
    assert!(err.contains("OAuth2"), "says where to grant it: {err}");
    assert!(!sb
        .live()
        .memberships
        .iter()
        .any(|m| m.user_id == 1004 && m.group_id == 101));
}

#[tokio::test]
async fn hostile_retry_after_and_expires_in_neither_panic_nor_hang() {
    let hostile_retry_after = [
        "99999999999999999999999",
        "-1",
        "1e400",
        "NaN",
        "Tue, 31 Dec 9999 23:59:59 GMT",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "soon",
        "",
    ];
    let hostile_expires_in = [
        serde_json::json!(u64::MAX),
        serde_json::json!(1e300),
        serde_json::json!(-5),
        serde_json::json!("soon"),
        serde_json::json!({"s": 1}),
        serde_json::json!(i64::MIN),
    ];
    let mut throttled = 0;
    for (i, raw) in hostile_retry_after.iter().enumerate() {
        let config = SandboxConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            // A bucket of one that drains in 250 ms: back-to-back requests meet 429s.
            burst: 1,
            rate_per_second: 4.0,
            faults: Faults {
                retry_after_raw: Some(raw.to_string()),
                token_expires_in_raw: Some(
                    hostile_expires_in[i % hostile_expires_in.len()].clone(),
                ),
                ..Faults::default()
            },
            ..SandboxConfig::default()
        };
        let sb = Sandbox::start(sample_tenant(), config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let opts = ClientOptions {
            max_retries: 50,
            max_backoff: Duration::from_millis(50),
            ..fast_opts()
        };
        let c = client(&sb, Access::Read, opts);
        // max_backoff caps any Retry-After: the reads finish promptly.
        let reads = async {
            let a = c.read_group_memberships(101).await?;
            let b = c.read_group_memberships(101).await?;
            Ok::<_, CoupaError>((a, b))
        };
        let (a, b) = tokio::time::timeout(Duration::from_secs(60), reads)
            .await
            .unwrap_or_else(|_| panic!("hangs with Retry-After {raw:?}"))
            .unwrap();
        assert_eq!(a, b, "{raw:?}");
        assert!(!a.is_empty());
        assert_eq!(c.stats().tokens_fetched, 1, "{raw:?}");
        throttled += sb.request_counts().get("429").copied().unwrap_or(0);
    }
    assert!(throttled > 0, "the test must provoke 429s");
}
