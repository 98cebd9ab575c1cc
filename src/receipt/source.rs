//! Where an apply's change came from: the policy folder's git commit, branch and whether it
//! has uncommitted changes (read with the git CLI), and the CI run (from the environment).

use std::path::Path;

use coupa_access_core::evidence::{CiRun, Source};

/// Reads the git facts of the repository holding `policies`, and the CI run.
pub fn gather(policies: &Path) -> Source {
    let mut source = Source {
        ci: ci_run(&|name| std::env::var(name).ok().filter(|v| !v.is_empty())),
        ..Source::default()
    };
    match git(policies, &["rev-parse", "HEAD"]) {
        Ok(commit) => {
            source.commit = Some(commit);
            source.branch = git(policies, &["symbolic-ref", "--quiet", "--short", "HEAD"])
                .ok()
                .or_else(|| ci_branch(&|name| std::env::var(name).ok().filter(|v| !v.is_empty())));
            // Only the policy folder: CI writes plans and receipts next to it.
            source.clean = git(
                policies,
                &[
                    "status",
                    "--porcelain",
                    "--untracked-files=normal",
                    "--",
                    ".",
                ],
            )
            .ok()
            .map(|s| s.is_empty());
        }
        Err(why) => source.git_unavailable = Some(why),
    }
    source
}

/// Runs git in `dir` (the tool's one git runner); its trimmed answer, or why not.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    crate::git::run_in(dir, args).map(|out| out.trim().to_string())
}

/// The CI run, from GitHub Actions' or GitLab CI's variables.
fn ci_run(var: &dyn Fn(&str) -> Option<String>) -> Option<CiRun> {
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        let run_url = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(id)) => Some(match var("GITHUB_RUN_ATTEMPT") {
                Some(attempt) => format!("{server}/{repo}/actions/runs/{id}/attempts/{attempt}"),
                None => format!("{server}/{repo}/actions/runs/{id}"),
            }),
            _ => None,
        };
        return Some(CiRun {
            system: "github-actions".into(),
            run_url,
            actor: var("GITHUB_TRIGGERING_ACTOR").or_else(|| var("GITHUB_ACTOR")),
        });
    }
    if var("GITLAB_CI").as_deref() == Some("true") {
        return Some(CiRun {
            system: "gitlab-ci".into(),
            run_url: var("CI_JOB_URL").or_else(|| var("CI_PIPELINE_URL")),
            actor: var("GITLAB_USER_LOGIN"),
        });
    }
    None
}

/// The branch CI checked out, when git has a detached HEAD (as CI checkouts do).
fn ci_branch(var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    var("GITHUB_HEAD_REF")
        .or_else(|| var("GITHUB_REF_NAME"))
        .or_else(|| var("CI_COMMIT_REF_NAME"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn github_and_gitlab_runs_are_read_from_their_variables() {
        let gh = vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/policy"),
            ("GITHUB_RUN_ID", "77"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_REF_NAME", "main"),
        ]);
        let run = ci_run(&gh).unwrap();
        assert_eq!(run.system, "github-actions");
        assert_eq!(
            run.run_url.as_deref(),
            Some("https://github.com/acme/policy/actions/runs/77/attempts/2")
        );
        assert_eq!(run.actor.as_deref(), Some("octocat"));
        assert_eq!(ci_branch(&gh).as_deref(), Some("main"));
        let gl = vars(&[
            ("GITLAB_CI", "true"),
            ("CI_JOB_URL", "https://gitlab.com/acme/policy/-/jobs/9"),
            ("GITLAB_USER_LOGIN", "jane"),
        ]);
        let run = ci_run(&gl).unwrap();
        assert_eq!(run.system, "gitlab-ci");
        assert_eq!(run.actor.as_deref(), Some("jane"));
        assert!(ci_run(&vars(&[])).is_none());
    }
}
