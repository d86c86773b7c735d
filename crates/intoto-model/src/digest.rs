//! Digest sets (`{"sha256": "<hex>", ...}`) and artifact maps.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::encoding::hex::is_hex;
use crate::error::ModelError;
use crate::fields::{display_path, join};

/// Algorithm name to hex digest, as in a link's materials and products and an
/// ITE-6 resource descriptor's `digest`.
///
/// Two digest sets are equal only when they hold the same algorithms with the
/// same values, which is how the reference compares artifacts in MATCH rules.
///
/// Kept as a vector sorted by algorithm (usually of one entry), with
/// well-known algorithm names not copied: a link holds one set per artifact,
/// and a map per artifact would cost ten times the memory for trees of
/// 100,000 files.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct DigestSet(Vec<(Cow<'static, str>, String)>);

impl DigestSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the digest for `algorithm`.
    pub fn insert(
        &mut self,
        algorithm: impl Into<Cow<'static, str>>,
        hex_digest: impl Into<String>,
    ) {
        let algorithm = intern(algorithm.into());
        let hex_digest = hex_digest.into();
        match self
            .0
            .binary_search_by(|(a, _)| a.as_ref().cmp(algorithm.as_ref()))
        {
            Ok(i) => self.0[i].1 = hex_digest,
            Err(i) => self.0.insert(i, (algorithm, hex_digest)),
        }
    }

    /// The digest for `algorithm`, if present.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(a, _)| a.as_ref().cmp(algorithm))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// The algorithms this set and `other` share, when they agree on every
    /// one of them (hex compared without regard to case); `None` when they
    /// disagree on one. Whether what they share is enough to take them as
    /// one artifact is the caller's rule.
    pub fn shared_agreeing(&self, other: &DigestSet) -> Option<Vec<&str>> {
        let mut shared = Vec::new();
        for (algorithm, hex) in self.iter() {
            if let Some(theirs) = other.get(algorithm) {
                if !hex.eq_ignore_ascii_case(theirs) {
                    return None;
                }
                shared.push(algorithm);
            }
        }
        Some(shared)
    }

    /// Algorithm and digest pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
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
        let mut set = Self(Vec::with_capacity(map.len()));
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
        Ok(set)
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                .collect::<Map<String, Value>>(),
        )
    }
}

impl FromIterator<(String, String)> for DigestSet {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut set = Self::new();
        for (algorithm, digest) in iter {
            set.insert(algorithm, digest);
        }
        set
    }
}

/// The common algorithm names, shared rather than copied into every set.
fn intern(algorithm: Cow<'static, str>) -> Cow<'static, str> {
    const KNOWN: [&str; 6] = ["sha256", "sha512", "sha384", "sha224", "blake3", "sha1"];
    match algorithm {
        Cow::Owned(name) => match KNOWN.iter().find(|k| **k == name) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(name),
        },
        borrowed => borrowed,
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
    fn insertion_order_does_not_matter() {
        let a: DigestSet = [
            ("sha512".into(), "bb".into()),
            ("sha256".into(), "aa".into()),
        ]
        .into_iter()
        .collect();
        let mut b = DigestSet::new();
        b.insert("sha256", "00");
        b.insert("sha512", "bb");
        b.insert("sha256", "aa");
        assert_eq!(a, b);
        assert_eq!(a.get("sha256"), Some("aa"));
        assert_eq!(
            a.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["sha256", "sha512"]
        );
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
