//! Compact storage for the model's fields: a 100k-user tenant holds hundreds of thousands of
//! small sets and short strings, and a heap allocation each was a large part of a plan's memory.
//! Each type reads and (de)serializes like the standard type it replaces, so the model
//! ([`crate::model`]) and the files it is read from and written to do not see the difference:
//!
//! - [`IdSet`] and [`LicenseSet`] (`sets.rs`): a user's roles and licenses;
//! - [`InlineText`], [`ShortText`] and [`StampText`] (`short_text.rs`): names and timestamps
//!   kept inline up to a few dozen bytes.
//!
//! The lookups built over the model are in [`crate::index`].

mod sets;
mod short_text;

pub use sets::*;
pub use short_text::{InlineText, ShortText, StampText};
