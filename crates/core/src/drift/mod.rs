//! `drift`: live access that differs from policy, for scheduled reports.
//!
//! For every managed group, role and license: **extra** rows (someone holds it in Coupa without
//! the policy giving it — only for authoritative targets; additive ones count such holders as
//! "not governed") and **missing** rows (the policy gives it, Coupa lacks it). Extra group
//! memberships carry their `created-at`. Role and license rows are marked reported only, since
//! `apply` does not write them. Coverage counts what the policy governs and lists unmanaged
//! groups with their member counts; `since` lists memberships created since a date, anywhere.
//! Pure: the caller reads live state, sets `domain` and `generated_at`, and prints.

#[cfg(test)]
mod agreement;
mod compute;
mod make;
mod render;
mod report;
mod since;
#[cfg(test)]
mod tests;

pub use compute::{drift, drift_bound, drift_on};
pub use make::{make, Drifted};
pub use render::{json, markdown, text, LIST_CAP};
pub use report::*;
pub use since::{parse_since, parse_timestamp, SinceError};
