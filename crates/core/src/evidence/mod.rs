//! Audit evidence: the apply receipt, its canonical digests, and approvals.
//!
//! - [`receipt`]: the receipt's data (format [`RECEIPT_FORMAT_VERSION`]) and the plan digest.
//! - [`seal`](mod@seal): the digests that make an edit to a receipt detectable, naming the field.
//! - [`approvals`]: the approvals file written from a pull request's reviews, and the
//!   self-approval check against `settings.reviewers`.
//! - [`holds`]: whether a receipt's verified changes still hold in live Coupa.
//! - [`canonical`]: canonical JSON and its SHA-256.
//!
//! Gathering the facts (git, the CI environment, the clock) and writing the file are the
//! binary's; this module only shapes and checks them.

pub mod approvals;
pub mod canonical;
pub mod holds;
pub mod receipt;
pub mod seal;
#[cfg(test)]
mod tests;

pub use approvals::{Approvals, ApprovalsErrors, Review, ReviewState, SelfApproval};
pub use holds::{still_holds, Since};
pub use receipt::{
    plan_digest, ApprovalsRecord, ChangeOutcome, CiRun, Receipt, ReceiptChange, ReceiptRestore,
    ReceiptSummary, Recreated, Source, Status, RECEIPT_FORMAT_VERSION, RECEIPT_KIND,
};
pub use seal::{seal, verify, Edit, ReceiptError};
