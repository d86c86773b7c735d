//! Stage 4 of spec §5: each step's evidence, from the functionaries its
//! `pubkeys` authorise, signature-checked, and its `threshold` of distinct
//! functionaries.

use intoto_crypto::{SignatureError, Verified};
use intoto_model::{ModelError, Step, Threshold};
use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Subject};
use crate::evidence::{
    Claim, Evidence, EvidenceSource, Found, Origin, Rejection, Request, Sublayout,
};
use crate::functionary::{Authority, Functionary};
use crate::rules::ItemKind;
use crate::session::{Scope, Session};
use crate::verifier::Error;

/// Evidence for a step that passed its signature check: a link, or a
/// sublayout still to be verified.
pub(crate) enum Collected {
    Evidence(Verified<Evidence>),
    Sublayout(Verified<Sublayout>),
}

/// Every step's evidence as its source finds it, signature-checked, the
/// steps in parallel; in the order of `steps`.
pub(crate) fn find_all(
    source: &dyn EvidenceSource,
    authority: &dyn Authority,
    steps: &[Step],
    folder: &[String],
    now_unix: i64,
) -> Vec<Result<Vec<Found>, Error>> {
    steps
        .par_iter()
        .map(|step| {
            source.collect(&Request {
                folder,
                step,
                authority,
                now_unix,
            })
        })
        .collect()
}

impl Session<'_, '_> {
    /// Stage 4 for one step: what its functionaries' evidence came to
    /// ([`find_all`]), and the threshold.
    pub(crate) fn step_evidence(
        &mut self,
        step: &Step,
        scope: &Scope<'_>,
        found: Vec<Found>,
    ) -> Vec<Collected> {
        let mut collected = Vec::new();
        let mut missing = Vec::new();
        let mut skipped = Vec::new();
        let mut counted: Vec<Functionary> = Vec::new();
        // Files there for authorized functionaries: the reference's first,
        // file-based threshold check.
        let mut present = 0_usize;
        for found in found {
            let (functionary, origin, item) = match found {
                Found::Missing { file } => {
                    missing.push(file);
                    continue;
                }
                Found::Rejected { origin, rejection } => {
                    present += 1;
                    if let Some(file) = self.rejected(step, scope, &origin, rejection) {
                        skipped.push(file);
                    }
                    continue;
                }
                Found::Evidence(evidence) => {
                    present += 1;
                    if let Claim::Predicate(predicate_type) = &evidence.claim {
                        let not_a_link = ModelError::UnexpectedType {
                            field: "predicateType".into(),
                            found: predicate_type.clone(),
                            expected: "the link predicate",
                        };
                        let rejection = Rejection::Malformed(format!(
                            "not a link attestation: {}",
                            crate::error_chain(&not_a_link)
                        ));
                        self.rejected(step, scope, &evidence.origin, rejection);
                        continue;
                    }
                    if evidence.link.name != step.name {
                        self.push(
                            Diagnostic::new(
                                Code::LinkNameMismatch,
                                format!(
                                    "{} records step '{}', not '{}'; it does not count",
                                    evidence.origin.file, evidence.link.name, step.name
                                ),
                                link_subject(step, scope, &evidence.origin),
                            )
                            .with_help("a link is evidence for the step it names only; the functionary must record this step"),
                        );
                        skipped.push(evidence.origin.file.clone());
                        continue;
                    }
                    let functionary = evidence.functionary.clone();
                    let origin = evidence.origin.clone();
                    (functionary, origin, Collected::Evidence(evidence))
                }
                Found::Sublayout(sublayout) => {
                    present += 1;
                    let functionary = sublayout.functionary.clone();
                    let origin = sublayout.origin.clone();
                    (functionary, origin, Collected::Sublayout(sublayout))
                }
            };
            if counted
                .iter()
                .any(|c: &Functionary| c.is_same_party(&functionary))
            {
                let who = match &functionary {
                    Functionary::Key(_) => format!("key {}", origin.keyid()),
                    other => other.to_string(),
                };
                self.push(Diagnostic::new(
                    Code::LinkDuplicateFunctionary,
                    format!(
                        "{} is by a functionary ({who}) who already has a link for step '{}'; it counts once",
                        origin.file,
                        step.name
                    ),
                    link_subject(step, scope, &origin),
                ));
            }
            // Every functionary joins the count, so that one linking two
            // others (a key and a certificate for it) makes them one party.
            counted.push(functionary);
            collected.push(item);
        }
        let parties = crate::functionary::count_parties(&counted);
        self.threshold(step, scope, parties, present, &missing, &skipped);
        collected
    }

    /// Reports a file that is not evidence; returns it if it counts as
    /// present but not counted (a signature problem).
    fn rejected(
        &mut self,
        step: &Step,
        scope: &Scope<'_>,
        origin: &Origin,
        rejection: Rejection,
    ) -> Option<String> {
        let file = &origin.file;
        let subject = link_subject(step, scope, origin);
        let e = match rejection {
            Rejection::Malformed(problem) => {
                self.push(
                    Diagnostic::new(
                        Code::LinkMalformed,
                        format!("{file} is not valid link metadata: {problem}"),
                        subject,
                    )
                    .with_help("the file must be a signed link (or sublayout) in the legacy or DSSE format; replace it, or remove it if the functionary did not carry out the step"),
                );
                return None;
            }
            Rejection::Signature(e) => e,
        };
        let (code, message) = match &e {
            SignatureError::NoSignature { .. } => (
                Code::LinkSignatureMissing,
                format!(
                    "{file} is not signed by key {}, whose link it is named as; it does not count",
                    origin.keyid()
                ),
            ),
            SignatureError::KeyExpired { keyid, expired_at } => (
                Code::LinkKeyExpired,
                format!(
                    "{file} is signed by key {keyid}, which expired at unix time {expired_at}; it does not count"
                ),
            ),
            SignatureError::Certificate { .. } => (
                Code::LinkCertificateRejected,
                format!("{file}: {e}; it does not count"),
            ),
            other => (
                Code::LinkSignatureInvalid,
                format!("{file}: {other}; it does not count"),
            ),
        };
        self.push(Diagnostic::new(code, message, subject));
        Some(file.clone())
    }

    /// The step's threshold of distinct functionaries, `valid` of them
    /// counted.
    fn threshold(
        &mut self,
        step: &Step,
        scope: &Scope<'_>,
        valid: usize,
        present: usize,
        missing: &[String],
        skipped: &[String],
    ) {
        if step.threshold.is_met_by(valid) {
            return;
        }
        let mut message = format!(
            "step '{}' needs links from {} distinct authorized functionar{}, found {valid} valid",
            step.name,
            step.threshold,
            if step.threshold == Threshold::ONE {
                "y"
            } else {
                "ies"
            }
        );
        if !missing.is_empty() {
            message.push_str(&format!("; missing: {}", missing.join(", ")));
        }
        if !skipped.is_empty() {
            message.push_str(&format!("; not counted: {}", skipped.join(", ")));
        }
        let threshold = step.threshold;
        let reference = if !threshold.is_met_by(present) {
            (
                "LinkNotFoundError",
                format!(
                    "Step '{}' requires '{threshold}' link metadata file(s), found '{present}'.",
                    step.name
                ),
            )
        } else {
            (
                "ThresholdVerificationError",
                format!(
                    "Step '{}' requires at least '{threshold}' links validly signed by different authorized functionaries. Only found '{valid}'",
                    step.name
                ),
            )
        };
        self.push(
            Diagnostic::new(Code::ThresholdNotMet, message, scope.item(&step.name, ItemKind::Step))
                .with_help("each authorized functionary records the step and puts its signed <step>.<keyid prefix>.link in the link folder")
                .with_reference(reference.0, reference.1),
        );
    }
}

/// The subject of a finding about one evidence file.
pub(crate) fn link_subject(step: &Step, scope: &Scope<'_>, origin: &Origin) -> Subject {
    Subject {
        link_file: Some(origin.file.clone()),
        keyid: Some(origin.keyid().clone()),
        ..scope.item(&step.name, ItemKind::Step)
    }
}
