//! Policies (ITE-10/ITE-11 layouts over attestations) in the attestation
//! verifier's format, YAML or JSON, camelCase:
//!
//! ```yaml
//! expires: "2100-10-10T12:23:22Z"
//! functionaries:
//!   <keyid>: {keyType, scheme, keyVal: {public}, keyIDHashAlgorithms, keyID}
//! steps:
//!   - name: build
//!     expectedMaterials: ["ALLOW git+https://github.com/{repo}@{ref}", "DISALLOW *"]
//!     expectedProducts: ["CREATE pkg:npm/{name}@{version}", "DISALLOW *"]
//!     expectedPredicates:
//!       - predicateType: https://slsa.dev/provenance/v0.2
//!         expectedAttributes:
//!           - {rule: "predicate.buildType == 'x'", allowIfNoClaim: false, warn: false, debug: "…"}
//!         functionaries: [<keyid>]
//!         threshold: 1
//! subjects: [...]
//! inspections: [...]
//! ```
//!
//! Artifact rules are strings of words (`MATCH * WITH products FROM build`);
//! their `{name}` parameters are substituted as in classic layouts
//! ([`crate::params`]) and they are then parsed by the classic rule parser.
//! Attribute rules are kept as written: the CEL module substitutes and
//! compiles them. Reading is bounded: at most [`MAX_POLICY_BYTES`], and YAML
//! with the parser's budget and alias limits (no alias bombs), duplicate
//! keys refused.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use intoto_crypto::{KeyError, PublicKey};
use intoto_model::{ArtifactRule, Expires, KeyDict, KeyId, ModelError, StepName, Threshold};

use super::attribute::AttributeRule;
use super::identity::PolicyIdentity;
use crate::params::{self, ParameterError};

/// The largest policy read.
pub const MAX_POLICY_BYTES: usize = 16 << 20;

/// A policy: who must attest what, for each step.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Policy {
    /// When the policy stops being trusted.
    pub expires: Expires,
    /// The functionaries' keys, by the keyid the policy lists them under.
    pub functionaries: BTreeMap<KeyId, PublicKey>,
    /// The functionaries known by identity (certificate, SPIFFE ID,
    /// Sigstore), by the id the policy lists them under.
    pub identities: BTreeMap<KeyId, PolicyIdentity>,
    /// The steps.
    pub steps: Vec<PolicyStep>,
    /// The steps whose attestations' subjects are the final artifacts
    /// (`subjects`: step names, or `{step: NAME}`).
    pub subjects: Vec<StepName>,
    /// Commands run on the verifying machine, with rules over their result.
    pub inspections: Vec<PolicyInspection>,
}

/// An inspection of a policy: a command run where verification runs, its
/// materials and products recorded as a link (ITE-11).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicyInspection {
    /// The inspection's name (not a step's).
    pub name: StepName,
    /// The command (parameters substituted).
    pub run: Vec<String>,
    /// Rules over what it read.
    pub expected_materials: Vec<ArtifactRule>,
    /// Rules over what it left.
    pub expected_products: Vec<ArtifactRule>,
    /// CEL rules over its link, as a link v0.3 attestation.
    pub expected_attributes: Vec<AttributeRule>,
}

/// One step of a policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicyStep {
    /// The step's name.
    pub name: StepName,
    /// Rules over the step's materials.
    pub expected_materials: Vec<ArtifactRule>,
    /// Rules over the step's products.
    pub expected_products: Vec<ArtifactRule>,
    /// The attestations the step must have.
    pub expected_predicates: Vec<ExpectedPredicate>,
}

/// Attestations of one predicate type a step must have.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExpectedPredicate {
    /// The exact `predicateType`.
    pub predicate_type: String,
    /// CEL rules each attestation must meet.
    pub expected_attributes: Vec<AttributeRule>,
    /// Who may sign them (keyids listed in `functionaries`).
    pub functionaries: Vec<KeyId>,
    /// How many distinct functionaries must (default 1).
    pub threshold: Threshold,
}

/// Why a policy cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Over [`MAX_POLICY_BYTES`].
    #[error("the policy is over the limit of {} MiB", MAX_POLICY_BYTES >> 20)]
    TooLarge,
    /// Neither JSON nor YAML (or over the YAML parser's budget).
    #[error("the policy is not valid YAML or JSON: {0}")]
    Syntax(String),
    /// A field is missing or of the wrong kind.
    #[error(transparent)]
    Field(#[from] ModelError),
    /// A functionary's key cannot be used.
    #[error("functionaries.{keyid}: not a usable public key")]
    Key {
        /// The keyid it is listed under.
        keyid: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A functionary's `keyID` differs from the keyid it is listed under.
    #[error("functionaries.{listed}: its keyID is {written:?}")]
    KeyIdMismatch {
        /// The keyid it is listed under.
        listed: String,
        /// The `keyID` field.
        written: String,
    },
    /// A step names a functionary the policy does not list.
    #[error("{field}: {keyid} is not one of the policy's functionaries")]
    UnknownFunctionary {
        /// The field.
        field: String,
        /// The keyid.
        keyid: String,
    },
    /// A parameter cannot be substituted.
    #[error("{field}: cannot substitute parameters")]
    Parameter {
        /// The field.
        field: String,
        /// Why.
        #[source]
        source: ParameterError,
    },
    /// A parameter's value refers to itself, or nests too deep.
    #[error(
        "parameter {name:?} refers to itself through other parameters, or nests more than {MAX_PARAMETER_NESTING} deep"
    )]
    ParameterCycle {
        /// The parameter.
        name: String,
    },
    /// An artifact rule does not parse.
    #[error("{field}: invalid artifact rule {rule:?}")]
    Rule {
        /// The field.
        field: String,
        /// The rule after substitution.
        rule: String,
        /// Why.
        #[source]
        source: intoto_model::RuleError,
    },
    /// An attribute rule does not compile.
    #[error("{field} (of {item:?}): {source}")]
    Attribute {
        /// The field.
        field: String,
        /// The step or inspection.
        item: String,
        /// Why.
        #[source]
        source: super::attribute::RuleError,
    },
    /// Two steps have the same name.
    #[error("steps[{index}]: step {name:?} is listed twice")]
    DuplicateStep {
        /// The second one's position.
        index: usize,
        /// The name.
        name: String,
    },
}

/// How deep parameter values may refer to other parameters.
pub const MAX_PARAMETER_NESTING: usize = 8;

/// Parameters whose values refer to other parameters (`"ref":
/// "{repo}@{branch}"`, as the attestation verifier's npm parameters do),
/// resolved: each `{name}` of a given parameter in a value is replaced by
/// that parameter's resolved value; other braces are left alone.
///
/// # Errors
///
/// [`PolicyError::ParameterCycle`] for a value that refers to itself,
/// directly or through others, or nests deeper than
/// [`MAX_PARAMETER_NESTING`]; [`PolicyError::Parameter`] for an invalid name.
pub fn resolve_parameters(
    parameters: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, PolicyError> {
    for name in parameters.keys() {
        if !params::is_valid_name(name) {
            return Err(PolicyError::Parameter {
                field: format!("parameter {name:?}"),
                source: ParameterError::InvalidName { name: name.clone() },
            });
        }
    }
    let mut resolved = parameters.clone();
    for _ in 0..=MAX_PARAMETER_NESTING {
        let mut changed = false;
        let snapshot = resolved.clone();
        for value in resolved.values_mut() {
            for (name, replacement) in &snapshot {
                let placeholder = format!("{{{name}}}");
                if value.contains(&placeholder) {
                    *value = value.replace(&placeholder, replacement);
                    changed = true;
                }
            }
        }
        if !changed {
            return Ok(resolved);
        }
    }
    let name = resolved
        .iter()
        .find(|(_, v)| snapshot_refers(v, &resolved))
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    Err(PolicyError::ParameterCycle { name })
}

fn snapshot_refers(value: &str, parameters: &BTreeMap<String, String>) -> bool {
    parameters
        .keys()
        .any(|n| value.contains(&format!("{{{n}}}")))
}

/// A policy's expiry and functionaries alone, read before any
/// parameter is known (a store trusts a policy's functionaries to write
/// whatever parameters verification later uses).
///
/// # Errors
///
/// [`PolicyError`] naming the field at fault.
pub fn policy_functionaries(
    bytes: &[u8],
) -> Result<(Expires, BTreeMap<KeyId, PublicKey>), PolicyError> {
    let value = parse_document(bytes)?;
    let root = object(&value, "(policy)")?;
    let expires =
        Expires::parse(string(root, "expires", "")?).map_err(|_| ModelError::InvalidValue {
            field: "expires".into(),
            problem: "is not a UTC date and time like 2030-01-31T12:00:00Z",
            detail: None,
        })?;
    let mut functionaries = BTreeMap::new();
    if let Some(map) = optional(root, "functionaries") {
        for (keyid, key) in object(map, "functionaries")? {
            // Functionaries known by identity sign nothing a store can
            // check with a key.
            if super::identity::parse(keyid, key)?.is_some() {
                continue;
            }
            functionaries.insert(KeyId::new(keyid.clone()), functionary_key(keyid, key)?);
        }
    }
    Ok((expires, functionaries))
}

/// The text of a policy: JSON, or else YAML (bounded).
///
/// # Errors
///
/// [`PolicyError::TooLarge`] or [`PolicyError::Syntax`].
pub fn parse_document(bytes: &[u8]) -> Result<Value, PolicyError> {
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge);
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return serde_json::from_slice(bytes).map_err(|e| PolicyError::Syntax(e.to_string()));
    }
    serde_saphyr::from_slice::<Value>(bytes).map_err(|e| {
        // The parser's messages span lines (a snippet of the input).
        let text = e.to_string();
        PolicyError::Syntax(text.lines().next().unwrap_or_default().to_owned())
    })
}

impl Policy {
    /// Reads a policy from its bytes, substituting `parameters` in its
    /// artifact rules.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the field at fault.
    pub fn parse(bytes: &[u8], parameters: &BTreeMap<String, String>) -> Result<Self, PolicyError> {
        Self::from_value(&parse_document(bytes)?, parameters)
    }

    /// Reads a policy from its JSON value.
    ///
    /// # Errors
    ///
    /// [`PolicyError`] naming the field at fault.
    pub fn from_value(
        value: &Value,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Self, PolicyError> {
        let root = object(value, "(policy)")?;
        let expires_text = string(root, "expires", "")?;
        let expires = Expires::parse(expires_text).map_err(|_| ModelError::InvalidValue {
            field: "expires".into(),
            problem: "is not a UTC date and time like 2030-01-31T12:00:00Z",
            detail: None,
        })?;
        let mut functionaries = BTreeMap::new();
        let mut identities = BTreeMap::new();
        if let Some(map) = optional(root, "functionaries") {
            for (keyid, key) in object(map, "functionaries")? {
                if let Some(identity) = super::identity::parse(keyid, key)? {
                    identities.insert(KeyId::new(keyid.clone()), identity);
                    continue;
                }
                let key = functionary_key(keyid, key)?;
                functionaries.insert(KeyId::new(keyid.clone()), key);
            }
        }
        let known: BTreeSet<KeyId> = functionaries
            .keys()
            .chain(identities.keys())
            .cloned()
            .collect();
        let mut steps: Vec<PolicyStep> = Vec::new();
        for (i, step) in list(root, "steps", "")?.iter().enumerate() {
            let path = format!("steps[{i}]");
            let step = PolicyStep::from_value(step, &path, &known, parameters)?;
            if steps.iter().any(|s| s.name == step.name) {
                return Err(PolicyError::DuplicateStep {
                    index: i,
                    name: step.name.to_string(),
                });
            }
            steps.push(step);
        }
        let mut inspections: Vec<PolicyInspection> = Vec::new();
        for (i, item) in optional_list(root, "inspections")?.iter().enumerate() {
            let path = format!("inspections[{i}]");
            let inspection = PolicyInspection::from_value(item, &path, parameters)?;
            if steps.iter().any(|s| s.name == inspection.name)
                || inspections.iter().any(|s| s.name == inspection.name)
            {
                return Err(PolicyError::DuplicateStep {
                    index: i,
                    name: inspection.name.to_string(),
                });
            }
            inspections.push(inspection);
        }
        let mut subjects = Vec::new();
        for (i, item) in optional_list(root, "subjects")?.iter().enumerate() {
            let path = format!("subjects[{i}]");
            let name = match item {
                Value::String(name) => name.as_str(),
                Value::Object(map) => string(map, "step", &path)?,
                _ => {
                    return Err(ModelError::WrongType {
                        field: path,
                        expected: "a step name, or {step: NAME}",
                    }
                    .into());
                }
            };
            let Some(step) = steps.iter().find(|s| s.name.as_str() == name) else {
                return Err(ModelError::InvalidValue {
                    field: path,
                    problem: "names no step of the policy",
                    detail: Some(intoto_model::error::Detail(format!("{name:?}"))),
                }
                .into());
            };
            subjects.push(step.name.clone());
        }
        Ok(Self {
            expires,
            functionaries,
            identities,
            steps,
            subjects,
            inspections,
        })
    }

    /// The step or inspection called `name`'s rules, for MATCH checks.
    pub fn item_names(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .map(|s| s.name.as_str())
            .chain(self.inspections.iter().map(|i| i.name.as_str()))
    }
}

impl PolicyInspection {
    fn from_value(
        value: &Value,
        path: &str,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Self, PolicyError> {
        let map = object(value, path)?;
        let name = step_name(map, path)?;
        let mut run = Vec::new();
        for (i, word) in list(map, "run", path)?.iter().enumerate() {
            let field = format!("{path}.run[{i}]");
            let Value::String(word) = word else {
                return Err(ModelError::WrongType {
                    field,
                    expected: "a string",
                }
                .into());
            };
            run.push(
                params::substitute(word, parameters)
                    .map_err(|source| PolicyError::Parameter { field, source })?,
            );
        }
        if run.is_empty() {
            return Err(ModelError::InvalidValue {
                field: format!("{path}.run"),
                problem: "must name a command",
                detail: None,
            }
            .into());
        }
        Ok(Self {
            name,
            run,
            expected_materials: rules(map, "expectedMaterials", path, parameters)?,
            expected_products: rules(map, "expectedProducts", path, parameters)?,
            expected_attributes: attributes(map, path)?,
        })
    }
}

fn optional_list<'a>(map: &'a Object, name: &str) -> Result<&'a [Value], ModelError> {
    match optional(map, name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ModelError::WrongType {
            field: name.into(),
            expected: "a list",
        }),
    }
}

fn step_name(map: &Object, path: &str) -> Result<StepName, ModelError> {
    let text = string(map, "name", path)?;
    StepName::new(text).map_err(|_| ModelError::InvalidValue {
        field: format!("{path}.name"),
        problem: "is not a plain name (it names files of attestations)",
        detail: None,
    })
}

fn rules(
    map: &Object,
    field: &str,
    path: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<Vec<ArtifactRule>, PolicyError> {
    let Some(items) = optional(map, field) else {
        return Ok(Vec::new());
    };
    let field_path = format!("{path}.{field}");
    let Value::Array(items) = items else {
        return Err(ModelError::WrongType {
            field: field_path,
            expected: "a list of rules",
        }
        .into());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| artifact_rule(item, &format!("{field_path}[{i}]"), parameters))
        .collect()
}

fn attributes(map: &Object, path: &str) -> Result<Vec<AttributeRule>, PolicyError> {
    let mut expected_attributes = Vec::new();
    let Some(items) = optional(map, "expectedAttributes") else {
        return Ok(expected_attributes);
    };
    let Value::Array(items) = items else {
        return Err(ModelError::WrongType {
            field: format!("{path}.expectedAttributes"),
            expected: "a list",
        }
        .into());
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}.expectedAttributes[{i}]");
        let a = object(item, &item_path)?;
        expected_attributes.push(AttributeRule {
            rule: string(a, "rule", &item_path)?.to_owned(),
            allow_if_no_claim: flag(a, "allowIfNoClaim", &item_path)?,
            warn: flag(a, "warn", &item_path)?,
            debug: match optional(a, "debug") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    return Err(ModelError::WrongType {
                        field: format!("{item_path}.debug"),
                        expected: "a string",
                    }
                    .into());
                }
            },
        });
    }
    Ok(expected_attributes)
}

impl PolicyStep {
    fn from_value(
        value: &Value,
        path: &str,
        functionaries: &BTreeSet<KeyId>,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Self, PolicyError> {
        let step = object(value, path)?;
        let name = step_name(step, path)?;
        let mut expected_predicates = Vec::new();
        if let Some(items) = optional(step, "expectedPredicates") {
            let field_path = format!("{path}.expectedPredicates");
            let Value::Array(items) = items else {
                return Err(ModelError::WrongType {
                    field: field_path,
                    expected: "a list",
                }
                .into());
            };
            for (i, item) in items.iter().enumerate() {
                expected_predicates.push(ExpectedPredicate::from_value(
                    item,
                    &format!("{field_path}[{i}]"),
                    functionaries,
                )?);
            }
        }
        Ok(Self {
            name,
            expected_materials: rules(step, "expectedMaterials", path, parameters)?,
            expected_products: rules(step, "expectedProducts", path, parameters)?,
            expected_predicates,
        })
    }
}

impl ExpectedPredicate {
    fn from_value(
        value: &Value,
        path: &str,
        functionaries: &BTreeSet<KeyId>,
    ) -> Result<Self, PolicyError> {
        let p = object(value, path)?;
        let predicate_type = string(p, "predicateType", path)?.to_owned();
        let expected_attributes = attributes(p, path)?;
        let keyids_path = format!("{path}.functionaries");
        let mut keyids = Vec::new();
        for (i, item) in list(p, "functionaries", path)?.iter().enumerate() {
            let Value::String(keyid) = item else {
                return Err(ModelError::WrongType {
                    field: format!("{keyids_path}[{i}]"),
                    expected: "a keyid",
                }
                .into());
            };
            let keyid = KeyId::new(keyid.clone());
            if !functionaries.contains(&keyid) {
                return Err(PolicyError::UnknownFunctionary {
                    field: format!("{keyids_path}[{i}]"),
                    keyid: keyid.to_string(),
                });
            }
            keyids.push(keyid);
        }
        let threshold = match optional(p, "threshold") {
            None => Threshold::ONE,
            Some(v) => match v.as_i64() {
                Some(n) if n >= 1 => Threshold::new(n),
                _ => {
                    return Err(ModelError::InvalidValue {
                        field: format!("{path}.threshold"),
                        problem: "must be a whole number of at least 1",
                        detail: None,
                    }
                    .into());
                }
            },
        };
        Ok(Self {
            predicate_type,
            expected_attributes,
            functionaries: keyids,
            threshold,
        })
    }
}

fn artifact_rule(
    item: &Value,
    path: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<ArtifactRule, PolicyError> {
    let Value::String(text) = item else {
        return Err(ModelError::WrongType {
            field: path.into(),
            expected: "a rule such as \"MATCH * WITH products FROM build\"",
        }
        .into());
    };
    let text = params::substitute(text, parameters).map_err(|source| PolicyError::Parameter {
        field: path.into(),
        source,
    })?;
    let words: Vec<&str> = text.split_whitespace().collect();
    ArtifactRule::parse(&words).map_err(|source| PolicyError::Rule {
        field: path.into(),
        rule: text.clone(),
        source,
    })
}

/// A functionary in the verifier's format, as a securesystemslib key.
fn functionary_key(keyid: &str, value: &Value) -> Result<PublicKey, PolicyError> {
    let path = format!("functionaries.{keyid}");
    let f = object(value, &path)?;
    if let Some(Value::String(written)) = optional(f, "keyID")
        && written != keyid
    {
        return Err(PolicyError::KeyIdMismatch {
            listed: keyid.to_owned(),
            written: written.clone(),
        });
    }
    // The verifier's camelCase names, or the key dict's own (what `intoto
    // key layout` prints), so a key can be pasted either way.
    let name = |camel: &'static str, snake: &'static str| {
        if f.contains_key(camel) { camel } else { snake }
    };
    let key_val_name = name("keyVal", "keyval");
    let key_val_path = format!("{path}.{key_val_name}");
    let key_val = object(
        optional(f, key_val_name).ok_or_else(|| ModelError::MissingField {
            field: key_val_path.clone(),
        })?,
        &key_val_path,
    )?;
    let mut dict = serde_json::Map::new();
    dict.insert(
        "keytype".into(),
        Value::String(string(f, name("keyType", "keytype"), &path)?.to_owned()),
    );
    dict.insert(
        "scheme".into(),
        Value::String(string(f, "scheme", &path)?.to_owned()),
    );
    let mut keyval = serde_json::Map::new();
    keyval.insert(
        "public".into(),
        Value::String(string(key_val, "public", &key_val_path)?.to_owned()),
    );
    dict.insert("keyval".into(), Value::Object(keyval));
    if let Some(algs) = optional(f, name("keyIDHashAlgorithms", "keyid_hash_algorithms")) {
        dict.insert("keyid_hash_algorithms".into(), algs.clone());
    }
    PublicKey::from_key_dict(KeyId::new(keyid.to_owned()), &KeyDict::from_map(dict)).map_err(
        |source| PolicyError::Key {
            keyid: keyid.to_owned(),
            source,
        },
    )
}

type Object = serde_json::Map<String, Value>;

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Object, ModelError> {
    value.as_object().ok_or_else(|| ModelError::WrongType {
        field: path.to_owned(),
        expected: "an object",
    })
}

fn optional<'a>(map: &'a Object, name: &str) -> Option<&'a Value> {
    map.get(name).filter(|v| !v.is_null())
}

fn string<'a>(map: &'a Object, name: &str, path: &str) -> Result<&'a str, ModelError> {
    match optional(map, name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ModelError::WrongType {
            field: join(path, name),
            expected: "a string",
        }),
        None => Err(ModelError::MissingField {
            field: join(path, name),
        }),
    }
}

fn list<'a>(map: &'a Object, name: &str, path: &str) -> Result<&'a [Value], ModelError> {
    match optional(map, name) {
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(ModelError::WrongType {
            field: join(path, name),
            expected: "a list",
        }),
        None => Err(ModelError::MissingField {
            field: join(path, name),
        }),
    }
}

fn flag(map: &Object, name: &str, path: &str) -> Result<bool, ModelError> {
    match optional(map, name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ModelError::WrongType {
            field: join(path, name),
            expected: "true or false",
        }),
    }
}

#[cfg(test)]
mod tests;
