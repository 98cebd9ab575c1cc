//! The CI kit (`examples/` and the project's own `.github/workflows/`) is safe to copy: every
//! file is parsed and held to the rules docs/ci.md promises — secrets only on the step that runs
//! coupa-access, actions pinned to a commit with the version in a comment, checkouts that keep no
//! credentials, a timeout on every job and a deadline inside it, least-privilege permissions per
//! job, one pinned checksum-verified release everywhere, the approval-gated apply of main with its
//! journal kept between runs — and every coupa-access command line uses a subcommand and flags
//! that the CLI really has (checked against its `--help`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::common::{bin, stdout_of};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The GitHub workflows: the examples to copy and the project's own.
fn github_workflows() -> Vec<PathBuf> {
    let mut files = yaml_files(&root().join("examples/github-actions"));
    files.extend(yaml_files(&root().join(".github/workflows")));
    files
}

fn example_workflows() -> Vec<PathBuf> {
    yaml_files(&root().join("examples/github-actions"))
}

fn gitlab() -> PathBuf {
    root().join("examples/gitlab-ci.yml")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn map(v: &Value) -> Vec<(&str, &Value)> {
    v.as_mapping()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k, v)))
                .collect()
        })
        .unwrap_or_default()
}

fn jobs(doc: &Value) -> Vec<(&str, &Value)> {
    map(&doc["jobs"])
}

fn steps(job: &Value) -> Vec<&Value> {
    job["steps"]
        .as_sequence()
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

fn run_of(step: &Value) -> &str {
    step["run"].as_str().unwrap_or("")
}

/// GitLab's jobs: top-level mappings that are not keywords or hidden templates, with their
/// `extends` template merged under them (one level, as the kit uses it).
fn gitlab_jobs(doc: &Value) -> Vec<(String, Value)> {
    const KEYWORDS: &[&str] = &[
        "stages",
        "variables",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    ];
    map(doc)
        .into_iter()
        .filter(|(k, v)| !k.starts_with('.') && !KEYWORDS.contains(k) && v.is_mapping())
        .map(|(k, v)| {
            let mut job = v.clone();
            if let Some(parent) = v["extends"].as_str() {
                let mut merged = doc[parent].as_mapping().cloned().unwrap_or_default();
                for (key, value) in v.as_mapping().unwrap() {
                    merged.insert(key.clone(), value.clone());
                }
                job = Value::Mapping(merged);
            }
            (k.to_string(), job)
        })
        .collect()
}

fn gitlab_script(job: &Value) -> String {
    ["before_script", "script"]
        .iter()
        .filter_map(|k| job[*k].as_sequence())
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One `coupa-access SUB …` command line in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Invocation {
    sub: String,
    /// Each `--flag` with the word after it (its value, when it takes one).
    flags: Vec<(String, Option<String>)>,
}

impl Invocation {
    fn value(&self, flag: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(f, _)| f == flag)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Every `coupa-access SUB …` command in a script, up to the first shell operator, where
/// `coupa-access` starts a word and SUB is a plain word; continuation lines are joined first.
fn invocations(script: &str) -> Vec<Invocation> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            if *w != "coupa-access" {
                continue;
            }
            let Some(sub) = words.get(i + 1) else {
                continue;
            };
            if !sub.chars().all(|c| c.is_ascii_lowercase()) {
                continue;
            }
            // `report access`: a command with its own subcommands is named by both words.
            let (sub, rest) = match (*sub, words.get(i + 2)) {
                ("report", Some(&what)) => (format!("report {what}"), i + 3),
                _ => (sub.to_string(), i + 2),
            };
            let args: Vec<&str> = words[rest.min(words.len())..]
                .iter()
                .take_while(|w| !matches!(**w, ">" | "|" | "||" | "&&" | ";" | "2>&1"))
                .map(|w| w.trim_end_matches(';'))
                .collect();
            let mut flags = Vec::new();
            for (j, a) in args.iter().enumerate() {
                if let Some(flag) = a.strip_prefix("--") {
                    match flag.split_once('=') {
                        Some((f, v)) => flags.push((format!("--{f}"), Some(v.to_string()))),
                        None => flags.push((
                            format!("--{flag}"),
                            args.get(j + 1)
                                .filter(|v| !v.starts_with("--"))
                                .map(|v| v.to_string()),
                        )),
                    }
                }
            }
            out.push(Invocation { sub, flags });
        }
    }
    out
}

/// The long flags a subcommand's `--help` lists.
fn flags_of(sub: &str) -> BTreeSet<String> {
    let out = bin().args(sub.split(' ')).arg("--help").output().unwrap();
    assert!(
        out.status.success(),
        "`coupa-access {sub}` is not a command"
    );
    stdout_of(&out)
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.split('=')
                .next()
                .unwrap_or(w)
                .trim_end_matches('.')
                .to_string()
        })
        .map(|w| w.split('<').next().unwrap_or(&w).to_string())
        .collect()
}

/// Every script of the kit's examples, with where it is: `(file, job, timeout in seconds,
/// script)`.
fn example_scripts() -> Vec<(String, String, Option<u64>, String)> {
    let mut out = Vec::new();
    for path in example_workflows() {
        let doc = load(&path);
        for (job_name, job) in jobs(&doc) {
            let timeout = job["timeout-minutes"].as_u64().map(|m| m * 60);
            for step in steps(job) {
                out.push((
                    name(&path),
                    job_name.to_string(),
                    timeout,
                    run_of(step).to_string(),
                ));
            }
        }
    }
    let doc = load(&gitlab());
    for (job_name, job) in gitlab_jobs(&doc) {
        let timeout = job["timeout"].as_str().and_then(gitlab_duration);
        out.push((name(&gitlab()), job_name, timeout, gitlab_script(&job)));
    }
    out
}

/// `20m`, `1h`, `1h 30m` in seconds.
fn gitlab_duration(s: &str) -> Option<u64> {
    let mut total = 0;
    for part in s.split_whitespace() {
        let (n, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit())?);
        let n: u64 = n.parse().ok()?;
        total += n * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return None,
        };
    }
    Some(total)
}

#[test]
fn every_example_invocation_uses_real_subcommands_and_flags() {
    let mut seen = BTreeSet::new();
    let mut known: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files_with_calls = BTreeSet::new();
    for (file, job, _, script) in example_scripts() {
        for call in invocations(&script) {
            let flags = known
                .entry(call.sub.clone())
                .or_insert_with(|| flags_of(&call.sub));
            for (flag, _) in &call.flags {
                assert!(
                    flags.contains(flag),
                    "{file} ({job}): `coupa-access {}` has no flag {flag} (it has {flags:?})",
                    call.sub
                );
            }
            files_with_calls.insert(file.clone());
            seen.insert(call.sub);
        }
    }
    for path in example_workflows().iter().chain([&gitlab()]) {
        assert!(
            files_with_calls.contains(&name(path)),
            "{} runs no coupa-access command",
            name(path)
        );
    }
    for sub in ["plan", "apply", "drift", "report access"] {
        assert!(seen.contains(sub), "no example runs `coupa-access {sub}`");
    }
}

#[test]
fn the_invocation_parser_finds_flags_across_continuations_and_skips_other_words() {
    let calls = invocations(
        "set +e\nX=1 coupa-access plan --format markdown \\\n  --out=x.json --deadline 900 > plan.md\n\
         test \"$(coupa-access --version)\" = \"coupa-access ${V#v}\"\n\
         echo install coupa-access (pinned)\n",
    );
    assert_eq!(
        calls,
        [Invocation {
            sub: "plan".into(),
            flags: vec![
                ("--format".into(), Some("markdown".into())),
                ("--out".into(), Some("x.json".into())),
                ("--deadline".into(), Some("900".into())),
            ]
        }]
    );
    assert_eq!(
        invocations("coupa-access report access --snapshot t.json > access.md"),
        [Invocation {
            sub: "report access".into(),
            flags: vec![("--snapshot".into(), Some("t.json".into()))]
        }]
    );
}

/// Every place a secret is named, with its path in the document.
fn secret_uses(v: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.contains("secrets.") => out.push(path.join(".")),
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                secret_uses(item, path, out);
                path.pop();
            }
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                path.push(k.as_str().unwrap_or("?").to_string());
                secret_uses(v, path, out);
                path.pop();
            }
        }
        Value::Tagged(t) => secret_uses(&t.value, path, out),
        _ => {}
    }
}

#[test]
fn github_secrets_reach_only_the_step_that_runs_coupa_access() {
    for path in github_workflows() {
        let doc = load(&path);
        let mut uses = Vec::new();
        secret_uses(&doc, &mut Vec::new(), &mut uses);
        for at in uses {
            // jobs.JOB.steps.N.env.NAME, on a step that runs coupa-access and nothing third-party.
            let parts: Vec<&str> = at.split('.').collect();
            let ok = matches!(parts.as_slice(), ["jobs", _, "steps", _, "env", _]) && {
                let step = &doc["jobs"][parts[1]]["steps"][parts[3].parse::<usize>().unwrap()];
                step["uses"].is_null() && !invocations(run_of(step)).is_empty()
            };
            assert!(
                ok,
                "{}: a secret at {at}: secrets belong in the env of the one step that runs \
                 coupa-access (not the workflow, the job, or another step)",
                name(&path)
            );
        }
    }
}

#[test]
fn gitlab_secrets_are_passed_only_on_the_coupa_access_command_line() {
    let doc = load(&gitlab());
    let secretish =
        |s: &str| s.contains("_SECRET") || s.contains("TOKEN") || s.contains("_CLIENT_ID");
    // No variables block (global or per job) maps a secret into a job's environment.
    let mut blocks = vec![("(global)".to_string(), doc["variables"].clone())];
    for (job_name, job) in gitlab_jobs(&doc) {
        blocks.push((job_name, job["variables"].clone()));
    }
    for (job_name, vars) in blocks {
        for (key, value) in map(&vars) {
            let value = value.as_str().unwrap_or("");
            assert!(
                !secretish(key) && !secretish(value),
                "gitlab-ci.yml {job_name}: variables maps {key}: {value} into the job's environment"
            );
        }
    }
    // Each line naming a Coupa client hands it to a coupa-access command, as a prefix.
    for (job_name, job) in gitlab_jobs(&doc) {
        let script = gitlab_script(&job).replace("\\\n", " ");
        for line in script.lines().filter(|l| l.contains("_CLIENT_")) {
            assert!(
                line.trim_start().starts_with("COUPA_CLIENT_ID=\"$COUPA_")
                    && !invocations(line).is_empty(),
                "gitlab-ci.yml {job_name}: a Coupa client outside a coupa-access command: {line}"
            );
        }
    }
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() {
    for path in github_workflows() {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = load(&path);
        let structural = jobs(&doc)
            .iter()
            .flat_map(|(_, job)| steps(job))
            .filter(|s| s["uses"].is_string())
            .count();
        let mut lines = 0;
        for line in text.lines() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            lines += 1;
            let (action, comment) = rest.split_once('#').unwrap_or((rest, ""));
            let action = action.trim();
            if action.starts_with("./") {
                continue;
            }
            let (_, reference) = action
                .split_once('@')
                .unwrap_or_else(|| panic!("{}: `{action}` names no version", name(&path)));
            assert!(
                reference.len() == 40
                    && reference
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{}: `{action}` is not pinned to a full commit SHA",
                name(&path)
            );
            let comment = comment.trim();
            assert!(
                comment.starts_with('v') && comment[1..].starts_with(|c: char| c.is_ascii_digit()),
                "{}: `{action}` needs its version in a comment (`# v4.2.2`), has `{comment}`",
                name(&path)
            );
        }
        assert_eq!(
            lines,
            structural,
            "{}: every `uses:` on a line of its own",
            name(&path)
        );
    }
}

#[test]
fn checkouts_keep_no_credentials() {
    for path in github_workflows() {
        let doc = load(&path);
        for (job_name, job) in jobs(&doc) {
            for step in steps(job) {
                if step["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/checkout@"))
                {
                    assert_eq!(
                        step["with"]["persist-credentials"].as_bool(),
                        Some(false),
                        "{} {job_name}: checkout without `persist-credentials: false`",
                        name(&path)
                    );
                }
            }
        }
    }
}

/// Runner images GitHub has retired or is retiring; `-latest` moves under a release.
const RETIRED_RUNNERS: &[&str] = &[
    "ubuntu-18.04",
    "ubuntu-20.04",
    "macos-10.15",
    "macos-11",
    "macos-12",
    "macos-13",
    "windows-2016",
    "windows-2019",
];

#[test]
fn every_job_has_a_timeout_a_current_runner_and_least_permissions() {
    for path in github_workflows() {
        let file = name(&path);
        let doc = load(&path);
        assert_eq!(
            doc["permissions"].as_mapping().map(|m| m.len()),
            Some(0),
            "{file}: the workflow grants nothing (`permissions: {{}}`); each job asks for its own"
        );
        for (job_name, job) in jobs(&doc) {
            let minutes = job["timeout-minutes"].as_u64();
            assert!(
                minutes.is_some_and(|m| (1..=60).contains(&m)),
                "{file} {job_name}: needs `timeout-minutes` (at most 60)"
            );
            let mut runners = Vec::new();
            if let Some(r) = job["runs-on"].as_str() {
                runners.push(r.to_string());
            }
            for row in job["strategy"]["matrix"]["include"]
                .as_sequence()
                .into_iter()
                .flatten()
                .chain(
                    job["strategy"]["matrix"]["os"]
                        .as_sequence()
                        .into_iter()
                        .flatten(),
                )
            {
                if let Some(os) = row["os"].as_str().or(row.as_str()) {
                    runners.push(os.to_string());
                }
            }
            for r in &runners {
                assert!(
                    !RETIRED_RUNNERS.contains(&r.as_str()) && !r.ends_with("-latest"),
                    "{file} {job_name}: runner {r} is retired or unpinned"
                );
            }
            let perms = job["permissions"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{file} {job_name}: needs its own `permissions`"));
            let writes: Vec<&str> = perms
                .iter()
                .filter(|(_, v)| v.as_str() == Some("write"))
                .filter_map(|(k, _)| k.as_str())
                .collect();
            if writes.is_empty() {
                continue;
            }
            // A job that may write to GitHub holds no Coupa secret and runs no coupa-access.
            let scripts: String = steps(job).iter().map(|s| run_of(s)).collect();
            let mut secrets = Vec::new();
            secret_uses(job, &mut Vec::new(), &mut secrets);
            assert!(
                secrets.is_empty() && invocations(&scripts).is_empty(),
                "{file} {job_name}: may write ({writes:?}) and also holds a Coupa secret"
            );
            for w in writes {
                let allowed = match w {
                    "pull-requests" | "issues" => file.starts_with("examples/"),
                    // Only the job that publishes the release.
                    "contents" => {
                        file.ends_with("release.yml") && scripts.contains("gh release create")
                    }
                    _ => false,
                };
                assert!(allowed, "{file} {job_name}: `{w}: write` is not needed");
            }
        }
    }
    let doc = load(&gitlab());
    for (job_name, job) in gitlab_jobs(&doc) {
        assert!(
            job["timeout"].as_str().and_then(gitlab_duration).is_some(),
            "gitlab-ci.yml {job_name}: needs a `timeout`"
        );
    }
}

#[test]
fn every_coupa_read_has_a_deadline_inside_its_jobs_timeout() {
    let mut checked = 0;
    for (file, job, timeout, script) in example_scripts() {
        for call in invocations(&script) {
            if !matches!(call.sub.as_str(), "plan" | "apply" | "drift" | "validate") {
                continue;
            }
            let deadline: u64 = call
                .value("--deadline")
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "{file} {job}: `coupa-access {}` needs --deadline SECONDS",
                        call.sub
                    )
                });
            let timeout = timeout.unwrap_or_else(|| panic!("{file} {job}: no timeout"));
            // Room for installing and reporting: the tool ends first, with its own report.
            assert!(
                deadline + 300 <= timeout,
                "{file} {job}: --deadline {deadline} is not well inside the job's {timeout} s"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}

/// `KEY: value` of a workflow's or pipeline's top-level env/variables.
fn top_env(doc: &Value, key: &str) -> BTreeMap<String, String> {
    map(&doc[key])
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn every_example_installs_the_same_pinned_checksum_verified_release() {
    let expected_version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let mut pins = BTreeSet::new();
    for path in example_workflows() {
        let file = name(&path);
        let doc = load(&path);
        let env = top_env(&doc, "env");
        pins.insert((
            env.get("COUPA_ACCESS_VERSION").cloned(),
            env.get("COUPA_ACCESS_SHA256").cloned(),
        ));
        for (job_name, job) in jobs(&doc) {
            let runs: Vec<&str> = steps(job).iter().map(|s| run_of(s)).collect();
            let Some(first_call) = runs.iter().position(|r| !invocations(r).is_empty()) else {
                continue;
            };
            let install = runs.iter().position(|r| {
                r.contains("$COUPA_ACCESS_VERSION")
                    && r.contains("$COUPA_ACCESS_SHA256")
                    && r.contains("sha256sum --check")
            });
            assert!(
                install.is_some_and(|i| i < first_call),
                "{file} {job_name}: runs coupa-access without first installing the pinned, \
                 checksum-verified release"
            );
        }
    }
    let doc = load(&gitlab());
    let vars = top_env(&doc, "variables");
    pins.insert((
        vars.get("COUPA_ACCESS_VERSION").cloned(),
        vars.get("COUPA_ACCESS_SHA256").cloned(),
    ));
    for (job_name, job) in gitlab_jobs(&doc) {
        let script = gitlab_script(&job);
        if invocations(&script).is_empty() {
            continue;
        }
        let before = job["before_script"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<String>();
        assert!(
            before.contains("$COUPA_ACCESS_SHA256") && before.contains("sha256sum --check"),
            "gitlab-ci.yml {job_name}: runs coupa-access without the verified install"
        );
    }
    // One version everywhere (plan and apply run the same), the one these flags were checked on.
    assert_eq!(
        pins.len(),
        1,
        "the examples pin different releases: {pins:?}"
    );
    let (version, sha) = pins.into_iter().next().unwrap();
    assert_eq!(version.as_deref(), Some(expected_version.as_str()));
    let sha = sha.unwrap_or_default();
    assert!(
        sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()),
        "COUPA_ACCESS_SHA256 must be a SHA-256: {sha}"
    );
    for (file, job, _, script) in example_scripts() {
        assert!(
            !script.contains("cargo install"),
            "{file} {job}: builds from source (documented as the alternative, not the kit's way)"
        );
    }
}

#[test]
fn github_apply_plans_main_waits_for_approval_and_keeps_the_journal() {
    let path = root().join("examples/github-actions/apply.yml");
    let doc = load(&path);
    for trigger in ["push", "workflow_dispatch", "schedule"] {
        assert!(
            !doc["on"][trigger].is_null(),
            "apply.yml: no {trigger} trigger"
        );
    }
    assert_eq!(
        doc["concurrency"]["cancel-in-progress"].as_bool(),
        Some(false),
        "apply.yml: a running apply is never cancelled by the next"
    );
    let mut journals = BTreeSet::new();
    let mut subs = BTreeSet::new();
    for (job_name, job) in jobs(&doc) {
        // The commands that read or write Coupa state (`evidence verify` of a receipt does not).
        let calls: Vec<Invocation> = steps(job)
            .iter()
            .flat_map(|s| invocations(run_of(s)))
            .filter(|c| c.sub != "evidence")
            .collect();
        for step in steps(job) {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
            {
                assert_eq!(
                    step["with"]["ref"].as_str(),
                    Some("main"),
                    "apply.yml {job_name}: plans and applies what main says now"
                );
            }
        }
        for call in &calls {
            subs.insert(call.sub.clone());
            let journal = call
                .value("--journal")
                .unwrap_or_else(|| panic!("apply.yml {job_name}: {} without --journal", call.sub));
            assert!(
                journal.contains("$RUNNER_TEMP"),
                "apply.yml: the journal lives outside the checkout: {journal}"
            );
            journals.insert(journal.to_string());
        }
        if calls.iter().any(|c| c.sub == "apply") {
            assert_eq!(
                job["environment"].as_str(),
                Some("coupa-production"),
                "apply.yml {job_name}: the approval gate"
            );
            assert!(
                job["needs"].as_str() == Some("plan") || job["needs"][0].as_str() == Some("plan")
            );
            let saves: Vec<_> = steps(job)
                .into_iter()
                .filter(|s| {
                    s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/cache/save@"))
                })
                .collect();
            assert_eq!(saves.len(), 1, "apply.yml {job_name}: saves the journal");
            assert_eq!(saves[0]["if"].as_str(), Some("always()"));
        }
        if !calls.is_empty() {
            let restore = steps(job).into_iter().find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache/restore@"))
            });
            let restore =
                restore.unwrap_or_else(|| panic!("apply.yml {job_name}: restores the journal"));
            for key in ["key", "restore-keys"] {
                assert!(
                    restore["with"][key]
                        .as_str()
                        .is_some_and(|k| k.contains("vars.COUPA_DOMAIN")),
                    "apply.yml {job_name}: the journal cache is keyed per instance"
                );
            }
        }
    }
    assert_eq!(
        subs,
        BTreeSet::from(["apply".to_string(), "plan".to_string()])
    );
    assert_eq!(
        journals.len(),
        1,
        "plan and apply pass the same --journal: {journals:?}"
    );
}

#[test]
fn gitlab_note_is_sticky_drift_shows_and_apply_is_approved_with_its_journal() {
    let doc = load(&gitlab());
    let jobs: BTreeMap<String, Value> = gitlab_jobs(&doc).into_iter().collect();
    let drift = &jobs["drift"];
    assert_eq!(
        drift["allow_failure"]["exit_codes"]
            .as_sequence()
            .map(|s| s.to_vec()),
        Some(vec![Value::from(2)]),
        "drift: exit 2 shows as a warning"
    );
    let note = gitlab_script(&doc[".note"]);
    assert!(
        note.contains("\"PUT\"") && note.contains("<!-- coupa-access:plan -->"),
        "the note job updates its own note"
    );
    let apply = &jobs["apply"];
    let rules = apply["rules"].as_sequence().unwrap();
    assert!(rules.iter().all(|r| r["when"].as_str() == Some("manual")));
    assert_eq!(
        apply["environment"]["name"].as_str(),
        Some("coupa-production")
    );
    assert_eq!(apply["allow_failure"].as_bool(), Some(false));
    assert_eq!(apply["cache"]["when"].as_str(), Some("always"));
    let plan_main = &jobs["plan-main"];
    assert_eq!(
        apply["resource_group"], plan_main["resource_group"],
        "one plan or apply at a time"
    );
    assert_eq!(apply["cache"]["key"], plan_main["cache"]["key"]);
    let journal = |job: &Value| -> BTreeSet<String> {
        invocations(&gitlab_script(job))
            .iter()
            .filter(|c| c.sub != "evidence")
            .map(|c| c.value("--journal").unwrap_or("(none)").to_string())
            .collect()
    };
    assert_eq!(journal(apply), journal(plan_main));
    assert!(!journal(apply).contains("(none)"));
    assert!(
        gitlab_script(plan_main).contains("schedule"),
        "the unapplied check"
    );
}

#[test]
fn the_release_is_created_once_by_the_one_job_that_may_write() {
    let path = root().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("gh release create").count(), 1);
    assert!(!text.contains("action-gh-release"));
    let doc = load(&path);
    let writers: Vec<&str> = jobs(&doc)
        .into_iter()
        .filter(|(_, j)| j["permissions"]["contents"].as_str() == Some("write"))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(writers, ["publish"]);
    assert!(
        doc["jobs"]["publish"]["strategy"].is_null(),
        "one publishing job, not a matrix"
    );
}
