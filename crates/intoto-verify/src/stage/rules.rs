//! Stages 8 and 10 of spec §5: each step's and inspection's artifact
//! rules, applied by the rule engine ([`crate::rules`]) to its link and the
//! links it matches against; and the summary link a verified (sub)layout
//! leaves behind.

use std::collections::BTreeMap;
use std::sync::Arc;

use intoto_model::{ArtifactType, Layout, SupplyChainItem};
use rayon::prelude::*;

use crate::chain::ChainLink;
use crate::diagnostic::{ArtifactSubject, Code, Compared, Diagnostic, RuleSubject, Subject};
use crate::rules::engine::{self, Detail, Lists, RuleList};
use crate::rules::{NearMissReason, RuleViolation, ViolationKind};
use crate::session::{Scope, Session};

impl Session<'_, '_> {
    /// Stages 8 and 10 for `items`: the materials and products rules of
    /// each, all lists applied in parallel (each reads only the links),
    /// then reported in the order of `items`, materials first.
    pub(crate) fn item_rules(
        &mut self,
        items: &[SupplyChainItem<'_>],
        links: &BTreeMap<String, ChainLink>,
        files: &BTreeMap<String, String>,
        scope: &Scope<'_>,
    ) {
        let detail = if self.verifier.traces {
            Detail::Full
        } else {
            Detail::None
        };
        let lists_to_apply: Vec<(SupplyChainItem<'_>, ArtifactType, &ChainLink)> = items
            .iter()
            .filter_map(|item| Some((*item, links.get(item.name())?)))
            .flat_map(|(item, own)| {
                [ArtifactType::Materials, ArtifactType::Products].map(|t| (item, t, own))
            })
            .collect();
        let outcomes: Vec<_> = lists_to_apply
            .par_iter()
            .map(|&(item, artifact_type, own)| {
                let lookup = |name: &str| links.get(name).map(lists);
                engine::evaluate(
                    &RuleList::of(item, artifact_type),
                    lists(own),
                    &lookup,
                    detail,
                )
            })
            .collect();
        for ((item, _, own), outcome) in lists_to_apply.into_iter().zip(outcomes) {
            match outcome {
                Ok(trace) => self.verdict.traces.extend(trace),
                Err(violation) => {
                    let (class, message) =
                        crate::reference::rule_violation(&violation, &own.materials, &own.products);
                    let diagnostic =
                        violation_diagnostic(&violation, files.get(item.name()), scope)
                            .with_reference(class, message);
                    self.push(diagnostic);
                    if self.verifier.traces {
                        self.verdict.traces.push(violation.trace);
                    }
                }
            }
        }
    }
}

pub(crate) fn lists(link: &ChainLink) -> Lists<'_> {
    Lists {
        materials: &link.materials,
        products: &link.products,
    }
}

/// The diagnostic for a failed rule list.
pub(crate) fn violation_diagnostic(
    violation: &RuleViolation,
    file: Option<&String>,
    scope: &Scope<'_>,
) -> Diagnostic {
    let code = match violation.kind {
        ViolationKind::DisallowMatched => Code::RuleDisallowMatched,
        ViolationKind::RequireMissing { .. } => Code::RuleRequireMissing,
        ViolationKind::MatchSourceUnresolved { .. } => Code::RuleMatchSourceUnresolved,
    };
    let artifacts = violation
        .artifacts
        .iter()
        .take(Subject::ARTIFACTS_KEPT)
        .map(|a| ArtifactSubject {
            path: a.path.clone(),
            digests: a.digests.clone(),
            compared_with: a.near_misses.iter().find_map(|m| match &m.reason {
                NearMissReason::DigestMismatch {
                    step,
                    artifact_type,
                    path,
                    destination_digests,
                    ..
                } => Some(Compared {
                    location: format!("{} of '{step}'", artifact_type.field()),
                    path: path.clone(),
                    digests: Some(destination_digests.clone()),
                }),
                NearMissReason::DestinationArtifactMissing {
                    step,
                    artifact_type,
                    path,
                } => Some(Compared {
                    location: format!("{} of '{step}'", artifact_type.field()),
                    path: path.clone(),
                    digests: None,
                }),
                _ => None,
            }),
        })
        .collect();
    let help = match &violation.kind {
        ViolationKind::DisallowMatched => {
            "no earlier rule accounts for the artifact: either the supply chain was tampered with, or the layout needs a rule (MATCH, CREATE, MODIFY, ALLOW) before this one that consumes it"
        }
        ViolationKind::RequireMissing { .. } => {
            "the artifact must be among the link's artifacts and not consumed by an earlier rule"
        }
        _ => {
            "the artifact's name cannot be resolved the way the reference resolves it; rename it or adjust the rule's IN prefix"
        }
    };
    Diagnostic::new(
        code,
        violation.to_string(),
        Subject {
            link_file: file.cloned(),
            rule: Some(RuleSubject {
                artifact_type: violation.artifact_type,
                index: violation.rule_index,
                text: violation.rule.to_string(),
            }),
            artifacts,
            artifact_count: violation.artifact_count,
            ..violation
                .item_kind
                .map_or_else(|| scope.subject(), |kind| scope.item(&violation.item, kind))
        },
    )
    .with_help(help)
}

/// The reference's `get_summary_link`: the first step's materials, the
/// last step's products, byproducts and command.
pub(crate) fn summary_link(
    layout: &Layout,
    reduced: &BTreeMap<String, ChainLink>,
    name: &str,
) -> ChainLink {
    let (Some(first), Some(last)) = (layout.steps.first(), layout.steps.last()) else {
        return ChainLink::empty("");
    };
    let (Some(first), Some(last)) = (reduced.get(&first.name), reduced.get(&last.name)) else {
        return ChainLink::empty(name);
    };
    ChainLink {
        name: name.to_owned(),
        command: last.command.clone(),
        byproducts: last.byproducts.clone(),
        materials: Arc::clone(&first.materials),
        products: Arc::clone(&last.products),
    }
}
