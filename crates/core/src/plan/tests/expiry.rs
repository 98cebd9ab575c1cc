//! Time-bound grants (`until`): a normal member up to and including the day, nothing from the
//! day after, in any mode; warned ahead within `settings.expiry_warning_days`.

use super::*;
use crate::model::PolicyFile;

fn load(yaml: &str) -> Desired {
    crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }])
    .expect("loads")
}

fn plan_on(yaml: &str, day: &str) -> Plan {
    let now = chrono::DateTime::parse_from_rfc3339(&format!("{day}T12:00:00Z"))
        .unwrap()
        .with_timezone(&chrono::Utc);
    make(&load(yaml), &tenant(), instance(), now).unwrap().plan
}

const ADDITIVE: &str = "groups:\n  AP Clerks:\n    mode: additive\n    members:\n      - alice\n      - { user: bob, until: 2025-12-31, reason: \"Year-end close, FIN-881\" }\n";

#[test]
fn an_expired_grant_still_held_is_removed_even_from_an_additive_group() {
    let p = plan_on(ADDITIVE, "2026-01-01");
    assert_eq!(
        p.changes.iter().map(line).collect::<Vec<_>>(),
        ["- group AP Clerks bob"]
    );
    let e = p.changes[0]
        .expired
        .as_ref()
        .expect("labelled as an expiry");
    assert_eq!(e.label(), "expired 2025-12-31: Year-end close, FIN-881");
    let w = p
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::GrantExpired)
        .expect("warned");
    assert!(w.message.contains("FIN-881"), "{}", w.message);
    assert_eq!(w.at.as_ref().map(|a| a.line), Some(6));
    let json = crate::render::json(&p);
    assert!(json.contains("\"expired\""), "{json}");
}

#[test]
fn up_to_the_last_day_inclusive_the_grant_is_a_normal_member() {
    let p = plan_on(ADDITIVE, "2025-12-31");
    assert!(p.changes.is_empty());
    // Authoritative: bob stays while the grant runs.
    let auth = ADDITIVE.replace("    mode: additive\n", "");
    assert!(plan_on(&auth, "2025-12-31").changes.is_empty());
    assert_eq!(
        plan_on(&auth, "2026-01-01")
            .changes
            .iter()
            .map(line)
            .collect::<Vec<_>>(),
        ["- group AP Clerks bob"]
    );
}

#[test]
fn an_expired_grant_not_held_adds_nothing() {
    let yaml = "groups:\n  Buyers:\n    mode: additive\n    members:\n      - { user: carol, until: 2025-06-30 }\n";
    assert!(plan_on(yaml, "2026-01-01").changes.is_empty());
    assert_eq!(
        plan_on(yaml, "2025-06-30")
            .changes
            .iter()
            .map(line)
            .collect::<Vec<_>>(),
        ["+ group Buyers carol"]
    );
}

#[test]
fn plans_warn_within_the_window_and_the_window_is_a_setting() {
    let p = plan_on(ADDITIVE, "2025-12-20");
    let w: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.code == WarningCode::GrantExpiring)
        .collect();
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("ends 2025-12-31"), "{}", w[0].message);
    assert!(!plan_on(ADDITIVE, "2025-12-01")
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::GrantExpiring));
    let wide = format!("settings:\n  expiry_warning_days: 60\n{ADDITIVE}");
    assert!(plan_on(&wide, "2025-12-01")
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::GrantExpiring));
}

#[test]
fn the_per_person_form_and_roles_take_grants_and_rfc3339_times() {
    let yaml = "users:\n  bob:\n    roles: [{ name: Buyer, until: \"2025-12-31T23:00:00-05:00\", reason: FIN-902 }]\n";
    // 23:00 at -05:00 is 04:00 UTC on Jan 1st: the last day is 2026-01-01.
    assert!(plan_on(yaml, "2026-01-01").changes.is_empty());
    let p = plan_on(yaml, "2026-01-02");
    assert_eq!(
        p.changes.iter().map(line).collect::<Vec<_>>(),
        ["- role Buyer bob"]
    );
    assert!(!p.changes[0].applies, "roles stay reported only");
    assert_eq!(
        p.changes[0].expired.as_ref().unwrap().until.to_string(),
        "2026-01-01"
    );
}

#[test]
fn require_reason_makes_a_grant_without_one_an_error_at_its_until() {
    let yaml = "settings:\n  require_reason: true\ngroups:\n  AP Clerks:\n    members:\n      - { user: bob, until: 2026-12-31 }\n      - { user: alice, until: 2026-12-31, reason: R }\nusers:\n  carol: { groups: [{ name: Finance, until: 2027-01-15 }] }\n";
    let errs = crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap_err();
    let codes: Vec<String> = errs
        .diagnostics
        .iter()
        .map(|d| d.code().to_string())
        .collect();
    assert_eq!(codes, ["policy::missing_reason", "policy::missing_reason"]);
}

#[test]
fn bad_dates_and_fields_are_reported() {
    let yaml = "groups:\n  AP Clerks:\n    members:\n      - { user: bob, until: next-week }\n      - { until: 2026-01-01 }\n      - { user: carol, untill: 2026-01-01 }\n";
    let errs = crate::policy::load_files(vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }])
    .unwrap_err();
    let codes: Vec<String> = errs
        .diagnostics
        .iter()
        .map(|d| d.code().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "policy::bad_date",
            "policy::missing_field",
            "policy::unknown_field"
        ]
    );
}

#[test]
fn drift_lists_an_expired_grant_still_held() {
    let d = load(ADDITIVE);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let r = crate::drift::drift_on(&d, &tenant(), None, day).unwrap();
    let t = &r.targets[0];
    assert_eq!(t.extra.len(), 1);
    assert_eq!(t.extra[0].user, "bob");
    assert!(t.extra[0].expired.is_some());
    assert!(
        crate::drift::text(&r, &crate::CliWords::for_tests()).contains("grant expired 2025-12-31")
    );
    let before = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let r = crate::drift::drift_on(&d, &tenant(), None, before).unwrap();
    assert!(r.targets[0].extra.is_empty());
}
