//! Canonical JSON (securesystemslib's `encode_canonical`) written straight
//! from received JSON text, without building a `serde_json::Value`.
//!
//! The output is byte for byte what [`cjson::encode`] gives for the same
//! text parsed into a `Value` (keys sorted by code point and each kept
//! once, the last value winning; only `"` and `\` escaped; integers only),
//! but a link with a million artifacts needs no more than the output buffer
//! and a few offsets per object member. Objects whose keys arrive sorted
//! (every implementation writes them so) are written in place; others are
//! reordered at their end. The verifier reads link files with it.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::cjson::{self, write_string};
use super::sort_members;

/// JSON text that has no canonical form (a non-integer number, or an
/// integer beyond 64 bits), or is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the JSON text has no canonical form")]
#[non_exhaustive]
pub struct NotCanonical;

/// Writes the canonical form of the JSON document `text` to `out`.
///
/// # Errors
///
/// [`NotCanonical`] if `text` is not one JSON document or holds a number
/// canonical JSON cannot encode; `out` then holds part of the output.
pub fn canonicalize(text: &str, out: &mut Vec<u8>) -> Result<(), NotCanonical> {
    let mut de = serde_json::Deserializer::from_str(text);
    Canon::new(out)
        .deserialize(&mut de)
        .map_err(|_| NotCanonical)?;
    de.end().map_err(|_| NotCanonical)
}

/// Writes one JSON value canonically: a seed, for use inside another
/// deserialisation (the verifier applies it to the `signed` value while it
/// reads the rest of a link file).
pub struct Canon<'o> {
    out: &'o mut Vec<u8>,
}

impl<'o> Canon<'o> {
    /// A seed that appends the canonical form of the value it reads to `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Self {
        Self { out }
    }
}

impl<'de> DeserializeSeed<'de> for Canon<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let mut lost = false;
        Writer {
            out: self.out,
            lost: &mut lost,
        }
        .deserialize(deserializer)?;
        if lost {
            return Err(de::Error::custom("canonical JSON has no floats"));
        }
        Ok(())
    }
}

/// Writes one value canonically. A number canonical JSON cannot encode
/// does not stop the parse: it sets `lost`, since a later member with the
/// same key may still replace it (the last value wins, as in a parsed
/// `Value`). Whatever holds a lost value that counts is lost in turn.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
    lost: &'o mut bool,
}

impl<'de> DeserializeSeed<'de> for Writer<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Writer<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        cjson::write_i64(v, self.out);
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        cjson::write_u64(v, self.out);
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        *self.lost = true;
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        write_string(v, self.out);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.push(b'[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            let element = Writer {
                out: &mut *self.out,
                lost: &mut *self.lost,
            };
            if seq.next_element_seed(element)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(b']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        out.push(b'{');
        let body = out.len();
        // Where each member (`"key":value`) starts and ends in `out`, and
        // whether its value was lost.
        let mut members: Vec<(usize, usize, bool)> = Vec::new();
        let mut previous = String::new();
        let mut in_order = true;
        loop {
            let start = out.len();
            let Some(()) = map.next_key_seed(Key {
                out: &mut *out,
                previous: &mut previous,
                in_order: &mut in_order,
                first: members.is_empty(),
            })?
            else {
                break;
            };
            let mut lost = false;
            map.next_value_seed(Writer {
                out: &mut *out,
                lost: &mut lost,
            })?;
            members.push((start, out.len(), lost));
            out.push(b',');
        }
        if !members.is_empty() {
            out.pop();
        }
        let lost = if in_order {
            members.iter().any(|m| m.2)
        } else {
            reorder(out, body, &members)
        };
        *self.lost |= lost;
        out.push(b'}');
        Ok(())
    }
}

/// Writes an object key (and the `:` after it), noting whether keys are
/// still strictly ascending.
struct Key<'o> {
    out: &'o mut Vec<u8>,
    previous: &'o mut String,
    in_order: &'o mut bool,
    first: bool,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if *self.in_order {
            if !self.first && v <= self.previous.as_str() {
                *self.in_order = false;
            } else {
                self.previous.clear();
                self.previous.push_str(v);
            }
        }
        write_string(v, self.out);
        self.out.push(b':');
        Ok(())
    }
}

/// The key of a canonical member `"key":value`, unescaped.
fn member_key(member: &[u8]) -> Vec<u8> {
    let mut key = Vec::new();
    let mut i = 1;
    while i < member.len() {
        match member[i] {
            b'\\' => {
                if let Some(&next) = member.get(i + 1) {
                    key.push(next);
                }
                i += 2;
            }
            b'"' => break,
            b => {
                key.push(b);
                i += 1;
            }
        }
    }
    key
}

/// Rewrites the members of an object (from `body` to the end of `out`) in
/// key order, each key once with its last value; true if a member kept has
/// a lost value.
fn reorder(out: &mut Vec<u8>, body: usize, members: &[(usize, usize, bool)]) -> bool {
    let region = out.split_off(body);
    let mut keyed: Vec<(Vec<u8>, usize)> = members
        .iter()
        .enumerate()
        .map(|(i, &(s, e, _))| (member_key(&region[s - body..e - body]), i))
        .collect();
    let mut lost = false;
    // Stable, so among equal keys the last one given comes last.
    sort_members(&mut keyed, |k| &k.0);
    let mut first = true;
    for (k, (key, i)) in keyed.iter().enumerate() {
        if keyed.get(k + 1).is_some_and(|next| next.0 == *key) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        let (s, e, member_lost) = members[*i];
        lost |= member_lost;
        out.extend_from_slice(&region[s - body..e - body]);
    }
    lost
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    fn same_as_model(text: &str) {
        let mut ours = Vec::new();
        let theirs = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| cjson::encode(&v).ok());
        match (canonicalize(text, &mut ours), theirs) {
            (Ok(()), Some(theirs)) => assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
                "{text}"
            ),
            (Err(_), None) => {}
            (ours, theirs) => panic!("{text}: ours {ours:?}, model {theirs:?}"),
        }
    }

    #[test]
    fn matches_the_model_on_tricky_documents() {
        for text in [
            r#"{"b": 1, "a": [true, false, null, -0, 18446744073709551615]}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"{"b": {"y": 1, "x": 2}, "a": {}, "c": []}"#,
            r#"{"q\"": "\\\"\n\u0000\u00e9\ud83d\ude00", "q#": 1, "q": 0}"#,
            r#"{"x": 1.0}"#,
            r#"{"x": 1e3}"#,
            r#"{"x": 18446744073709551616}"#,
            r#"{"x": -9223372036854775809}"#,
            r#"[1, [2, [3, {"z": {"y": "x"}}]]]"#,
            r#""\"""#,
            r#"{"k": 1} trailing"#,
            r#"{"é": 1, "z": 2, "\u007f": 3}"#,
            // The last value wins, so a lost number replaced later is
            // dropped, and one that replaces a good number is lost.
            r#"{"a": 5555111155555511111111, "a": 1}"#,
            r#"{"b": 0, "a": 1.5, "c": [{"d": 1e9, "d": 2}], "a": 2}"#,
            r#"{"a": 1, "a": 5555111155555511111111}"#,
            r#"{"b": 1, "a": {"x": 1.5}, "a": 1}"#,
            r#"[{"a": 1.5, "a": 1}, {"b": 1, "a": 1.5}]"#,
        ] {
            same_as_model(text);
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            "[a-c\"\\\\é\n]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[a-c\"\\\\é]{0,3}", inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn equals_the_model_encoder(value in json_value(), shuffle in any::<u64>()) {
            // Write members in a scrambled order, sometimes repeating one.
            fn write(v: &Value, seed: u64, out: &mut String) {
                match v {
                    Value::Object(map) => {
                        let mut entries: Vec<_> = map.iter().collect();
                        let n = entries.len().max(1) as u64;
                        entries.rotate_left((seed % n) as usize);
                        out.push('{');
                        for (i, (k, v)) in entries.iter().enumerate() {
                            if i > 0 { out.push(','); }
                            out.push_str(&serde_json::to_string(k).unwrap());
                            out.push(':');
                            if seed.is_multiple_of(5) {
                                out.push_str("\"dup\",");
                                out.push_str(&serde_json::to_string(k).unwrap());
                                out.push(':');
                            }
                            write(v, seed / 3 + 1, out);
                        }
                        out.push('}');
                    }
                    Value::Array(items) => {
                        out.push('[');
                        for (i, v) in items.iter().enumerate() {
                            if i > 0 { out.push_str(" , "); }
                            write(v, seed / 2 + 7, out);
                        }
                        out.push(']');
                    }
                    other => out.push_str(&other.to_string()),
                }
            }
            let mut text = String::new();
            write(&value, shuffle, &mut text);
            same_as_model(&text);
        }
    }
}
