//! Links as verification holds them: what rules, thresholds and summaries
//! need, with the artifacts in compact form.

use std::sync::Arc;

use intoto_model::Link;
use serde_json::{Map, Value};

use crate::artifacts::ArtifactMap;

/// A link as the verifier uses it: a step's (reduced) link, an inspection's
/// link, or the summary link that stands for a verified sublayout.
///
/// The artifact maps are shared, so a summary link or a reduced link costs
/// no copy of them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ChainLink {
    /// The `name` field: the step or inspection it is for.
    pub name: String,
    /// The command that was run.
    pub command: Vec<String>,
    /// The byproducts (`stdout`, `stderr`, `return-value`).
    pub byproducts: Map<String, Value>,
    /// Artifacts before the command ran.
    pub materials: Arc<ArtifactMap>,
    /// Artifacts after the command ran.
    pub products: Arc<ArtifactMap>,
}

impl ChainLink {
    /// The verifier's form of a model link (its environment is dropped: no
    /// check reads it).
    pub fn from_link(link: &Link) -> Self {
        Self {
            name: link.name.clone(),
            command: link.command.clone(),
            byproducts: link.byproducts.clone(),
            materials: Arc::new(ArtifactMap::from(&link.materials)),
            products: Arc::new(ArtifactMap::from(&link.products)),
        }
    }

    /// A link with no artifacts, as the reference's summary of a sublayout
    /// with no steps.
    pub fn empty(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            command: Vec::new(),
            byproducts: Map::new(),
            materials: Arc::new(ArtifactMap::new()),
            products: Arc::new(ArtifactMap::new()),
        }
    }

    /// The model form (environment empty).
    pub fn to_link(&self) -> Link {
        let mut link = Link::new(self.name.clone());
        link.command = self.command.clone();
        link.byproducts = self.byproducts.clone();
        link.materials = self.materials.to_artifacts();
        link.products = self.products.to_artifacts();
        link
    }

    /// `byproducts["return-value"]` as the reference reads it for an
    /// inspection: `Some` only for a JSON integer.
    pub fn return_value(&self) -> Option<ReturnValue> {
        match self.byproducts.get("return-value") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Some(ReturnValue::Integer(n.as_i64().unwrap_or(i64::MAX)))
            }
            // Python's `isinstance(True, int)` holds, and `False != 0` does
            // not: a boolean counts as the integer it equals.
            Some(Value::Bool(b)) => Some(ReturnValue::Integer(i64::from(*b))),
            Some(other) => Some(ReturnValue::Other(other.to_string())),
        }
    }
}

/// A recorded `return-value`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReturnValue {
    /// An integer (the command's exit code, or minus a signal number).
    Integer(i64),
    /// Anything else, as JSON text.
    Other(String),
}
