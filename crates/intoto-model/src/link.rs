//! Link metadata (spec §4.4): what a step consumed and produced.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::digest::{Artifacts, artifacts_from_value, artifacts_to_value};
use crate::error::ModelError;
use crate::fields::{Fields, as_string_list, extra_map};
use crate::name::StepName;

/// A link: the record of one step or inspection having been carried out.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Link {
    /// The step or inspection name.
    pub name: String,
    /// The command that was run, as an argument list.
    pub command: Vec<String>,
    /// Artifacts before the command ran.
    pub materials: Artifacts,
    /// Artifacts after the command ran.
    pub products: Artifacts,
    /// Opaque results of the command, usually `stdout`, `stderr` and
    /// `return-value`.
    pub byproducts: Map<String, Value>,
    /// Opaque information about the environment the step ran in.
    pub environment: Map<String, Value>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

/// The file a functionary's link for `step` is stored in:
/// `<step>.<keyid[:8]>.link`. Only a checked [`StepName`] can be one.
pub fn link_file_name(step: &StepName, keyid: &crate::KeyId) -> String {
    format!("{step}.{}.link", keyid.short())
}

/// The file an unsigned link for `step` is stored in (inspections, mock
/// runs): `<step>.link`.
pub fn unsigned_link_file_name(step: &StepName) -> String {
    format!("{step}.link")
}

/// The file `record start` keeps its in-progress link in:
/// `.<step>.<keyid[:8]>.link-unfinished`.
pub fn unfinished_link_file_name(step: &StepName, keyid: &crate::KeyId) -> String {
    format!(".{step}.{}.link-unfinished", keyid.short())
}

/// The folder a sublayout's links are in, relative to the super-layout's
/// link folder: `<step>.<keyid[:8]>`.
pub fn sublayout_link_dir(step: &StepName, keyid: &crate::KeyId) -> String {
    format!("{step}.{}", keyid.short())
}

impl Link {
    /// An empty link for `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Reads a link from its JSON form; `path` prefixes field names in errors.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        f.type_tag("link", true)?;
        let name = f.string("name")?;
        let command = match f.take("command") {
            None => Vec::new(),
            Some(v) => as_string_list(v, &f.path("command"))?,
        };
        let materials = artifacts_from_value(f.take("materials"), &f.path("materials"))?;
        let products = artifacts_from_value(f.take("products"), &f.path("products"))?;
        let byproducts = f.object_or_default("byproducts")?;
        let environment = f.object_or_default("environment")?;
        Ok(Self {
            name,
            command,
            materials,
            products,
            byproducts,
            environment,
            extra: f.rest(),
        })
    }

    /// The JSON form, with `_type`.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        map.insert("_type".into(), Value::String("link".into()));
        map.insert("name".into(), Value::String(self.name.clone()));
        map.insert(
            "command".into(),
            Value::Array(self.command.iter().cloned().map(Value::String).collect()),
        );
        map.insert("materials".into(), artifacts_to_value(&self.materials));
        map.insert("products".into(), artifacts_to_value(&self.products));
        map.insert("byproducts".into(), Value::Object(self.byproducts.clone()));
        map.insert(
            "environment".into(),
            Value::Object(self.environment.clone()),
        );
        Value::Object(map)
    }

    /// `byproducts["return-value"]` when it is an integer.
    pub fn return_value(&self) -> Option<i64> {
        self.byproducts.get("return-value").and_then(Value::as_i64)
    }

    /// `byproducts.stdout` when it is a string.
    pub fn stdout(&self) -> Option<&str> {
        self.byproducts.get("stdout").and_then(Value::as_str)
    }

    /// `byproducts.stderr` when it is a string.
    pub fn stderr(&self) -> Option<&str> {
        self.byproducts.get("stderr").and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_unknown_fields_and_round_trips() {
        let v = json!({
            "_type": "link", "name": "build", "command": ["make"],
            "materials": {"a.c": {"sha256": "ab"}}, "products": {},
            "byproducts": {"return-value": 0}, "environment": {"variables": ["X"]},
            "x-extra": {"kept": true}
        });
        let link = Link::from_value(v.clone(), "signed").unwrap();
        assert_eq!(link.return_value(), Some(0));
        assert_eq!(link.to_value(), v);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = Link::from_value(
            json!({"_type": "link", "name": "x", "command": "make"}),
            "signed",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `signed.command` must be a list of strings"
        );
        let err = Link::from_value(json!({"_type": "layout"}), "signed").unwrap_err();
        assert!(matches!(err, ModelError::UnexpectedType { .. }));
        let err = Link::from_value(json!({"_type": "link"}), "signed").unwrap_err();
        assert_eq!(err.to_string(), "required field `signed.name` is missing");
    }
}
