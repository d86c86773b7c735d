//! A detached signature as `gpg --detach-sign` writes it, read into the
//! parts an in-toto GPG signature keeps; signing itself (running gpg) is
//! the facade's (`intoto::gpg`).

use super::GpgError;
use super::packet::{HashAlgo, SIG_BINARY, parse_signature_packet};

/// A binary-document signature made with SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DetachedSignature {
    /// The issuer's full keyid (fingerprint) in lowercase hex; empty when
    /// the signature has no Issuer Fingerprint subpacket (gpg before 2.1).
    pub keyid: String,
    /// The issuer's 64-bit keyid in lowercase hex.
    pub short_keyid: String,
    /// The signature value (`signature`).
    pub signature: Vec<u8>,
    /// The hashed part of the packet (`other_headers`).
    pub other_headers: Vec<u8>,
}

/// Reads gpg's detached signature of a document, as securesystemslib's
/// `create_signature` does: one v4 signature packet of a binary document,
/// made with SHA-256.
///
/// # Errors
///
/// [`GpgError::Armored`] for ASCII-armored output; [`GpgError`] for a
/// packet that does not parse or is not such a signature.
pub fn parse_detached_signature(bytes: &[u8]) -> Result<DetachedSignature, GpgError> {
    if bytes.starts_with(b"-----BEGIN") {
        return Err(GpgError::Armored);
    }
    let sig = parse_signature_packet(bytes, &[SIG_BINARY], &[HashAlgo::Sha256])?;
    Ok(DetachedSignature {
        keyid: sig.keyid,
        short_keyid: sig.short_keyid,
        signature: sig.signature,
        other_headers: sig.other_headers,
    })
}
