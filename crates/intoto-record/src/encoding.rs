//! A recorded link's JSON encodings, written straight from the [`Link`]: the
//! canonical JSON a legacy signature is over, and the layouts of Python's
//! `json.dumps` that link files and DSSE payloads use.
//!
//! The bytes are exactly those of [`intoto_model::cjson::encode`] and
//! [`intoto_model::pyjson::to_string`] applied to [`Link::to_value`] (the
//! tests compare them on arbitrary links). What differs is the cost: a link
//! of 100,000 artifacts becomes a `serde_json::Value` tree of some 400,000
//! allocations, which takes longer to build, encode and free than hashing
//! the files took. Here the artifact maps are written directly, in parallel
//! chunks, and only the small fields go through `Value`.

use intoto_model::cjson::{self, CanonicalError};
use intoto_model::pyjson::{self, Style};
use intoto_model::{Artifacts, DigestSet, Link};
use rayon::iter::ParallelIterator;
use rayon::slice::ParallelSlice;
use serde_json::Value;

/// Artifacts per chunk encoded by one task.
const CHUNK: usize = 8192;

/// A top-level field of the link.
enum Field<'a> {
    Value(Value),
    Borrowed(&'a Value),
    Artifacts(&'a Artifacts),
}

/// The link's fields in key order, as [`Link::to_value`] lays them out (its
/// own fields win over unknown fields of the same name).
fn fields(link: &Link) -> Vec<(&str, Field<'_>)> {
    let mut fields: Vec<(&str, Field<'_>)> = link
        .extra
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "_type"
                    | "name"
                    | "command"
                    | "materials"
                    | "products"
                    | "byproducts"
                    | "environment"
            )
        })
        .map(|(k, v)| (k.as_str(), Field::Borrowed(v)))
        .collect();
    fields.push(("_type", Field::Value(Value::String("link".into()))));
    fields.push(("name", Field::Value(Value::String(link.name.clone()))));
    fields.push((
        "command",
        Field::Value(Value::Array(
            link.command.iter().cloned().map(Value::String).collect(),
        )),
    ));
    fields.push(("materials", Field::Artifacts(&link.materials)));
    fields.push(("products", Field::Artifacts(&link.products)));
    fields.push((
        "byproducts",
        Field::Value(Value::Object(link.byproducts.clone())),
    ));
    fields.push((
        "environment",
        Field::Value(Value::Object(link.environment.clone())),
    ));
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    fields
}

/// `cjson::encode(&link.to_value())`: the bytes a legacy signature is over.
///
/// # Errors
///
/// [`CanonicalError`] if an unknown field or a byproduct holds a float.
pub fn canonical(link: &Link) -> Result<Vec<u8>, CanonicalError> {
    Ok(canonical_parts(link)?.concat())
}

/// [`canonical`] in pieces that follow one another, as they were encoded (the
/// artifact maps in parallel chunks): for signers and writers that take the
/// bytes in parts, so that they are never copied into one buffer.
///
/// # Errors
///
/// [`CanonicalError`] if an unknown field or a byproduct holds a float.
pub fn canonical_parts(link: &Link) -> Result<Vec<Vec<u8>>, CanonicalError> {
    let mut parts = Vec::new();
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (i, (key, field)) in fields(link).into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        canonical_str(key, &mut out);
        out.push(b':');
        match field {
            Field::Value(v) => cjson::encode_into(&v, &mut out)?,
            Field::Borrowed(v) => cjson::encode_into(v, &mut out)?,
            Field::Artifacts(a) => {
                let chunks = chunks(a, |chunk| {
                    let mut text = Vec::with_capacity(chunk.len() * 110);
                    for (j, (name, digests)) in chunk.iter().enumerate() {
                        if j > 0 {
                            text.push(b',');
                        }
                        canonical_str(name, &mut text);
                        text.extend_from_slice(b":{");
                        for (k, (algorithm, hex)) in digests.iter().enumerate() {
                            if k > 0 {
                                text.push(b',');
                            }
                            canonical_str(algorithm, &mut text);
                            text.push(b':');
                            canonical_str(hex, &mut text);
                        }
                        text.push(b'}');
                    }
                    text
                });
                out.push(b'{');
                for (j, chunk) in chunks.into_iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    parts.push(std::mem::take(&mut out));
                    parts.push(chunk);
                }
                out.push(b'}');
            }
        }
    }
    out.push(b'}');
    parts.push(out);
    Ok(parts)
}

/// `pyjson::to_string(&link.to_value(), style)`, as if the link were the
/// value of a field `depth` levels down: with [`Style::Indent1`] and depth
/// 1, the `"signed"` part of a legacy link file; with [`Style::Line`] and
/// depth 0, a DSSE payload.
pub fn python(link: &Link, style: Style, depth: usize) -> String {
    python_parts(link, style, depth).concat()
}

/// [`python`] in pieces that follow one another, as they were encoded, for
/// writers that take text in parts.
pub fn python_parts(link: &Link, style: Style, depth: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut out = String::with_capacity(1024);
    let inner = depth + 1;
    out.push('{');
    for (i, (key, field)) in fields(link).into_iter().enumerate() {
        separator(style, inner, i == 0, &mut out);
        python_str(key, &mut out);
        out.push_str(match style {
            Style::Compact => ":",
            _ => ": ",
        });
        match field {
            Field::Value(v) => nested(&v, style, inner, &mut out),
            Field::Borrowed(v) => nested(v, style, inner, &mut out),
            Field::Artifacts(a) if a.is_empty() => out.push_str("{}"),
            Field::Artifacts(a) => {
                let entry = inner + 1;
                let chunks = chunks(a, |chunk| {
                    let mut text = String::with_capacity(chunk.len() * (120 + 3 * entry));
                    for (j, (name, digests)) in chunk.iter().enumerate() {
                        if j > 0 {
                            separator(style, entry, false, &mut text);
                        }
                        python_str(name, &mut text);
                        text.push_str(match style {
                            Style::Compact => ":",
                            _ => ": ",
                        });
                        python_digests(digests, style, entry, &mut text);
                    }
                    text
                });
                out.push('{');
                separator(style, entry, true, &mut out);
                for (j, chunk) in chunks.into_iter().enumerate() {
                    if j > 0 {
                        separator(style, entry, false, &mut out);
                    }
                    parts.push(std::mem::take(&mut out));
                    parts.push(chunk);
                }
                close(style, inner, &mut out);
                out.push('}');
            }
        }
    }
    close(style, depth, &mut out);
    out.push('}');
    parts.push(out);
    parts
}

/// Encodes the artifacts in chunks, in parallel; the parts are in order.
fn chunks<T, F>(artifacts: &Artifacts, encode: F) -> Vec<T>
where
    T: Send,
    F: Fn(&[(&String, &DigestSet)]) -> T + Sync,
{
    let entries: Vec<(&String, &DigestSet)> = artifacts.iter().collect();
    if entries.len() <= CHUNK {
        return vec![encode(&entries)];
    }
    entries.par_chunks(CHUNK).map(&encode).collect()
}

/// A string in canonical JSON: only `"` and `\` are escaped.
fn canonical_str(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    if s.bytes().any(|b| b == b'"' || b == b'\\') {
        for &byte in s.as_bytes() {
            if byte == b'"' || byte == b'\\' {
                out.push(b'\\');
            }
            out.push(byte);
        }
    } else {
        out.extend_from_slice(s.as_bytes());
    }
    out.push(b'"');
}

/// A string as `json.dumps` writes it (ASCII only). Printable ASCII without
/// quotes or backslashes, which artifact names and digests almost always
/// are, is written as is; anything else goes through the model's encoder.
fn python_str(s: &str, out: &mut String) {
    // Branch-free per byte, so that the check runs at memory speed.
    if s.bytes().fold(true, |ok, b| {
        ok & ((b' '..=b'~').contains(&b) & (b != b'"') & (b != b'\\'))
    }) {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&pyjson::to_string(
            &Value::String(s.to_owned()),
            Style::Line,
        ));
    }
}

fn python_digests(digests: &DigestSet, style: Style, depth: usize, out: &mut String) {
    if digests.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (algorithm, hex)) in digests.iter().enumerate() {
        separator(style, depth + 1, i == 0, out);
        python_str(algorithm, out);
        out.push_str(match style {
            Style::Compact => ":",
            _ => ": ",
        });
        python_str(hex, out);
    }
    close(style, depth, out);
    out.push('}');
}

/// A small value written by the model's encoder, shifted to `depth`.
fn nested(value: &Value, style: Style, depth: usize, out: &mut String) {
    let text = pyjson::to_string(value, style);
    if style == Style::Indent1 && depth > 0 {
        // `json.dumps` escapes newlines inside strings, so every raw newline
        // starts an indented line.
        let indent = format!("\n{}", " ".repeat(depth));
        out.push_str(&text.replace('\n', &indent));
    } else {
        out.push_str(&text);
    }
}

fn separator(style: Style, depth: usize, first: bool, out: &mut String) {
    match style {
        Style::Indent1 => {
            if !first {
                out.push(',');
            }
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', depth));
        }
        Style::Compact if !first => out.push(','),
        _ if !first => out.push_str(", "),
        _ => {}
    }
}

fn close(style: Style, depth: usize, out: &mut String) {
    if style == Style::Indent1 {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::*;

    /// What the model writes for the link as the value of a field at `depth`.
    fn model_python(link: &Link, style: Style, depth: usize) -> String {
        let mut v = link.to_value();
        for _ in 0..depth {
            v = json!({ "x": v });
        }
        let text = pyjson::to_string(&v, style);
        if depth == 0 {
            return text;
        }
        // Cut the wrapping objects off again: the opening `{"x": ` parts and
        // the closing braces.
        let open = match style {
            Style::Indent1 => (0..depth)
                .map(|d| format!("{{\n{}\"x\": ", " ".repeat(d + 1)))
                .collect::<String>(),
            Style::Line => "{\"x\": ".repeat(depth),
            _ => "{\"x\":".repeat(depth),
        };
        let close = match style {
            Style::Indent1 => (0..depth)
                .rev()
                .map(|d| format!("\n{}}}", " ".repeat(d)))
                .collect::<String>(),
            _ => "}".repeat(depth),
        };
        text.strip_prefix(&open)
            .and_then(|t| t.strip_suffix(&close))
            .unwrap()
            .to_owned()
    }

    fn check(link: &Link) {
        assert_eq!(
            canonical(link).unwrap(),
            cjson::encode(&link.to_value()).unwrap()
        );
        for style in [Style::Line, Style::Indent1, Style::Compact] {
            for depth in [0, 1, 2] {
                assert_eq!(
                    python(link, style, depth),
                    model_python(link, style, depth),
                    "{style:?} at depth {depth}"
                );
            }
        }
    }

    fn digests(pairs: &[(&str, &str)]) -> DigestSet {
        pairs
            .iter()
            .map(|(a, d)| ((*a).to_owned(), (*d).to_owned()))
            .collect()
    }

    #[test]
    fn empty_and_typical_links_match_the_model() {
        check(&Link::new("empty"));
        let mut link = Link::new("build");
        link.command = vec!["sh".into(), "-c".into(), "echo \"hi\"\n".into()];
        link.materials.insert(
            "a.txt".into(),
            digests(&[("sha256", "ab"), ("sha512", "cd")]),
        );
        link.materials.insert("dir:src".into(), digests(&[]));
        link.products.insert(
            "résumé \"x\"\\\u{1}\u{7f}😀".into(),
            digests(&[("sha256", "00")]),
        );
        link.byproducts.insert("stdout".into(), json!("line\n"));
        link.byproducts.insert("return-value".into(), json!(-9));
        link.environment.insert("workdir".into(), json!("/tmp"));
        link.extra.insert("name".into(), json!("shadowed"));
        link.extra
            .insert("zz".into(), json!({"nested": [1, {"a": []}], "e": {}}));
        link.extra.insert("a".into(), json!([]));
        check(&link);
    }

    #[test]
    fn large_links_are_encoded_in_order_across_chunks() {
        let mut link = Link::new("big");
        for i in 0..(3 * CHUNK + 17) {
            link.products.insert(
                format!("d{}/f{i:06}", i % 7),
                digests(&[("sha256", &format!("{i:064x}"))]),
            );
        }
        check(&link);
    }

    #[test]
    fn floats_are_refused_like_the_model() {
        let mut link = Link::new("f");
        link.byproducts.insert("x".into(), json!(1.5));
        assert!(canonical(&link).is_err());
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z/. \"\\\\\u{0}-\u{1f}\u{7f}é😀]{0,8}").unwrap()
    }

    proptest! {
        #[test]
        fn arbitrary_links_match_the_model(
            name in text(),
            command in proptest::collection::vec(text(), 0..3),
            materials in proptest::collection::btree_map(text(), proptest::collection::btree_map(text(), text(), 0..3), 0..5),
            products in proptest::collection::btree_map(text(), proptest::collection::btree_map(text(), text(), 0..2), 0..5),
            byproducts in proptest::collection::btree_map(text(), text(), 0..3),
            extra in proptest::collection::btree_map(text(), text(), 0..3),
        ) {
            let mut link = Link::new(name);
            link.command = command;
            link.materials = materials.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect();
            link.products = products.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect();
            link.byproducts = byproducts.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<Map<_, _>>();
            link.extra = extra.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            check(&link);
        }
    }
}
