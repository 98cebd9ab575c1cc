//! Plain data shared by every layer: what Coupa holds (`Live`), what the policy files ask for
//! (`Desired`) and what must change (`Plan`). No I/O here. The lookups built over these types
//! for speed live in [`crate::index`], and the compact storage of their fields in
//! [`crate::compact`].

mod declared;
mod desired;
mod license;
mod live;
mod locate;
mod name_key;
mod origin;
mod plan;
mod plan_json;
mod read_via;
mod restore;
mod scope;
mod target;
pub mod time;
mod warning;
mod writes;

pub use declared::Declared;
pub use desired::*;
pub use license::*;
pub use live::*;
pub use locate::Locator;
pub(crate) use locate::{column_of, line_starts};
pub use name_key::NameKey;
pub use origin::*;
pub use plan::*;
pub use plan_json::*;
pub use read_via::*;
pub use restore::*;
pub use scope::*;
pub use target::*;
pub use warning::*;
pub use writes::*;
