//! STUB for integration; replaced by the planner branch.
#![allow(unused_variables, dead_code)]
use crate::model::*;
pub fn diff(desired: &Desired, live: &Live) -> Result<Plan, PlanError> {
    todo!()
}
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("x")]
    X,
}
pub fn fingerprint(member_user_ids: impl IntoIterator<Item = u64>) -> String {
    todo!()
}
pub fn check_guards(
    plan: &Plan,
    settings: &Settings,
    allow: Option<usize>,
) -> Result<(), GuardViolation> {
    todo!()
}
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct GuardViolation;
