//! Policy verification (ITE-10/11) with files: the policy (YAML or JSON,
//! unsigned or in a DSSE envelope), the attestation folders and bundles,
//! the parameters and the final artifacts are read here, bounded and
//! regular files only, and handed to the core's
//! [`PolicyVerifier`](intoto_verify::policy::PolicyVerifier).
//!
//! - A folder's envelopes (`*.json`) named `<step>.<keyid8>.json` are
//!   each bound to their step by their name (as the attestation verifier
//!   reads them); those named otherwise (such as the
//!   `<step>.<keyid8>.provenance.json` of `intoto run --attest provenance`)
//!   are bound as a bundle's are. A folder may hold bundles
//!   (`*.intoto.jsonl`), and link attestations in `<step>.<keyid8>.link`
//!   files (`intoto run --attest`), bound by name; a `.link` file that
//!   holds no statement (a classic link, for layouts) is passed over
//!   without a finding. Other files are not read.
//! - A bundle's attestations are bound by their signers and types; each
//!   is named `BUNDLE:LINE` in findings.
//! - An attestation that cannot be read is a warning (`attestation-malformed`)
//!   and does not count, as in the attestation verifier; a folder or bundle
//!   that cannot be read at all stops verification.
//!
//! The result is a [`PolicyReport`]: the same [`Report`] as classic
//! verification prints, with what a verification summary (VSA) records:
//! the policy's digest, the digest of every input, and the final artifacts.

mod read;
mod summary;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use intoto_crypto::PublicKey;
use intoto_model::{DigestAlgorithm, DigestSet, Envelope, ResourceDescriptor, StepName};
use intoto_record::hash::hash_bytes;
use intoto_verify::Verdict;
use intoto_verify::policy::binding::Attestation;
use intoto_verify::policy::layout::{
    MAX_POLICY_BYTES, Policy, PolicyError, parse_document, resolve_parameters,
};
use intoto_verify::policy::signed::signed_policy;
use intoto_verify::policy::{Counted, FinalArtifact, PolicyVerifier};

use crate::fs::{self, FileError};
use crate::report::Report;
use crate::verify::CommandRunner;

pub use summary::{DEFAULT_VERIFIER_ID, SummaryOptions, summary_statement};

/// The largest policy file read.
pub const MAX_POLICY_FILE_BYTES: u64 = MAX_POLICY_BYTES as u64;
/// The payload type of a signed policy in YAML.
pub const POLICY_PAYLOAD_TYPE_YAML: &str = "application/vnd.in-toto.policy+yaml";
/// The payload type of a signed policy in JSON.
pub const POLICY_PAYLOAD_TYPE_JSON: &str = "application/vnd.in-toto.policy+json";

/// Signs a policy's bytes as they are into a DSSE envelope, once they read
/// as a policy document.
///
/// # Errors
///
/// [`SignPolicyError`] when the bytes are not a policy, or signing fails.
pub fn sign_policy(
    bytes: Vec<u8>,
    signers: &[&dyn intoto_crypto::Signer],
) -> Result<Envelope, SignPolicyError> {
    // Parameters are substituted at verification time: the document is
    // checked, not its rules.
    let document = parse_document(&bytes).map_err(SignPolicyError::Policy)?;
    if !document
        .get("steps")
        .is_some_and(serde_json::Value::is_array)
    {
        return Err(SignPolicyError::Policy(PolicyError::Field(
            intoto_model::ModelError::MissingField {
                field: "steps".into(),
            },
        )));
    }
    let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let payload_type = if json {
        POLICY_PAYLOAD_TYPE_JSON
    } else {
        POLICY_PAYLOAD_TYPE_YAML
    };
    Ok(crate::attest::sign_envelope(payload_type, bytes, signers)?)
}

/// Why a policy cannot be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignPolicyError {
    /// It is not a policy.
    #[error("not a policy")]
    Policy(#[source] PolicyError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] crate::attest::AttestError),
}

/// The largest single attestation file read.
pub const MAX_ATTESTATION_BYTES: u64 = 64 << 20;
/// The most attestation files read from the folders given.
pub const MAX_ATTESTATION_FILES: usize = 100_000;
/// The largest parameters file read.
pub const MAX_PARAMETERS_BYTES: u64 = 1 << 20;

/// What to verify, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicyRequest {
    /// The policy file (when `policy_bytes` is given, only its name).
    pub policy: PathBuf,
    /// The policy's bytes, when they come from elsewhere than a file
    /// (a server's request or configuration).
    pub policy_bytes: Option<Vec<u8>>,
    /// Keys that must all have signed the policy (a signed policy only).
    pub keys: Vec<PublicKey>,
    /// Attestation folders and bundles.
    pub attestations: Vec<PathBuf>,
    /// Attestations in memory (from a store): each a name for messages and
    /// the bytes of one DSSE envelope, bound as a bundle's are.
    pub documents: Vec<(String, Vec<u8>)>,
    /// A JSON file of parameters (`{"name": "value"}`).
    pub parameters_file: Option<PathBuf>,
    /// Parameters given one by one; each overrides the file's.
    pub parameters: BTreeMap<String, String>,
    /// The final artifacts to find among the attested subjects.
    pub finals: Vec<PathBuf>,
    /// Final artifacts known by their digests only (from a store query).
    pub final_digests: Vec<FinalArtifact>,
    /// Runs inspections.
    pub runner: CommandRunner,
    /// The verification time (default: now).
    pub now: Option<DateTime<Utc>>,
    /// Verifies Sigstore bundles among the attestations (keyless
    /// functionaries); without one, bundles are reported and skipped.
    pub keyless: Option<std::sync::Arc<dyn intoto_verify::policy::identity::KeylessVerifier>>,
    /// Trusted timestamp authorities: a certificate functionary's
    /// certificate is checked at the time a timestamp over its signature
    /// proves.
    pub timestamps: Option<std::sync::Arc<dyn intoto_verify::TimestampVerifier>>,
}

impl PolicyRequest {
    /// Verifies `policy` against the attestations in `attestations`.
    pub fn new(policy: impl Into<PathBuf>, attestations: Vec<PathBuf>) -> Self {
        Self {
            policy: policy.into(),
            policy_bytes: None,
            keys: Vec::new(),
            attestations,
            documents: Vec::new(),
            parameters_file: None,
            parameters: BTreeMap::new(),
            finals: Vec::new(),
            final_digests: Vec::new(),
            runner: CommandRunner::new(),
            now: None,
            keyless: None,
            timestamps: None,
        }
    }
}

/// The outcome of verifying a policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolicyReport {
    /// The verdict, printed as classic verification's is.
    pub report: Report,
    /// The policy, when it could be read (for pictures of the chain).
    pub policy: Option<Policy>,
    /// The sha256 of the policy file as received.
    pub policy_digest: DigestSet,
    /// Every attestation read (file, or bundle and line) and the parameters
    /// file, with the sha256 of its bytes; sorted by name.
    pub inputs: Vec<ResourceDescriptor>,
    /// The final artifacts checked, with their sha256 and sha512.
    pub finals: Vec<FinalArtifact>,
    /// The subjects of the counted attestations of the policy's subject
    /// steps (of its last step when it names none): what a summary is
    /// about when no final artifact is given.
    pub attested_subjects: Vec<ResourceDescriptor>,
    /// Step name → the attestations that counted for it.
    pub counted: BTreeMap<String, Vec<Counted>>,
}

impl PolicyReport {
    /// Whether verification passed.
    pub fn passed(&self) -> bool {
        self.report.passed()
    }

    /// The picture of the verification.
    pub fn graph(&self) -> crate::report::ChainGraph {
        let title = self.report.layout.display().to_string();
        match &self.policy {
            Some(policy) => crate::report::ChainGraph::from_policy(
                title,
                policy,
                &self.counted,
                &self.report.verdict,
            ),
            None => {
                let mut graph =
                    crate::report::ChainGraph::new(title, crate::report::GraphKind::Policy)
                        .note("The policy could not be read to draw its steps.");
                graph.apply(&self.report.verdict);
                graph
            }
        }
    }

    /// The picture as one self-contained HTML page.
    pub fn html(&self) -> String {
        crate::report::html::render(&self.graph())
    }
}

/// Why a policy cannot be verified at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyFileError {
    /// A file cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The policy cannot be read.
    #[error("{}: {source}", path.display())]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<PolicyError>,
    },
    /// Keys were given for a policy that is not signed.
    #[error("{}: the policy is not a signed envelope, so there is nothing for --verification-keys to check; sign it, or leave the keys out to trust the file as given", path.display())]
    NotSigned {
        /// The policy file.
        path: PathBuf,
    },
    /// A parameters file is not a JSON object of strings.
    #[error("{}: {problem}", path.display())]
    Parameters {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An attestation folder cannot be listed, or is too large.
    #[error("{}: {problem}", path.display())]
    Attestations {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Verifies a policy against attestations.
///
/// # Errors
///
/// [`PolicyFileError`] when verification cannot be carried out (an input
/// that cannot be read, a policy that is not valid); a failed verification
/// is a report that did not pass.
pub fn verify_policy(request: &PolicyRequest) -> Result<PolicyReport, PolicyFileError> {
    let now = request.now.unwrap_or_else(Utc::now);
    let bytes = match &request.policy_bytes {
        Some(bytes) => bytes.clone(),
        None => fs::read(&request.policy, MAX_POLICY_FILE_BYTES)?,
    };
    let policy_digest = sha256(&bytes);
    let mut report = PolicyReport {
        report: Report::new(request.policy.clone(), Verdict::default(), false),
        policy: None,
        policy_digest,
        inputs: Vec::new(),
        finals: Vec::new(),
        attested_subjects: Vec::new(),
        counted: BTreeMap::new(),
    };
    let envelope = as_envelope(&bytes);
    let text: &[u8] = match &envelope {
        Some(envelope) => match signed_policy(envelope, &request.keys, now.timestamp()) {
            Ok(payload) => payload,
            Err(findings) => {
                report.report.verdict.diagnostics = findings;
                return Ok(report);
            }
        },
        None if !request.keys.is_empty() => {
            return Err(PolicyFileError::NotSigned {
                path: request.policy.clone(),
            });
        }
        None => &bytes,
    };

    let mut parameters = BTreeMap::new();
    if let Some(path) = &request.parameters_file {
        let bytes = fs::read(path, MAX_PARAMETERS_BYTES)?;
        report
            .inputs
            .push(descriptor(path.display().to_string(), &bytes));
        parameters = read_parameters(&bytes).map_err(|problem| PolicyFileError::Parameters {
            path: path.clone(),
            problem,
        })?;
    }
    parameters.extend(request.parameters.clone());
    let policy_error = |source| PolicyFileError::Policy {
        path: request.policy.clone(),
        source: Box::new(source),
    };
    let parameters = resolve_parameters(&parameters).map_err(policy_error)?;
    let policy = Policy::parse(text, &parameters).map_err(policy_error)?;

    let mut read = read::Read {
        parameters: parameters.clone(),
        now_unix: now.timestamp(),
        keyless: request.keyless.clone(),
        timestamps: request.timestamps.clone(),
        ..read::Read::default()
    };
    for path in &request.attestations {
        read.path(path, &policy)?;
    }
    for (origin, bytes) in &request.documents {
        read.document(origin, bytes, &policy);
    }
    report.inputs.extend(read.inputs);
    report.inputs.sort_by(|a, b| a.uri.cmp(&b.uri));
    for path in &request.finals {
        report.finals.push(final_artifact(path)?);
    }
    report.finals.extend(request.final_digests.iter().cloned());

    let verdict = PolicyVerifier::new(now)
        .parameters(parameters)
        .inspections(&request.runner)
        .verify(&policy, &read.attestations, &report.finals)
        .map_err(policy_error)?;
    let mut diagnostics = read.findings;
    diagnostics.extend(verdict.verdict.diagnostics);
    report.report.verdict.diagnostics = diagnostics;
    report.attested_subjects = attested_subjects(&policy, &read.attestations, &verdict.counted);
    report.counted = verdict.counted;
    report.policy = Some(policy);
    Ok(report)
}

/// The envelope a policy file holds, if it is one.
fn as_envelope(bytes: &[u8]) -> Option<Envelope> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let object = value.as_object()?;
    if !(object.contains_key("payload") && object.contains_key("signatures")) {
        return None;
    }
    Envelope::from_value(value).ok()
}

fn read_parameters(bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or("must be a JSON object of parameter names and string values")?;
    object
        .iter()
        .map(|(name, value)| match value {
            serde_json::Value::String(text) => Ok((name.clone(), text.clone())),
            _ => Err(format!("parameter {name:?} must be a string")),
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> DigestSet {
    hash_bytes(bytes, &[DigestAlgorithm::Sha256])
}

fn descriptor(uri: String, bytes: &[u8]) -> ResourceDescriptor {
    let mut d = ResourceDescriptor::default();
    d.uri = Some(uri);
    d.digest = Some(sha256(bytes));
    d
}

/// A final artifact, hashed with sha256 and sha512.
fn final_artifact(path: &Path) -> Result<FinalArtifact, PolicyFileError> {
    let digests = crate::fs::hash_file(path)?;
    Ok(FinalArtifact::new(path.display().to_string(), digests))
}

/// The subjects a summary is about when no final artifact is given.
fn attested_subjects(
    policy: &Policy,
    attestations: &[Attestation],
    counted: &BTreeMap<String, Vec<Counted>>,
) -> Vec<ResourceDescriptor> {
    let steps: Vec<&str> = if policy.subjects.is_empty() {
        policy
            .steps
            .last()
            .map(|s| s.name.as_str())
            .into_iter()
            .collect()
    } else {
        policy.subjects.iter().map(StepName::as_str).collect()
    };
    let by_origin: BTreeMap<&str, &Attestation> = attestations
        .iter()
        .map(|a| (a.origin.as_str(), a))
        .collect();
    // Each descriptor once, by its JSON text: a step may attest tens of
    // thousands of subjects.
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<ResourceDescriptor> = Vec::new();
    for step in steps {
        for c in counted.get(step).into_iter().flatten() {
            let Some(a) = by_origin.get(c.origin.as_str()) else {
                continue;
            };
            for s in &a.statement.subject {
                if seen.insert(s.to_value().to_string()) {
                    out.push(s.clone());
                }
            }
        }
    }
    out
}
