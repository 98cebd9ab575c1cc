//! STUB for integration; replaced by the sandbox branch.
#![allow(unused_variables, dead_code)]
use crate::model::*;
use std::time::Duration;
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub rate_per_second: f64,
    pub burst: u32,
    pub faults: Faults,
}
impl Default for SandboxConfig {
    fn default() -> Self {
        todo!()
    }
}
#[derive(Debug, Clone)]
pub struct Faults {
    pub latency: Duration,
    pub error_rate: f64,
    pub error_status: u16,
    pub seed: u64,
    pub fail_first: u32,
    pub retry_after: Option<u64>,
    pub token_lifetime: Duration,
    pub delete_disabled: bool,
    pub reject_users: std::collections::BTreeSet<u64>,
}
impl Default for Faults {
    fn default() -> Self {
        todo!()
    }
}
pub struct Sandbox;
impl Sandbox {
    pub async fn start(
        tenant: Live,
        config: SandboxConfig,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<Sandbox> {
        todo!()
    }
    pub fn url(&self) -> String {
        todo!()
    }
    pub fn addr(&self) -> std::net::SocketAddr {
        todo!()
    }
    pub fn live(&self) -> Live {
        todo!()
    }
    pub fn with_state<R>(&self, f: impl FnOnce(&mut Live) -> R) -> R {
        todo!()
    }
    pub fn request_counts(&self) -> std::collections::BTreeMap<String, u64> {
        todo!()
    }
    pub fn total_api_requests(&self) -> u64 {
        todo!()
    }
    pub fn issued_tokens(&self) -> Vec<String> {
        todo!()
    }
    pub fn reset_counts(&self) {
        todo!()
    }
    pub async fn shutdown(self) {
        todo!()
    }
}
pub fn sample_tenant() -> Live {
    todo!()
}
