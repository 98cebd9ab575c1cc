use serde::{Deserialize, Serialize};

/// How live state was read: through Coupa's read-only GraphQL endpoint (users with their
/// roles and groups nested, proven against a REST sample) or through REST alone. Reports say
/// which, with the reason when REST was used instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadVia {
    Graphql,
    Rest,
}

/// The path a read took and, when it is REST, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadPathTaken {
    pub via: ReadVia,
    /// Why REST was read (the GraphQL path failed its proof, was refused, or was not chosen).
    pub reason: Option<String>,
}
