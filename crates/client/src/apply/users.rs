//! Role and license writes, and group removals through the user when the tenant refuses
//! membership DELETE — all through `PUT /api/users/:id`, one user at a time.
//!
//! - Licenses: one update per user carrying only the changed `<license>-user` flags, then a
//!   read-back; a flag Coupa keeps after being set false is reported as kept, not retried.
//! - Roles: additions only → one additive update. Any removal → clear-then-set under the
//!   journal (see `journal`): re-read the user's roles, record them, clear, set the rest,
//!   verify; on failure put the recorded roles back.
//! - Either way the user's whole role list is read back and compared with the list expected:
//!   a role lost as a side effect is given back and the changes are reported FAILED, naming
//!   what the user is missing — never "verified" because only the removed role is gone.
//! - Groups when DELETE is refused: the same clear-then-set on `user-groups`, refused for a
//!   user who owns a group they keep (clearing would drop the owner row), and verified
//!   against the user's membership rows, not the same `user-groups` view.

use std::collections::{BTreeMap, BTreeSet};

use super::journal::{Entry, Journal};
use super::{Cancel, Outcome};
use crate::{Client, CoupaError, UserAccess, UserList};
use coupa_access_core::model::{Action, ChangeTarget, License, Plan};
use coupa_access_core::render::printable_str;

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
    journal: Option<&Journal>,
    cancel: &Cancel,
) -> BTreeMap<usize, Outcome> {
    let mut todo: BTreeMap<u64, Todo> = BTreeMap::new();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate().filter(|(_, c)| c.applies) {
        let t = todo.entry(c.user_id).or_default();
        t.login.clone_from(&c.user);
        match (&c.target, c.action) {
            (ChangeTarget::Role { id, name }, Action::Add) => {
                t.role_add.insert(*id, i);
                names.insert(*id, name.clone());
            }
            (ChangeTarget::Role { id, name }, Action::Remove) => {
                t.role_remove.insert(*id, i);
                names.insert(*id, name.clone());
            }
            (ChangeTarget::License(l), a) => {
                t.licenses.insert(*l, (a == Action::Add, i));
            }
            (ChangeTarget::Group { .. }, _) => {}
        }
    }
    for rw in plan.preconditions.role_rewrites.values() {
        // Ids ascend and names sort: they only pair up by name when there is one of each.
        if let ([id], [name]) = (rw.role_ids.as_slice(), rw.roles.as_slice()) {
            names.entry(*id).or_insert_with(|| name.clone());
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
        let plan_roles: Option<BTreeSet<u64>> = plan
            .preconditions
            .role_rewrites
            .get(&t.login)
            .filter(|rw| rw.user_id == user_id)
            .map(|rw| rw.role_ids.iter().copied().collect());
        let ctx = UserCtx {
            client,
            journal,
            user_id,
            names: names.clone(),
        };
        out.extend(ctx.write_user(&t, plan_roles.as_ref()).await);
    }
    out
}

struct UserCtx<'a> {
    client: &'a Client,
    journal: Option<&'a Journal>,
    user_id: u64,
    /// Role names by id, from the plan and the user's own record.
    names: BTreeMap<u64, String>,
}

impl UserCtx<'_> {
    fn role_names(&self, ids: &BTreeSet<u64>) -> String {
        role_names(&self.names, ids)
    }

    async fn write_user(
        mut self,
        t: &Todo,
        plan_roles: Option<&BTreeSet<u64>>,
    ) -> BTreeMap<usize, Outcome> {
        let client = self.client;
        let user_id = self.user_id;
        let role_indices: Vec<usize> = t
            .role_add
            .values()
            .chain(t.role_remove.values())
            .copied()
            .collect();
        let mut out = BTreeMap::new();
        let fail_all = |out: &mut BTreeMap<usize, Outcome>, why: &str| {
            for i in role_indices
                .iter()
                .chain(t.licenses.values().map(|(_, i)| i))
            {
                out.insert(*i, Outcome::Failed(why.to_string()));
            }
        };
        // What the user holds before anything is written: the whole list to expect after.
        let start = match client.read_user_access(user_id, false).await {
            Ok(a) => a,
            Err(e) => {
                fail_all(
                    &mut out,
                    &format!("could not read the user before writing; nothing was written: {e}"),
                );
                return out;
            }
        };
        for (id, name) in &start.role_names {
            self.names.entry(*id).or_insert_with(|| name.clone());
        }
        let start_roles = match (&start.roles, role_indices.is_empty()) {
            (Some(r), _) => Some(r.clone()),
            (None, true) => None,
            (None, false) => {
                fail_all(&mut out, "Coupa's answer did not include the user's roles, so what they hold is unknown; nothing was written");
                return out;
            }
        };
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
        let add: BTreeSet<u64> = t.role_add.keys().copied().collect();
        let remove: BTreeSet<u64> = t.role_remove.keys().copied().collect();
        let role_err = if role_indices.is_empty() {
            None
        } else if remove.is_empty() {
            client
                .put_user_list(user_id, UserList::Roles, &add)
                .await
                .err()
                .map(|e| e.to_string())
        } else {
            let must_hold = plan_roles.cloned().unwrap_or_default();
            rewrite(
                client,
                self.journal,
                &start,
                &t.login,
                UserList::Roles,
                &remove,
                &add,
                &MustHold {
                    ids: must_hold,
                    source: "the plan's read",
                },
            )
            .await
            .err()
        };
        let now = client.read_user_access(user_id, false).await;
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
                for i in &role_indices {
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
        if let Some(start_roles) = start_roles {
            let expected: BTreeSet<u64> = start_roles
                .difference(&remove)
                .chain(&add)
                .copied()
                .collect();
            let outcome = self
                .verify_roles(&now, &start_roles, &expected, role_err)
                .await;
            if role_indices.is_empty() {
                // A license update that cost a role is not a success either.
                if let Outcome::Failed(why) = &outcome {
                    for (_, i) in t.licenses.values() {
                        out.insert(
                            *i,
                            Outcome::Failed(format!(
                                "the license update changed the user's roles: {why}"
                            )),
                        );
                    }
                }
            }
            for i in &role_indices {
                out.insert(*i, outcome.clone());
            }
        }
        out
    }

    /// Compares the user's whole role list with `expected`. A role they held and should keep
    /// but lack is given back (an additive update), and the changes still fail, naming it.
    async fn verify_roles(
        &self,
        now: &UserAccess,
        start: &BTreeSet<u64>,
        expected: &BTreeSet<u64>,
        role_err: Option<String>,
    ) -> Outcome {
        let Some(held) = &now.roles else {
            return Outcome::Failed(
                "Coupa's answer did not include the user's roles when read back, so the write cannot be verified".into(),
            );
        };
        if held == expected {
            return Outcome::Verified;
        }
        let missing: BTreeSet<u64> = expected.difference(held).copied().collect();
        let unexpected: BTreeSet<u64> = held.difference(expected).copied().collect();
        let mut why = role_err.unwrap_or_else(|| "Coupa accepted the update".into());
        if !unexpected.is_empty() {
            why.push_str(&format!(
                "; the user still holds {}",
                self.role_names(&unexpected)
            ));
        }
        // Roles lost as a side effect: held before, meant to be kept.
        let lost: BTreeSet<u64> = missing.intersection(start).copied().collect();
        let not_added: BTreeSet<u64> = missing.difference(start).copied().collect();
        if !not_added.is_empty() {
            why.push_str(&format!(
                "; the user lacks {} (to be added)",
                self.role_names(&not_added)
            ));
        }
        if !lost.is_empty() {
            let given_back = async {
                self.client
                    .put_user_list(self.user_id, UserList::Roles, &lost)
                    .await?;
                let again = self.client.read_user_access(self.user_id, false).await?;
                Ok::<_, CoupaError>(again.roles.is_some_and(|r| r.is_superset(&lost)))
            };
            match given_back.await {
                Ok(true) => why.push_str(&format!(
                    "; the user lost {} as a side effect, and it was given back",
                    self.role_names(&lost)
                )),
                Ok(false) | Err(_) => why.push_str(&format!(
                    "; the user is now MISSING {} they held before — give it back in Coupa (Setup > Users)",
                    self.role_names(&lost)
                )),
            }
        }
        Outcome::Failed(why)
    }
}

fn role_names(names: &BTreeMap<u64, String>, ids: &BTreeSet<u64>) -> String {
    let list: Vec<String> = ids
        .iter()
        .map(|id| match names.get(id) {
            Some(n) => format!("{} (#{id})", printable_str(n)),
            None => format!("role #{id}"),
        })
        .collect();
    list.join(", ")
}

/// What other sources say the user holds: a fresh list that lacks any of it is partial, and a
/// clear would drop what it does not show.
pub(super) struct MustHold {
    pub ids: BTreeSet<u64>,
    /// Where the ids come from, for the message.
    pub source: &'static str,
}

/// Removes `remove` from the user's `list` (and adds `add`) by clear-then-set under the
/// journal, starting from `fresh` (read just before). Errors are the reason shown for the
/// changes; the user's list is then either restored, or recorded in the journal (the next plan
/// shows the restore), and the message names what the user is missing.
#[allow(clippy::too_many_arguments)]
pub(super) async fn rewrite(
    client: &Client,
    journal: Option<&Journal>,
    fresh: &UserAccess,
    login: &str,
    list: UserList,
    remove: &BTreeSet<u64>,
    add: &BTreeSet<u64>,
    must_hold: &MustHold,
) -> Result<(), String> {
    let key = list.key();
    let Some(before) = list.of(fresh).cloned() else {
        return Err(format!(
            "Coupa's answer did not include the user's {key}, so a clear would drop what it does not show; nothing was written"
        ));
    };
    let unseen: BTreeSet<u64> = must_hold.ids.difference(&before).copied().collect();
    if !unseen.is_empty() {
        return Err(format!(
            "Coupa's answer of the user's {key} lacks {} that {} shows; a clear would drop them, so nothing was written",
            coupa_access_core::model::id_list(&unseen),
            must_hold.source
        ));
    }
    let after: BTreeSet<u64> = before.difference(remove).chain(add).copied().collect();
    if after == before {
        return Ok(());
    }
    if before.is_disjoint(remove) {
        // Nothing to take away after all: an additive update is enough.
        return client
            .put_user_list(fresh.id, list, add)
            .await
            .map_err(|e| e.to_string());
    }
    let Some(journal) = journal else {
        return Err(format!(
            "removing from {key} needs a clear-then-set, and no journal is open; nothing was written"
        ));
    };
    journal
        .begin(Entry::new(
            fresh.id,
            login,
            list,
            before.clone(),
            after.clone(),
        ))
        .map_err(|e| format!("nothing was written: {e}"))?;
    let cleared = clear(client, fresh.id, list, &before).await;
    match cleared {
        Cleared::Yes => {}
        Cleared::Unchanged(why) => {
            // Nothing was taken away: the entry has nothing to recover.
            if let Err(e) = journal.finish(fresh.id, list) {
                tracing::warn!("{e}");
            }
            return Err(why);
        }
        Cleared::Unknown(why) => {
            return Err(restore(client, journal, fresh.id, list, &before, why).await)
        }
    }
    let set = async {
        if !after.is_empty() {
            client
                .put_user_list(fresh.id, list, &after)
                .await
                .map_err(|e| format!("setting {key} again after the clear: {e}"))?;
        }
        let held = read_list(client, fresh.id, list)
            .await
            .map_err(|e| format!("reading {key} back: {e}"))?;
        if held != after {
            return Err(format!(
                "after clear-then-set the user holds {key} {}, not {}",
                coupa_access_core::model::id_list(&held),
                coupa_access_core::model::id_list(&after)
            ));
        }
        if list == UserList::UserGroups {
            // The view could be partial: the membership rows are the proof.
            let expected: BTreeSet<u64> = must_hold
                .ids
                .difference(remove)
                .chain(add)
                .copied()
                .collect();
            let rows = membership_groups(client, fresh.id).await?;
            if !rows.is_superset(&expected) {
                return Err(format!(
                    "after clear-then-set the user's membership rows lack groups {}",
                    coupa_access_core::model::id_list(
                        &expected.difference(&rows).copied().collect()
                    )
                ));
            }
        }
        Ok(())
    };
    match set.await {
        Ok(()) => {
            // The write is done; a journal that cannot be tidied only makes the next run
            // check this user again.
            if let Err(e) = journal.finish(fresh.id, list) {
                tracing::warn!("{e}");
            }
            Ok(())
        }
        Err(why) => Err(restore(client, journal, fresh.id, list, &before, why).await),
    }
}

/// How a clear went.
enum Cleared {
    /// The list changed (is empty, or at least lost something).
    Yes,
    /// Coupa refused or ignored both spellings and the list is as it was: nothing to restore.
    Unchanged(String),
    /// It may or may not have changed: restore.
    Unknown(String),
}

/// Clears the list, checks it took (re-read), and tries the other spelling when Coupa
/// accepted a clear that changed nothing; remembers the spelling that worked.
async fn clear(client: &Client, user_id: u64, list: UserList, before: &BTreeSet<u64>) -> Cleared {
    let key = list.key();
    let first = client.clear_spelling();
    let mut tried = Vec::new();
    for spelling in [first, first.other()] {
        tried.push(spelling.json());
        let sent = client.clear_user_list(user_id, list, spelling).await;
        let held = match read_list(client, user_id, list).await {
            Ok(h) => h,
            Err(e) => {
                return Cleared::Unknown(format!(
                    "clearing {key}: could not read the user back ({e})"
                ))
            }
        };
        if held != *before {
            client.remember_clear_spelling(spelling);
            return Cleared::Yes;
        }
        match sent {
            Ok(()) => continue,
            Err(e) if is_definitive(&e) => {
                return Cleared::Unchanged(format!(
                    "Coupa refused to clear {key} ({e}); the user's {key} are unchanged"
                ))
            }
            Err(e) => {
                return Cleared::Unchanged(format!(
                    "clearing {key} failed ({e}); the user's {key} are unchanged"
                ))
            }
        }
    }
    Cleared::Unchanged(format!(
        "Coupa accepted a clear of {key} but changed nothing (tried {}); nothing was removed",
        tried.join(" and ")
    ))
}

/// A 4xx Coupa answered: the request was judged and refused, nothing was done.
fn is_definitive(e: &CoupaError) -> bool {
    matches!(
        e,
        CoupaError::Rejected { .. } | CoupaError::Forbidden { .. }
    )
}

/// The user's `list`, read fresh; an answer without it is an error.
pub(super) async fn read_list(
    client: &Client,
    user_id: u64,
    list: UserList,
) -> Result<BTreeSet<u64>, String> {
    let a = client
        .read_user_access(user_id, list.needs_groups())
        .await
        .map_err(|e| e.to_string())?;
    list.of(&a)
        .cloned()
        .ok_or_else(|| format!("Coupa's answer did not include the user's {}", list.key()))
}

/// The groups (and projects) of the user's membership rows.
pub(super) async fn membership_groups(
    client: &Client,
    user_id: u64,
) -> Result<BTreeSet<u64>, String> {
    client
        .read_user_memberships(user_id)
        .await
        .map(|rows| rows.iter().map(|m| m.group_id).collect())
        .map_err(|e| format!("could not read the user's memberships: {e}"))
}

/// Puts `before` back after a failed clear-then-set; the message says how it ended and names
/// what the user is missing when the restore did not take.
async fn restore(
    client: &Client,
    journal: &Journal,
    user_id: u64,
    list: UserList,
    before: &BTreeSet<u64>,
    why: String,
) -> String {
    let key = list.key();
    let restored = async {
        client
            .put_user_list(user_id, list, before)
            .await
            .map_err(|e| e.to_string())?;
        read_list(client, user_id, list).await
    };
    match restored.await {
        Ok(held) if held.is_superset(before) => {
            if let Err(e) = journal.finish(user_id, list) {
                tracing::warn!("{e}");
            }
            format!("{why}; the {key} held before were restored")
        }
        Ok(held) => format!(
            "{why}; restoring did not take: the user is now MISSING {key} {}; the journal {} keeps what they held and the next plan shows the restore",
            coupa_access_core::model::id_list(&before.difference(&held).copied().collect()),
            printable_str(&journal.path().display().to_string())
        ),
        Err(e) => format!(
            "{why}; restoring failed too ({e}): the user may be MISSING {key} {}; the journal {} keeps what they held and the next plan shows the restore",
            coupa_access_core::model::id_list(before),
            printable_str(&journal.path().display().to_string())
        ),
    }
}
