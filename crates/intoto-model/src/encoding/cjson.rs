//! Canonical JSON exactly as securesystemslib's `encode_canonical` writes it.
//!
//! This is the OLPC dialect that legacy `{"signed", "signatures"}` metadata and
//! keyids are computed over:
//!
//! - object keys sorted by code point (Python `sorted`), no whitespace;
//! - strings escape only `"` and `\`; every other character, control
//!   characters included, is written raw as UTF-8 and never normalised;
//! - `true`, `false`, `null` and integers; floats are rejected.
//!
//! The encoder runs on the [`serde_json::Value`] received, never on typed
//! structs, so fields this crate does not know are signed and checked as sent.
//! The primitives ([`write_string`], [`write_i64`], [`write_u64`]) are the
//! ones the text and link writers ([`super::canonical_text`],
//! [`super::link_text`]) use too.

use serde_json::Value;

use super::sorted_members;

/// A value that has no canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalError {
    /// Canonical JSON has no floats; securesystemslib rejects them too.
    #[error("canonical JSON cannot encode the non-integer number {number} at {path}")]
    Float {
        /// The number as it was parsed.
        number: String,
        /// Where it is, as a JSON path (`$.byproducts.x`).
        path: String,
    },
    /// An integer beyond the 64-bit range (the JSON parser can only read it
    /// as a float, so its exact value is lost).
    #[error("the integer {number} at {path} is out of range (at most 64 bits)")]
    IntegerOutOfRange {
        /// The number as it was parsed.
        number: String,
        /// Where it is, as a JSON path.
        path: String,
    },
}

/// Encodes `value` in canonical JSON.
///
/// # Errors
///
/// [`CanonicalError::Float`] if the value holds a number that is not an
/// integer (this includes integers beyond the 64-bit range, which the JSON
/// parser reads as floats).
pub fn encode(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out, &mut String::from("$"))?;
    Ok(out)
}

/// Encodes `value` in canonical JSON, appending to `out`.
///
/// # Errors
///
/// See [`encode`].
pub fn encode_into(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    write(value, out, &mut String::from("$"))
}

/// The error for a number that is not a 64-bit integer: an integral value
/// beyond that range was an integer in the text (JSON floats that large are
/// written with an exponent, which nobody does in metadata).
fn non_integer(n: &serde_json::Number, path: &str) -> CanonicalError {
    let number = n.to_string();
    let path = path.to_owned();
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
            CanonicalError::IntegerOutOfRange { number, path }
        }
        _ => CanonicalError::Float { number, path },
    }
}

fn write(value: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write_i64(i, out);
            } else if let Some(u) = n.as_u64() {
                write_u64(u, out);
            } else {
                return Err(non_integer(n, path));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                write(item, out, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in sorted_members(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                let len = path.len();
                path.push('.');
                path.push_str(key);
                write(item, out, path)?;
                path.truncate(len);
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Writes a string in canonical JSON: quoted, with only `"` and `\`
/// escaped (by a backslash); everything else raw. Runs of bytes that need
/// no escape are copied whole.
#[inline]
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[start..i]);
            out.push(b'\\');
            start = i;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a signed integer in canonical JSON (decimal, no `+`, no leading
/// zeros).
#[inline]
pub fn write_i64(i: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(i.to_string().as_bytes());
}

/// Writes an unsigned integer in canonical JSON.
#[inline]
pub fn write_u64(u: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(u.to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn enc(v: &Value) -> String {
        String::from_utf8(encode(v).unwrap()).unwrap()
    }

    #[test]
    fn matches_securesystemslib_on_edge_cases() {
        // Expected outputs produced by securesystemslib.formats.encode_canonical.
        assert_eq!(
            enc(&json!({"file": 1, "file 2.txt": 2})),
            r#"{"file":1,"file 2.txt":2}"#
        );
        assert_eq!(enc(&json!({"a!": 2, "a": 1})), r#"{"a":1,"a!":2}"#);
        assert_eq!(enc(&json!({"a#": 2, "a\"": 1})), r#"{"a\"":1,"a#":2}"#);
        assert_eq!(enc(&json!("cafe\u{301}")), "\"cafe\u{301}\"");
        assert_eq!(enc(&json!("\u{1}\u{1f}\n\t")), "\"\u{1}\u{1f}\n\t\"");
        assert_eq!(
            enc(&json!(9_223_372_036_854_775_813_u64)),
            "9223372036854775813"
        );
        assert_eq!(enc(&json!(-5)), "-5");
        assert_eq!(enc(&json!([])), "[]");
        assert_eq!(enc(&json!({})), "{}");
        assert_eq!(
            enc(&json!([true, false, null, "\\"])),
            r#"[true,false,null,"\\"]"#
        );
        // Keys sort by code point, so U+00E9 comes after "z" and before U+1F600.
        assert_eq!(
            enc(&json!({"\u{1F600}": 1, "z": 2, "\u{e9}": 3})),
            "{\"z\":2,\"\u{e9}\":3,\"\u{1F600}\":1}"
        );
    }

    #[test]
    fn rejects_floats_with_their_path() {
        let err = encode(&json!({"a": [1, {"b": 1.5}]})).unwrap_err();
        assert_eq!(
            err,
            CanonicalError::Float {
                number: "1.5".into(),
                path: "$.a[1].b".into()
            }
        );
    }

    #[test]
    fn integers_beyond_64_bits_are_out_of_range_not_floats() {
        let value: Value = serde_json::from_str(r#"{"n": 123456789012345678901234}"#).unwrap();
        let err = encode(&value).unwrap_err();
        assert!(
            matches!(&err, CanonicalError::IntegerOutOfRange { path, .. } if path == "$.n"),
            "{err:?}"
        );
        assert!(err.to_string().contains("out of range"), "{err}");
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            // Raw control characters are canonical but not valid JSON text,
            // so the round trip through a JSON parser leaves them out.
            "[^\\x00-\\x1f]*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map("[^\\x00-\\x1f]*", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_output_parses_back_to_the_same_value(v in arb_json()) {
            let bytes = encode(&v).unwrap();
            let parsed: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(&parsed, &v);
            // Idempotent: encoding the parsed form gives the same bytes.
            prop_assert_eq!(encode(&parsed).unwrap(), bytes);
        }

        #[test]
        fn object_keys_come_out_sorted(keys in prop::collection::btree_set(".*", 0..10)) {
            let obj: serde_json::Map<String, Value> =
                keys.iter().rev().map(|k| (k.clone(), Value::Null)).collect();
            let out = String::from_utf8(encode(&Value::Object(obj)).unwrap()).unwrap();
            let mut expected = String::from("{");
            for (i, k) in keys.iter().enumerate() {
                if i > 0 { expected.push(','); }
                expected.push('"');
                expected.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                expected.push_str("\":null");
            }
            expected.push('}');
            prop_assert_eq!(out, expected);
        }
    }
}
