//! One rule list being applied: the queue, each rule's selection and
//! consumption, and the record of what each rule did (see [`super::engine`]).

use intoto_model::{ArtifactRule, ArtifactType, MatchRule};

use super::engine::{Detail, DigestMatch, Lists};
use super::path::{join_prefix, join_prefix_into, normalized_prefix};
use super::queue::{Lookup, Queue};
use super::trace::{ItemKind, RuleStep, RuleTrace};
use super::violation::{
    NEAR_MISSES_FOR, NearMiss, NearMissReason, OFFENDING_KEPT, OffendingArtifact, RuleViolation,
    ViolationKind,
};
use crate::artifacts::{ArtifactMap, Digests};
use intoto_model::ArtifactPattern;

/// One rule list being applied.
pub(super) struct Evaluation<'a, 'l> {
    pub(super) item: &'l str,
    pub(super) item_kind: Option<ItemKind>,
    pub(super) artifact_type: ArtifactType,
    pub(super) links: &'l dyn Fn(&str) -> Option<Lists<'a>>,
    /// The queued artifacts with their digests.
    pub(super) source: &'a ArtifactMap,
    /// The item's other list: products for a materials queue and the
    /// reverse.
    pub(super) other: &'a ArtifactMap,
    /// When two digest sets are the same artifact.
    pub(super) digests: DigestMatch,
}

/// What one rule did, while the list is being applied: queue positions.
struct Applied<'r> {
    index: usize,
    rule: &'r ArtifactRule,
    consumed: Vec<usize>,
    destination_link_missing: bool,
}

/// What a MATCH rule did.
enum MatchOutcome<'a> {
    /// The destination has no link: nothing consumed.
    NoLink,
    /// Queue positions to consume, ascending, all queued.
    Consumed(Vec<usize>),
    /// The reference would raise `KeyError` (see
    /// [`ViolationKind::MatchSourceUnresolved`]).
    Unresolved {
        queued: &'a str,
        source_path: String,
    },
}

impl<'a> Evaluation<'a, '_> {
    pub(super) fn run(
        &self,
        rules: &[ArtifactRule],
        detail: Detail,
    ) -> Result<Option<RuleTrace>, Box<RuleViolation>> {
        let mut queue = Queue::new(self.source);
        let mut applied: Vec<Applied<'_>> = Vec::with_capacity(rules.len());
        let is_products = self.artifact_type == ArtifactType::Products;
        for (index, rule) in rules.iter().enumerate() {
            let mut destination_link_missing = false;
            let consumed: Vec<usize> = match rule {
                ArtifactRule::Match(m) => match self.match_rule(m, &queue) {
                    MatchOutcome::NoLink => {
                        destination_link_missing = true;
                        Vec::new()
                    }
                    MatchOutcome::Consumed(consumed) => consumed,
                    MatchOutcome::Unresolved {
                        queued,
                        source_path,
                    } => {
                        let kind = ViolationKind::MatchSourceUnresolved { source_path };
                        let offending = [(queued, self.source.get(queued))];
                        return Err(self.violation(index, rule, kind, &offending, &applied, &queue));
                    }
                },
                // Products that are not materials: in a materials queue,
                // never any.
                ArtifactRule::Create(pattern) if is_products => {
                    let selected = queue.select(pattern);
                    let mut materials = Lookup::new(self.other);
                    selected
                        .into_iter()
                        .filter(|&i| materials.get(queue.name(i)).is_none())
                        .collect()
                }
                // Materials that are not products: in a products queue,
                // never any.
                ArtifactRule::Delete(pattern) if !is_products => {
                    let selected = queue.select(pattern);
                    let mut products = Lookup::new(self.other);
                    selected
                        .into_iter()
                        .filter(|&i| products.get(queue.name(i)).is_none())
                        .collect()
                }
                ArtifactRule::Create(_) | ArtifactRule::Delete(_) => Vec::new(),
                ArtifactRule::Modify(pattern) => {
                    let selected = queue.select(pattern);
                    let mut other = Lookup::new(self.other);
                    selected
                        .into_iter()
                        .filter(|&i| {
                            let (name, digests) = queue.entry(i);
                            other
                                .get(name)
                                .is_some_and(|d| !self.digests.same(d, digests))
                        })
                        .collect()
                }
                ArtifactRule::Allow(pattern) => queue.select(pattern),
                ArtifactRule::Disallow(pattern) => {
                    let matched = queue.select(pattern);
                    if !matched.is_empty() {
                        let kind = ViolationKind::DisallowMatched;
                        let offending: Vec<_> = matched
                            .iter()
                            .map(|&i| {
                                let (name, digests) = queue.entry(i);
                                (name, Some(digests))
                            })
                            .collect();
                        return Err(self.violation(index, rule, kind, &offending, &applied, &queue));
                    }
                    Vec::new()
                }
                ArtifactRule::Require(name) => {
                    if queue.queued(name).is_none() {
                        let position = self.source.position(name);
                        let consumed_by = position.and_then(|p| {
                            applied
                                .iter()
                                .find(|s| s.consumed.binary_search(&p).is_ok())
                                .map(|s| s.index)
                        });
                        let kind = ViolationKind::RequireMissing { consumed_by };
                        let offending = [(name.as_str(), self.source.get(name))];
                        return Err(self.violation(index, rule, kind, &offending, &applied, &queue));
                    }
                    Vec::new()
                }
            };
            queue.consume(&consumed);
            tracing::debug!(
                item = self.item,
                artifact_type = self.artifact_type.field(),
                rule.index = index,
                rule = %rule,
                consumed = consumed.len(),
                queue = queue.len(),
                destination_link_missing,
                "artifact rule applied"
            );
            applied.push(Applied {
                index,
                rule,
                consumed,
                destination_link_missing,
            });
        }
        Ok(match detail {
            Detail::Full => Some(self.trace(&applied, &queue, true)),
            Detail::None => None,
        })
    }

    fn trace(&self, applied: &[Applied<'_>], queue: &Queue<'_>, complete: bool) -> RuleTrace {
        RuleTrace {
            item: self.item.to_owned(),
            item_kind: self.item_kind,
            artifact_type: self.artifact_type,
            queued: self.source.len(),
            steps: applied
                .iter()
                .map(|a| RuleStep {
                    index: a.index,
                    rule: a.rule.clone(),
                    consumed: a
                        .consumed
                        .iter()
                        .map(|&i| self.source.name(i).to_owned())
                        .collect(),
                    destination_link_missing: a.destination_link_missing,
                })
                .collect(),
            remaining: queue.names().map(str::to_owned).collect(),
            complete,
        }
    }

    /// `verify_match_rule`: consume a selected artifact iff the destination
    /// has an artifact of the same (prefix-adjusted) name with an equal
    /// digest set.
    fn match_rule(&self, rule: &MatchRule, queue: &Queue<'a>) -> MatchOutcome<'a> {
        let Some(dest_link) = (self.links)(&rule.dest_step) else {
            return MatchOutcome::NoLink;
        };
        let candidates = match_candidates(rule, &rule.pattern, queue);
        let mut dest = Lookup::new(dest_link.get(rule.dest_type));
        let mut consumed = Vec::new();
        let mut rebuilt = false;
        let mut dest_path = String::new();
        for (position, rest) in candidates {
            let (queued, queued_digests) = queue.entry(position);
            // The reference rebuilds the source name with `os.path.join`,
            // which gives back the queued name unless the remainder is
            // absolute or holds a backslash.
            let (source_position, source_digests) = if rule.source_prefix.is_empty()
                || (!rest.starts_with('/') && !rest.contains('\\'))
            {
                (Some(position), queued_digests)
            } else {
                let full = join_prefix(&rule.source_prefix, rest);
                let Some(digests) = self.source.get(&full) else {
                    return MatchOutcome::Unresolved {
                        queued,
                        source_path: full,
                    };
                };
                rebuilt = true;
                // Consumed only if still queued; the reference's set
                // difference ignores the rest.
                (queue.queued(&full), digests)
            };
            let dest_digests = if rule.dest_prefix.is_empty() {
                dest.get(rest)
            } else {
                join_prefix_into(&mut dest_path, &rule.dest_prefix, rest);
                dest.get(&dest_path)
            };
            if dest_digests.is_some_and(|d| self.digests.same(d, source_digests))
                && let Some(p) = source_position
            {
                consumed.push(p);
            }
        }
        if rebuilt {
            consumed.sort_unstable();
            consumed.dedup();
        }
        MatchOutcome::Consumed(consumed)
    }

    fn violation(
        &self,
        index: usize,
        rule: &ArtifactRule,
        kind: ViolationKind,
        offending: &[(&str, Option<&Digests>)],
        applied: &[Applied<'_>],
        queue: &Queue<'_>,
    ) -> Box<RuleViolation> {
        let explain = matches!(kind, ViolationKind::DisallowMatched);
        let artifact_count = offending.len();
        let artifacts = offending
            .iter()
            .take(OFFENDING_KEPT)
            .enumerate()
            .map(|(i, (name, digests))| OffendingArtifact {
                path: (*name).to_owned(),
                digests: digests.map(Digests::to_set),
                near_misses: if explain && i < NEAR_MISSES_FOR {
                    self.near_misses(name, applied)
                } else {
                    Vec::new()
                },
            })
            .collect();
        let violation = Box::new(RuleViolation {
            item: self.item.to_owned(),
            item_kind: self.item_kind,
            artifact_type: self.artifact_type,
            rule_index: index,
            rule: rule.clone(),
            kind,
            artifacts,
            artifact_count,
            trace: self.trace(applied, queue, false),
        });
        tracing::debug!(
            item = self.item,
            artifact_type = self.artifact_type.field(),
            rule.index = index,
            rule = %rule,
            code = violation.code(),
            "artifact rule failed"
        );
        violation
    }

    /// The earlier rules whose pattern selected the still-queued `name` but
    /// which did not consume it, and why.
    fn near_misses(&self, name: &str, applied: &[Applied<'_>]) -> Vec<NearMiss> {
        let products_queue = self.artifact_type == ArtifactType::Products;
        applied
            .iter()
            .filter_map(|step| {
                let reason = match step.rule {
                    ArtifactRule::Match(m) => self.match_near_miss(m, name)?,
                    ArtifactRule::Create(p) if p.matches(name) => {
                        if products_queue {
                            NearMissReason::AlsoMaterial
                        } else {
                            NearMissReason::CreateInMaterials
                        }
                    }
                    ArtifactRule::Delete(p) if p.matches(name) => {
                        if products_queue {
                            NearMissReason::DeleteInProducts
                        } else {
                            NearMissReason::AlsoProduct
                        }
                    }
                    ArtifactRule::Modify(p) if p.matches(name) => {
                        if self.other.contains(name) {
                            NearMissReason::Unmodified
                        } else {
                            NearMissReason::NotInBoth
                        }
                    }
                    _ => return None,
                };
                Some(NearMiss {
                    rule_index: step.index,
                    rule: step.rule.clone(),
                    reason,
                })
            })
            .collect()
    }

    fn match_near_miss(&self, rule: &MatchRule, name: &str) -> Option<NearMissReason> {
        let rest = if rule.source_prefix.is_empty() {
            name
        } else {
            name.strip_prefix(normalized_prefix(&rule.source_prefix).as_str())?
        };
        if !rule.pattern.matches(rest) {
            return None;
        }
        if !rule.source_prefix.is_empty() && (rest.starts_with('/') || rest.contains('\\')) {
            return Some(NearMissReason::SourceNameRebuilt {
                source_path: join_prefix(&rule.source_prefix, rest),
            });
        }
        let Some(dest_link) = (self.links)(&rule.dest_step) else {
            return Some(NearMissReason::DestinationLinkMissing {
                step: rule.dest_step.clone(),
            });
        };
        let dest_path = if rule.dest_prefix.is_empty() {
            rest.to_owned()
        } else {
            join_prefix(&rule.dest_prefix, rest)
        };
        let (step, artifact_type) = (rule.dest_step.clone(), rule.dest_type);
        let source_digests = self.source.get(name)?;
        match dest_link.get(rule.dest_type).get(&dest_path) {
            None => Some(NearMissReason::DestinationArtifactMissing {
                step,
                artifact_type,
                path: dest_path,
            }),
            Some(digests) if !self.digests.same(digests, source_digests) => {
                Some(NearMissReason::DigestMismatch {
                    step,
                    artifact_type,
                    path: dest_path,
                    source_digests: source_digests.to_set(),
                    destination_digests: digests.to_set(),
                    whole: matches!(self.digests, DigestMatch::Exact),
                })
            }
            // Equal digests: the rule consumed it, so it cannot be queued.
            Some(_) => None,
        }
    }
}

/// The queued names a MATCH rule selects (queue positions, ascending),
/// with the part its pattern is matched against: with a source prefix,
/// names starting with `os.path.join(prefix, "")` minus that prefix (so the
/// prefix is never globbed), else the whole name.
fn match_candidates<'a>(
    rule: &MatchRule,
    pattern: &ArtifactPattern,
    queue: &Queue<'a>,
) -> Vec<(usize, &'a str)> {
    if rule.source_prefix.is_empty() {
        return queue
            .select(pattern)
            .into_iter()
            .map(|i| (i, queue.name(i)))
            .collect();
    }
    let prefix = normalized_prefix(&rule.source_prefix);
    let start = format!("{prefix}{}", pattern.literal_prefix());
    queue
        .with_prefix(&start)
        .filter_map(|i| {
            let rest = queue.name(i).strip_prefix(prefix.as_str())?;
            pattern.matches_rest(rest).then_some((i, rest))
        })
        .collect()
}
