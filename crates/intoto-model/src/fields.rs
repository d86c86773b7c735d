//! Typed reading of JSON objects with field paths for error messages.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::ModelError;

/// The fields of one JSON object, taken out one by one; what is left over is
/// kept as the object's unknown fields.
pub(crate) struct Fields {
    map: Map<String, Value>,
    path: String,
}

impl Fields {
    pub(crate) fn new(value: Value, path: &str) -> Result<Self, ModelError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path: path.to_owned(),
            }),
            _ => Err(ModelError::WrongType {
                field: display_path(path),
                expected: "an object",
            }),
        }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        join(&self.path, name)
    }

    pub(crate) fn peek(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name)
    }

    pub(crate) fn require(&mut self, name: &str) -> Result<Value, ModelError> {
        self.map
            .remove(name)
            .ok_or_else(|| ModelError::MissingField {
                field: self.path(name),
            })
    }

    pub(crate) fn string(&mut self, name: &str) -> Result<String, ModelError> {
        let v = self.require(name)?;
        as_string(v, &self.path(name))
    }

    pub(crate) fn opt_string(&mut self, name: &str) -> Result<Option<String>, ModelError> {
        match self.take(name) {
            None => Ok(None),
            Some(v) => as_string(v, &self.path(name)).map(Some),
        }
    }

    pub(crate) fn string_list_or_default(&mut self, name: &str) -> Result<Vec<String>, ModelError> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(v) => as_string_list(v, &self.path(name)),
        }
    }

    pub(crate) fn object_or_default(
        &mut self,
        name: &str,
    ) -> Result<Map<String, Value>, ModelError> {
        match self.take(name) {
            None => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m),
            Some(_) => Err(ModelError::WrongType {
                field: self.path(name),
                expected: "an object",
            }),
        }
    }

    pub(crate) fn list(&mut self, name: &str) -> Result<Vec<Value>, ModelError> {
        match self.require(name)? {
            Value::Array(items) => Ok(items),
            _ => Err(ModelError::WrongType {
                field: self.path(name),
                expected: "a list",
            }),
        }
    }

    pub(crate) fn list_or_default(&mut self, name: &str) -> Result<Vec<Value>, ModelError> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ModelError::WrongType {
                field: self.path(name),
                expected: "a list",
            }),
        }
    }

    /// Checks `_type` when present; the reference writes it on every document
    /// and item but tolerates its absence inside layouts.
    pub(crate) fn type_tag(
        &mut self,
        expected: &'static str,
        required: bool,
    ) -> Result<(), ModelError> {
        let field = self.path("_type");
        match self.take("_type") {
            None if required => Err(ModelError::MissingField { field }),
            None => Ok(()),
            Some(Value::String(s)) if s == expected => Ok(()),
            Some(Value::String(s)) => Err(ModelError::UnexpectedType {
                field,
                found: s,
                expected,
            }),
            Some(_) => Err(ModelError::WrongType {
                field,
                expected: "a string",
            }),
        }
    }

    /// The fields nobody asked for, kept so that nothing is dropped.
    pub(crate) fn rest(self) -> BTreeMap<String, Value> {
        self.map.into_iter().collect()
    }
}

/// A type's unknown fields as the start of its JSON object.
pub(crate) fn extra_map(extra: &BTreeMap<String, Value>) -> Map<String, Value> {
    extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

pub(crate) fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(document)".to_owned()
    } else {
        path.to_owned()
    }
}

pub(crate) fn as_string(v: Value, path: &str) -> Result<String, ModelError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(ModelError::WrongType {
            field: display_path(path),
            expected: "a string",
        }),
    }
}

pub(crate) fn as_string_list(v: Value, path: &str) -> Result<Vec<String>, ModelError> {
    match v {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| as_string(item, &index(path, i)))
            .collect(),
        _ => Err(ModelError::WrongType {
            field: display_path(path),
            expected: "a list of strings",
        }),
    }
}
