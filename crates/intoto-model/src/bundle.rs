//! in-toto bundles (attestation framework v1, `spec/v1/bundle.md`): JSON
//! Lines, each line a DSSE envelope, conventionally in a `.intoto.jsonl`
//! file.
//!
//! Bundles found in the wild mix in other lines: blank lines, text that is
//! not JSON, JSON that is not an envelope, and envelopes of other payload
//! types (Witness policies, SBOMs). [`read_bundle`] never fails on a line:
//! every line becomes a [`BundleLine`] that either holds its envelope or
//! says in a [`LineNote`] why it is skipped or flagged. Envelopes keep the
//! payload bytes as received, so signatures are checked over exactly what
//! was received, never over a re-serialised document.
//!
//! Limits: a line is at most [`MAX_BUNDLE_LINE_BYTES`] long (a longer one is
//! skipped with [`LineNote::TooLong`]); at most [`MAX_BUNDLE_LINES`] lines are
//! read (what follows is one [`LineNote::TooManyLines`]).

use std::fmt;

use serde_json::Value;

use crate::envelope::{Envelope, PAYLOAD_TYPE_INTOTO};
use crate::error::ModelError;
use crate::statement::Statement;

/// The longest bundle line read, in bytes (16 MiB, without the line break).
pub const MAX_BUNDLE_LINE_BYTES: usize = 16 << 20;

/// The most lines of a bundle read; the rest of the bundle is one note.
pub const MAX_BUNDLE_LINES: usize = 100_000;

/// One line of a bundle.
#[derive(Debug)]
#[non_exhaustive]
pub struct BundleLine<'a> {
    /// The line number, from 1.
    pub number: usize,
    /// The line's bytes as received, without its `\n` (a `\r` before it is
    /// kept: it is JSON whitespace).
    pub bytes: &'a [u8],
    /// What the line holds.
    pub item: BundleItem,
}

/// What a bundle line holds.
#[derive(Debug)]
#[non_exhaustive]
pub enum BundleItem {
    /// A DSSE envelope of an in-toto statement: what bundles are for.
    Statement {
        /// The envelope, its payload as received.
        envelope: Envelope,
        /// The statement its payload holds.
        statement: Statement,
    },
    /// A DSSE envelope that is kept but flagged: its payload type is not
    /// in-toto ([`LineNote::OtherPayloadType`]) or its payload is not an
    /// in-toto statement ([`LineNote::NotStatement`]).
    Flagged {
        /// The envelope, its payload as received.
        envelope: Envelope,
        /// Why it is flagged.
        note: LineNote,
    },
    /// A line that holds no envelope.
    Skipped(LineNote),
}

/// Why a bundle line is skipped or flagged.
#[derive(Debug)]
#[non_exhaustive]
pub enum LineNote {
    /// The line is empty or only whitespace.
    Blank,
    /// The line is longer than [`MAX_BUNDLE_LINE_BYTES`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The line is not JSON.
    NotJson(serde_json::Error),
    /// The line is JSON but not a DSSE envelope.
    NotEnvelope(ModelError),
    /// The envelope's `payloadType` is not `application/vnd.in-toto+json`.
    OtherPayloadType(String),
    /// The payload is not an in-toto statement.
    NotStatement(ModelError),
    /// The bundle goes on past [`MAX_BUNDLE_LINES`] lines; this line and
    /// those after it are not read.
    TooManyLines,
}

impl LineNote {
    /// A stable kebab-case code for the note (`blank`, `not-json`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            LineNote::Blank => "blank",
            LineNote::TooLong { .. } => "too-long",
            LineNote::NotJson(_) => "not-json",
            LineNote::NotEnvelope(_) => "not-envelope",
            LineNote::OtherPayloadType(_) => "other-payload-type",
            LineNote::NotStatement(_) => "not-statement",
            LineNote::TooManyLines => "too-many-lines",
        }
    }
}

impl fmt::Display for LineNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineNote::Blank => f.write_str("blank line"),
            LineNote::TooLong { len } => write!(
                f,
                "line of {len} bytes is longer than the {MAX_BUNDLE_LINE_BYTES} bytes read"
            ),
            LineNote::NotJson(e) => write!(f, "not JSON ({e})"),
            LineNote::NotEnvelope(e) => write!(f, "not a DSSE envelope: {e}"),
            LineNote::OtherPayloadType(t) => write!(
                f,
                "`payloadType` is {t:?}, not {PAYLOAD_TYPE_INTOTO:?}; the payload is not read as in-toto"
            ),
            LineNote::NotStatement(e) => write!(f, "the payload is not an in-toto statement: {e}"),
            LineNote::TooManyLines => write!(
                f,
                "the bundle has more than {MAX_BUNDLE_LINES} lines; this line and the rest are not read"
            ),
        }
    }
}

impl BundleLine<'_> {
    /// The envelope on this line, if it holds one.
    pub fn envelope(&self) -> Option<&Envelope> {
        match &self.item {
            BundleItem::Statement { envelope, .. } | BundleItem::Flagged { envelope, .. } => {
                Some(envelope)
            }
            BundleItem::Skipped(_) => None,
        }
    }

    /// Why the line is skipped or flagged, if it is.
    pub fn note(&self) -> Option<&LineNote> {
        match &self.item {
            BundleItem::Statement { .. } => None,
            BundleItem::Flagged { note, .. } | BundleItem::Skipped(note) => Some(note),
        }
    }
}

/// Reads a bundle: one [`BundleLine`] per line (a final line break does not
/// start another line). Never fails: a line that holds no usable envelope
/// says why in its note.
pub fn read_bundle(bytes: &[u8]) -> Vec<BundleLine<'_>> {
    let mut pieces: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if pieces.last().is_some_and(|last| last.is_empty()) {
        pieces.pop();
    }
    let mut lines = Vec::with_capacity(pieces.len().min(MAX_BUNDLE_LINES + 1));
    for (i, piece) in pieces.into_iter().enumerate() {
        let number = i + 1;
        if i == MAX_BUNDLE_LINES {
            lines.push(BundleLine {
                number,
                bytes: piece,
                item: BundleItem::Skipped(LineNote::TooManyLines),
            });
            break;
        }
        lines.push(BundleLine {
            number,
            bytes: piece,
            item: read_line(piece),
        });
    }
    lines
}

/// Reads one line of a bundle.
pub fn read_line(line: &[u8]) -> BundleItem {
    if line.len() > MAX_BUNDLE_LINE_BYTES {
        return BundleItem::Skipped(LineNote::TooLong { len: line.len() });
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return BundleItem::Skipped(LineNote::Blank);
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return BundleItem::Skipped(LineNote::NotJson(e)),
    };
    if !value.is_object() {
        return BundleItem::Skipped(LineNote::NotEnvelope(ModelError::WrongType {
            field: "(line)".into(),
            expected: "a JSON object",
        }));
    }
    if value.get("payload").is_none() {
        return BundleItem::Skipped(LineNote::NotEnvelope(ModelError::MissingField {
            field: "payload".into(),
        }));
    }
    let envelope = match Envelope::from_value(value) {
        Ok(e) => e,
        Err(e) => return BundleItem::Skipped(LineNote::NotEnvelope(e)),
    };
    if envelope.payload_type != PAYLOAD_TYPE_INTOTO {
        let note = LineNote::OtherPayloadType(envelope.payload_type.clone());
        return BundleItem::Flagged { envelope, note };
    }
    match statement_of(&envelope) {
        Ok(statement) => BundleItem::Statement {
            envelope,
            statement,
        },
        Err(e) => BundleItem::Flagged {
            envelope,
            note: LineNote::NotStatement(e),
        },
    }
}

/// The statement an envelope's payload holds, whatever its payload type.
///
/// # Errors
///
/// [`ModelError::PayloadJson`] when the payload is not JSON, else the
/// [`ModelError`] naming the `payload.` field at fault.
pub fn statement_of(envelope: &Envelope) -> Result<Statement, ModelError> {
    let value: Value =
        serde_json::from_slice(&envelope.payload).map_err(ModelError::PayloadJson)?;
    Statement::from_value(value, "payload")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::envelope::{encode_base64, encode_base64_url};

    fn envelope_line(payload_type: &str, payload: &Value) -> String {
        json!({
            "payloadType": payload_type,
            "payload": encode_base64(payload.to_string().as_bytes()),
            "signatures": [{"keyid": "k", "sig": "c2ln"}],
        })
        .to_string()
    }

    fn statement() -> Value {
        json!({"_type": "https://in-toto.io/Statement/v1",
               "subject": [{"name": "a", "digest": {"sha256": "00"}}],
               "predicateType": "https://example.com/p/v1", "predicate": {}})
    }

    #[test]
    fn every_line_is_kept_or_explained() {
        let text = [
            envelope_line(PAYLOAD_TYPE_INTOTO, &statement()),
            String::new(),
            "   \t".into(),
            "garbage {".into(),
            r#"{"signed": {}, "signatures": []}"#.into(),
            envelope_line(
                "application/vnd.cyclonedx+json",
                &json!({"bomFormat": "CycloneDX"}),
            ),
            envelope_line(PAYLOAD_TYPE_INTOTO, &json!({"_type": "link", "name": "x"})),
            r#"{"payload": 1, "payloadType": "x"}"#.into(),
        ]
        .join("\n")
            + "\n";
        let lines = read_bundle(text.as_bytes());
        let codes: Vec<_> = lines
            .iter()
            .map(|l| (l.number, l.note().map(LineNote::code)))
            .collect();
        assert_eq!(
            codes,
            [
                (1, None),
                (2, Some("blank")),
                (3, Some("blank")),
                (4, Some("not-json")),
                (5, Some("not-envelope")),
                (6, Some("other-payload-type")),
                (7, Some("not-statement")),
                (8, Some("not-envelope")),
            ]
        );
        assert!(matches!(lines[0].item, BundleItem::Statement { .. }));
        // Flagged lines keep their envelope; skipped ones have none.
        assert!(lines[5].envelope().is_some());
        assert!(lines[6].envelope().is_some());
        assert!(lines[3].envelope().is_none());
        assert_eq!(lines[0].bytes, text.split('\n').next().unwrap().as_bytes());
        assert_eq!(
            lines[6].note().unwrap().to_string(),
            "the payload is not an in-toto statement: `payload._type` is \"link\", expected an in-toto Statement v1 or v0.1"
        );
        assert_eq!(
            lines[7].note().unwrap().to_string(),
            "not a DSSE envelope: field `payload` must be a string"
        );
    }

    #[test]
    fn url_safe_unpadded_payloads_and_crlf_lines_are_read() {
        let payload = statement().to_string();
        let url = encode_base64_url(payload.as_bytes());
        let line = json!({"payloadType": PAYLOAD_TYPE_INTOTO,
                          "payload": url.trim_end_matches('='), "signatures": []})
        .to_string()
            + "\r\n";
        let lines = read_bundle(line.as_bytes());
        assert_eq!(lines.len(), 1);
        let BundleItem::Statement { envelope, .. } = &lines[0].item else {
            panic!("{:?}", lines[0].item)
        };
        assert_eq!(envelope.payload, payload.as_bytes());
    }

    #[test]
    fn empty_input_has_no_lines_and_a_lone_break_is_one_blank_line() {
        assert!(read_bundle(b"").is_empty());
        let lines = read_bundle(b"\n\n");
        assert_eq!(lines.len(), 2);
        assert!(matches!(
            lines[1].item,
            BundleItem::Skipped(LineNote::Blank)
        ));
    }

    #[test]
    fn over_long_lines_and_too_many_lines_are_notes() {
        let long = vec![b' '; MAX_BUNDLE_LINE_BYTES + 1];
        assert!(matches!(
            read_line(&long),
            BundleItem::Skipped(LineNote::TooLong { len }) if len == MAX_BUNDLE_LINE_BYTES + 1
        ));
        let many = "\n".repeat(MAX_BUNDLE_LINES + 5);
        let lines = read_bundle(many.as_bytes());
        assert_eq!(lines.len(), MAX_BUNDLE_LINES + 1);
        let last = lines.last().unwrap();
        assert_eq!(last.number, MAX_BUNDLE_LINES + 1);
        assert!(matches!(
            last.item,
            BundleItem::Skipped(LineNote::TooManyLines)
        ));
    }

    #[test]
    fn scalars_and_arrays_are_not_envelopes() {
        for text in ["1", "\"x\"", "[1]", "null", "{}"] {
            assert!(
                matches!(
                    read_line(text.as_bytes()),
                    BundleItem::Skipped(LineNote::NotEnvelope(_))
                ),
                "{text}"
            );
        }
    }
}
