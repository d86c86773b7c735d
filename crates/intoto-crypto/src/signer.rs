//! The signing abstraction and signing of metadata in either wrapper.

use intoto_model::encoding::hex;
use intoto_model::envelope::encode_base64;
use intoto_model::{KeyId, Metadata, Signature};

use crate::error::SignError;

/// A signature as a signer produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawSignature {
    /// The keyid to record with the signature (for OpenPGP, the signing subkey).
    pub keyid: KeyId,
    /// The raw signature bytes.
    pub sig: Vec<u8>,
    /// OpenPGP hashed subpackets, for reference-style GPG signatures.
    pub other_headers: Option<Vec<u8>>,
}

impl RawSignature {
    /// A plain signature.
    pub fn new(keyid: KeyId, sig: Vec<u8>) -> Self {
        Self {
            keyid,
            sig,
            other_headers: None,
        }
    }
}

/// Anything that signs bytes: a private key in memory, the gpg binary, and
/// later KMS or keyless signers.
pub trait Signer: Send + Sync {
    /// The keyid signatures will carry.
    fn keyid(&self) -> &KeyId;
    /// Signs `msg`.
    ///
    /// # Errors
    ///
    /// [`SignError`] if signing fails.
    fn sign(&self, msg: &[u8]) -> Result<RawSignature, SignError>;

    /// Signs the concatenation of `parts`, without copying them into one
    /// buffer when the signer can hash them in turn.
    ///
    /// # Errors
    ///
    /// [`SignError`] if signing fails.
    fn sign_parts(&self, parts: &[&[u8]]) -> Result<RawSignature, SignError> {
        self.sign(&parts.concat())
    }

    /// The length in bytes of every signature this signer makes, when it is
    /// fixed (ed25519, RSA), so that a file can be laid out before the
    /// signature exists; `None` when it varies (ECDSA's DER encoding,
    /// OpenPGP).
    fn signature_len(&self) -> Option<usize> {
        None
    }
}

/// Signs metadata in place: over the canonical JSON of `signed` for legacy
/// metadata, over the DSSE pre-authentication encoding for envelopes. A
/// previous signature with the same keyid is replaced, so a key never signs
/// twice. Returns the keyid of the new signature.
///
/// # Errors
///
/// [`SignError`] if the payload has no canonical form, signing fails, or an
/// OpenPGP signature would go into a DSSE envelope.
pub fn sign_metadata(md: &mut Metadata, signer: &dyn Signer) -> Result<KeyId, SignError> {
    let bytes = md.signed_bytes().map_err(|e| SignError::NotCanonical {
        reason: crate::error::not_canonical_reason(&e),
    })?;
    let raw = signer.sign(&bytes)?;
    let signature = match (&md, raw.other_headers) {
        (Metadata::Envelope(_), Some(_)) => return Err(SignError::GpgInDsse),
        (Metadata::Envelope(_), None) => Signature::new(raw.keyid.clone(), encode_base64(&raw.sig)),
        (Metadata::Metablock(_), None) => Signature::new(raw.keyid.clone(), hex::encode(&raw.sig)),
        (Metadata::Metablock(_), Some(headers)) => {
            let mut s = Signature::new(raw.keyid.clone(), hex::encode(&raw.sig));
            s.other_headers = Some(hex::encode(headers));
            s
        }
        _ => return Err(SignError::UnsupportedWrapper),
    };
    let signatures = md.signatures_mut();
    signatures.retain(|s| s.keyid != raw.keyid);
    signatures.push(signature);
    Ok(raw.keyid)
}
