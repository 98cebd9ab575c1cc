//! STUB for integration; replaced by the policy branch.
#![allow(unused_variables, dead_code)]
use crate::model::*;
pub fn load(dir: &std::path::Path) -> Result<Desired, PolicyErrors> {
    todo!()
}
pub fn load_files(files: Vec<PolicyFile>) -> Result<Desired, PolicyErrors> {
    todo!()
}
pub fn check(desired: &Desired, live: &Live) -> CheckReport {
    todo!()
}
pub struct CheckReport {
    pub errors: Vec<PolicyDiagnostic>,
    pub warnings: Vec<PolicyDiagnostic>,
}
impl CheckReport {
    pub fn is_ok(&self) -> bool {
        todo!()
    }
    pub fn warning_messages(&self) -> Vec<String> {
        todo!()
    }
}
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("x")]
pub struct PolicyErrors {
    #[related]
    pub diagnostics: Vec<PolicyDiagnostic>,
}
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("x")]
pub struct PolicyDiagnostic;
pub fn render_plain(diags: &[PolicyDiagnostic]) -> String {
    todo!()
}
