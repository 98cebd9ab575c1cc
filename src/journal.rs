//! Where the apply journal lives, the checks on its file that need the outside world (git),
//! and folding what it holds into a plan as restores and warnings.

use std::path::{Path, PathBuf};

use miette::IntoDiagnostic;

use crate::cli::JournalArgs;
use coupa_access_client::apply::{self, Assessment, Loaded};
use coupa_access_client::Client;
use coupa_access_core::model::{dedupe_warnings, Live, Plan};
use coupa_access_core::plan::Planned;

/// The journal file: `--journal`, else one per instance in the user's state directory (outside
/// any repository work tree, where an edit or a commit could slip one in).
pub fn path(args: &JournalArgs, domain: &str) -> miette::Result<PathBuf> {
    if let Some(p) = &args.journal {
        return Ok(p.clone());
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from));
    let Some(state) = state else {
        miette::bail!(
            help = "pass --journal FILE (a file outside the repository, kept between apply runs)",
            "no state directory for the apply journal: neither XDG_STATE_HOME nor HOME is set"
        );
    };
    Ok(state.join("coupa-access").join(file_name(domain)))
}

/// `journal-acme.coupahost.com.json`: one journal per instance.
fn file_name(domain: &str) -> String {
    let host: String = domain
        .split("://")
        .last()
        .unwrap_or(domain)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("journal-{host}.json")
}

/// Refuses a journal that git tracks: a tracked file arrives with a checkout or a pull
/// request, and so could be written by anyone who can push.
pub fn refuse_tracked(path: &Path) -> miette::Result<()> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !dir.is_dir() {
        return Ok(());
    }
    let tracked = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if tracked {
        miette::bail!(
            help = "remove it from git (git rm --cached) and keep the journal outside the repository; the default location is outside it",
            "refusing the apply journal {}: it is tracked by git, so a commit could put entries in it",
            path.display()
        );
    }
    Ok(())
}

/// Whether anything (a file, or a link the checks will refuse) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Reads the journal at `path` for `plan` (no lock, nothing changed).
pub fn read(path: &Path, client: &Client) -> miette::Result<Loaded> {
    refuse_tracked(path)?;
    apply::journal::read(
        path,
        client.domain(),
        &client.journal_key(),
        chrono::Utc::now(),
    )
    .into_diagnostic()
}

/// Judges the journal's entries against Coupa and adds the restores and warnings to `plan`.
pub async fn fold_into(
    planned: Planned,
    loaded: &Loaded,
    client: &Client,
    live: &Live,
) -> miette::Result<(Plan, Assessment)> {
    let Planned { plan, decided, .. } = planned;
    if loaded.authentic.is_empty() && loaded.refused.is_empty() {
        return Ok((plan, Assessment::default()));
    }
    // What the plan decides, from the binding the plan was made from.
    let assessment = apply::assess(client, loaded, live, &decided)
        .await
        .into_diagnostic()?;
    let mut plan = plan.with_restores(assessment.restores.clone());
    let warnings = std::mem::take(&mut plan.warnings);
    plan.warnings = dedupe_warnings(warnings.into_iter().chain(assessment.warnings.clone()));
    Ok((plan, assessment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_journal_per_instance_with_a_plain_file_name() {
        assert_eq!(
            file_name("https://acme.coupahost.com"),
            "journal-acme.coupahost.com.json"
        );
        assert_eq!(
            file_name("http://127.0.0.1:8080"),
            "journal-127.0.0.1_8080.json"
        );
    }
}
