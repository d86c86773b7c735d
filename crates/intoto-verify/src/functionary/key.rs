//! The classic authority: a layout's `keys` and each step's `pubkeys`,
//! OpenPGP subkeys counted with their master key.

use std::collections::BTreeMap;

use intoto_crypto::{PublicKey, SignatureError, Verified, verify_over_at};
use intoto_model::name::is_safe_keyid;
use intoto_model::{KeyDict, KeyId, Layout, Step};

use super::{Authority, Candidate, Functionary, KeyFingerprint, SignedBytes};

/// The classic authority: a layout's `keys`, and each step's `pubkeys`.
#[derive(Debug)]
pub struct KeyAuthority {
    keys: BTreeMap<KeyId, PublicKey>,
    /// OpenPGP subkey → the main key listing it.
    main_of_subkey: BTreeMap<KeyId, KeyId>,
    /// The subkeys each layout key lists, in the order of its dict.
    subkeys: BTreeMap<KeyId, Vec<KeyId>>,
    invalid: Vec<(KeyId, String)>,
}

impl KeyAuthority {
    /// The authority of a verified layout's keys. Keys that cannot be used
    /// are kept aside, see [`KeyAuthority::invalid`].
    pub fn new(layout: &Verified<Layout>) -> Self {
        let mut keys = BTreeMap::new();
        let mut invalid = Vec::new();
        let mut main_of_subkey = BTreeMap::new();
        let mut subkeys = BTreeMap::new();
        for (keyid, dict) in &layout.keys {
            match PublicKey::from_key_dict(keyid.clone(), dict) {
                Ok(key) => {
                    keys.insert(keyid.clone(), key);
                }
                Err(e) => invalid.push((keyid.clone(), crate::error_chain(&e))),
            }
            let subs = subkeys_of(dict);
            for sub in &subs {
                main_of_subkey.insert(sub.clone(), keyid.clone());
            }
            subkeys.insert(keyid.clone(), subs);
        }
        Self {
            keys,
            main_of_subkey,
            subkeys,
            invalid,
        }
    }

    /// The layout keys that cannot be used, with why.
    pub fn invalid(&self) -> &[(KeyId, String)] {
        &self.invalid
    }

    /// Whether `keyid` is a layout key or an OpenPGP subkey of one.
    pub fn knows(&self, keyid: &KeyId) -> bool {
        self.keys.contains_key(keyid)
            || self.invalid.iter().any(|(k, _)| k == keyid)
            || self.main_of_subkey.contains_key(keyid)
    }

    /// The key that checks the link named after `keyid`, as the reference's
    /// `verify_link_signature_thresholds` finds it: the authorised key
    /// itself, the main key of an authorised subkey, or the authorised key
    /// whose subkey `keyid` is.
    fn verification_key(&self, step: &Step, keyid: &KeyId) -> Option<&PublicKey> {
        for authorized in &step.pubkeys {
            if authorized == keyid {
                if let Some(key) = self.keys.get(authorized) {
                    return Some(key);
                }
                if let Some(main) = self.main_of_subkey.get(authorized) {
                    return self.keys.get(main);
                }
            }
            if let Some(key) = self.keys.get(authorized)
                && self.main_of_subkey.get(keyid) == Some(authorized)
            {
                return Some(key);
            }
        }
        None
    }

    /// Who a link counts for: the main key when the signing key
    /// (`signed_by`) or the key the file is named after is an OpenPGP
    /// subkey of a layout key, whichever entry of `pubkeys` the link was
    /// checked through; else the checking key. So a subkey also listed as
    /// a key of its own, and authorised on its own, still counts once with
    /// its main key.
    fn functionary(
        &self,
        signed_by: &KeyId,
        candidate: &Candidate,
        key: &PublicKey,
    ) -> Functionary {
        let key = [signed_by, &candidate.keyid]
            .into_iter()
            .find_map(|k| self.main_of_subkey.get(k).and_then(|m| self.keys.get(m)))
            .unwrap_or(key);
        Functionary::Key(KeyFingerprint::of(key))
    }
}

impl Authority for KeyAuthority {
    fn candidates(&self, step: &Step) -> Vec<Candidate> {
        let mut keyids: Vec<&KeyId> = Vec::new();
        for authorized in &step.pubkeys {
            let subkeys = self.subkeys.get(authorized).into_iter().flatten();
            for keyid in std::iter::once(authorized).chain(subkeys) {
                if !keyids.contains(&keyid) {
                    keyids.push(keyid);
                }
            }
        }
        keyids
            .into_iter()
            .filter_map(|keyid| {
                self.verification_key(step, keyid)
                    .map(|key| Candidate::key(keyid.clone(), key.clone()))
            })
            .collect()
    }

    fn authorize(
        &self,
        candidate: &Candidate,
        signed: SignedBytes<'_>,
        now_unix: i64,
    ) -> Result<Verified<Functionary>, SignatureError> {
        let Some(key) = &candidate.key else {
            return Err(SignatureError::NoSignature {
                keyid: candidate.keyid.clone(),
            });
        };
        let verified = verify_over_at(signed.bytes, signed.kind, signed.signatures, key, now_unix)?;
        Ok(verified.map(|signed_by| self.functionary(&signed_by, candidate, key)))
    }
}

/// The keyids of an OpenPGP key's subkeys, as its key dict lists them
/// (those that can name a link file: they come from inside the dict, not
/// from the layout's hex-checked `keys`).
fn subkeys_of(dict: &KeyDict) -> Vec<KeyId> {
    dict.as_map()
        .get("subkeys")
        .and_then(serde_json::Value::as_object)
        .map(|subkeys| {
            subkeys
                .keys()
                .filter(|k| is_safe_keyid(k))
                .map(|k| KeyId::new(k.clone()))
                .collect()
        })
        .unwrap_or_default()
}
