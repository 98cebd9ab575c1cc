//! Golden cases, run through the real binary.
//!
//! Each case is a folder under `tests/golden/` holding `policies/`, usually a `tenant.json`
//! snapshot, and one or more `NAME.args` files. Each `NAME.args` holds the command line (words
//! separated by whitespace) run in the case folder; its standard output is compared to `NAME`,
//! its standard error to `NAME.stderr` (an absent file means empty) and its exit code to
//! `NAME.exit`. The plan's clock is fixed with `SOURCE_DATE_EPOCH`, colour is off and the
//! terminal width is 100, so the files are byte-for-byte reproducible.
//!
//! `UPDATE_GOLDEN=1 cargo test --test it golden` rewrites the expected files; review the diff.

use std::path::{Path, PathBuf};

/// 2026-01-01T00:00:00Z.
const SOURCE_DATE_EPOCH: &str = "1767225600";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every `(case folder, NAME)` pair, sorted.
fn cases() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for case in std::fs::read_dir(root()).unwrap().filter_map(|e| e.ok()) {
        if !case.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(case.path())
            .unwrap()
            .filter_map(|e| e.ok())
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".args") {
                out.push((case.path(), stem.to_string()));
            }
        }
    }
    out.sort();
    out
}

struct Run {
    stdout: String,
    stderr: String,
    exit: String,
}

fn run(dir: &Path, args_file: &Path) -> Run {
    let line = std::fs::read_to_string(args_file).unwrap();
    let args: Vec<&str> = line.split_whitespace().collect();
    let out = crate::common::std_bin()
        .args(&args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        exit: format!("{}\n", out.status.code().unwrap_or(-1)),
    }
}

fn unified_diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Compares (or with `update`, rewrites) one expected file; an absent file means empty output.
fn compare(path: &Path, actual: &str, update: bool, problems: &mut Vec<String>) {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if update {
        if actual.is_empty() {
            let _ = std::fs::remove_file(path);
        } else {
            std::fs::write(path, actual).unwrap();
        }
        return;
    }
    problems.push(format!(
        "{} differs:\n{}",
        path.strip_prefix(root()).unwrap_or(path).display(),
        unified_diff(&expected, actual)
    ));
}

#[test]
fn golden_cases_through_the_binary() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let cases = cases();
    assert!(cases.len() >= 37, "only {} golden runs found", cases.len());
    let mut problems = Vec::new();
    for (dir, stem) in &cases {
        let run = run(dir, &dir.join(format!("{stem}.args")));
        compare(&dir.join(stem), &run.stdout, update, &mut problems);
        compare(
            &dir.join(format!("{stem}.stderr")),
            &run.stderr,
            update,
            &mut problems,
        );
        compare(
            &dir.join(format!("{stem}.exit")),
            &run.exit,
            update,
            &mut problems,
        );
    }
    assert!(
        problems.is_empty(),
        "{} golden file(s) differ:\n\n{}\n\nIf the new output is right, rerun with UPDATE_GOLDEN=1 \
         cargo test --test it golden and review the diff before committing.",
        problems.len(),
        problems.join("\n\n")
    );
}

/// Every case folder has at least one run, so a case cannot be skipped silently.
#[test]
fn every_case_folder_has_a_run() {
    let with_runs: std::collections::BTreeSet<_> = cases().into_iter().map(|(d, _)| d).collect();
    for case in std::fs::read_dir(root()).unwrap().filter_map(|e| e.ok()) {
        if case.path().is_dir() {
            assert!(
                with_runs.contains(&case.path()),
                "golden case {} has no NAME.args file",
                case.path().display()
            );
        }
    }
}
