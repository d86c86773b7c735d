//! Attestations: ITE-6 statements signed in DSSE envelopes by one or more
//! keys (ITE-5), written atomically to a file or appended to a JSON Lines
//! bundle, and the predicates generated from a recorded step
//! ([`provenance`]).
//!
//! ```no_run
//! use std::path::Path;
//!
//! use intoto::attest::{Output, sign_statement, write_attestation};
//! use intoto::crypto::KeyIdForm;
//! use intoto::model::predicate::{TestResult, kind::TEST_RESULT_V0_1};
//! use intoto::model::{DigestSet, ResourceDescriptor, StatementBuilder};
//!
//! let key = intoto::fs::read_private_key(Path::new("alice"), None, KeyIdForm::Modern)?;
//! let mut digest = DigestSet::new();
//! digest.insert("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
//! let statement = StatementBuilder::new()
//!     .subject(ResourceDescriptor::named("app", digest))
//!     .predicate_type(TEST_RESULT_V0_1)
//!     .predicate(TestResult::new(vec!["unit".into()], vec![], vec![]).to_predicate())
//!     .build()?;
//! let envelope = sign_statement(&statement, &[&key])?;
//! write_attestation(&envelope, &Output::Bundle("release.intoto.jsonl".into()))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod provenance;

use std::path::{Path, PathBuf};

use intoto_crypto::{PublicKey, SignError, SignatureError, Signer, Verified, verify_by_all};
use intoto_model::encoding::attestation_text;
use intoto_model::{
    Envelope, KeyId, Metadata, ModelError, PAYLOAD_TYPE_INTOTO, Signature, Statement,
};

use crate::fs::{self, FileError};

/// The most a bundle may hold before an attestation is appended to it.
pub const MAX_BUNDLE_BYTES: u64 = 1 << 30;

/// Where a signed attestation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A file holding the one envelope (replaced atomically).
    File(PathBuf),
    /// A JSON Lines bundle the envelope is appended to, as one line.
    Bundle(PathBuf),
}

impl Output {
    /// The file written.
    pub fn path(&self) -> &Path {
        match self {
            Self::File(p) | Self::Bundle(p) => p,
        }
    }
}

/// Why an attestation could not be signed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// No key was given.
    #[error("no signing key: an attestation needs at least one signature")]
    NoSigner,
    /// The statement is not one readers accept.
    #[error("the statement is invalid")]
    Statement(#[source] ModelError),
    /// A signer failed.
    #[error("cannot sign with key {keyid}")]
    Sign {
        /// The key.
        keyid: KeyId,
        /// Why.
        #[source]
        source: SignError,
    },
    /// Two signers have the same keyid.
    #[error("key {0} is given twice; each key signs once")]
    DuplicateKey(KeyId),
    /// The file could not be written (or the bundle read).
    #[error(transparent)]
    File(#[from] FileError),
    /// Writing the envelope failed (a thread of the writer ended).
    #[error("writing the attestation failed")]
    Render,
    /// The bundle to append to is not a JSON Lines file of envelopes.
    #[error("{}: line {line} is not JSON; not appending to a file that is not a bundle", path.display())]
    NotABundle {
        /// The bundle.
        path: PathBuf,
        /// The first bad line (from 1).
        line: usize,
    },
}

/// Signs a statement: its JSON (keys sorted, on one line) is the payload of
/// a DSSE envelope, and each signer adds a signature over it.
///
/// # Errors
///
/// [`AttestError`] when there is no signer, a key repeats, or a signer
/// fails.
pub fn sign_statement(
    statement: &Statement,
    signers: &[&dyn Signer],
) -> Result<Envelope, AttestError> {
    let payload = attestation_text::python(statement).into_bytes();
    sign_payload(payload, signers)
}

/// Signs a statement exactly as given (`--statement FILE`): the bytes are
/// checked to be a statement readers accept, and signed unchanged.
///
/// # Errors
///
/// [`AttestError::Statement`] when the bytes are not a statement (or its
/// known predicate breaks its specification), else as [`sign_statement`].
pub fn sign_statement_bytes(
    payload: Vec<u8>,
    signers: &[&dyn Signer],
) -> Result<(Envelope, Statement), AttestError> {
    let value: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| AttestError::Statement(ModelError::Json(e)))?;
    let statement = Statement::from_value(value, "").map_err(AttestError::Statement)?;
    statement
        .typed_predicate()
        .map_err(AttestError::Statement)?;
    Ok((sign_payload(payload, signers)?, statement))
}

fn sign_payload(payload: Vec<u8>, signers: &[&dyn Signer]) -> Result<Envelope, AttestError> {
    sign_envelope(PAYLOAD_TYPE_INTOTO, payload, signers)
}

/// A DSSE envelope of `payload` (of type `payload_type`), signed by each
/// signer over its pre-authentication encoding.
///
/// # Errors
///
/// [`AttestError`] when there is no signer, a key repeats, or a signer
/// fails.
pub fn sign_envelope(
    payload_type: &str,
    payload: Vec<u8>,
    signers: &[&dyn Signer],
) -> Result<Envelope, AttestError> {
    if signers.is_empty() {
        return Err(AttestError::NoSigner);
    }
    let signatures = sign_parts_of(payload_type, &payload, signers)?;
    let mut envelope = Envelope::new(payload_type, payload);
    envelope.signatures = signatures;
    Ok(envelope)
}

/// Why an attestation is not a verified statement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A key's signature is missing or does not verify.
    #[error("the attestation is not signed by every key given")]
    Signature(#[source] SignatureError),
    /// The signed payload is not a statement (or its known predicate breaks
    /// its specification).
    #[error("the attestation's payload is not a valid statement")]
    Statement(#[source] ModelError),
}

/// Reads an attestation signed by **every** key in `keys`: the signatures
/// are checked over the envelope's bytes as received, then the payload is
/// read as a statement and its predicate checked when its type is known.
/// The same `Verified` type as verified links and layouts.
///
/// # Errors
///
/// [`ReadError`] naming the failing signature or field.
pub fn verify_statement(
    envelope: Envelope,
    keys: &[PublicKey],
) -> Result<Verified<Statement>, ReadError> {
    let verified =
        verify_by_all(Metadata::Envelope(envelope), keys).map_err(ReadError::Signature)?;
    verified.try_map(|md| {
        let statement = match md.into_payload().map_err(ReadError::Statement)? {
            intoto_model::Payload::Statement(st) => st,
            other => {
                return Err(ReadError::Statement(ModelError::UnexpectedType {
                    field: "payload._type".into(),
                    found: other.kind().into(),
                    expected: "an in-toto Statement",
                }));
            }
        };
        statement.typed_predicate().map_err(ReadError::Statement)?;
        Ok(statement)
    })
}

/// Signs `statement` and writes its envelope to `output`, as
/// [`sign_statement`] then [`write_attestation`] would, byte for byte, but
/// with the payload base64-encoded and written to the file while the
/// signatures are computed (for a statement about 100,000 files both take
/// tens of milliseconds), and signed in pieces, never copied into one
/// pre-authentication buffer. Returns the path written and the signatures.
///
/// # Errors
///
/// As [`sign_statement`] and [`write_attestation`]; nothing is written
/// then.
pub fn sign_and_write(
    statement: &Statement,
    signers: &[&dyn Signer],
    output: &Output,
) -> Result<(PathBuf, Vec<Signature>), AttestError> {
    if signers.is_empty() {
        return Err(AttestError::NoSigner);
    }
    let payload = attestation_text::python(statement).into_bytes();
    let path = output.path();
    let prefix = match output {
        Output::Bundle(_) => bundle_lines(path)?,
        Output::File(_) => Vec::new(),
    };
    let file = fs::PendingFile::create(path)?;
    let (written, signatures) = std::thread::scope(|s| {
        let writer = s.spawn(|| write_payload_part(&file, &prefix, &payload));
        let signatures = sign_parts(&payload, signers);
        (writer.join(), signatures)
    });
    let signatures = signatures?;
    let offset = written.map_err(|_| AttestError::Render)??;
    let mut tail = String::from(", \"signatures\": ");
    let list = serde_json::Value::Array(signatures.iter().map(Signature::to_value).collect());
    tail.push_str(&intoto_model::pyjson::to_string(
        &list,
        intoto_model::pyjson::Style::Line,
    ));
    tail.push_str("}\n");
    file.write_at(offset, tail.as_bytes())?;
    file.commit()?;
    tracing::info!("wrote attestation {}", path.display());
    Ok((path.to_owned(), signatures))
}

/// Writes the bundle's earlier lines and the envelope up to its signatures;
/// returns where the signatures go.
fn write_payload_part(
    file: &fs::PendingFile,
    prefix: &[u8],
    payload: &[u8],
) -> Result<u64, AttestError> {
    // Base64 turns 3 bytes into 4: chunks of a multiple of 3 encode alone.
    const CHUNK: usize = 3 << 20;
    let mut offset = 0u64;
    let mut put = |bytes: &[u8]| -> Result<(), AttestError> {
        file.write_at(offset, bytes)?;
        offset += bytes.len() as u64;
        Ok(())
    };
    put(prefix)?;
    put(b"{\"payload\": \"")?;
    let mut text = String::with_capacity(CHUNK / 3 * 4 + 4);
    for chunk in payload.chunks(CHUNK) {
        text.clear();
        intoto_model::envelope::encode_base64_into(chunk, &mut text);
        put(text.as_bytes())?;
    }
    let mut rest = String::from("\", \"payloadType\": ");
    intoto_model::pyjson::write_string(PAYLOAD_TYPE_INTOTO, &mut rest);
    put(rest.as_bytes())?;
    file.flush_data()?;
    Ok(offset)
}

/// Each signer's signature over the pre-authentication encoding, hashed in
/// two pieces (header, payload).
fn sign_parts(payload: &[u8], signers: &[&dyn Signer]) -> Result<Vec<Signature>, AttestError> {
    sign_parts_of(PAYLOAD_TYPE_INTOTO, payload, signers)
}

fn sign_parts_of(
    payload_type: &str,
    payload: &[u8],
    signers: &[&dyn Signer],
) -> Result<Vec<Signature>, AttestError> {
    let header = intoto_model::envelope::pae_header(payload_type, payload.len());
    let mut signatures: Vec<Signature> = Vec::with_capacity(signers.len());
    for signer in signers {
        let failed = |source| AttestError::Sign {
            keyid: signer.keyid().clone(),
            source,
        };
        let raw = signer.sign_parts(&[&header, payload]).map_err(failed)?;
        if signatures.iter().any(|s| s.keyid == raw.keyid) {
            return Err(AttestError::DuplicateKey(raw.keyid));
        }
        signatures.push(
            raw.to_signature(intoto_model::EnvelopeKind::Dsse)
                .map_err(failed)?,
        );
    }
    Ok(signatures)
}

/// The text of an envelope as written: keys sorted, on one line.
pub fn envelope_text(envelope: &Envelope) -> String {
    attestation_text::envelope(envelope)
}

/// Writes an envelope: a file replaced atomically, or one line appended to
/// a bundle (the bundle is rewritten through a synced temporary file, so a
/// failure leaves it as it was). Returns the path written.
///
/// # Errors
///
/// [`AttestError::File`] when writing fails, [`AttestError::NotABundle`]
/// when the file to append to has a line that is not JSON.
pub fn write_attestation(envelope: &Envelope, output: &Output) -> Result<PathBuf, AttestError> {
    let mut line = envelope_text(envelope);
    line.push('\n');
    match output {
        Output::File(path) => fs::write_atomic(path, line.as_bytes())?,
        Output::Bundle(path) => {
            let mut bytes = bundle_lines(path)?;
            bytes.extend_from_slice(line.as_bytes());
            fs::write_atomic(path, &bytes)?;
        }
    }
    tracing::info!("wrote attestation {}", output.path().display());
    Ok(output.path().to_owned())
}

/// The lines of the bundle at `path` that a new line goes after: none when
/// it does not exist yet, and ending in a newline.
fn bundle_lines(path: &Path) -> Result<Vec<u8>, AttestError> {
    let mut bytes = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        _ => fs::read(path, MAX_BUNDLE_BYTES)?,
    };
    check_bundle(path, &bytes)?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// A file appended to must already be JSON Lines: appending to some other
/// file by mistake would bury its contents in a bundle.
fn check_bundle(path: &Path, bytes: &[u8]) -> Result<(), AttestError> {
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() {
            return Err(AttestError::NotABundle {
                path: path.to_owned(),
                line: i + 1,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use intoto_crypto::{KeyType, PrivateKey, check_signature};
    use intoto_model::{DigestSet, ResourceDescriptor, StatementBuilder};

    use super::*;

    fn statement() -> Statement {
        let mut d = DigestSet::new();
        d.insert("sha256", "ab");
        StatementBuilder::new()
            .subject(ResourceDescriptor::named("app", d))
            .predicate_type("https://example.com/p/v1")
            .build()
            .unwrap()
    }

    #[test]
    fn several_keys_sign_one_envelope() {
        let a = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let b = PrivateKey::generate(KeyType::EcdsaP256, None).unwrap();
        let env = sign_statement(&statement(), &[&a, &b]).unwrap();
        assert_eq!(env.signatures.len(), 2);
        let md = Metadata::Envelope(env);
        check_signature(&md, a.public_key()).unwrap();
        check_signature(&md, b.public_key()).unwrap();
        assert!(matches!(
            sign_statement(&statement(), &[&a, &a]),
            Err(AttestError::DuplicateKey(_))
        ));
        assert!(matches!(
            sign_statement(&statement(), &[]),
            Err(AttestError::NoSigner)
        ));
    }

    #[test]
    fn attestations_read_back_verified_by_every_key() {
        let a = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let b = PrivateKey::generate(KeyType::EcdsaP256, None).unwrap();
        let env = sign_statement(&statement(), &[&a, &b]).unwrap();
        let keys = [a.public_key().clone(), b.public_key().clone()];
        let verified = verify_statement(env.clone(), &keys).unwrap();
        assert_eq!(verified.signers().len(), 2);
        assert_eq!(verified.into_inner(), statement());
        let c = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let err = verify_statement(env.clone(), &[c.public_key().clone()]).unwrap_err();
        assert!(matches!(err, ReadError::Signature(_)), "{err}");
        let mut tampered = env;
        let last = tampered.payload.len() - 2;
        tampered.payload[last] ^= 1;
        assert!(verify_statement(tampered, &keys).is_err());
    }

    #[test]
    fn signing_while_writing_gives_the_same_bytes() {
        // Ed25519 signatures are deterministic.
        let a = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let b = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut big = statement();
        for i in 0..40_000 {
            let mut d = DigestSet::new();
            d.insert("sha256", format!("{i:064x}"));
            big.subject
                .push(ResourceDescriptor::named(format!("f/{i}"), d));
        }
        for output in [
            Output::File(dir.path().join("one.json")),
            Output::Bundle(dir.path().join("b.intoto.jsonl")),
            Output::Bundle(dir.path().join("b.intoto.jsonl")),
        ] {
            let before = std::fs::read(output.path()).unwrap_or_default();
            let (path, sigs) = sign_and_write(&big, &[&a, &b], &output).unwrap();
            let env = sign_statement(&big, &[&a, &b]).unwrap();
            assert_eq!(sigs, env.signatures);
            let mut expected = before;
            expected.extend_from_slice(envelope_text(&env).as_bytes());
            expected.push(b'\n');
            if let Output::File(_) = output {
                expected = [envelope_text(&env).as_bytes(), b"\n"].concat();
            }
            assert_eq!(std::fs::read(&path).unwrap(), expected);
        }
        assert!(matches!(
            sign_and_write(&big, &[&a, &a], &Output::File(dir.path().join("dup.json"))),
            Err(AttestError::DuplicateKey(_))
        ));
        assert!(!dir.path().join("dup.json").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_ready_statement_is_signed_byte_for_byte() {
        let a = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let text = b"{ \"predicateType\": \"https://example.com/p/v1\",\n \"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": [{\"digest\": {\"sha256\": \"ab\"}}]}\n".to_vec();
        let (env, _) = sign_statement_bytes(text.clone(), &[&a]).unwrap();
        assert_eq!(env.payload, text);
        let err = sign_statement_bytes(b"{\"_type\": \"link\"}".to_vec(), &[&a]).unwrap_err();
        assert!(matches!(err, AttestError::Statement(_)), "{err}");
    }

    #[test]
    fn bundles_grow_by_one_line_and_other_files_are_left_alone() {
        let a = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("b.intoto.jsonl");
        let env = sign_statement(&statement(), &[&a]).unwrap();
        for _ in 0..2 {
            write_attestation(&env, &Output::Bundle(bundle.clone())).unwrap();
        }
        let text = std::fs::read_to_string(&bundle).unwrap();
        assert_eq!(text.lines().count(), 2);
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "not json\n").unwrap();
        let err = write_attestation(&env, &Output::Bundle(notes.clone())).unwrap_err();
        assert!(
            matches!(err, AttestError::NotABundle { line: 1, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&notes).unwrap(), "not json\n");
    }
}
