//! Separation-of-duties rules: offline validation, names against the tenant, and the verdict on
//! holdings after the plan.

use super::*;
use crate::model::PolicyFile;

fn files(yaml: &str) -> Vec<PolicyFile> {
    vec![PolicyFile {
        path: "p.yaml".into(),
        text: yaml.into(),
    }]
}

fn load_codes(yaml: &str) -> Vec<String> {
    match crate::policy::load_files(files(yaml)) {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.iter().map(|d| d.code().to_string()).collect(),
    }
}

fn on(day: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(&format!("{day}T00:00:00Z"))
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// The tenant: bob holds AP Clerks (12) and Buyers (13), and role Buyer (4).
const RULE: &str = "rules:\n  separation_of_duties:\n    - name: Clerks vs buyers\n      sides:\n        - groups: [AP Clerks]\n        - { groups: [Buyers], roles: [Admin] }\n";

#[test]
fn rules_need_two_sides_and_a_target_on_one_side_only() {
    let one =
        "rules:\n  separation_of_duties:\n    - name: R\n      sides:\n        - groups: [A]\n";
    assert_eq!(load_codes(one), ["policy::sod_sides"]);
    let twice = "rules:\n  separation_of_duties:\n    - name: R\n      sides:\n        - groups: [A]\n        - { groups: [a], roles: [B] }\n";
    assert_eq!(load_codes(twice), ["policy::sod_target_twice"]);
    let typo = "rules:\n  separation_of_duties:\n    - name: R\n      side: []\n";
    assert_eq!(
        load_codes(typo),
        ["policy::sod_sides", "policy::unknown_field"]
    );
    let no_until = "rules:\n  separation_of_duties:\n    - name: R\n      sides: [{ groups: [A] }, { groups: [B] }]\n      exceptions: [{ user: bob }]\n";
    assert_eq!(load_codes(no_until), ["policy::missing_field"]);
    assert!(load_codes(RULE).is_empty());
}

#[test]
fn unknown_names_and_exception_users_are_errors_with_suggestions() {
    let yaml = "rules:\n  separation_of_duties:\n    - name: R\n      sides:\n        - groups: [AP Clerk]\n        - roles: [Buyr]\n      exceptions:\n        - { user: bobb, until: 2027-01-01, ticket: T-1 }\n";
    let d = crate::policy::load_files(files(yaml)).unwrap();
    let err = make(&d, &tenant(), instance(), fixed_now()).unwrap_err();
    let PlanFailure::Check { errors, .. } = err else {
        panic!("a check failure");
    };
    let codes: Vec<String> = errors.iter().map(|d| d.code().to_string()).collect();
    assert_eq!(
        codes,
        [
            "policy::unknown_group",
            "policy::unknown_role",
            "policy::unknown_user"
        ]
    );
    let text = crate::policy::render_plain(&errors);
    assert!(text.contains("AP Clerks"), "{text}");
    assert!(text.contains("bob"), "{text}");
    assert!(text.contains("p.yaml:5:"), "{text}");
}

#[test]
fn a_plan_that_creates_a_conflict_is_refused_even_through_a_reported_only_change() {
    // alice holds AP Clerks; the policy gives her role Admin (reported only: roles are not
    // written), which Coupa would still hold after apply if someone made it.
    let yaml = format!("roles:\n  Admin:\n    mode: additive\n    members: [alice]\n{RULE}");
    let d = crate::policy::load_files(files(&yaml)).unwrap();
    let err = make(&d, &tenant(), instance(), fixed_now()).unwrap_err();
    let PlanFailure::Sod { errors, .. } = err else {
        panic!("refused");
    };
    assert_eq!(errors.len(), 1);
    let text = crate::policy::render_plain(&errors);
    assert!(
        text.contains("alice would hold group \"AP Clerks\" (side 1) and role \"Admin\" (side 2)"),
        "{text}"
    );
    assert!(text.contains("Clerks vs buyers"), "{text}");
}

#[test]
fn existing_conflicts_warn_exceptions_count_until_their_day_and_removals_resolve() {
    // bob already holds AP Clerks and Buyers.
    let d = crate::policy::load_files(files(RULE)).unwrap();
    let p = make(&d, &tenant(), instance(), fixed_now()).unwrap().plan;
    let codes: Vec<WarningCode> = p.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [WarningCode::SodConflict]);

    let ex = format!(
        "{RULE}      exceptions:\n        - {{ user: bob, until: 2026-01-05, ticket: SOX-9 }}\n"
    );
    let d = crate::policy::load_files(files(&ex)).unwrap();
    let codes = |day: &str| -> Vec<WarningCode> {
        make(&d, &tenant(), instance(), on(day))
            .unwrap()
            .plan
            .warnings
            .iter()
            .map(|w| w.code)
            .collect()
    };
    assert_eq!(codes("2025-12-01"), [WarningCode::SodExcepted]);
    assert_eq!(
        codes("2026-01-05"),
        [WarningCode::SodExceptionExpiring, WarningCode::SodExcepted]
    );
    assert_eq!(codes("2026-01-06"), [WarningCode::SodConflict]);

    let resolve = format!("groups:\n  Buyers:\n    members: []\n{RULE}");
    let d = crate::policy::load_files(files(&resolve)).unwrap();
    let p = make(&d, &tenant(), instance(), fixed_now()).unwrap().plan;
    assert!(p
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::SodResolved));
    assert!(!p
        .warnings
        .iter()
        .any(|w| w.code == WarningCode::SodConflict));
}
