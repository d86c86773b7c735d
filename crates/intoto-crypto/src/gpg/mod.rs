//! OpenPGP (GnuPG) keys and signatures, as the reference (securesystemslib's
//! `_gpg` package behind in-toto's `--gpg` options) uses them.
//!
//! # No `gpg` binary here
//!
//! This crate never runs gpg: verifying a signature with a key dict from a
//! layout ([`PublicKey::from_key_dict`](crate::PublicKey::from_key_dict),
//! [`check_signature`](crate::check_signature),
//! [`check_signature_at`](crate::check_signature_at)), reading a key dict
//! from `gpg --export` output already at hand ([`key_dict_from_export`]) and
//! reading a detached signature gpg wrote ([`parse_detached_signature`])
//! are in-process. Exporting keys from a keyring and signing run the gpg
//! program; that is the facade's `intoto::gpg` (`Gpg`, `GpgSigner`).
//! Exported keys and signatures are OpenPGP packets (RFC 4880), parsed
//! here by hand (v4 public keys, user IDs, signatures with their
//! subpackets), as securesystemslib does, so no OpenPGP library is needed.
//!
//! # Keys and signatures
//!
//! A key dict holds a master key and its subkeys (`subkeys`), each with the
//! public numbers in hex and optionally `creation_time` and
//! `validity_period`. A signature is `{keyid, signature, other_headers}`,
//! where `other_headers` is the hashed part of the v4 signature packet. It
//! verifies with SHA-256 over `content ‖ other_headers ‖ 0x04 0xFF ‖
//! be32(len(other_headers))` and the raw RSA PKCS#1 v1.5, DSA (a DER
//! `SEQUENCE { r, s }`) or Ed25519 check.
//!
//! - A signature whose keyid names a subkey is checked with that subkey, and
//!   counts for the master key: [`PublicKey::matches`](crate::PublicKey::matches)
//!   accepts subkey ids, and [`PublicKey::fingerprint`](crate::PublicKey::fingerprint)
//!   is the master key's, so several subkeys are one functionary.
//! - Expiry (`creation_time + validity_period`, of the subkey that signed or
//!   else the master key) is reported by
//!   [`PublicKey::expires_at`](crate::PublicKey::expires_at) and enforced by
//!   [`check_signature_at`](crate::check_signature_at); this code never
//!   reads the clock.
//! - Revocation and key usage flags are not considered, as in the reference.

mod detached;
mod key;
mod keyring;
mod packet;
mod verify;

pub(crate) use key::key_from_dict;

pub use detached::{DetachedSignature, parse_detached_signature};
pub use keyring::key_dict_from_export;

use crate::error::KeyError;

/// Running gpg, or reading the OpenPGP data it wrote, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GpgError {
    /// No gpg program could be run.
    #[error(
        "no gpg program found (tried {tried}); install GnuPG (e.g. `apt-get install gnupg`) or set GNUPG to the gpg program"
    )]
    NotFound {
        /// The programs tried.
        tried: String,
    },
    /// The gpg program could not be started.
    #[error("could not run `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// gpg did not finish in time (a passphrase prompt, a stuck agent).
    #[error("`{command}` did not finish within {seconds} s")]
    Timeout {
        /// The command line.
        command: String,
        /// The time limit.
        seconds: u64,
    },
    /// gpg exited with an error.
    #[error("`{command}` failed ({status}): {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// The exit status.
        status: String,
        /// What gpg wrote to standard error.
        stderr: String,
    },
    /// A keyid that cannot be passed to gpg.
    #[error(
        "invalid gpg key id {keyid:?}: expected a key id or fingerprint (not empty, no whitespace, not starting with `-`)"
    )]
    InvalidKeyid {
        /// The keyid given.
        keyid: String,
    },
    /// The exported data holds no key or subkey with the keyid.
    #[error("gpg key {keyid} not found in the keyring")]
    KeyNotFound {
        /// The keyid looked for.
        keyid: String,
    },
    /// gpg wrote ASCII-armored data where binary OpenPGP packets were expected.
    #[error(
        "gpg wrote ASCII-armored output; remove `armor` from gpg.conf (the reference needs binary output too)"
    )]
    Armored,
    /// OpenPGP data that does not parse.
    #[error("malformed OpenPGP data: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// An OpenPGP public-key algorithm other than RSA (1), DSA (17) and
    /// EdDSA (22).
    #[error(
        "unsupported OpenPGP public-key algorithm {id}; in-toto supports RSA (1), DSA (17) and EdDSA (22)"
    )]
    UnsupportedAlgorithm {
        /// The algorithm number (RFC 4880 §9.1).
        id: u8,
    },
    /// An OpenPGP feature this implementation (like the reference) does not support.
    #[error("unsupported {what} {value}")]
    Unsupported {
        /// What (`signature packet version`, `hash algorithm`, ...).
        what: &'static str,
        /// The value found.
        value: u32,
    },
    /// The exported key is not a key this crate can verify with.
    #[error("the exported gpg key cannot be used")]
    Key(#[from] KeyError),
}
