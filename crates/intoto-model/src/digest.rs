//! Digest sets (`{"sha256": "<hex>", ...}`) and artifact maps.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::ModelError;
use crate::fields::{display_path, is_hex, join};

/// Algorithm name to hex digest, as in a link's materials and products and an
/// ITE-6 resource descriptor's `digest`.
///
/// Two digest sets are equal only when they hold the same algorithms with the
/// same values, which is how the reference compares artifacts in MATCH rules.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct DigestSet(BTreeMap<String, String>);

impl DigestSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the digest for `algorithm`.
    pub fn insert(&mut self, algorithm: impl Into<String>, hex_digest: impl Into<String>) {
        self.0.insert(algorithm.into(), hex_digest.into());
    }

    /// The digest for `algorithm`, if present.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0.get(algorithm).map(String::as_str)
    }

    /// Algorithm and digest pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether the set holds no digest.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of digests in the set.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Reads a digest set; with `require_hex`, every digest must be hex, as
    /// the reference requires in links.
    pub(crate) fn from_value(
        value: Value,
        path: &str,
        require_hex: bool,
    ) -> Result<Self, ModelError> {
        let Value::Object(map) = value else {
            return Err(ModelError::WrongType {
                field: display_path(path),
                expected: "an object of algorithm names to hex digests",
            });
        };
        let mut set = BTreeMap::new();
        for (alg, digest) in map {
            let field = join(path, &alg);
            let Value::String(digest) = digest else {
                return Err(ModelError::WrongType {
                    field,
                    expected: "a hex digest string",
                });
            };
            if require_hex && !is_hex(&digest) {
                return Err(ModelError::invalid(field, "is not a hex digest", &digest));
            }
            set.insert(alg, digest);
        }
        Ok(Self(set))
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<String, Value>>(),
        )
    }
}

impl FromIterator<(String, String)> for DigestSet {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// Artifact name to digest set: a link's `materials` or `products`.
pub type Artifacts = BTreeMap<String, DigestSet>;

pub(crate) fn artifacts_from_value(
    value: Option<Value>,
    path: &str,
) -> Result<Artifacts, ModelError> {
    let map = match value {
        None => return Ok(Artifacts::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ModelError::WrongType {
                field: path.to_owned(),
                expected: "an object of artifact names to digest sets",
            });
        }
    };
    let mut artifacts = Artifacts::new();
    for (name, digests) in map {
        let field = format!("{path}[{name:?}]");
        let set = DigestSet::from_value(digests, &field, true)?;
        artifacts.insert(name, set);
    }
    Ok(artifacts)
}

pub(crate) fn artifacts_to_value(artifacts: &Artifacts) -> Value {
    Value::Object(
        artifacts
            .iter()
            .map(|(k, v)| (k.clone(), v.to_value()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equality_is_whole_set_equality() {
        let a = DigestSet::from_value(json!({"sha256": "ab"}), "x", true).unwrap();
        let b = DigestSet::from_value(json!({"sha256": "ab", "sha512": "cd"}), "x", true).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn non_hex_digest_names_the_artifact() {
        let err = artifacts_from_value(
            Some(json!({"foo.py": {"sha256": "zz"}})),
            "signed.materials",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `signed.materials[\"foo.py\"].sha256` is not a hex digest"
        );
    }
}
