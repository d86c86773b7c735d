//! Signing links and writing them atomically: the forms a link is written
//! in (legacy, DSSE, link attestation), the file texts, and the check that
//! a metadata folder can take them before a step's work is done.
//!
//! Links are encoded with `intoto_record::encoding`, which writes the bytes
//! the model would without building a `serde_json::Value` tree of every
//! artifact (for 100,000 files that tree costs more than hashing them).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use intoto_crypto::{SignError, Signer, sign_metadata};
use intoto_model::cjson::CanonicalError;
use intoto_model::encoding::hex;
use intoto_model::encoding::link_text::{self, InChunks};
use intoto_model::name::NameProblem;
use intoto_model::pyjson::{self, Style};
use intoto_model::{
    Envelope, EnvelopeKind, KeyId, Link, Metadata, PAYLOAD_TYPE_INTOTO, Signature, Statement,
    StepName, link_file_name,
};
use intoto_record::encoding;

use crate::fs::{self, FileError};

/// What a link is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkForm {
    /// A link in a legacy wrapper or a DSSE envelope.
    Link(EnvelopeKind),
    /// A link-predicate statement (ITE-6) in a DSSE envelope.
    Attestation,
}

impl LinkForm {
    /// For messages: "link", "DSSE link" or "link attestation".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Link(EnvelopeKind::Dsse) => "DSSE link",
            Self::Link(_) => "link",
            Self::Attestation => "link attestation",
        }
    }
}

/// Why a link could not be signed or written.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The link has no canonical form (a float in a byproduct or an unknown
    /// field).
    #[error("cannot sign the link of step {step:?}")]
    Encode {
        /// The step.
        step: String,
        /// Why.
        #[source]
        source: CanonicalError,
    },
    /// The signer failed.
    #[error("cannot sign the link of step {step:?}")]
    Sign {
        /// The step.
        step: String,
        /// Why.
        #[source]
        source: SignError,
    },
    /// Rendering the link's text failed (a thread of the encoder ended).
    #[error("encoding the link of step {step:?} failed")]
    Render {
        /// The step.
        step: String,
    },
    /// A link attestation needs products (its subjects).
    #[error(
        "step {step:?} recorded no products, and a link attestation needs at least one (its subjects); \
         no link was written"
    )]
    NoSubjects {
        /// The step.
        step: String,
    },
    /// The link file could not be written.
    #[error("cannot write the link of step {step:?}")]
    Write {
        /// The step.
        step: String,
        /// Why.
        #[source]
        source: FileError,
    },
    /// The step name cannot be part of a file name.
    #[error("the step name {step:?} cannot name a link file: it {problem}")]
    StepName {
        /// The step.
        step: String,
        /// Why.
        problem: NameProblem,
    },
    /// The signer's signature was not of the length it announced.
    #[error("the signature of step {step:?} is not of the length the key announced")]
    SignatureLength {
        /// The step.
        step: String,
    },
}

/// Why a metadata folder cannot take links.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// The folder cannot be looked at.
    #[error("cannot use metadata directory {} for step {step:?}", dir.display())]
    Unusable {
        /// The folder.
        dir: PathBuf,
        /// The step.
        step: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not a folder.
    #[error("cannot use metadata directory {} for step {step:?}: not a directory", dir.display())]
    NotADirectory {
        /// The path.
        dir: PathBuf,
        /// The step.
        step: String,
    },
    /// No file can be created in it.
    #[error("cannot write to metadata directory {} for step {step:?}", dir.display())]
    NotWritable {
        /// The folder.
        dir: PathBuf,
        /// The step.
        step: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Checks, before any work is done, that links can be written to `dir`: it
/// is a folder and a file can be created in it. The reference finds out
/// only after the step's command ran.
///
/// # Errors
///
/// [`DirError`] when `dir` is not a folder or cannot be written to.
pub fn check_writable_dir(dir: &Path, step: &str) -> Result<(), DirError> {
    let shown = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let meta = std::fs::metadata(shown).map_err(|source| DirError::Unusable {
        dir: shown.to_owned(),
        step: step.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(DirError::NotADirectory {
            dir: shown.to_owned(),
            step: step.to_owned(),
        });
    }
    let probe = shown.join(format!(".intoto-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|source| DirError::NotWritable {
            dir: shown.to_owned(),
            step: step.to_owned(),
            source,
        })?;
    if let Err(e) = std::fs::remove_file(&probe) {
        tracing::warn!(error = %e, "cannot remove {}", probe.display());
    }
    Ok(())
}

/// Signs `link` in the given form. Returns the text of the link file and the
/// keyid the signature carries. For a legacy link the text is rendered while
/// the canonical bytes are signed.
///
/// # Errors
///
/// [`LinkError`] when the link cannot be encoded or signed, or an
/// attestation has no products.
pub fn sign_link(
    link: &Link,
    form: LinkForm,
    key: &dyn Signer,
) -> Result<(String, KeyId), LinkError> {
    let step = || link.name.clone();
    let signing = |source| LinkError::Sign {
        step: step(),
        source,
    };
    match form {
        LinkForm::Link(EnvelopeKind::Legacy) => {
            // The canonical bytes first, on all cores; then the signature
            // (one long hash on this thread) while the text is rendered.
            let bytes = encoding::canonical(link).map_err(|source| LinkError::Encode {
                step: step(),
                source,
            })?;
            let (signed, raw) = std::thread::scope(|s| {
                let signed = s.spawn(|| encoding::python(link, Style::Indent1, 1));
                let raw = key.sign(&bytes);
                (signed.join(), raw)
            });
            drop(bytes);
            let raw = raw.map_err(signing)?;
            let signed = signed.map_err(|_| LinkError::Render { step: step() })?;
            // As `sign_metadata` records a signature in legacy metadata.
            let signature = raw.to_signature(EnvelopeKind::Legacy).map_err(signing)?;
            Ok((legacy_text(&[signature], &signed), raw.keyid))
        }
        LinkForm::Link(EnvelopeKind::Dsse) => {
            let payload = encoding::python(link, Style::Line, 0);
            let mut md =
                Metadata::Envelope(Envelope::new(PAYLOAD_TYPE_INTOTO, payload.into_bytes()));
            let keyid = sign_metadata(&mut md, key).map_err(signing)?;
            Ok((md.to_file_string(), keyid))
        }
        LinkForm::Attestation => {
            if link.products.is_empty() {
                return Err(LinkError::NoSubjects { step: step() });
            }
            let mut md = Metadata::wrap(&Statement::from_link(link).to_value(), EnvelopeKind::Dsse);
            let keyid = sign_metadata(&mut md, key).map_err(signing)?;
            Ok((md.to_file_string(), keyid))
        }
        LinkForm::Link(_) => Err(signing(SignError::UnsupportedWrapper)),
    }
}

/// The text of a legacy link file with these signatures around the
/// rendered `"signed"` part, as `Metadata::to_file_string` lays it out.
fn legacy_text(signatures: &[Signature], signed: &str) -> String {
    let signatures: Vec<serde_json::Value> = signatures.iter().map(Signature::to_value).collect();
    let head = pyjson::to_string(
        &serde_json::json!({ "signatures": signatures }),
        Style::Indent1,
    );
    let head = head.strip_suffix("\n}").unwrap_or(&head);
    format!("{head},\n \"signed\": {signed}\n}}")
}

/// The text of an unsigned link file (`intoto mock`), in either wrapper.
pub fn unsigned_link_text(link: &Link, kind: EnvelopeKind) -> String {
    if kind == EnvelopeKind::Dsse {
        let payload = encoding::python(link, Style::Line, 0);
        Metadata::Envelope(Envelope::new(PAYLOAD_TYPE_INTOTO, payload.into_bytes()))
            .to_file_string()
    } else {
        legacy_text(&[], &encoding::python(link, Style::Indent1, 1))
    }
}

/// Signs `link` and writes it atomically to `<dir>/<step>.<keyid[:8]>.link`
/// (a temporary file, synced and renamed: a failure leaves no partial
/// link). Returns the path written.
///
/// # Errors
///
/// [`LinkError`] when the link cannot be signed or written.
pub fn write_signed_link(
    link: &Link,
    form: LinkForm,
    key: &dyn Signer,
    dir: Option<&Path>,
) -> Result<PathBuf, LinkError> {
    let step = StepName::new(&link.name).map_err(|problem| LinkError::StepName {
        step: link.name.clone(),
        problem,
    })?;
    if let (LinkForm::Link(EnvelopeKind::Legacy), Some(sig_len)) = (form, key.signature_len()) {
        let name = link_file_name(&step, key.keyid());
        let path = dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name));
        write_legacy_link_while_signing(link, key, sig_len, &path)?;
        tracing::info!(step.name = %link.name, "wrote {} {}", form.describe(), path.display());
        return Ok(path);
    }
    let started = Instant::now();
    let (text, keyid) = sign_link(link, form, key)?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        "signed the link"
    );
    let name = link_file_name(&step, &keyid);
    let path = dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name));
    let started = Instant::now();
    fs::write_atomic(&path, text.as_bytes()).map_err(|source| LinkError::Write {
        step: link.name.clone(),
        source,
    })?;
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        "wrote the link"
    );
    tracing::info!(step.name = %link.name, "wrote {} {}", form.describe(), path.display());
    Ok(path)
}

/// Writes a legacy link signed by a key whose signatures have a fixed length:
/// the file's body (the `"signed"` part, nearly all of it) is rendered,
/// written and flushed to the disk while the signature is computed, and the
/// head with the signature goes in front of it last. The bytes are those of
/// [`sign_link`]; only the order of the work differs.
fn write_legacy_link_while_signing(
    link: &Link,
    key: &dyn Signer,
    sig_len: usize,
    path: &Path,
) -> Result<(), LinkError> {
    let step = || link.name.clone();
    let writing = |source| LinkError::Write {
        step: step(),
        source,
    };
    let started = Instant::now();
    // The canonical bytes and the file's text stay in the pieces they were
    // encoded in (in parallel): the signer hashes them in turn, and they are
    // written one after the other, never copied into one buffer.
    let canonical = encoding::canonical_parts(link).map_err(|source| LinkError::Encode {
        step: step(),
        source,
    })?;
    let head_of = |sig: &[u8]| {
        let text = legacy_text(&[Signature::new(key.keyid().clone(), hex::encode(sig))], "");
        // `legacy_text` ends with the (here empty) body and the closing brace.
        text.strip_suffix("\n}").map(str::to_owned).unwrap_or(text)
    };
    let head_len = head_of(&vec![0; sig_len]).len();
    let encoded = started.elapsed();
    let file = fs::PendingFile::create(path).map_err(writing)?;
    let (body, (raw, signed)) = std::thread::scope(|s| {
        let body = s.spawn(|| -> Result<(Duration, Duration), FileError> {
            let began = Instant::now();
            let mut offset = head_len as u64;
            // On this thread alone: the signer, hashing the canonical bytes
            // twice, is the longer task, and must not share its core.
            let mut parts = link_text::python_parts(link, Style::Indent1, 1, &InChunks);
            parts.push("\n}".to_owned());
            for part in &parts {
                file.write_at(offset, part.as_bytes())?;
                offset += part.len() as u64;
            }
            drop(parts);
            let written = began.elapsed();
            file.flush_data()?;
            Ok((written, began.elapsed() - written))
        });
        let began = Instant::now();
        let pieces: Vec<&[u8]> = canonical.iter().map(Vec::as_slice).collect();
        let raw = key.sign_parts(&pieces);
        (body.join(), (raw, began.elapsed()))
    });
    drop(canonical);
    let raw = raw.map_err(|source| LinkError::Sign {
        step: step(),
        source,
    })?;
    let (written, body_synced) = body
        .map_err(|_| LinkError::Render { step: step() })?
        .map_err(writing)?;
    let head = head_of(&raw.sig);
    if !(raw.keyid == *key.keyid() && raw.other_headers.is_none() && head.len() == head_len) {
        return Err(LinkError::SignatureLength { step: step() });
    }
    let committing = Instant::now();
    file.write_at(0, head.as_bytes()).map_err(writing)?;
    file.commit().map_err(writing)?;
    // Where the time goes (the body is written while the signer hashes):
    // the fsync costs are durability, and are kept.
    tracing::debug!(
        duration_ms = started.elapsed().as_millis(),
        canonical_ms = encoded.as_millis(),
        sign_ms = signed.as_millis(),
        body_write_ms = written.as_millis(),
        body_fdatasync_ms = body_synced.as_millis(),
        head_fsync_rename_ms = committing.elapsed().as_millis(),
        "signed and wrote the link"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use intoto_crypto::{KeyType, PrivateKey};
    use serde_json::json;

    use super::*;

    fn link() -> Link {
        let mut link = Link::new("build");
        link.command = vec!["make".into(), "-j".into(), "ü\"\n".into()];
        for i in 0..20_000 {
            let mut digests = intoto_model::DigestSet::new();
            digests.insert("sha256", format!("{i:064x}"));
            link.materials.insert(format!("src/{i}.c"), digests);
        }
        let mut digests = intoto_model::DigestSet::new();
        digests.insert("sha256", "ab");
        digests.insert("sha512", "cd");
        link.products.insert("app".into(), digests);
        link.byproducts.insert("return-value".into(), json!(0));
        link.byproducts.insert("stdout".into(), json!("done\n"));
        link
    }

    #[test]
    fn signed_links_are_the_files_the_model_writes() {
        // Ed25519 signatures are deterministic, so the texts must be equal.
        let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let link = link();
        for kind in [EnvelopeKind::Legacy, EnvelopeKind::Dsse] {
            let (text, keyid) = sign_link(&link, LinkForm::Link(kind), &key).unwrap();
            let mut md = Metadata::wrap(&link.to_value(), kind);
            assert_eq!(sign_metadata(&mut md, &key).unwrap(), keyid);
            assert_eq!(text, md.to_file_string(), "{kind:?}");
            let unsigned = Metadata::wrap(&link.to_value(), kind);
            assert_eq!(
                unsigned_link_text(&link, kind),
                unsigned.to_file_string(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn links_written_while_signing_are_the_files_the_model_writes() {
        let dir = tempfile::tempdir().unwrap();
        let link = link();
        for key in [
            PrivateKey::generate(KeyType::Ed25519, None).unwrap(),
            PrivateKey::generate(KeyType::Rsa, Some(2048)).unwrap(),
        ] {
            assert!(key.signature_len().is_some());
            let path = write_signed_link(
                &link,
                LinkForm::Link(EnvelopeKind::Legacy),
                &key,
                Some(dir.path()),
            )
            .unwrap();
            let written = Metadata::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut md = Metadata::wrap(&link.to_value(), EnvelopeKind::Legacy);
            // RSA-PSS signatures are randomised: compare the payload, the
            // layout and the signature's validity rather than the bytes.
            sign_metadata(&mut md, &key).unwrap();
            let mut expected = md.clone();
            *expected.signatures_mut() = written.signatures().to_vec();
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                expected.to_file_string()
            );
            intoto_crypto::check_signature(&written, key.public_key()).unwrap();
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temporary files left"
        );
    }

    #[test]
    fn attestations_need_products() {
        let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let err = sign_link(&Link::new("review"), LinkForm::Attestation, &key).unwrap_err();
        assert!(
            err.to_string()
                .contains("step \"review\" recorded no products"),
            "{err}"
        );
    }

    #[test]
    fn a_file_is_not_a_metadata_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        let err = check_writable_dir(&file, "build").unwrap_err();
        assert!(err.to_string().ends_with("not a directory"), "{err}");
        check_writable_dir(dir.path(), "build").unwrap();
    }
}
