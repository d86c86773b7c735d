//! The signing abstraction and signing of metadata in either wrapper.

use intoto_model::encoding::hex;
use intoto_model::envelope::encode_base64;
use intoto_model::{EnvelopeKind, KeyId, Metadata, Signature};
use serde_json::Value;

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
    /// The PEM certificate of the signing key and the intermediates that
    /// lead to its root (ITE-7), when the signer has them.
    pub certificate: Option<(String, Vec<String>)>,
}

impl RawSignature {
    /// A plain signature.
    pub fn new(keyid: KeyId, sig: Vec<u8>) -> Self {
        Self {
            keyid,
            sig,
            other_headers: None,
            certificate: None,
        }
    }

    /// The signature as metadata of `kind` records it: hex in legacy
    /// metadata, base64 in DSSE. A certificate goes where verifiers look
    /// for it: `cert` in legacy metadata (in-toto-golang), `certificate` in
    /// DSSE (ITE-7, Witness), with `intermediates` in both.
    ///
    /// # Errors
    ///
    /// [`SignError::GpgInDsse`] for an OpenPGP signature in DSSE.
    pub fn to_signature(&self, kind: EnvelopeKind) -> Result<Signature, SignError> {
        let mut signature = match (kind, &self.other_headers) {
            (EnvelopeKind::Dsse, Some(_)) => return Err(SignError::GpgInDsse),
            (EnvelopeKind::Dsse, None) => {
                Signature::new(self.keyid.clone(), encode_base64(&self.sig))
            }
            (EnvelopeKind::Legacy, headers) => {
                let mut s = Signature::new(self.keyid.clone(), hex::encode(&self.sig));
                s.other_headers = headers.as_deref().map(hex::encode);
                s
            }
            _ => return Err(SignError::UnsupportedWrapper),
        };
        if let Some((leaf, chain)) = &self.certificate {
            match kind {
                EnvelopeKind::Legacy => signature.cert = Some(leaf.clone()),
                _ => {
                    signature
                        .extra
                        .insert("certificate".into(), Value::String(leaf.clone()));
                }
            }
            if !chain.is_empty() {
                let list = chain.iter().cloned().map(Value::String).collect();
                signature
                    .extra
                    .insert("intermediates".into(), Value::Array(list));
            }
        }
        Ok(signature)
    }
}

/// A signer whose signatures carry its key's certificate (ITE-7): the
/// certificate and its intermediates are checked to hold the signer's key
/// when it is made.
pub struct CertifiedSigner<S> {
    signer: S,
    certificate: String,
    intermediates: Vec<String>,
}

impl<S: Signer> std::fmt::Debug for CertifiedSigner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertifiedSigner")
            .field("keyid", self.signer.keyid())
            .field("intermediates", &self.intermediates.len())
            .finish_non_exhaustive()
    }
}

impl<S: Signer> CertifiedSigner<S> {
    /// `signer` with the PEM `certificate` of its key and the PEM
    /// `intermediates` (each one certificate) that lead to a root.
    ///
    /// # Errors
    ///
    /// [`SignError::Certificate`] if the certificate cannot be read or is
    /// not for the signer's key.
    pub fn new(
        signer: S,
        public: &crate::PublicKey,
        certificate: &str,
        intermediates: Vec<String>,
    ) -> Result<Self, SignError> {
        let cert = crate::x509::Certificate::from_pem(certificate)
            .map_err(|e| SignError::Certificate(e.to_string()))?;
        if !cert.holds(public) {
            return Err(SignError::Certificate(format!(
                "the certificate ({}) is not for the signing key {}",
                cert.identity(),
                public.keyid()
            )));
        }
        // Only the certificates are embedded, each re-encoded from its
        // DER: whatever else the files hold (a private key, bag
        // attributes) stays out of the signature.
        let mut chain = Vec::new();
        for pem in &intermediates {
            let certs = crate::x509::parse_pem_chain(pem)
                .map_err(|e| SignError::Certificate(format!("intermediate: {e}")))?;
            chain.extend(certs.iter().map(crate::x509::Certificate::to_pem));
        }
        Ok(Self {
            signer,
            certificate: cert.to_pem(),
            intermediates: chain,
        })
    }

    /// The signer inside.
    pub fn inner(&self) -> &S {
        &self.signer
    }

    /// The PEM certificate signatures carry.
    pub fn certificate(&self) -> &str {
        &self.certificate
    }

    fn attach(&self, mut raw: RawSignature) -> RawSignature {
        raw.certificate = Some((self.certificate.clone(), self.intermediates.clone()));
        raw
    }
}

impl<S: Signer> Signer for CertifiedSigner<S> {
    fn keyid(&self) -> &KeyId {
        self.signer.keyid()
    }

    fn sign(&self, msg: &[u8]) -> Result<RawSignature, SignError> {
        self.signer.sign(msg).map(|raw| self.attach(raw))
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<RawSignature, SignError> {
        self.signer.sign_parts(parts).map(|raw| self.attach(raw))
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
    let kind = match md {
        Metadata::Envelope(_) => EnvelopeKind::Dsse,
        Metadata::Metablock(_) => EnvelopeKind::Legacy,
        _ => return Err(SignError::UnsupportedWrapper),
    };
    let signature = raw.to_signature(kind)?;
    let signatures = md.signatures_mut();
    signatures.retain(|s| s.keyid != raw.keyid);
    signatures.push(signature);
    Ok(raw.keyid)
}
