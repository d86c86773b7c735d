//! Bytes -> the store's upload reader and verifier, as one document and as
//! a bundle, against a trust configuration holding one key: no panic; an
//! accepted document is the exact bytes received, with the id of those
//! bytes and at least one signer the store trusts.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_crypto::{KeyIdForm, PublicKey};
use intoto_store::{AttestationId, Trust, UploadFormat, verify_upload};

/// An ed25519 public key.
const KEY: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAXxZM8sobmm4rW75h67jlnqKDSwbglMhZdq9UGAtaavA=
-----END PUBLIC KEY-----
";

fuzz_target!(|data: &[u8]| {
    let mut trust = Trust::new();
    if let Ok(key) = PublicKey::from_pem(KEY.as_bytes(), KeyIdForm::Modern) {
        trust.add_key(key);
    }
    for format in [UploadFormat::Document, UploadFormat::Bundle] {
        if let Ok(accepted) = verify_upload(data, format, &trust, 1_700_000_000) {
            for a in accepted {
                assert_eq!(a.id, AttestationId::of(&a.bytes));
                assert!(!a.indexed.signers.is_empty());
                assert!(a.indexed.signers.iter().all(|s| trust.key(s).is_some()));
            }
        }
        let _ = verify_upload(data, format, &trust, 1_700_000_000).map_err(|e| e.to_string());
    }
});
