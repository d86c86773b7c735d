//! SLSA Verification Summary Attestation v1.

use serde_json::{Map, Value};

use super::read::{Obj, Path, one_of};
use crate::error::ModelError;
use crate::statement::ResourceDescriptor;

/// A VSA v1 predicate (`https://slsa.dev/verification_summary/v1`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Vsa {
    /// `verifier.id`.
    pub verifier_id: String,
    /// `timeVerified`.
    pub time_verified: Option<String>,
    /// `resourceUri`: what was verified.
    pub resource_uri: String,
    /// `policy`: the policy verified against.
    pub policy: ResourceDescriptor,
    /// `verificationResult`: PASSED or FAILED.
    pub passed: bool,
    /// `verifiedLevels`.
    pub verified_levels: Vec<String>,
}

impl Vsa {
    /// Reads and checks a predicate.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        let verifier_path = Path::new(p.path("verifier"));
        let verifier = Obj::new(p.object("verifier")?, &verifier_path);
        let result = one_of(
            p.string("verificationResult")?,
            &["PASSED", "FAILED"],
            p.path("verificationResult"),
            "must be PASSED or FAILED",
        )?;
        p.list("verifiedLevels")?;
        Ok(Self {
            verifier_id: verifier.nonempty("id")?.to_owned(),
            time_verified: p.opt_timestamp("timeVerified")?.map(str::to_owned),
            resource_uri: p.nonempty("resourceUri")?.to_owned(),
            policy: p
                .opt_descriptor("policy")?
                .ok_or_else(|| ModelError::MissingField {
                    field: p.path("policy"),
                })?,
            passed: result == "PASSED",
            verified_levels: p.strings("verifiedLevels")?,
        })
    }
}
