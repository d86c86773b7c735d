//! Keyid derivation, in the two forms found in the wild.
//!
//! Keyids are only computed for keys given outside metadata (a PEM file on
//! the command line); keys listed in a layout are known by the keyid the
//! layout lists them under.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use intoto_model::KeyId;
use intoto_model::encoding::{cjson, hex};

/// How a keyid is derived from a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyIdForm {
    /// securesystemslib ≥ 1.0 and in-toto 3.x:
    /// `sha256(cjson({"keytype", "scheme", "keyval": {"public": PEM + "\n"}}))`.
    #[default]
    Modern,
    /// in-toto-golang and older Python:
    /// `sha256(cjson({"keyid_hash_algorithms": ["sha256", "sha512"], "keytype",
    /// "keyval": {"public": trimmed PEM}, "scheme"}))`.
    Legacy,
}

/// Computes the keyid of a key with the given public value (a PEM text or,
/// for ed25519, hex) in the given form.
pub fn compute(keytype: &str, scheme: &str, public: &str, form: KeyIdForm) -> KeyId {
    let dict = match form {
        KeyIdForm::Modern => {
            json!({"keytype": keytype, "scheme": scheme, "keyval": {"public": public}})
        }
        KeyIdForm::Legacy => json!({
            "keyid_hash_algorithms": ["sha256", "sha512"],
            "keytype": keytype,
            "keyval": {"public": public.trim()},
            "scheme": scheme,
        }),
    };
    digest(&dict)
}

fn digest(dict: &Value) -> KeyId {
    // invariant: the dict holds only strings, so it always has a canonical form.
    let bytes = cjson::encode(dict).unwrap_or_default();
    KeyId::new(hex::encode(Sha256::digest(&bytes)))
}
