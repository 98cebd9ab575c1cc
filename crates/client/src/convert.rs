//! Wire -> model, in one place: license flags, role ids, groups vs projects.

use std::collections::BTreeSet;

use coupa_access_core::model::{Group, License, Live, Membership, Role, Unread, User};

use super::wire::{WireMembership, WireRole, WireUser, WireUserGroup};

/// Why a record could not be used.
pub(crate) type Bad = String;

/// Which list a bad record came from, and why it could not be used.
pub(crate) type BadIn = (&'static str, Bad);

/// A user; `id` and `login` are required. License flags `<key>-user: true` become
/// `licenses`; roles become role ids.
pub(crate) fn user(w: WireUser) -> Result<User, Bad> {
    let id = w.id.ok_or("a user without an id")?;
    let login = w
        .login
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format!("user {id} has no login"))?;
    let licenses = License::ALL
        .into_iter()
        .filter(|l| is_true(w.other.get(&l.wire_field())))
        .collect();
    // Every read asks for `roles` and each license flag: one left out is unknown, not false.
    let unread = Unread {
        roles: w.roles.is_none(),
        licenses: License::ALL
            .into_iter()
            .filter(|l| w.other.get(&l.wire_field()).is_none())
            .collect(),
    };
    let roles = w
        .roles
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.id)
        .collect();
    Ok(User {
        id,
        login,
        email: w.email.unwrap_or_default(),
        firstname: w.firstname.map(Into::into),
        lastname: w.lastname.map(Into::into),
        fullname: w.fullname.map(Into::into),
        // Coupa always sends `active`; a user is active unless it says otherwise.
        active: w.active.unwrap_or(true),
        roles,
        licenses,
        supplier: w.supplier_user.unwrap_or(false),
        api_user: w.api_user.unwrap_or(false),
        unread,
    })
}

fn is_true(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A role; `id` and `name` are required.
pub(crate) fn role(w: WireRole) -> Result<Role, Bad> {
    let id = w.id.ok_or("a role without an id")?;
    Ok(Role {
        id,
        name: w.name.ok_or_else(|| format!("role {id} has no name"))?,
        description: w.description.filter(|d| !d.is_empty()),
        omnipotent: w.omnipotent.unwrap_or(false),
        system_role: w.system_role.unwrap_or(false),
    })
}

/// True when a user group record is a plain group (`type` blank); anything else
/// (`Project`) is kept apart.
pub(crate) fn is_plain_group(w: &WireUserGroup) -> bool {
    w.kind.as_deref().is_none_or(|k| k.trim().is_empty())
}

/// A group or project; `id` and `name` are required.
pub(crate) fn group(w: WireUserGroup) -> Result<Group, Bad> {
    let id = w.id.ok_or("a user group without an id")?;
    Ok(Group {
        id,
        name: w
            .name
            .ok_or_else(|| format!("user group {id} has no name"))?,
        description: w.description.filter(|d| !d.is_empty()),
        active: w.active.unwrap_or(true),
    })
}

/// A membership; `id`, `user-id` and `user-group-id` are required.
pub(crate) fn membership(w: WireMembership) -> Result<Membership, Bad> {
    let id = w.id.ok_or("a membership without an id")?;
    Ok(Membership {
        id,
        user_id: w
            .user_id
            .ok_or_else(|| format!("membership {id} has no user-id"))?,
        group_id: w
            .user_group_id
            .ok_or_else(|| format!("membership {id} has no user-group-id"))?,
        created_at: w.created_at.map(Into::into),
        owner: w.owner.unwrap_or(false),
        participant: w.participant,
    })
}

fn is_project_membership(w: &WireMembership) -> bool {
    w.user_group_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("project"))
}

/// A membership row converted as its page arrives: a plain one in the model, or only the
/// group id of a row Coupa calls a project's (that group is a project; its rows are dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Row {
    Plain(Membership),
    Project(Option<u64>),
}

impl Row {
    /// The user of a plain row.
    pub(crate) fn user_id(&self) -> Option<u64> {
        match self {
            Row::Plain(m) => Some(m.user_id),
            Row::Project(_) => None,
        }
    }

    /// The group the row belongs to, when known.
    pub(crate) fn group_id(&self) -> Option<u64> {
        match self {
            Row::Plain(m) => Some(m.group_id),
            Row::Project(g) => *g,
        }
    }
}

/// A membership row; a project's is not checked further (it is dropped).
pub(crate) fn row(w: WireMembership) -> Result<Row, Bad> {
    if is_project_membership(&w) {
        return Ok(Row::Project(w.user_group_id));
    }
    membership(w).map(Row::Plain)
}

/// Assembles `Live` from records converted as they were read: projects go to
/// `Live::projects`, and only memberships of plain groups are kept (a group any membership
/// calls a `Project` is treated as a project too).
pub(crate) fn live(
    users: Vec<User>,
    user_groups: Vec<WireUserGroup>,
    roles: Vec<WireRole>,
    rows: Vec<Row>,
) -> Result<Live, BadIn> {
    let project_ids_from_memberships: BTreeSet<u64> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Project(g) => *g,
            Row::Plain(_) => None,
        })
        .collect();
    let (groups, projects) = split_groups(user_groups, &project_ids_from_memberships)?;
    let group_ids: BTreeSet<u64> = groups.iter().map(|g| g.id).collect();
    // Memberships of groups outside `groups` (projects, or a group created mid-read) cannot
    // be planned against.
    let memberships = rows
        .into_iter()
        .filter_map(|r| match r {
            Row::Plain(m) if group_ids.contains(&m.group_id) => Some(m),
            _ => None,
        })
        .collect();
    Ok(Live {
        users,
        groups,
        projects,
        roles: self::roles(roles)?,
        memberships,
    })
}

/// User group records as plain groups and projects: a record typed other than blank, or a
/// group any membership row calls a `Project` (`project_ids`), is a project.
pub(crate) fn split_groups(
    user_groups: Vec<WireUserGroup>,
    project_ids: &BTreeSet<u64>,
) -> Result<(Vec<Group>, Vec<Group>), BadIn> {
    let mut groups = Vec::new();
    let mut projects = Vec::new();
    for g in user_groups {
        let plain = is_plain_group(&g) && !g.id.is_some_and(|id| project_ids.contains(&id));
        let g = group(g).map_err(|b| ("/api/user_groups", b))?;
        if plain {
            groups.push(g);
        } else {
            projects.push(g);
        }
    }
    Ok((groups, projects))
}

/// Wire roles converted.
pub(crate) fn roles(wire: Vec<WireRole>) -> Result<Vec<Role>, BadIn> {
    wire.into_iter()
        .map(role)
        .collect::<Result<_, _>>()
        .map_err(|b| ("/api/roles", b))
}

/// Wire membership rows converted (a scoped read's, converted once read).
pub(crate) fn rows(wire: Vec<WireMembership>) -> Result<Vec<Row>, BadIn> {
    wire.into_iter()
        .map(row)
        .collect::<Result<_, _>>()
        .map_err(|b| ("/api/user_group_memberships", b))
}

/// Wire users converted (a scoped read's, converted once read).
pub(crate) fn users(wire: impl IntoIterator<Item = WireUser>) -> Result<Vec<User>, BadIn> {
    wire.into_iter()
        .map(user)
        .collect::<Result<_, _>>()
        .map_err(|b| ("/api/users", b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_license_flags_and_roles() {
        let w: WireUser = serde_json::from_value(serde_json::json!({
            "id": 7, "login": "alice", "email": "a@x", "active": false,
            "expense-user": true, "purchasing-user": false, "spend-guard-user": true,
            "category-planner-user": true,
            "roles": [{"id": 4, "name": "Buyer"}, {"id": 1, "name": "Admin"}]
        }))
        .unwrap();
        let u = user(w).unwrap();
        assert_eq!(u.id, 7);
        assert!(!u.active);
        assert_eq!(
            u.licenses.into_iter().collect::<Vec<_>>(),
            vec![License::Expense, License::SpendGuard]
        );
        assert_eq!(u.roles.into_iter().collect::<Vec<_>>(), vec![1, 4]);
    }

    #[test]
    fn projects_are_kept_apart_with_their_memberships() {
        let g = |id: u64, kind: Option<&str>| WireUserGroup {
            id: Some(id),
            name: Some(format!("g{id}")),
            kind: kind.map(String::from),
            ..Default::default()
        };
        let m = |id: u64, gid: u64, t: Option<&str>| WireMembership {
            id: Some(id),
            user_id: Some(1),
            user_group_id: Some(gid),
            user_group_type: t.map(String::from),
            ..Default::default()
        };
        let live = live(
            vec![],
            vec![
                g(1, None),
                g(2, Some("")),
                g(3, Some("Project")),
                g(4, None),
            ],
            vec![],
            rows(vec![
                m(10, 1, Some("UserGroup")),
                m(11, 2, None),
                m(12, 3, None),
                // Group 4 has no type in its record, but its membership says Project.
                m(13, 4, Some("Project")),
            ])
            .unwrap(),
        )
        .unwrap();
        let ids = |gs: &[Group]| gs.iter().map(|g| g.id).collect::<Vec<_>>();
        assert_eq!(ids(&live.groups), vec![1, 2]);
        assert_eq!(ids(&live.projects), vec![3, 4]);
        assert_eq!(
            live.memberships.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![10, 11]
        );
    }
}
