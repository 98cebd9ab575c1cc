//! Reading and writing the plan JSON, including the files the 0.1.0 release wrote.

use super::*;
use crate::model::{EveryTarget, License, Planned, ScopeTarget};

const V1_GROUPS: &str = include_str!("../../../../tests/fixtures/plan-v1-0.1.0.json");
const V1_ROLES_LICENSES: &str =
    include_str!("../../../../tests/fixtures/plan-v1-0.1.0-roles-licenses.json");

#[test]
fn format_1_plans_from_0_1_0_still_read() {
    let p = Plan::from_json(V1_GROUPS).unwrap();
    assert_eq!(
        p.origin,
        Origin::Instance {
            domain: "https://acme.coupahost.com".into()
        }
    );
    assert_eq!(
        super::super::time::format(&p.generated_at),
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(p.changes.len(), 3);
    assert_eq!(
        p.changes[0].target,
        ChangeTarget::Group {
            id: 12,
            name: "AP Clerks".into()
        }
    );
    assert_eq!(p.changes[0].membership_id, Some(302));
    assert_eq!(p.preconditions.groups["Finance"].group_id, 14);
    assert_eq!((p.summary.add, p.summary.remove), (0, 3));

    let p = Plan::from_json(V1_ROLES_LICENSES).unwrap();
    assert_eq!(
        p.changes[0].target,
        ChangeTarget::Role {
            id: 1,
            name: "Admin".into()
        }
    );
    assert!(p.changes[0].privileged);
    // Format 1 wrote `target_id: 0` for licenses; it reads as a license with no id.
    assert_eq!(p.changes[4].target, ChangeTarget::License(License::Expense));
    assert_eq!(p.changes[6].target, ChangeTarget::License(License::Travel));
    assert!(!p.has_applied_changes());
}

#[test]
fn format_2_is_written_and_reads_back_identically() {
    let mut p = Plan::from_json(V1_ROLES_LICENSES).unwrap();
    p.warnings = vec![Warning::new(WarningCode::InactiveUser, "dave is inactive")
        .about_user("dave")
        .at(Some(SourcePos {
            file: "policies/g.yaml".into(),
            line: 4,
            column: 15,
        }))
        .help("reactivate")];
    let text = serde_json::to_string_pretty(&p).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["domain"], "https://acme.coupahost.com");
    assert_eq!(v["origin"]["type"], "instance");
    // Licenses have no target_id; groups and roles keep theirs.
    assert!(
        v["changes"][4].get("target_id").is_none(),
        "{}",
        v["changes"][4]
    );
    assert_eq!(v["changes"][0]["target_id"], 1);
    assert_eq!(
        v["warnings"][0],
        serde_json::json!({
            "code": "inactive_user", "message": "dave is inactive", "help": "reactivate",
            "file": "policies/g.yaml", "line": 4, "column": 15, "user": "dave"
        })
    );
    assert_eq!(Plan::from_json(&text).unwrap(), p);
}

#[test]
fn snapshot_origins_keep_the_legacy_domain_and_round_trip() {
    let mut p = Plan::from_json(V1_GROUPS).unwrap();
    p.origin = Origin::Snapshot {
        path: "tenant.json".into(),
        domain: None,
        taken_at: None,
    };
    let text = serde_json::to_string(&p).unwrap();
    assert!(
        text.contains(r#""domain":"snapshot:tenant.json""#),
        "{text}"
    );
    assert!(
        text.contains(r#""origin":{"type":"snapshot","path":"tenant.json"}"#),
        "{text}"
    );
    assert_eq!(Plan::from_json(&text).unwrap(), p);
    assert_eq!(p.origin.to_string(), "snapshot tenant.json");
    // A format-1 snapshot plan named it in `domain` only.
    let v1 = V1_GROUPS.replace("https://acme.coupahost.com", "snapshot:tenant.json");
    assert_eq!(Plan::from_json(&v1).unwrap().origin, p.origin);
}

#[test]
fn format_1_text_warnings_read_as_code_other() {
    let v1 = V1_GROUPS.replace(
        r#""warnings": []"#,
        r#""warnings": ["policies/g.yaml:4:15: user `dave` is inactive in Coupa"]"#,
    );
    let p = Plan::from_json(&v1).unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].code, WarningCode::Other);
    assert!(p.warnings[0].message.contains("dave"));
    // A code from a newer version reads too.
    let w: Warning = serde_json::from_str(r#"{"code":"something_new","message":"m"}"#).unwrap();
    assert_eq!(w.code, WarningCode::Other);
}

#[test]
fn unreadable_plans_are_refused_with_the_reason() {
    let err = |text: &str| Plan::from_json(text).unwrap_err().to_string();
    assert!(err("nope").starts_with("it is not JSON"));
    assert_eq!(err("{}"), "it has no format_version");
    let v4 = V1_GROUPS.replace(r#""format_version": 1"#, r#""format_version": 4"#);
    assert_eq!(
        err(&v4),
        "it has format_version 4; this coupa-access reads format_version 1 to 3"
    );
    let v0 = V1_GROUPS.replace(r#""format_version": 1"#, r#""format_version": 0"#);
    assert!(matches!(
        Plan::from_json(&v0),
        Err(PlanReadError::UnsupportedVersion { found: 0 })
    ));

    // Groups and roles need their id; licenses must be known and take none.
    let no_id = V1_GROUPS.replacen(r#""target_id": 12,"#, "", 1);
    assert!(err(&no_id).contains("has no target_id"), "{}", err(&no_id));
    let zero = V1_GROUPS.replacen(r#""target_id": 12,"#, r#""target_id": 0,"#, 1);
    assert!(err(&zero).contains("has no target_id"));
    let license_id = V1_ROLES_LICENSES.replacen(r#""target_id": 0,"#, r#""target_id": 7,"#, 1);
    assert!(
        err(&license_id).contains("licenses have none"),
        "{}",
        err(&license_id)
    );
    let bad_key = V1_ROLES_LICENSES.replace(r#""target": "travel""#, r#""target": "teleport""#);
    assert!(err(&bad_key).contains("not a Coupa license key"));

    // The summary must count the changes; domain and origin must agree.
    let summary = V1_GROUPS.replace(r#""remove": 3"#, r#""remove": 2"#);
    assert!(err(&summary).contains("summary does not count the changes"));
    let mut p = Plan::from_json(V1_GROUPS).unwrap();
    p.origin = Origin::Instance {
        domain: "https://other.coupahost.com".into(),
    };
    let text = serde_json::to_string(&p).unwrap().replace(
        r#""domain":"https://other.coupahost.com","#,
        r#""domain":"https://acme.coupahost.com","#,
    );
    assert!(
        err(&text).contains("does not match origin"),
        "{}",
        err(&text)
    );
    // Positions come whole.
    let w = serde_json::from_str::<Warning>(r#"{"code":"other","message":"m","line":3}"#);
    assert!(w.is_err());
}

/// A `--changed-since` plan is written as format 3 with its scope, and read back the same; a
/// full plan stays format 2 (older versions read it) and has no scope.
#[test]
fn a_scoped_plan_is_format_3_and_keeps_its_scope() {
    let mut p = Plan::from_json(V1_GROUPS).unwrap();
    let full: serde_json::Value = serde_json::from_str(&crate::render::json(&p)).unwrap();
    assert_eq!(full["format_version"], 2);
    assert!(full.get("scope").is_none());
    p.scope = Some(PlanScope {
        changed_since: "origin/main".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        managed: 40,
        planned: Planned::Targets(vec![ScopeTarget {
            kind: Kind::Group,
            target: "AP Clerks".into(),
        }]),
    });
    let text = crate::render::json(&p);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format_version"], 3);
    assert_eq!(
        v["scope"],
        serde_json::json!({
            "changed_since": "origin/main",
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "managed": 40,
            "targets": [{ "kind": "group", "target": "AP Clerks" }]
        })
    );
    assert_eq!(Plan::from_json(&text).unwrap(), p);
    p.scope = Some(PlanScope {
        changed_since: "auto".into(),
        commit: None,
        managed: 40,
        planned: Planned::EveryTarget(EveryTarget::NoBase),
    });
    let text = crate::render::json(&p);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["scope"]["every_target"], "no_base");
    assert_eq!(Plan::from_json(&text).unwrap(), p);
}

/// A scope read from an edited plan file is shown, never obeyed: no control characters reach
/// the text or markdown, and odd commits do not panic.
#[test]
fn a_hostile_scope_renders_harmlessly() {
    let mut p = Plan::from_json(V1_GROUPS).unwrap();
    p.scope = Some(PlanScope {
        changed_since: "main\u{1b}[2J".into(),
        commit: Some("ééééééééé\u{1b}".into()),
        managed: 3,
        planned: Planned::Targets(vec![ScopeTarget {
            kind: Kind::Group,
            target: "AP\u{1b}]8;;x".into(),
        }]),
    });
    let text = crate::render::text(
        &p,
        crate::render::Color::Never,
        &crate::CliWords::for_tests(),
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("Planned 1 of 3 managed targets"), "{text}");
    let md = crate::render::markdown(&p, &crate::CliWords::for_tests());
    assert!(!md.contains('\u{1b}'), "{md}");
}
