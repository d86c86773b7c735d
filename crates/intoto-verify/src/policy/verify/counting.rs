//! Stage 3 of policy verification: which attestations count for each
//! expected predicate, the threshold of distinct functionaries, the
//! agreement of a threshold's attestations, and attribute rules.

use std::collections::{BTreeMap, BTreeSet};

use intoto_model::{ArtifactType, KeyId};

use super::{Compiled, Counted, Run, attestation_subject, short, signers};
use crate::artifacts::Digests;
use crate::diagnostic::{AttributeSubject, Code, Diagnostic, Subject};
use crate::policy::artifacts::AttestedArtifacts;
use crate::policy::attribute::{AttributeInput, CompiledRule, Outcome};
use crate::policy::binding::{Attestation, Binding};
use crate::policy::layout::{ExpectedPredicate, Policy};
use crate::rules::ItemKind;

/// The attestations that counted, by step, and the listed functionaries
/// that signed each.
pub(super) struct Counting<'p> {
    pub(super) by_step: BTreeMap<&'p str, BTreeSet<usize>>,
    pub(super) listed_by: BTreeMap<usize, Vec<KeyId>>,
}

impl Run<'_> {
    /// Stage 3: for each step and expected predicate, the attestations
    /// that count, the threshold of distinct functionaries, their
    /// agreement, and their attribute rules.
    pub(super) fn count<'p>(
        &mut self,
        policy: &'p Policy,
        compiled: &Compiled,
        binding: &Binding,
    ) -> Counting<'p> {
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
                let parties =
                    distinct_parties(counted.iter().map(|&i| &self.attestations[i]).flat_map(
                        |a| {
                            expected
                                .functionaries
                                .iter()
                                .filter(|k| a.signers.contains(*k))
                                .map(move |k| (k, a.parties.get(k)))
                        },
                    ));
                if parties < needed {
                    let found = if counted.is_empty() {
                        "none was found".to_owned()
                    } else {
                        format!(
                            "found {parties} ({}) in {}",
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
        Counting {
            by_step: counted_by_step,
            listed_by,
        }
    }

    /// `artifacts-disagree` when the attestations counted for an expected
    /// predicate with a threshold above one record different materials or
    /// products: a name only one of them has, or digests that do not agree.
    /// Otherwise one functionary's claims would stand for all of them: a
    /// MATCH reads the first attestation's artifacts, and a final artifact
    /// is accepted as a subject of any.
    pub(super) fn agreement(
        &mut self,
        step: &str,
        expected: &ExpectedPredicate,
        counted: &[usize],
    ) {
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
    pub(super) fn attribute_rules(
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
}

/// How many parties sign, among (policy entry, who signed) pairs: entries
/// whose signers are one party (the same key, certificate identity or
/// keyless identity) count once; an entry known only by its id is a party
/// of its own.
fn distinct_parties<'a>(
    signers: impl Iterator<Item = (&'a KeyId, Option<&'a crate::functionary::Functionary>)>,
) -> usize {
    let mut groups: Vec<Vec<(&KeyId, Option<&crate::functionary::Functionary>)>> = Vec::new();
    for (id, party) in signers {
        let same = |(other_id, other): &(&KeyId, Option<&crate::functionary::Functionary>)| {
            *other_id == id || matches!((party, other), (Some(a), Some(b)) if a.is_same_party(b))
        };
        let (joined, rest): (Vec<_>, Vec<_>) = groups.into_iter().partition(|g| g.iter().any(same));
        let mut merged: Vec<_> = joined.into_iter().flatten().collect();
        merged.push((id, party));
        groups = rest;
        groups.push(merged);
    }
    groups.len()
}
