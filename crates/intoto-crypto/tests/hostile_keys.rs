//! Key files built to hurt: password derivations that would take hours or
//! all memory, keys of the wrong kind, and RSA sizes at the edges. Each
//! must give a clear error, quickly.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// These tests time the code under test (bounds on hostile input), so they
// read the clock the library itself may not.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use pkcs8::der::{Decode, Encode};
use pkcs8::pkcs5::EncryptionScheme;
use pkcs8::pkcs5::pbes2::Kdf;

use intoto_crypto::{KeyError, KeyIdForm, PrivateKey, PublicKey, check_signature, sign_metadata};
use intoto_model::{EnvelopeKind, Metadata};
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

#[test]
fn item10_rsa_16384_key_signs_and_its_public_key_is_accepted() {
    let pem = read_vector("intoto-test-keys/rsa16384.pem");
    let private = PrivateKey::from_file_contents(&pem, None, KeyIdForm::Modern).unwrap();
    let link = serde_json::json!({
        "_type": "link", "name": "build", "command": [], "materials": {},
        "products": {}, "byproducts": {}, "environment": {}
    });
    let mut md = Metadata::wrap(&link, EnvelopeKind::Legacy);
    let keyid = sign_metadata(&mut md, &private).unwrap();
    assert_eq!(&keyid, private.keyid());
    // 16384 bits: 2048 signature bytes, 4096 hex digits.
    let sig = md.to_value()["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .len();
    assert_eq!(sig, 4096);

    // The public key as the crate writes it (SubjectPublicKeyInfo PEM, as
    // in `KEY.pub` files), read back, checks the signature.
    let public_pem = private.public_key_pem().unwrap();
    assert!(
        public_pem.starts_with("-----BEGIN PUBLIC KEY-----"),
        "{public_pem}"
    );
    let public = PublicKey::from_file_contents(public_pem.as_bytes(), KeyIdForm::Modern).unwrap();
    assert_eq!(public.keyid(), private.keyid());
    assert_eq!(check_signature(&md, &public).unwrap(), keyid);
    // So does the key dict a layout lists the key with.
    let listed =
        PublicKey::from_key_dict(private.keyid().clone(), private.public_key().key_dict()).unwrap();
    assert_eq!(check_signature(&md, &listed).unwrap(), keyid);

    // It is the signature that verifies, not anything.
    let mut value = md.to_value();
    value["signed"]["name"] = "build-evil".into();
    let tampered = Metadata::from_value(value).unwrap();
    assert!(check_signature(&tampered, &public).is_err());
}

/// An RSA public key with a modulus of `bits` bits (not a product of
/// primes: only its size matters), as PKCS#1 DER.
fn rsa_public_pkcs1_der(bits: usize) -> Vec<u8> {
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }
    let mut modulus = vec![0xff_u8; bits.div_ceil(8)];
    modulus[0] = 0xff >> (modulus.len() * 8 - bits);
    // DER integers are minimal: a leading zero only before a high bit.
    let mut n = if modulus[0] & 0x80 == 0 {
        vec![]
    } else {
        vec![0]
    };
    n.extend(modulus);
    let fields = [der(0x02, &n), der(0x02, &[0x01, 0x00, 0x01])].concat();
    der(0x30, &fields)
}

#[test]
fn item10_rsa_keys_outside_1024_to_16384_bits_are_refused() {
    let refused = |result: Result<_, KeyError>, bits: usize| {
        let err = result.map(|_: ()| ()).unwrap_err();
        assert!(
            matches!(err, KeyError::RsaSize { bits: b } if b == bits),
            "{bits} bits: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("RSA keys of {bits} bits are not supported; use 1024 to 16384 bits")
        );
    };
    let private = read_vector("intoto-test-keys/rsa512.pem");
    refused(
        PrivateKey::from_file_contents(&private, None, KeyIdForm::Modern).map(drop),
        512,
    );
    let public = read_vector("intoto-test-keys/rsa512.pub.pem");
    refused(
        PublicKey::from_file_contents(&public, KeyIdForm::Modern).map(drop),
        512,
    );
    // Past the upper limit, as PKCS#1 and as SubjectPublicKeyInfo.
    let started = Instant::now();
    for bits in [16385, 17000] {
        let pkcs1 = rsa_public_pkcs1_der(bits);
        let pem = pkcs8::der::pem::encode_string(
            "RSA PUBLIC KEY",
            pkcs8::der::pem::LineEnding::LF,
            &pkcs1,
        )
        .unwrap();
        refused(
            PublicKey::from_file_contents(pem.as_bytes(), KeyIdForm::Modern).map(drop),
            bits,
        );
        let spki = spki::SubjectPublicKeyInfoOwned {
            algorithm: spki::AlgorithmIdentifierOwned {
                oid: spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
                parameters: Some(pkcs8::der::asn1::Null.into()),
            },
            subject_public_key: pkcs8::der::asn1::BitString::from_bytes(&pkcs1).unwrap(),
        };
        let pem = pkcs8::der::pem::encode_string(
            "PUBLIC KEY",
            pkcs8::der::pem::LineEnding::LF,
            &spki.to_der().unwrap(),
        )
        .unwrap();
        refused(
            PublicKey::from_file_contents(pem.as_bytes(), KeyIdForm::Modern).map(drop),
            bits,
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}
