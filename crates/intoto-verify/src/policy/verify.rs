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

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Inspection, KeyId, Statement};
use serde_json::Value;

use super::artifacts::{AttestedArtifacts, merged};
use super::attribute::{AttributeInput, AttributeRule, CompiledRule, Outcome};
use super::binding::{Attestation, BindingProblem, SubPolicy, bind};
use super::layout::{ExpectedPredicate, Policy, PolicyError};
use crate::artifacts::Digests;
use crate::chain::{ChainLink, ReturnValue};
use crate::diagnostic::{AttributeSubject, Code, Diagnostic, Subject, Verdict};
use crate::rules::ItemKind;
use crate::rules::engine::{self, Detail, DigestMatch, Lists, RuleList};
use crate::session::Scope;
use crate::stage::rules::violation_diagnostic;
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
    statement.predicate.get("name").and_then(Value::as_str)
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
            return;
        }
        for a in self.attestations.iter().filter(|a| a.signers.is_empty()) {
            self.push(Diagnostic::new(
                Code::AttestationUnsigned,
                format!("{}: no signature by a functionary of the policy verifies; it does not count", a.origin),
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
                return;
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

        // Thresholds and attribute rules.
        let mut counted_by_step: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        let mut listed_by: BTreeMap<usize, Vec<KeyId>> = BTreeMap::new();
        let mut must_agree: Vec<(&str, &ExpectedPredicate, Vec<usize>)> = Vec::new();
        for (s, step) in policy.steps.iter().enumerate() {
            let name = step.name.as_str();
            let bound: &[usize] = binding.steps.get(name).map_or(&[], Vec::as_slice);
            let counted_here = counted_by_step.entry(name).or_default();
            for (j, expected) in step.expected_predicates.iter().enumerate() {
                let mut functionaries: BTreeSet<&KeyId> = BTreeSet::new();
                let mut counted = Vec::new();
                for &i in bound {
                    let a = &self.attestations[i];
                    if a.statement.predicate_type != expected.predicate_type {
                        continue;
                    }
                    let listed: Vec<KeyId> = expected
                        .functionaries
                        .iter()
                        .filter(|k| a.signers.contains(*k))
                        .cloned()
                        .collect();
                    if listed.is_empty() {
                        continue;
                    }
                    for k in &expected.functionaries {
                        if a.signers.contains(k) {
                            functionaries.insert(k);
                        }
                    }
                    counted.push(i);
                    counted_here.insert(i);
                    listed_by.entry(i).or_default().extend(listed);
                }
                let needed = usize::try_from(expected.threshold.get()).unwrap_or(usize::MAX);
                if functionaries.len() < needed {
                    let found = if counted.is_empty() {
                        "none was found".to_owned()
                    } else {
                        format!(
                            "found {} ({}) in {}",
                            functionaries.len(),
                            functionaries
                                .iter()
                                .map(|k| short(k))
                                .collect::<Vec<_>>()
                                .join(", "),
                            counted
                                .iter()
                                .map(|&i| self.attestations[i].origin.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    self.push(
                        Diagnostic::new(
                            Code::ThresholdNotMet,
                            format!(
                                "step '{name}': needs {needed} {} attestation(s) by distinct functionaries among [{}]; {found}",
                                expected.predicate_type,
                                expected.functionaries.iter().map(short).collect::<Vec<_>>().join(", "),
                            ),
                            Subject {
                                item: Some(name.to_owned()),
                                item_kind: Some(ItemKind::Step),
                                predicate_type: Some(expected.predicate_type.clone()),
                                ..Subject::default()
                            },
                        )
                        .with_help("each listed functionary signs its own attestation of the step; an unlisted key, an invalid signature or another predicate type does not count"),
                    );
                }
                for &i in &counted {
                    self.attribute_rules(
                        name,
                        ItemKind::Step,
                        &self.attestations[i],
                        &expected.functionaries,
                        &compiled.steps[s][j],
                    );
                }
                if expected.threshold.is_multiple() {
                    must_agree.push((name, expected, counted));
                }
            }
            for &i in bound {
                let a = &self.attestations[i];
                if !counted_here.contains(&i) && !a.signers.is_empty() {
                    self.push(Diagnostic::new(
                        Code::AttestationNotExpected,
                        format!(
                            "{}: step '{name}' expects no {} attestation from its signers ({}); it does not count",
                            a.origin, a.statement.predicate_type, signers(a)
                        ),
                        attestation_subject(name, ItemKind::Step, a, &[]),
                    ));
                }
            }
        }
        // Functionaries of a threshold attest the same artifacts.
        for (step, expected, counted) in &must_agree {
            self.agreement(step, expected, counted);
        }
        for (step, indices) in &counted_by_step {
            let counted = indices
                .iter()
                .map(|&i| {
                    let a = &self.attestations[i];
                    let mut functionaries = listed_by.get(&i).cloned().unwrap_or_default();
                    functionaries.sort();
                    functionaries.dedup();
                    Counted {
                        origin: a.origin.clone(),
                        predicate_type: a.statement.predicate_type.clone(),
                        functionaries,
                    }
                })
                .collect();
            self.verdict.counted.insert((*step).to_owned(), counted);
        }

        // Artifact rules.
        let mut artifacts: BTreeMap<usize, AttestedArtifacts> = BTreeMap::new();
        let mut sublayout_failed = false;
        for (step, indices) in &counted_by_step {
            for &i in indices {
                let a = &self.attestations[i];
                if let Some(sub) = &a.sublayout {
                    let mut folder = self.folder.clone();
                    folder.push(a.origin.clone());
                    let (findings, summary) = verifier.sublayout(sub, folder);
                    self.verdict.verdict.diagnostics.extend(findings);
                    match summary {
                        Some(summary) => {
                            artifacts.insert(i, summary);
                        }
                        None => sublayout_failed = true,
                    }
                    continue;
                }
                match AttestedArtifacts::of(&a.statement) {
                    Ok(found) => {
                        artifacts.insert(i, found);
                    }
                    Err(e) => {
                        let listed = listed_by.get(&i).cloned().unwrap_or_default();
                        self.push(
                            Diagnostic::new(
                                Code::AttestationMalformed,
                                format!("{}: its artifacts cannot be read: {e}", a.origin),
                                attestation_subject(step, ItemKind::Step, a, &listed),
                            )
                            .with_severity_if(true, crate::Severity::Error),
                        );
                    }
                }
            }
        }
        // As in classic verification, a failed sublayout stops before the
        // artifact rules: its step has no artifacts to check them against.
        if sublayout_failed {
            return;
        }
        let mut destinations: BTreeMap<String, AttestedArtifacts> = counted_by_step
            .iter()
            .map(|(step, indices)| {
                (
                    (*step).to_owned(),
                    merged(indices.iter().filter_map(|i| artifacts.get(i))),
                )
            })
            .collect();
        for step in &policy.steps {
            let name = step.name.as_str();
            for &i in counted_by_step.get(name).into_iter().flatten() {
                let Some(own) = artifacts.get(&i) else {
                    continue;
                };
                let a = &self.attestations[i];
                let listed = listed_by.get(&i).cloned().unwrap_or_default();
                let subject = attestation_subject(name, ItemKind::Step, a, &listed);
                self.artifact_rules(
                    name,
                    ItemKind::Step,
                    own,
                    [&step.expected_materials, &step.expected_products],
                    &destinations,
                    &subject,
                );
            }
        }

        let (first, last) = (policy.steps.first(), policy.steps.last());
        self.summary = Some(AttestedArtifacts {
            materials: first
                .and_then(|s| destinations.get(s.name.as_str()))
                .map(|d| d.materials.clone())
                .unwrap_or_default(),
            products: last
                .and_then(|s| destinations.get(s.name.as_str()))
                .map(|d| d.products.clone())
                .unwrap_or_default(),
            transforms: true,
        });

        // Final artifacts.
        self.final_artifacts(policy, finals, &counted_by_step);

        // Inspections, only on a chain that passed so far, and not those
        // of sublayouts (commands a functionary chose).
        if self.errors() > 0 {
            return;
        }
        for (n, inspection) in policy.inspections.iter().enumerate() {
            let name = inspection.name.as_str();
            let subject = Subject {
                item: Some(name.to_owned()),
                item_kind: Some(ItemKind::Inspection),
                ..Subject::default()
            };
            if !self.folder.is_empty() {
                self.push(Diagnostic::new(
                    Code::InspectionSkipped,
                    format!(
                        "inspection '{name}' ({}) of the sublayout was not run: a sublayout's inspections are commands its functionary chose",
                        inspection.run.join(" ")
                    ),
                    subject,
                ));
                continue;
            }
            let mut model = Inspection::new(name, inspection.run.clone());
            model
                .expected_materials
                .clone_from(&inspection.expected_materials);
            model
                .expected_products
                .clone_from(&inspection.expected_products);
            let link = match verifier.inspections.run(&model) {
                Ok(link) => link,
                Err(e) => {
                    self.push(Diagnostic::new(
                        Code::InspectionNotRun,
                        format!("inspection '{name}' ({}): {}", inspection.run.join(" "), crate::error_chain(e.as_ref())),
                        subject,
                    ).with_help("the inspection's command must be installed on the verifying machine, and finish within the inspection timeout"));
                    return;
                }
            };
            let chain = ChainLink::from_link(&link);
            match chain.return_value() {
                Some(ReturnValue::Integer(0)) => {}
                other => {
                    let seen = match other {
                        Some(ReturnValue::Integer(n)) => format!("returned {n}"),
                        Some(ReturnValue::Other(v)) => format!("returned the non-integer {v}"),
                        None => "recorded no return value".to_owned(),
                    };
                    self.push(Diagnostic::new(
                        Code::InspectionFailed,
                        format!("inspection '{name}' ({}) {seen}", inspection.run.join(" ")),
                        subject,
                    ));
                    return;
                }
            }
            let statement = Statement::from_link(&link);
            let origin = format!("inspection '{name}'");
            let as_attestation = Attestation::new(origin, statement, BTreeSet::new());
            self.attribute_rules(
                name,
                ItemKind::Inspection,
                &as_attestation,
                &[],
                &compiled.inspections[n],
            );
            let own = AttestedArtifacts {
                materials: (*chain.materials).clone(),
                products: (*chain.products).clone(),
                transforms: true,
            };
            self.artifact_rules(
                name,
                ItemKind::Inspection,
                &own,
                [
                    &inspection.expected_materials,
                    &inspection.expected_products,
                ],
                &destinations,
                &subject,
            );
            destinations.insert(name.to_owned(), own);
        }
    }

    /// `artifacts-disagree` when the attestations counted for an expected
    /// predicate with a threshold above one record different materials or
    /// products: a name only one of them has, or digests that do not agree.
    /// Otherwise one functionary's claims would stand for all of them: a
    /// MATCH reads the first attestation's artifacts, and a final artifact
    /// is accepted as a subject of any.
    fn agreement(&mut self, step: &str, expected: &ExpectedPredicate, counted: &[usize]) {
        let Some((&first, others)) = counted.split_first() else {
            return;
        };
        let a = &self.attestations[first];
        // An attestation whose artifacts cannot be read is reported with the
        // artifact rules.
        let Ok(reference) = AttestedArtifacts::of(&a.statement) else {
            return;
        };
        for &i in others {
            let b = &self.attestations[i];
            let Ok(other) = AttestedArtifacts::of(&b.statement) else {
                continue;
            };
            for (artifact_type, x, y) in [
                (
                    ArtifactType::Materials,
                    &reference.materials,
                    &other.materials,
                ),
                (ArtifactType::Products, &reference.products, &other.products),
            ] {
                let differing: Vec<&str> = x
                    .iter()
                    .filter(|(n, d)| y.get(n).is_none_or(|e| !d.agrees_with(e)))
                    .map(|(n, _)| n)
                    .chain(y.names().filter(|n| !x.contains(n)))
                    .collect();
                let Some(&path) = differing.first() else {
                    continue;
                };
                let count = differing.len();
                let describe = |d: Option<&Digests>| match d {
                    Some(d) => crate::rules::short_digest(&d.to_set()),
                    None => "absent".to_owned(),
                };
                let field = artifact_type.field();
                let message = format!(
                    "step '{step}': {} attestations {} and {} record different {field}: '{path}' is {} in one and {} in the other ({count} artifact{} differ{}); with threshold {} each functionary must attest the same artifacts",
                    expected.predicate_type,
                    a.origin,
                    b.origin,
                    describe(x.get(path)),
                    describe(y.get(path)),
                    if count == 1 { "" } else { "s" },
                    if count == 1 { "s" } else { "" },
                    expected.threshold,
                );
                let mut subject =
                    attestation_subject(step, ItemKind::Step, a, &expected.functionaries);
                subject.other_link_file = Some(b.origin.clone());
                subject.artifacts = vec![crate::diagnostic::ArtifactSubject {
                    path: path.to_owned(),
                    digests: x.get(path).map(Digests::to_set),
                    compared_with: Some(crate::diagnostic::Compared {
                        location: b.origin.clone(),
                        path: path.to_owned(),
                        digests: y.get(path).map(Digests::to_set),
                    }),
                }];
                subject.artifact_count = count;
                self.push(
                    Diagnostic::new(Code::ArtifactsDisagree, message, subject).with_help(
                        "functionaries of a step with a threshold must attest the same artifacts; one of them worked on different inputs or was tampered with",
                    ),
                );
                break;
            }
        }
    }

    /// One attestation's attribute rules.
    fn attribute_rules(
        &mut self,
        item: &str,
        kind: ItemKind,
        a: &Attestation,
        listed: &[KeyId],
        rules: &[CompiledRule],
    ) {
        if rules.is_empty() {
            return;
        }
        let input = AttributeInput::for_rules(
            rules,
            &a.statement.predicate_type,
            &a.statement.predicate,
            &a.statement.subject,
        );
        for (k, rule) in rules.iter().enumerate() {
            let outcome = match &input {
                Ok(input) => rule.evaluate_input(input),
                Err(e) => Outcome::Error(e.to_string()),
            };
            let (code, seen, value_seen) = match &outcome {
                Outcome::Passed | Outcome::Skipped => continue,
                Outcome::Failed { value_seen, reads } => (
                    Code::AttributeFailed,
                    if reads.is_empty() {
                        format!("it evaluated to {value_seen}")
                    } else {
                        format!("it evaluated to {value_seen} ({})", reads.join("; "))
                    },
                    value_seen.clone(),
                ),
                Outcome::NoClaim { field } => {
                    let seen = format!("the attestation has no {field:?}");
                    (Code::AttributeNoClaim, seen.clone(), seen)
                }
                Outcome::Error(message) => (Code::AttributeError, message.clone(), message.clone()),
            };
            let code = if rule.is_warning(&outcome) {
                Code::AttributeWarned
            } else {
                code
            };
            let debug = rule.debug().map(str::to_owned);
            let mut subject = attestation_subject(item, kind, a, listed);
            let about = match (kind, &subject.keyid) {
                (ItemKind::Inspection, _) => format!(
                    "inspection '{item}': its link ({})",
                    a.statement.predicate_type
                ),
                (_, Some(keyid)) => format!(
                    "step '{item}': {} attestation {} by {}",
                    a.statement.predicate_type,
                    a.origin,
                    short(keyid)
                ),
                (_, None) => format!(
                    "step '{item}': {} attestation {}",
                    a.statement.predicate_type, a.origin
                ),
            };
            let mut message = format!(
                "{about}: rule {k} `{}` does not hold: {seen}",
                rule.source()
            );
            if let Some(debug) = &debug {
                message.push_str(" — ");
                message.push_str(debug);
            }
            subject.attribute = Some(AttributeSubject {
                index: k,
                rule: rule.source().to_owned(),
                debug,
                value_seen: Some(value_seen),
            });
            let help = match code {
                Code::AttributeNoClaim => {
                    "the attestation does not make the claim the rule reads; set `allowIfNoClaim: true` on the rule if its absence is acceptable"
                }
                Code::AttributeError => {
                    "the rule could not be evaluated over this attestation: check the types of the fields it reads"
                }
                _ => {
                    "the attestation's claims break the policy: either the supply chain is not as the policy requires, or the rule must change"
                }
            };
            self.push(Diagnostic::new(code, message, subject).with_help(help));
        }
    }

    /// One item's materials and products rules over its artifacts.
    fn artifact_rules(
        &mut self,
        item: &str,
        kind: ItemKind,
        own: &AttestedArtifacts,
        lists: [&Vec<ArtifactRule>; 2],
        destinations: &BTreeMap<String, AttestedArtifacts>,
        subject: &Subject,
    ) {
        let lookup = |name: &str| {
            destinations.get(name).map(|d| Lists {
                materials: &d.materials,
                products: &d.products,
            })
        };
        let own_lists = Lists {
            materials: &own.materials,
            products: &own.products,
        };
        for (artifact_type, rules) in [ArtifactType::Materials, ArtifactType::Products]
            .into_iter()
            .zip(lists)
        {
            if artifact_type == ArtifactType::Products && !own.transforms {
                continue;
            }
            let list = RuleList {
                item,
                item_kind: Some(kind),
                artifact_type,
                rules,
                digests: DigestMatch::Shared,
            };
            if let Err(violation) = engine::evaluate(&list, own_lists, &lookup, Detail::None) {
                let mut diagnostic = violation_diagnostic(
                    &violation,
                    subject.link_file.as_ref(),
                    &Scope { folder: &[] },
                );
                diagnostic.subject.keyid.clone_from(&subject.keyid);
                diagnostic
                    .subject
                    .predicate_type
                    .clone_from(&subject.predicate_type);
                if let Some(origin) = &subject.link_file {
                    let by = subject
                        .keyid
                        .as_ref()
                        .map(|k| format!(" by {}", short(k)))
                        .unwrap_or_default();
                    diagnostic.message = format!("{origin}{by}: {}", diagnostic.message);
                }
                self.push(diagnostic);
            }
        }
    }

    /// Each final artifact must be a subject of a counted attestation of a
    /// subject step (every step when the policy names none).
    fn final_artifacts(
        &mut self,
        policy: &Policy,
        finals: &[FinalArtifact],
        counted_by_step: &BTreeMap<&str, BTreeSet<usize>>,
    ) {
        let steps: Vec<&str> = if policy.subjects.is_empty() {
            policy.steps.iter().map(|s| s.name.as_str()).collect()
        } else {
            policy.subjects.iter().map(|s| s.as_str()).collect()
        };
        if finals.is_empty() {
            if !policy.subjects.is_empty() {
                self.push(Diagnostic::new(
                    Code::SubjectsMissing,
                    format!("the policy requires the final artifacts attested by step(s) {}, and none was given", steps.join(", ")),
                    Subject::default(),
                ).with_help("give the artifacts being released, so they are checked against what the policy's steps attest"));
            }
            return;
        }
        for f in finals {
            let wanted = Digests::from_set(f.digests.clone());
            let attested = steps.iter().any(|step| {
                counted_by_step.get(step).into_iter().flatten().any(|&i| {
                    self.attestations[i].statement.subject.iter().any(|d| {
                        d.digest.as_ref().is_some_and(|digest| {
                            Digests::from_set(digest.clone()).agrees_with(&wanted)
                        })
                    })
                })
            });
            if !attested {
                self.push(
                    Diagnostic::new(
                        Code::SubjectNotAttested,
                        format!(
                            "final artifact {}: no counted attestation of step(s) {} has a subject with its digests",
                            f.name,
                            steps.join(", ")
                        ),
                        Subject {
                            artifacts: vec![crate::diagnostic::ArtifactSubject {
                                path: f.name.clone(),
                                digests: Some(f.digests.clone()),
                                compared_with: None,
                            }],
                            artifact_count: 1,
                            ..Subject::default()
                        },
                    )
                    .with_help("the artifact is not the one the supply chain produced: it was changed after the step that attests it, or is another build"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
