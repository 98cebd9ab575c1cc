//! How a large read is split, seen from the server (wiremock on 127.0.0.1:0): one probe for the
//! highest id, then concurrent keyset ranges `id[gt]=lo&id[lt_or_eq]=hi` that cover the ids
//! exactly; and what happens when a server ignores a parameter the split relies on.

use std::collections::BTreeSet;
use std::time::Duration;

use coupa_access_client::{Access, Client, ClientOptions, Connection, CoupaError};
use secrecy::SecretString;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the fake `/api/users` honours.
#[derive(Clone, Copy)]
struct Honours {
    upper_bound: bool,
    desc: bool,
    /// Pages with `id[gt]` above this and an upper bound answer 500.
    fail_ranges_above: Option<u64>,
}

const FULL: Honours = Honours {
    upper_bound: true,
    desc: true,
    fail_ranges_above: None,
};

/// `/api/users` over a fixed list of ids, implementing Coupa's keyset parameters.
struct Users {
    ids: Vec<u64>,
    honours: Honours,
}

fn param(r: &Request, key: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn num(r: &Request, key: &str) -> Option<u64> {
    param(r, key).and_then(|v| v.parse().ok())
}

impl Respond for Users {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let h = self.honours;
        let gt = num(r, "id[gt]").unwrap_or(0);
        let le = num(r, "id[lt_or_eq]").filter(|_| h.upper_bound);
        if h.fail_ranges_above.is_some_and(|f| gt > f) && le.is_some() {
            return ResponseTemplate::new(500);
        }
        let limit = num(r, "limit").unwrap_or(50).min(50) as usize;
        let mut ids: Vec<u64> = self
            .ids
            .iter()
            .copied()
            .filter(|&i| i > gt && le.is_none_or(|le| i <= le))
            .collect();
        if h.desc && param(r, "dir").as_deref() == Some("desc") {
            ids.reverse();
        }
        let page: Vec<Value> = ids
            .into_iter()
            .take(limit)
            .map(|i| json!({"id": i, "login": format!("u{i}"), "email": format!("u{i}@x")}))
            .collect();
        ResponseTemplate::new(200).set_body_json(Value::Array(page))
    }
}

/// 2,000 user ids from 7 upwards, with gaps.
fn user_ids() -> Vec<u64> {
    (0..2000u64).map(|i| 7 + i * 2 + i / 100 * 31).collect()
}

async fn server(honours: Honours) -> MockServer {
    // Not from wiremock's pool: a pooled server can still be receiving requests a previous
    // test's cancelled ranges sent, and these tests count requests.
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok", "expires_in": 86399})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/users"))
        .respond_with(Users {
            ids: user_ids(),
            honours,
        })
        .mount(&server)
        .await;
    for p in [
        "/api/user_groups",
        "/api/roles",
        "/api/user_group_memberships",
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    server
}

fn client(server: &MockServer) -> Client {
    let opts = ClientOptions {
        burst: 1000,
        per_second: 100_000.0,
        max_retries: 1,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    let conn = Connection::new(&server.uri(), "id", SecretString::from("secret")).unwrap();
    Client::new(conn, Access::Read, opts).unwrap()
}

async fn user_requests(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/api/users")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_read_probes_the_highest_id_then_reads_ranges_that_cover_it_once() {
    let server = server(FULL).await;
    let live = client(&server).read_live().await.unwrap();
    let ids = user_ids();
    // Every id exactly once, in order.
    assert_eq!(live.users.iter().map(|u| u.id).collect::<Vec<_>>(), ids);

    let reqs = user_requests(&server).await;
    let probes: Vec<&Request> = reqs
        .iter()
        .filter(|r| param(r, "dir").as_deref() == Some("desc"))
        .collect();
    assert_eq!(probes.len(), 1, "one probe for the highest id");
    assert_eq!(param(probes[0], "limit").as_deref(), Some("1"));
    assert_eq!(param(probes[0], "fields").as_deref(), Some(r#"["id"]"#));

    // Ranges: (lo, hi] from each range's first page; together they cover (last head id, max].
    let mut ranges: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut uppers = BTreeSet::new();
    for r in reqs.iter().filter(|r| param(r, "id[lt_or_eq]").is_some()) {
        uppers.insert(num(r, "id[lt_or_eq]").unwrap());
        assert_eq!(param(r, "dir").as_deref(), Some("asc"));
    }
    for hi in &uppers {
        let lo = reqs
            .iter()
            .filter(|r| num(r, "id[lt_or_eq]") == Some(*hi))
            .filter_map(|r| num(r, "id[gt]"))
            .min()
            .unwrap();
        ranges.insert((lo, *hi));
    }
    // ~37 pages left, at least 8 pages per range: 4 ranges (at most read_concurrency); all but
    // the last are bounded above.
    assert_eq!(ranges.len(), 3, "{ranges:?}");
    let ranges: Vec<(u64, u64)> = ranges.into_iter().collect();
    for w in ranges.windows(2) {
        assert_eq!(w[0].1, w[1].0, "contiguous: {ranges:?}");
    }
    // The last range starts where the bounded ones end and runs to an empty page past the
    // highest id, like any keyset read.
    let last_bound = ranges.last().unwrap().1;
    assert!(last_bound < *ids.last().unwrap());
    let unbounded = |gt: u64| {
        reqs.iter().any(|r| {
            num(r, "id[gt]") == Some(gt)
                && param(r, "id[lt_or_eq]").is_none()
                && param(r, "dir").as_deref() == Some("asc")
        })
    };
    assert!(
        unbounded(last_bound),
        "the last range starts at {last_bound}"
    );
    assert!(
        unbounded(*ids.last().unwrap()),
        "the last range ends at an empty page"
    );
    // The head pages were a plain scan up to where the ranges start.
    assert_eq!(ranges[0].0, ids[149]);
    // Splitting costs a couple of requests per range at most.
    let pages = reqs.len() as u64;
    assert!(pages <= 2000 / 50 + 1 + 2 * 8 + 1, "{pages} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_the_upper_bound_gets_a_plain_scan_not_duplicates() {
    let server = server(Honours {
        upper_bound: false,
        ..FULL
    })
    .await;
    let live = client(&server).read_live().await.unwrap();
    assert_eq!(
        live.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        user_ids(),
        "every user once, in order"
    );
    // The ranges were tried, noticed running past their bounds, and the rest read as one
    // keyset scan from where the head pages stopped (no upper bound, to an empty page).
    let reqs = user_requests(&server).await;
    let bounded = reqs
        .iter()
        .filter(|r| param(r, "id[lt_or_eq]").is_some())
        .count();
    assert!(bounded > 0, "ranges were tried");
    let head_end = user_ids()[149];
    assert!(reqs.iter().any(|r| num(r, "id[gt]") == Some(head_end)
        && param(r, "id[lt_or_eq]").is_none()
        && param(r, "dir").as_deref() == Some("asc")));
    assert!(reqs
        .iter()
        .any(|r| num(r, "id[gt]") == user_ids().last().copied()
            && param(r, "id[lt_or_eq]").is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_dir_desc_gets_a_plain_scan() {
    let server = server(Honours {
        desc: false,
        ..FULL
    })
    .await;
    let live = client(&server).read_live().await.unwrap();
    assert_eq!(
        live.users.iter().map(|u| u.id).collect::<Vec<_>>(),
        user_ids()
    );
    let reqs = user_requests(&server).await;
    assert!(reqs.iter().all(|r| param(r, "id[lt_or_eq]").is_none()));
    // 40 full pages, the empty page and the probe.
    assert_eq!(reqs.len(), 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_range_fails_the_whole_read() {
    let server = server(Honours {
        fail_ranges_above: Some(2000),
        ..FULL
    })
    .await;
    let err = client(&server).read_live().await.unwrap_err();
    assert!(
        matches!(err, CoupaError::RetriesExhausted { status: 500, .. }),
        "{err:?}"
    );
}
