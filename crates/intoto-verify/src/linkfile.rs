//! Reading a link file: the signatures and the exact bytes they are over
//! first, the document after.
//!
//! Links are most of what a verification reads, and a link can hold a
//! million artifacts. Building a `serde_json::Value` of such a link and then
//! the model's `Link` would take several times the file's size, so the
//! common shapes (a legacy wrapper or a DSSE envelope around a link) are
//! read straight from the text:
//!
//! - legacy: the canonical JSON of the *received* `signed` text is written
//!   without a `Value`
//!   ([`intoto_model::encoding::canonical_text`]);
//! - DSSE: the payload is decoded once, into its pre-authentication
//!   encoding;
//! - the link's `materials` and `products` go straight into
//!   [`ArtifactMap`]s; every other field is read and checked by the model
//!   ([`Link::from_value`]).
//!
//! Anything else, and anything this reader does not accept, goes through
//! the model ([`Metadata::from_slice`]), whose verdict (and error message)
//! is the one that counts. The two agree on every document (tested, and
//! fuzzed).

use std::borrow::Cow;
use std::fmt;

use intoto_model::encoding::canonical_text::{Canon, canonicalize};
use intoto_model::envelope::{decode_base64, pae};
use intoto_model::{
    Envelope, EnvelopeKind, Link, Metablock, Metadata, ModelError, PAYLOAD_TYPE_INTOTO, Payload,
    Signature, Statement,
};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::artifacts::{ArtifactMap, ArtifactMapBuilder, Digests, is_hex};
use crate::chain::ChainLink;

/// A link file whose wrapper has been read.
pub(crate) struct Opened<'b> {
    /// The wrapper kind.
    pub(crate) kind: EnvelopeKind,
    /// The signatures, as received.
    pub(crate) signatures: Vec<Signature>,
    bytes: &'b [u8],
    body: Body<'b>,
}

enum Body<'b> {
    /// The `signed` text of a legacy wrapper; the signed bytes are its
    /// canonical form, written when asked for.
    Legacy(&'b RawValue),
    /// A DSSE envelope: its pre-authentication encoding, the payload from
    /// `offset` on.
    Dsse { pae: Vec<u8>, offset: usize },
    /// Read by the model.
    Model { md: Metadata, signed: Vec<u8> },
}

/// The document a link file holds.
pub(crate) enum Document {
    /// A link.
    Link(ChainLink),
    /// A layout: a sublayout, with its metadata for the recursive check.
    Layout(Metadata),
    /// An ITE-6 statement.
    Statement(Statement),
}

/// Reads the wrapper of a link file.
///
/// # Errors
///
/// [`ModelError`] if the file is not metadata.
pub(crate) fn open(bytes: &[u8]) -> Result<Opened<'_>, ModelError> {
    if let Some(opened) = open_fast(bytes) {
        return Ok(opened);
    }
    open_model(bytes)
}

pub(crate) fn open_model(bytes: &[u8]) -> Result<Opened<'_>, ModelError> {
    let md = Metadata::from_slice(bytes)?;
    let signed = md.signed_bytes()?;
    Ok(Opened {
        kind: md.kind(),
        signatures: md.signatures().to_vec(),
        bytes,
        body: Body::Model { md, signed },
    })
}

impl Opened<'_> {
    /// The size of the file.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The bytes the signatures are over: the canonical JSON of the
    /// received `signed` value, or the DSSE pre-authentication encoding.
    ///
    /// # Errors
    ///
    /// [`ModelError`] if the signed part has no canonical form.
    pub(crate) fn signed(&self) -> Result<Cow<'_, [u8]>, ModelError> {
        match &self.body {
            Body::Legacy(raw) => {
                let mut out = Vec::with_capacity(raw.get().len());
                match canonicalize(raw.get(), &mut out) {
                    Ok(()) => Ok(Cow::Owned(out)),
                    // The model's verdict, and its error message.
                    Err(_) => open_model(self.bytes).map(|o| match o.body {
                        Body::Model { signed, .. } => Cow::Owned(signed),
                        _ => Cow::Owned(Vec::new()),
                    }),
                }
            }
            Body::Dsse { pae, .. } => Ok(Cow::Borrowed(pae)),
            Body::Model { signed, .. } => Ok(Cow::Borrowed(signed)),
        }
    }

    /// Reads the document.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub(crate) fn document(&self) -> Result<Document, ModelError> {
        let fast = match &self.body {
            Body::Legacy(raw) => link_fast(raw.get().as_bytes(), "signed"),
            Body::Dsse { pae, offset } => link_fast(&pae[*offset..], "payload"),
            Body::Model { md, .. } => return model_document(md),
        };
        match fast {
            Some(link) => Ok(Document::Link(link)),
            None => model_document(&Metadata::from_slice(self.bytes)?),
        }
    }
}

fn model_document(md: &Metadata) -> Result<Document, ModelError> {
    Ok(match md.payload()? {
        Payload::Link(link) => Document::Link(ChainLink::from_link(&link)),
        Payload::Layout(_) => Document::Layout(md.clone()),
        Payload::Statement(statement) => Document::Statement(statement),
        other => {
            return Err(ModelError::UnexpectedType {
                field: "_type".into(),
                found: other.kind().into(),
                expected: "a link, a layout or a statement",
            });
        }
    })
}

/// The fast reading of the wrapper; `None` for anything unusual.
fn open_fast(bytes: &[u8]) -> Option<Opened<'_>> {
    let wrapper: Wrapper<'_> = serde_json::from_slice(bytes).ok()?;
    if let Some(payload) = wrapper.payload {
        let in_toto = matches!(wrapper.rest.get("payloadType"), Some(Value::String(t)) if t == PAYLOAD_TYPE_INTOTO);
        if !in_toto || wrapper.signed.is_some() {
            return None;
        }
        let text: Cow<'_, str> = StrSeed
            .deserialize(&mut serde_json::Deserializer::from_str(payload.get()))
            .ok()?;
        let mut map = wrapper.rest;
        map.insert("payload".into(), Value::String(String::new()));
        let envelope = Envelope::from_value(Value::Object(map)).ok()?;
        let decoded = decode_base64(&text).ok()?;
        let pae = pae(&envelope.payload_type, &decoded);
        let offset = pae.len() - decoded.len();
        return Some(Opened {
            kind: EnvelopeKind::Dsse,
            signatures: envelope.signatures,
            bytes,
            body: Body::Dsse { pae, offset },
        });
    }
    let raw = wrapper.signed?;
    if !raw.get().starts_with('{') {
        return None;
    }
    let mut map = wrapper.rest;
    map.insert("signed".into(), Value::Object(Map::new()));
    let metablock = Metablock::from_value(Value::Object(map)).ok()?;
    Some(Opened {
        kind: EnvelopeKind::Legacy,
        signatures: metablock.signatures,
        bytes,
        body: Body::Legacy(raw),
    })
}

/// A link read straight from its JSON text; `None` when it is not a link or
/// the fast reader does not accept it.
fn link_fast(text: &[u8], path: &str) -> Option<ChainLink> {
    chain_link(serde_json::from_slice(text).ok()?, path)
}

/// The link a [`LinkDoc`] holds, its fields other than the artifacts read
/// and checked by the model; `None` when it is not a link.
fn chain_link(doc: LinkDoc, path: &str) -> Option<ChainLink> {
    if !matches!(doc.rest.get("_type"), Some(Value::String(t)) if t == "link") {
        return None;
    }
    let link = Link::from_value(Value::Object(doc.rest), path).ok()?;
    Some(ChainLink {
        name: link.name,
        command: link.command,
        byproducts: link.byproducts,
        materials: doc.materials.unwrap_or_default().into(),
        products: doc.products.unwrap_or_default().into(),
    })
}

/// A legacy link file in one pass over its text: the canonical JSON of its
/// `signed` value written to `out`, and its signatures. `None` for anything
/// but a plain legacy wrapper (the model then reads the file).
///
/// The text is a `str`, checked as UTF-8 once by the caller for this pass
/// and [`legacy_link`]'s, not string by string in each.
pub(crate) fn legacy_signed(text: &str, out: &mut Vec<u8>) -> Option<Vec<Signature>> {
    out.clear();
    let mut de = serde_json::Deserializer::from_str(text);
    let (signed, mut rest, payload) =
        de::Deserializer::deserialize_map(&mut de, OnePass(Some(Canon::new(&mut *out)))).ok()?;
    de.end().ok()?;
    if payload || signed.is_none() || out.first() != Some(&b'{') {
        return None;
    }
    rest.insert("signed".into(), Value::Object(Map::new()));
    Some(Metablock::from_value(Value::Object(rest)).ok()?.signatures)
}

/// The link in a legacy link file, in one pass over its text; `None` for
/// anything but a plain legacy wrapper around a link.
pub(crate) fn legacy_link(text: &str) -> Option<ChainLink> {
    let mut de = serde_json::Deserializer::from_str(text);
    let (doc, _, payload) =
        de::Deserializer::deserialize_map(&mut de, OnePass(Some(LinkDocSeed))).ok()?;
    de.end().ok()?;
    if payload {
        return None;
    }
    chain_link(doc?, "signed")
}

/// The top level of a legacy wrapper, with `S` applied to `signed` (which
/// must appear once): the result of `S`, the other fields, and whether
/// there is a `payload` (a DSSE envelope, not for this reader).
struct OnePass<S>(Option<S>);

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OnePass<S> {
    type Value = (Option<S::Value>, Map<String, Value>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metadata object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut signed, mut rest, mut payload) = (None, Map::new(), false);
        while let Some(key) = map.next_key_seed(StrSeed)? {
            match key.as_ref() {
                "signed" => {
                    let seed = self
                        .0
                        .take()
                        .ok_or_else(|| de::Error::custom("`signed` given twice"))?;
                    signed = Some(map.next_value_seed(seed)?);
                }
                "payload" => {
                    payload = true;
                    map.next_value::<de::IgnoredAny>()?;
                }
                _ => {
                    let value: Value = map.next_value()?;
                    rest.insert(key.into_owned(), value);
                }
            }
        }
        Ok((signed, rest, payload))
    }
}

struct LinkDocSeed;

impl<'de> DeserializeSeed<'de> for LinkDocSeed {
    type Value = LinkDoc;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<LinkDoc, D::Error> {
        deserializer.deserialize_map(LinkDocVisitor)
    }
}

/// The top level of a metadata file, with the signed part kept as text.
struct Wrapper<'b> {
    signed: Option<&'b RawValue>,
    payload: Option<&'b RawValue>,
    rest: Map<String, Value>,
}

impl<'de> de::Deserialize<'de> for Wrapper<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WrapperVisitor)
    }
}

struct WrapperVisitor;

impl<'de> Visitor<'de> for WrapperVisitor {
    type Value = Wrapper<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metadata object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut wrapper = Wrapper {
            signed: None,
            payload: None,
            rest: Map::new(),
        };
        while let Some(key) = map.next_key_seed(StrSeed)? {
            match key.as_ref() {
                "signed" => wrapper.signed = Some(map.next_value()?),
                "payload" => wrapper.payload = Some(map.next_value()?),
                _ => {
                    let value: Value = map.next_value()?;
                    wrapper.rest.insert(key.into_owned(), value);
                }
            }
        }
        Ok(wrapper)
    }
}

/// A link document: the artifact maps compact, every other field a `Value`.
struct LinkDoc {
    rest: Map<String, Value>,
    materials: Option<ArtifactMap>,
    products: Option<ArtifactMap>,
}

impl<'de> de::Deserialize<'de> for LinkDoc {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(LinkDocVisitor)
    }
}

struct LinkDocVisitor;

impl<'de> Visitor<'de> for LinkDocVisitor {
    type Value = LinkDoc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a link")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LinkDoc, A::Error> {
        let mut doc = LinkDoc {
            rest: Map::new(),
            materials: None,
            products: None,
        };
        while let Some(key) = map.next_key_seed(StrSeed)? {
            match key.as_ref() {
                "materials" => doc.materials = Some(map.next_value_seed(ArtifactsSeed)?),
                "products" => doc.products = Some(map.next_value_seed(ArtifactsSeed)?),
                _ => {
                    let value: Value = map.next_value()?;
                    doc.rest.insert(key.into_owned(), value);
                }
            }
        }
        Ok(doc)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// `{name: {algorithm: hex, ...}, ...}` into an [`ArtifactMap`], with the
/// model's checks (digests are non-empty hex strings).
struct ArtifactsSeed;

impl<'de> DeserializeSeed<'de> for ArtifactsSeed {
    type Value = ArtifactMap;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ArtifactsSeed {
    type Value = ArtifactMap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of artifact names to digest sets")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ArtifactMap, A::Error> {
        let hint = map.size_hint().unwrap_or(0);
        let mut builder = ArtifactMapBuilder::with_capacity(hint, hint * 24);
        while let Some(name) = map.next_key_seed(StrSeed)? {
            let digests = map.next_value_seed(DigestsSeed)?;
            builder.push(&name, digests);
        }
        Ok(builder.finish())
    }
}

struct DigestsSeed;

impl<'de> DeserializeSeed<'de> for DigestsSeed {
    type Value = Digests;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DigestsSeed {
    type Value = Digests;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of algorithm names to hex digests")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Digests, A::Error> {
        let mut first: Option<(Cow<'de, str>, Cow<'de, str>)> = None;
        let mut set: Option<intoto_model::DigestSet> = None;
        while let Some(algorithm) = map.next_key_seed(StrSeed)? {
            let hex = map.next_value_seed(StrSeed)?;
            match (&mut set, first.take()) {
                (Some(set), _) => set.insert(algorithm.into_owned(), hex.into_owned()),
                (None, None) => first = Some((algorithm, hex)),
                (None, Some((a, h))) => {
                    let mut s = intoto_model::DigestSet::new();
                    s.insert(a.into_owned(), h.into_owned());
                    s.insert(algorithm.into_owned(), hex.into_owned());
                    set = Some(s);
                }
            }
        }
        let not_hex = || de::Error::custom("not a hex digest");
        match (set, first) {
            (Some(set), _) => {
                if !set.iter().all(|(_, hex)| is_hex(hex)) {
                    return Err(not_hex());
                }
                Ok(Digests::from_set(set))
            }
            (None, Some((algorithm, hex))) => {
                // The common case, checked and decoded in one go.
                if algorithm == "sha256"
                    && let Some(digests) = Digests::sha256_lower(&hex)
                {
                    return Ok(digests);
                }
                if !is_hex(&hex) {
                    return Err(not_hex());
                }
                Ok(Digests::from_set(intoto_model::DigestSet::from_iter([(
                    algorithm.into_owned(),
                    hex.into_owned(),
                )])))
            }
            (None, None) => Ok(Digests::from_set(intoto_model::DigestSet::new())),
        }
    }
}

#[cfg(test)]
mod tests;
