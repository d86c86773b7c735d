//! Signature checks over the exact bytes received, and the [`Verified`]
//! typestate that only a successful check produces.

use std::ops::Deref;

use intoto_model::encoding::hex;
use intoto_model::envelope::decode_base64;
use intoto_model::{EnvelopeKind, KeyId, Metadata, Signature};

use crate::error::SignatureError;
use crate::public::{PublicKey, SignatureBytes};

/// A value whose signatures have been checked. Only the functions of this
/// module create it, so code that takes a `Verified<T>` cannot be handed
/// unchecked metadata.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    signers: Vec<KeyId>,
}

impl<T> Verified<T> {
    /// The keyids (as the keys are known, e.g. by the layout) whose
    /// signatures were checked.
    pub fn signers(&self) -> &[KeyId] {
        &self.signers
    }

    /// The verified value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Derives another verified value from this one (such as the typed
    /// payload of verified metadata).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Verified<U> {
        Verified {
            value: f(self.value),
            signers: self.signers,
        }
    }

    /// Like [`Verified::map`] for a fallible derivation.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Verified<U>, E> {
        Ok(Verified {
            value: f(self.value)?,
            signers: self.signers,
        })
    }
}

impl<T> Deref for Verified<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Checks that `key` signed `md`, over the bytes as received: the canonical
/// JSON of the received `signed` value, or the DSSE pre-authentication
/// encoding of the received payload. Returns the keyid the matching
/// signature carries.
///
/// Signatures whose keyid is any of the key's keyids (or an OpenPGP subkey's)
/// are candidates, and so are DSSE signatures without a keyid; the check
/// passes if one of them verifies.
///
/// # Errors
///
/// [`SignatureError`]: no signature by the key, or none that verifies.
pub fn check_signature(md: &Metadata, key: &PublicKey) -> Result<KeyId, SignatureError> {
    let msg = md
        .signed_bytes()
        .map_err(|e| SignatureError::NotCanonical {
            reason: crate::error::not_canonical_reason(&e),
        })?;
    check_signature_over(&msg, md.kind(), md.signatures(), key)
}

/// [`check_signature`] with the signed bytes already computed, for checking
/// one document against several keys.
///
/// # Errors
///
/// See [`check_signature`].
pub fn check_signature_over(
    msg: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    key: &PublicKey,
) -> Result<KeyId, SignatureError> {
    check_signatures(msg, kind, signatures, key, None)
}

/// [`check_signature`], refusing a key that has expired by `now_unix`
/// (seconds since the Unix epoch): a signature counts only if
/// [`PublicKey::expires_at`] for its keyid (for OpenPGP keys, the subkey
/// that made it, else the master key) is not before `now_unix`. This is the
/// reference's `creation_time + validity_period < now` check; only OpenPGP
/// keys expire.
///
/// # Errors
///
/// [`SignatureError::KeyExpired`] if the only signatures by the key are by
/// an expired (sub)key; otherwise see [`check_signature`].
pub fn check_signature_at(
    md: &Metadata,
    key: &PublicKey,
    now_unix: i64,
) -> Result<KeyId, SignatureError> {
    let msg = md
        .signed_bytes()
        .map_err(|e| SignatureError::NotCanonical {
            reason: crate::error::not_canonical_reason(&e),
        })?;
    check_signature_over_at(&msg, md.kind(), md.signatures(), key, now_unix)
}

/// [`check_signature_at`] with the signed bytes already computed.
///
/// # Errors
///
/// See [`check_signature_at`].
pub fn check_signature_over_at(
    msg: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    key: &PublicKey,
    now_unix: i64,
) -> Result<KeyId, SignatureError> {
    check_signatures(msg, kind, signatures, key, Some(now_unix))
}

/// [`check_signature_over_at`], vouching for the result: the keyid the
/// matching signature carries, as a [`Verified`] value that callers map to
/// what the signed bytes say (such as the functionary behind a link).
///
/// # Errors
///
/// See [`check_signature_at`].
pub fn verify_over_at(
    msg: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    key: &PublicKey,
    now_unix: i64,
) -> Result<Verified<KeyId>, SignatureError> {
    let signed_by = check_signatures(msg, kind, signatures, key, Some(now_unix))?;
    Ok(Verified {
        value: signed_by,
        signers: vec![key.keyid().clone()],
    })
}

fn check_signatures(
    msg: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    key: &PublicKey,
    now_unix: Option<i64>,
) -> Result<KeyId, SignatureError> {
    let mut first_error = None;
    for sig in signatures {
        let anonymous = sig.keyid.as_str().is_empty() && kind == EnvelopeKind::Dsse;
        if !anonymous && !key.matches(&sig.keyid) {
            continue;
        }
        if let Some(now) = now_unix {
            let keyid = if anonymous { key.keyid() } else { &sig.keyid };
            if let Some(expired_at) = key.expires_at(keyid).filter(|t| *t < now) {
                first_error.get_or_insert(SignatureError::KeyExpired {
                    keyid: keyid.clone(),
                    expired_at,
                });
                continue;
            }
        }
        match check_one(msg, kind, sig, key) {
            Ok(()) => return Ok(sig.keyid.clone()),
            Err(e) if !anonymous => {
                first_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    Err(first_error.unwrap_or_else(|| SignatureError::NoSignature {
        keyid: key.keyid().clone(),
    }))
}

fn check_one(
    msg: &[u8],
    kind: EnvelopeKind,
    sig: &Signature,
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let keyid = if sig.keyid.as_str().is_empty() {
        key.keyid()
    } else {
        &sig.keyid
    };
    let bytes = match kind {
        EnvelopeKind::Legacy => hex::decode(&sig.sig).ok_or_else(|| SignatureError::Encoding {
            keyid: keyid.clone(),
            encoding: "hex",
        })?,
        EnvelopeKind::Dsse => decode_base64(&sig.sig).map_err(|_| SignatureError::Encoding {
            keyid: keyid.clone(),
            encoding: "base64",
        })?,
        _ => return Err(SignatureError::UnsupportedWrapper),
    };
    let headers = match &sig.other_headers {
        None => None,
        Some(h) => Some(hex::decode(h).ok_or_else(|| SignatureError::Encoding {
            keyid: keyid.clone(),
            encoding: "hex",
        })?),
    };
    key.verify(
        msg,
        &SignatureBytes {
            keyid,
            sig: &bytes,
            other_headers: headers.as_deref(),
        },
    )
}

/// Checks that `key` signed `md` and marks it verified.
///
/// # Errors
///
/// See [`check_signature`].
pub fn verify_by(md: Metadata, key: &PublicKey) -> Result<Verified<Metadata>, SignatureError> {
    check_signature(&md, key)?;
    Ok(Verified {
        value: md,
        signers: vec![key.keyid().clone()],
    })
}

/// [`verify_by`], refusing keys expired by `now_unix` (see
/// [`check_signature_at`]).
///
/// # Errors
///
/// See [`check_signature_at`].
pub fn verify_by_at(
    md: Metadata,
    key: &PublicKey,
    now_unix: i64,
) -> Result<Verified<Metadata>, SignatureError> {
    check_signature_at(&md, key, now_unix)?;
    Ok(Verified {
        value: md,
        signers: vec![key.keyid().clone()],
    })
}

/// Checks that **every** key in `keys` signed `md`, the reference's policy
/// for layouts, and marks it verified. At least one key is required.
///
/// # Errors
///
/// The first key whose signature is missing or invalid.
pub fn verify_by_all(
    md: Metadata,
    keys: &[PublicKey],
) -> Result<Verified<Metadata>, SignatureError> {
    verify_all(md, keys, None)
}

/// [`verify_by_all`], refusing keys expired by `now_unix` (see
/// [`check_signature_at`]), as the reference does for GPG layout keys.
///
/// # Errors
///
/// The first key whose signature is missing, invalid or expired.
pub fn verify_by_all_at(
    md: Metadata,
    keys: &[PublicKey],
    now_unix: i64,
) -> Result<Verified<Metadata>, SignatureError> {
    verify_all(md, keys, Some(now_unix))
}

fn verify_all(
    md: Metadata,
    keys: &[PublicKey],
    now_unix: Option<i64>,
) -> Result<Verified<Metadata>, SignatureError> {
    let msg = md
        .signed_bytes()
        .map_err(|e| SignatureError::NotCanonical {
            reason: crate::error::not_canonical_reason(&e),
        })?;
    if keys.is_empty() {
        return Err(SignatureError::NoKeys);
    }
    for key in keys {
        check_signatures(&msg, md.kind(), md.signatures(), key, now_unix)?;
    }
    Ok(Verified {
        value: md,
        signers: keys.iter().map(|k| k.keyid().clone()).collect(),
    })
}
