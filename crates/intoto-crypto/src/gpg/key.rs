//! OpenPGP keys in securesystemslib's key-dict form, and their
//! [`VerifyKey`] implementation.
//!
//! A key dict is `{"type", "method", "hashes", "keyid", "keyval": {"private",
//! "public": {..}}, "creation_time"?, "validity_period"?, "subkeys"?: {<keyid>:
//! <key dict>}}`, where `keyval.public` is `{n, e}` (`rsa`,
//! `pgp+rsa-pkcsv1.5`), `{p, q, g, y}` (`dsa`, `pgp+dsa-fips-180-2`) or `{q}`
//! (`eddsa`, `pgp+eddsa-ed25519`), each a hex string.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use intoto_model::encoding::hex;
use intoto_model::{KeyDict, KeyId};

use super::packet::{Algorithm, HashAlgo, PublicParams};
use super::verify::{Material, trailer_digest};
use crate::error::{KeyError, SignatureError};
use crate::public::{PublicKey, SignatureBytes, VerifyKey};

/// The master key or one subkey.
#[derive(Debug)]
struct KeyPart {
    algorithm: Algorithm,
    /// The key, or why it cannot be used (only subkeys may be unusable).
    material: Result<Material, &'static str>,
    creation_time: Option<i64>,
    validity_period: Option<i64>,
}

impl KeyPart {
    /// When the (sub)key expires, as securesystemslib decides it: only if
    /// both the creation time and the validity period are present and
    /// non-zero.
    fn expires_at(&self) -> Option<i64> {
        match (self.creation_time, self.validity_period) {
            (Some(c), Some(v)) if c != 0 && v != 0 => Some(c.saturating_add(v)),
            _ => None,
        }
    }
}

/// An OpenPGP master key with its subkeys.
#[derive(Debug)]
pub(crate) struct GpgKey {
    master: KeyPart,
    subkeys: BTreeMap<KeyId, KeyPart>,
    fingerprint: String,
}

impl GpgKey {
    /// The part a signature naming `keyid` is checked with: the subkey of
    /// that keyid, or else the master key (as securesystemslib's
    /// `verify_signature` chooses).
    fn part(&self, keyid: &KeyId) -> &KeyPart {
        self.subkeys.get(keyid).unwrap_or(&self.master)
    }
}

impl VerifyKey for GpgKey {
    fn scheme_name(&self) -> String {
        self.master.algorithm.method().to_owned()
    }

    fn verify(&self, msg: &[u8], sig: &SignatureBytes<'_>) -> Result<(), SignatureError> {
        let invalid = || SignatureError::Invalid {
            keyid: sig.keyid.clone(),
        };
        let Some(headers) = sig.other_headers else {
            return Err(SignatureError::WrongKind {
                keyid: sig.keyid.clone(),
            });
        };
        let material = match &self.part(sig.keyid).material {
            Ok(m) => m,
            Err(problem) => {
                tracing::warn!(keyid = %sig.keyid, "OpenPGP subkey cannot verify: {problem}");
                return Err(invalid());
            }
        };
        // The reference always hashes with SHA-256, whatever the signature
        // packet says (`_gpg/functions.py::verify_signature`).
        let digest = trailer_digest(HashAlgo::Sha256, msg, headers).ok_or_else(invalid)?;
        if material.verify_digest(HashAlgo::Sha256, &digest, sig.sig) {
            Ok(())
        } else {
            Err(invalid())
        }
    }

    fn subkeys(&self) -> Vec<KeyId> {
        self.subkeys.keys().cloned().collect()
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    fn expires_at(&self, keyid: &KeyId) -> Option<i64> {
        self.part(keyid).expires_at()
    }
}

/// Reads an OpenPGP key dict (see the module documentation) into a key
/// known by `keyid`.
///
/// The master key must be usable. A subkey that is not (an algorithm or
/// size this crate does not support) is kept, so that its keyid still
/// belongs to the key, and its signatures are reported invalid.
pub(crate) fn key_from_dict(keyid: KeyId, dict: &KeyDict) -> Result<PublicKey, KeyError> {
    let map = dict.as_map();
    let master = part_from_map(map, "")?;
    let material = match &master.material {
        Ok(m) => m,
        Err(problem) => {
            return Err(KeyError::GpgKeyField {
                field: "keyval.public".into(),
                problem,
            });
        }
    };
    let fingerprint = fingerprint_of(material, map);
    let mut subkeys = BTreeMap::new();
    match map.get("subkeys") {
        None | Some(Value::Null) => {}
        Some(Value::Object(subs)) => {
            for (id, sub) in subs {
                let path = format!("subkeys.{id}.");
                let Value::Object(sub) = sub else {
                    return Err(KeyError::GpgKeyField {
                        field: format!("subkeys.{id}"),
                        problem: "is not an object",
                    });
                };
                let part = part_from_map(sub, &path)?;
                if let Err(problem) = &part.material {
                    tracing::warn!(%keyid, subkey = %id, "unusable OpenPGP subkey: {problem}");
                }
                subkeys.insert(KeyId::new(id.clone()), part);
            }
        }
        Some(_) => {
            return Err(KeyError::GpgKeyField {
                field: "subkeys".into(),
                problem: "is not an object",
            });
        }
    }
    let key = GpgKey {
        master,
        subkeys,
        fingerprint,
    };
    Ok(PublicKey::from_parts(keyid, dict.clone(), Arc::new(key)))
}

/// The fingerprint of the master key's material: SHA-256 of its
/// SubjectPublicKeyInfo, as for PEM keys, so the same key material is one
/// functionary however it is listed.
fn fingerprint_of(material: &Material, map: &Map<String, Value>) -> String {
    match material.spki_der() {
        Some(der) => hex::encode(Sha256::digest(&der)),
        // Not expected; fall back to the public parameters as listed.
        None => {
            let public = map
                .get("keyval")
                .and_then(|kv| kv.get("public"))
                .map(Value::to_string)
                .unwrap_or_default();
            hex::encode(Sha256::digest(public.as_bytes()))
        }
    }
}

fn field_error(prefix: &str, field: &str, problem: &'static str) -> KeyError {
    KeyError::GpgKeyField {
        field: format!("{prefix}{field}"),
        problem,
    }
}

fn part_from_map(map: &Map<String, Value>, prefix: &str) -> Result<KeyPart, KeyError> {
    let type_name = match map.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(field_error(prefix, "type", "is not a string")),
        None => return Err(field_error(prefix, "type", "is missing")),
    };
    let method = match map.get("method") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(field_error(prefix, "method", "is not a string")),
        None => return Err(field_error(prefix, "method", "is missing")),
    };
    let algorithm = Algorithm::from_type_name(type_name)
        .filter(|a| a.method() == method)
        .ok_or_else(|| KeyError::UnsupportedAlgorithm {
            algorithm: format!(
                "OpenPGP type {type_name:?} with method {method:?} (OpenPGP keys may be rsa with pgp+rsa-pkcsv1.5, dsa with pgp+dsa-fips-180-2, eddsa with pgp+eddsa-ed25519)"
            ),
        })?;
    let public = map
        .get("keyval")
        .and_then(|kv| kv.get("public"))
        .and_then(Value::as_object)
        .ok_or_else(|| field_error(prefix, "keyval.public", "is missing or not an object"))?;
    let hex_field = |name: &'static str| -> Result<Vec<u8>, KeyError> {
        let field = || format!("{prefix}keyval.public.{name}");
        let text =
            public
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| KeyError::GpgKeyField {
                    field: field(),
                    problem: "is missing or not a string",
                })?;
        decode_hex(text).ok_or_else(|| KeyError::GpgKeyField {
            field: field(),
            problem: "is not a hex string",
        })
    };
    let params = match algorithm {
        Algorithm::Rsa => PublicParams::Rsa {
            n: hex_field("n")?,
            e: hex_field("e")?,
        },
        Algorithm::Dsa => PublicParams::Dsa {
            p: hex_field("p")?,
            q: hex_field("q")?,
            g: hex_field("g")?,
            y: hex_field("y")?,
        },
        Algorithm::Eddsa => PublicParams::Eddsa { q: hex_field("q")? },
    };
    let material = Material::from_params(&params);
    Ok(KeyPart {
        algorithm,
        material,
        creation_time: int_field(map, prefix, "creation_time")?,
        validity_period: int_field(map, prefix, "validity_period")?,
    })
}

/// Hex as Python's `int(x, 16)` reads it for RSA and DSA numbers: either
/// case, and an odd number of digits.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 == 1 {
        hex::decode(format!("0{text}"))
    } else {
        hex::decode(text)
    }
}

fn int_field(
    map: &Map<String, Value>,
    prefix: &str,
    name: &'static str,
) -> Result<Option<i64>, KeyError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| field_error(prefix, name, "is not an integer")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn dict(value: Value) -> KeyDict {
        KeyDict::from_value(value, "key").unwrap()
    }

    const N: &str = "c945b94bbc504a61769bb992e2b91a247f8d32c9188cb4918396dadf31ad189928eb21e52ba117e2d4f22737b1ec1b03e36d34386335e00696005515cc3b0c948743f6a6a9988bbdef9047804c0e0eeae43e16b1e8f1a1c5589567b8802c9f33c02e38133a6027958da5ae07c050722cc7261c49fed09a9ce65ff503f973a61ba23ccdbe4204ed7efac13df77274c7be3750b7234087e9d475d7bd93b20d004f5cab5864bdf94c417e7d3d9a094890aa81a8a7caacf4ac7afe3431aa4e01fd01da430c6a6a5ee08fe6e8528f5257b7576f0439467fb0d32a61501809a0ecf4974451866f97d72c617cb12897bd16d4719eb48aefdb5f4fab09bd33b03ebbbcdd";

    fn rsa_dict() -> Value {
        json!({
            "type": "rsa", "method": "pgp+rsa-pkcsv1.5", "hashes": ["pgp+SHA2"],
            "keyid": "8288ef560ed3795f9df2c0db56193089b285da58",
            "keyval": {"private": "", "public": {"e": "010001", "n": N}},
        })
    }

    #[test]
    fn reads_a_master_key_with_subkeys_and_expiry() {
        let mut v = rsa_dict();
        v["creation_time"] = json!(100);
        v["validity_period"] = json!(50);
        let mut sub = rsa_dict();
        sub["creation_time"] = json!(200);
        sub["validity_period"] = json!(0);
        v["subkeys"] = json!({"aa": sub});
        let key = key_from_dict(KeyId::new("8288"), &dict(v)).unwrap();
        assert_eq!(key.scheme_name(), "pgp+rsa-pkcsv1.5");
        assert!(key.matches(&KeyId::new("aa")));
        assert!(!key.matches(&KeyId::new("bb")));
        assert_eq!(key.expires_at(&KeyId::new("8288")), Some(150));
        // A subkey without a (non-zero) validity period does not expire.
        assert_eq!(key.expires_at(&KeyId::new("aa")), None);
        // Unknown keyids are checked with the master key.
        assert_eq!(key.expires_at(&KeyId::new("cc")), Some(150));
    }

    #[test]
    fn the_fingerprint_is_that_of_the_same_key_as_pem() {
        let key = key_from_dict(KeyId::new("a"), &dict(rsa_dict())).unwrap();
        let other = key_from_dict(KeyId::new("b"), &dict(rsa_dict())).unwrap();
        assert_eq!(key.fingerprint(), other.fingerprint());
        assert_eq!(key.fingerprint().len(), 64);
    }

    #[test]
    fn malformed_dicts_are_clear_errors() {
        let cases: Vec<(Value, &str)> = vec![
            (json!({"method": "pgp+rsa-pkcsv1.5"}), "type"),
            (json!({"type": "rsa"}), "method"),
            (
                json!({"type": "rsa", "method": "pgp+rsa-pkcsv1.5"}),
                "keyval.public",
            ),
            (
                json!({"type": "rsa", "method": "pgp+rsa-pkcsv1.5", "keyval": {"public": {"n": "zz", "e": "03"}}}),
                "keyval.public.n",
            ),
            (
                json!({"type": "rsa", "method": "pgp+rsa-pkcsv1.5", "keyval": {"public": {"n": N}}}),
                "keyval.public.e",
            ),
            (
                json!({"type": "rsa", "method": "pgp+rsa-pkcsv1.5", "keyval": {"public": {"n": "0f", "e": "03"}}}),
                "keyval.public",
            ),
        ];
        for (v, field) in cases {
            match key_from_dict(KeyId::new("k"), &dict(v.clone())) {
                Err(KeyError::GpgKeyField { field: f, .. }) => assert_eq!(f, field, "{v}"),
                other => panic!("{v}: {other:?}"),
            }
        }
        let mut v = rsa_dict();
        v["creation_time"] = json!("yesterday");
        assert!(matches!(
            key_from_dict(KeyId::new("k"), &dict(v)),
            Err(KeyError::GpgKeyField { .. })
        ));
        let mut v = rsa_dict();
        v["subkeys"] = json!({"aa": {"type": "rsa"}});
        assert!(matches!(
            key_from_dict(KeyId::new("k"), &dict(v)),
            Err(KeyError::GpgKeyField { field, .. }) if field == "subkeys.aa.method"
        ));
    }

    #[test]
    fn unsupported_algorithms_are_named() {
        for (t, m) in [("elgamal", "pgp+elgamal"), ("rsa", "pgp+dsa-fips-180-2")] {
            let v = json!({"type": t, "method": m, "keyval": {"public": {}}});
            let err = key_from_dict(KeyId::new("k"), &dict(v)).unwrap_err();
            assert!(
                matches!(err, KeyError::UnsupportedAlgorithm { .. }),
                "{err}"
            );
            assert!(err.to_string().contains(m), "{err}");
        }
    }

    #[test]
    fn an_unusable_subkey_is_kept_but_never_verifies() {
        let mut v = rsa_dict();
        v["subkeys"] = json!({"aa": {"type": "rsa", "method": "pgp+rsa-pkcsv1.5",
            "keyval": {"public": {"n": "0f", "e": "03"}}}});
        let key = key_from_dict(KeyId::new("k"), &dict(v)).unwrap();
        assert!(key.matches(&KeyId::new("aa")));
        let keyid = KeyId::new("aa");
        let err = key
            .verify(
                b"x",
                &SignatureBytes {
                    keyid: &keyid,
                    sig: &[1],
                    other_headers: Some(&[4]),
                },
            )
            .unwrap_err();
        assert!(matches!(err, SignatureError::Invalid { .. }));
    }
}
