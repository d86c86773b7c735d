//! PEM and DER key decoding: PKCS#8 (plain and encrypted), PKCS#1, SEC1 and
//! SubjectPublicKeyInfo, plus the legacy encryptions still found in old key
//! files (PKCS#5 v1.5 `pbeWithMD5AndDES-CBC` and OpenSSL `Proc-Type` headers).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use intoto_model::encoding::hex;
use md5::{Digest, Md5};
use pkcs8::der::{Decode, SecretDocument};
use pkcs8::{
    DecodePrivateKey, DecodePublicKey, ObjectIdentifier, PrivateKeyInfoRef, SubjectPublicKeyInfoRef,
};
use rsa::pkcs1::DecodeRsaPrivateKey;
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::material::{PrivateMaterial, PublicMaterial};

const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// CBC decryption with PKCS#7 padding; the plaintext length, or a wrong-password error.
macro_rules! decrypt_in_place {
    ($cipher:ty, $key:expr, $iv:expr, $buf:expr) => {
        cbc::Decryptor::<$cipher>::new_from_slices($key, $iv)
            .map_err(|_| KeyError::WrongPassword)
            .and_then(|dec| {
                dec.decrypt_padded::<Pkcs7>($buf)
                    .map(|plain| plain.len())
                    .map_err(|_| KeyError::WrongPassword)
            })
    };
}

/// One PEM block: its label, RFC 1421 headers and decoded body.
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// `der` as a PEM block with `label`, in 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// All PEM blocks in `text`, in order. Text outside blocks is ignored.
pub(crate) fn parse_blocks(text: &[u8]) -> Vec<PemBlock> {
    let text = String::from_utf8_lossy(text);
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = Zeroizing::new(String::new());
        let mut in_headers = true;
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if in_headers {
                if let Some((k, v)) = line.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                    continue;
                }
                in_headers = false;
                if line.is_empty() {
                    continue;
                }
            }
            body.push_str(line);
        }
        if !closed {
            break;
        }
        if let Ok(der) = STANDARD.decode(body.as_bytes()) {
            blocks.push(PemBlock {
                label: label.to_owned(),
                headers,
                der: Zeroizing::new(der),
            });
        }
    }
    blocks
}

/// Decodes the first private key in a PEM text.
pub(crate) fn decode_private(
    text: &[u8],
    password: Option<&[u8]>,
) -> Result<PrivateMaterial, KeyError> {
    let blocks = parse_blocks(text);
    let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        if blocks.iter().any(|b| b.label.ends_with("PUBLIC KEY")) {
            return Err(KeyError::PublicNotPrivate);
        }
        return Err(KeyError::NotPem);
    };
    let material = match block.label.as_str() {
        "PRIVATE KEY" => private_from_pkcs8(&block.der),
        "ENCRYPTED PRIVATE KEY" => {
            let password = password.ok_or(KeyError::PasswordRequired)?;
            let der = decrypt_pkcs8(&block.der, password)?;
            private_from_pkcs8(der.as_bytes())
        }
        "RSA PRIVATE KEY" => {
            let der = legacy_decrypt_if_needed(block, password)?;
            rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| PrivateMaterial::Rsa(Box::new(k)))
                .map_err(|_| malformed_or_wrong_password(block, "PKCS#1 RSA private key"))
        }
        "EC PRIVATE KEY" => {
            let der = legacy_decrypt_if_needed(block, password)?;
            private_from_sec1(&der).map_err(|e| match e {
                KeyError::Malformed { what } => malformed_or_wrong_password(block, what),
                other => other,
            })
        }
        other => Err(KeyError::UnsupportedPem {
            label: other.to_owned(),
        }),
    }?;
    if let PrivateMaterial::Rsa(k) = &material {
        check_rsa_size(rsa::traits::PublicKeyParts::n(k.as_ref()).bits_vartime())?;
    }
    Ok(material)
}

/// RSA modulus sizes accepted, for public and private keys alike, so that
/// every key that signs can also verify: up to 16384 bits, as OpenSSL.
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=16384;

fn check_rsa_size(bits: u32) -> Result<(), KeyError> {
    let bits = usize::try_from(bits).unwrap_or(usize::MAX);
    if RSA_BITS.contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::RsaSize { bits })
    }
}

/// An RSA public key from its PKCS#1 DER (also the inside of an SPKI),
/// with modulus sizes up to [`RSA_BITS`] (the `rsa` crate's own limit is
/// lower than the private keys it loads).
fn rsa_public_from_pkcs1(der: &[u8]) -> Result<rsa::RsaPublicKey, KeyError> {
    let malformed = KeyError::Malformed {
        what: "RSA public key",
    };
    let key = rsa::pkcs1::RsaPublicKeyRef::from_der(der).map_err(|_| KeyError::Malformed {
        what: "RSA public key",
    })?;
    let uint = |bytes: &[u8]| {
        let bits = u32::try_from(bytes.len().saturating_mul(8)).ok()?;
        rsa::BoxedUint::from_be_slice(bytes, bits).ok()
    };
    let n = uint(key.modulus.as_bytes()).ok_or(KeyError::Malformed {
        what: "RSA public key",
    })?;
    let e = uint(key.public_exponent.as_bytes()).ok_or(KeyError::Malformed {
        what: "RSA public key",
    })?;
    check_rsa_size(n.bits_vartime())?;
    rsa::RsaPublicKey::new_with_size_limits(n, e, RSA_BITS).map_err(|_| malformed)
}

/// Decodes the first public key in a PEM text.
pub(crate) fn decode_public(text: &[u8]) -> Result<PublicMaterial, KeyError> {
    let blocks = parse_blocks(text);
    let block = blocks.first().ok_or(KeyError::NotPem)?;
    match block.label.as_str() {
        "PUBLIC KEY" => public_from_spki(&block.der),
        "RSA PUBLIC KEY" => {
            rsa_public_from_pkcs1(&block.der).map(|k| PublicMaterial::Rsa(Box::new(k)))
        }
        label if label.ends_with("PRIVATE KEY") => Err(KeyError::PrivateNotPublic),
        other => Err(KeyError::UnsupportedPem {
            label: other.to_owned(),
        }),
    }
}

pub(crate) fn public_from_spki(der: &[u8]) -> Result<PublicMaterial, KeyError> {
    let malformed = KeyError::Malformed {
        what: "SubjectPublicKeyInfo",
    };
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::Malformed {
        what: "SubjectPublicKeyInfo",
    })?;
    let oid = info.algorithm.oid;
    let m = if oid == OID_ED25519 {
        ed25519_dalek::VerifyingKey::from_public_key_der(der).map(PublicMaterial::Ed25519)
    } else if oid == OID_RSA {
        let inner = info
            .subject_public_key
            .as_bytes()
            .ok_or(KeyError::Malformed {
                what: "SubjectPublicKeyInfo",
            })?;
        return rsa_public_from_pkcs1(inner).map(|k| PublicMaterial::Rsa(Box::new(k)));
    } else if oid == OID_EC {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| KeyError::Malformed {
                what: "EC public key parameters",
            })?;
        if curve == OID_P256 {
            p256::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicMaterial::P256)
        } else if curve == OID_P384 {
            p384::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicMaterial::P384)
        } else if curve == OID_P521 {
            p521::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicMaterial::P521)
        } else {
            return Err(KeyError::UnsupportedAlgorithm {
                algorithm: format!("ECDSA curve {curve}"),
            });
        }
    } else {
        return Err(KeyError::UnsupportedAlgorithm {
            algorithm: oid.to_string(),
        });
    };
    m.map_err(|_| malformed)
}

fn private_from_pkcs8(der: &[u8]) -> Result<PrivateMaterial, KeyError> {
    let malformed = || KeyError::Malformed {
        what: "PKCS#8 private key",
    };
    let info = PrivateKeyInfoRef::from_der(der).map_err(|_| malformed())?;
    let oid = info.algorithm.oid;
    if oid == OID_ED25519 {
        ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(|k| PrivateMaterial::Ed25519(Box::new(k)))
            .map_err(|_| malformed())
    } else if oid == OID_RSA {
        rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map(|k| PrivateMaterial::Rsa(Box::new(k)))
            .map_err(|_| malformed())
    } else if oid == OID_EC {
        let curve = info.algorithm.parameters_oid().map_err(|_| malformed())?;
        if curve == OID_P256 {
            p256::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(|k| PrivateMaterial::P256(Box::new(k)))
                .map_err(|_| malformed())
        } else if curve == OID_P384 {
            p384::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(|k| PrivateMaterial::P384(Box::new(k)))
                .map_err(|_| malformed())
        } else if curve == OID_P521 {
            p521::ecdsa::SigningKey::from_pkcs8_der(der)
                .map(|k| PrivateMaterial::P521(Box::new(k)))
                .map_err(|_| malformed())
        } else {
            Err(KeyError::UnsupportedAlgorithm {
                algorithm: format!("ECDSA curve {curve}"),
            })
        }
    } else {
        Err(KeyError::UnsupportedAlgorithm {
            algorithm: oid.to_string(),
        })
    }
}

fn private_from_sec1(der: &[u8]) -> Result<PrivateMaterial, KeyError> {
    let malformed = || KeyError::Malformed {
        what: "SEC1 EC private key",
    };
    let key = sec1::EcPrivateKey::from_der(der).map_err(|_| malformed())?;
    let curve = key
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(malformed)?;
    if curve == OID_P256 {
        p256::SecretKey::from_sec1_der(der)
            .map(|k| PrivateMaterial::P256(Box::new(k.into())))
            .map_err(|_| malformed())
    } else if curve == OID_P384 {
        p384::SecretKey::from_sec1_der(der)
            .map(|k| PrivateMaterial::P384(Box::new(k.into())))
            .map_err(|_| malformed())
    } else if curve == OID_P521 {
        p521::SecretKey::from_sec1_der(der)
            .map(|k| PrivateMaterial::P521(Box::new(k.into())))
            .map_err(|_| malformed())
    } else {
        Err(KeyError::UnsupportedAlgorithm {
            algorithm: format!("ECDSA curve {curve}"),
        })
    }
}

/// The most iterations a key file may ask of PBKDF2 (RFC 8018
/// calls 10,000,000 fit "for especially critical keys"); a file asking
/// 2^32-1 would keep us busy for hours.
const MAX_KDF_ITERATIONS: u32 = 10_000_000;

/// The most memory a key file may ask of scrypt (128 · r · N bytes), and of
/// memory times parallelism (its work): a file asking N = 2^40 would abort
/// on allocation.
const MAX_SCRYPT_BYTES: u128 = 1 << 30;
const MAX_SCRYPT_WORK: u128 = 1 << 32;

/// Refuses key-derivation parameters that would cost more than any honest
/// key file asks, before deriving anything.
fn check_kdf_cost(kdf: &pkcs8::pkcs5::pbes2::Kdf) -> Result<(), KeyError> {
    match kdf {
        pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(p) if p.iteration_count > MAX_KDF_ITERATIONS => {
            Err(KeyError::KdfTooCostly {
                what: format!("{} PBKDF2 iterations", p.iteration_count),
            })
        }
        pkcs8::pkcs5::pbes2::Kdf::Scrypt(p) => {
            let memory = 128 * u128::from(p.block_size) * u128::from(p.cost_parameter);
            let work = memory * u128::from(p.parallelization);
            if memory > MAX_SCRYPT_BYTES || work > MAX_SCRYPT_WORK {
                return Err(KeyError::KdfTooCostly {
                    what: format!(
                        "scrypt with N={}, r={}, p={} ({} MiB of memory)",
                        p.cost_parameter,
                        p.block_size,
                        p.parallelization,
                        memory >> 20
                    ),
                });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn decrypt_pkcs8(der: &[u8], password: &[u8]) -> Result<SecretDocument, KeyError> {
    let info =
        pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|_| KeyError::Malformed {
            what: "encrypted PKCS#8 private key",
        })?;
    match &info.encryption_algorithm {
        pkcs8::pkcs5::EncryptionScheme::Pbes2(params) => {
            check_kdf_cost(&params.kdf)?;
            info.decrypt(password).map_err(|_| KeyError::WrongPassword)
        }
        pkcs8::pkcs5::EncryptionScheme::Pbes1(alg) => {
            if alg.encryption != pkcs8::pkcs5::pbes1::EncryptionScheme::PbeWithMd5AndDesCbc {
                return Err(KeyError::UnsupportedEncryption {
                    scheme: alg.oid().to_string(),
                });
            }
            let params = alg.parameters;
            let mut dk = Zeroizing::new([0u8; 16]);
            let mut data = Zeroizing::new(Vec::with_capacity(password.len() + params.salt.len()));
            data.extend_from_slice(password);
            data.extend_from_slice(&params.salt);
            let mut digest: [u8; 16] = Md5::digest(data.as_slice()).into();
            for _ in 1..params.iteration_count.max(1) {
                digest = Md5::digest(digest).into();
            }
            dk.copy_from_slice(&digest);
            let mut plain = Zeroizing::new(info.encrypted_data.as_bytes().to_vec());
            let len = decrypt_in_place!(des::Des, &dk[..8], &dk[8..], &mut plain)?;
            SecretDocument::try_from(&plain[..len]).map_err(|_| KeyError::WrongPassword)
        }
        _ => Err(KeyError::UnsupportedEncryption {
            scheme: "unknown PKCS#5 scheme".into(),
        }),
    }
}

/// OpenSSL's traditional encrypted PEM (`Proc-Type: 4,ENCRYPTED` with
/// `DEK-Info: <cipher>,<iv>`), key derived with `EVP_BytesToKey(MD5, 1 round)`.
fn legacy_decrypt_if_needed(
    block: &PemBlock,
    password: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let encrypted = block
        .headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("Proc-Type") && v.contains("ENCRYPTED"));
    if !encrypted {
        return Ok(block.der.clone());
    }
    let password = password.ok_or(KeyError::PasswordRequired)?;
    let dek = block
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("DEK-Info"))
        .map(|(_, v)| v.as_str())
        .ok_or(KeyError::Malformed {
            what: "encrypted PEM header (no DEK-Info)",
        })?;
    let (cipher, iv_hex) = dek.split_once(',').ok_or(KeyError::Malformed {
        what: "encrypted PEM header (DEK-Info)",
    })?;
    let iv = hex::decode(iv_hex.trim()).ok_or(KeyError::Malformed {
        what: "encrypted PEM header (DEK-Info IV)",
    })?;
    let key_len = match cipher.trim() {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        "DES-EDE3-CBC" => 24,
        "DES-CBC" => 8,
        other => {
            return Err(KeyError::UnsupportedEncryption {
                scheme: other.to_owned(),
            });
        }
    };
    if iv.len() < 8 {
        return Err(KeyError::Malformed {
            what: "encrypted PEM header (DEK-Info IV)",
        });
    }
    let key = evp_bytes_to_key(password, &iv[..8], key_len);
    let mut buf = Zeroizing::new(block.der.to_vec());
    let len = match cipher.trim() {
        "AES-128-CBC" => decrypt_in_place!(aes::Aes128, &key, &iv, &mut buf),
        "AES-192-CBC" => decrypt_in_place!(aes::Aes192, &key, &iv, &mut buf),
        "AES-256-CBC" => decrypt_in_place!(aes::Aes256, &key, &iv, &mut buf),
        "DES-EDE3-CBC" => decrypt_in_place!(des::TdesEde3, &key, &iv, &mut buf),
        _ => decrypt_in_place!(des::Des, &key, &iv, &mut buf),
    }?;
    buf.truncate(len);
    Ok(buf)
}

fn evp_bytes_to_key(password: &[u8], salt: &[u8], key_len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(key_len + 16));
    let mut prev: Vec<u8> = Vec::new();
    while key.len() < key_len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(password);
        h.update(salt);
        prev = h.finalize().to_vec();
        key.extend_from_slice(&prev);
    }
    key.truncate(key_len);
    key
}

fn malformed_or_wrong_password(block: &PemBlock, what: &'static str) -> KeyError {
    let encrypted = block.headers.iter().any(|(_, v)| v.contains("ENCRYPTED"));
    if encrypted {
        KeyError::WrongPassword
    } else {
        KeyError::Malformed { what }
    }
}
