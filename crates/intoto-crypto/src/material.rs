//! Key material of the supported algorithms and the one place that maps a
//! scheme to its RustCrypto implementation.

use intoto_model::DigestAlgorithm;
use intoto_model::encoding::hex;
use pkcs8::der::pem::LineEnding;
use pkcs8::{EncodePrivateKey, EncodePublicKey};
use sha2::{Sha224, Sha256, Sha384, Sha512};
use signature::Verifier as _;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::scheme::{KeyType, Scheme};

/// A public key of one of the supported algorithms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// A private key of one of the supported algorithms.
pub(crate) enum PrivateMaterial {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(Box<p256::ecdsa::SigningKey>),
    P384(Box<p384::ecdsa::SigningKey>),
    P521(Box<p521::ecdsa::SigningKey>),
}

impl PublicMaterial {
    pub(crate) fn key_type(&self) -> KeyType {
        match self {
            PublicMaterial::Ed25519(_) => KeyType::Ed25519,
            PublicMaterial::Rsa(_) => KeyType::Rsa,
            PublicMaterial::P256(_) => KeyType::EcdsaP256,
            PublicMaterial::P384(_) => KeyType::EcdsaP384,
            PublicMaterial::P521(_) => KeyType::EcdsaP521,
        }
    }

    /// SubjectPublicKeyInfo DER.
    pub(crate) fn spki_der(&self) -> Result<Vec<u8>, KeyError> {
        let doc = match self {
            PublicMaterial::Ed25519(k) => k.to_public_key_der(),
            PublicMaterial::Rsa(k) => k.to_public_key_der(),
            PublicMaterial::P256(k) => k.to_public_key_der(),
            PublicMaterial::P384(k) => k.to_public_key_der(),
            PublicMaterial::P521(k) => k.to_public_key_der(),
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|_| KeyError::Encode)
    }

    /// SubjectPublicKeyInfo PEM with LF line endings and a final newline, as
    /// pyca/cryptography writes it.
    pub(crate) fn spki_pem(&self) -> Result<String, KeyError> {
        let pem = match self {
            PublicMaterial::Ed25519(k) => k.to_public_key_pem(LineEnding::LF),
            PublicMaterial::Rsa(k) => k.to_public_key_pem(LineEnding::LF),
            PublicMaterial::P256(k) => k.to_public_key_pem(LineEnding::LF),
            PublicMaterial::P384(k) => k.to_public_key_pem(LineEnding::LF),
            PublicMaterial::P521(k) => k.to_public_key_pem(LineEnding::LF),
        };
        pem.map_err(|_| KeyError::Encode)
    }

    /// The `keyval.public` value securesystemslib writes: hex for ed25519,
    /// SubjectPublicKeyInfo PEM otherwise.
    pub(crate) fn public_value(&self) -> Result<String, KeyError> {
        match self {
            PublicMaterial::Ed25519(k) => Ok(hex::encode(k.to_bytes())),
            _ => self.spki_pem(),
        }
    }

    /// Decodes a `keyval.public` value for a key type: hex for ed25519; PEM,
    /// or the hex of a SEC1 point (as in-toto-rs wrote), for ECDSA; PEM for RSA.
    pub(crate) fn from_public_value(key_type: KeyType, public: &str) -> Result<Self, KeyError> {
        let bad = |keytype: &'static str| KeyError::PublicValue { keytype };
        let material = match key_type {
            KeyType::Ed25519 => {
                let bytes: [u8; 32] = hex::decode(public.trim())
                    .and_then(|b| b.try_into().ok())
                    .ok_or(bad("ed25519"))?;
                PublicMaterial::Ed25519(
                    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| bad("ed25519"))?,
                )
            }
            KeyType::Rsa => crate::pem::decode_public(public.as_bytes()).map_err(|_| bad("rsa"))?,
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::EcdsaP521 => {
                if public.trim_start().starts_with("-----BEGIN") {
                    crate::pem::decode_public(public.as_bytes()).map_err(|_| bad("ecdsa"))?
                } else {
                    let point = hex::decode(public.trim()).ok_or_else(|| bad("ecdsa"))?;
                    match key_type {
                        KeyType::EcdsaP256 => PublicMaterial::P256(
                            p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                                .map_err(|_| bad("ecdsa"))?,
                        ),
                        KeyType::EcdsaP384 => PublicMaterial::P384(
                            p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                                .map_err(|_| bad("ecdsa"))?,
                        ),
                        _ => PublicMaterial::P521(
                            p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                                .map_err(|_| bad("ecdsa"))?,
                        ),
                    }
                }
            }
        };
        if material.key_type() != key_type {
            return Err(KeyError::PublicValue {
                keytype: key_type.keytype(),
            });
        }
        Ok(material)
    }

    /// Checks `sig` over `msg` under `scheme`. `false` on any mismatch.
    pub(crate) fn verify(&self, scheme: Scheme, msg: &[u8], sig: &[u8]) -> bool {
        match (self, scheme) {
            (PublicMaterial::Ed25519(k), Scheme::Ed25519) => {
                ed25519_dalek::Signature::from_slice(sig)
                    .map(|s| k.verify_strict(msg, &s).is_ok())
                    .unwrap_or(false)
            }
            (PublicMaterial::Rsa(k), Scheme::RsassaPss(h)) => {
                // `try_from` stops at 8192-bit keys' signatures; keys are
                // accepted up to 16384 bits, and the verification checks
                // the exact length against the key.
                let max = rsa::traits::PublicKeyParts::size(k.as_ref());
                let Ok(s) = rsa::pss::Signature::from_bytes_with_max_len(sig, max) else {
                    return false;
                };
                let k = (**k).clone();
                match h {
                    DigestAlgorithm::Sha224 => {
                        rsa::pss::VerifyingKey::<Sha224>::new_with_auto_salt_len(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha256 => {
                        rsa::pss::VerifyingKey::<Sha256>::new_with_auto_salt_len(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha384 => {
                        rsa::pss::VerifyingKey::<Sha384>::new_with_auto_salt_len(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha512 => {
                        rsa::pss::VerifyingKey::<Sha512>::new_with_auto_salt_len(k).verify(msg, &s)
                    }
                    // No signature scheme hashes with it.
                    _ => return false,
                }
                .is_ok()
            }
            (PublicMaterial::Rsa(k), Scheme::RsaPkcs1v15(h)) => {
                let max = rsa::traits::PublicKeyParts::size(k.as_ref());
                let Ok(s) = rsa::pkcs1v15::Signature::from_bytes_with_max_len(sig, max) else {
                    return false;
                };
                let k = (**k).clone();
                match h {
                    DigestAlgorithm::Sha224 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha224>::new(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha256 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha384 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha384>::new(k).verify(msg, &s)
                    }
                    DigestAlgorithm::Sha512 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha512>::new(k).verify(msg, &s)
                    }
                    _ => return false,
                }
                .is_ok()
            }
            (PublicMaterial::P256(k), Scheme::EcdsaP256) => {
                p256::ecdsa::DerSignature::from_bytes(sig)
                    .ok()
                    .and_then(|d| p256::ecdsa::Signature::try_from(d).ok())
                    .is_some_and(|s| k.verify(msg, &s).is_ok())
            }
            (PublicMaterial::P384(k), Scheme::EcdsaP384) => {
                p384::ecdsa::DerSignature::from_bytes(sig)
                    .ok()
                    .and_then(|d| p384::ecdsa::Signature::try_from(d).ok())
                    .is_some_and(|s| k.verify(msg, &s).is_ok())
            }
            (PublicMaterial::P521(k), Scheme::EcdsaP521) => {
                p521::ecdsa::DerSignature::from_bytes(sig)
                    .ok()
                    .and_then(|d| p521::ecdsa::Signature::try_from(d).ok())
                    .is_some_and(|s| k.verify(msg, &s).is_ok())
            }
            _ => false,
        }
    }
}

impl PrivateMaterial {
    pub(crate) fn public(&self) -> PublicMaterial {
        match self {
            PrivateMaterial::Ed25519(k) => PublicMaterial::Ed25519(k.verifying_key()),
            PrivateMaterial::Rsa(k) => PublicMaterial::Rsa(Box::new(k.to_public_key())),
            PrivateMaterial::P256(k) => PublicMaterial::P256(*k.verifying_key()),
            PrivateMaterial::P384(k) => PublicMaterial::P384(*k.verifying_key()),
            PrivateMaterial::P521(k) => PublicMaterial::P521(*k.verifying_key()),
        }
    }

    /// Signs `msg` under `scheme`: RSA-PSS with salt length = digest length,
    /// ECDSA as DER, as securesystemslib signs.
    pub(crate) fn sign(&self, scheme: Scheme, msg: &[u8]) -> Option<Vec<u8>> {
        self.sign_parts(scheme, &[msg])
    }

    /// [`PrivateMaterial::sign`] over the concatenation of `parts`, hashed in
    /// turn.
    pub(crate) fn sign_parts(&self, scheme: Scheme, parts: &[&[u8]]) -> Option<Vec<u8>> {
        use signature::{MultipartSigner as _, SignatureEncoding as _};
        match (self, scheme) {
            (PrivateMaterial::Ed25519(k), Scheme::Ed25519) => k
                .try_multipart_sign(parts)
                .ok()
                .map(|s| s.to_bytes().to_vec()),
            (PrivateMaterial::Rsa(k), Scheme::RsassaPss(h)) => {
                let k = (**k).clone();
                match h {
                    DigestAlgorithm::Sha224 => rsa::pss::SigningKey::<Sha224>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha256 => rsa::pss::SigningKey::<Sha256>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha384 => rsa::pss::SigningKey::<Sha384>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha512 => rsa::pss::SigningKey::<Sha512>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    _ => None,
                }
            }
            (PrivateMaterial::Rsa(k), Scheme::RsaPkcs1v15(h)) => {
                let k = (**k).clone();
                match h {
                    DigestAlgorithm::Sha224 => rsa::pkcs1v15::SigningKey::<Sha224>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha256 => rsa::pkcs1v15::SigningKey::<Sha256>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha384 => rsa::pkcs1v15::SigningKey::<Sha384>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    DigestAlgorithm::Sha512 => rsa::pkcs1v15::SigningKey::<Sha512>::new(k)
                        .try_multipart_sign(parts)
                        .ok()
                        .map(|s| s.to_vec()),
                    _ => None,
                }
            }
            (PrivateMaterial::P256(k), Scheme::EcdsaP256) => {
                let s: p256::ecdsa::Signature = k.try_multipart_sign(parts).ok()?;
                Some(s.to_der().to_bytes().to_vec())
            }
            (PrivateMaterial::P384(k), Scheme::EcdsaP384) => {
                let s: p384::ecdsa::Signature = k.try_multipart_sign(parts).ok()?;
                Some(s.to_der().to_bytes().to_vec())
            }
            (PrivateMaterial::P521(k), Scheme::EcdsaP521) => {
                let s: p521::ecdsa::Signature = k.try_multipart_sign(parts).ok()?;
                Some(s.to_der().to_bytes().to_vec())
            }
            _ => None,
        }
    }

    /// The fixed length of this key's signatures, if it has one.
    pub(crate) fn signature_len(&self, scheme: Scheme) -> Option<usize> {
        use rsa::traits::PublicKeyParts as _;
        match (self, scheme) {
            (PrivateMaterial::Ed25519(_), Scheme::Ed25519) => Some(64),
            (PrivateMaterial::Rsa(k), Scheme::RsassaPss(_) | Scheme::RsaPkcs1v15(_)) => {
                Some(k.size())
            }
            _ => None,
        }
    }

    /// PKCS#8 DER.
    pub(crate) fn pkcs8_der(&self) -> Result<pkcs8::SecretDocument, KeyError> {
        let doc = match self {
            // PKCS#8 v1, without the optional public key: OpenSSL (and so
            // pyca/cryptography and the reference) reject the v2 form.
            PrivateMaterial::Ed25519(k) => ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: k.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der(),
            PrivateMaterial::Rsa(k) => k.to_pkcs8_der(),
            PrivateMaterial::P256(k) => k.to_pkcs8_der(),
            PrivateMaterial::P384(k) => k.to_pkcs8_der(),
            PrivateMaterial::P521(k) => k.to_pkcs8_der(),
        };
        doc.map_err(|_| KeyError::Encode)
    }

    /// PKCS#8 PEM, encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC) when a
    /// password is given, as pyca/cryptography's `BestAvailableEncryption` does.
    pub(crate) fn pkcs8_pem(&self, password: Option<&[u8]>) -> Result<Zeroizing<String>, KeyError> {
        let der = self.pkcs8_der()?;
        let Some(password) = password else {
            return der
                .to_pem("PRIVATE KEY", LineEnding::LF)
                .map_err(|_| KeyError::Encode);
        };
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| KeyError::Randomness)?;
        getrandom::fill(&mut iv).map_err(|_| KeyError::Randomness)?;
        let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            PBKDF2_ITERATIONS,
            &salt,
            iv,
        )
        .map_err(|_| KeyError::Encode)?;
        let info =
            pkcs8::PrivateKeyInfoRef::try_from(der.as_bytes()).map_err(|_| KeyError::Encode)?;
        let encrypted = info
            .encrypt_with_params(params, password)
            .map_err(|_| KeyError::Encode)?;
        encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map_err(|_| KeyError::Encode)
    }
}

/// PBKDF2 rounds for keys we encrypt.
const PBKDF2_ITERATIONS: u32 = 100_000;
