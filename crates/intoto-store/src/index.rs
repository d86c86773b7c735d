//! What the store indexes about a verified document: its kind, payload and
//! predicate types, its step, its signers, and its subjects and materials
//! by digest.
//!
//! | document | subjects | materials | step |
//! |---|---|---|---|
//! | classic link (legacy or DSSE) | `products` | `materials` | `name` |
//! | statement, link predicate v0.3 | `subject` | `predicate.materials` | `predicate.name` |
//! | statement, SLSA provenance v1 | `subject` | `resolvedDependencies` | none |
//! | statement, SLSA provenance v0.2 | `subject` | `predicate.materials` | none |
//! | statement, any other predicate | `subject` | none | none |
//!
//! Every algorithm of a digest set is indexed (lowercase hex); one
//! artifact listed twice with the same digest in one document is indexed
//! once.

use std::collections::BTreeSet;

use intoto::model::{DigestSet, Link, Payload, Statement};
use intoto::verify::policy::artifacts::AttestedArtifacts;

/// A subject or material digest of a stored document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Artifact {
    /// The digest algorithm (`sha256`, `sha512`, `gitCommit`…).
    pub algorithm: String,
    /// The digest, lowercase hex.
    pub digest: String,
    /// The artifact's name (or URI), when the document gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What the store records about a document beside its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Indexed {
    /// `statement` or `link`.
    pub kind: &'static str,
    /// `dsse` or `legacy`.
    pub envelope: &'static str,
    /// The DSSE payload type.
    #[serde(rename = "payloadType", skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    /// A statement's predicate type.
    #[serde(rename = "predicateType", skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// The step a link (or link predicate) names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The keyids whose signatures verified, as the signatures name them.
    pub signers: Vec<String>,
    /// Subjects (a link's products).
    pub subjects: Vec<Artifact>,
    /// Materials.
    pub materials: Vec<Artifact>,
}

/// The most digests indexed for one document.
pub const MAX_INDEXED_DIGESTS: usize = 1_000_000;

/// Why a document cannot be indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IndexError(pub String);

impl Indexed {
    /// The index of a classic link.
    pub(crate) fn of_link(link: &Link, envelope: &'static str) -> Result<Self, IndexError> {
        let subjects = artifacts(link.products.iter().map(|(n, d)| (Some(n.as_str()), d)))?;
        let materials = artifacts(link.materials.iter().map(|(n, d)| (Some(n.as_str()), d)))?;
        Ok(Self {
            kind: "link",
            envelope,
            payload_type: None,
            predicate_type: None,
            step: Some(link.name.clone()),
            signers: Vec::new(),
            subjects,
            materials,
        })
    }

    /// The index of a statement.
    pub(crate) fn of_statement(statement: &Statement) -> Result<Self, IndexError> {
        let subjects = artifacts(statement.subject.iter().filter_map(|s| {
            let name = s.name.as_deref().or(s.uri.as_deref());
            s.digest.as_ref().map(|d| (name, d))
        }))?;
        let attested = AttestedArtifacts::of(statement).map_err(|e| IndexError(e.to_string()))?;
        let materials = if attested.transforms {
            let sets: Vec<(String, DigestSet)> = attested
                .materials
                .iter()
                .map(|(name, digests)| (name.to_owned(), digests.to_set()))
                .collect();
            artifacts(sets.iter().map(|(n, d)| (Some(n.as_str()), d)))?
        } else {
            Vec::new()
        };
        let step = if statement.is_link() {
            statement
                .predicate
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        } else {
            None
        };
        Ok(Self {
            kind: "statement",
            envelope: "dsse",
            payload_type: None,
            predicate_type: Some(statement.predicate_type.clone()),
            step,
            signers: Vec::new(),
            subjects,
            materials,
        })
    }

    /// The index of a document read from an upload.
    pub(crate) fn of_payload(
        payload: &Payload,
        envelope: &'static str,
    ) -> Result<Self, IndexError> {
        match payload {
            Payload::Link(link) => Self::of_link(link, envelope),
            Payload::Statement(statement) => Self::of_statement(statement),
            Payload::Layout(_) => Err(IndexError(
                "a layout is not evidence: give layouts to the server with --trust".into(),
            )),
            _ => Err(IndexError("not a link or a statement".into())),
        }
    }
}

fn artifacts<'a>(
    items: impl Iterator<Item = (Option<&'a str>, &'a DigestSet)>,
) -> Result<Vec<Artifact>, IndexError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (name, set) in items {
        for (algorithm, digest) in set.iter() {
            let digest = digest.to_ascii_lowercase();
            if !seen.insert((algorithm.to_owned(), digest.clone())) {
                continue;
            }
            if out.len() == MAX_INDEXED_DIGESTS {
                return Err(IndexError(format!(
                    "more than {MAX_INDEXED_DIGESTS} digests to index"
                )));
            }
            out.push(Artifact {
                algorithm: algorithm.to_owned(),
                digest,
                name: name.map(str::to_owned),
            });
        }
    }
    Ok(out)
}
