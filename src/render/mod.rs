//! STUB for integration; replaced by the planner branch.
#![allow(unused_variables, dead_code)]
use crate::model::*;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}
pub fn text(plan: &Plan, color: Color) -> String {
    todo!()
}
pub fn json(plan: &Plan) -> String {
    todo!()
}
pub fn markdown(plan: &Plan) -> String {
    todo!()
}
