//! X.509 certificates as signatures carry them (DER, PEM, base64 of PEM)
//! and the ITE-7 checks on them: field extraction, constraint matching,
//! path validation against a fixed root, and the public key. No panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_crypto::x509::{Certificate, parse_pem_chain, verify_path};
use intoto_model::{CertConstraint, KeyId, Signature};
use intoto_verify::constraint_mismatch;

const ROOT: &str = include_str!("../../tests/vectors/in-toto-golang/root.cert.pem");

fn exercise(cert: &Certificate, root: &Certificate) {
    let _ = cert.identity();
    let _ = cert.spiffe_id();
    let _ = cert.fulcio_issuer();
    let _ = cert.public_key(&KeyId::new("00"));
    let _ = verify_path(cert, &[], std::slice::from_ref(root), 1_900_000_000);
    let mut any = CertConstraint::default();
    any.common_name = "*".into();
    any.uris = vec!["spiffe://example.com/write-code".into()];
    let _ = constraint_mismatch(cert, &any);
}

fuzz_target!(|data: &[u8]| {
    let Ok(root) = Certificate::from_pem(ROOT) else {
        return;
    };
    if let Ok(cert) = Certificate::from_der(data) {
        exercise(&cert, &root);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(certs) = parse_pem_chain(text) {
            for cert in &certs {
                exercise(cert, &root);
            }
        }
        let mut sig = Signature::new(KeyId::new("00"), String::new());
        sig.extra
            .insert("certificate".into(), serde_json::Value::String(text.to_owned()));
        if let Some(pem) = sig.certificate_pem() {
            let _ = parse_pem_chain(&pem);
        }
    }
});
