//! DSSE envelopes (ITE-5) and the pre-authentication encoding they sign.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde_json::Value;

use crate::error::ModelError;
use crate::fields::Fields;
use crate::fields::extra_map;
use crate::signature::{Signature, signatures_from_value};

/// The payload type of in-toto links, layouts and ITE-6 statements.
pub const PAYLOAD_TYPE_INTOTO: &str = "application/vnd.in-toto+json";

/// A DSSE envelope: `{"payload", "payloadType", "signatures"}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Envelope {
    /// The payload bytes, decoded from base64. These exact bytes are signed.
    pub payload: Vec<u8>,
    /// The payload type, signed along with the payload.
    pub payload_type: String,
    /// Signatures over the pre-authentication encoding.
    pub signatures: Vec<Signature>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

/// DSSE pre-authentication encoding:
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = pae_header(payload_type, payload.len());
    let mut out = Vec::with_capacity(header.len() + payload.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    out
}

/// The pre-authentication encoding up to the payload, for signers that hash
/// the header and the payload in turn without copying the payload.
pub fn pae_header(payload_type: &str, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_len.to_string().as_bytes());
    out.push(b' ');
    out
}

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Decodes base64 in the standard or the URL-safe alphabet, padded or not,
/// as DSSE requires of readers.
///
/// # Errors
///
/// [`base64::DecodeError`] when the text is not base64 in either alphabet.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.contains(['-', '_']) {
        URL_SAFE_LENIENT.decode(text)
    } else {
        STANDARD_LENIENT.decode(text)
    }
}

/// Encodes bytes in standard, padded base64, as DSSE writers do.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Appends bytes in standard, padded base64 to `out`.
pub fn encode_base64_into(bytes: &[u8], out: &mut String) {
    STANDARD.encode_string(bytes, out);
}

/// Encodes bytes in URL-safe, padded base64.
pub fn encode_base64_url(bytes: &[u8]) -> String {
    general_purpose::URL_SAFE.encode(bytes)
}

impl Envelope {
    /// An unsigned envelope.
    pub fn new(payload_type: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            payload,
            payload_type: payload_type.into(),
            signatures: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The bytes the signatures are over.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Reads an envelope.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, "")?;
        let payload_text = f.string("payload")?;
        let payload = decode_base64(&payload_text)
            .map_err(|_| ModelError::invalid("payload", "is not base64", &payload_text))?;
        let payload_type = f.string("payloadType")?;
        let signatures = signatures_from_value(f.take("signatures"), "signatures", false)?;
        Ok(Self {
            payload,
            payload_type,
            signatures,
            extra: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert(
            "payload".into(),
            Value::String(encode_base64(&self.payload)),
        );
        map.insert(
            "payloadType".into(),
            Value::String(self.payload_type.clone()),
        );
        map.insert(
            "signatures".into(),
            Value::Array(self.signatures.iter().map(Signature::to_value).collect()),
        );
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn pae_matches_the_dsse_protocol_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn base64_accepts_both_alphabets_with_or_without_padding() {
        let bytes = [0xfb_u8, 0xff, 0xfe, 0x01];
        for text in ["+//+AQ==", "+//+AQ", "-__-AQ==", "-__-AQ"] {
            assert_eq!(decode_base64(text).unwrap(), bytes, "{text}");
        }
        assert!(decode_base64("not base64!").is_err());
    }

    proptest! {
        #[test]
        fn pae_frames_lengths_in_decimal(t in ".{0,40}", p in prop::collection::vec(any::<u8>(), 0..200)) {
            let out = pae(&t, &p);
            let header = format!("DSSEv1 {} {} {} ", t.len(), t, p.len());
            prop_assert_eq!(&out[..header.len()], header.as_bytes());
            prop_assert_eq!(&out[header.len()..], &p[..]);
        }

        #[test]
        fn base64_round_trips(p in prop::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(decode_base64(&encode_base64(&p)).unwrap(), p.clone());
            prop_assert_eq!(decode_base64(&encode_base64_url(&p)).unwrap(), p);
        }
    }
}
