//! The classic evidence source: link files named after the step and the
//! functionary's keyid, in a link folder (spec §5, "verifying link
//! metadata").

use intoto_crypto::{SignatureError, Verified};
use intoto_model::{EnvelopeKind, KeyId, ModelError, StepName, link_file_name};

use super::{EvidenceSource, Found, Origin, Rejection, Request, attribute};
use crate::functionary::{Authority, Candidate, Functionary, SignedBytes};
use crate::linkfile::{self, Document};
use crate::verifier::Error;

/// An error from a link source or an inspection runner.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where link files come from: a folder on disk, an archive, a store.
///
/// Links are looked up by name, as the reference does: a step's links are
/// `<step>.<keyid[:8]>.link` for each functionary the step authorises, in
/// the link folder; a sublayout's links are in the folder
/// `<step>.<keyid[:8]>` inside the folder of the layout that delegates to
/// it.
///
/// `Sync`: the links of a layout's steps are read in parallel.
pub trait LinkSource: Sync {
    /// The contents of `file` in `folder` (sublayout folder names,
    /// outermost first; empty for the root link folder), or `None` when
    /// there is no such file.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read. Verification then stops
    /// with [`Error::LinkSource`]: a link that cannot be read is not the
    /// same as a missing one.
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError>;

    /// The names of the files in `folder`, for steps that certificates may
    /// speak for (ITE-7): their links are filed under keyids the layout
    /// does not list. The default lists nothing, so a source that cannot
    /// list finds only links filed under listed keys.
    ///
    /// # Errors
    ///
    /// When the folder exists but cannot be listed.
    fn list(&self, folder: &[String]) -> Result<Vec<String>, SourceError> {
        let _ = folder;
        Ok(Vec::new())
    }

    /// How messages name `file` in `folder` (default: `folder/…/file`).
    fn describe(&self, folder: &[String], file: &str) -> String {
        let mut parts: Vec<&str> = folder.iter().map(String::as_str).collect();
        parts.push(file);
        parts.join("/")
    }
}

/// Evidence from link files: for each functionary a step authorises, the
/// file `<step>.<keyid[:8]>.link`, its signature checked by the authority
/// over the bytes as received.
#[derive(Clone, Copy)]
pub struct LinkFolder<'a> {
    links: &'a dyn LinkSource,
}

impl<'a> LinkFolder<'a> {
    /// Link files from `links`.
    pub fn new(links: &'a dyn LinkSource) -> Self {
        Self { links }
    }
}

impl EvidenceSource for LinkFolder<'_> {
    fn collect(&self, request: &Request<'_>) -> Result<Vec<Found>, Error> {
        let mut found = Vec::new();
        // Names that cannot be file names were reported with the layout
        // (`layout-name-invalid`), which stops verification before this.
        let Ok(step) = StepName::new(&request.step.name) else {
            return Ok(found);
        };
        let mut named = Vec::new();
        for candidate in request.authority.candidates(request.step) {
            let name = link_file_name(&step, &candidate.keyid);
            named.push(name.clone());
            let file = self.links.describe(request.folder, &name);
            let bytes = match self.links.read(request.folder, &name) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    found.push(Found::Missing { file });
                    continue;
                }
                Err(source) => return Err(Error::LinkSource { file, source }),
            };
            let origin = Origin { file, candidate };
            found.push(read_link(&bytes, origin, request));
        }
        self.collect_certified(&step, &named, request, &mut found)?;
        Ok(found)
    }
}

/// The most link files of one step read for certificate functionaries.
pub(crate) const MAX_CERTIFIED_LINKS: usize = 256;

impl LinkFolder<'_> {
    /// For a step that certificates may speak for: the link files
    /// `<step>.<keyid prefix>.link` that are not `named` (the key
    /// candidates' files, already read), each checked by
    /// the certificate its signature carries. Files whose signatures carry
    /// no certificate are not this step's evidence and are passed over.
    fn collect_certified(
        &self,
        step: &StepName,
        named: &[String],
        request: &Request<'_>,
        found: &mut Vec<Found>,
    ) -> Result<(), Error> {
        // The step's certified candidate, filed under each file's keyid.
        let Some(certified) = request
            .authority
            .certified(request.step, &KeyId::new(String::new()))
        else {
            return Ok(());
        };
        let listed = self
            .links
            .list(request.folder)
            .map_err(|source| Error::LinkSource {
                file: self.links.describe(request.folder, ""),
                source,
            })?;
        let prefix = format!("{}.", step.as_str());
        let mut read = 0;
        for name in listed {
            let Some(keyid) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".link"))
                .filter(|k| k.len() == 8 && k.bytes().all(|b| b.is_ascii_hexdigit()))
            else {
                continue;
            };
            if named.contains(&name) {
                continue;
            }
            if read >= MAX_CERTIFIED_LINKS {
                let file = self
                    .links
                    .describe(request.folder, &format!("{prefix}*.link"));
                found.push(Found::Rejected {
                    origin: Origin {
                        file,
                        candidate: certified,
                    },
                    rejection: Rejection::Malformed(format!(
                        "more than {MAX_CERTIFIED_LINKS} link files for the step are not named by its keys; the rest were not read"
                    )),
                });
                break;
            }
            let mut candidate = certified.clone();
            candidate.keyid = KeyId::new(keyid);
            let file = self.links.describe(request.folder, &name);
            let bytes = match self.links.read(request.folder, &name) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(source) => return Err(Error::LinkSource { file, source }),
            };
            read += 1;
            match read_link(&bytes, Origin { file, candidate }, request) {
                Found::Rejected {
                    rejection: Rejection::Signature(SignatureError::NoSignature { .. }),
                    ..
                } => {}
                other => found.push(other),
            }
        }
        Ok(())
    }
}

/// One link file: its signature checked, its document read.
fn read_link(bytes: &[u8], origin: Origin, request: &Request<'_>) -> Found {
    let (authority, now) = (request.authority, request.now_unix);
    let (signature, document) = match check_and_read_legacy(bytes, authority, &origin, now) {
        Some(done) => done,
        None => match linkfile::open(bytes) {
            Ok(opened) => check_and_read(&opened, authority, &origin.candidate, now),
            Err(e) => return malformed(origin, &e),
        },
    };
    let functionary = match signature {
        Ok(Ok(functionary)) => functionary,
        Ok(Err(e)) => match document {
            // A malformed document is reported as such, whatever its
            // signature.
            Err(d) => return malformed(origin, &d),
            Ok(_) => {
                return Found::Rejected {
                    origin,
                    rejection: Rejection::Signature(e),
                };
            }
        },
        Err(e) => return malformed(origin, &e),
    };
    let document = match document {
        Ok(Document::Layout(_)) if !matches!(*functionary, Functionary::Key(_)) => {
            return Found::Rejected {
                origin,
                rejection: Rejection::Malformed(
                    "a sublayout must be signed by a key the step lists; a certificate cannot delegate a step".into(),
                ),
            };
        }
        Ok(document) => document,
        Err(e) => return malformed(origin, &e),
    };
    match attribute(document, functionary, origin.clone()) {
        Ok(found) => found,
        Err(e) => Found::Rejected {
            origin,
            rejection: Rejection::Malformed(format!(
                "not a link attestation: {}",
                crate::error_chain(&e)
            )),
        },
    }
}

fn malformed(origin: Origin, e: &ModelError) -> Found {
    Found::Rejected {
        origin,
        rejection: Rejection::Malformed(crate::error_chain(e)),
    }
}

/// Link files from this size on are checked and read on two threads.
const PARALLEL_FROM: usize = 1 << 20;

type Checked = Result<Result<Verified<Functionary>, SignatureError>, ModelError>;

/// For a large legacy link file: the canonical JSON and its signature
/// check as one task, the link as another, run in parallel, each in one
/// pass over the text. `None` for anything else (the general path reads
/// it).
fn check_and_read_legacy(
    bytes: &[u8],
    authority: &dyn Authority,
    origin: &Origin,
    now_unix: i64,
) -> Option<(Checked, Result<Document, ModelError>)> {
    if bytes.len() < PARALLEL_FROM {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let (checked, link) = rayon::join(
        || {
            let mut canonical = Vec::with_capacity(bytes.len());
            linkfile::legacy_signed(text, &mut canonical).map(|signatures| {
                let signed = SignedBytes::new(&canonical, EnvelopeKind::Legacy, &signatures);
                authority.authorize(&origin.candidate, signed, now_unix)
            })
        },
        || linkfile::legacy_link(text),
    );
    Some((Ok(checked?), Ok(Document::Link(link?))))
}

/// Checks the signature of `opened` and reads its document, as two
/// parallel tasks for a large file: the signed bytes (canonical JSON or the
/// DSSE encoding) and their hash, and the artifacts. The document is only
/// used if the signature holds.
fn check_and_read(
    opened: &linkfile::Opened<'_>,
    authority: &dyn Authority,
    candidate: &Candidate,
    now_unix: i64,
) -> (Checked, Result<Document, ModelError>) {
    let check = || {
        opened.signed().map(|signed| {
            let signed = SignedBytes::new(&signed, opened.kind, &opened.signatures);
            authority.authorize(candidate, signed, now_unix)
        })
    };
    if opened.len() < PARALLEL_FROM {
        return (check(), opened.document());
    }
    rayon::join(check, || opened.document())
}
