//! Lookups built over the model for speed, once per plan: a 100k-user tenant is searched by
//! name, login, email and id hundreds of thousands of times. The model ([`crate::model`]) holds
//! the data; this module holds only what is derived from it to find things fast:
//!
//! - [`LiveIndex`] (`live_index.rs`): case-insensitive lookups of users, groups and roles over a
//!   `Live`, with `by_id.rs` finding records by id;
//! - [`Listings`] (`listings.rs`): every member listing of a policy resolved against the index
//!   once, for the check and the diff together.
//!
//! The compact storage of the model's fields is in [`crate::compact`].

mod by_id;
mod listings;
mod live_index;

pub use listings::{Listed, Listings};
pub use live_index::*;
