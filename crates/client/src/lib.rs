//! The HTTP client for Coupa's REST API.
//!
//! - [`connection`](Connection): domain normalisation.
//! - `auth`: OAuth2 client credentials, token cache.
//! - `request`: the one request loop (reads, writes, the token request), executing the rules
//!   of `decide` (retry, back off, pause everyone on 429, wait out a young token,
//!   re-authenticate, unknown outcome for writes); `transport` one attempt with capped bodies;
//!   `limiter` the shared token bucket; `retry` backoff and `Retry-After`; `status` final
//!   answers as errors; `token` the token answer's checks; `redact` secrets out of quoted text.
//! - `read`: `read_live` / `read_live_scoped` ([`ReadScope`]); `scan`: keyset paging, split
//!   into concurrent id ranges for large resources; `scope`: memberships of named groups only.
//! - `plan_read`: a plan's read, each part scoped or full, whichever `choose` expects to
//!   take fewer requests (the same records either way).
//! - `users`: the users a scoped plan needs, by id, login and email batches, verified, falling
//!   back to every user when an answer cannot be trusted.
//! - `write`: membership create/delete that never blindly resends a write whose outcome is
//!   unknown.
//! - `user_writes`: one user's roles, licenses and `user-groups`, read and updated (idempotent
//!   PUTs).
//! - `graphql`: full reads through Coupa's GraphQL endpoint (users with roles and groups
//!   nested), proven against a REST sample every run, REST otherwise ([`ReadPath`]).
//! - `convert`: wire -> model, in one place. `wire`: Coupa's JSON shapes.
#![forbid(unsafe_code)]

pub mod apply;
mod auth;
mod choose;
mod client;
mod connection;
mod convert;
mod decide;
mod early;
mod error;
mod graphql;
mod limiter;
mod listings;
mod plan_read;
mod read;
mod redact;
mod request;
mod retry;
mod scan;
mod scope;
mod spool;
mod status;
mod streamed;
mod token;
mod transport;
mod user_writes;
mod users;
pub mod wire;
mod write;

#[cfg(test)]
mod proptests;

pub use choose::ReadWay;
pub use client::{Access, Client, ClientOptions, ClientStats, ReadProgress};
pub use connection::Connection;
pub use error::{ConfigError, CoupaError};
pub use graphql::{FullRead, ReadPath};
pub use listings::ListingRead;
pub use scope::{GroupFilter, ReadScope};
pub use spool::{Run, Spool};
pub use streamed::Streamed;
pub use user_writes::{ClearSpelling, UserAccess, UserList};
