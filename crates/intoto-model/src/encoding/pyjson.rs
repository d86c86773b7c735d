//! JSON text written the way Python's `json.dumps(..., sort_keys=True)` writes it.
//!
//! The reference implementation writes legacy metadata with `indent=1` and
//! DSSE files and payloads on one line with the default separators, always
//! ASCII-escaped. Writing the same bytes keeps files produced by either
//! implementation interchangeable and easy to compare. The layout pieces
//! (separators, indentation, [`write_string`]) are also what
//! [`super::link_text`] writes links with.

use std::fmt::Write as _;

use serde_json::Value;

use super::sorted_members;

/// How to lay out the JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// `json.dumps(v, sort_keys=True)`: one line, `", "` and `": "` separators.
    Line,
    /// `json.dumps(v, sort_keys=True, indent=1)`: one space per level,
    /// `","` and `": "` separators.
    Indent1,
    /// `json.dumps(v, sort_keys=True, separators=(",", ":"))`.
    Compact,
}

/// Writes `value` as Python's `json.dumps` would, keys sorted and ASCII-escaped.
pub fn to_string(value: &Value, style: Style) -> String {
    let mut out = String::with_capacity(256);
    write(value, style, 0, &mut out);
    out
}

/// Writes `value` as the value of a field `depth` levels down (which only
/// [`Style::Indent1`] shows, in the indentation of its lines).
pub(crate) fn write(value: &Value, style: Style, depth: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(style, depth + 1, i == 0, out);
                write(item, style, depth + 1, out);
            }
            close(style, depth, out);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (key, item)) in sorted_members(map).into_iter().enumerate() {
                separator(style, depth + 1, i == 0, out);
                write_string(key, out);
                out.push_str(colon(style));
                write(item, style, depth + 1, out);
            }
            close(style, depth, out);
            out.push('}');
        }
    }
}

/// What goes between a key and its value.
pub(crate) fn colon(style: Style) -> &'static str {
    match style {
        Style::Compact => ":",
        Style::Line | Style::Indent1 => ": ",
    }
}

/// What goes before an item of an array or object whose items are at
/// `depth`: a comma after the first, and with [`Style::Indent1`] a new,
/// indented line.
pub(crate) fn separator(style: Style, depth: usize, first: bool, out: &mut String) {
    match style {
        Style::Line if !first => out.push_str(", "),
        Style::Compact if !first => out.push(','),
        Style::Line | Style::Compact => {}
        Style::Indent1 => {
            if !first {
                out.push(',');
            }
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', depth));
        }
    }
}

/// What goes before the closing bracket of an array or object at `depth`.
pub(crate) fn close(style: Style, depth: usize, out: &mut String) {
    if style == Style::Indent1 {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth));
    }
}

fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        // Python's float repr: shortest round-trip digits, always with a
        // fraction or exponent.
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
            let _ = write!(out, "{f:.1}");
        } else {
            let _ = write!(out, "{f:?}");
        }
    } else {
        let _ = write!(out, "{n}");
    }
}

/// Writes a string as `json.dumps` does (ASCII only). Printable ASCII
/// without quotes or backslashes, which artifact names and digests almost
/// always are, is copied whole.
pub fn write_string(s: &str, out: &mut String) {
    // Branch-free per byte, so that the check runs at memory speed.
    if s.bytes().fold(true, |ok, b| {
        ok & ((b' '..=b'~').contains(&b) & (b != b'"') & (b != b'\\'))
    }) {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn line_style_matches_python_default_dumps() {
        // python3 -c 'import json; print(json.dumps({"b": [1, {}], "a": "\u00e9\n\U0001F600\x7f"}, sort_keys=True))'
        let v = json!({"b": [1, {}], "a": "\u{e9}\n\u{1F600}\u{7f}"});
        assert_eq!(
            to_string(&v, Style::Line),
            r#"{"a": "\u00e9\n\ud83d\ude00\u007f", "b": [1, {}]}"#
        );
    }

    #[test]
    fn indent1_style_matches_python_metablock_dump() {
        let v = json!({"signatures": [], "signed": {"_type": "link", "x": [1, 2]}});
        assert_eq!(
            to_string(&v, Style::Indent1),
            "{\n \"signatures\": [],\n \"signed\": {\n  \"_type\": \"link\",\n  \"x\": [\n   1,\n   2\n  ]\n }\n}"
        );
    }

    #[test]
    fn compact_style_has_no_spaces() {
        assert_eq!(
            to_string(&json!({"a": [1, 2]}), Style::Compact),
            r#"{"a":[1,2]}"#
        );
    }
}
