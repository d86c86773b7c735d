//! Reading and verifying an upload: a DSSE envelope or classic link (one
//! JSON document), or a JSON Lines bundle of them. Nothing of an upload is
//! accepted unless every document in it is, and a document is accepted
//! only when it has signatures and **every** signature is by a key the
//! store trusts, taken by the keyid the signature names, and verifies over
//! the bytes as received (the PAE of the payload for DSSE, the canonical
//! JSON of `signed` for the legacy wrapper).

use intoto::crypto::check_signature_over_at;
use intoto::model::{Metadata, Payload};

use crate::id::{AttestationId, gitoid};
use crate::index::Indexed;
use crate::trust::Trust;

/// The most documents in one bundle upload.
pub const MAX_BUNDLE_LINES: usize = 10_000;

/// How an upload's body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadFormat {
    /// One JSON document: a DSSE envelope or a legacy-wrapped link.
    Document,
    /// JSON Lines: one document a line; blank lines are skipped.
    Bundle,
}

impl UploadFormat {
    /// The format a `Content-Type` names, if it is one the store takes:
    /// `application/json` and `application/vnd.in-toto+json` (and
    /// `application/vnd.dsse.envelope.v1+json`) for a document,
    /// `application/jsonl`, `application/x-ndjson`,
    /// `application/jsonlines` and `application/vnd.in-toto.bundle` for a
    /// bundle. Parameters such as `charset` are ignored.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json"
            | "application/vnd.in-toto+json"
            | "application/vnd.dsse.envelope.v1+json" => Some(Self::Document),
            "application/jsonl"
            | "application/x-ndjson"
            | "application/jsonlines"
            | "application/vnd.in-toto.bundle"
            | "application/vnd.in-toto.bundle+jsonl" => Some(Self::Bundle),
            _ => None,
        }
    }
}

/// A document that passed: its exact bytes, ids and index.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The sha256 of the bytes.
    pub id: AttestationId,
    /// The Archivista-style gitoid of the bytes.
    pub gitoid: String,
    /// The bytes as received (a bundle line without its line break).
    pub bytes: Vec<u8>,
    /// What is indexed.
    pub indexed: Indexed,
}

/// Why an upload is refused. `item` names the document: `document`, or
/// `line N` of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The body holds no document.
    #[error("the upload holds no document")]
    Empty,
    /// A bundle with too many lines.
    #[error("the bundle has more than {MAX_BUNDLE_LINES} documents; upload it in parts")]
    TooManyLines,
    /// Not a signed in-toto document.
    #[error("{item}: {problem}")]
    Malformed {
        /// The document.
        item: String,
        /// What is wrong.
        problem: String,
    },
    /// No signature.
    #[error(
        "{item}: it is not signed; sign it (intoto sign, or run/attest with --key) and upload again"
    )]
    Unsigned {
        /// The document.
        item: String,
    },
    /// A signature by a key the store does not trust.
    #[error(
        "{item}: signed by key {keyid}, which the store does not trust (add its public key, or a layout or policy naming it, with --trust)"
    )]
    UnknownKey {
        /// The document.
        item: String,
        /// The keyid the signature names.
        keyid: String,
    },
    /// A signature that does not verify.
    #[error(
        "{item}: the signature by key {keyid} does not verify over the bytes received: {problem}"
    )]
    BadSignature {
        /// The document.
        item: String,
        /// The keyid.
        keyid: String,
        /// Why.
        problem: String,
    },
}

impl UploadError {
    /// A short stable code for the API's error envelope.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "upload-empty",
            Self::TooManyLines => "bundle-too-long",
            Self::Malformed { .. } => "document-malformed",
            Self::Unsigned { .. } => "unsigned",
            Self::UnknownKey { .. } => "unknown-key",
            Self::BadSignature { .. } => "signature-invalid",
        }
    }
}

/// Reads `body` as `format` and verifies every document in it against
/// `trust` at `now_unix` (OpenPGP keys expire).
///
/// # Errors
///
/// The first document that is not accepted, and why.
pub fn verify_upload(
    body: &[u8],
    format: UploadFormat,
    trust: &Trust,
    now_unix: i64,
) -> Result<Vec<Accepted>, UploadError> {
    let mut out = Vec::new();
    match format {
        UploadFormat::Document => {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Err(UploadError::Empty);
            }
            out.push(verify_document(body, "document", trust, now_unix)?);
        }
        UploadFormat::Bundle => {
            for (n, line) in body.split(|b| *b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if out.len() == MAX_BUNDLE_LINES {
                    return Err(UploadError::TooManyLines);
                }
                out.push(verify_document(
                    line,
                    &format!("line {}", n + 1),
                    trust,
                    now_unix,
                )?);
            }
            if out.is_empty() {
                return Err(UploadError::Empty);
            }
        }
    }
    Ok(out)
}

/// One document.
fn verify_document(
    bytes: &[u8],
    item: &str,
    trust: &Trust,
    now_unix: i64,
) -> Result<Accepted, UploadError> {
    let malformed = |problem: String| UploadError::Malformed {
        item: item.to_owned(),
        problem,
    };
    let md = Metadata::from_slice(bytes).map_err(|e| {
        malformed(format!(
            "not a DSSE envelope or a signed link: {}",
            intoto::verify::error_chain(&e)
        ))
    })?;
    if md.signatures().is_empty() {
        return Err(UploadError::Unsigned {
            item: item.to_owned(),
        });
    }
    let msg = md
        .signed_bytes()
        .map_err(|e| malformed(intoto::verify::error_chain(&e)))?;
    let kind = md.kind();
    let mut signers = Vec::new();
    for signature in md.signatures() {
        let keyid = signature.keyid.as_str();
        let Some(key) = trust.key(keyid) else {
            return Err(UploadError::UnknownKey {
                item: item.to_owned(),
                keyid: keyid.to_owned(),
            });
        };
        check_signature_over_at(&msg, kind, std::slice::from_ref(signature), key, now_unix)
            .map_err(|e| UploadError::BadSignature {
                item: item.to_owned(),
                keyid: keyid.to_owned(),
                problem: intoto::verify::error_chain(&e),
            })?;
        if !signers.iter().any(|s| s == keyid) {
            signers.push(keyid.to_owned());
        }
    }
    let (payload_type, envelope) = match &md {
        Metadata::Envelope(e) => (Some(e.payload_type.clone()), "dsse"),
        _ => (None, "legacy"),
    };
    let payload: Payload = md
        .payload()
        .map_err(|e| malformed(intoto::verify::error_chain(&e)))?;
    let mut indexed = Indexed::of_payload(&payload, envelope).map_err(|e| malformed(e.0))?;
    indexed.payload_type = payload_type;
    indexed.signers = signers;
    if holds_nul(&indexed) {
        // Not every database can store U+0000 in text: refused the same
        // way whatever the backend.
        return Err(malformed(
            "a name, type or digest holds the character U+0000".into(),
        ));
    }
    Ok(Accepted {
        id: AttestationId::of(bytes),
        gitoid: gitoid(bytes),
        bytes: bytes.to_vec(),
        indexed,
    })
}

fn holds_nul(indexed: &Indexed) -> bool {
    let text = |t: &str| t.contains('\0');
    [
        &indexed.payload_type,
        &indexed.predicate_type,
        &indexed.step,
    ]
    .into_iter()
    .flatten()
    .any(|t| text(t))
        || indexed
            .subjects
            .iter()
            .chain(&indexed.materials)
            .any(|a| text(&a.algorithm) || text(&a.digest) || a.name.as_deref().is_some_and(text))
}
