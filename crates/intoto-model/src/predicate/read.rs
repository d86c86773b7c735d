//! Borrowed, path-naming reads of predicate fields: the predicate is
//! checked where it lies and never rebuilt.

use serde_json::{Map, Value};

use crate::digest::DigestSet;
use crate::error::ModelError;
use crate::fields::{index, join};
use crate::statement::ResourceDescriptor;

/// One JSON object of a predicate and its path from the statement root
/// (`predicate.runDetails.builder`).
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// A path owned while its object is read.
pub(crate) struct Path(String);

impl Path {
    pub(crate) fn new(path: impl Into<String>) -> Self {
        Self(path.into())
    }
}

impl<'a> Obj<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>, path: &'a Path) -> Self {
        Self { map, path: &path.0 }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        join(self.path, name)
    }

    fn missing(&self, name: &str) -> ModelError {
        ModelError::MissingField {
            field: self.path(name),
        }
    }

    fn wrong(&self, name: &str, expected: &'static str) -> ModelError {
        ModelError::WrongType {
            field: self.path(name),
            expected,
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn string(&self, name: &str) -> Result<&'a str, ModelError> {
        self.opt_string(name)?.ok_or_else(|| self.missing(name))
    }

    /// A required string that must not be empty.
    pub(crate) fn nonempty(&self, name: &str) -> Result<&'a str, ModelError> {
        let s = self.string(name)?;
        if s.is_empty() {
            return Err(ModelError::InvalidValue {
                field: self.path(name),
                problem: "must not be empty",
                detail: None,
            });
        }
        Ok(s)
    }

    pub(crate) fn opt_string(&self, name: &str) -> Result<Option<&'a str>, ModelError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// An optional RFC 3339 timestamp.
    pub(crate) fn opt_timestamp(&self, name: &str) -> Result<Option<&'a str>, ModelError> {
        let Some(s) = self.opt_string(name)? else {
            return Ok(None);
        };
        if chrono::DateTime::parse_from_rfc3339(s).is_err() {
            return Err(ModelError::invalid(
                self.path(name),
                "is not an RFC 3339 timestamp such as 2026-12-01T12:00:00Z",
                s,
            ));
        }
        Ok(Some(s))
    }

    pub(crate) fn timestamp(&self, name: &str) -> Result<&'a str, ModelError> {
        self.opt_timestamp(name)?.ok_or_else(|| self.missing(name))
    }

    pub(crate) fn object(&self, name: &str) -> Result<&'a Map<String, Value>, ModelError> {
        self.opt_object(name)?.ok_or_else(|| self.missing(name))
    }

    pub(crate) fn opt_object(
        &self,
        name: &str,
    ) -> Result<Option<&'a Map<String, Value>>, ModelError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.wrong(name, "an object")),
        }
    }

    pub(crate) fn list(&self, name: &str) -> Result<&'a [Value], ModelError> {
        self.opt_list(name)?.ok_or_else(|| self.missing(name))
    }

    pub(crate) fn opt_list(&self, name: &str) -> Result<Option<&'a [Value]>, ModelError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(self.wrong(name, "a list")),
        }
    }

    /// An optional list of strings (absent is empty).
    pub(crate) fn strings(&self, name: &str) -> Result<Vec<String>, ModelError> {
        let path = self.path(name);
        self.opt_list(name)?
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ModelError::WrongType {
                    field: index(&path, i),
                    expected: "a string",
                }),
            })
            .collect()
    }

    /// An optional list of resource descriptors (absent is empty).
    pub(crate) fn descriptors(&self, name: &str) -> Result<Vec<ResourceDescriptor>, ModelError> {
        let path = self.path(name);
        self.opt_list(name)?
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, v)| ResourceDescriptor::from_value(v.clone(), &index(&path, i)))
            .collect()
    }

    pub(crate) fn opt_descriptor(
        &self,
        name: &str,
    ) -> Result<Option<ResourceDescriptor>, ModelError> {
        self.get(name)
            .map(|v| ResourceDescriptor::from_value(v.clone(), &self.path(name)))
            .transpose()
    }

    pub(crate) fn opt_digest(&self, name: &str) -> Result<Option<DigestSet>, ModelError> {
        self.get(name)
            .map(|v| DigestSet::from_value(v.clone(), &self.path(name), false))
            .transpose()
    }
}

/// Each object of a list, with its path (`predicate.scanner.result[3]`).
pub(crate) fn each_object<'a>(
    items: &'a [Value],
    path: &str,
) -> impl Iterator<Item = Result<(&'a Map<String, Value>, Path), ModelError>> {
    let path = path.to_owned();
    items.iter().enumerate().map(move |(i, v)| match v {
        Value::Object(m) => Ok((m, Path::new(index(&path, i)))),
        _ => Err(ModelError::WrongType {
            field: index(&path, i),
            expected: "an object",
        }),
    })
}

/// A value that must be one of `allowed`.
pub(crate) fn one_of<'a>(
    value: &'a str,
    allowed: &[&str],
    field: String,
    problem: &'static str,
) -> Result<&'a str, ModelError> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(ModelError::invalid(field, problem, value))
    }
}
