//! An attestation's materials and products, as the attestation verifier
//! maps them from each predicate type (ITE-10):
//!
//! | predicate type | materials | products |
//! |---|---|---|
//! | link v0.3 | `predicate.materials` | `subject` |
//! | SLSA provenance v1 | `predicate.buildDefinition.resolvedDependencies` | `subject` |
//! | SLSA provenance v0.2 | `predicate.materials` | `subject` |
//! | any other | `subject` | none |
//!
//! A resource descriptor is named by its `name`, else its `uri` (v0.2
//! materials and many resolved dependencies have only a URI); one with
//! neither is left out. One without `digest` has an empty digest set, which
//! no MATCH accepts. Names are kept as written (no path cleaning).

use intoto_model::predicate::kind::{PROVENANCE_V0_2, PROVENANCE_V1};
use intoto_model::statement::PREDICATE_LINK_V0_3;
use intoto_model::{Artifacts, DigestSet, ResourceDescriptor, Statement};
use serde_json::Value;

use crate::artifacts::{ArtifactMap, ArtifactMapBuilder, Digests};

/// An attestation's artifacts before and after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttestedArtifacts {
    /// What the attested step consumed.
    pub materials: ArtifactMap,
    /// What it produced.
    pub products: ArtifactMap,
    /// Whether the predicate type has products at all (`expectedProducts`
    /// applies only then).
    pub transforms: bool,
}

/// Why an attestation's artifacts cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
#[non_exhaustive]
pub struct ArtifactsError {
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl AttestedArtifacts {
    /// The materials and products of `statement`, by its predicate type.
    ///
    /// # Errors
    ///
    /// [`ArtifactsError`] when the list the type names is not a list of
    /// resource descriptors.
    pub fn of(statement: &Statement) -> Result<Self, ArtifactsError> {
        let subject = descriptors(statement.subject.iter());
        let (materials_field, transforms) = match statement.predicate_type.as_str() {
            PREDICATE_LINK_V0_3 | PROVENANCE_V0_2 => (Some(&["materials"][..]), true),
            PROVENANCE_V1 => (Some(&["buildDefinition", "resolvedDependencies"][..]), true),
            _ => (None, false),
        };
        let Some(path) = materials_field else {
            return Ok(Self {
                materials: subject,
                products: ArtifactMap::new(),
                transforms: false,
            });
        };
        let mut value: Option<&Value> = None;
        let mut map = Some(&statement.predicate);
        for key in path {
            value = map.and_then(|m| m.get(*key));
            map = value.and_then(Value::as_object);
        }
        let field = format!("predicate.{}", path.join("."));
        let materials = match value {
            None | Some(Value::Null) => ArtifactMap::new(),
            Some(Value::Array(items)) => descriptor_values(items, &field)?,
            Some(_) => {
                return Err(ArtifactsError {
                    field,
                    problem: "is not a list of resource descriptors".into(),
                });
            }
        };
        Ok(Self {
            materials,
            products: subject,
            transforms,
        })
    }
}

/// Descriptors by name (else URI); the last of a name wins.
fn descriptors<'a>(items: impl ExactSizeIterator<Item = &'a ResourceDescriptor>) -> ArtifactMap {
    let mut builder = ArtifactMapBuilder::with_capacity(items.len(), 0);
    for d in items {
        if let Some(name) = d.name.as_ref().or(d.uri.as_ref()) {
            builder.push(
                name,
                Digests::from_set(d.digest.clone().unwrap_or_default()),
            );
        }
    }
    builder.finish()
}

/// Resource descriptors as JSON, read in place (a provenance may list tens
/// of thousands): each an object whose `name` (else `uri`) is a string and
/// whose `digest`, if any, maps algorithms to strings.
fn descriptor_values(items: &[Value], field: &str) -> Result<ArtifactMap, ArtifactsError> {
    let mut builder = ArtifactMapBuilder::with_capacity(items.len(), 0);
    for (i, item) in items.iter().enumerate() {
        let problem = |problem: &str| ArtifactsError {
            field: format!("{field}[{i}]"),
            problem: problem.to_owned(),
        };
        let Value::Object(d) = item else {
            return Err(problem("is not a resource descriptor (an object)"));
        };
        let text = |key: &str| match d.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(problem(&format!("`{key}` is not a string"))),
        };
        let (name, uri) = (text("name")?, text("uri")?);
        let digests = match d.get("digest") {
            None | Some(Value::Null) => Digests::from_set(DigestSet::new()),
            Some(Value::Object(map)) => {
                for (algorithm, hex) in map {
                    if !hex.is_string() {
                        return Err(problem(&format!("`digest.{algorithm}` is not a string")));
                    }
                }
                // The common case, one lower-case sha256, without a set.
                let single = match (map.len(), map.get("sha256")) {
                    (1, Some(Value::String(hex))) => Digests::sha256_lower(hex),
                    _ => None,
                };
                single.unwrap_or_else(|| {
                    Digests::from_set(
                        map.iter()
                            .filter_map(|(a, h)| Some((a.clone(), h.as_str()?.to_owned())))
                            .collect(),
                    )
                })
            }
            Some(_) => return Err(problem("`digest` is not an object")),
        };
        if let Some(name) = name.or(uri) {
            builder.push(name, digests);
        }
    }
    Ok(builder.finish())
}

/// Several attestations' artifacts as one: what a MATCH rule naming their
/// step looks up. A name two attestations give with disagreeing digests
/// keeps the first one's (sorted by where they came from), so it cannot
/// match both.
pub(crate) fn merged<'a>(
    all: impl Iterator<Item = &'a AttestedArtifacts> + Clone,
) -> AttestedArtifacts {
    let mut several = all.clone();
    if let (Some(one), None) = (several.next(), several.next()) {
        return one.clone();
    }
    let mut materials = Artifacts::new();
    let mut products = Artifacts::new();
    let mut transforms = false;
    for a in all {
        transforms |= a.transforms;
        for (into, from) in [(&mut materials, &a.materials), (&mut products, &a.products)] {
            for (name, digests) in from.iter() {
                into.entry(name.to_owned())
                    .or_insert_with(|| digests.to_set());
            }
        }
    }
    AttestedArtifacts {
        materials: ArtifactMap::from(&materials),
        products: ArtifactMap::from(&products),
        transforms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(text: &str) -> Statement {
        Statement::from_value(serde_json::from_str(text).unwrap(), "statement").unwrap()
    }

    #[test]
    fn each_predicate_type_maps_its_own_fields() {
        let link = statement(
            r#"{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://in-toto.io/attestation/link/v0.3",
            "subject": [{"name": "out", "digest": {"sha256": "aa"}}],
            "predicate": {"name": "s", "materials": [{"name": "in", "digest": {"sha256": "bb"}}]}}"#,
        );
        let a = AttestedArtifacts::of(&link).unwrap();
        assert_eq!(a.materials.names().collect::<Vec<_>>(), ["in"]);
        assert_eq!(a.products.names().collect::<Vec<_>>(), ["out"]);
        assert!(a.transforms);

        let v1 = statement(
            r#"{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "bin", "digest": {"sha256": "aa"}}],
            "predicate": {"buildDefinition": {"resolvedDependencies": [{"uri": "git+https://x@main", "digest": {"gitCommit": "cc"}}]}}}"#,
        );
        let a = AttestedArtifacts::of(&v1).unwrap();
        assert_eq!(
            a.materials.names().collect::<Vec<_>>(),
            ["git+https://x@main"]
        );
        assert_eq!(a.products.names().collect::<Vec<_>>(), ["bin"]);

        let v02 = statement(
            r#"{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [{"name": "pkg", "digest": {"sha512": "aa"}}],
            "predicate": {"materials": [{"uri": "git+https://y", "digest": {"sha1": "dd"}}]}}"#,
        );
        let a = AttestedArtifacts::of(&v02).unwrap();
        assert_eq!(a.materials.names().collect::<Vec<_>>(), ["git+https://y"]);

        let test = statement(
            r#"{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
            "subject": [{"name": "foo", "digest": {"sha256": "aa"}}], "predicate": {"result": "PASSED"}}"#,
        );
        let a = AttestedArtifacts::of(&test).unwrap();
        assert_eq!(a.materials.names().collect::<Vec<_>>(), ["foo"]);
        assert!(a.products.is_empty());
        assert!(!a.transforms);
    }

    #[test]
    fn a_malformed_list_names_its_field() {
        let bad = statement(
            r#"{"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "bin", "digest": {"sha256": "aa"}}],
            "predicate": {"buildDefinition": {"resolvedDependencies": {"not": "a list"}}}}"#,
        );
        let e = AttestedArtifacts::of(&bad).unwrap_err();
        assert_eq!(e.field, "predicate.buildDefinition.resolvedDependencies");
    }
}
