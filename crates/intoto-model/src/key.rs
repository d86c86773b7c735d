//! Public keys as metadata carries them (spec §4.2.1).
//!
//! The model keeps the key object as received; turning it into something
//! that verifies signatures is the crypto crate's job. Two shapes exist:
//!
//! - securesystemslib keys: `{"keytype", "scheme", "keyval": {"public"}}`,
//!   sometimes with `keyid`, `keyid_hash_algorithms` or `keyval.private: ""`;
//! - OpenPGP keys: `{"type", "method", "hashes", "keyval": {"public": {..}},
//!   "keyid", "creation_time", "validity_period", "subkeys"}`.

use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::fields::display_path;

/// A public key object exactly as written in metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDict(Map<String, Value>);

impl KeyDict {
    /// Wraps a key object.
    ///
    /// # Errors
    ///
    /// [`ModelError::WrongType`] if the value is not an object.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(ModelError::WrongType {
                field: display_path(path),
                expected: "a public key object",
            }),
        }
    }

    /// Wraps an object known to be a key.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// `keytype` (securesystemslib) or `type` (OpenPGP).
    pub fn keytype(&self) -> Option<&str> {
        self.str_field("keytype").or_else(|| self.str_field("type"))
    }

    /// `scheme` (securesystemslib) or `method` (OpenPGP).
    pub fn scheme(&self) -> Option<&str> {
        self.str_field("scheme")
            .or_else(|| self.str_field("method"))
    }

    /// Whether this is an OpenPGP key dict.
    pub fn is_gpg(&self) -> bool {
        self.0.contains_key("method") && !self.0.contains_key("scheme")
    }

    /// A string field of the key object.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// The whole key object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The JSON form, as received.
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}
