//! The legacy `{"signed": ..., "signatures": [...]}` wrapper (ITE-5 appendix).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::encoding::cjson;
use crate::error::ModelError;
use crate::fields::Fields;
use crate::fields::extra_map;
use crate::signature::{Signature, signatures_from_value};

/// Legacy signed metadata. Signatures are over the canonical JSON of `signed`
/// exactly as received, unknown fields included.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Metablock {
    /// The signed document, as received.
    pub signed: Value,
    /// Signatures over `cjson(signed)`.
    pub signatures: Vec<Signature>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

impl Metablock {
    /// An unsigned wrapper around `signed`.
    pub fn new(signed: Value) -> Self {
        Self {
            signed,
            signatures: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// Reads the wrapper.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, "")?;
        let signed = f.require("signed")?;
        if !signed.is_object() {
            return Err(ModelError::WrongType {
                field: "signed".into(),
                expected: "an object",
            });
        }
        let signatures = signatures_from_value(f.take("signatures"), "signatures", true)?;
        Ok(Self {
            signed,
            signatures,
            extra: f.rest(),
        })
    }

    /// The bytes the signatures are over: the canonical JSON of `signed`.
    ///
    /// # Errors
    ///
    /// [`ModelError::Canonical`] if `signed` holds a float.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, ModelError> {
        Ok(cjson::encode(&self.signed)?)
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert(
            "signatures".into(),
            Value::Array(self.signatures.iter().map(Signature::to_value).collect()),
        );
        map.insert("signed".into(), self.signed.clone());
        Value::Object(map)
    }
}
