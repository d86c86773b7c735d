//! Reading a key dict from `gpg --export` output, as securesystemslib's
//! `get_pubkey_bundle` does (`_gpg/common.py`): the master key, its expiry
//! from the newest valid self-certification (preferring primary user IDs),
//! and the subkeys bound to it by exactly one valid binding signature.

use serde_json::{Map, Value, json};

use intoto_model::KeyDict;

use super::GpgError;
use super::packet::{
    HashAlgo, ParsedPublicKey, SIG_CERTIFICATIONS, SIG_SUB_KEY_BINDING, SUB_KEY_EXPIRATION,
    SUB_PRIMARY_USER_ID, TAG_PRIMARY_KEY, TAG_SIGNATURE, TAG_SUB_KEY, TAG_USER_ATTR, TAG_USER_ID,
    key_hash_prefix, parse_public_key, parse_signature_packet, read_packets,
};
use super::verify::{Material, trailer_digest};

/// The hash algorithms accepted in self-signatures.
const SELF_SIG_HASHES: [HashAlgo; 3] = [HashAlgo::Sha1, HashAlgo::Sha256, HashAlgo::Sha512];

/// A packet and the signatures that follow it.
struct WithSigs<'a> {
    body: &'a [u8],
    signatures: Vec<&'a [u8]>,
}

struct Bundle<'a> {
    primary: ParsedPublicKey,
    primary_body: &'a [u8],
    user_ids: Vec<WithSigs<'a>>,
    user_attrs: Vec<WithSigs<'a>>,
    subkeys: Vec<WithSigs<'a>>,
}

/// Reads the key dict of the key `keyid` from `gpg --export` output (one
/// transferable public key: binary OpenPGP packets), with no gpg binary
/// involved. `keyid` may name the master key or one of its subkeys, by full
/// fingerprint or its end (case-insensitive).
///
/// The dict is what securesystemslib's `export_pubkey` returns:
/// `{"method", "type", "hashes": ["pgp+SHA2"], "creation_time", "keyid",
/// "keyval": {"private": "", "public": {..}}, "validity_period"?,
/// "subkeys"?}`.
///
/// # Errors
///
/// [`GpgError::KeyNotFound`] if the data is empty or holds no such key;
/// [`GpgError::Malformed`], [`GpgError::Unsupported`] or
/// [`GpgError::UnsupportedAlgorithm`] if the master key cannot be read.
pub fn key_dict_from_export(data: &[u8], keyid: &str) -> Result<KeyDict, GpgError> {
    if data.is_empty() {
        return Err(GpgError::KeyNotFound {
            keyid: keyid.to_owned(),
        });
    }
    if data.starts_with(b"-----BEGIN") {
        return Err(GpgError::Armored);
    }
    let bundle = parse_bundle(data)?;
    let master_material = Material::from_params(&bundle.primary.params);
    if let Err(problem) = &master_material {
        tracing::warn!(
            keyid = %bundle.primary.keyid,
            "cannot check the self-signatures of a key that {problem}"
        );
    }
    let master_material = master_material.ok();
    let prefix = key_hash_prefix(bundle.primary_body)?;
    let validity_period = certified_validity_period(&bundle, master_material.as_ref(), &prefix);
    let subkeys = verified_subkeys(&bundle, master_material.as_ref(), &prefix);

    let wanted = keyid.to_lowercase();
    let found = bundle.primary.keyid.ends_with(&wanted)
        || subkeys.iter().any(|(id, _)| id.ends_with(&wanted));
    if !found {
        return Err(GpgError::KeyNotFound {
            keyid: keyid.to_owned(),
        });
    }
    let mut master = key_json(&bundle.primary);
    if let Some(v) = validity_period {
        master.insert("validity_period".into(), json!(v));
    }
    if !subkeys.is_empty() {
        master.insert(
            "subkeys".into(),
            Value::Object(subkeys.into_iter().collect()),
        );
    }
    Ok(KeyDict::from_map(master))
}

fn key_json(key: &ParsedPublicKey) -> Map<String, Value> {
    let algorithm = key.params.algorithm();
    let value = json!({
        "method": algorithm.method(),
        "type": algorithm.type_name(),
        "hashes": ["pgp+SHA2"],
        "creation_time": key.creation_time,
        "keyid": key.keyid,
        "keyval": {"private": "", "public": key.params.to_json()},
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Groups the packets of one transferable public key (RFC 4880 §12.1) the
/// way securesystemslib's `parse_pubkey_bundle` does: a signature belongs to
/// the latest subkey if there is one, else the latest user attribute, else
/// the latest user ID, else the primary key.
fn parse_bundle(data: &[u8]) -> Result<Bundle<'_>, GpgError> {
    let packets = read_packets(data)?;
    let mut iter = packets.into_iter();
    let first = iter.next().ok_or_else(|| malformed("no packets"))?;
    if first.tag != TAG_PRIMARY_KEY {
        return Err(malformed(format!(
            "the first packet must be a primary key (6), got {}",
            first.tag
        )));
    }
    let mut bundle = Bundle {
        primary: parse_public_key(first.body)?,
        primary_body: first.body,
        user_ids: Vec::new(),
        user_attrs: Vec::new(),
        subkeys: Vec::new(),
    };
    for packet in iter {
        match packet.tag {
            TAG_PRIMARY_KEY => {
                return Err(malformed(
                    "more than one primary key (give a more specific key id)",
                ));
            }
            TAG_USER_ID | TAG_USER_ATTR | TAG_SUB_KEY => {
                let list = match packet.tag {
                    TAG_USER_ID => &mut bundle.user_ids,
                    TAG_USER_ATTR => &mut bundle.user_attrs,
                    _ => &mut bundle.subkeys,
                };
                list.push(WithSigs {
                    body: packet.body,
                    signatures: Vec::new(),
                });
            }
            TAG_SIGNATURE => {
                let owner = [
                    &mut bundle.subkeys,
                    &mut bundle.user_attrs,
                    &mut bundle.user_ids,
                ]
                .into_iter()
                .find_map(|list| list.last_mut());
                // Signatures directly on the primary key are not used.
                if let Some(owner) = owner {
                    owner.signatures.push(packet.raw);
                }
            }
            other => tracing::debug!("ignoring OpenPGP packet of type {other}"),
        }
    }
    Ok(bundle)
}

fn malformed(reason: impl Into<String>) -> GpgError {
    GpgError::Malformed {
        reason: reason.into(),
    }
}

/// securesystemslib `_assign_certified_key_info`: the key expiration time of
/// the newest valid self-certification of a user ID, certifications flagged
/// as the primary user ID taking precedence once one is seen.
fn certified_validity_period(
    bundle: &Bundle<'_>,
    master: Option<&Material>,
    prefix: &[u8],
) -> Option<u32> {
    let master = master?;
    let mut validity_period = None;
    let mut is_primary_user = false;
    let mut chosen_creation_time: Option<u32> = None;
    for uid in &bundle.user_ids {
        // RFC 4880 §5.2.4: the key, then 0xB4, a four-octet length and the
        // user ID.
        let Ok(len) = u32::try_from(uid.body.len()) else {
            continue;
        };
        let mut content = prefix.to_vec();
        content.push(0xB4);
        content.extend_from_slice(&len.to_be_bytes());
        content.extend_from_slice(uid.body);
        for raw in &uid.signatures {
            let sig = match parse_signature_packet(raw, &SIG_CERTIFICATIONS, &SELF_SIG_HASHES) {
                Ok(sig) => sig,
                Err(e) => {
                    tracing::debug!("ignoring user ID certification: {e}");
                    continue;
                }
            };
            if !bundle.primary.keyid.ends_with(sig.any_keyid()) {
                tracing::debug!(
                    "ignoring user ID certification issued by {}",
                    sig.any_keyid()
                );
                continue;
            }
            if !verifies(master, &sig, &content) {
                tracing::debug!("ignoring invalid user ID self-certification");
                continue;
            }
            let Some(expiration) = sig.subpackets.get(&SUB_KEY_EXPIRATION) else {
                continue;
            };
            let primary = sig
                .subpackets
                .get(&SUB_PRIMARY_USER_ID)
                .is_some_and(|flag| flag.first().is_some_and(|b| *b != 0));
            if is_primary_user && !primary {
                continue;
            }
            if chosen_creation_time.is_none_or(|t| t < sig.creation_time) {
                let Ok(bytes) = <[u8; 4]>::try_from(expiration.as_slice()) else {
                    tracing::debug!("ignoring malformed key expiration time");
                    continue;
                };
                validity_period = Some(u32::from_be_bytes(bytes));
                is_primary_user = primary;
                chosen_creation_time = Some(sig.creation_time);
            }
        }
    }
    validity_period
}

/// securesystemslib `_get_verified_subkeys`: each parseable subkey with
/// exactly one binding signature that verifies with the master key, with the
/// key expiration time that signature gives.
fn verified_subkeys(
    bundle: &Bundle<'_>,
    master: Option<&Material>,
    prefix: &[u8],
) -> Vec<(String, Value)> {
    let Some(master) = master else {
        return Vec::new();
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    for sub in &bundle.subkeys {
        let key = match parse_public_key(sub.body) {
            Ok(key) => key,
            Err(e) => {
                tracing::debug!("ignoring subkey: {e}");
                continue;
            }
        };
        let Ok(sub_prefix) = key_hash_prefix(sub.body) else {
            continue;
        };
        let mut content = prefix.to_vec();
        content.extend_from_slice(&sub_prefix);
        let bindings: Vec<_> = sub
            .signatures
            .iter()
            .filter_map(|raw| {
                parse_signature_packet(raw, &[SIG_SUB_KEY_BINDING], &SELF_SIG_HASHES)
                    .map_err(|e| tracing::debug!("ignoring subkey signature: {e}"))
                    .ok()
            })
            .collect();
        let [binding] = bindings.as_slice() else {
            tracing::debug!(
                "ignoring subkey {} with {} binding signatures (must be exactly 1)",
                key.keyid,
                bindings.len()
            );
            continue;
        };
        if !verifies(master, binding, &content) {
            tracing::debug!(
                "ignoring subkey {} with an invalid binding signature",
                key.keyid
            );
            continue;
        }
        let mut dict = key_json(&key);
        if let Some(expiration) = binding.subpackets.get(&SUB_KEY_EXPIRATION) {
            let Ok(bytes) = <[u8; 4]>::try_from(expiration.as_slice()) else {
                tracing::debug!(
                    "ignoring subkey {} with a malformed expiration time",
                    key.keyid
                );
                continue;
            };
            dict.insert("validity_period".into(), json!(u32::from_be_bytes(bytes)));
        }
        // A later subkey with the same keyid replaces an earlier one.
        out.retain(|(id, _)| *id != key.keyid);
        out.push((key.keyid, Value::Object(dict)));
    }
    out
}

fn verifies(master: &Material, sig: &super::packet::ParsedSignature, content: &[u8]) -> bool {
    trailer_digest(sig.hash, content, &sig.other_headers)
        .is_some_and(|d| master.verify_digest(sig.hash, &d, &sig.signature))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpg::packet::{HashAlgo as H, der_signature};

    /// The first transferable public key of a committed keyring file.
    fn first_key(keyring: &str) -> Vec<u8> {
        let data = intoto_test_support::read_vector(&format!(
            "in-toto-python/gpg_keyrings/{keyring}/pubring.gpg"
        ));
        let packets = read_packets(&data).unwrap();
        let len: usize = packets
            .iter()
            .enumerate()
            .take_while(|(i, p)| *i == 0 || p.tag != TAG_PRIMARY_KEY)
            .map(|(_, p)| p.raw.len())
            .sum();
        data[..len].to_vec()
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
        }
    }

    #[test]
    fn mutated_key_data_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for keyring in ["rsa", "dsa"] {
            let key = first_key(keyring);
            assert!(key_dict_from_export(&key, "").is_ok(), "{keyring}");
            for _ in 0..300 {
                let mut m = key.clone();
                for _ in 0..=rng.below(4) {
                    let i = rng.below(m.len());
                    m[i] = u8::try_from(rng.next() & 0xFF).unwrap();
                }
                if rng.below(8) == 0 {
                    m.truncate(m.len() - rng.below(m.len()));
                }
                let _ = key_dict_from_export(&m, "");
            }
        }
    }

    #[test]
    fn hostile_signatures_never_panic() {
        let key = first_key("dsa");
        let packets = read_packets(&key).unwrap();
        let dsa =
            Material::from_params(&parse_public_key(packets[0].body).unwrap().params).unwrap();
        let digest = [7u8; 32];
        let q = match parse_public_key(packets[0].body).unwrap().params {
            crate::gpg::packet::PublicParams::Dsa { q, .. } => q,
            _ => panic!("not DSA"),
        };
        let big = vec![0xFF; 600];
        let cases = [
            der_signature(&[0], &[1]),
            der_signature(&[5], &[7]),
            der_signature(&[1], &[0]),
            der_signature(&q, &[1]),
            der_signature(&[1], &q),
            der_signature(&big, &[1]),
            der_signature(&[1], &big),
            der_signature(&big, &big),
            vec![],
            vec![0x30, 0x00],
        ];
        for sig in &cases {
            for h in [H::Sha1, H::Sha256, H::Sha512] {
                assert!(!dsa.verify_digest(h, &digest, sig));
                assert!(!dsa.verify_digest(h, &[], sig));
            }
        }
        let mut rng = Rng(7);
        let rsa_key = first_key("rsa");
        let rsa_packets = read_packets(&rsa_key).unwrap();
        let rsa =
            Material::from_params(&parse_public_key(rsa_packets[0].body).unwrap().params).unwrap();
        for _ in 0..200 {
            let len = rng.below(600);
            let sig: Vec<u8> = (0..len)
                .map(|_| u8::try_from(rng.next() & 0xFF).unwrap())
                .collect();
            assert!(!rsa.verify_digest(H::Sha256, &digest, &sig));
            assert!(!rsa.verify_digest(H::Sha1, &digest[..5], &sig));
            assert!(!dsa.verify_digest(H::Sha256, &digest, &sig));
        }
    }

    #[test]
    fn empty_or_armored_data_is_refused() {
        assert!(matches!(
            key_dict_from_export(b"", "ab"),
            Err(GpgError::KeyNotFound { .. })
        ));
        assert!(matches!(
            key_dict_from_export(b"-----BEGIN PGP PUBLIC KEY BLOCK-----", "ab"),
            Err(GpgError::Armored)
        ));
    }

    #[test]
    fn the_first_packet_must_be_a_primary_key() {
        // A user ID packet first.
        let err = key_dict_from_export(&[0xB4, 0x01, b'a'], "ab").unwrap_err();
        assert!(err.to_string().contains("primary key"), "{err}");
    }
}
