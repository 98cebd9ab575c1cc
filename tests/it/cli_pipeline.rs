//! The binary in a pipeline and a shell: annotation paths GitHub can attach, GitHub's limit of
//! annotations per step, closed and broken output pipes, and bash completion (completed in a
//! real bash, installed with the README's own line in a fresh home).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{bin, path_str, scrubbed, std_bin, stderr_of, stdout_of};

/// A policy file with `n` problems (an unknown field in each of `n` groups).
fn broken_policy(n: usize) -> String {
    let mut s = String::from("groups:\n");
    for i in 0..n {
        s.push_str(&format!("  G{i}:\n    memberz: [a]\n"));
    }
    s
}

fn repo_with(policies_at: &str, text: &str) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path().join(policies_at);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.yaml"), text).unwrap();
    repo
}

fn error_files(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("::error file="))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect()
}

#[test]
fn annotations_name_files_relative_to_the_repository_root_as_given() {
    let repo = repo_with("infra/coupa/policies", &broken_policy(1));
    for given in [
        "infra/coupa/policies",
        "./infra/coupa/policies",
        "infra/coupa/policies/",
    ] {
        let out = bin()
            .current_dir(repo.path())
            .args(["plan", "--policies", given, "--annotations", "github"])
            .args(["--snapshot", "none.json", "--format", "markdown"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = stderr_of(&out);
        assert_eq!(
            error_files(&stderr),
            ["infra/coupa/policies/a.yaml"],
            "--policies {given}: {stderr}"
        );
        // The pull-request comment and the diagnostics name the same path.
        assert!(
            stdout_of(&out).contains("`infra/coupa/policies/a.yaml:3:5`"),
            "{}",
            stdout_of(&out)
        );
        assert!(stderr.contains("infra/coupa/policies/a.yaml"), "{stderr}");
    }
    // An absolute folder is named by its own name, as before (the plan digest covers names).
    let absolute = repo.path().join("infra/coupa/policies");
    let out = bin()
        .args([
            "plan",
            "--policies",
            path_str(&absolute),
            "--annotations",
            "github",
        ])
        .args(["--snapshot", "none.json"])
        .output()
        .unwrap();
    assert_eq!(error_files(&stderr_of(&out)), ["policies/a.yaml"]);
    // Run from the policy folder itself, files are named from there.
    let out = bin()
        .current_dir(repo.path().join("infra/coupa/policies"))
        .args(["plan", "--policies", ".", "--annotations", "github"])
        .args(["--snapshot", "none.json"])
        .output()
        .unwrap();
    assert_eq!(
        error_files(&stderr_of(&out)),
        ["a.yaml"],
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn at_most_ten_annotations_of_a_kind_then_a_notice_counts_the_rest() {
    let repo = repo_with("policies", &broken_policy(13));
    let out = bin()
        .current_dir(repo.path())
        .args(["plan", "--annotations", "github", "--snapshot", "none.json"])
        .output()
        .unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(error_files(&stderr).len(), 10, "{stderr}");
    let notices: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("::notice"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(
        notices[0]
            .contains("::3 more policy problems than the 10 shown as annotations (13 in all)"),
        "{}",
        notices[0]
    );
}

fn binary() -> String {
    path_str(Path::new(env!("CARGO_BIN_EXE_coupa-access"))).to_string()
}

/// Runs `script` in bash with the binary as `$BIN`, no Coupa settings.
fn bash(script: &str) -> std::process::Output {
    scrubbed(&mut Command::new("bash"))
        .args(["--norc", "--noprofile", "-c", script])
        .env("BIN", binary())
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

fn assert_no_panic(what: &str, out: &std::process::Output, expected: i32) {
    let stderr = stderr_of(out);
    assert!(!stderr.contains("panicked"), "{what}: panicked: {stderr}");
    assert_eq!(out.status.code(), Some(expected), "{what}: {stderr}");
}

#[test]
fn a_closed_stderr_or_stdout_never_panics() {
    let repo = repo_with("policies", &broken_policy(3));
    let dir = path_str(repo.path()).to_string();
    // Closed (not just broken): `2>&-`, `>&-`.
    for (what, redirect) in [
        ("stderr closed", "2>&-"),
        ("stdout closed", ">&-"),
        ("both closed", ">&- 2>&-"),
    ] {
        let out = bash(&format!(
            "cd '{dir}' && \"$BIN\" plan --format markdown --annotations github --snapshot none.json {redirect}; echo \"exit=$?\""
        ));
        let said = stdout_of(&out);
        assert!(
            said.contains("exit=1"),
            "plan, {what}: {said} {}",
            stderr_of(&out)
        );
    }
    for (what, cmd) in [
        ("schema", "\"$BIN\" schema"),
        ("completions", "\"$BIN\" completions bash"),
        ("help", "\"$BIN\" plan --help"),
        ("a usage error", "\"$BIN\" plan --no-such-flag"),
    ] {
        let out = bash(&format!("{cmd} >&- 2>&-; echo \"exit=$?\""));
        let said = stdout_of(&out);
        assert!(
            said.contains("exit=0") || said.contains("exit=1"),
            "{what}: {said}"
        );
    }
}

/// The binary as a plain process (its standard streams set by the test), without Coupa settings.
fn raw_bin() -> Command {
    let mut cmd = std_bin();
    cmd.stdin(Stdio::null());
    cmd
}

/// A pipe whose reader is gone: every write to it fails with EPIPE.
fn broken_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn a_broken_output_pipe_never_panics() {
    let repo = repo_with("policies", &broken_policy(3));
    // stderr broken: the policy problems, their annotations and the report cannot be written.
    let out = raw_bin()
        .current_dir(repo.path())
        .args(["plan", "--annotations", "github", "--format", "markdown"])
        .args(["--snapshot", "none.json"])
        .stdout(Stdio::null())
        .stderr(broken_pipe())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the plan failed, and says so by its code"
    );
    // stdout broken: what the command prints is dropped, and the command still succeeds.
    for args in [
        vec!["schema"],
        vec!["completions", "bash"],
        vec!["plan", "--help"],
        vec!["validate"],
    ] {
        let out = raw_bin()
            .current_dir(path_str(Path::new(env!("CARGO_MANIFEST_DIR"))))
            .args(&args)
            .stdout(broken_pipe())
            .output()
            .unwrap();
        assert_no_panic(&format!("{args:?} into a broken stdout"), &out, 0);
        let out = raw_bin()
            .current_dir(path_str(Path::new(env!("CARGO_MANIFEST_DIR"))))
            .args(&args)
            .stdout(broken_pipe())
            .stderr(broken_pipe())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?} into broken stdout and stderr"
        );
    }
}

/// The README's install line for bash completion, as written.
fn readme_completion_line() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("completions bash"))
        .expect("the README installs bash completion");
    line.split(" #").next().unwrap().trim().to_string()
}

#[test]
fn bash_completes_a_subcommands_flags_after_the_readmes_install_line_in_a_fresh_home() {
    let home = tempfile::tempdir().unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(binary(), bin_dir.path().join("coupa-access")).unwrap();
    let install = readme_completion_line();
    // What bash-completion does for a command: source its file, then call the function that
    // `complete -p` names with the words typed so far.
    let script = format!(
        r#"set -e
export HOME='{home}' PATH='{bin}':"$PATH"
{install}
source "$HOME/.local/share/bash-completion/completions/coupa-access"
fn=$(complete -p coupa-access | sed -E 's/.* -F ([^ ]+) .*/\1/')
complete_words() {{
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}
  COMPREPLY=()
  "$fn" coupa-access "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
  printf '%s\n' "${{COMPREPLY[@]}}"
}}
echo "== plan --"; complete_words coupa-access plan --
echo "== apply --jou"; complete_words coupa-access apply --jou
echo "== pl"; complete_words coupa-access pl
echo "== drift --format"; complete_words coupa-access drift --format ''
"#,
        home = path_str(home.path()),
        bin = path_str(bin_dir.path()),
    );
    let out = bash(&script);
    let said = stdout_of(&out);
    assert!(out.status.success(), "{said}\n{}", stderr_of(&out));
    let section = |name: &str| -> Vec<String> {
        said.split(&format!("== {name}\n"))
            .nth(1)
            .unwrap_or("")
            .lines()
            .take_while(|l| !l.starts_with("== "))
            .map(str::to_string)
            .collect()
    };
    let plan = section("plan --");
    for flag in [
        "--policies",
        "--detailed-exitcode",
        "--journal",
        "--deadline",
        "--annotations",
    ] {
        assert!(
            plan.iter().any(|w| w == flag),
            "plan --<TAB> lacks {flag}: {plan:?}"
        );
    }
    assert!(plan.iter().all(|w| w.starts_with("--")), "{plan:?}");
    assert_eq!(section("apply --jou"), ["--journal"]);
    assert_eq!(section("pl"), ["plan"]);
    assert_eq!(section("drift --format"), ["text", "json", "markdown"]);
}
