//! Golden tests: policy folder + tenant -> diagnostics or rendered plans, compared to files.
//!
//! Each case is a folder under `tests/golden/` with `tenant.json` (a `Live` as JSON) and
//! `policies/` (YAML). The harness runs what `coupa-access plan` runs:
//! `policy::load` -> `policy::check` -> `plan::diff` (the check's warnings are added to the plan,
//! as the CLI does), fixes `domain` and `generated_at`, and renders text (no colour), JSON and
//! markdown into `plan.txt`, `plan.json` and `plan.md`. A load or check error is rendered with
//! `policy::render_plain` into `diagnostics.txt` instead.
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expected files; review the diff.

use std::path::{Path, PathBuf};

use coupa_access::model::Live;
use coupa_access::{plan, policy, render};

const DOMAIN: &str = "https://acme.coupahost.com";
const GENERATED_AT: &str = "2026-01-01T00:00:00Z";
/// Every file a case may expect; a case produces either the three plan files or diagnostics.
const OUTPUTS: [&str; 4] = ["plan.txt", "plan.json", "plan.md", "diagnostics.txt"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The outputs of one case: (file name, content).
fn run_case(dir: &Path) -> Vec<(&'static str, String)> {
    let tenant = std::fs::read_to_string(dir.join("tenant.json"))
        .unwrap_or_else(|e| panic!("{}: cannot read tenant.json: {e}", dir.display()));
    let live: Live = serde_json::from_str(&tenant)
        .unwrap_or_else(|e| panic!("{}: tenant.json is not a Live: {e}", dir.display()));

    let desired = match policy::load(&dir.join("policies")) {
        Ok(d) => d,
        Err(e) => return vec![("diagnostics.txt", policy::render_plain(&e.diagnostics))],
    };
    let report = policy::check(&desired, &live);
    if !report.errors.is_empty() {
        return vec![("diagnostics.txt", policy::render_plain(&report.errors))];
    }
    let mut plan = match plan::diff(&desired, &live) {
        Ok(p) => p,
        // The safety net fired although the check passed: worth a golden file of its own.
        Err(e) => return vec![("diagnostics.txt", format!("plan error: {e}\n"))],
    };
    plan.domain = DOMAIN.into();
    plan.generated_at = GENERATED_AT.into();
    for w in report.warning_messages() {
        if !plan.warnings.contains(&w) {
            plan.warnings.push(w);
        }
    }
    vec![
        ("plan.txt", render::text(&plan, render::Color::Never)),
        ("plan.json", render::json(&plan)),
        ("plan.md", render::markdown(&plan)),
    ]
}

fn unified_diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Runs one case and compares (or, with `UPDATE_GOLDEN=1`, rewrites) its expected files.
fn check_case(name: &str) {
    let dir = root().join(name);
    assert!(dir.is_dir(), "no golden case folder {}", dir.display());
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let outputs = run_case(&dir);

    let mut problems = Vec::new();
    for file in OUTPUTS {
        let path = dir.join(file);
        let produced = outputs.iter().find(|(f, _)| *f == file).map(|(_, s)| s);
        let expected = std::fs::read_to_string(&path).ok();
        match (produced, expected) {
            (Some(actual), expected) if update => {
                if expected.as_deref() != Some(actual.as_str()) {
                    std::fs::write(&path, actual).unwrap();
                }
            }
            (None, Some(_)) if update => std::fs::remove_file(&path).unwrap(),
            (Some(actual), Some(expected)) if *actual == expected => {}
            (Some(actual), Some(expected)) => problems.push(format!(
                "{file} differs:\n{}",
                unified_diff(&expected, actual)
            )),
            (Some(actual), None) => {
                problems.push(format!("{file} is missing; the case produced:\n{actual}"))
            }
            (None, Some(_)) => problems.push(format!(
                "{file} is expected but the case did not produce it (it produced {:?})",
                outputs.iter().map(|(f, _)| *f).collect::<Vec<_>>()
            )),
            (None, None) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "golden case {name}:\n\n{}\n\nIf the new output is right, rerun with UPDATE_GOLDEN=1 \
         (UPDATE_GOLDEN=1 cargo test --test golden) and review the diff before committing.",
        problems.join("\n\n")
    );
}

macro_rules! cases {
    ($($test:ident => $folder:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_case($folder);
            }
        )*

        /// Every folder has a test, so a new case cannot be skipped silently.
        #[test]
        fn every_case_folder_is_tested() {
            let known = [$($folder),*];
            let mut folders: Vec<String> = std::fs::read_dir(root())
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            folders.sort();
            let missing: Vec<_> = folders.iter().filter(|f| !known.contains(&f.as_str())).collect();
            assert!(missing.is_empty(), "add these golden cases to tests/golden.rs: {missing:?}");
            assert!(known.len() >= 12);
        }
    };
}

cases! {
    no_changes => "01-no-changes",
    adds_only => "02-adds-only",
    removals => "03-removals",
    additive_mode => "04-additive-mode",
    protected_user => "05-protected-user",
    unknown_user_suggestion => "06-unknown-user-suggestion",
    group_declared_twice => "07-group-declared-twice",
    yaml_syntax_error => "08-yaml-syntax-error",
    case_insensitive_emails => "09-case-insensitive-emails",
    undeclared_group_untouched => "10-undeclared-group-untouched",
    roles_and_licenses_reported => "11-roles-and-licenses-reported",
    per_user_merged_with_per_group => "12-per-user-merged-with-per-group",
    inactive_user_added => "13-inactive-user-added",
    project_named_as_group => "14-project-named-as-group",
    duplicate_live_memberships => "15-duplicate-live-memberships",
}
