//! ITE-6 attestations: Statements v1 and v0.1, resource descriptors, and the
//! link predicate v0.3.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::digest::DigestSet;
use crate::envelope::{decode_base64, encode_base64};
use crate::error::ModelError;
use crate::fields::{Fields, display_path, extra_map, index};
use crate::link::Link;

/// `_type` of a Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of a Statement v0.1.
pub const STATEMENT_V0_1: &str = "https://in-toto.io/Statement/v0.1";
/// `predicateType` of the link predicate v0.3.
pub const PREDICATE_LINK_V0_3: &str = "https://in-toto.io/attestation/link/v0.3";

/// The Statement layer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatementVersion {
    /// `https://in-toto.io/Statement/v1`.
    V1,
    /// `https://in-toto.io/Statement/v0.1`.
    V0_1,
}

impl StatementVersion {
    /// The `_type` URI.
    pub fn type_uri(self) -> &'static str {
        match self {
            StatementVersion::V1 => STATEMENT_V1,
            StatementVersion::V0_1 => STATEMENT_V0_1,
        }
    }
}

/// An ITE-6 Statement: subjects bound to a typed predicate.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Statement {
    /// Which Statement version `_type` named.
    pub version: StatementVersion,
    /// The artifacts the predicate is about.
    pub subject: Vec<ResourceDescriptor>,
    /// The predicate's type URI.
    pub predicate_type: String,
    /// The predicate, opaque at this layer.
    pub predicate: Map<String, Value>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
    /// Whether the type was written under `type` instead of `_type`.
    bare_type_key: bool,
}

/// A ResourceDescriptor (attestation spec v1): a description of an artifact.
///
/// At least one of `uri`, `digest` and `content` is set.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ResourceDescriptor {
    /// A name local to the attestation, such as a file path.
    pub name: Option<String>,
    /// A URI identifying the resource.
    pub uri: Option<String>,
    /// Digests of the resource.
    pub digest: Option<DigestSet>,
    /// The resource's bytes.
    pub content: Option<Vec<u8>>,
    /// Where to download the resource.
    pub download_location: Option<String>,
    /// The media type.
    pub media_type: Option<String>,
    /// Additional information about the resource.
    pub annotations: Option<Map<String, Value>>,
    /// Fields this model does not know, kept as received.
    pub extra: BTreeMap<String, Value>,
}

impl ResourceDescriptor {
    /// A descriptor naming an artifact with its digests.
    pub fn named(name: impl Into<String>, digest: DigestSet) -> Self {
        Self {
            name: Some(name.into()),
            digest: Some(digest),
            ..Self::default()
        }
    }

    /// Reads a descriptor.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        let name = f.opt_string("name")?;
        let uri = f.opt_string("uri")?;
        let digest = match f.take("digest") {
            None => None,
            Some(v) => Some(DigestSet::from_value(v, &f.path("digest"), false)?),
        };
        let content = match f.opt_string("content")? {
            None => None,
            Some(text) => Some(
                decode_base64(&text)
                    .map_err(|_| ModelError::invalid(f.path("content"), "is not base64", &text))?,
            ),
        };
        let download_location = f.opt_string("downloadLocation")?;
        let media_type = f.opt_string("mediaType")?;
        let annotations = match f.take("annotations") {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                return Err(ModelError::WrongType {
                    field: f.path("annotations"),
                    expected: "an object",
                });
            }
        };
        if uri.is_none() && digest.is_none() && content.is_none() {
            return Err(ModelError::MissingField {
                field: format!("{} (one of uri, digest, content)", display_path(path)),
            });
        }
        Ok(Self {
            name,
            uri,
            digest,
            content,
            download_location,
            media_type,
            annotations,
            extra: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut map = extra_map(&self.extra);
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                map.insert(k.to_owned(), v);
            }
        };
        put("name", self.name.clone().map(Value::String));
        put("uri", self.uri.clone().map(Value::String));
        put("digest", self.digest.as_ref().map(DigestSet::to_value));
        put(
            "content",
            self.content
                .as_deref()
                .map(|c| Value::String(encode_base64(c))),
        );
        put(
            "downloadLocation",
            self.download_location.clone().map(Value::String),
        );
        put("mediaType", self.media_type.clone().map(Value::String));
        put("annotations", self.annotations.clone().map(Value::Object));
        Value::Object(map)
    }
}

impl Statement {
    /// A v1 statement.
    pub fn new(
        subject: Vec<ResourceDescriptor>,
        predicate_type: impl Into<String>,
        predicate: Map<String, Value>,
    ) -> Self {
        Self {
            version: StatementVersion::V1,
            subject,
            predicate_type: predicate_type.into(),
            predicate,
            extra: BTreeMap::new(),
            bare_type_key: false,
        }
    }

    /// Reads a statement, dispatching on `_type`.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_value(value: Value, path: &str) -> Result<Self, ModelError> {
        let mut f = Fields::new(value, path)?;
        // `_type` as the specification says, or `type` as some Go
        // producers write it (kept as written).
        let bare_type_key = f.peek("_type").is_none() && f.peek("type").is_some();
        let key = if bare_type_key { "type" } else { "_type" };
        let type_field = f.path(key);
        let version = match f.string(key)?.as_str() {
            STATEMENT_V1 => StatementVersion::V1,
            STATEMENT_V0_1 => StatementVersion::V0_1,
            other => {
                return Err(ModelError::UnexpectedType {
                    field: type_field,
                    found: other.to_owned(),
                    expected: "an in-toto Statement v1 or v0.1",
                });
            }
        };
        let subject_path = f.path("subject");
        let subject = f
            .list_or_default("subject")?
            .into_iter()
            .enumerate()
            .map(|(i, v)| ResourceDescriptor::from_value(v, &index(&subject_path, i)))
            .collect::<Result<Vec<_>, _>>()?;
        if subject.is_empty() {
            return Err(ModelError::MissingField {
                field: subject_path,
            });
        }
        for (i, s) in subject.iter().enumerate() {
            if s.digest.as_ref().is_none_or(DigestSet::is_empty) {
                return Err(ModelError::MissingField {
                    field: format!("{}.digest", index(&subject_path, i)),
                });
            }
        }
        let predicate_type = f.string("predicateType")?;
        let predicate = f.object_or_default("predicate")?;
        Ok(Self {
            version,
            subject,
            predicate_type,
            predicate,
            extra: f.rest(),
            bare_type_key,
        })
    }

    /// The key the statement type was read under: `_type` as the
    /// specification says, or `type` as some Go producers write it.
    pub fn type_key(&self) -> &'static str {
        if self.bare_type_key { "type" } else { "_type" }
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut value = self.to_value_without_subjects();
        if let Value::Object(map) = &mut value {
            map.insert(
                "subject".into(),
                Value::Array(
                    self.subject
                        .iter()
                        .map(ResourceDescriptor::to_value)
                        .collect(),
                ),
            );
        }
        value
    }

    /// The JSON form without `subject`, for writers that write the subjects
    /// themselves ([`crate::encoding::attestation_text`]).
    pub(crate) fn to_value_without_subjects(&self) -> Value {
        let mut map = extra_map(&self.extra);
        let key = if self.bare_type_key { "type" } else { "_type" };
        map.insert(
            key.into(),
            Value::String(self.version.type_uri().to_owned()),
        );
        map.remove("subject");
        map.insert(
            "predicateType".into(),
            Value::String(self.predicate_type.clone()),
        );
        map.insert("predicate".into(), Value::Object(self.predicate.clone()));
        Value::Object(map)
    }

    /// A link attestation (link predicate v0.3) for `link`: products become
    /// the subjects and materials become resource descriptors.
    pub fn from_link(link: &Link) -> Self {
        let subject = link
            .products
            .iter()
            .map(|(name, digest)| ResourceDescriptor::named(name.clone(), digest.clone()))
            .collect();
        let materials = link
            .materials
            .iter()
            .map(|(name, digest)| {
                ResourceDescriptor::named(name.clone(), digest.clone()).to_value()
            })
            .collect();
        let mut predicate = Map::new();
        predicate.insert("name".into(), Value::String(link.name.clone()));
        predicate.insert(
            "command".into(),
            Value::Array(link.command.iter().cloned().map(Value::String).collect()),
        );
        predicate.insert("materials".into(), Value::Array(materials));
        predicate.insert("byproducts".into(), Value::Object(link.byproducts.clone()));
        predicate.insert(
            "environment".into(),
            Value::Object(link.environment.clone()),
        );
        Self::new(subject, PREDICATE_LINK_V0_3, predicate)
    }

    /// Whether the predicate is the link predicate (v0.3, or an older
    /// `https://in-toto.io/Link/` version).
    pub fn is_link(&self) -> bool {
        self.predicate_type == PREDICATE_LINK_V0_3
            || self.predicate_type.starts_with("https://in-toto.io/Link/")
    }

    /// The classic link a link-predicate statement describes, converted as the
    /// link predicate specification says.
    ///
    /// # Errors
    ///
    /// [`ModelError`] if the predicate type is not the link predicate or its
    /// fields are malformed.
    pub fn to_link(&self) -> Result<Link, ModelError> {
        if !self.is_link() {
            return Err(ModelError::UnexpectedType {
                field: "predicateType".into(),
                found: self.predicate_type.clone(),
                expected: "the link predicate",
            });
        }
        let mut f = Fields::new(Value::Object(self.predicate.clone()), "predicate")?;
        let mut link = Link::new(f.string("name")?);
        link.command = f.string_list_or_default("command")?;
        let materials_path = f.path("materials");
        for (i, m) in f.list_or_default("materials")?.into_iter().enumerate() {
            let field = index(&materials_path, i);
            let rd = ResourceDescriptor::from_value(m, &field)?;
            let name = rd.name.ok_or_else(|| ModelError::MissingField {
                field: format!("{field}.name"),
            })?;
            let digest = rd.digest.ok_or_else(|| ModelError::MissingField {
                field: format!("{field}.digest"),
            })?;
            link.materials.insert(name, digest);
        }
        for (i, s) in self.subject.iter().enumerate() {
            let name = s.name.clone().ok_or_else(|| ModelError::MissingField {
                field: format!("subject[{i}].name"),
            })?;
            link.products
                .insert(name, s.digest.clone().unwrap_or_default());
        }
        link.byproducts = f.object_or_default("byproducts")?;
        link.environment = f.object_or_default("environment")?;
        Ok(link)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn link_converts_to_a_statement_and_back() {
        let link = Link::from_value(
            json!({"_type": "link", "name": "build", "command": ["make"],
                   "materials": {"src.c": {"sha256": "aa"}}, "products": {"app": {"sha256": "bb"}},
                   "byproducts": {"return-value": 0}, "environment": {}}),
            "",
        )
        .unwrap();
        let st = Statement::from_link(&link);
        assert_eq!(st.subject[0].name.as_deref(), Some("app"));
        let parsed = Statement::from_value(st.to_value(), "").unwrap();
        assert_eq!(parsed, st);
        assert_eq!(parsed.to_link().unwrap(), link);
    }

    #[test]
    fn v0_1_statements_parse_and_keep_their_version() {
        let v = json!({"_type": STATEMENT_V0_1, "subject": [{"name": "a", "digest": {"sha256": "00"}}],
                       "predicateType": "https://slsa.dev/provenance/v0.2", "predicate": {"builder": {"id": "x"}}});
        let st = Statement::from_value(v.clone(), "").unwrap();
        assert_eq!(st.version, StatementVersion::V0_1);
        assert_eq!(st.to_value(), v);
    }

    #[test]
    fn the_type_key_is_kept_as_written() {
        let v = json!({"type": STATEMENT_V1, "subject": [{"name": "a", "digest": {"sha256": "00"}}],
                       "predicateType": "p"});
        let st = Statement::from_value(v, "").unwrap();
        assert_eq!(st.type_key(), "type");
        assert_eq!(st.to_value()["type"], STATEMENT_V1);
        assert_eq!(Statement::new(vec![], "p", Map::new()).type_key(), "_type");
    }

    #[test]
    fn subjects_need_digests() {
        let v = json!({"_type": STATEMENT_V1, "subject": [{"name": "a", "uri": "x"}], "predicateType": "p"});
        let err = Statement::from_value(v, "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "required field `subject[0].digest` is missing"
        );
    }
}
