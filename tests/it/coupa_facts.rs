//! Coupa facts the sandbox models, each held to a test: Supplier Portal and API accounts,
//! group owners. (See the README's "Coupa facts" section and `docs/coupa-api.md`.)

use coupa_access_core::index::{LiveIndex, UserMatch};
use coupa_access_core::model::{Live, PolicyFile};
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
    let plan =
        coupa_access_core::plan::make(&desired, &tenant, origin, now, &crate::common::cli_words())
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

/// The README's "Coupa facts" table: (fact, status, if otherwise), one per row.
fn facts_table() -> Vec<[String; 3]> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## Coupa facts")
        .nth(1)
        .expect("a Coupa facts section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| fact |"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            assert_eq!(cells.len(), 3, "three cells: {l}");
            [cells[0].clone(), cells[1].clone(), cells[2].clone()]
        })
        .collect()
}

/// The row whose fact mentions `needle`.
fn fact<'a>(rows: &'a [[String; 3]], needle: &str) -> &'a [String; 3] {
    rows.iter()
        .find(|r| r[0].contains(needle))
        .unwrap_or_else(|| panic!("no Coupa fact about {needle}"))
}

#[test]
fn every_coupa_fact_names_a_sandbox_option_that_exists() {
    let rows = facts_table();
    assert!(rows.len() >= 15, "{} rows", rows.len());
    let help = stdout_of(
        &crate::common::bin()
            .args(["sandbox", "--help"])
            .output()
            .unwrap(),
    );
    for [fact, _, otherwise] in &rows {
        // The closing parenthesis names the model: "(`sandbox --x`, `--y z`)".
        let model = otherwise
            .rfind("(`sandbox")
            .map(|at| &otherwise[at..])
            .map(|m| m.split(')').next().unwrap_or(m))
            .unwrap_or("");
        let options: Vec<&str> = model
            .split('`')
            .skip(1)
            .step_by(2)
            .flat_map(|code| code.split_whitespace())
            .filter(|w| w.starts_with("--"))
            .collect();
        let sample = otherwise.contains("sample tenant");
        assert!(
            !options.is_empty() || sample,
            "the row about {fact} names no sandbox option or sample data: {otherwise}"
        );
        for o in options {
            let flag = o.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "`sandbox {flag}` (named for {fact}) is not a sandbox option"
            );
        }
    }
}

#[test]
fn the_facts_say_what_the_sources_say() {
    let rows = facts_table();
    let fields = fact(&rows, "`fields=`");
    assert!(fields[2].contains("miss removals"), "{fields:?}");
    assert!(fields[2].contains("--omit-user-field"), "{fields:?}");
    let inn = fact(&rows, "`[in]`");
    assert!(inn[0].contains("user_group_id[in]"), "{inn:?}");
    assert!(inn[2].contains("400") && inn[2].contains("--reject-in-filters"));
    assert!(inn[2].contains("--membership-in-first-only"), "{inn:?}");
    let licenses = fact(&rows, "license flags (`purchasing-user`");
    for key in ["invoicing", "aic", "spend-guard", "clm-advanced"] {
        assert!(licenses[1].contains(&format!("`{key}`")), "{licenses:?}");
    }
    assert!(licenses[1].contains("OpenAPI") && licenses[1].contains("docs page"));
    let roles = fact(&rows, "`/api/roles`");
    assert!(roles[1].contains("not in its OpenAPI"), "{roles:?}");
    let suppliers = fact(&rows, "Supplier Portal");
    assert!(suppliers[1].contains("third-party"), "{suppliers:?}");
    let create = fact(&rows, "create body");
    assert!(create[1].starts_with("documented"), "{create:?}");
    let delete = fact(&rows, "membership `DELETE`");
    assert!(delete[2].contains("403") && delete[2].contains("--refuse-delete"));
}

/// `docs/coupa-api.md`: every row of its fact tables has a status and is held by something
/// that exists — a `sandbox` option, the sample tenant, or a test named `file::test`.
#[test]
fn every_coupa_api_fact_is_held() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/coupa-api.md")).unwrap();
    let help = stdout_of(
        &crate::common::bin()
            .args(["sandbox", "--help"])
            .output()
            .unwrap(),
    );
    let rows: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| fact |"))
        .collect();
    assert!(rows.len() >= 30, "{} facts", rows.len());
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        let [fact, status, held] = cells[..] else {
            panic!("three cells: {row}")
        };
        assert!(
            ["[C]", "[I]", "[U]", "tool rule"]
                .iter()
                .any(|s| status.contains(s)),
            "no status for {fact}"
        );
        let named: Vec<&str> = held.split('`').skip(1).step_by(2).collect();
        assert!(
            !named.is_empty() || held.contains("sample tenant"),
            "nothing holds {fact}"
        );
        for n in named {
            if let Some(flag) = n.strip_prefix("--") {
                assert!(
                    help.contains(&format!("--{flag} ")) || help.contains(&format!("--{flag}\n")),
                    "`sandbox --{flag}` (named for {fact}) is not a sandbox option"
                );
            } else {
                let (file, test) = n.split_once("::").unwrap_or_else(|| panic!("{n}"));
                let text = std::fs::read_to_string(root.join(format!("tests/it/{file}.rs")))
                    .unwrap_or_else(|_| panic!("no tests/it/{file}.rs (named for {fact})"));
                assert!(
                    text.contains(&format!("fn {test}(")),
                    "no test {n} (named for {fact})"
                );
            }
        }
    }
}

/// The license flags `docs/coupa-api.md` lists from Coupa's OpenAPI file are the ones the tool
/// uses, in its order.
#[test]
fn the_license_flags_are_the_openapi_ones() {
    use coupa_access_core::model::License;
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/coupa-api.md")).unwrap();
    let list = doc
        .split("<!-- licenses:start -->")
        .nth(1)
        .and_then(|s| s.split("<!-- licenses:end -->").next())
        .expect("the license list");
    let listed: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    let tool: Vec<String> = License::ALL.iter().map(|l| l.wire_field()).collect();
    assert_eq!(listed, tool);
}
