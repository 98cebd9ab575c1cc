//! Plain data shared by every layer: what Coupa holds (`Live`), what the policy files ask for
//! (`Desired`) and what must change (`Plan`). No I/O here.

mod desired;
mod license;
mod live;
mod plan;

pub use desired::*;
pub use license::*;
pub use live::*;
pub use plan::*;
