//! The contract between the sandbox and the client. The sandbox defines Coupa's objects on its
//! own (it does not depend on the client), so this decodes its answers with the client's wire
//! types and checks that every field the client reads arrives under the key the client reads it
//! by, with the tenant's value. (The client's wire fields are all optional, so a key spelt
//! differently on either side would decode quietly as "absent": hence the key lists below.)

use std::collections::{BTreeMap, BTreeSet};

use coupa_access_client::wire::{
    WireErrors, WireMembership, WireRole, WireToken, WireUser, WireUserGroup,
};
use coupa_access_core::model::License;
use coupa_access_sandbox::{sample_tenant, Faults, Sandbox};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::sandbox_support::{get, post, put, start_with, token};

const ALL: &str =
    "core.common.read core.user.read core.user.write core.user_group.read core.user_group.write";

/// Decodes `raw` as the wire type `T`; each of `keys` must be read (it survives decoding and
/// encoding again) with the value sent. (A macro: the test crate names no serde traits.)
macro_rules! decode {
    ($t:ty, $raw:expr, $keys:expr) => {{
        let raw: &Value = $raw;
        let decoded: $t =
            serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{e}: {raw}"));
        let again = serde_json::to_value(&decoded).unwrap();
        for k in $keys {
            let k: &str = k;
            assert!(
                again.get(k).is_some(),
                "the client does not read `{k}` of {raw}"
            );
            assert_eq!(again[k], raw[k], "`{k}` of {raw}");
        }
        decoded
    }};
}

/// Every record of a list route, 50 at a time until Coupa's empty page.
async fn all_pages(sb: &Sandbox, t: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, page) = get(sb, t, &format!("{path}{sep}limit=50&offset={}", out.len())).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[tokio::test]
async fn sandbox_answers_decode_with_the_clients_wire_types() {
    let tenant = sample_tenant();
    let sb = start_with(Faults::default()).await;

    // The token endpoint.
    let resp = reqwest::Client::new()
        .post(format!("{}/oauth2/token", sb.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client"),
            ("client_secret", "sandbox-secret"),
            ("scope", ALL),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let raw: Value = resp.json().await.unwrap();
    let tok = decode!(
        WireToken,
        &raw,
        &["access_token", "token_type", "expires_in", "scope"]
    );
    assert!(!tok.access_token.is_empty());
    let t = token(&sb, ALL).await;

    // Roles.
    let roles = all_pages(&sb, &t, "/api/roles").await;
    assert_eq!(roles.len(), tenant.roles.len());
    let keys = [
        "id",
        "name",
        "omnipotent",
        "system-role",
        "created-at",
        "updated-at",
    ];
    for raw in &roles {
        let r = decode!(WireRole, raw, &keys);
        let want = tenant.roles.iter().find(|x| Some(x.id) == r.id).unwrap();
        assert_eq!(r.name.as_deref(), Some(want.name.as_str()));
        assert_eq!(r.description, want.description);
        assert_eq!(
            (r.omnipotent, r.system_role),
            (Some(want.omnipotent), Some(want.system_role))
        );
    }

    // Groups and projects (one resource; `type` tells them apart).
    let groups = all_pages(&sb, &t, "/api/user_groups").await;
    assert_eq!(groups.len(), tenant.groups.len() + tenant.projects.len());
    let keys = ["id", "name", "active", "created-at", "updated-at"];
    for raw in &groups {
        let g = decode!(WireUserGroup, raw, &keys);
        let id = g.id.unwrap();
        let (want, project) = match tenant.groups.iter().find(|x| x.id == id) {
            Some(x) => (x, false),
            None => (tenant.projects.iter().find(|x| x.id == id).unwrap(), true),
        };
        assert_eq!(g.name.as_deref(), Some(want.name.as_str()));
        assert_eq!(g.active, Some(want.active));
        assert_eq!(g.description, want.description);
        assert_eq!(g.kind.as_deref(), project.then_some("Project"), "{raw}");
    }

    // Memberships.
    let rows = all_pages(&sb, &t, "/api/user_group_memberships").await;
    let keys = [
        "id",
        "user-id",
        "user-group-id",
        "user-group-type",
        "owner",
        "created-at",
        "updated-at",
    ];
    let got: BTreeSet<(u64, u64, u64, bool)> = rows
        .iter()
        .map(|raw| {
            let m = decode!(WireMembership, raw, &keys);
            (
                m.id.unwrap(),
                m.user_id.unwrap(),
                m.user_group_id.unwrap(),
                m.owner.unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(u64, u64, u64, bool)> = tenant
        .memberships
        .iter()
        .map(|m| (m.id, m.user_id, m.group_id, m.owner))
        .collect();
    assert_eq!(got, want);

    // Users: roles, the read-only flags and every license flag.
    let users = all_pages(&sb, &t, "/api/users").await;
    assert_eq!(users.len(), tenant.users.len());
    let mut keys = vec![
        "id",
        "login",
        "email",
        "active",
        "updated-at",
        "supplier-user",
        "api-user",
    ];
    let flags: Vec<String> = License::ALL.iter().map(|l| l.wire_field()).collect();
    keys.extend(flags.iter().map(String::as_str));
    for raw in &users {
        let u = decode!(WireUser, raw, &keys);
        let want = tenant.users.iter().find(|x| Some(x.id) == u.id).unwrap();
        assert_eq!(u.login.as_deref(), Some(want.login.as_str()));
        assert_eq!(u.email.as_deref(), Some(want.email.as_str()));
        assert_eq!(u.active, Some(want.active));
        assert_eq!(
            (u.supplier_user, u.api_user),
            (Some(want.supplier), Some(want.api_user))
        );
        let roles: BTreeSet<u64> = u.roles.unwrap().iter().map(|r| r.id.unwrap()).collect();
        assert_eq!(roles, want.roles.iter().copied().collect());
        for l in License::ALL {
            assert_eq!(
                u.other[&l.wire_field()],
                Value::Bool(want.licenses.contains(&l)),
                "{} of {}",
                l.wire_field(),
                want.login
            );
        }
    }

    // `user-groups`, sent only when `fields=` names it.
    let mut groups_of: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    for m in &tenant.memberships {
        groups_of.entry(m.user_id).or_default().insert(m.group_id);
    }
    let (&user, held) = groups_of.iter().find(|(_, g)| g.len() >= 2).unwrap();
    let fields: String =
        url::form_urlencoded::byte_serialize(br#"["id",{"user-groups":["id","name"]}]"#).collect();
    let (status, raw) = get(&sb, &t, &format!("/api/users/{user}?fields={fields}")).await;
    assert_eq!(status, StatusCode::OK);
    let u = decode!(WireUser, &raw, &["id"]);
    let got: BTreeSet<u64> = u
        .user_groups
        .unwrap()
        .iter()
        .map(|g| g.id.unwrap())
        .collect();
    assert_eq!(&got, held);

    // Write answers: a created membership, an updated user, a validation error.
    let group = tenant
        .groups
        .iter()
        .map(|g| g.id)
        .find(|g| !held.contains(g))
        .unwrap();
    let body = json!({"user-id": user, "user-group-id": group});
    let (status, raw) = post(&sb, &t, "/api/user_group_memberships", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let m = decode!(
        WireMembership,
        &raw,
        &["id", "user-id", "user-group-id", "owner"]
    );
    assert_eq!((m.user_id, m.user_group_id), (Some(user), Some(group)));
    let (status, raw) = post(&sb, &t, "/api/user_group_memberships", body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let e = decode!(WireErrors, &raw, &["errors"]);
    assert!(e.errors.contains_key("user_group_membership"), "{raw}");
    let role = tenant.roles.iter().find(|r| !r.omnipotent).unwrap().id;
    let (status, raw) = put(
        &sb,
        &t,
        &format!("/api/users/{user}"),
        json!({"roles": [{"id": role}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let u = decode!(WireUser, &raw, &["id", "login"]);
    assert!(u.roles.unwrap().iter().any(|r| r.id == Some(role)), "{raw}");
}
