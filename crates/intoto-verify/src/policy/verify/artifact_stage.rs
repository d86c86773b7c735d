//! Stage 4 of policy verification: each counted attestation's artifact
//! rules (sublayouts verified first, standing for their step with their
//! summary), and stage 5: the final artifacts among the attested subjects.

use std::collections::{BTreeMap, BTreeSet};

use intoto_model::{ArtifactRule, ArtifactType};

use super::counting::Counting;
use super::{FinalArtifact, PolicyVerifier, Run, attestation_subject, short};
use crate::artifacts::Digests;
use crate::diagnostic::{Code, Diagnostic, Subject};
use crate::policy::artifacts::{AttestedArtifacts, merged};
use crate::policy::layout::Policy;
use crate::rules::ItemKind;
use crate::rules::engine::{self, Detail, DigestMatch, Lists, RuleList};
use crate::session::Scope;
use crate::stage::rules::violation_diagnostic;

impl Run<'_> {
    /// Stage 4: every counted attestation's artifacts (a sublayout's
    /// summary, verified first) against its step's artifact rules; the
    /// artifacts of each step for MATCH rules and the summary, or `None`
    /// when a sublayout failed.
    pub(super) fn artifacts(
        &mut self,
        verifier: &PolicyVerifier<'_>,
        policy: &Policy,
        counting: &Counting<'_>,
    ) -> Option<BTreeMap<String, AttestedArtifacts>> {
        let mut artifacts: BTreeMap<usize, AttestedArtifacts> = BTreeMap::new();
        let mut sublayout_failed = false;
        for (step, indices) in &counting.by_step {
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
                        let listed = counting.listed_by.get(&i).cloned().unwrap_or_default();
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
            return None;
        }
        let destinations: BTreeMap<String, AttestedArtifacts> = counting
            .by_step
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
            for &i in counting.by_step.get(name).into_iter().flatten() {
                let Some(own) = artifacts.get(&i) else {
                    continue;
                };
                let a = &self.attestations[i];
                let listed = counting.listed_by.get(&i).cloned().unwrap_or_default();
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
        Some(destinations)
    }

    /// One item's materials and products rules over its artifacts.
    pub(super) fn artifact_rules(
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
    pub(super) fn final_artifacts(
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
