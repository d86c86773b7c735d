//! Attestations as CEL values (JSON integers `int`, or `uint` above
//! `i64::MAX`, other numbers `double`, depth-bounded), only the parts the
//! rules read, and CEL values back to text for messages.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use cel::Value;
use cel::objects::{Key, Map};

use super::text::shorten;
use super::{CompiledRule, InputTooDeep, MAX_INPUT_DEPTH};

/// The inputs of a rule, converted to CEL values once for every rule that
/// reads them.
#[derive(Debug)]
pub struct AttributeInput {
    pub(super) predicate_type: Value,
    pub(super) predicate: Value,
    pub(super) subject: Value,
    pub(super) size: u128,
}

impl AttributeInput {
    /// Converts an attestation's predicate type, predicate and subject list
    /// (resource descriptors as JSON). JSON integers become CEL `int` (or
    /// `uint` above `i64::MAX`), other numbers `double`.
    ///
    /// # Errors
    ///
    /// Fails when a value nests deeper than [`MAX_INPUT_DEPTH`].
    pub fn new(
        predicate_type: &str,
        predicate: &serde_json::Value,
        subject: &serde_json::Value,
    ) -> Result<Self, InputTooDeep> {
        let mut size = 1 + predicate_type.len() as u128;
        let predicate = to_cel(predicate, 0, &mut size)?;
        let subject = to_cel(subject, 0, &mut size)?;
        Ok(Self {
            predicate_type: Value::String(Arc::new(predicate_type.to_owned())),
            predicate,
            subject,
            size,
        })
    }

    /// Converts what `rules` can read of an attestation: the predicate
    /// fields they select (the whole predicate if one reads it otherwise),
    /// and the subjects if one reads them. The rules see the same values
    /// as over the whole input.
    ///
    /// # Errors
    ///
    /// Fails when a value read nests deeper than [`MAX_INPUT_DEPTH`].
    pub fn for_rules(
        rules: &[CompiledRule],
        predicate_type: &str,
        predicate: &serde_json::Map<String, serde_json::Value>,
        subject: &[intoto_model::ResourceDescriptor],
    ) -> Result<Self, InputTooDeep> {
        let whole = rules.iter().any(|r| r.needs.whole_predicate);
        let fields: BTreeSet<&str> = rules
            .iter()
            .flat_map(|r| r.needs.predicate_fields.iter().map(String::as_str))
            .collect();
        let mut size = 1 + predicate_type.len() as u128;
        let mut map = HashMap::new();
        for (key, item) in predicate {
            if whole || fields.contains(key.as_str()) {
                size = size.saturating_add(key.len() as u128);
                map.insert(
                    Key::String(Arc::new(key.clone())),
                    to_cel(item, 1, &mut size)?,
                );
            }
        }
        size = size.saturating_add(1);
        let subject = if rules.iter().any(|r| r.needs.subject) {
            let list = serde_json::Value::Array(subject.iter().map(|d| d.to_value()).collect());
            to_cel(&list, 0, &mut size)?
        } else {
            Value::List(Arc::new(Vec::new()))
        };
        Ok(Self {
            predicate_type: Value::String(Arc::new(predicate_type.to_owned())),
            predicate: Value::Map(Map { map: Arc::new(map) }),
            subject,
            size,
        })
    }

    /// The input's size for the cost bound: its JSON values plus the bytes
    /// of its strings and keys.
    pub fn size(&self) -> u128 {
        self.size
    }
}

/// Converts JSON to a CEL value, adding to `size`.
pub(super) fn to_cel(
    value: &serde_json::Value,
    depth: usize,
    size: &mut u128,
) -> Result<Value, InputTooDeep> {
    if depth > MAX_INPUT_DEPTH {
        return Err(InputTooDeep {
            max: MAX_INPUT_DEPTH,
        });
    }
    *size = size.saturating_add(1);
    Ok(match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => {
            *size = size.saturating_add(s.len() as u128);
            Value::String(Arc::new(s.clone()))
        }
        serde_json::Value::Array(items) => Value::List(Arc::new(
            items
                .iter()
                .map(|item| to_cel(item, depth + 1, size))
                .collect::<Result<Vec<_>, _>>()?,
        )),
        serde_json::Value::Object(object) => {
            let mut map = HashMap::with_capacity(object.len());
            for (key, item) in object {
                *size = size.saturating_add(key.len() as u128);
                map.insert(
                    Key::String(Arc::new(key.clone())),
                    to_cel(item, depth + 1, size)?,
                );
            }
            Value::Map(Map { map: Arc::new(map) })
        }
    })
}

/// A map key as CEL-like text.
pub(super) fn render_key(key: &Key) -> String {
    match key {
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => format!("{u}u"),
        Key::Bool(b) => b.to_string(),
        Key::String(s) => format!("{:?}", s.as_str()),
    }
}

/// A value as CEL-like text for [`Outcome::Failed`], cut at about 200 bytes.
pub(super) fn render(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, &mut out);
    shorten(&out)
}

pub(super) fn render_into(value: &Value, out: &mut String) {
    if out.len() > 256 {
        return;
    }
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}u");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::String(s) => {
            let _ = write!(out, "{:?}", s.as_str());
        }
        Value::List(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                render_into(item, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            let mut entries: Vec<(String, &Value)> = map
                .map
                .iter()
                .map(|(key, value)| (render_key(key), value))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(&key);
                out.push_str(": ");
                render_into(item, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}
