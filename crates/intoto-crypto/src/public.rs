//! Public keys: what checks signatures.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use intoto_model::encoding::hex;
use intoto_model::{KeyDict, KeyId};

use crate::error::{KeyError, SignatureError};
use crate::keyid::{self, KeyIdForm};
use crate::material::PublicMaterial;
use crate::scheme::Scheme;

/// A signature to check: the signer's keyid, the decoded signature bytes and,
/// for OpenPGP signatures, the hashed subpackets.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SignatureBytes<'a> {
    /// The keyid the signature names.
    pub keyid: &'a KeyId,
    /// The raw signature.
    pub sig: &'a [u8],
    /// OpenPGP hashed subpackets (`other_headers`), if any.
    pub other_headers: Option<&'a [u8]>,
}

/// The verification side of one key family. Implemented here for
/// securesystemslib keys; OpenPGP keys plug in the same way.
pub trait VerifyKey: Send + Sync + fmt::Debug {
    /// The scheme name, for messages.
    fn scheme_name(&self) -> String;
    /// Checks `sig` over `msg`.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] when the signature does not verify.
    fn verify(&self, msg: &[u8], sig: &SignatureBytes<'_>) -> Result<(), SignatureError>;
    /// Keyids of subkeys whose signatures count for this key (OpenPGP).
    fn subkeys(&self) -> Vec<KeyId> {
        Vec::new()
    }
    /// A fingerprint of the key material itself, the same whatever keyid
    /// the key is listed under: two keys with equal fingerprints are one
    /// functionary.
    fn fingerprint(&self) -> String;
    /// When the key (or, for OpenPGP, the subkey a signature names by
    /// `keyid`) expires, in seconds since the Unix epoch; `None` if it does
    /// not. A key whose expiry is before the verification time must not be
    /// trusted (the reference: `creation_time + validity_period < now`).
    ///
    /// Key code never reads the clock: callers holding `now` enforce this,
    /// as [`check_signature_at`](crate::check_signature_at) does.
    fn expires_at(&self, keyid: &KeyId) -> Option<i64> {
        let _ = keyid;
        None
    }
}

/// A public key with the keyid it is known by.
#[derive(Clone)]
pub struct PublicKey {
    keyid: KeyId,
    other_keyids: Vec<KeyId>,
    dict: KeyDict,
    verifier: Arc<dyn VerifyKey>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("keyid", &self.keyid)
            .field("scheme", &self.verifier.scheme_name())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub(crate) struct StandardKey {
    pub(crate) material: PublicMaterial,
    pub(crate) scheme: Scheme,
}

impl VerifyKey for StandardKey {
    fn scheme_name(&self) -> String {
        self.scheme.name()
    }

    fn verify(&self, msg: &[u8], sig: &SignatureBytes<'_>) -> Result<(), SignatureError> {
        if sig.other_headers.is_some() {
            return Err(SignatureError::WrongKind {
                keyid: sig.keyid.clone(),
            });
        }
        if self.material.verify(self.scheme, msg, sig.sig) {
            Ok(())
        } else {
            Err(SignatureError::Invalid {
                keyid: sig.keyid.clone(),
            })
        }
    }

    fn fingerprint(&self) -> String {
        let der = self.material.spki_der().unwrap_or_default();
        hex::encode(Sha256::digest(&der))
    }
}

impl PublicKey {
    /// A key from a verifier and its metadata form.
    pub fn from_parts(keyid: KeyId, dict: KeyDict, verifier: Arc<dyn VerifyKey>) -> Self {
        Self {
            keyid,
            other_keyids: Vec::new(),
            dict,
            verifier,
        }
    }

    /// A key as a layout lists it: the keyid is the one the layout uses.
    ///
    /// The key's computed keyids (modern and legacy forms) also match
    /// signatures, so a signature made by the same key under the other
    /// keyid form counts for it.
    ///
    /// # Errors
    ///
    /// [`KeyError`] if the dict is not a supported key.
    pub fn from_key_dict(keyid: KeyId, dict: &KeyDict) -> Result<Self, KeyError> {
        if dict.is_gpg() {
            return crate::gpg::key_from_dict(keyid, dict);
        }
        let keytype = dict
            .keytype()
            .ok_or(KeyError::KeyDictField { field: "keytype" })?;
        // Metadata from before schemes were recorded (spec v0.9 examples)
        // implies the one scheme each key type had then.
        let scheme_name = match (dict.scheme(), keytype) {
            (Some(s), _) => s,
            (None, "rsa") => "rsassa-pss-sha256",
            (None, "ed25519") => "ed25519",
            (None, _) => return Err(KeyError::KeyDictField { field: "scheme" }),
        };
        let public = dict
            .as_map()
            .get("keyval")
            .and_then(|kv| kv.get("public"))
            .and_then(Value::as_str)
            .ok_or(KeyError::KeyDictField {
                field: "keyval.public",
            })?;
        let scheme = Scheme::from_key_dict(keytype, scheme_name).ok_or_else(|| {
            KeyError::UnsupportedScheme {
                keytype: keytype.to_owned(),
                scheme: scheme_name.to_owned(),
            }
        })?;
        let material = PublicMaterial::from_public_value(scheme.key_type(), public)?;
        let mut key = Self::from_parts(
            keyid,
            dict.clone(),
            Arc::new(StandardKey { material, scheme }),
        );
        key.add_computed_keyids(keytype, scheme_name, public);
        Ok(key)
    }

    /// A key from a PEM SubjectPublicKeyInfo (or PKCS#1 RSA) public key, as
    /// the reference loads `--verification-keys`: the default scheme of its
    /// type and the keyid in `form`.
    ///
    /// # Errors
    ///
    /// [`KeyError`] if the text is not a supported public key.
    pub fn from_pem(pem: &[u8], form: KeyIdForm) -> Result<Self, KeyError> {
        let material = crate::pem::decode_public(pem)?;
        Self::from_material(material, None, form)
    }

    /// Reads a public key file: PEM, or a securesystemslib JSON key dict
    /// (`{"keytype", "scheme", "keyval"}`, with or without `keyid`).
    ///
    /// # Errors
    ///
    /// [`KeyError`] if the contents are neither.
    pub fn from_file_contents(contents: &[u8], form: KeyIdForm) -> Result<Self, KeyError> {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(contents) {
            return Self::from_json_dict(map, form);
        }
        Self::from_pem(contents, form)
    }

    /// A key from a securesystemslib JSON key dict; private parts are
    /// dropped. The keyid is the dict's `keyid` if present, else computed.
    ///
    /// # Errors
    ///
    /// [`KeyError`] if the dict is not a supported key.
    pub fn from_json_dict(mut map: Map<String, Value>, form: KeyIdForm) -> Result<Self, KeyError> {
        if let Some(Value::Object(keyval)) = map.get_mut("keyval") {
            keyval.remove("private");
        }
        let given = map.get("keyid").and_then(Value::as_str).map(KeyId::new);
        let dict = KeyDict::from_map(map.clone());
        let keytype = dict
            .keytype()
            .ok_or(KeyError::KeyDictField { field: "keytype" })?;
        let scheme = dict
            .scheme()
            .ok_or(KeyError::KeyDictField { field: "scheme" })?;
        let public = map
            .get("keyval")
            .and_then(|kv| kv.get("public"))
            .and_then(Value::as_str)
            .ok_or(KeyError::KeyDictField {
                field: "keyval.public",
            })?;
        let computed = match map.contains_key("keyid_hash_algorithms") {
            true => keyid::compute(keytype, scheme, public, KeyIdForm::Legacy),
            false => keyid::compute(keytype, scheme, public, form),
        };
        let keyid = given.unwrap_or(computed);
        Self::from_key_dict(keyid, &dict)
    }

    pub(crate) fn from_material(
        material: PublicMaterial,
        scheme: Option<Scheme>,
        form: KeyIdForm,
    ) -> Result<Self, KeyError> {
        let scheme = scheme.unwrap_or_else(|| material.key_type().default_scheme());
        if scheme.key_type() != material.key_type() {
            return Err(KeyError::SchemeMismatch {
                scheme: scheme.name(),
            });
        }
        let keytype = material.key_type().keytype();
        let public = material.public_value()?;
        let scheme_name = scheme.name();
        let keyid = keyid::compute(keytype, &scheme_name, &public, form);
        let mut map = match form {
            KeyIdForm::Modern => {
                json!({"keytype": keytype, "scheme": scheme_name, "keyval": {"public": public}})
            }
            KeyIdForm::Legacy => json!({
                "keytype": keytype, "scheme": scheme_name, "keyval": {"public": public.trim()},
                "keyid_hash_algorithms": ["sha256", "sha512"],
            }),
        };
        map["keyid"] = Value::String(keyid.to_string());
        let Value::Object(map) = map else {
            return Err(KeyError::Encode);
        };
        let mut key = Self::from_parts(
            keyid,
            KeyDict::from_map(map),
            Arc::new(StandardKey { material, scheme }),
        );
        key.add_computed_keyids(keytype, &scheme_name, &public);
        Ok(key)
    }

    fn add_computed_keyids(&mut self, keytype: &str, scheme: &str, public: &str) {
        // Both forms, and the PEM with and without its final newline, since
        // key dicts in the wild carry either.
        let mut publics = vec![public.to_owned()];
        if public.starts_with("-----BEGIN") {
            let trimmed = public.trim().to_owned();
            publics.push(format!("{trimmed}\n"));
            publics.push(trimmed);
        }
        for p in &publics {
            for form in [KeyIdForm::Modern, KeyIdForm::Legacy] {
                let id = keyid::compute(keytype, scheme, p, form);
                if id != self.keyid && !self.other_keyids.contains(&id) {
                    self.other_keyids.push(id);
                }
            }
        }
    }

    /// The keyid the key is known by (the layout's, or the computed one).
    pub fn keyid(&self) -> &KeyId {
        &self.keyid
    }

    /// The same key known by another keyid (a layout's).
    #[must_use]
    pub fn with_keyid(mut self, keyid: KeyId) -> Self {
        if keyid == self.keyid {
            return self;
        }
        let old = std::mem::replace(&mut self.keyid, keyid);
        self.other_keyids.retain(|k| *k != self.keyid);
        self.other_keyids.push(old);
        if self.dict.as_map().contains_key("keyid") {
            let mut map = self.dict.as_map().clone();
            map.insert("keyid".into(), Value::String(self.keyid.to_string()));
            self.dict = KeyDict::from_map(map);
        }
        self
    }

    /// Every keyid a signature by this key may carry: the primary one, its
    /// other computed forms, and OpenPGP subkeys.
    pub fn keyids(&self) -> Vec<KeyId> {
        let mut ids = vec![self.keyid.clone()];
        ids.extend(self.other_keyids.iter().cloned());
        ids.extend(self.verifier.subkeys());
        ids
    }

    /// Whether a signature naming `keyid` may be by this key.
    pub fn matches(&self, keyid: &KeyId) -> bool {
        *keyid == self.keyid
            || self.other_keyids.contains(keyid)
            || self.verifier.subkeys().contains(keyid)
    }

    /// The key as metadata lists it.
    pub fn key_dict(&self) -> &KeyDict {
        &self.dict
    }

    /// The scheme name.
    pub fn scheme_name(&self) -> String {
        self.verifier.scheme_name()
    }

    /// A fingerprint of the key material, equal for the same key whatever
    /// keyid it is listed under.
    pub fn fingerprint(&self) -> String {
        self.verifier.fingerprint()
    }

    /// When the key expires, in seconds since the Unix epoch, for a
    /// signature naming `keyid` (for OpenPGP keys the subkey of that keyid,
    /// else the master key); `None` if it never does. Only OpenPGP keys
    /// expire. See [`VerifyKey::expires_at`] and
    /// [`check_signature_at`](crate::check_signature_at).
    pub fn expires_at(&self, keyid: &KeyId) -> Option<i64> {
        self.verifier.expires_at(keyid)
    }

    /// Checks one signature over `msg`.
    ///
    /// # Errors
    ///
    /// [`SignatureError`] when it does not verify.
    pub fn verify(&self, msg: &[u8], sig: &SignatureBytes<'_>) -> Result<(), SignatureError> {
        self.verifier.verify(msg, sig)
    }
}
