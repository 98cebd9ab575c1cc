//! coupa-access: Coupa user groups, roles and licenses as code.
//!
//! Layout (a pure core with I/O at the edges):
//! - [`model`]: plain data — `Live` (what Coupa holds), `Desired` (what policy asks), `Plan`.
//! - [`policy`]: reads and validates policy YAML into `Desired`, with miette diagnostics.
//! - [`plan`]: `diff(&Desired, &Live) -> Plan`, pure.
//! - [`render`]: `&Plan -> String` as text, JSON or markdown, pure.
//! - [`coupa`]: the HTTP client for Coupa's REST API (auth, paging, rate limit, retries).
//! - [`sandbox`]: a local Coupa-compatible API server for the demo, tests and benchmarks.
//! - [`apply`]: executes a plan through the client and verifies it.
//! - [`cli`] and [`cmd`]: argument parsing and one module per command.
//!
//! The library never prints; only the binary does.

pub mod apply;
pub mod cli;
pub mod cmd;
pub mod coupa;
pub mod model;
pub mod plan;
pub mod policy;
pub mod render;
pub mod sandbox;
