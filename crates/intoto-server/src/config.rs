//! The server's configuration, as `intoto serve` builds it from its flags
//! and their environment variables.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `intoto serve` needs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where to listen (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// `sqlite:PATH` or `postgres://…`.
    pub database: String,
    /// TLS certificate chain and key (PEM), if TLS is on.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Public keys, layouts and policies whose functionaries may write.
    pub trust: Vec<PathBuf>,
    /// Keys that must have signed each trusted layout or policy.
    pub trust_owner_keys: Vec<PathBuf>,
    /// Bearer tokens allowed to write, one a line.
    pub token_file: Option<PathBuf>,
    /// The largest request body.
    pub body_limit: usize,
    /// The Kubernetes admission check, if enabled.
    pub admission: Option<AdmissionSettings>,
    /// The key verification summaries are signed with.
    pub vsa_key: Option<PathBuf>,
}

impl ServerConfig {
    /// The defaults: loopback, `sqlite:intoto-store.db`, no TLS, no trust.
    pub fn new() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "sqlite:intoto-store.db".into(),
            tls: None,
            trust: Vec::new(),
            trust_owner_keys: Vec::new(),
            token_file: None,
            body_limit: DEFAULT_BODY_LIMIT,
            admission: None,
            vsa_key: None,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The largest request body by default: 32 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 32 << 20;

/// How admission requests are checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AdmissionSettings {
    /// The policy (or layout) each image must pass.
    pub policy: PathBuf,
    /// Keys that must have signed it (none: an unsigned policy, trusted as given).
    pub owner_keys: Vec<PathBuf>,
    /// Whether images given by tag are allowed (with a warning, unchecked).
    pub allow_tags: bool,
    /// Parameters for the policy.
    pub parameters: BTreeMap<String, String>,
}

impl AdmissionSettings {
    /// Checks images against `policy`.
    pub fn new(policy: impl Into<PathBuf>) -> Self {
        Self {
            policy: policy.into(),
            owner_keys: Vec::new(),
            allow_tags: false,
            parameters: BTreeMap::new(),
        }
    }
}
