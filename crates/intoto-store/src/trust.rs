//! Who may write to the store, and the layouts and policies it verifies
//! with.
//!
//! - A public key file (PEM, or a securesystemslib JSON key) trusts its
//!   holder to write.
//! - A layout (legacy or DSSE) or a policy (ITE-10, in a DSSE envelope)
//!   trusts the functionaries its steps name. It must be signed by every
//!   `--trust-owner-key`, checked over the bytes as received, and not have
//!   expired; it is then also available to `POST /v1/verify` by its id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use intoto::crypto::{KeyIdForm, PublicKey, verify_by_all_at};
use intoto::model::{Envelope, KeyId, Metadata, Payload};
use intoto::policy::{POLICY_PAYLOAD_TYPE_JSON, POLICY_PAYLOAD_TYPE_YAML};
use intoto::verify::policy::layout::policy_functionaries;
use intoto::verify::policy::signed::signed_policy;

use crate::id::AttestationId;

/// The largest trust file read.
pub const MAX_TRUST_FILE_BYTES: u64 = 16 << 20;

/// What a trusted document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// A classic layout.
    Layout,
    /// An ITE-10 policy.
    Policy,
}

/// A layout or policy the store was configured with.
#[derive(Debug, Clone)]
pub struct TrustedDocument {
    /// The sha256 of its bytes.
    pub id: AttestationId,
    /// The file it was read from.
    pub path: PathBuf,
    /// Layout or policy.
    pub kind: DocumentKind,
    /// The bytes as read (the signed file).
    pub bytes: Arc<Vec<u8>>,
}

/// The store's trust configuration.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    keys: BTreeMap<String, Arc<PublicKey>>,
    documents: Vec<TrustedDocument>,
    owner_keys: Vec<PublicKey>,
}

/// Why a trust file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct TrustError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong, and what to do.
    pub problem: String,
}

impl Trust {
    /// Trusts nobody.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `files` (keys, layouts, policies); layouts and policies must
    /// be signed by every key in `owner_keys`, and unexpired at `now`.
    ///
    /// # Errors
    ///
    /// [`TrustError`] naming the first file that cannot be used.
    pub fn from_files(
        files: &[PathBuf],
        owner_keys: Vec<PublicKey>,
        now: DateTime<Utc>,
    ) -> Result<Self, TrustError> {
        let mut trust = Self {
            owner_keys,
            ..Self::default()
        };
        for path in files {
            trust.add_file(path, now)?;
        }
        Ok(trust)
    }

    /// Trusts the holder of `key` (by every keyid it answers to: its own
    /// and its OpenPGP subkeys').
    pub fn add_key(&mut self, key: PublicKey) {
        let key = Arc::new(key);
        for keyid in key.keyids() {
            self.keys
                .insert(keyid.as_str().to_owned(), Arc::clone(&key));
        }
    }

    /// The trusted key a signature's keyid names.
    pub fn key(&self, keyid: &str) -> Option<&PublicKey> {
        self.keys.get(keyid).map(AsRef::as_ref)
    }

    /// How many keyids are trusted.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The layouts and policies configured.
    pub fn documents(&self) -> &[TrustedDocument] {
        &self.documents
    }

    /// The configured document with id `id`.
    pub fn document(&self, id: &AttestationId) -> Option<&TrustedDocument> {
        self.documents.iter().find(|d| &d.id == id)
    }

    /// The owner keys layouts and policies are checked with.
    pub fn owner_keys(&self) -> &[PublicKey] {
        &self.owner_keys
    }

    fn add_file(&mut self, path: &Path, now: DateTime<Utc>) -> Result<(), TrustError> {
        let now_unix = now.timestamp();
        let problem = |problem: String| TrustError {
            path: path.to_owned(),
            problem,
        };
        let bytes = intoto::fs::read(path, MAX_TRUST_FILE_BYTES)
            .map_err(|e| problem(intoto::verify::error_chain(&e)))?;
        if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let key = PublicKey::from_pem(&bytes, KeyIdForm::Modern)
                .map_err(|e| problem(format!("not a public key: {e}")))?;
            self.add_key(key);
            return Ok(());
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| problem(format!("neither a PEM public key nor JSON: {e}")))?;
        if value.get("keytype").is_some() {
            let serde_json::Value::Object(map) = value else {
                return Err(problem("not a key".into()));
            };
            let key = PublicKey::from_json_dict(map, KeyIdForm::Modern)
                .map_err(|e| problem(format!("not a public key: {e}")))?;
            self.add_key(key);
            return Ok(());
        }
        if self.owner_keys.is_empty() {
            return Err(problem(
                "a layout or policy is trusted only when signed by its owner: give the owner's public key with --trust-owner-key".into(),
            ));
        }
        let envelope = Envelope::from_value(value.clone()).ok();
        let policy_type = envelope.as_ref().is_some_and(|e| {
            e.payload_type == POLICY_PAYLOAD_TYPE_JSON || e.payload_type == POLICY_PAYLOAD_TYPE_YAML
        });
        let (kind, functionaries) = if let (true, Some(envelope)) = (policy_type, &envelope) {
            let payload =
                signed_policy(envelope, &self.owner_keys, now_unix).map_err(|findings| {
                    let reasons: Vec<String> = findings.iter().map(|f| f.message.clone()).collect();
                    problem(format!(
                        "the policy's signatures do not hold: {}",
                        reasons.join("; ")
                    ))
                })?;
            let (expires, functionaries) = policy_functionaries(payload).map_err(|e| {
                problem(format!("not a policy: {}", intoto::verify::error_chain(&e)))
            })?;
            if expires.is_expired_at(now) {
                return Err(problem("the policy has expired".into()));
            }
            (
                DocumentKind::Policy,
                functionaries.into_values().collect::<Vec<_>>(),
            )
        } else {
            let md = Metadata::from_value(value)
                .map_err(|e| problem(format!("not a key, layout or policy: {e}")))?;
            let verified = verify_by_all_at(md, &self.owner_keys, now_unix)
                .map_err(|e| problem(format!("the layout's signatures do not hold: {e}")))?;
            let Payload::Layout(layout) = verified
                .into_inner()
                .into_payload()
                .map_err(|e| problem(format!("not a layout: {e}")))?
            else {
                return Err(problem("not a layout or policy".into()));
            };
            if layout
                .expires
                .as_ref()
                .is_some_and(|e| e.is_expired_at(now))
            {
                return Err(problem("the layout has expired".into()));
            }
            let mut keys = Vec::new();
            for step in &layout.steps {
                for keyid in &step.pubkeys {
                    let Some(dict) = layout.keys.get(keyid) else {
                        continue;
                    };
                    let key = PublicKey::from_key_dict(KeyId::new(keyid.as_str()), dict)
                        .map_err(|e| problem(format!("key {keyid}: {e}")))?;
                    keys.push(key);
                }
            }
            (DocumentKind::Layout, keys)
        };
        for key in functionaries {
            self.add_key(key);
        }
        self.documents.push(TrustedDocument {
            id: AttestationId::of(&bytes),
            path: path.to_owned(),
            kind,
            bytes: Arc::new(bytes),
        });
        Ok(())
    }
}
