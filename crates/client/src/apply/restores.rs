//! Journal entries turned into plan restores, and restores written.
//!
//! [`assess`] reads each authenticated entry's user fresh and lets the core judge it
//! (`model::restore::judge`): what the clear took that the plan does not decide is a
//! [`Restore`] in the plan; a user someone changed since is reported and kept. [`write`] runs
//! after confirmation: it gives back exactly the plan's restore, only onto the list the plan
//! saw, and verifies the user's whole list.

use std::collections::{BTreeMap, BTreeSet};

use super::journal::{Entry, Journal, Loaded};
use super::Outcome;
use crate::{Client, CoupaError, UserList};
use coupa_access_core::model::{
    judge, HeldNow, JournalClaim, KeptReason, Live, Restore, RestoreTarget, Verdict, Warning,
    WarningCode,
};
use coupa_access_core::plan::Decided;
use coupa_access_core::render::printable_str;

/// What a journal means for the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Given back by apply, after confirmation (part of the plan).
    pub restores: Vec<Restore>,
    /// Entries refused or kept, for the plan's warnings.
    pub warnings: Vec<Warning>,
    /// Entries owed nothing: apply closes them.
    pub settled: Vec<(u64, UserList)>,
    /// Users with an entry kept for a person to look at, by id (login): apply refuses a plan
    /// that touches them.
    pub kept_users: BTreeMap<u64, String>,
}

/// Judges every entry of `loaded` against Coupa now. `live` names the roles and groups;
/// `decided` is what the plan decides (never restored).
pub async fn assess(
    client: &Client,
    loaded: &Loaded,
    live: &Live,
    decided: &Decided,
) -> Result<Assessment, CoupaError> {
    let mut out = Assessment::default();
    for refused in &loaded.refused {
        let mut w = Warning::new(
            WarningCode::JournalEntryRefused,
            format!("apply journal: {refused}; nothing is restored from it"),
        )
        .help("check that user by hand, then remove the entry from the journal");
        if let Some(login) = &refused.login {
            w = w.about_user(login.clone());
        }
        out.warnings.push(w);
    }
    for entry in &loaded.authentic {
        let now = client
            .read_user_access(entry.user_id, entry.list.needs_groups())
            .await?;
        let claim = JournalClaim {
            user_id: entry.user_id,
            login: entry.login.clone(),
            kind: entry.list.kind(),
            before: entry.before.clone(),
            after: entry.after.clone(),
            recorded_at: entry.recorded_at,
        };
        let held = HeldNow {
            login: now.login.clone(),
            ids: entry.list.of(&now).cloned(),
        };
        match judge(&claim, &held, decided.of_kind(claim.kind)) {
            Verdict::Settled => out.settled.push((entry.user_id, entry.list)),
            Verdict::Restore(ids) => out.restores.push(Restore {
                user: entry.login.clone(),
                user_id: entry.user_id,
                kind: claim.kind,
                targets: ids
                    .iter()
                    .map(|id| RestoreTarget {
                        id: *id,
                        name: name_of(live, entry.list, *id),
                    })
                    .collect(),
                held_ids: held.ids.unwrap_or_default().into_iter().collect(),
                recorded_at: entry.recorded_at,
            }),
            Verdict::Kept(reason) => {
                out.kept_users.insert(entry.user_id, entry.login.clone());
                out.warnings.push(kept_warning(entry, live, &reason));
            }
        }
    }
    Ok(out)
}

fn kept_warning(entry: &Entry, live: &Live, reason: &KeptReason) -> Warning {
    let held: Vec<String> = entry
        .before
        .iter()
        .map(|id| name_of(live, entry.list, *id))
        .collect();
    Warning::new(
        WarningCode::JournalEntryKept,
        format!(
            "apply journal: {} (user {}) held {} {} before an interrupted apply cleared them; not restored because {reason}",
            printable_str(&entry.login),
            entry.user_id,
            entry.list.key(),
            if held.is_empty() { "nothing".to_string() } else { held.join(", ") },
        ),
    )
    .help("check that user by hand and remove the entry from the journal; until then apply refuses to change them")
    .about_user(entry.login.clone())
}

/// The name of role or group `id`, or `#id` when live Coupa does not list it (a project, or a
/// role not read).
fn name_of(live: &Live, list: UserList, id: u64) -> String {
    let name = match list {
        UserList::Roles => live.roles.iter().find(|r| r.id == id).map(|r| &r.name),
        UserList::UserGroups => live
            .groups
            .iter()
            .chain(&live.projects)
            .find(|g| g.id == id)
            .map(|g| &g.name),
    };
    name.map(|n| n.to_string())
        .unwrap_or_else(|| format!("#{id}"))
}

/// Writes every restore of the plan, in order; closes each journal entry that is settled.
/// Returns each restore's outcome, in plan order.
pub(super) async fn write(
    restores: &[Restore],
    client: &Client,
    journal: &Journal,
) -> Vec<Outcome> {
    let mut out = Vec::new();
    for r in restores {
        out.push(write_one(r, client, journal).await);
    }
    out
}

async fn write_one(r: &Restore, client: &Client, journal: &Journal) -> Outcome {
    let list = match r.kind {
        coupa_access_core::model::Kind::Role => UserList::Roles,
        coupa_access_core::model::Kind::Group => UserList::UserGroups,
        coupa_access_core::model::Kind::License => {
            return Outcome::Failed("licenses are never cleared, so never restored".into())
        }
    };
    let held_then: BTreeSet<u64> = r.held_ids.iter().copied().collect();
    let give: BTreeSet<u64> = r.targets.iter().map(|t| t.id).collect();
    let now = match client
        .read_user_access(r.user_id, list.needs_groups())
        .await
    {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(format!("could not read the user before restoring: {e}")),
    };
    if !now.login.eq_ignore_ascii_case(&r.user) {
        return Outcome::Skipped(format!(
            "user {} is now {}, not {}",
            r.user_id,
            printable_str(&now.login),
            printable_str(&r.user)
        ));
    }
    match list.of(&now) {
        Some(held) if *held == held_then => {}
        Some(_) => {
            return Outcome::Skipped(format!(
                "the user's {} changed since the plan; nothing was restored (plan again)",
                list.key()
            ))
        }
        None => {
            return Outcome::Failed(format!(
                "Coupa's answer did not include the user's {}; nothing was restored",
                list.key()
            ))
        }
    }
    if let Err(e) = client.put_user_list(r.user_id, list, &give).await {
        return Outcome::Failed(format!("restoring {}: {e}", list.key()));
    }
    let expected: BTreeSet<u64> = held_then.union(&give).copied().collect();
    match super::users::read_list(client, r.user_id, list).await {
        Ok(held) if held == expected => {
            if let Err(e) = journal.finish(r.user_id, list) {
                tracing::warn!("{e}");
            }
            Outcome::Verified
        }
        Ok(held) => Outcome::Failed(format!(
            "after the restore the user still lacks {} (the journal keeps the entry)",
            names(r, &expected.difference(&held).copied().collect())
        )),
        Err(e) => Outcome::Failed(format!("could not read the user back to verify: {e}")),
    }
}

/// The names of `ids` among the restore's targets (`#id` for others).
fn names(r: &Restore, ids: &BTreeSet<u64>) -> String {
    ids.iter()
        .map(|id| {
            r.targets
                .iter()
                .find(|t| t.id == *id)
                .map(|t| printable_str(&t.name).into_owned())
                .unwrap_or_else(|| format!("#{id}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Closes the entries the assessment found settled (nothing owed).
pub fn close_settled(
    journal: &Journal,
    settled: &[(u64, UserList)],
) -> Result<(), super::JournalError> {
    for (user_id, list) in settled {
        journal.finish(*user_id, *list)?;
    }
    Ok(())
}
