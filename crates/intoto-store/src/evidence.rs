//! The evidence for one final artifact, walked backwards through the
//! store: the documents that have its digest as a subject, then those
//! whose subjects are among their materials, and so on, until nothing new
//! turns up or a bound is reached. A scan, a test result or an SBOM about
//! an artifact is found with it; the step that made an artifact is found
//! through the materials of the steps after it.
//!
//! The evidence is then handed to the same verifier the command line
//! uses: classic links through [`StoreLinks`], an implementation of the
//! core's [`LinkSource`], and statements as in-memory documents of a
//! policy verification.

use std::collections::{BTreeMap, BTreeSet};

use intoto::model::{KeyId, Metadata, StepName, link_file_name};
use intoto::verify::{LinkSource, SourceError};

use crate::backend::{DigestRef, Role, Store, StoreError, StoredAttestation};
use crate::index::Indexed;

/// The most documents collected for one verification.
pub const MAX_EVIDENCE: usize = 2000;
/// The most steps walked back from the final artifact.
pub const MAX_DEPTH: usize = 64;
/// The most digests looked up in all.
pub const MAX_DIGESTS: usize = 200_000;

/// One collected document.
#[derive(Debug, Clone)]
pub struct Found {
    /// What the store knows of it.
    pub meta: StoredAttestation,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The evidence for a final artifact.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// The documents, nearest to the final artifact first.
    pub found: Vec<Found>,
    /// Whether a bound stopped the walk.
    pub truncated: bool,
}

/// Walks back from `subject`.
///
/// # Errors
///
/// [`StoreError`] when the store fails.
pub async fn collect(store: &dyn Store, subject: &DigestRef) -> Result<Evidence, StoreError> {
    let mut evidence = Evidence::default();
    let mut seen_docs = BTreeSet::new();
    let mut seen_digests = BTreeSet::from([subject.clone()]);
    let mut frontier = vec![subject.clone()];
    for _ in 0..MAX_DEPTH {
        if frontier.is_empty() {
            return Ok(evidence);
        }
        let room = MAX_EVIDENCE - evidence.found.len();
        let hits = store
            .find_any(
                Role::Subject,
                &frontier,
                u32::try_from(room + 1).unwrap_or(u32::MAX),
            )
            .await?;
        let mut next = Vec::new();
        for meta in hits {
            if !seen_docs.insert(meta.id.clone()) {
                continue;
            }
            if evidence.found.len() == MAX_EVIDENCE {
                evidence.truncated = true;
                return Ok(evidence);
            }
            let id = crate::id::AttestationId::parse(&meta.id).map_err(StoreError)?;
            let Some(bytes) = store.get(&id).await? else {
                continue;
            };
            for material in materials(&bytes) {
                if seen_digests.len() >= MAX_DIGESTS {
                    evidence.truncated = true;
                    break;
                }
                if seen_digests.insert(material.clone()) {
                    next.push(material);
                }
            }
            evidence.found.push(Found { meta, bytes });
        }
        frontier = next;
    }
    evidence.truncated = !frontier.is_empty();
    Ok(evidence)
}

/// The material digests of stored bytes (verified when stored).
fn materials(bytes: &[u8]) -> Vec<DigestRef> {
    let Ok(md) = Metadata::from_slice(bytes) else {
        return Vec::new();
    };
    let envelope = match md.kind() {
        intoto::model::EnvelopeKind::Legacy => "legacy",
        _ => "dsse",
    };
    let Ok(payload) = md.payload() else {
        return Vec::new();
    };
    Indexed::of_payload(&payload, envelope)
        .map(|i| {
            i.materials
                .into_iter()
                .map(|a| DigestRef {
                    algorithm: a.algorithm,
                    digest: a.digest,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Classic links from the evidence, by the names a layout looks them up
/// by: `<step>.<keyid[:8]>.link` for each signer of each link. Where two
/// links would take one name, the one nearer the final artifact is kept.
#[derive(Debug, Clone, Default)]
pub struct StoreLinks {
    files: BTreeMap<String, (String, Vec<u8>)>,
}

impl StoreLinks {
    /// The classic links among `evidence`.
    pub fn new(evidence: &Evidence) -> Self {
        let mut files = BTreeMap::new();
        for found in &evidence.found {
            if found.meta.kind != "link" {
                continue;
            }
            let Some(step) = found
                .meta
                .step
                .as_deref()
                .and_then(|s| StepName::new(s).ok())
            else {
                continue;
            };
            for signer in &found.meta.signers {
                let name = link_file_name(&step, &KeyId::new(signer.as_str()));
                files
                    .entry(name)
                    .or_insert_with(|| (found.meta.id.clone(), found.bytes.clone()));
            }
        }
        Self { files }
    }

    /// The link files: each name and its bytes.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(n, (_, b))| (n.as_str(), b.as_slice()))
    }

    /// How many link files there are.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl LinkSource for StoreLinks {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        // Sublayouts' links are not looked up in the store.
        if !folder.is_empty() {
            return Ok(None);
        }
        Ok(self.files.get(file).map(|(_, bytes)| bytes.clone()))
    }

    fn list(&self, folder: &[String]) -> Result<Vec<String>, SourceError> {
        if !folder.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.files.keys().cloned().collect())
    }

    fn describe(&self, folder: &[String], file: &str) -> String {
        match self.files.get(file) {
            Some((id, _)) if folder.is_empty() => format!("store:{id} ({file})"),
            _ => {
                let mut parts: Vec<&str> = folder.iter().map(String::as_str).collect();
                parts.push(file);
                format!("store:{}", parts.join("/"))
            }
        }
    }
}

/// The statements among `evidence`, as in-memory documents for a policy
/// verification, each named `store:<id>`.
pub fn statements(evidence: &Evidence) -> Vec<(String, Vec<u8>)> {
    evidence
        .found
        .iter()
        .filter(|f| f.meta.kind == "statement")
        .map(|f| (format!("store:{}", f.meta.id), f.bytes.clone()))
        .collect()
}
