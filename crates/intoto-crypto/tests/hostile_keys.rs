//! Key files built to hurt: password derivations that would take hours or
//! all memory, keys of the wrong kind, and RSA sizes at the edges. Each
//! must give a clear error, quickly.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use pkcs8::der::{Decode, Encode};
use pkcs8::pkcs5::EncryptionScheme;
use pkcs8::pkcs5::pbes2::Kdf;

use intoto_crypto::{KeyError, KeyIdForm, PrivateKey, PublicKey};
use intoto_test_support::read_vector;

/// The Python reference's encrypted ed25519 test key (PBES2), with its key
/// derivation changed by `edit`, as PEM.
fn encrypted_key_with(edit: impl FnOnce(&mut Kdf)) -> Vec<u8> {
    let pem = read_vector("in-toto-python/pems/ed25519_private_encrypted.pem");
    let (label, der) = pkcs8::der::pem::decode_vec(&pem).unwrap();
    assert_eq!(label, "ENCRYPTED PRIVATE KEY");
    let mut info =
        pkcs8::EncryptedPrivateKeyInfo::<pkcs8::der::asn1::OctetString>::from_der(&der).unwrap();
    let EncryptionScheme::Pbes2(params) = &mut info.encryption_algorithm else {
        panic!("the test key is not PBES2");
    };
    edit(&mut params.kdf);
    let der = info.to_der().unwrap();
    pkcs8::der::pem::encode_string(
        "ENCRYPTED PRIVATE KEY",
        pkcs8::der::pem::LineEnding::LF,
        &der,
    )
    .unwrap()
    .into_bytes()
}

fn load_quickly(pem: &[u8]) -> Result<PrivateKey, KeyError> {
    let started = Instant::now();
    let result = PrivateKey::from_file_contents(pem, Some(b"hunter2"), KeyIdForm::Modern);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusing a hostile key took {:?}",
        started.elapsed()
    );
    result
}

#[test]
fn hostile_key_pbkdf2_iterations_are_bounded() {
    let pem = encrypted_key_with(|kdf| match kdf {
        Kdf::Pbkdf2(p) => p.iteration_count = u32::MAX,
        _ => panic!("expected PBKDF2"),
    });
    let err = load_quickly(&pem).unwrap_err();
    assert!(matches!(err, KeyError::KdfTooCostly { .. }), "{err:?}");
    assert!(
        err.to_string().contains("4294967295 PBKDF2 iterations"),
        "{err}"
    );
}

#[test]
fn hostile_key_scrypt_memory_is_bounded() {
    let salt = pkcs8::pkcs5::pbes2::Salt::new([7u8; 16]).unwrap();
    let pem = encrypted_key_with(|kdf| {
        *kdf = Kdf::Scrypt(pkcs8::pkcs5::pbes2::ScryptParams {
            salt,
            cost_parameter: 1 << 40,
            block_size: 8,
            parallelization: 1,
            key_length: None,
        });
    });
    let err = load_quickly(&pem).unwrap_err();
    assert!(matches!(err, KeyError::KdfTooCostly { .. }), "{err:?}");
    assert!(err.to_string().contains("scrypt"), "{err}");
}

#[test]
fn the_reference_test_keys_still_decrypt() {
    for algo in ["rsa", "ecdsa", "ed25519"] {
        let pem = read_vector(&format!("in-toto-python/pems/{algo}_private_encrypted.pem"));
        load_quickly(&pem).unwrap_or_else(|e| panic!("{algo}: {e}"));
    }
}

#[test]
fn a_public_key_cannot_sign_and_a_private_key_cannot_verify() {
    let public = read_vector("in-toto-python/pems/ed25519_public.pem");
    let err = PrivateKey::from_file_contents(&public, None, KeyIdForm::Modern).unwrap_err();
    assert!(matches!(err, KeyError::PublicNotPrivate), "{err:?}");
    assert!(err.to_string().contains("signing needs the private key"));
    let private = read_vector("in-toto-python/pems/ed25519_private_unencrypted.pem");
    let err = PublicKey::from_file_contents(&private, KeyIdForm::Modern).unwrap_err();
    assert!(matches!(err, KeyError::PrivateNotPublic), "{err:?}");
    assert!(err.to_string().contains("needs the public key"));
}
