//! STUB for integration; replaced by the client branch.
#![allow(unused_variables, dead_code)]
pub mod wire;
use crate::model::*;
use secrecy::SecretString;
use std::time::Duration;
#[derive(Debug)]
pub struct Connection {
    pub domain: String,
    pub client_id: String,
    pub client_secret: SecretString,
}
impl Connection {
    pub fn new(
        domain: &str,
        client_id: &str,
        client_secret: SecretString,
    ) -> Result<Connection, ConfigError> {
        todo!()
    }
    pub fn normalize_domain(input: &str) -> Result<String, ConfigError> {
        todo!()
    }
}
pub fn resolve_client_secret(
    secret_file: Option<&std::path::Path>,
) -> Result<SecretString, ConfigError> {
    todo!()
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub burst: u32,
    pub per_second: f64,
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
    pub read_concurrency: usize,
}
impl Default for ClientOptions {
    fn default() -> Self {
        todo!()
    }
}
#[derive(Clone)]
pub struct Client;
#[derive(Debug, Clone, Default)]
pub struct ClientStats;
pub struct ReadProgress {
    pub resource: &'static str,
    pub fetched: u64,
}
impl Client {
    pub fn new(
        conn: Connection,
        access: Access,
        opts: ClientOptions,
    ) -> Result<Client, CoupaError> {
        todo!()
    }
    pub fn domain(&self) -> &str {
        todo!()
    }
    pub fn set_progress(&mut self, p: std::sync::Arc<dyn Fn(ReadProgress) + Send + Sync>) {
        todo!()
    }
    pub async fn read_live(&self) -> Result<Live, CoupaError> {
        todo!()
    }
    pub async fn read_group_memberships(
        &self,
        group_id: u64,
    ) -> Result<Vec<Membership>, CoupaError> {
        todo!()
    }
    pub async fn create_membership(
        &self,
        user_id: u64,
        group_id: u64,
    ) -> Result<Membership, CoupaError> {
        todo!()
    }
    pub async fn delete_membership(&self, membership_id: u64) -> Result<(), CoupaError> {
        todo!()
    }
    pub fn stats(&self) -> ClientStats {
        todo!()
    }
}
#[derive(thiserror::Error, Debug)]
pub enum CoupaError {
    #[error("x")]
    X,
}
impl CoupaError {
    pub fn is_delete_refused(&self) -> bool {
        todo!()
    }
}
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    #[error("x")]
    X,
}
