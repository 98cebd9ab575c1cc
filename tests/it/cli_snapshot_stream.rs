//! `snapshot` writes users and memberships to spool files as pages arrive and assembles the
//! file from them: the bytes are what the collect-then-write path (`read_live`, then
//! `to_json_with_manifest`) makes of the same answers, under the unfriendly answers the read
//! already handles: short pages, records changed, created and deleted between pages, project
//! rows, rows of an unlisted group, and ranges read again when `id[lt_or_eq]` is ignored. A
//! page that repeats a record is refused as before, and nothing is left on disk.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use coupa_access_client::{Access, Client, ClientOptions, Connection};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{bin, stderr_of, TestSandbox, CLIENT_ID, CLIENT_SECRET};

const EPOCH: &str = "1767225600";
const TAKEN_AT: &str = "2026-01-01T00:00:00Z";

/// Coupa's list endpoints over records that change as the read goes.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// Short pages (at most 37 records), and between the second and third page of users one
    /// already read is changed, one not yet read is changed, one is deleted and one created.
    ShortAndChanging,
    /// The third page of users starts again with the last record of the second.
    Duplicate,
}

struct Tenant {
    variant: Variant,
    users: BTreeMap<u64, Value>,
    user_pages: u32,
}

impl Tenant {
    fn new(variant: Variant) -> Tenant {
        Tenant {
            variant,
            users: (1..=130)
                .map(|id| {
                    let u = json!({
                        "id": id, "login": format!("u{id}"), "email": format!("u{id}@acme.com"),
                        "fullname": format!("Ünïcode \"{id}\""), "active": id % 9 != 0,
                        "roles": [{"id": 1 + id % 2, "name": "r"}],
                        "expense-user": id % 3 == 0,
                    });
                    (id, u)
                })
                .collect(),
            user_pages: 0,
        }
    }

    fn users_page(&mut self, gt: u64, limit: usize) -> Vec<Value> {
        self.user_pages += 1;
        if self.variant == Variant::ShortAndChanging && self.user_pages == 3 {
            // Read already (page one): the snapshot keeps what that page said.
            self.users.get_mut(&5).unwrap()["login"] = json!("u5-renamed");
            // Not read yet: the snapshot has the new value, and not the deleted user.
            self.users.get_mut(&100).unwrap()["email"] = json!("new-100@acme.com");
            self.users.remove(&120);
            self.users.insert(
                500,
                json!({"id": 500, "login": "late", "email": "late@acme.com"}),
            );
        }
        let mut page: Vec<Value> = self
            .users
            .range(gt + 1..)
            .take(limit)
            .map(|(_, u)| u.clone())
            .collect();
        if self.variant == Variant::Duplicate && self.user_pages == 3 {
            page.insert(0, self.users[&gt].clone());
            page.pop();
        }
        page
    }
}

fn groups() -> Vec<Value> {
    vec![
        json!({"id": 10, "name": "AP Clerks", "active": true}),
        json!({"id": 11, "name": "Launch", "type": "Project"}),
        // Plain by its record, a project by its membership rows.
        json!({"id": 12, "name": "Rollout", "type": ""}),
        json!({"id": 14, "name": "Buyers", "description": "buy"}),
    ]
}

fn rows() -> Vec<Value> {
    (1..=90u64)
        .map(|id| {
            let (group, kind) = match id % 5 {
                0 => (11, "Project"),
                1 => (12, "Project"),
                // A group created after the groups were listed: its rows are not kept.
                2 if id > 80 => (13, "UserGroup"),
                2 | 3 => (10, "UserGroup"),
                _ => (14, "UserGroup"),
            };
            json!({"id": id * 3, "user-id": id, "user-group-id": group, "user-group-type": kind,
                   "owner": id % 7 == 0, "created-at": "2026-01-05T10:00:00+00:00"})
        })
        .collect()
}

fn roles() -> Vec<Value> {
    vec![
        json!({"id": 1, "name": "Admin", "omnipotent": true}),
        json!({"id": 2, "name": "User", "description": "everyone"}),
    ]
}

struct Lists(Arc<Mutex<Tenant>>);

fn num(r: &Request, key: &str) -> Option<u64> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
}

/// A keyset page of `all` (ascending ids), at most 37 records.
fn keyset(all: Vec<Value>, r: &Request) -> Vec<Value> {
    let gt = num(r, "id[gt]").unwrap_or(0);
    let le = num(r, "id[lt_or_eq]").unwrap_or(u64::MAX);
    let desc = r.url.query_pairs().any(|(k, v)| k == "dir" && v == "desc");
    let mut ids: Vec<Value> = all
        .into_iter()
        .filter(|v| (gt + 1..=le).contains(&v["id"].as_u64().unwrap()))
        .collect();
    if desc {
        ids.reverse();
    }
    ids.truncate(limit(r));
    ids
}

fn limit(r: &Request) -> usize {
    num(r, "limit").unwrap_or(50).min(37) as usize
}

impl Respond for Lists {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body = match r.url.path() {
            "/api/users" => {
                let mut t = self.0.lock().unwrap();
                let gt = num(r, "id[gt]").unwrap_or(0);
                Value::Array(t.users_page(gt, limit(r)))
            }
            "/api/user_groups" => Value::Array(keyset(groups(), r)),
            "/api/user_group_memberships" => Value::Array(keyset(rows(), r)),
            "/api/roles" => Value::Array(keyset(roles(), r)),
            _ => return ResponseTemplate::new(404),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// A fake Coupa on its own runtime; `reset` starts its tenant over.
struct Fake {
    server: MockServer,
    tenant: Arc<Mutex<Tenant>>,
    rt: tokio::runtime::Runtime,
}

impl Fake {
    fn start(variant: Variant) -> Fake {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let tenant = Arc::new(Mutex::new(Tenant::new(variant)));
        let server = rt.block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(method("POST"))
                .and(path("/oauth2/token"))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    json!({"access_token": "tok", "token_type": "bearer", "expires_in": 86399}),
                ))
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .respond_with(Lists(tenant.clone()))
                .mount(&server)
                .await;
            server
        });
        Fake { server, tenant, rt }
    }

    fn reset(&self) {
        let variant = self.tenant.lock().unwrap().variant;
        *self.tenant.lock().unwrap() = Tenant::new(variant);
    }

    fn client(&self) -> Client {
        let conn = Connection::new(
            &self.server.uri(),
            CLIENT_ID,
            CLIENT_SECRET.to_string().into(),
        )
        .unwrap();
        Client::new(conn, Access::Read, ClientOptions::default()).unwrap()
    }

    fn snapshot(&self, out: &std::path::Path) -> std::process::Output {
        bin()
            .env("COUPA_DOMAIN", self.server.uri())
            .env("COUPA_CLIENT_ID", CLIENT_ID)
            .env("COUPA_CLIENT_SECRET", CLIENT_SECRET)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .args(["snapshot", "--out"])
            .arg(out)
            .output()
            .unwrap()
    }
}

/// The collect-then-write snapshot of what `client` reads, with the manifest `snapshot` wrote
/// (whose listings and digests are checked against that read first).
fn collected(client: &Client, rt: &tokio::runtime::Runtime, written: &str) -> String {
    let live = rt.block_on(client.read_live()).unwrap();
    let (_, meta) = coupa_access_core::snapshot::from_json(written).unwrap();
    let manifest = meta.manifest.expect("a manifest");
    assert_eq!(
        manifest.content,
        coupa_access_core::snapshot::content_of(&live),
        "the streamed digests are those of the collected read"
    );
    let listings: Vec<(String, u64, u64)> = client
        .listings()
        .into_iter()
        .map(|l| (l.endpoint, l.records, l.requests))
        .collect();
    let in_manifest: Vec<(String, u64, u64)> = manifest
        .listings
        .iter()
        .map(|l| (l.endpoint.clone(), l.records, l.requests))
        .collect();
    assert_eq!(in_manifest, listings, "the same pages were read");
    coupa_access_core::snapshot::to_json_with_manifest(
        &live,
        client.domain(),
        TAKEN_AT,
        true,
        Some(&manifest),
    )
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn short_pages_and_records_changing_mid_read_stream_to_the_collected_bytes() {
    let fake = Fake::start(Variant::ShortAndChanging);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = fake.snapshot(&snap);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let written = std::fs::read_to_string(&snap).unwrap();
    assert_eq!(names_in(dir.path()), ["snap.json"], "no spool file left");

    let v: Value = serde_json::from_str(&written).unwrap();
    let user = |id: u64| {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
    };
    assert_eq!(user(5).unwrap()["login"], "u5", "read before it changed");
    assert_eq!(user(100).unwrap()["email"], "new-100@acme.com");
    assert!(user(120).is_none(), "deleted before its page");
    assert_eq!(
        user(500).unwrap()["login"],
        "late",
        "created above the last id"
    );
    let group_ids: Vec<&Value> = v["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["group_id"])
        .collect();
    assert!(
        group_ids.iter().all(|g| *g == 10 || *g == 14),
        "{group_ids:?}"
    );
    assert_eq!(v["projects"].as_array().unwrap().len(), 2);

    fake.reset();
    let old = collected(&fake.client(), &fake.rt, &written);
    assert!(
        written == old,
        "the streamed snapshot differs from the collected one"
    );
}

#[test]
fn a_page_repeating_a_record_is_refused_and_nothing_is_left() {
    let fake = Fake::start(Variant::Duplicate);
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("snap.json");
    std::fs::write(&old, "yesterday's snapshot").unwrap();
    let out = fake.snapshot(&old);
    assert!(!out.status.success());
    assert!(
        stderr_of(&out).contains("ascending id order"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "yesterday's snapshot"
    );
    assert_eq!(names_in(dir.path()), ["snap.json"], "nothing else left");
    // The collecting read refuses it too.
    fake.reset();
    let err = fake.rt.block_on(fake.client().read_live()).unwrap_err();
    assert!(err.to_string().contains("ascending id order"), "{err}");
}

#[test]
fn ranges_read_again_when_the_upper_bound_is_ignored_stream_to_the_collected_bytes() {
    let faults = coupa_access_sandbox::Faults {
        ignore_id_upper_bound: true,
        ..coupa_access_sandbox::Faults::default()
    };
    let mut config = crate::common::unlimited_config();
    config.faults = faults;
    let sb = TestSandbox::start_config(crate::common::generated_tenant(2_000), config);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["snapshot", "--out"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let written = std::fs::read_to_string(&snap).unwrap();
    assert_eq!(names_in(dir.path()), ["snap.json"], "no spool file left");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = crate::common::client_for(&sb.sandbox, Access::Read);
    let old = collected(&client, &rt, &written);
    assert!(
        written == old,
        "the streamed snapshot differs from the collected one"
    );
}

#[test]
fn a_spool_that_cannot_be_written_fails_the_read_and_says_where() {
    let sb = TestSandbox::start_unlimited(crate::common::tenant());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("missing").join("snap.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        err.contains("could not keep the records read")
            && err.contains("temporary file")
            && err.contains("missing"),
        "{err}"
    );
    assert!(names_in(dir.path()).is_empty(), "nothing written");
}
