//! Plain data shared by every layer: what Coupa holds (`Live`), what the policy files ask for
//! (`Desired`) and what must change (`Plan`). No I/O here.

mod desired;
mod license;
mod live;
mod name_key;
mod plan;

pub use desired::*;
pub use license::*;
pub use live::*;
pub use name_key::NameKey;
pub use plan::*;
