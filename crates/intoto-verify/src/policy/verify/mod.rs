//! Verifying a policy against attestations (ITE-10/11), in stages like a
//! classic layout's:
//!
//! 1. the policy's expiry;
//! 2. binding attestations to steps ([`super::binding`]): an ambiguous
//!    binding, or a link attestation naming another step, is an error;
//!    unsigned, unbound and unexpected attestations are warnings and do not
//!    count;
//! 3. for each step and expected predicate, the threshold of **distinct**
//!    listed functionaries, and every counted attestation's attribute rules
//!    ([`super::attribute`]); with a threshold above one, the counted
//!    attestations must record the same materials and products (names, and
//!    digests that agree), as a classic step's links must;
//! 4. every counted attestation's artifact rules, with the classic engine
//!    over its materials and products ([`super::artifacts`]); a MATCH looks
//!    up the named step's attestations, merged. Digest sets are the same
//!    artifact when they share an accepted algorithm and agree on every
//!    algorithm they share;
//! 5. the final artifacts (`--subject`) among the subjects of the policy's
//!    `subjects` steps;
//! 6. inspections, run only when nothing failed before, with their artifact
//!    and attribute rules.
//!
//! A step whose expected predicate is
//! [`SUBLAYOUT_V0_1`](intoto_model::predicate::kind::SUBLAYOUT_V0_1) is
//! delegated: its functionary signs a policy of its own ([`SubPolicy`]),
//! verified recursively over its own attestations (at most
//! [`MAX_SUBLAYOUT_DEPTH`] deep; its inspections are not run). A sublayout
//! that passes stands for the step with its summary: its first step's
//! materials and its last step's products; its findings are the root's,
//! under its origin.
//!
//! Every finding is a [`Diagnostic`] naming the step, the attestation, the
//! functionary, the predicate type and the rule, in one [`Verdict`].
//! Unlike the attestation verifier, every counted attestation must pass its
//! rules: a listed functionary attesting what breaks the policy fails it,
//! even when others meet the threshold.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use intoto_model::{DigestSet, KeyId, Statement};

use super::artifacts::AttestedArtifacts;
use super::attribute::{AttributeRule, CompiledRule};
use super::binding::{Attestation, Binding, BindingProblem, SubPolicy, bind};
use super::layout::{Policy, PolicyError};
use crate::diagnostic::{Code, Diagnostic, Subject, Verdict};
use crate::rules::ItemKind;
use crate::verifier::{InspectionRunner, MAX_SUBLAYOUT_DEPTH, NoInspections};

/// A final artifact to find among the attested subjects (`--subject`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinalArtifact {
    /// Its name, for messages.
    pub name: String,
    /// Its digests.
    pub digests: DigestSet,
}

impl FinalArtifact {
    /// The artifact `name` with `digests`.
    pub fn new(name: impl Into<String>, digests: DigestSet) -> Self {
        Self {
            name: name.into(),
            digests,
        }
    }
}

/// An attestation that counted for a step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counted {
    /// Where it came from.
    pub origin: String,
    /// Its predicate type.
    pub predicate_type: String,
    /// The listed functionaries that signed it.
    pub functionaries: Vec<KeyId>,
}

/// The outcome of verifying a policy.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PolicyVerdict {
    /// The findings.
    pub verdict: Verdict,
    /// Step (and inspection) name → the attestations that counted for it.
    pub counted: BTreeMap<String, Vec<Counted>>,
}

/// Verifies policies at a given time, running inspections through a runner.
pub struct PolicyVerifier<'a> {
    now: DateTime<Utc>,
    inspections: &'a dyn InspectionRunner,
    parameters: BTreeMap<String, String>,
}

/// Each expected predicate's compiled attribute rules, by step, then each
/// inspection's.
struct Compiled {
    steps: Vec<Vec<Vec<CompiledRule>>>,
    inspections: Vec<Vec<CompiledRule>>,
}

impl<'a> PolicyVerifier<'a> {
    /// A verifier at time `now` that runs no inspections.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            inspections: &NoInspections,
            parameters: BTreeMap::new(),
        }
    }

    /// Runs inspections through `runner`.
    #[must_use]
    pub fn inspections(mut self, runner: &'a dyn InspectionRunner) -> Self {
        self.inspections = runner;
        self
    }

    /// Substitutes `parameters` into attribute rules (the policy's artifact
    /// rules were substituted when it was read).
    #[must_use]
    pub fn parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Verifies `attestations` (signatures already checked) and the final
    /// artifacts `finals` against `policy`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Attribute`] when an attribute rule does not compile:
    /// the policy is then not verifiable, whatever the attestations.
    pub fn verify(
        &self,
        policy: &Policy,
        attestations: &[Attestation],
        finals: &[FinalArtifact],
    ) -> Result<PolicyVerdict, PolicyError> {
        let compiled = self.compile(policy)?;
        let mut run = Run {
            verdict: PolicyVerdict::default(),
            attestations,
            folder: Vec::new(),
            summary: None,
        };
        run.verify(self, policy, &compiled, finals);
        Ok(run.verdict)
    }

    /// Verifies a sublayout in `folder` (its origin, under its parents'):
    /// its findings, and its summary when it passed.
    fn sublayout(
        &self,
        sub: &SubPolicy,
        folder: Vec<String>,
    ) -> (Vec<Diagnostic>, Option<AttestedArtifacts>) {
        let mut run = Run {
            verdict: PolicyVerdict::default(),
            attestations: &sub.attestations,
            folder,
            summary: None,
        };
        if run.folder.len() > MAX_SUBLAYOUT_DEPTH {
            run.push(Diagnostic::new(
                Code::SublayoutTooDeep,
                format!(
                    "sublayouts nest deeper than {MAX_SUBLAYOUT_DEPTH}: {}",
                    run.folder.join(" > ")
                ),
                Subject::default(),
            ));
            return (run.verdict.verdict.diagnostics, None);
        }
        match self.compile(&sub.policy) {
            Ok(compiled) => run.verify(self, &sub.policy, &compiled, &[]),
            Err(e) => run.push(Diagnostic::new(
                Code::AttributeError,
                format!("the sublayout cannot be verified: {e}"),
                Subject::default(),
            )),
        }
        let passed = run.verdict.verdict.passed();
        (
            run.verdict.verdict.diagnostics,
            run.summary.filter(|_| passed),
        )
    }

    fn compile(&self, policy: &Policy) -> Result<Compiled, PolicyError> {
        let compile_all = |rules: &[AttributeRule], path: &str, item: &str| {
            rules
                .iter()
                .enumerate()
                .map(|(k, rule)| {
                    CompiledRule::compile(rule, &self.parameters).map_err(|source| {
                        PolicyError::Attribute {
                            field: format!("{path}.expectedAttributes[{k}]"),
                            item: item.to_owned(),
                            source,
                        }
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut steps = Vec::new();
        for (i, step) in policy.steps.iter().enumerate() {
            let mut predicates = Vec::new();
            for (j, expected) in step.expected_predicates.iter().enumerate() {
                predicates.push(compile_all(
                    &expected.expected_attributes,
                    &format!("steps[{i}].expectedPredicates[{j}]"),
                    step.name.as_str(),
                )?);
            }
            steps.push(predicates);
        }
        let inspections = policy
            .inspections
            .iter()
            .enumerate()
            .map(|(i, inspection)| {
                compile_all(
                    &inspection.expected_attributes,
                    &format!("inspections[{i}]"),
                    inspection.name.as_str(),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(Compiled { steps, inspections })
    }
}

/// One verification in progress: of the root policy, or of a sublayout.
struct Run<'i> {
    verdict: PolicyVerdict,
    attestations: &'i [Attestation],
    /// The sublayouts this one is in (their origins), outermost first;
    /// empty for the root.
    folder: Vec<String>,
    /// The chain's summary: its first step's materials and its last
    /// step's products.
    summary: Option<AttestedArtifacts>,
}

/// Who and what a finding about one attestation is about.
fn attestation_subject(step: &str, kind: ItemKind, a: &Attestation, listed: &[KeyId]) -> Subject {
    Subject {
        item: Some(step.to_owned()),
        item_kind: Some(kind),
        link_file: Some(a.origin.clone()),
        keyid: listed
            .iter()
            .find(|k| a.signers.contains(*k))
            .or_else(|| a.signers.iter().next())
            .cloned(),
        predicate_type: Some(a.statement.predicate_type.clone()),
        ..Subject::default()
    }
}

/// `predicate.name` of a link statement.
fn link_step_name(statement: &Statement) -> Option<&str> {
    if !statement.is_link() {
        return None;
    }
    statement
        .predicate
        .get("name")
        .and_then(serde_json::Value::as_str)
}

/// The functionaries that signed an attestation, by their keyids' first 8
/// characters.
fn signers(a: &Attestation) -> String {
    a.signers.iter().map(short).collect::<Vec<_>>().join(", ")
}

fn short(keyid: &KeyId) -> String {
    keyid.as_str().chars().take(8).collect()
}

impl Run<'_> {
    fn push(&mut self, mut diagnostic: Diagnostic) {
        tracing::debug!(code = diagnostic.code.as_str(), "{}", diagnostic.message);
        if diagnostic.subject.sublayout.is_empty() {
            diagnostic.subject.sublayout.clone_from(&self.folder);
        }
        self.verdict.verdict.diagnostics.push(diagnostic);
    }

    fn errors(&self) -> usize {
        self.verdict.verdict.errors().count()
    }

    fn verify(
        &mut self,
        verifier: &PolicyVerifier<'_>,
        policy: &Policy,
        compiled: &Compiled,
        finals: &[FinalArtifact],
    ) {
        if self.expired(verifier, policy) {
            return;
        }
        let Some(binding) = self.bind(policy) else {
            return;
        };
        let counting = self.count(policy, compiled, &binding);
        let Some(destinations) = self.artifacts(verifier, policy, &counting) else {
            return;
        };
        self.final_artifacts(policy, finals, &counting.by_step);
        // Inspections, only on a chain that passed so far.
        if self.errors() > 0 {
            return;
        }
        self.inspections(verifier, policy, compiled, destinations);
    }

    /// Stage 1: the policy's expiry.
    fn expired(&mut self, verifier: &PolicyVerifier<'_>, policy: &Policy) -> bool {
        if policy.expires.is_expired_at(verifier.now) {
            self.push(
                Diagnostic::new(
                    Code::LayoutExpired,
                    format!(
                        "the policy expired at {}",
                        policy.expires.at().format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                    Subject::default(),
                )
                .with_help("the policy owner must issue a policy with a later `expires`"),
            );
            return true;
        }
        false
    }

    /// Stage 2: binds the attestations to steps; `None` when a binding
    /// is ambiguous or a link names another step.
    fn bind(&mut self, policy: &Policy) -> Option<Binding> {
        for a in self.attestations.iter().filter(|a| a.signers.is_empty()) {
            let why = match a.identity_notes.is_empty() {
                true => String::new(),
                false => format!(" ({})", a.identity_notes.join("; ")),
            };
            self.push(Diagnostic::new(
                Code::AttestationUnsigned,
                format!("{}: no signature by a functionary of the policy verifies{why}; it does not count", a.origin),
                Subject {
                    link_file: Some(a.origin.clone()),
                    predicate_type: Some(a.statement.predicate_type.clone()),
                    ..Subject::default()
                },
            ).with_help("the attestation must be signed by a key the policy lists under `functionaries`, over the payload as received"));
        }
        let binding = match bind(policy, self.attestations) {
            Ok(binding) => binding,
            Err(problems) => {
                for problem in problems {
                    let (code, origin, step) = match &problem {
                        BindingProblem::Ambiguous { origin, .. } => {
                            (Code::BindingAmbiguous, origin, None)
                        }
                        BindingProblem::LinkName { origin, step, .. } => {
                            (Code::BindingLinkName, origin, Some(step))
                        }
                    };
                    let found = self.attestations.iter().find(|a| a.origin == *origin);
                    let subject = Subject {
                        item: step.cloned(),
                        item_kind: step.map(|_| ItemKind::Step),
                        link_file: Some(origin.clone()),
                        keyid: found.and_then(|a| a.signers.iter().next().cloned()),
                        predicate_type: found.map(|a| a.statement.predicate_type.clone()),
                        ..Subject::default()
                    };
                    self.push(Diagnostic::new(code, problem.to_string(), subject));
                }
                return None;
            }
        };
        for &i in &binding.unbound {
            let a = &self.attestations[i];
            if a.signers.is_empty() {
                continue;
            }
            let message = match &a.file_step {
                Some(step) => format!(
                    "{}: the policy has no step {step:?}; the attestation does not count",
                    a.origin
                ),
                None => match link_step_name(&a.statement) {
                    // A link in a bundle is only for the step it names.
                    Some(name) if !policy.steps.iter().any(|s| s.name.as_str() == name) => format!(
                        "{}: the link's predicate.name is {name:?}, and the policy has no step {name:?}; it does not count",
                        a.origin
                    ),
                    Some(name) => format!(
                        "{}: the link's predicate.name is {name:?}, and step '{name}' expects no {} attestation from its signers ({}); it does not count",
                        a.origin,
                        a.statement.predicate_type,
                        signers(a)
                    ),
                    None => format!(
                        "{}: no step of the policy expects a {} attestation from its signers ({}); it does not count",
                        a.origin,
                        a.statement.predicate_type,
                        signers(a)
                    ),
                },
            };
            self.push(Diagnostic::new(
                Code::AttestationUnbound,
                message,
                Subject {
                    link_file: Some(a.origin.clone()),
                    predicate_type: Some(a.statement.predicate_type.clone()),
                    ..Subject::default()
                },
            ));
        }
        Some(binding)
    }
}

mod artifact_stage;
mod counting;
mod inspections;

#[cfg(test)]
mod tests;
