//! coupa-access-core: the pure core of coupa-access. Plain functions over plain data, no I/O:
//! this crate depends on no async runtime, HTTP or terminal crate, and never prints.
//!
//! - [`model`]: plain data — `Live` (what Coupa holds), `Desired` (what policy asks), `Plan`
//!   with typed targets, warnings and origin, and the plan JSON (written and read).
//! - [`index`]: lookups built over the model for speed (`LiveIndex`, resolved `Listings`).
//! - [`compact`]: compact storage of the model's fields (role and license sets, inline text).
//! - [`policy`]: policy YAML from in-memory files into `Desired`, with miette diagnostics, and
//!   the checks of a `Desired` against `Live`.
//! - [`plan`]: the plan use case `make(&Desired, &Live, Origin, now) -> Plan` (check, diff,
//!   guards, stamp; the caller's clock), the removal guards, fingerprints.
//! - [`drift`]: extra and missing access per target and person, coverage, recent memberships.
//! - [`export`]: `&Live -> policy YAML` that reproduces it (bootstrap a policy repository).
//! - [`render`]: `&Plan -> String` as text, JSON or markdown.
//! - [`evidence`]: apply receipts (sealed with canonical SHA-256 digests) and approvals.
//! - [`snapshot`]: the snapshot file: live state with its source instance and time, and its
//!   manifest.
//! - [`report`]: `report access`: holders joined with their policy lines and git provenance.
//! - [`CliWords`]: the binary's spelling of the commands and flags library messages point to.
#![forbid(unsafe_code)]

pub mod bind;
mod cli_words;
pub mod compact;
pub mod drift;
pub mod evidence;
pub mod export;
pub mod index;
pub mod model;
pub mod plan;
pub mod policy;
pub mod render;
pub mod report;
pub mod snapshot;
#[cfg(test)]
mod testkit;

pub use cli_words::CliWords;
