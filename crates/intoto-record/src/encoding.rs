//! A recorded link's JSON encodings, with the artifact maps encoded in
//! parallel chunks: the model's link writer
//! ([`intoto_model::encoding::link_text`]) driven by rayon.
//!
//! The bytes are the model's (and so those of `cjson::encode` and
//! `pyjson::to_string` applied to [`Link::to_value`]); only the work is
//! spread over the threads, for links of 100,000 artifacts and more.

use intoto_model::Link;
use intoto_model::encoding::cjson::CanonicalError;
use intoto_model::encoding::link_text::{self, CHUNK, Chunking, Entry};
use intoto_model::encoding::pyjson::Style;
use rayon::iter::ParallelIterator;
use rayon::slice::ParallelSlice;

/// Encodes the artifact maps in chunks of [`CHUNK`] on the rayon pool; a
/// map of one chunk or less is encoded on the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parallel;

impl Chunking for Parallel {
    fn encode_chunks<T, F>(&self, entries: &[Entry<'_>], encode: F) -> Vec<T>
    where
        T: Send,
        F: Fn(&[Entry<'_>]) -> T + Sync,
    {
        if entries.len() <= CHUNK {
            return vec![encode(entries)];
        }
        entries.par_chunks(CHUNK).map(&encode).collect()
    }
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
    link_text::canonical_parts(link, &Parallel)
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
    link_text::python_parts(link, style, depth, &Parallel)
}

#[cfg(test)]
mod tests {
    use intoto_model::DigestSet;

    use super::*;

    #[test]
    fn parallel_chunks_give_the_model_writers_bytes() {
        let mut link = Link::new("big");
        for i in 0..(3 * CHUNK + 17) {
            link.products.insert(
                format!("d{}/f{i:06}", i % 7),
                DigestSet::from_iter([("sha256".to_owned(), format!("{i:064x}"))]),
            );
        }
        link.materials
            .insert("a \"b\"\u{e9}".into(), DigestSet::new());
        let parts = canonical_parts(&link).unwrap();
        assert!(parts.len() > 4, "the products are split into chunks");
        assert_eq!(parts.concat(), link_text::canonical(&link).unwrap());
        for style in [Style::Line, Style::Indent1, Style::Compact] {
            for depth in [0, 1] {
                assert_eq!(
                    python(&link, style, depth),
                    link_text::python(&link, style, depth)
                );
            }
        }
    }
}
