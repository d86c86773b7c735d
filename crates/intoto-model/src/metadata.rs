//! Signed metadata in either wrapper, and the documents it carries.
//!
//! Reading follows the reference's dispatch: an object with `payload` and the
//! in-toto `payloadType` is a DSSE envelope; otherwise an object with `signed`
//! is a legacy wrapper; anything else is not in-toto metadata.

use serde_json::Value;

use crate::encoding::pyjson::{self, Style};
use crate::envelope::{Envelope, PAYLOAD_TYPE_INTOTO};
use crate::error::ModelError;
use crate::layout::Layout;
use crate::link::Link;
use crate::metablock::Metablock;
use crate::signature::Signature;
use crate::statement::{STATEMENT_V0_1, STATEMENT_V1, Statement};

/// Which signature wrapper metadata uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnvelopeKind {
    /// `{"signed", "signatures"}` with hex signatures over canonical JSON.
    Legacy,
    /// DSSE with base64 signatures over the pre-authentication encoding.
    Dsse,
}

impl EnvelopeKind {
    /// A short name for messages (`legacy`, `DSSE`).
    pub fn name(self) -> &'static str {
        match self {
            EnvelopeKind::Legacy => "legacy",
            EnvelopeKind::Dsse => "DSSE",
        }
    }
}

/// Signed (or not yet signed) metadata.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Metadata {
    /// The legacy wrapper.
    Metablock(Metablock),
    /// A DSSE envelope.
    Envelope(Envelope),
}

/// The document inside metadata.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// A link.
    Link(Link),
    /// A layout.
    Layout(Layout),
    /// An ITE-6 statement.
    Statement(Statement),
}

impl Payload {
    /// Reads a document, dispatching on `_type`; `path` prefixes field names.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let type_field = if path.is_empty() {
            "_type".to_owned()
        } else {
            format!("{path}._type")
        };
        // Some ITE-6 producers (the attestation verifier's Go structs) write
        // a statement's type under `type`.
        let tag = value.get("_type").or_else(|| {
            value
                .get("type")
                .filter(|t| matches!(t.as_str(), Some(STATEMENT_V1 | STATEMENT_V0_1)))
        });
        let kind = match tag {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(ModelError::WrongType {
                    field: type_field,
                    expected: "a string",
                });
            }
            None if value.is_object() => {
                return Err(ModelError::MissingField { field: type_field });
            }
            None => {
                return Err(ModelError::WrongType {
                    field: if path.is_empty() {
                        "(document)".into()
                    } else {
                        path.to_owned()
                    },
                    expected: "an object",
                });
            }
        };
        match kind.as_str() {
            "link" => Link::from_value(value, path).map(Payload::Link),
            "layout" => Layout::from_value(value, path).map(Payload::Layout),
            STATEMENT_V1 | STATEMENT_V0_1 => {
                Statement::from_value(value, path).map(Payload::Statement)
            }
            _ => Err(ModelError::UnexpectedType {
                field: type_field,
                found: kind,
                expected: "\"link\", \"layout\" or an in-toto Statement",
            }),
        }
    }

    /// `link`, `layout` or `statement`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Link(_) => "link",
            Payload::Layout(_) => "layout",
            Payload::Statement(_) => "statement",
        }
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        match self {
            Payload::Link(l) => l.to_value(),
            Payload::Layout(l) => l.to_value(),
            Payload::Statement(s) => s.to_value(),
        }
    }
}

impl Metadata {
    /// Reads metadata from file contents.
    ///
    /// # Errors
    ///
    /// [`ModelError`] if the bytes are not JSON or not in either wrapper.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ModelError> {
        let value: Value = serde_json::from_slice(bytes).map_err(ModelError::Json)?;
        Self::from_value(value)
    }

    /// Reads metadata from its JSON value.
    ///
    /// # Errors
    ///
    /// [`ModelError`] if the value is in neither wrapper.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        let Value::Object(map) = &value else {
            return Err(ModelError::UnknownEnvelope);
        };
        if map.contains_key("payload") {
            match map.get("payloadType") {
                Some(Value::String(t)) if t == PAYLOAD_TYPE_INTOTO => {
                    return Envelope::from_value(value).map(Metadata::Envelope);
                }
                Some(Value::String(t)) => {
                    return Err(ModelError::UnexpectedType {
                        field: "payloadType".into(),
                        found: t.clone(),
                        expected: PAYLOAD_TYPE_INTOTO,
                    });
                }
                _ => return Err(ModelError::UnknownEnvelope),
            }
        }
        if map.contains_key("signed") {
            return Metablock::from_value(value).map(Metadata::Metablock);
        }
        Err(ModelError::UnknownEnvelope)
    }

    /// Wraps a document, unsigned, in the given wrapper. DSSE payloads are
    /// written as the reference writes them (`json.dumps(sort_keys=True)`).
    pub fn wrap(payload: &Value, kind: EnvelopeKind) -> Self {
        match kind {
            EnvelopeKind::Legacy => Metadata::Metablock(Metablock::new(payload.clone())),
            EnvelopeKind::Dsse => Metadata::Envelope(Envelope::new(
                PAYLOAD_TYPE_INTOTO,
                pyjson::to_string(payload, Style::Line).into_bytes(),
            )),
        }
    }

    /// The wrapper kind.
    pub fn kind(&self) -> EnvelopeKind {
        match self {
            Metadata::Metablock(_) => EnvelopeKind::Legacy,
            Metadata::Envelope(_) => EnvelopeKind::Dsse,
        }
    }

    /// The exact bytes the signatures are over.
    ///
    /// # Errors
    ///
    /// [`ModelError::Canonical`] if a legacy `signed` value holds a float.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, ModelError> {
        match self {
            Metadata::Metablock(m) => m.signed_bytes(),
            Metadata::Envelope(e) => Ok(e.pae()),
        }
    }

    /// The signatures.
    pub fn signatures(&self) -> &[Signature] {
        match self {
            Metadata::Metablock(m) => &m.signatures,
            Metadata::Envelope(e) => &e.signatures,
        }
    }

    /// The signatures, to add or remove some.
    pub fn signatures_mut(&mut self) -> &mut Vec<Signature> {
        match self {
            Metadata::Metablock(m) => &mut m.signatures,
            Metadata::Envelope(e) => &mut e.signatures,
        }
    }

    /// The field path documents are read under, for error messages.
    pub fn payload_path(&self) -> &'static str {
        match self {
            Metadata::Metablock(_) => "signed",
            Metadata::Envelope(_) => "payload",
        }
    }

    /// The JSON value of the document inside.
    ///
    /// # Errors
    ///
    /// [`ModelError::Json`] if a DSSE payload is not JSON.
    pub fn payload_value(&self) -> Result<Value, ModelError> {
        match self {
            Metadata::Metablock(m) => Ok(m.signed.clone()),
            Metadata::Envelope(e) => {
                serde_json::from_slice(&e.payload).map_err(ModelError::PayloadJson)
            }
        }
    }

    /// The document inside, typed.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn payload(&self) -> Result<Payload, ModelError> {
        Payload::from_value(self.payload_value()?, self.payload_path())
    }

    /// The document inside, typed, consuming the metadata (no copy of the
    /// document is made).
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn into_payload(self) -> Result<Payload, ModelError> {
        let path = self.payload_path();
        match self {
            Metadata::Metablock(m) => Payload::from_value(m.signed, path),
            Metadata::Envelope(e) => Payload::from_value(
                serde_json::from_slice(&e.payload).map_err(ModelError::PayloadJson)?,
                path,
            ),
        }
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        match self {
            Metadata::Metablock(m) => m.to_value(),
            Metadata::Envelope(e) => e.to_value(),
        }
    }

    /// The file contents the reference would write: legacy metadata indented
    /// by one space, DSSE on one line, keys sorted.
    pub fn to_file_string(&self) -> String {
        match self {
            Metadata::Metablock(m) => pyjson::to_string(&m.to_value(), Style::Indent1),
            Metadata::Envelope(e) => crate::encoding::attestation_text::envelope(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dispatches_like_the_reference() {
        let legacy = json!({"signed": {"_type": "link", "name": "x"}, "signatures": []});
        assert_eq!(
            Metadata::from_value(legacy).unwrap().kind(),
            EnvelopeKind::Legacy
        );
        let dsse = json!({"payload": "e30=", "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": []});
        assert_eq!(
            Metadata::from_value(dsse).unwrap().kind(),
            EnvelopeKind::Dsse
        );
        let other = json!({"payload": "e30=", "payloadType": "text/plain", "signatures": []});
        assert!(matches!(
            Metadata::from_value(other),
            Err(ModelError::UnexpectedType { .. })
        ));
        assert!(matches!(
            Metadata::from_value(json!([1])),
            Err(ModelError::UnknownEnvelope)
        ));
        assert!(matches!(
            Metadata::from_value(json!({"x": 1})),
            Err(ModelError::UnknownEnvelope)
        ));
    }

    #[test]
    fn dsse_payload_is_written_like_the_reference() {
        let md = Metadata::wrap(&json!({"_type": "link", "name": "a"}), EnvelopeKind::Dsse);
        let Metadata::Envelope(e) = &md else { panic!() };
        assert_eq!(e.payload, br#"{"_type": "link", "name": "a"}"#);
        let back = Metadata::from_slice(md.to_file_string().as_bytes()).unwrap();
        assert_eq!(back, md);
    }

    #[test]
    fn payload_errors_carry_the_wrapper_path() {
        let md =
            Metadata::from_value(json!({"signed": {"_type": "link"}, "signatures": []})).unwrap();
        assert_eq!(
            md.payload().unwrap_err().to_string(),
            "required field `signed.name` is missing"
        );
    }
}
