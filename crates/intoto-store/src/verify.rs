//! Verification over a store's evidence, as `POST /v1/verify`, the
//! admission webhook and `intoto verify --store` carry it out: a layout or
//! a policy, the evidence [`collect`](crate::evidence::collect)ed for one
//! final artifact's digest, and the same verifier the command line runs
//! over folders.
//!
//! - A classic layout reads the evidence's links through
//!   [`StoreLinks`](crate::evidence::StoreLinks), by step and functionary.
//! - A policy reads its statements, bound by signer and type as a bundle's
//!   are, and the final artifact is the digest asked about.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use intoto::crypto::PublicKey;
use intoto::model::{DigestSet, Metadata, Payload};
use intoto::policy::{PolicyFileError, PolicyReport, PolicyRequest, verify_policy};
use intoto::report::{ChainGraph, Report};
use intoto::verify::policy::FinalArtifact;
use intoto::verify::{CommandRunner, VerifyFileError, VerifyOptions, verify_layout_with};

use crate::backend::DigestRef;
use crate::evidence::{Evidence, StoreLinks, statements};
use crate::trust::DocumentKind;

/// What to verify.
#[derive(Debug, Clone)]
pub struct EvidenceRequest<'a> {
    /// How messages name the layout or policy.
    pub name: PathBuf,
    /// Its bytes (signed, or an unsigned policy).
    pub document: &'a [u8],
    /// The owner's keys: every one must have signed it.
    pub keys: Vec<PublicKey>,
    /// The final artifact.
    pub subject: &'a DigestRef,
    /// Parameters for substitution.
    pub parameters: BTreeMap<String, String>,
    /// Runs inspections (a server's runs none).
    pub runner: CommandRunner,
    /// The verification time.
    pub now: DateTime<Utc>,
}

/// The outcome.
#[derive(Debug, Clone)]
pub struct EvidenceVerdict {
    /// Layout or policy.
    pub kind: DocumentKind,
    /// The report, as `intoto verify` prints it.
    pub report: Report,
    /// For a policy: what a verification summary records.
    pub policy: Option<PolicyReport>,
    graph: ChainGraph,
}

impl EvidenceVerdict {
    /// Whether verification passed.
    pub fn passed(&self) -> bool {
        self.report.passed()
    }

    /// The picture of the verification, as `intoto verify --report` draws it.
    pub fn html(&self) -> String {
        intoto::report::html::render(&self.graph)
    }
}

/// Why verification could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// The layout cannot be verified.
    #[error(transparent)]
    Layout(#[from] VerifyFileError),
    /// The policy cannot be verified.
    #[error(transparent)]
    Policy(#[from] PolicyFileError),
}

/// Whether `document` is a classic layout (else it is read as a policy).
pub fn kind_of(document: &[u8]) -> DocumentKind {
    if intoto::layout::is_layout(document) {
        DocumentKind::Layout
    } else {
        DocumentKind::Policy
    }
}

/// Verifies `request` over `evidence`.
///
/// # Errors
///
/// [`EvidenceError`] when verification cannot be carried out; a failed
/// verification is a verdict that did not pass.
pub fn verify_evidence(
    request: &EvidenceRequest<'_>,
    evidence: &Evidence,
) -> Result<EvidenceVerdict, EvidenceError> {
    match kind_of(request.document) {
        DocumentKind::Layout => {
            let links = StoreLinks::new(evidence);
            let options = VerifyOptions::new()
                .runner(request.runner.clone())
                .parameters(request.parameters.clone())
                .now(request.now);
            let report = verify_layout_with(
                &request.name,
                request.document,
                &request.keys,
                &links,
                &options,
            )?;
            let title = request.name.display().to_string();
            let graph = match Metadata::from_slice(request.document).and_then(|m| m.into_payload())
            {
                Ok(Payload::Layout(layout)) => {
                    ChainGraph::from_layout(title, &layout, &report.verdict)
                }
                _ => {
                    let mut graph = ChainGraph::new(title, intoto::report::GraphKind::Layout);
                    graph.apply(&report.verdict);
                    graph
                }
            };
            Ok(EvidenceVerdict {
                kind: DocumentKind::Layout,
                report,
                policy: None,
                graph,
            })
        }
        DocumentKind::Policy => {
            let mut policy = PolicyRequest::new(request.name.clone(), Vec::new());
            policy.policy_bytes = Some(request.document.to_vec());
            policy.keys.clone_from(&request.keys);
            policy.documents = statements(evidence);
            policy.parameters.clone_from(&request.parameters);
            let mut digests = DigestSet::new();
            digests.insert(
                request.subject.algorithm.clone(),
                request.subject.digest.clone(),
            );
            policy.final_digests = vec![FinalArtifact::new(request.subject.to_string(), digests)];
            policy.runner = request.runner.clone();
            policy.now = Some(request.now);
            let report = verify_policy(&policy)?;
            let graph = report.graph();
            Ok(EvidenceVerdict {
                kind: DocumentKind::Policy,
                report: report.report.clone(),
                policy: Some(report),
                graph,
            })
        }
    }
}
