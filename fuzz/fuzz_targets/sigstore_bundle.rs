//! Sigstore bundles from an attestation folder, verified against the
//! public-good trusted root: any bytes are refused or verified, never a
//! panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use intoto_sigstore::TrustedRootVerifier;
use intoto_verify::policy::identity::KeylessVerifier as _;

const ROOT: &[u8] = include_bytes!("../../tests/vectors/sigstore/trusted_root.public-good.json");

fn verifier() -> Option<&'static TrustedRootVerifier> {
    static VERIFIER: OnceLock<Option<TrustedRootVerifier>> = OnceLock::new();
    VERIFIER
        .get_or_init(|| TrustedRootVerifier::from_json(ROOT).ok())
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    if let Some(verifier) = verifier() {
        let _ = verifier.verify_bundle(data);
    }
});
