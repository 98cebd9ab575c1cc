//! `plan --changed-since REF`: the policy at git ref REF is read with the git CLI (the one
//! every CI runner and developer already has; no git library to keep in step with it) and
//! compared with the work tree's by the core (`plan::changed`), so a pull request's plan reads
//! and shows only the targets it changes.
//!
//! - `auto` picks the pull request's base: GitLab's `CI_MERGE_REQUEST_DIFF_BASE_SHA` (or the
//!   merge base with `origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME`), GitHub's merge base with
//!   `origin/$GITHUB_BASE_REF`. Outside a pull or merge request it plans every target, and says
//!   so.
//! - A REF that does not exist, a folder outside a git repository, or no git: an error (the
//!   pipeline is misconfigured; a silent full plan would hide that and cost minutes each time).
//! - A policy at REF that does not load: every target is planned, with a warning (a pull request
//!   that fixes a broken `main` must still get its plan).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use coupa_access_client::ReadScope;
use coupa_access_core::model::{Desired, EveryTarget, Live, PlanScope, Planned};
use coupa_access_core::plan::changed::{self, Changes, TargetKey};

/// The `--changed-since` value that finds the pull or merge request's base itself.
pub const AUTO: &str = "auto";

/// A `--changed-since` plan before the tenant is read: what to read and how to narrow it.
pub enum Prepared {
    /// Every target is planned (a full plan, labelled with why).
    Every(PlanScope),
    /// Only some targets may have changed: both versions of them, to bind after the read.
    Targets {
        given: String,
        commit: String,
        managed: usize,
        candidates: BTreeSet<TargetKey>,
        // Boxed: two policies beside a scope.
        base: Box<Desired>,
        head: Box<Desired>,
    },
}

/// Resolves `spec` and compares the policy there with `head` (loaded from `policies`).
pub fn prepare(spec: &str, policies: &Path, head: &Desired) -> miette::Result<Prepared> {
    let managed = changed::managed(head).len();
    let every = |given: String, commit: Option<String>, why| {
        Prepared::Every(PlanScope {
            changed_since: given,
            commit,
            managed,
            planned: Planned::EveryTarget(why),
        })
    };
    let repo = Repo::of(policies)?;
    let Some((given, commit)) = repo.resolve(spec)? else {
        say!("note: --changed-since auto: not run for a pull or merge request (GITHUB_BASE_REF, CI_MERGE_REQUEST_DIFF_BASE_SHA and CI_MERGE_REQUEST_TARGET_BRANCH_NAME are unset); planning every target");
        return Ok(every(spec.to_string(), None, EveryTarget::NoBase));
    };
    let files =
        crate::git::policy_files_at(policies, &commit, &crate::policy_dir::shown_base(policies))
            .map_err(|e| {
                miette::miette!("--changed-since: cannot read the policy files at {commit}: {e}")
            })?;
    let files = files.into_iter().map(|(f, _)| f).collect();
    let base = match coupa_access_core::policy::load_files(files) {
        Ok(base) => base,
        Err(e) => {
            say!(
                "warning: the policy at {given} ({}) does not load ({} problem(s)); planning every target",
                short(&commit),
                e.diagnostics.len()
            );
            return Ok(every(given, Some(commit), EveryTarget::BaseUnreadable));
        }
    };
    match changed::declared_changes(&base, head) {
        Changes::Every(why) => Ok(every(given, Some(commit), why)),
        Changes::Targets(candidates) => {
            tracing::debug!(
                candidates = candidates.len(),
                managed,
                "targets declared differently since {given}"
            );
            Ok(Prepared::Targets {
                base: Box::new(changed::restrict(&base, &candidates)),
                head: Box::new(changed::restrict(head, &candidates)),
                given,
                commit,
                managed,
                candidates,
            })
        }
    }
}

impl Prepared {
    /// What to read from Coupa: for the candidates, what both versions of them name.
    pub fn read_scope(&self, head: &Desired) -> ReadScope {
        match self {
            Prepared::Every(_) => ReadScope::for_plan(head),
            Prepared::Targets { base, head, .. } => {
                ReadScope::for_plan(&changed::for_reading(base, head))
            }
        }
    }

    /// The policy to plan (`head` with only the targets whose bound meaning differs on
    /// `today`) and the scope the plan records.
    pub fn narrow(
        self,
        head: Desired,
        live: &Live,
        today: chrono::NaiveDate,
    ) -> (Desired, PlanScope) {
        match self {
            Prepared::Every(scope) => (head, scope),
            Prepared::Targets {
                given,
                commit,
                managed,
                candidates,
                base,
                head: head_part,
            } => {
                let kept = changed::bound_changes(&base, &head_part, live, today, &candidates);
                tracing::debug!(
                    kept = kept.len(),
                    candidates = candidates.len(),
                    "targets whose bound meaning differs"
                );
                let targets = changed::scope_targets(&head, &kept);
                let planned = changed::keys_of(&targets);
                let scope = PlanScope {
                    changed_since: given,
                    commit: Some(commit),
                    managed,
                    planned: Planned::Targets(targets),
                };
                (changed::restrict(&head, &planned), scope)
            }
        }
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}

/// The git repository holding the policy folder.
struct Repo {
    /// Its top folder.
    top: PathBuf,
}

impl Repo {
    fn of(policies: &Path) -> miette::Result<Repo> {
        let top = crate::git::line(policies, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            miette::miette!(
                help = "--changed-since compares with the policy in git history: run it in a clone of the policy repository",
                "--changed-since: {} is not in a git repository ({e})",
                policies.display()
            )
        })?;
        Ok(Repo {
            top: PathBuf::from(top),
        })
    }

    /// `spec` as a commit, with the name shown for it; `None` for `auto` outside a pull or
    /// merge request.
    fn resolve(&self, spec: &str) -> miette::Result<Option<(String, String)>> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        if spec != AUTO {
            return Ok(Some((spec.to_string(), self.commit(spec)?)));
        }
        // GitLab names the merge base itself.
        if let Some(sha) = env("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
            let shown = env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
                .map_or_else(|| sha.clone(), |b| format!("origin/{b}"));
            return Ok(Some((shown, self.commit(&sha)?)));
        }
        let Some(branch) =
            env("GITHUB_BASE_REF").or_else(|| env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"))
        else {
            return Ok(None);
        };
        let base = format!("origin/{branch}");
        let tip = self.commit(&base)?;
        // The merge base: what the pull request changes, not what the base branch gained since.
        let merge_base =
            crate::git::line(&self.top, &["merge-base", &tip, "HEAD"]).map_err(|e| {
                miette::miette!(
                    help = FETCH_HELP,
                    "--changed-since auto: no common history of HEAD and {base} ({e})"
                )
            })?;
        Ok(Some((base, merge_base)))
    }

    fn commit(&self, spec: &str) -> miette::Result<String> {
        // A ref starting with `-` would be taken for an option: no git ref does.
        let found = if spec.starts_with('-') {
            Err(String::new())
        } else {
            crate::git::line(
                &self.top,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{spec}^{{commit}}"),
                ],
            )
        };
        found.map_err(|_| {
            miette::miette!(
                help = FETCH_HELP,
                "--changed-since: git ref `{spec}` is not a commit in {}",
                self.top.display()
            )
        })
    }
}

const FETCH_HELP: &str = "fetch it first (`git fetch origin main`); in CI, check out with history: GitHub `actions/checkout` with `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`";
