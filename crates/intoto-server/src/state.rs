//! What every request handler shares: the store, the trust
//! configuration, the write tokens, and the admission and summary
//! settings, built once at start from the [`ServerConfig`].

use std::collections::BTreeSet;
use std::sync::Arc;

use intoto::crypto::{KeyIdForm, PrivateKey, PublicKey};
use intoto_store::{Store, Trust};
use sha2::{Digest, Sha256};

use crate::config::ServerConfig;

/// The largest token file read.
const MAX_TOKEN_FILE_BYTES: u64 = 1 << 20;

/// Shared state.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Who may write, and the configured layouts and policies.
    pub trust: Arc<Trust>,
    tokens: Arc<BTreeSet<[u8; 32]>>,
    /// The largest request body.
    pub body_limit: usize,
    /// The admission check.
    pub admission: Option<Arc<Admission>>,
    /// Signs verification summaries.
    pub vsa_signer: Option<Arc<PrivateKey>>,
}

/// The admission check, read at start.
#[derive(Debug)]
pub struct Admission {
    /// The policy or layout's file, for messages.
    pub name: std::path::PathBuf,
    /// Its bytes.
    pub document: Vec<u8>,
    /// Its owner's keys.
    pub keys: Vec<PublicKey>,
    /// Whether tags are allowed.
    pub allow_tags: bool,
    /// Its parameters.
    pub parameters: std::collections::BTreeMap<String, String>,
}

impl AppState {
    /// Opens the store and reads the configuration's files.
    ///
    /// # Errors
    ///
    /// A one-line message naming the file or database at fault.
    pub async fn from_config(config: &ServerConfig) -> Result<Self, String> {
        let now = chrono::Utc::now();
        let owner_keys = read_keys(&config.trust_owner_keys)?;
        let trust = Trust::from_files(&config.trust, owner_keys, now).map_err(|e| e.to_string())?;
        let tokens = match &config.token_file {
            Some(path) => read_tokens(path)?,
            None => BTreeSet::new(),
        };
        let admission = match &config.admission {
            Some(settings) => {
                let document =
                    intoto::fs::read(&settings.policy, intoto::policy::MAX_POLICY_FILE_BYTES)
                        .map_err(|e| intoto::verify::error_chain(&e))?;
                Some(Arc::new(Admission {
                    name: settings.policy.clone(),
                    document,
                    keys: read_keys(&settings.owner_keys)?,
                    allow_tags: settings.allow_tags,
                    parameters: settings.parameters.clone(),
                }))
            }
            None => None,
        };
        let vsa_signer = match &config.vsa_key {
            Some(path) => Some(Arc::new(
                intoto::fs::read_private_key(path, None, KeyIdForm::Modern)
                    .map_err(|e| intoto::verify::error_chain(&e))?,
            )),
            None => None,
        };
        let store = intoto_store::open(&config.database)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            store,
            trust: Arc::new(trust),
            tokens: Arc::new(tokens),
            body_limit: config.body_limit,
            admission,
            vsa_signer,
        })
    }

    /// A state over `store` with `trust` and write `tokens` (for tests and
    /// embedding).
    pub fn new(store: Arc<dyn Store>, trust: Trust, tokens: &[&str]) -> Self {
        Self {
            store,
            trust: Arc::new(trust),
            tokens: Arc::new(tokens.iter().map(|t| digest(t)).collect()),
            body_limit: crate::config::DEFAULT_BODY_LIMIT,
            admission: None,
            vsa_signer: None,
        }
    }

    /// Whether writes are possible at all (a token file was given).
    pub fn writable(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// Whether `token` may write. Tokens are kept and compared as their
    /// sha256, so neither the set nor the comparison holds the secret.
    pub fn may_write(&self, token: &str) -> bool {
        self.tokens.contains(&digest(token))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn read_keys(paths: &[std::path::PathBuf]) -> Result<Vec<PublicKey>, String> {
    paths
        .iter()
        .map(|p| {
            intoto::fs::read_public_key(p, KeyIdForm::Modern)
                .map_err(|e| intoto::verify::error_chain(&e))
        })
        .collect()
}

/// Tokens, one a line; blank lines and `#` comments are skipped.
fn read_tokens(path: &std::path::Path) -> Result<BTreeSet<[u8; 32]>, String> {
    let bytes = intoto::fs::read(path, MAX_TOKEN_FILE_BYTES)
        .map_err(|e| intoto::verify::error_chain(&e))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
    let tokens: BTreeSet<[u8; 32]> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(digest)
        .collect();
    if tokens.is_empty() {
        return Err(format!("{}: holds no token (one a line)", path.display()));
    }
    Ok(tokens)
}
