//! Sigstore bundles (v0.1 to v0.3) whose content is a DSSE envelope of an
//! in-toto statement, verified offline against a trusted root: the
//! keyless functionaries of policies.
//!
//! [`TrustedRootVerifier`] checks, by `sigstore-verify`: the Fulcio
//! certificate's chain to a certificate authority of the trusted root,
//! its signed certificate timestamp against the root's CT logs, the Rekor
//! entry (inclusion proof and signed checkpoint, or the inclusion promise
//! of a v0.1 bundle) against the root's transparency logs, that the
//! integrated time lies within the certificate's validity, and the DSSE
//! signature by the certificate's key. Every one must hold. It then
//! reports the certificate's identity ([`KeylessIdentity`]: issuer,
//! subject, Fulcio's CI extensions) for the policy to match.

mod identity;
mod timestamp;

pub use timestamp::{TimestampAuthorities, TsaError};

use intoto_model::envelope::encode_base64;
use intoto_model::{Envelope, KeyId, Signature};
use intoto_verify::policy::identity::{KeylessIdentity, KeylessVerifier};
use serde_json::Value;
use sigstore_trust_root::TrustedRoot;
use sigstore_types::{Artifact, ArtifactDigest, Bundle, HashAlgorithm, SignatureContent};
use sigstore_verify::{VerificationPolicy, Verifier};

/// The largest trusted root read.
pub const MAX_TRUSTED_ROOT_BYTES: usize = 4 << 20;

/// Why a trusted root cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("not a usable Sigstore trusted root: {0}")]
pub struct TrustedRootError(pub(crate) String);

/// Verifies Sigstore bundles against one trusted root.
pub struct TrustedRootVerifier {
    verifier: Verifier,
}

impl std::fmt::Debug for TrustedRootVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedRootVerifier")
            .finish_non_exhaustive()
    }
}

impl TrustedRootVerifier {
    /// A verifier from a trusted root's JSON (`trusted_root.json`, as
    /// Sigstore's TUF repository distributes it).
    ///
    /// # Errors
    ///
    /// [`TrustedRootError`] when it is too large or cannot be read.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustedRootError> {
        if bytes.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(TrustedRootError(format!(
                "over {MAX_TRUSTED_ROOT_BYTES} bytes"
            )));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| TrustedRootError(e.to_string()))?;
        let root = TrustedRoot::from_json(text).map_err(|e| TrustedRootError(e.to_string()))?;
        let verifier = Verifier::new(&root).map_err(|e| TrustedRootError(e.to_string()))?;
        Ok(Self { verifier })
    }
}

impl KeylessVerifier for TrustedRootVerifier {
    fn verify_bundle(&self, bytes: &[u8]) -> Result<(Envelope, KeylessIdentity), String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        let bundle = Bundle::from_json(text).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
        // Everything returned comes from the bundle as `sigstore-verify`
        // reads and checks it, never from a second reading of the text
        // (a second reading could see another `dsseEnvelope`).
        let SignatureContent::DsseEnvelope(dsse) = &bundle.content else {
            return Err(
                "it holds a message signature, not a DSSE envelope: it attests nothing".into(),
            );
        };
        let mut envelope = Envelope::new(&dsse.payload_type, dsse.payload.as_bytes().to_vec());
        envelope.signatures.push(Signature::new(
            KeyId::new(dsse.signature.keyid.as_str()),
            encode_base64(dsse.signature.sig.as_bytes()),
        ));
        let digest = subject_digest(&envelope)?;
        let result = self
            .verifier
            .verify(
                Artifact::from_digest(digest),
                &bundle,
                &VerificationPolicy::any_identity(),
            )
            .map_err(|e| e.to_string())?;
        if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
            return Err(format!(
                "incomplete verification (certificate {}, timestamp {}, transparency log {})",
                result.certificate_verified(),
                result.sct_verified(),
                result.tlog_verified()
            ));
        }
        let identity = identity::of(&result)?;
        Ok((envelope, identity))
    }
}

/// The digest the bundle's signature is over, as `sigstore-verify` wants
/// it for a DSSE bundle: the statement's first SHA-256 or SHA-512 subject
/// digest. The policy then binds the subjects to the artifacts it is
/// given; this only lets the bundle's own check run.
fn subject_digest(envelope: &Envelope) -> Result<ArtifactDigest, String> {
    let statement: Value = serde_json::from_slice(&envelope.payload)
        .map_err(|e| format!("the DSSE payload is not JSON: {e}"))?;
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or("the statement has no subject")?;
    for subject in subjects {
        let digest = subject.get("digest");
        for (name, alg) in [
            ("sha256", HashAlgorithm::Sha2256),
            ("sha512", HashAlgorithm::Sha2512),
        ] {
            if let Some(hex) = digest.and_then(|d| d.get(name)).and_then(Value::as_str) {
                let bytes = intoto_model::encoding::hex::decode(hex)
                    .ok_or_else(|| format!("subject digest {name} is not hex"))?;
                return ArtifactDigest::new(alg, bytes).map_err(|e| e.to_string());
            }
        }
    }
    Err("no subject has a sha256 or sha512 digest".into())
}
