//! OpenPGP keys in the reference's key-dict form.

use intoto_model::{KeyDict, KeyId};

use crate::error::KeyError;
use crate::public::PublicKey;

/// Reads an OpenPGP key dict (`{"type", "method", "keyval", "subkeys", ...}`).
pub(crate) fn key_from_dict(_keyid: KeyId, dict: &KeyDict) -> Result<PublicKey, KeyError> {
    Err(KeyError::UnsupportedAlgorithm {
        algorithm: format!("OpenPGP ({})", dict.scheme().unwrap_or("unknown method")),
    })
}
