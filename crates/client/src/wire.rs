//! Coupa's JSON shapes (dash-case keys) as the client reads and writes them. Field names follow
//! Coupa's R39 OpenAPI file (`docs/coupa-api.md`). The sandbox defines its own; a contract test
//! (`tests/it/sandbox_contract.rs`) decodes its answers with these. Only fields coupa-access uses
//! are typed; Coupa sends many more, which are ignored when reading. Every field is optional on
//! read because `fields=` trimming and `return_object` may leave any of them out.

use serde::{Deserialize, Serialize};

/// A Coupa `Role` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct WireRole {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omnipotent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_role: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A reference to an object by id, as used in `PUT /api/users/:id {"roles": [{"id": 4}]}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: u64,
}

/// A Coupa `UserGroup` object (groups and projects share it; `type` is `Project` for projects).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct WireUserGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Blank (null or "") for groups, `Project` for projects.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A Coupa `UserGroupMembership` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct WireMembership {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_group_id: Option<u64>,
    /// `UserGroup` or `Project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_group_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// A Coupa `User` object. License flags are the 15 writable `*-user` booleans; they are held
/// in `licenses` by wire name (`expense-user`) so the list lives in one place (`License`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct WireUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<WireRole>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_groups: Option<Vec<WireUserGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// A Coupa Supplier Portal account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_user: Option<bool>,
    /// An API (integration) user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_user: Option<bool>,
    /// `*-user` license flags and any other boolean/unknown fields, by wire name.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Coupa's validation error body: `{"errors": {"user": ["Login has already been taken"]}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WireErrors {
    pub errors: serde_json::Map<String, serde_json::Value>,
}

/// The OAuth2 token endpoint's answer. Only `access_token` must be there; the rest is read
/// loosely (a number may come as a string) and range-checked by the client. `Debug` hides the
/// token.
#[derive(Clone, Deserialize, Serialize)]
pub struct WireToken {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<serde_json::Value>,
}

impl std::fmt::Debug for WireToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireToken")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The scope of `GET /api/roles`.
pub const ROLES_SCOPE: &str = "core.common.read";
/// Scopes: reads need these.
pub const READ_SCOPES: &[&str] = &["core.common.read", "core.user.read", "core.user_group.read"];
/// Writes need this too: group memberships.
pub const WRITE_SCOPES: &[&str] = &["core.user_group.write"];
/// User updates (roles, licenses, `user-groups`): asked for only when apply writes them.
pub const USER_WRITE_SCOPE: &str = "core.user.write";
