//! The planner: [`make`] (the plan use case: check, diff, guards, stamp) over `diff(&Desired,
//! &Live)`, pure and deterministic, plus the member-set fingerprints `apply` uses for stale
//! detection and the removal guards.
//!
//! Semantics in short:
//! - Only declared targets are managed; anything the policy does not name is left alone.
//! - Authoritative targets add listed members who lack them and remove live holders not listed;
//!   additive ones (and `implicit` targets, named only from the `users:` form) only add.
//! - Protected users are never removed from anything (a warning says what was kept).
//! - Warnings are typed ([`crate::model::Warning`]) and come one per fact: an inactive user the
//!   plan adds gets one warning naming every target.
//! - Changes of the kinds in `settings.writes` apply (groups by default); the rest are
//!   reported only. A role removal records the user's live roles (`preconditions.role_rewrites`).
//! - Duplicated live memberships (one user twice in a group): never a second add; an authoritative
//!   removal removes every one of that user's membership ids (otherwise the user would still be a
//!   member), and a kept duplicate is left alone with a warning.

pub mod accept;
pub mod changed;
mod decided;
mod error;
mod fingerprint;
mod guards;
mod make;
mod managed;
mod needed_users;
mod planner;
mod rewrites;
pub mod sod;

#[cfg(test)]
mod tests;

pub use decided::Decided;
pub use error::PlanError;
pub use fingerprint::fingerprint;
pub use guards::{check_guards, GroupRemovals, GuardViolation};
pub use make::{make, PlanFailure, Planned};
pub use managed::ManagedGroups;
pub use needed_users::UsersNeeded;
pub use planner::{diff, diff_bound, diff_with, Diff};
