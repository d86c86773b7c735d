//! Stages 6 and 7 of spec §5: the commands links report against each
//! step's `expected_command`, and, for a step with a threshold above one,
//! agreement of its functionaries' links on their artifacts.

use std::collections::BTreeMap;

use intoto_crypto::Verified;
use intoto_model::{ArtifactType, KeyId, Layout, Step};

use crate::diagnostic::{ArtifactSubject, Code, Compared, Diagnostic, Subject};
use crate::evidence::Evidence;
use crate::rules::ItemKind;
use crate::session::{Scope, Session};

/// Each step's verified evidence, by step name.
pub(crate) type StepEvidence = BTreeMap<String, Vec<Verified<Evidence>>>;

impl Session<'_, '_> {
    /// Stage 6: links whose command differs from `expected_command`.
    pub(crate) fn commands(&mut self, layout: &Layout, evidence: &StepEvidence, scope: &Scope<'_>) {
        for step in &layout.steps {
            for e in evidence.get(&step.name).into_iter().flatten() {
                let link = &e.link;
                if link.command != step.expected_command {
                    self.push(
                        Diagnostic::new(
                            Code::CommandMismatch,
                            format!(
                                "{}: the command run was {:?}, step '{}' expects {:?}",
                                e.origin.file, link.command, step.name, step.expected_command
                            ),
                            Subject {
                                link_file: Some(e.origin.file.clone()),
                                keyid: Some(e.origin.keyid().clone()),
                                ..scope.item(&step.name, ItemKind::Step)
                            },
                        )
                        .with_reference(
                            "",
                            format!(
                                "Run command '{}' differs from expected command '{}'",
                                crate::reference::py_list(&link.command),
                                crate::reference::py_list(&step.expected_command)
                            ),
                        ),
                    );
                }
            }
        }
    }

    /// Stage 7: the links of a step with a threshold above one agree.
    pub(crate) fn agreement(
        &mut self,
        layout: &Layout,
        evidence: &StepEvidence,
        scope: &Scope<'_>,
    ) {
        for step in layout.steps.iter().filter(|s| s.threshold.is_multiple()) {
            let links = evidence
                .get(&step.name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let Some((first, others)) = links.split_first() else {
                continue;
            };
            for other in others {
                if let Some(diagnostic) = disagreement(step, first, other, scope) {
                    self.push(diagnostic);
                }
            }
        }
    }
}

/// `artifacts-disagree` if `link` differs from `reference` in materials or
/// products: names the first differing artifact.
fn disagreement(
    step: &Step,
    first: &Evidence,
    other: &Evidence,
    scope: &Scope<'_>,
) -> Option<Diagnostic> {
    let (reference, link) = (&first.link, &other.link);
    for (artifact_type, a, b) in [
        (
            ArtifactType::Materials,
            &reference.materials,
            &link.materials,
        ),
        (ArtifactType::Products, &reference.products, &link.products),
    ] {
        if a == b {
            continue;
        }
        let count = a.iter().filter(|(n, d)| b.get(n) != Some(*d)).count()
            + b.names().filter(|n| !a.contains(n)).count();
        let path = a
            .iter()
            .find(|(n, d)| b.get(n) != Some(*d))
            .map(|(n, _)| n)
            .or_else(|| b.names().find(|n| !a.contains(n)))
            .unwrap_or_default()
            .to_owned();
        let describe = |d: Option<&crate::artifacts::Digests>| match d {
            Some(d) => crate::rules::short_digest(&d.to_set()),
            None => "absent".to_owned(),
        };
        let field = artifact_type.field();
        let message = format!(
            "step '{}' (threshold {}): {} and {} record different {field}: '{path}' is {} in one and {} in the other ({count} artifact{} differ{})",
            step.name,
            step.threshold,
            first.origin.file,
            other.origin.file,
            describe(a.get(&path)),
            describe(b.get(&path)),
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" },
        );
        return Some(
            Diagnostic::new(
                Code::ArtifactsDisagree,
                message,
                Subject {
                    link_file: Some(first.origin.file.clone()),
                    other_link_file: Some(other.origin.file.clone()),
                    artifacts: vec![ArtifactSubject {
                        path: path.clone(),
                        digests: a.get(&path).map(crate::artifacts::Digests::to_set),
                        compared_with: Some(Compared {
                            location: other.origin.file.clone(),
                            path: path.clone(),
                            digests: b.get(&path).map(crate::artifacts::Digests::to_set),
                        }),
                    }],
                    artifact_count: count,
                    ..scope.item(&step.name, ItemKind::Step)
                },
            )
            .with_help("functionaries of a step with a threshold must record the same artifacts; one of them worked on different inputs or was tampered with")
            .with_reference(
                "ThresholdVerificationError",
                format!(
                    "Links '{}' and '{}' have different artifacts!",
                    short_link_name(&step.name, first.origin.keyid()),
                    short_link_name(&step.name, other.origin.keyid())
                ),
            ),
        );
    }
    None
}

/// `<step>.<first 8 characters of the keyid>.link`, as the reference
/// names links in its messages.
fn short_link_name(step: &str, keyid: &KeyId) -> String {
    let id = keyid.as_str();
    format!("{step}.{}.link", id.get(..8).unwrap_or(id))
}
