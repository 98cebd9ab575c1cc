//! Users whose roles apply never clears: removing a role is clear-then-set in Coupa, and for
//! these users even a moment without roles does harm.

use crate::index::LiveIndex;
use crate::model::User;

/// Why `user`'s roles must never be cleared, even for a moment, if so: an API (integration)
/// user — the OAuth client's own account is one, and an integration left roleless stops
/// working — or the only active holder of an omnipotent role (clearing would leave the tenant
/// with no admin until the set). Apply removes none of such a user's roles.
pub fn roles_not_cleared(ix: &LiveIndex<'_>, user: &User) -> Option<String> {
    if user.api_user {
        return Some("is an API (integration) user".to_string());
    }
    if !user.active {
        // An inactive user cannot be anyone's way in: clearing their roles locks no one out.
        return None;
    }
    ix.live
        .roles
        .iter()
        .filter(|r| r.omnipotent && user.roles.contains(&r.id))
        .find(|r| {
            ix.live
                .users
                .iter()
                .filter(|u| u.active && u.roles.contains(&r.id))
                .all(|u| u.id == user.id)
        })
        .map(|r| {
            format!(
                "is the only active holder of the omnipotent role {}",
                r.name
            )
        })
}
