//! Private keys: what signs.

use std::fmt;

use serde_json::Value;
use zeroize::Zeroizing;

use intoto_model::KeyId;
use intoto_model::encoding::hex;

use crate::error::{KeyError, SignError};
use crate::keyid::KeyIdForm;
use crate::material::PrivateMaterial;
use crate::public::PublicKey;
use crate::scheme::{KeyType, Scheme};
use crate::signer::{RawSignature, Signer};

/// A private key with its public half and the scheme it signs with.
pub struct PrivateKey {
    material: PrivateMaterial,
    scheme: Scheme,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never show key material.
        f.debug_struct("PrivateKey")
            .field("keyid", self.public.keyid())
            .field("scheme", &self.scheme.name())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a PEM private key (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1),
    /// as the reference reads `--signing-key`. The keyid is computed in `form`.
    ///
    /// # Errors
    ///
    /// [`KeyError`] if the text is not a supported key, it is encrypted and
    /// no password was given, or the password is wrong.
    pub fn from_pem(
        pem: &[u8],
        password: Option<&[u8]>,
        form: KeyIdForm,
    ) -> Result<Self, KeyError> {
        let material = crate::pem::decode_private(pem, password)?;
        Self::from_material(material, None, form)
    }

    /// A private key from unencrypted PKCS#8 DER (as a SPIFFE Workload API
    /// hands out an X509-SVID's key).
    ///
    /// # Errors
    ///
    /// [`KeyError`] if it is not a supported key.
    pub fn from_pkcs8_der(der: &[u8], form: KeyIdForm) -> Result<Self, KeyError> {
        let pem = zeroize::Zeroizing::new(crate::pem::encode("PRIVATE KEY", der));
        Self::from_pem(pem.as_bytes(), None, form)
    }

    /// Reads a private key file: PEM, or a securesystemslib JSON key dict with
    /// `keyval.private` (ed25519 hex, or a PEM for RSA and ECDSA).
    ///
    /// # Errors
    ///
    /// See [`PrivateKey::from_pem`].
    pub fn from_file_contents(
        contents: &[u8],
        password: Option<&[u8]>,
        form: KeyIdForm,
    ) -> Result<Self, KeyError> {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(contents) {
            return Self::from_json_dict(&map, password);
        }
        Self::from_pem(contents, password, form)
    }

    fn from_json_dict(
        map: &serde_json::Map<String, Value>,
        password: Option<&[u8]>,
    ) -> Result<Self, KeyError> {
        let private = map
            .get("keyval")
            .and_then(|kv| kv.get("private"))
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .ok_or(KeyError::KeyDictField {
                field: "keyval.private",
            })?;
        let keytype = map
            .get("keytype")
            .and_then(Value::as_str)
            .ok_or(KeyError::KeyDictField { field: "keytype" })?;
        let scheme_name = map
            .get("scheme")
            .and_then(Value::as_str)
            .ok_or(KeyError::KeyDictField { field: "scheme" })?;
        let scheme = Scheme::from_key_dict(keytype, scheme_name).ok_or_else(|| {
            KeyError::UnsupportedScheme {
                keytype: keytype.to_owned(),
                scheme: scheme_name.to_owned(),
            }
        })?;
        let material = if scheme.key_type() == KeyType::Ed25519 {
            let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(
                hex::decode(private.trim())
                    .and_then(|b| b.try_into().ok())
                    .ok_or(KeyError::PublicValue { keytype: "ed25519" })?,
            );
            PrivateMaterial::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&bytes)))
        } else {
            crate::pem::decode_private(private.as_bytes(), password)?
        };
        let mut public_map = map.clone();
        if let Some(Value::Object(kv)) = public_map.get_mut("keyval") {
            kv.remove("private");
        }
        let public = PublicKey::from_json_dict(public_map, KeyIdForm::Modern)?;
        if material.public()
            != crate::material::PublicMaterial::from_public_value(
                scheme.key_type(),
                &public_value(map),
            )?
        {
            return Err(KeyError::Malformed {
                what: "key dict (the private key does not match keyval.public)",
            });
        }
        Ok(Self {
            material,
            scheme,
            public,
        })
    }

    fn from_material(
        material: PrivateMaterial,
        scheme: Option<Scheme>,
        form: KeyIdForm,
    ) -> Result<Self, KeyError> {
        let scheme = scheme.unwrap_or_else(|| material.public().key_type().default_scheme());
        let public = PublicKey::from_material(material.public(), Some(scheme), form)?;
        Ok(Self {
            material,
            scheme,
            public,
        })
    }

    /// A new random key of `key_type`: ed25519, RSA (3072 bits, like
    /// securesystemslib), or ECDSA.
    ///
    /// # Errors
    ///
    /// [`KeyError::Randomness`] if the operating system has no randomness.
    pub fn generate(key_type: KeyType, rsa_bits: Option<usize>) -> Result<Self, KeyError> {
        let material = match key_type {
            KeyType::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                getrandom::fill(seed.as_mut()).map_err(|_| KeyError::Randomness)?;
                PrivateMaterial::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            KeyType::Rsa => {
                let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
                let bits = rsa_bits.unwrap_or(3072);
                PrivateMaterial::Rsa(Box::new(
                    rsa::RsaPrivateKey::new(&mut rng, bits).map_err(|_| KeyError::Randomness)?,
                ))
            }
            KeyType::EcdsaP256 => PrivateMaterial::P256(Box::new(random_scalar(
                p256::ecdsa::SigningKey::from_slice,
                32,
            )?)),
            KeyType::EcdsaP384 => PrivateMaterial::P384(Box::new(random_scalar(
                p384::ecdsa::SigningKey::from_slice,
                48,
            )?)),
            KeyType::EcdsaP521 => PrivateMaterial::P521(Box::new(random_scalar(
                p521::ecdsa::SigningKey::from_slice,
                66,
            )?)),
        };
        Self::from_material(material, None, KeyIdForm::Modern)
    }

    /// The public half, with the keyid this key signs under.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The keyid signatures by this key carry.
    pub fn keyid(&self) -> &KeyId {
        self.public.keyid()
    }

    /// The signing scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Signs under another keyid form (for example the legacy one, to
    /// interoperate with in-toto-golang).
    ///
    /// # Errors
    ///
    /// [`KeyError::Encode`] if the public key cannot be encoded.
    pub fn with_keyid_form(self, form: KeyIdForm) -> Result<Self, KeyError> {
        let public = PublicKey::from_material(self.material.public(), Some(self.scheme), form)?;
        Ok(Self { public, ..self })
    }

    /// The PKCS#8 PEM form, encrypted when `password` is given.
    ///
    /// # Errors
    ///
    /// [`KeyError`] if encoding or encryption fails.
    pub fn to_pkcs8_pem(&self, password: Option<&[u8]>) -> Result<Zeroizing<String>, KeyError> {
        self.material.pkcs8_pem(password)
    }

    /// The SubjectPublicKeyInfo PEM form of the public key.
    ///
    /// # Errors
    ///
    /// [`KeyError::Encode`] if encoding fails.
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        self.material.public().spki_pem()
    }
}

impl Signer for PrivateKey {
    fn keyid(&self) -> &KeyId {
        self.public.keyid()
    }

    fn sign(&self, msg: &[u8]) -> Result<RawSignature, SignError> {
        let sig = self
            .material
            .sign(self.scheme, msg)
            .ok_or_else(|| SignError::Failed {
                keyid: self.keyid().clone(),
            })?;
        Ok(RawSignature::new(self.keyid().clone(), sig))
    }

    fn sign_parts(&self, parts: &[&[u8]]) -> Result<RawSignature, SignError> {
        let sig = self
            .material
            .sign_parts(self.scheme, parts)
            .ok_or_else(|| SignError::Failed {
                keyid: self.keyid().clone(),
            })?;
        Ok(RawSignature::new(self.keyid().clone(), sig))
    }

    fn signature_len(&self) -> Option<usize> {
        self.material.signature_len(self.scheme)
    }
}

fn public_value(map: &serde_json::Map<String, Value>) -> String {
    map.get("keyval")
        .and_then(|kv| kv.get("public"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn random_scalar<K, E>(
    from_slice: impl Fn(&[u8]) -> Result<K, E>,
    len: usize,
) -> Result<K, KeyError> {
    for _ in 0..64 {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        getrandom::fill(&mut bytes).map_err(|_| KeyError::Randomness)?;
        if len == 66 {
            // P-521 scalars have 521 bits: clear the top 7 bits of the 528.
            bytes[0] &= 0x01;
        }
        if let Ok(key) = from_slice(&bytes) {
            return Ok(key);
        }
    }
    Err(KeyError::Randomness)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_parts_signs_the_concatenation() {
        let parts: [&[u8]; 3] = [b"{\"a\":", b"", b"1}"];
        for key_type in [
            KeyType::Ed25519,
            KeyType::EcdsaP256,
            KeyType::EcdsaP384,
            KeyType::EcdsaP521,
        ] {
            let key = PrivateKey::generate(key_type, None).unwrap();
            let raw = key.sign_parts(&parts).unwrap();
            let public = key.public_key();
            let sig = crate::SignatureBytes {
                keyid: key.keyid(),
                sig: &raw.sig,
                other_headers: None,
            };
            public.verify(b"{\"a\":1}", &sig).unwrap();
            if key_type == KeyType::Ed25519 {
                assert_eq!(
                    raw,
                    key.sign(b"{\"a\":1}").unwrap(),
                    "ed25519 is deterministic"
                );
            }
        }
        let rsa = PrivateKey::generate(KeyType::Rsa, Some(2048)).unwrap();
        let raw = rsa.sign_parts(&parts).unwrap();
        let sig = crate::SignatureBytes {
            keyid: rsa.keyid(),
            sig: &raw.sig,
            other_headers: None,
        };
        rsa.public_key().verify(b"{\"a\":1}", &sig).unwrap();
    }

    #[test]
    fn fixed_signature_lengths_are_exact() {
        for (key_type, expected) in [(KeyType::Ed25519, Some(64)), (KeyType::EcdsaP256, None)] {
            let key = PrivateKey::generate(key_type, None).unwrap();
            assert_eq!(key.signature_len(), expected);
            if let Some(len) = expected {
                assert_eq!(key.sign(b"x").unwrap().sig.len(), len);
            }
        }
        let rsa = PrivateKey::generate(KeyType::Rsa, Some(2048)).unwrap();
        assert_eq!(rsa.signature_len(), Some(256));
        assert_eq!(rsa.sign(b"x").unwrap().sig.len(), 256);
    }
}
