//! Coupa's objects as the sandbox sends them, defined here from Coupa's R39 OpenAPI file
//! (`User`, `UserGroup`, `UserGroupMembership`, `Role`, `UserSimple`; see `docs/coupa-api.md`),
//! not borrowed from the client: the sandbox models Coupa on its own, and a contract test
//! (`tests/it/sandbox_contract.rs`) decodes its answers with the client's types.
//!
//! Keys are dash-case. Coupa sends an absent optional value as `null`, not as a missing key,
//! so optional fields serialize as `null` unless said otherwise. Only the fields the sandbox
//! models are here; a real tenant sends many more.

use std::collections::BTreeMap;

use serde::Serialize;

/// A `Role`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Role<'a> {
    pub id: u64,
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// True for Coupa's Admin role: it holds every permission.
    pub omnipotent: bool,
    pub system_role: bool,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

/// A `UserGroup`: groups and projects share it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct UserGroup<'a> {
    pub id: u64,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub active: bool,
    /// `null` for groups, `Project` for projects.
    #[serde(rename = "type")]
    pub kind: Option<&'a str>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

/// A `UserSimple`: a user as nested in memberships and group member lists.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UserSimple<'a> {
    pub id: u64,
    pub login: &'a str,
    pub email: &'a str,
    pub firstname: Option<&'a str>,
    pub lastname: Option<&'a str>,
    pub fullname: Option<&'a str>,
}

/// A group as nested in a membership (`user-group`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GroupRef<'a> {
    pub id: u64,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub kind: Option<&'a str>,
}

/// A `UserGroupMembership`, with its user and group nested as Coupa nests associations.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct Membership<'a> {
    pub id: u64,
    pub user_id: u64,
    pub user_group_id: u64,
    /// `UserGroup` or `Project`.
    pub user_group_type: &'a str,
    /// The user is an admin of the group.
    pub owner: bool,
    /// Left out when the tenant does not say (the sample tenant's older rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<bool>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    pub user: Option<UserSimple<'a>>,
    pub user_group: Option<GroupRef<'a>>,
}

/// A `User`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct User<'a> {
    pub id: u64,
    pub login: &'a str,
    pub email: &'a str,
    pub firstname: Option<&'a str>,
    pub lastname: Option<&'a str>,
    pub fullname: Option<&'a str>,
    pub active: bool,
    /// Sent only when `fields=` does not trim it away.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role<'a>>>,
    /// Sent only when `fields=` asks for it by name (a newer association).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_groups: Option<Vec<UserGroup<'a>>>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    /// A Coupa Supplier Portal account (read-only).
    pub supplier_user: bool,
    /// An API (integration) user (read-only).
    pub api_user: bool,
    /// Read-only: not one of the writable license flags.
    pub category_planner_user: bool,
    /// The writable `*-user` license flags, by their key (`expense-user`).
    #[serde(flatten)]
    pub licenses: BTreeMap<String, bool>,
}

/// Every scope the sandbox knows, as Coupa's OAuth2 client page grants them; a rehearsal
/// client is granted all of them by default.
pub(crate) const ALL_SCOPES: &[&str] = &[
    "core.common.read",
    "core.user.read",
    "core.user_group.read",
    "core.user.write",
    "core.user_group.write",
];
