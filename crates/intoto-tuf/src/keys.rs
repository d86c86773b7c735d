//! TUF role keys from PEM files: PKCS#8 ed25519 or ECDSA P-256, or RSA
//! (PKCS#8 or PKCS#1), as `intoto key generate` and OpenSSL write them.
//! TUF metadata is signed with ed25519, ecdsa-sha2-nistp256 or
//! rsassa-pss-sha256.

use std::fmt;
use std::path::{Path, PathBuf};

use intoto::model::encoding::hex;
use tough::key_source::KeySource;
use tough::schema::key::Key;
use tough::sign::{Sign, parse_keypair};

use crate::TufError;

/// A role key read from a PEM private key file.
pub struct PemKeySource {
    path: PathBuf,
    pem: Vec<u8>,
}

impl fmt::Debug for PemKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PemKeySource")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl PemKeySource {
    /// Reads and checks the key in `path`.
    ///
    /// # Errors
    ///
    /// [`TufError::SigningKey`] when the file cannot be read or is not a
    /// private key TUF can sign with.
    pub fn read(path: &Path) -> Result<Self, TufError> {
        let pem = intoto::fs::read(path, intoto::fs::MAX_KEY_BYTES).map_err(|e| {
            TufError::SigningKey {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        })?;
        let source = Self {
            path: path.to_owned(),
            pem,
        };
        source.signer()?;
        Ok(source)
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public key as TUF metadata lists it.
    ///
    /// # Errors
    ///
    /// As [`PemKeySource::read`].
    pub fn public(&self) -> Result<Key, TufError> {
        Ok(self.signer()?.tuf_key())
    }

    /// The TUF keyid of the key, in hex.
    ///
    /// # Errors
    ///
    /// As [`PemKeySource::read`].
    pub fn keyid(&self) -> Result<String, TufError> {
        let key = self.public()?;
        let id = key.key_id().map_err(|e| self.refused(e.to_string()))?;
        Ok(hex::encode(&*id))
    }

    fn signer(&self) -> Result<Box<dyn Sign>, TufError> {
        // PKCS#8 ed25519 and ECDSA keys are parsed from their DER; RSA
        // keys from the PEM text.
        if let Ok(block) = pem::parse(&self.pem) {
            if block.tag().contains("ENCRYPTED") {
                return Err(self.refused(
                    "an encrypted key: TUF role keys are read unencrypted (decrypt a copy with \
                     `openssl pkcs8`)"
                        .to_owned(),
                ));
            }
            if let Ok(key) = parse_keypair(block.contents()) {
                return Ok(Box::new(key));
            }
        }
        parse_keypair(&self.pem)
            .map(|key| Box::new(key) as Box<dyn Sign>)
            .map_err(|_| {
                self.refused(
                    "not a PEM private key TUF can sign with (ed25519, ECDSA P-256 or RSA)"
                        .to_owned(),
                )
            })
    }

    fn refused(&self, reason: String) -> TufError {
        TufError::SigningKey {
            path: self.path.clone(),
            reason,
        }
    }
}

#[tough::async_trait]
impl KeySource for PemKeySource {
    async fn as_sign(
        &self,
    ) -> Result<Box<dyn Sign>, Box<dyn std::error::Error + Send + Sync + 'static>> {
        Ok(self.signer()?)
    }

    async fn write(
        &self,
        _value: &str,
        _key_id_hex: &str,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        Err(Box::new(
            self.refused("role keys are never rewritten".to_owned()),
        ))
    }
}

/// Reads every key file.
///
/// # Errors
///
/// The first that cannot be used.
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<Box<dyn KeySource>>, TufError> {
    paths
        .iter()
        .map(|p| PemKeySource::read(p).map(|k| Box::new(k) as Box<dyn KeySource>))
        .collect()
}
