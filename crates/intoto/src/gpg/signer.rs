//! Signing with a GnuPG keyring by running `gpg --detach-sign`, as
//! securesystemslib's `create_signature` does.

use std::ffi::OsStr;

use intoto_model::KeyId;

use intoto_crypto::gpg::{GpgError, parse_detached_signature};
use intoto_crypto::{RawSignature, SignError, Signer};

use super::command::{Gpg, check_keyid};

/// A [`Signer`] that runs `gpg --detach-sign --digest-algo SHA256
/// [--local-user KEYID] [--homedir H]` with the content on standard input
/// and turns the signature packet into an in-toto GPG signature
/// (`{keyid, signature, other_headers}`).
///
/// The signature's keyid is the key gpg actually signed with, which may be a
/// signing subkey of the key asked for: [`sign_metadata`](intoto_crypto::sign_metadata)
/// returns it, and link file names use it (as in the reference).
#[derive(Debug, Clone)]
pub struct GpgSigner {
    gpg: Gpg,
    keyid: Option<String>,
    requested: KeyId,
}

impl GpgSigner {
    /// A signer for `keyid` (a fingerprint or key id, or anything gpg's
    /// `--local-user` accepts), or for gpg's default key if `None`.
    ///
    /// # Errors
    ///
    /// [`GpgError::InvalidKeyid`] if the keyid is empty, contains
    /// whitespace or starts with `-`.
    pub fn new(gpg: Gpg, keyid: Option<&str>) -> Result<Self, GpgError> {
        if let Some(k) = keyid {
            check_keyid(k)?;
        }
        Ok(Self {
            gpg,
            keyid: keyid.map(str::to_owned),
            requested: KeyId::new(keyid.unwrap_or_default().to_lowercase()),
        })
    }

    /// The gpg settings used.
    pub fn gpg(&self) -> &Gpg {
        &self.gpg
    }

    /// Signs `content`, with the detailed error [`Signer::sign`] condenses.
    ///
    /// # Errors
    ///
    /// [`GpgError`]: gpg missing, failing or timing out (a passphrase
    /// prompt), or a signature that does not parse.
    pub fn sign_detached(&self, content: &[u8]) -> Result<RawSignature, GpgError> {
        let mut args: Vec<&OsStr> = ["--detach-sign", "--digest-algo", "SHA256"]
            .into_iter()
            .map(OsStr::new)
            .collect();
        if let Some(k) = &self.keyid {
            args.extend([OsStr::new("--local-user"), OsStr::new(k)]);
        }
        if let Some(h) = self.gpg.homedir() {
            args.extend([OsStr::new("--homedir"), h.as_os_str()]);
        }
        let out = self.gpg.run(&args, Some(content))?;
        let sig = parse_detached_signature(&out.stdout)?;
        let keyid = if sig.keyid.is_empty() {
            self.full_keyid(&sig.short_keyid)?
        } else {
            sig.keyid
        };
        let mut raw = RawSignature::new(KeyId::new(keyid), sig.signature);
        raw.other_headers = Some(sig.other_headers);
        Ok(raw)
    }

    /// gpg before 2.1 writes no Issuer Fingerprint subpacket: find the full
    /// keyid of the master key or subkey with this 64-bit key id.
    fn full_keyid(&self, short: &str) -> Result<String, GpgError> {
        tracing::warn!(
            "the gpg signature has no issuer fingerprint (gpg older than 2.1?); exporting key {short} to find it"
        );
        let dict = self.gpg.export_pubkey(short)?;
        let short = short.to_lowercase();
        let master = dict.str_field("keyid").unwrap_or_default();
        if master.ends_with(&short) {
            return Ok(master.to_owned());
        }
        dict.as_map()
            .get("subkeys")
            .and_then(|s| s.as_object())
            .and_then(|subs| subs.keys().find(|id| id.ends_with(&short)))
            .cloned()
            .ok_or(GpgError::KeyNotFound { keyid: short })
    }
}

impl Signer for GpgSigner {
    /// The keyid asked for, lowercased (empty for the default key). The
    /// signature may carry a subkey's keyid instead; see [`GpgSigner`].
    fn keyid(&self) -> &KeyId {
        &self.requested
    }

    fn sign(&self, msg: &[u8]) -> Result<RawSignature, SignError> {
        self.sign_detached(msg).map_err(|e| SignError::External {
            message: crate::error_chain(&e),
        })
    }
}
