//! Key files and key dicts (PEM, DER inside PEM, JSON): no panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_crypto::{KeyIdForm, PrivateKey, PublicKey};
use intoto_model::{KeyDict, KeyId};

fuzz_target!(|data: &[u8]| {
    let _ = PublicKey::from_file_contents(data, KeyIdForm::Modern);
    let _ = PrivateKey::from_file_contents(data, Some(b"hunter2"), KeyIdForm::Legacy);
    if let Ok(value) = serde_json::from_slice(data) {
        if let Ok(dict) = KeyDict::from_value(value, "") {
            if let Ok(key) = PublicKey::from_key_dict(KeyId::new("00"), &dict) {
                let _ = key.fingerprint();
            }
        }
    }
});
