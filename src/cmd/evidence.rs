//! `coupa-access evidence verify RECEIPT…`: checks each receipt's digests (an edited field is
//! named) and, with credentials, whether each verified change still holds in Coupa.
//!
//! Exit codes: 0 when every receipt is intact (changes made in Coupa since are reported, not
//! errors); 1 when a receipt is edited, unreadable or not a receipt, or Coupa cannot be read.

use std::collections::BTreeSet;
use std::sync::Arc;

use coupa_access_client::{Access, ReadScope};
use coupa_access_core::evidence::{self, Receipt, Since};
use coupa_access_core::model::Kind;
use coupa_access_core::render::printable_str;

use super::{common, Output};
use crate::cli::{EvidenceCommand, VerifyArgs};

pub async fn run(cmd: EvidenceCommand, out: Output) -> miette::Result<i32> {
    match cmd {
        EvidenceCommand::Verify(args) => verify(args, out).await,
    }
}

async fn verify(args: VerifyArgs, out: Output) -> miette::Result<i32> {
    let mut intact: Vec<(String, Receipt)> = Vec::new();
    let mut report = String::new();
    let mut failed = false;
    for path in &args.receipts {
        let shown = printable_str(&path.display().to_string()).into_owned();
        let checked = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot be read: {e}"))
            .and_then(|text| evidence::verify(&text).map_err(|e| e.to_string()));
        match checked {
            Ok(r) => {
                report.push_str(&format!("{shown}: intact. {}\n", summary(&r)));
                intact.push((shown, r));
            }
            Err(why) => {
                failed = true;
                report.push_str(&format!("{shown}: FAILED: {}\n", printable_str(&why)));
            }
        }
    }
    super::emit(&report)?;
    if args.connection.any_given() && !intact.is_empty() {
        let mut text = String::new();
        check_live(&args, &intact, out, &mut text).await?;
        super::emit(&text)?;
    } else if !intact.is_empty() {
        say!("Not checked against Coupa (no credentials given): whether the changes still hold is unknown.");
    }
    Ok(i32::from(failed))
}

/// One line about an intact receipt: when, where, from which commit, with what result.
fn summary(r: &Receipt) -> String {
    let s = &r.summary;
    let commit = r
        .source
        .commit
        .as_deref()
        .map(|c| format!(" from commit {}", &c[..c.len().min(12)]))
        .unwrap_or_default();
    let approvals = if r.approvals.checked {
        format!(
            "approvals checked ({} review(s))",
            r.approvals.reviews.len()
        )
    } else {
        "approvals not checked".to_string()
    };
    printable_str(&format!(
        "Apply of {} at {}{commit}: {}; {} verified, {} failed, {} skipped, {} kept; {approvals}.",
        r.instance,
        coupa_access_core::model::time::format(&r.started_at),
        r.status.word(),
        s.verified,
        s.failed,
        s.skipped,
        s.kept,
    ))
    .into_owned()
}

/// Reads the groups and users the receipts touched and says, per verified change, whether it
/// still holds. Receipts of another instance are named, not checked.
async fn check_live(
    args: &VerifyArgs,
    receipts: &[(String, Receipt)],
    out: Output,
    text: &mut String,
) -> miette::Result<()> {
    let read_roles = receipts
        .iter()
        .flat_map(|(_, r)| &r.changes)
        .any(|c| c.kind == Kind::Role);
    let mut client = common::connect_reading_roles(&args.connection, Access::Read, read_roles)?;
    let domain = client.domain().to_string();
    let ours: Vec<&(String, Receipt)> = receipts
        .iter()
        .filter(|(path, r)| {
            let same = r.instance == domain;
            if !same {
                text.push_str(&format!(
                    "{path}: not checked against Coupa: it was made for {}, not {domain}\n",
                    printable_str(&r.instance)
                ));
            }
            same
        })
        .collect();
    if ours.is_empty() {
        return Ok(());
    }
    let groups: BTreeSet<u64> = ours
        .iter()
        .flat_map(|(_, r)| &r.changes)
        .filter(|c| c.kind == Kind::Group)
        .filter_map(|c| c.target_id)
        .collect();
    let users: Vec<String> = ours
        .iter()
        .flat_map(|(_, r)| &r.changes)
        .map(|c| c.user.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scope = ReadScope::GroupsAndUsers {
        groups: Arc::new(move |g| groups.contains(&g.id)),
        identities: users.into(),
    };
    let live = common::read_live(&mut client, &scope, out).await?;
    for (path, r) in ours {
        let verdicts = evidence::still_holds(r, &live);
        let changed = verdicts
            .iter()
            .filter(|(_, v)| !matches!(v, Since::Holds))
            .count();
        text.push_str(&format!(
            "{path}: in {domain} now, {} of {} verified change(s) still hold{}\n",
            verdicts.len() - changed,
            verdicts.len(),
            if changed == 0 {
                "."
            } else {
                "; changed since:"
            }
        ));
        for (i, v) in verdicts {
            if matches!(v, Since::Holds) {
                continue;
            }
            let what = r.changes[i].describe();
            text.push_str(&format!(
                "  {}: {}\n",
                printable_str(&what),
                printable_str(&v.to_string())
            ));
        }
    }
    Ok(())
}
