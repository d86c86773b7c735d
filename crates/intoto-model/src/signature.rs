//! Signatures in both wrappers.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ModelError;
use crate::fields::Fields;
use crate::fields::extra_map;
use crate::keyid::KeyId;

/// One signature as written in metadata.
///
/// `sig` is kept encoded as received (hex in legacy metadata, base64 in
/// DSSE); the crypto layer decodes it when it checks the signature, so a
/// malformed signature from one signer never makes the document unreadable.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Signature {
    /// The signer's keyid; empty when a DSSE signature carries none.
    pub keyid: KeyId,
    /// The encoded signature value (`sig`, or `signature` for OpenPGP).
    pub sig: String,
    /// OpenPGP hashed subpackets, hex (reference GPG signatures only).
    pub other_headers: Option<String>,
    /// A PEM certificate for the signing key (ITE-7 as in-toto-golang writes it).
    pub cert: Option<String>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

impl Signature {
    /// A plain signature.
    pub fn new(keyid: KeyId, sig: String) -> Self {
        Self {
            keyid,
            sig,
            other_headers: None,
            cert: None,
            extra: BTreeMap::new(),
        }
    }

    /// The PEM certificate of the signing key, in whichever field carries
    /// it: `cert` (in-toto-golang) or `certificate` (ITE-7 as PEM text,
    /// Witness as base64 of the PEM). An empty string is no certificate,
    /// as in-toto-golang writes one.
    pub fn certificate_pem(&self) -> Option<String> {
        self.cert
            .as_deref()
            .filter(|pem| !pem.is_empty())
            .or_else(|| self.extra.get("certificate").and_then(Value::as_str))
            .filter(|pem| !pem.is_empty())
            .map(pem_text)
    }

    /// The PEM intermediate certificates the signature carries
    /// (`intermediates`, PEM text or Witness's base64 of it); entries
    /// that are not strings are skipped.
    pub fn intermediate_pems(&self) -> Vec<String> {
        self.extra
            .get("intermediates")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(pem_text)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The RFC 3161 timestamp tokens over this signature (Witness's
    /// `timestamps`: `[{"type": "tsp", "data": <base64 DER>}]`); entries
    /// of another type or that do not decode are skipped.
    pub fn timestamp_tokens(&self) -> Vec<Vec<u8>> {
        self.extra
            .get("timestamps")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|t| t.get("type").and_then(Value::as_str) == Some("tsp"))
                    .filter_map(|t| t.get("data").and_then(Value::as_str))
                    .filter_map(|data| crate::envelope::decode_base64(data).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether this is a reference-style OpenPGP signature.
    pub fn is_gpg(&self) -> bool {
        self.other_headers.is_some()
    }

    pub(crate) fn from_value(
        value: Value,
        path: &str,
        keyid_required: bool,
    ) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        let keyid = if keyid_required {
            f.string("keyid")?
        } else {
            f.opt_string("keyid")?.unwrap_or_default()
        };
        let other_headers = f.opt_string("other_headers")?;
        let sig = if other_headers.is_some() {
            f.string("signature")?
        } else {
            f.string("sig")?
        };
        let cert = f.opt_string("cert")?;
        Ok(Self {
            keyid: KeyId::new(keyid),
            sig,
            other_headers,
            cert,
            extra: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert(
            "keyid".into(),
            Value::String(self.keyid.as_str().to_owned()),
        );
        if let Some(headers) = &self.other_headers {
            map.insert("signature".into(), Value::String(self.sig.clone()));
            map.insert("other_headers".into(), Value::String(headers.clone()));
        } else {
            map.insert("sig".into(), Value::String(self.sig.clone()));
        }
        if let Some(cert) = &self.cert {
            map.insert("cert".into(), Value::String(cert.clone()));
        }
        Value::Object(map)
    }
}

pub(crate) fn signatures_from_value(
    value: Option<Value>,
    path: &str,
    keyid_required: bool,
) -> Result<Vec<Signature>, ModelError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Signature::from_value(item, &format!("{path}[{i}]"), keyid_required))
            .collect(),
        Some(_) => Err(ModelError::WrongType {
            field: path.to_owned(),
            expected: "a list of signatures",
        }),
    }
}

/// PEM text as written, or decoded from base64 when that is what it is
/// (Go's encoding of a byte slice, as Witness writes certificates).
fn pem_text(text: &str) -> String {
    if text.trim_start().starts_with("-----BEGIN") {
        return text.to_owned();
    }
    match crate::envelope::decode_base64(text) {
        Ok(bytes) if bytes.starts_with(b"-----BEGIN") => {
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => text.to_owned(),
    }
}
