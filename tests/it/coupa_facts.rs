//! Coupa facts the sandbox models, each held to a test: Supplier Portal and API accounts,
//! group owners. (See the README's "Coupa facts" section.)

use coupa_access_core::model::{Live, LiveIndex, PolicyFile, UserMatch};
use coupa_access_core::policy;
use coupa_access_sandbox::sample_tenant;

use crate::common::{stderr_of, stdout_of, TestSandbox};

fn sample_read_back() -> Live {
    let sb = TestSandbox::start(sample_tenant(), Default::default());
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap.json");
    let out = sb
        .cmd()
        .args(["snapshot", "--out"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(&snap).unwrap();
    coupa_access_core::snapshot::from_json(&text).unwrap().0
}

#[test]
fn supplier_api_and_owner_flags_survive_a_read_through_the_api() {
    let live = sample_read_back();
    let tenant = sample_tenant();
    assert_eq!(
        live.users, tenant.users,
        "supplier and API flags read from Coupa's fields"
    );
    assert!(
        live.users.iter().any(|u| u.supplier),
        "the sample has supplier accounts"
    );
    assert!(
        live.users.iter().any(|u| u.api_user),
        "the sample has an API user"
    );
    let owners: Vec<_> = live.memberships.iter().filter(|m| m.owner).collect();
    assert_eq!(owners.len(), 3, "owner rows read from `owner`");
}

#[test]
fn an_email_shared_with_a_supplier_account_resolves_to_the_employee() {
    let tenant = sample_tenant();
    let supplier = tenant
        .users
        .iter()
        .find(|u| u.supplier && u.email == "alice@acme.com");
    assert!(
        supplier.is_some(),
        "the sample has a supplier sharing alice's email"
    );
    let ix = LiveIndex::new(&tenant);
    match ix.user("ALICE@acme.com") {
        UserMatch::One(u) => assert_eq!(u.login, "alice"),
        other => panic!("expected alice, got {other:?}"),
    }
    // The supplier's own login is not an identity a policy may use.
    assert!(matches!(ix.user("acme-paper-supplier"), UserMatch::None));
}

#[test]
fn naming_a_supplier_account_is_a_clear_error() {
    let tenant = sample_tenant();
    let files = vec![PolicyFile {
        path: "policies/g.yaml".into(),
        text: "groups:\n  Buyers:\n    members: [alice, northwind-sales]\n".into(),
    }];
    let desired = policy::load_files(files).unwrap();
    let report = policy::check(&desired, &tenant);
    let messages: Vec<String> = report.errors.iter().map(|d| d.one_line()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("Supplier Portal account"),
        "{messages:?}"
    );
    assert_eq!(report.errors[0].code(), "policy::supplier_account");
}

#[test]
fn the_demo_plans_alice_by_email_although_a_supplier_shares_it() {
    let out = crate::common::bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("demo")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!stdout_of(&out).contains("acme-paper-supplier"));
}

#[test]
fn a_plan_that_touches_an_api_user_says_so() {
    let tenant = sample_tenant();
    assert!(tenant
        .users
        .iter()
        .any(|u| u.login == "integration-bot" && u.api_user));
    let files = vec![PolicyFile {
        path: "policies/g.yaml".into(),
        text: "groups:\n  Executives:\n    mode: additive\n    members: [integration-bot, alice]\n"
            .into(),
    }];
    let desired = policy::load_files(files).unwrap();
    let origin = coupa_access_core::model::Origin::Instance {
        domain: "https://acme.coupahost.com".into(),
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let plan = coupa_access_core::plan::make(&desired, &tenant, origin, now)
        .unwrap()
        .plan;
    let api: Vec<_> = plan
        .warnings
        .iter()
        .filter(|w| w.code == coupa_access_core::model::WarningCode::ApiUserChanged)
        .collect();
    assert_eq!(api.len(), 1, "{:?}", plan.warnings);
    assert!(
        api[0].message.contains("integration-bot"),
        "{}",
        api[0].message
    );
    assert!(
        api[0].message.contains("gains group \"Executives\""),
        "{}",
        api[0].message
    );
}
