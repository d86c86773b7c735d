//! What a metadata file holds, for `intoto show`: legacy metablocks, DSSE
//! envelopes and in-toto bundles (JSON Lines of envelopes), described as a
//! serialisable [`FileDescription`] and as text lines.
//!
//! Signatures are checked, when keys are given, over the bytes received:
//! the DSSE pre-authentication encoding of the payload as decoded, or the
//! canonical JSON of the received `signed` value. Every signature is tried
//! with every key, whatever keyid it names (producers compute keyids in
//! different ways); the description says whether the keyids matched.
//!
//! A file is read as a bundle when its name ends in `.jsonl`, or when it is
//! not one JSON document but some of its lines are DSSE envelopes.

mod identity;
pub mod summary;
mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use intoto_crypto::{PublicKey, check_signature_over};
use intoto_model::bundle::{BundleItem, LineNote, read_bundle};
use intoto_model::{
    Envelope, EnvelopeKind, Metadata, ModelError, PAYLOAD_TYPE_INTOTO, Payload, Signature,
    Statement, StatementVersion,
};

use crate::fs::{FileError, MAX_METADATA_BYTES, read};

pub use summary::predicate_summary;

/// A public key to check signatures with, and the name it is shown under
/// (usually its file).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NamedKey {
    /// How the key is shown.
    pub name: String,
    /// The key.
    pub key: PublicKey,
}

impl NamedKey {
    /// A key shown as `name`.
    pub fn new(name: impl Into<String>, key: PublicKey) -> Self {
        Self {
            name: name.into(),
            key,
        }
    }
}

/// A file that cannot be described.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DescribeError {
    /// The file cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not in-toto metadata, nor a bundle.
    #[error("{}", path.display())]
    NotInToto {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field at fault.
        #[source]
        source: ModelError,
    },
    /// A bundle none of whose lines is a DSSE envelope.
    #[error("{}: no line of the bundle is a DSSE envelope ({lines} line(s) read{})",
        path.display(),
        first.as_ref().map(|(n, note)| format!("; line {n}: {note}")).unwrap_or_default())]
    EmptyBundle {
        /// The file.
        path: PathBuf,
        /// How many lines were read.
        lines: usize,
        /// The first non-blank line and why it was skipped.
        first: Option<(usize, String)>,
    },
}

/// What a file holds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileDescription {
    /// The file, as given.
    pub file: PathBuf,
    /// `metadata` (one document) or `bundle` (JSON Lines).
    pub format: FileFormat,
    /// Whether keys were given to check signatures with.
    pub keys_given: bool,
    /// The document, or the bundle's lines in order (skipped lines included).
    pub documents: Vec<Document>,
}

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FileFormat {
    /// One JSON document.
    Metadata,
    /// An in-toto bundle: JSON Lines, a DSSE envelope on each line.
    Bundle,
}

/// A signature wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Wrapper {
    /// The legacy `{"signed", "signatures"}` metablock.
    Legacy,
    /// A DSSE envelope.
    Dsse,
}

/// One document: a file's, or a bundle line's.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Document {
    /// The bundle line, from 1 (bundles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The wrapper; none for a bundle line that holds no envelope.
    pub wrapper: Option<Wrapper>,
    /// The DSSE `payloadType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    /// Why a bundle line is skipped or flagged, or why an envelope's payload
    /// is not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    /// The in-toto document inside, when there is one.
    pub content: Option<Content>,
    /// The signatures, in order.
    pub signatures: Vec<SignatureDescription>,
    /// With keys: whether a signature is verified by a given key. Only
    /// documents with in-toto content count (`None` otherwise).
    pub verified: Option<bool>,
}

/// A remark about a document.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Note {
    /// A stable kebab-case code (`blank`, `not-json`, `other-payload-type`, ...).
    pub code: &'static str,
    /// What it means, in words.
    pub message: String,
}

impl From<&LineNote> for Note {
    fn from(note: &LineNote) -> Self {
        Self {
            code: note.code(),
            message: note.to_string(),
        }
    }
}

/// The in-toto document inside a wrapper.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Content {
    /// A link.
    Link(LinkDescription),
    /// A layout.
    Layout(LayoutDescription),
    /// An ITE-6 statement.
    Statement(StatementDescription),
}

/// A link, in brief.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct LinkDescription {
    /// The step name.
    pub name: String,
    /// The command run.
    pub command: Vec<String>,
    /// How many materials are recorded.
    pub materials: usize,
    /// How many products are recorded.
    pub products: usize,
    /// `byproducts["return-value"]`.
    pub return_value: Option<i64>,
}

/// A layout, in brief.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct LayoutDescription {
    /// When it expires (RFC 3339), if it says.
    pub expires: Option<String>,
    /// The keyids of its functionary keys.
    pub keys: Vec<String>,
    /// Its step names.
    pub steps: Vec<String>,
    /// Its inspection names.
    pub inspections: Vec<String>,
}

/// An ITE-6 statement, in brief.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StatementDescription {
    /// `v1` or `v0.1`.
    pub version: &'static str,
    /// The statement type URI.
    pub statement_type: &'static str,
    /// The key the type was under: `_type`, or `type` as some Go producers write.
    pub type_key: &'static str,
    /// The subjects.
    pub subjects: Vec<SubjectDescription>,
    /// The predicate type.
    pub predicate_type: String,
    /// One line about the predicate ([`predicate_summary`]).
    pub predicate_summary: String,
}

/// A statement subject.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SubjectDescription {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Its digests, by algorithm.
    pub digest: BTreeMap<String, String>,
}

/// One signature.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SignatureDescription {
    /// The keyid it names (empty when a DSSE signature names none).
    pub keyid: String,
    /// Fields it carries besides `keyid` and `sig`, such as `cert`,
    /// `certificate`, `intermediates`, `timestamps`, `other_headers`.
    pub fields: Vec<String>,
    /// The given keys that verify it.
    pub verified_by: Vec<VerifiedBy>,
    /// Given keys whose keyid the signature names but which do not verify it.
    pub failed: Vec<String>,
    /// Who the certificate the signature carries names (ITE-7): its SPIFFE
    /// ID, or its subject and alternative names; why it cannot be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// A key that verifies a signature.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct VerifiedBy {
    /// The key's name.
    pub key: String,
    /// Whether the signature names one of the key's keyids.
    pub keyid_matches: bool,
}

impl FileDescription {
    /// Whether every document with in-toto content has a signature verified
    /// by a given key (`true` when no keys were given).
    pub fn all_verified(&self) -> bool {
        self.documents.iter().all(|d| d.verified != Some(false))
    }
}

/// Reads and describes a metadata or bundle file (at most
/// [`MAX_METADATA_BYTES`], a regular file), checking signatures with `keys`.
///
/// # Errors
///
/// [`DescribeError`] naming the file (and the field at fault) when it cannot
/// be read or is not in-toto metadata.
pub fn describe_file(path: &Path, keys: &[NamedKey]) -> Result<FileDescription, DescribeError> {
    let bytes = read(path, MAX_METADATA_BYTES)?;
    describe_bytes(path, &bytes, keys)
}

/// Describes file contents; `path` names the file in the description and in
/// errors, and a `.jsonl` name makes it read as a bundle.
///
/// # Errors
///
/// See [`describe_file`].
pub fn describe_bytes(
    path: &Path,
    bytes: &[u8],
    keys: &[NamedKey],
) -> Result<FileDescription, DescribeError> {
    let jsonl = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    if !jsonl {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => {
                let doc =
                    describe_value(value, keys).map_err(|source| DescribeError::NotInToto {
                        path: path.to_owned(),
                        source,
                    })?;
                return Ok(FileDescription {
                    file: path.to_owned(),
                    format: FileFormat::Metadata,
                    keys_given: !keys.is_empty(),
                    documents: vec![doc],
                });
            }
            Err(e) => {
                let lines = read_bundle(bytes);
                if !lines.iter().any(|l| l.envelope().is_some()) {
                    return Err(DescribeError::NotInToto {
                        path: path.to_owned(),
                        source: ModelError::Json(e),
                    });
                }
            }
        }
    }
    describe_bundle(path, bytes, keys)
}

fn describe_bundle(
    path: &Path,
    bytes: &[u8],
    keys: &[NamedKey],
) -> Result<FileDescription, DescribeError> {
    let lines = read_bundle(bytes);
    if !lines.iter().any(|l| l.envelope().is_some()) {
        let first = lines.iter().find_map(|l| match l.note() {
            Some(LineNote::Blank) | None => None,
            Some(note) => Some((l.number, note.to_string())),
        });
        return Err(DescribeError::EmptyBundle {
            path: path.to_owned(),
            lines: lines.len(),
            first,
        });
    }
    let documents = lines
        .into_iter()
        .map(|line| {
            let number = Some(line.number);
            match line.item {
                BundleItem::Statement {
                    envelope,
                    statement,
                } => {
                    let mut doc = envelope_document(&envelope, keys);
                    doc.content = Some(Content::Statement(statement_description(&statement)));
                    doc.line = number;
                    doc.verified = verified(&doc, keys);
                    doc
                }
                BundleItem::Flagged { envelope, note } => {
                    let mut doc = envelope_document(&envelope, keys);
                    if matches!(note, LineNote::NotStatement(_)) {
                        // Not a statement, but maybe a link or layout in DSSE.
                        doc.content = serde_json::from_slice(&envelope.payload)
                            .ok()
                            .and_then(|v| Payload::from_value(v, "payload").ok())
                            .and_then(|p| content(&p));
                    }
                    doc.line = number;
                    doc.note = Some(Note::from(&note));
                    doc.verified = verified(&doc, keys);
                    doc
                }
                BundleItem::Skipped(note) => Document {
                    line: number,
                    wrapper: None,
                    payload_type: None,
                    note: Some(Note::from(&note)),
                    content: None,
                    signatures: Vec::new(),
                    verified: None,
                },
                // A kind of line this version does not know.
                _ => Document {
                    line: number,
                    wrapper: None,
                    payload_type: None,
                    note: None,
                    content: None,
                    signatures: Vec::new(),
                    verified: None,
                },
            }
        })
        .collect();
    Ok(FileDescription {
        file: path.to_owned(),
        format: FileFormat::Bundle,
        keys_given: !keys.is_empty(),
        documents,
    })
}

/// Describes one JSON document: a legacy metablock or a DSSE envelope (of
/// any payload type; one that is not in-toto is shown with a note).
fn describe_value(value: Value, keys: &[NamedKey]) -> Result<Document, ModelError> {
    if intoto_verify::policy::identity::is_sigstore_bundle(&value) {
        return identity::describe_sigstore_bundle(value, keys);
    }
    let other_type = match value.get("payloadType") {
        Some(Value::String(t)) if value.get("payload").is_some() && t != PAYLOAD_TYPE_INTOTO => {
            Some(t.clone())
        }
        _ => None,
    };
    if let Some(t) = other_type {
        let envelope = Envelope::from_value(value)?;
        let mut doc = envelope_document(&envelope, keys);
        doc.note = Some(Note::from(&LineNote::OtherPayloadType(t)));
        return Ok(doc);
    }
    let md = Metadata::from_value(value)?;
    let payload = md.payload()?;
    let mut doc = match &md {
        Metadata::Envelope(e) => envelope_document(e, keys),
        // The legacy metablock (and any wrapper this version does not know,
        // whose signed bytes the model still computes).
        _ => {
            let (signatures, note) = match md.signed_bytes() {
                Ok(msg) => (
                    describe_signatures(&msg, md.kind(), md.signatures(), keys),
                    None,
                ),
                Err(e) => (
                    describe_signatures(&[], md.kind(), md.signatures(), &[]),
                    Some(Note {
                        code: "not-canonical",
                        message: format!("signatures cannot be checked: {e}"),
                    }),
                ),
            };
            Document {
                line: None,
                wrapper: Some(Wrapper::Legacy),
                payload_type: None,
                note,
                content: None,
                signatures,
                verified: None,
            }
        }
    };
    doc.content = content(&payload);
    doc.verified = verified(&doc, keys);
    Ok(doc)
}

/// A DSSE envelope's document, its content not yet filled in.
fn envelope_document(envelope: &Envelope, keys: &[NamedKey]) -> Document {
    Document {
        line: None,
        wrapper: Some(Wrapper::Dsse),
        payload_type: Some(envelope.payload_type.clone()),
        note: None,
        content: None,
        signatures: describe_signatures(
            &envelope.pae(),
            EnvelopeKind::Dsse,
            &envelope.signatures,
            keys,
        ),
        verified: None,
    }
}

fn verified(doc: &Document, keys: &[NamedKey]) -> Option<bool> {
    (!keys.is_empty() && doc.content.is_some())
        .then(|| doc.signatures.iter().any(|s| !s.verified_by.is_empty()))
}

fn describe_signatures(
    msg: &[u8],
    kind: EnvelopeKind,
    signatures: &[Signature],
    keys: &[NamedKey],
) -> Vec<SignatureDescription> {
    signatures
        .iter()
        .map(|sig| {
            let mut fields: Vec<String> = Vec::new();
            if sig.other_headers.is_some() {
                fields.push("other_headers".into());
            }
            if sig.cert.is_some() {
                fields.push("cert".into());
            }
            fields.extend(sig.extra.keys().cloned());
            let mut verified_by = Vec::new();
            let mut failed = Vec::new();
            for named in keys {
                let keyid_matches = !sig.keyid.as_str().is_empty() && named.key.matches(&sig.keyid);
                // Try the signature whatever keyid it names: keyids are
                // computed differently by different producers.
                let mut probe = sig.clone();
                if !keyid_matches {
                    probe.keyid = named.key.keyid().clone();
                }
                if check_signature_over(msg, kind, std::slice::from_ref(&probe), &named.key).is_ok()
                {
                    verified_by.push(VerifiedBy {
                        key: named.name.clone(),
                        keyid_matches,
                    });
                } else if keyid_matches {
                    failed.push(named.name.clone());
                }
            }
            let identity = sig
                .certificate_pem()
                .map(|pem| identity::certificate_identity(&pem));
            SignatureDescription {
                keyid: sig.keyid.as_str().to_owned(),
                fields,
                verified_by,
                failed,
                identity,
            }
        })
        .collect()
}

fn content(payload: &Payload) -> Option<Content> {
    Some(match payload {
        Payload::Link(l) => Content::Link(LinkDescription {
            name: l.name.clone(),
            command: l.command.clone(),
            materials: l.materials.len(),
            products: l.products.len(),
            return_value: l.return_value(),
        }),
        Payload::Layout(l) => Content::Layout(LayoutDescription {
            expires: l.expires.as_ref().map(ToString::to_string),
            keys: l.keys.keys().map(|k| k.as_str().to_owned()).collect(),
            steps: l.steps.iter().map(|s| s.name.clone()).collect(),
            inspections: l.inspect.iter().map(|i| i.name.clone()).collect(),
        }),
        Payload::Statement(s) => Content::Statement(statement_description(s)),
        // A document kind this version does not know.
        _ => return None,
    })
}

fn statement_description(s: &Statement) -> StatementDescription {
    StatementDescription {
        version: match s.version {
            StatementVersion::V1 => "v1",
            StatementVersion::V0_1 => "v0.1",
            _ => "?",
        },
        statement_type: s.version.type_uri(),
        type_key: s.type_key(),
        subjects: s
            .subject
            .iter()
            .map(|rd| SubjectDescription {
                name: rd.name.clone(),
                uri: rd.uri.clone(),
                digest: rd
                    .digest
                    .as_ref()
                    .map(|d| {
                        d.iter()
                            .map(|(a, v)| (a.to_owned(), v.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        predicate_type: s.predicate_type.clone(),
        predicate_summary: predicate_summary(s),
    }
}
