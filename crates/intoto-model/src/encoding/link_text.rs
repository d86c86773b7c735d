//! A link's JSON encodings, written straight from the [`Link`]: the
//! canonical JSON a legacy signature is over, and the layouts of Python's
//! `json.dumps` that link files and DSSE payloads use.
//!
//! The bytes are exactly those of [`cjson::encode`] and
//! [`pyjson::to_string`] applied to [`Link::to_value`] (the tests compare
//! them on arbitrary links). What differs is the cost: a link of 100,000
//! artifacts becomes a `serde_json::Value` tree of some 400,000
//! allocations, which takes longer to build, encode and free than hashing
//! the files took. Here the artifact maps are written directly, in chunks
//! of [`CHUNK`] artifacts, and only the small fields go through `Value`.
//! The chunks are encoded by a [`Chunking`]: [`Sequential`] here, in
//! parallel by the recorder (`intoto_record::encoding`).

use serde_json::Value;

use super::cjson::{self, CanonicalError};
use super::pyjson::{self, Style, close, colon, separator};
use super::sort_members;
use crate::{Artifacts, DigestSet, Link};

/// Artifacts per chunk encoded by one task.
pub const CHUNK: usize = 8192;

/// An artifact and its digest set, as the encoders take them.
pub type Entry<'a> = (&'a String, &'a DigestSet);

/// How the artifact maps are encoded: `encode` applied to the artifacts
/// in chunks of at most [`CHUNK`] (or all at once), the results in order.
/// The bytes do not depend on the chunking, only where the parts end.
pub trait Chunking {
    /// Applies `encode` to `entries` in chunks, returning the results in
    /// the order of the chunks.
    fn encode_chunks<T, F>(&self, entries: &[Entry<'_>], encode: F) -> Vec<T>
    where
        T: Send,
        F: Fn(&[Entry<'_>]) -> T + Sync;
}

/// Encodes all artifacts of a map in one go, on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Chunking for Sequential {
    fn encode_chunks<T, F>(&self, entries: &[Entry<'_>], encode: F) -> Vec<T>
    where
        T: Send,
        F: Fn(&[Entry<'_>]) -> T + Sync,
    {
        vec![encode(entries)]
    }
}

/// Encodes the artifacts in chunks of [`CHUNK`], one after the other on the
/// calling thread: the parts a parallel driver gives, without the threads
/// (for a writer that must leave the other cores to other work).
#[derive(Debug, Clone, Copy, Default)]
pub struct InChunks;

impl Chunking for InChunks {
    fn encode_chunks<T, F>(&self, entries: &[Entry<'_>], encode: F) -> Vec<T>
    where
        T: Send,
        F: Fn(&[Entry<'_>]) -> T + Sync,
    {
        entries.chunks(CHUNK).map(encode).collect()
    }
}

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
    sort_members(&mut fields, |f| f.0.as_bytes());
    fields
}

/// `cjson::encode(&link.to_value())`: the bytes a legacy signature is over.
///
/// # Errors
///
/// [`CanonicalError`] if an unknown field or a byproduct holds a float.
pub fn canonical(link: &Link) -> Result<Vec<u8>, CanonicalError> {
    Ok(canonical_parts(link, &Sequential)?.concat())
}

/// [`canonical`] in pieces that follow one another, as they were encoded
/// (the artifact maps in chunks, by `chunking`): for signers and writers
/// that take the bytes in parts, so that they are never copied into one
/// buffer.
///
/// # Errors
///
/// [`CanonicalError`] if an unknown field or a byproduct holds a float.
pub fn canonical_parts(
    link: &Link,
    chunking: &impl Chunking,
) -> Result<Vec<Vec<u8>>, CanonicalError> {
    let mut parts = Vec::new();
    let mut out = Vec::with_capacity(1024);
    out.push(b'{');
    for (i, (key, field)) in fields(link).into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        cjson::write_string(key, &mut out);
        out.push(b':');
        match field {
            Field::Value(v) => cjson::encode_into(&v, &mut out)?,
            Field::Borrowed(v) => cjson::encode_into(v, &mut out)?,
            Field::Artifacts(a) => {
                let entries: Vec<Entry<'_>> = a.iter().collect();
                let chunks = chunking.encode_chunks(&entries, canonical_artifacts);
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

/// The members `"name":{"algorithm":"hex",...}` of a chunk of artifacts,
/// in canonical JSON.
fn canonical_artifacts(chunk: &[Entry<'_>]) -> Vec<u8> {
    let mut text = Vec::with_capacity(chunk.len() * 110);
    for (j, (name, digests)) in chunk.iter().enumerate() {
        if j > 0 {
            text.push(b',');
        }
        cjson::write_string(name, &mut text);
        text.extend_from_slice(b":{");
        for (k, (algorithm, hex)) in digests.iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            cjson::write_string(algorithm, &mut text);
            text.push(b':');
            cjson::write_string(hex, &mut text);
        }
        text.push(b'}');
    }
    text
}

/// `pyjson::to_string(&link.to_value(), style)`, as if the link were the
/// value of a field `depth` levels down: with [`Style::Indent1`] and depth
/// 1, the `"signed"` part of a legacy link file; with [`Style::Line`] and
/// depth 0, a DSSE payload.
pub fn python(link: &Link, style: Style, depth: usize) -> String {
    python_parts(link, style, depth, &Sequential).concat()
}

/// [`python`] in pieces that follow one another, as they were encoded (the
/// artifact maps in chunks, by `chunking`), for writers that take text in
/// parts.
pub fn python_parts(
    link: &Link,
    style: Style,
    depth: usize,
    chunking: &impl Chunking,
) -> Vec<String> {
    let mut parts = Vec::new();
    let mut out = String::with_capacity(1024);
    let inner = depth + 1;
    out.push('{');
    for (i, (key, field)) in fields(link).into_iter().enumerate() {
        separator(style, inner, i == 0, &mut out);
        pyjson::write_string(key, &mut out);
        out.push_str(colon(style));
        match field {
            Field::Value(v) => pyjson::write(&v, style, inner, &mut out),
            Field::Borrowed(v) => pyjson::write(v, style, inner, &mut out),
            Field::Artifacts(a) if a.is_empty() => out.push_str("{}"),
            Field::Artifacts(a) => {
                let entry = inner + 1;
                let entries: Vec<Entry<'_>> = a.iter().collect();
                let chunks =
                    chunking.encode_chunks(&entries, |chunk| python_artifacts(chunk, style, entry));
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

/// The members `"name": {"algorithm": "hex", ...}` of a chunk of artifacts
/// at `depth`, as `json.dumps` writes them.
fn python_artifacts(chunk: &[Entry<'_>], style: Style, depth: usize) -> String {
    let mut text = String::with_capacity(chunk.len() * (120 + 3 * depth));
    for (j, (name, digests)) in chunk.iter().enumerate() {
        if j > 0 {
            separator(style, depth, false, &mut text);
        }
        pyjson::write_string(name, &mut text);
        text.push_str(colon(style));
        python_digests(digests, style, depth, &mut text);
    }
    text
}

fn python_digests(digests: &DigestSet, style: Style, depth: usize, out: &mut String) {
    if digests.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (algorithm, hex)) in digests.iter().enumerate() {
        separator(style, depth + 1, i == 0, out);
        pyjson::write_string(algorithm, out);
        out.push_str(colon(style));
        pyjson::write_string(hex, out);
    }
    close(style, depth, out);
    out.push('}');
}

#[cfg(test)]
mod tests {
    //! The agreement tests: these writers against the model's encoders of
    //! `Link::to_value`, byte for byte.

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
        let canonical_bytes = canonical(link).unwrap();
        assert_eq!(canonical_bytes, cjson::encode(&link.to_value()).unwrap());
        assert_eq!(
            canonical_parts(link, &InChunks).unwrap().concat(),
            canonical_bytes
        );
        for style in [Style::Line, Style::Indent1, Style::Compact] {
            for depth in [0, 1, 2] {
                let text = python(link, style, depth);
                assert_eq!(
                    text,
                    model_python(link, style, depth),
                    "{style:?} at depth {depth}"
                );
                assert_eq!(python_parts(link, style, depth, &InChunks).concat(), text);
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
    fn large_links_match_the_model() {
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
