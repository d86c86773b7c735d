//! The verification summary of a policy verification: a SLSA VSA v1
//! statement (the in-toto policy framework asks verifiers to emit one).
//!
//! It records the policy (its URI and the sha256 of its bytes as
//! received), every input attestation and the parameters file with their
//! sha256, the result and the levels verified. Inputs are sorted and the
//! only clock reading is `timeVerified`, so the same inputs give the same
//! summary apart from that field.

use intoto_model::predicate::kind::VSA_V1;
use intoto_model::{ResourceDescriptor, Statement};
use serde_json::{Map, Value, json};

use super::PolicyReport;

/// The verifier id used when none is given.
pub const DEFAULT_VERIFIER_ID: &str = "https://example.invalid/intoto/verifier/v1";

/// What a summary says beyond the verification itself.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SummaryOptions {
    /// `resourceUri`: what was verified (a package URL, an image, ...).
    pub resource_uri: String,
    /// `verifier.id` (default [`DEFAULT_VERIFIER_ID`]).
    pub verifier_id: Option<String>,
    /// `verifiedLevels` (written only when verification passed).
    pub verified_levels: Vec<String>,
    /// `policy.uri` (default: the policy path as given).
    pub policy_uri: Option<String>,
}

impl SummaryOptions {
    /// A summary about `resource_uri`.
    pub fn new(resource_uri: impl Into<String>) -> Self {
        Self {
            resource_uri: resource_uri.into(),
            ..Self::default()
        }
    }
}

/// The summary statement of `report`, verified at `time_verified` (RFC
/// 3339, UTC). Its subjects are the final artifacts checked, else the
/// subjects the policy's subject steps attest.
pub fn summary_statement(
    report: &PolicyReport,
    options: &SummaryOptions,
    time_verified: &str,
) -> Statement {
    let subjects: Vec<ResourceDescriptor> = if report.finals.is_empty() {
        report.attested_subjects.clone()
    } else {
        report
            .finals
            .iter()
            .map(|f| ResourceDescriptor::named(f.name.clone(), f.digests.clone()))
            .collect()
    };
    let passed = report.passed();
    let policy_uri = options
        .policy_uri
        .clone()
        .unwrap_or_else(|| report.report.layout.display().to_string());
    let levels: Vec<Value> = if passed {
        options
            .verified_levels
            .iter()
            .cloned()
            .map(Value::String)
            .collect()
    } else {
        Vec::new()
    };
    let predicate = json!({
        "verifier": {"id": options.verifier_id.as_deref().unwrap_or(DEFAULT_VERIFIER_ID)},
        "timeVerified": time_verified,
        "resourceUri": options.resource_uri,
        "policy": {"uri": policy_uri, "digest": report.policy_digest.to_value()},
        "inputAttestations": report.inputs.iter().map(ResourceDescriptor::to_value).collect::<Vec<_>>(),
        "verificationResult": if passed { "PASSED" } else { "FAILED" },
        "verifiedLevels": levels,
        "slsaVersion": "1.0",
    });
    let predicate: Map<String, Value> = match predicate {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    Statement::new(subjects, VSA_V1, predicate)
}
