//! What signs links: a private key in memory or a GnuPG key, and the
//! public key a link it signed must verify with.

use intoto_crypto::gpg::GpgError;
use intoto_crypto::{CertifiedSigner, PrivateKey, PublicKey, Signer};
use intoto_model::{KeyId, Metadata};

use crate::gpg::GpgSigner;

/// A private key in memory, or GnuPG.
#[derive(Debug)]
pub enum LinkSigner {
    /// A PEM private key.
    Key(PrivateKey),
    /// A private key whose signatures carry its X.509 certificate (ITE-7):
    /// `--signing-cert`, or an X509-SVID from a SPIFFE Workload API.
    Certified(CertifiedSigner<PrivateKey>),
    /// A GnuPG key, by keyid or the keyring's default.
    Gpg {
        /// Runs `gpg --detach-sign`.
        signer: GpgSigner,
        /// The keyid asked for; `None` for the default key.
        keyid: Option<String>,
    },
}

/// Why the key a link must verify with cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerificationKeyError {
    /// The default GnuPG key is known from the link's signature, and it
    /// has none.
    #[error("the unfinished link has no signature")]
    NoSignature,
    /// The GnuPG key cannot be exported from the keyring.
    #[error("cannot export GnuPG key {id}")]
    Export {
        /// The keyid.
        id: String,
        /// Why.
        #[source]
        source: GpgError,
    },
}

impl LinkSigner {
    /// The signer.
    pub fn signer(&self) -> &dyn Signer {
        match self {
            Self::Key(key) => key,
            Self::Certified(signer) => signer,
            Self::Gpg { signer, .. } => signer,
        }
    }

    /// The keyid signatures carry, when known before signing (GnuPG may sign
    /// with a subkey, and its default key is only known after).
    pub fn keyid(&self) -> Option<&KeyId> {
        match self {
            Self::Key(key) => Some(key.keyid()),
            Self::Certified(signer) => Some(signer.inner().keyid()),
            Self::Gpg { .. } => None,
        }
    }

    /// For messages: the keyid prefix, or the GnuPG key asked for.
    pub fn describe(&self) -> String {
        match self {
            Self::Key(key) => key.keyid().short().to_owned(),
            Self::Certified(signer) => signer.inner().keyid().short().to_owned(),
            Self::Gpg {
                keyid: Some(id), ..
            } => format!("GnuPG key {id}"),
            Self::Gpg { keyid: None, .. } => "the default GnuPG key".to_owned(),
        }
    }

    /// The public key that must have signed `md` (an unfinished link made by
    /// this signer): the key's own, or the GnuPG key exported from the
    /// keyring, by the keyid asked for or, for the default key, the keyid the
    /// link's signature names, as the reference does.
    ///
    /// # Errors
    ///
    /// [`VerificationKeyError`] when the GnuPG key cannot be found.
    pub fn verification_key(&self, md: &Metadata) -> Result<PublicKey, VerificationKeyError> {
        match self {
            Self::Key(key) => Ok(key.public_key().clone()),
            Self::Certified(signer) => Ok(signer.inner().public_key().clone()),
            Self::Gpg { signer, keyid } => {
                let id = match keyid {
                    Some(id) => id.clone(),
                    None => md
                        .signatures()
                        .first()
                        .map(|s| s.keyid.to_string())
                        .ok_or(VerificationKeyError::NoSignature)?,
                };
                signer
                    .gpg()
                    .export_public_key(&id)
                    .map_err(|source| VerificationKeyError::Export { id, source })
            }
        }
    }
}
