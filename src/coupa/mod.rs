//! The HTTP client for Coupa's REST API.

pub mod wire;
