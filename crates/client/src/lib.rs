//! The HTTP client for Coupa's REST API.
//!
//! - [`connection`](Connection): domain normalisation and client secret resolution.
//! - `auth`: OAuth2 client credentials, token cache.
//! - `limiter` + `retry` + `send`: the single request path (one shared token bucket,
//!   retries with backoff, 401 -> one token refetch).
//! - `read`: `read_live` / `read_live_scoped` ([`ReadScope`]); `scan`: keyset paging, split
//!   into concurrent id ranges for large resources; `scope`: memberships of named groups only.
//! - `write`: membership create/delete that never blindly resends a write whose outcome is
//!   unknown.
//! - `convert`: wire -> model, in one place. `wire`: Coupa's JSON shapes.
#![forbid(unsafe_code)]

pub mod apply;
mod auth;
mod client;
mod connection;
mod convert;
mod error;
mod limiter;
mod read;
mod retry;
mod scan;
mod scope;
mod send;
pub mod wire;
mod write;

pub use client::{Access, Client, ClientOptions, ClientStats, ReadProgress};
pub use connection::{resolve_client_secret, Connection};
pub use error::{ConfigError, CoupaError};
pub use scope::{GroupFilter, ReadScope};
