//! Role and license writes, and group removals through the user when the tenant refuses
//! membership DELETE — all through `PUT /api/users/:id`, one user at a time.
//!
//! - Licenses: one update per user carrying only the changed `<license>-user` flags, then a
//!   read-back; a flag Coupa keeps after being set false is reported as kept, not retried.
//! - Roles: additions only → one additive update. Any removal → clear-then-set under the
//!   journal (see `journal`): re-read the user's roles, record them, clear, set the rest,
//!   verify; on failure put the recorded roles back.
//! - Groups when DELETE is refused: the same clear-then-set on `user-groups`, refused for a
//!   user who owns a group they keep (clearing would drop the owner row).

use std::collections::{BTreeMap, BTreeSet};

use super::journal::{Entry, Journal};
use super::{Cancel, Outcome};
use crate::{Client, UserAccess, UserList};
use coupa_access_core::model::{Action, ChangeTarget, License, Plan};

/// Why a change was not attempted after a cancel.
const INTERRUPTED: &str = super::execute::INTERRUPTED;

/// One user's applied role and license changes, by plan index.
#[derive(Debug, Default)]
struct Todo {
    login: String,
    role_add: BTreeMap<u64, usize>,
    role_remove: BTreeMap<u64, usize>,
    licenses: BTreeMap<License, (bool, usize)>,
}

/// Writes every applied role and license change of `plan`; returns each one's outcome by plan
/// index. Users are written one at a time, so the journal holds at most one clear-then-set.
pub(super) async fn write_roles_and_licenses(
    plan: &Plan,
    client: &Client,
    journal: &Journal,
    cancel: &Cancel,
) -> BTreeMap<usize, Outcome> {
    let mut todo: BTreeMap<u64, Todo> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate().filter(|(_, c)| c.applies) {
        let t = todo.entry(c.user_id).or_default();
        t.login.clone_from(&c.user);
        match (&c.target, c.action) {
            (ChangeTarget::Role { id, .. }, Action::Add) => {
                t.role_add.insert(*id, i);
            }
            (ChangeTarget::Role { id, .. }, Action::Remove) => {
                t.role_remove.insert(*id, i);
            }
            (ChangeTarget::License(l), a) => {
                t.licenses.insert(*l, (a == Action::Add, i));
            }
            (ChangeTarget::Group { .. }, _) => {}
        }
    }
    let mut out = BTreeMap::new();
    for (user_id, t) in todo {
        let indices = t
            .role_add
            .values()
            .chain(t.role_remove.values())
            .chain(t.licenses.values().map(|(_, i)| i))
            .copied()
            .collect::<Vec<_>>();
        if indices.is_empty() {
            continue;
        }
        if cancel.is_cancelled() {
            for i in indices {
                out.insert(i, Outcome::Skipped(INTERRUPTED.into()));
            }
            continue;
        }
        out.extend(write_user(client, journal, user_id, &t).await);
    }
    out
}

async fn write_user(
    client: &Client,
    journal: &Journal,
    user_id: u64,
    t: &Todo,
) -> BTreeMap<usize, Outcome> {
    let license_err = if t.licenses.is_empty() {
        None
    } else {
        let mut body = serde_json::Map::new();
        for (l, (on, _)) in &t.licenses {
            body.insert(l.wire_field(), serde_json::Value::Bool(*on));
        }
        client
            .update_user(user_id, &serde_json::Value::Object(body))
            .await
            .err()
            .map(|e| e.to_string())
    };
    let role_err = if t.role_remove.is_empty() {
        if t.role_add.is_empty() {
            None
        } else {
            let ids: BTreeSet<u64> = t.role_add.keys().copied().collect();
            client
                .put_user_list(user_id, UserList::Roles, &ids)
                .await
                .err()
                .map(|e| e.to_string())
        }
    } else {
        let add = t.role_add.keys().copied().collect();
        let remove = t.role_remove.keys().copied().collect();
        rewrite(
            client,
            journal,
            user_id,
            &t.login,
            UserList::Roles,
            &remove,
            &add,
        )
        .await
        .err()
    };
    let now = client.read_user_access(user_id, false).await;
    let mut out = BTreeMap::new();
    let now = match now {
        Ok(a) => a,
        Err(e) => {
            let why = format!("could not read the user back to verify: {e}");
            for (_, i) in t.licenses.values() {
                out.insert(
                    *i,
                    Outcome::Failed(license_err.clone().unwrap_or(why.clone())),
                );
            }
            for i in t.role_add.values().chain(t.role_remove.values()) {
                out.insert(*i, Outcome::Failed(role_err.clone().unwrap_or(why.clone())));
            }
            return out;
        }
    };
    for (l, (on, i)) in &t.licenses {
        let holds = now.licenses.contains(l);
        let outcome = match (holds == *on, &license_err) {
            (true, _) => Outcome::Verified,
            (false, Some(e)) => Outcome::Failed(e.clone()),
            (false, None) if *on => {
                Outcome::Failed("Coupa accepted the update but the license is not set when read back".into())
            }
            (false, None) => Outcome::Kept(format!(
                "Coupa accepted {}: false but kept the license (Coupa is known to keep purchasing and contracts); revoke it in the Coupa UI, or leave it in the policy",
                l.wire_field()
            )),
        };
        out.insert(*i, outcome);
    }
    let role_outcome = |holds: bool, want: bool| match (holds == want, &role_err) {
        (true, _) => Outcome::Verified,
        (false, Some(e)) => Outcome::Failed(e.clone()),
        (false, None) => Outcome::Failed(format!(
            "Coupa accepted the update but the user {} the role when read back",
            if want { "lacks" } else { "still holds" }
        )),
    };
    for (id, i) in &t.role_add {
        out.insert(*i, role_outcome(now.roles.contains(id), true));
    }
    for (id, i) in &t.role_remove {
        out.insert(*i, role_outcome(now.roles.contains(id), false));
    }
    out
}

/// Removes `remove` from the user's `list` (and adds `add`) by clear-then-set under the
/// journal. Errors are the reason shown for the changes; the user's list is then either
/// restored or recorded in the journal for the next run.
pub(super) async fn rewrite(
    client: &Client,
    journal: &Journal,
    user_id: u64,
    login: &str,
    list: UserList,
    remove: &BTreeSet<u64>,
    add: &BTreeSet<u64>,
) -> Result<(), String> {
    let with_groups = list == UserList::UserGroups;
    // Right before: what the user holds now, not what the plan saw.
    let fresh = client
        .read_user_access(user_id, with_groups)
        .await
        .map_err(|e| {
            format!(
                "could not read the user's {} before writing: {e}",
                list.key()
            )
        })?;
    let before = list.of(&fresh);
    let after: BTreeSet<u64> = before.difference(remove).chain(add).copied().collect();
    if after == before {
        return Ok(());
    }
    if before.is_disjoint(remove) {
        // Nothing to take away after all: an additive update is enough.
        return client
            .put_user_list(user_id, list, add)
            .await
            .map_err(|e| e.to_string());
    }
    journal
        .begin(Entry {
            user_id,
            login: login.to_string(),
            list,
            before: before.clone(),
            after: after.clone(),
        })
        .map_err(|e| format!("nothing was written: {e}"))?;
    let set = async {
        client
            .put_user_list(user_id, list, &BTreeSet::new())
            .await
            .map_err(|e| format!("clearing {}: {e}", list.key()))?;
        if !after.is_empty() {
            client
                .put_user_list(user_id, list, &after)
                .await
                .map_err(|e| format!("setting {} again after the clear: {e}", list.key()))?;
        }
        let now = client
            .read_user_access(user_id, with_groups)
            .await
            .map_err(|e| format!("reading {} back: {e}", list.key()))?;
        let held = list.of(&now);
        if held == after {
            Ok(())
        } else {
            Err(format!(
                "after clear-then-set the user holds {} {held:?}, not {after:?}",
                list.key()
            ))
        }
    };
    match set.await {
        Ok(()) => {
            // The write is done; a journal that cannot be tidied only makes the next run
            // check this user again.
            if let Err(e) = journal.finish(user_id, list) {
                tracing::warn!("{e}");
            }
            Ok(())
        }
        Err(why) => Err(restore(client, journal, &fresh, list, &before, why).await),
    }
}

/// Puts `before` back after a failed clear-then-set; the message says how it ended.
async fn restore(
    client: &Client,
    journal: &Journal,
    fresh: &UserAccess,
    list: UserList,
    before: &BTreeSet<u64>,
    why: String,
) -> String {
    let with_groups = list == UserList::UserGroups;
    let restored = async {
        client.put_user_list(fresh.id, list, before).await?;
        let now = client.read_user_access(fresh.id, with_groups).await?;
        Ok::<bool, crate::CoupaError>(list.of(&now).is_superset(before))
    };
    match restored.await {
        Ok(true) => {
            if let Err(e) = journal.finish(fresh.id, list) {
                tracing::warn!("{e}");
            }
            format!("{why}; the {} held before were restored", list.key())
        }
        Ok(false) => format!(
            "{why}; restoring did not take, so the journal {} keeps the {} held before and the next apply restores them first",
            journal.path().display(),
            list.key()
        ),
        Err(e) => format!(
            "{why}; restoring failed too ({e}), so the journal {} keeps the {} held before and the next apply restores them first",
            journal.path().display(),
            list.key()
        ),
    }
}
