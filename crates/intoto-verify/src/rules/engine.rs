//! The rule loop of the reference's `verifylib.verify_item_rules`.
//!
//! Each rule compiles its pattern once and selects from the queue (see
//! [`super::queue`]): a literal pattern is one binary search and a pattern
//! with a literal prefix scans only the names with that prefix. Names are
//! selected in ascending order, so lookups on the other side walk a sorted
//! vector, and a rule costs about one pass over the names it selects.

use std::collections::BTreeMap;

use intoto_model::{
    ArtifactRule, ArtifactType, Artifacts, DigestSet, Link, MatchRule, SupplyChainItem,
};

use super::path::{join_prefix, join_prefix_into, normalized_prefix};
use super::queue::{Queue, SortedCache};
use super::trace::{ItemKind, ItemTrace, RuleStep, RuleTrace};
use super::violation::{
    NEAR_MISSES_FOR, NearMiss, NearMissReason, OffendingArtifact, RuleViolation, ViolationKind,
};
use crate::pattern::Pattern;

/// Applies one rule list of an item (step or inspection) to its link, as the
/// reference's `verify_item_rules(item, artifact_type, rules, links)` does.
///
/// - `link` is the item's own (reduced) link; its `artifact_type` artifacts
///   form the queue, and its materials and products are what CREATE,
///   DELETE and MODIFY compare.
/// - `links` maps step and inspection names to their (reduced) links; MATCH
///   looks its `FROM` name up here. Like the reference, a MATCH may name the
///   item itself, so `links` should hold the item's own link too.
///
/// Rules are applied in order, each consuming artifacts from the queue;
/// artifacts left at the end are accepted (the implicit `ALLOW *`).
///
/// The violation is boxed: it carries the trace and is large next to the
/// `Ok` value.
///
/// # Errors
///
/// [`RuleViolation`] when a DISALLOW matches a queued artifact, a REQUIRE
/// does not find its name in the queue, or a MATCH with a source prefix
/// meets a name the reference cannot resolve (see
/// [`ViolationKind::MatchSourceUnresolved`]).
pub fn verify_item_rules(
    item: &str,
    rules: &[ArtifactRule],
    artifact_type: ArtifactType,
    link: &Link,
    links: &BTreeMap<String, Link>,
) -> Result<RuleTrace, Box<RuleViolation>> {
    Evaluation::new(item, None, artifact_type, link, links).run(rules)
}

/// Applies a step's or inspection's materials rules, then its products
/// rules, as the reference's `verify_all_item_rules` does for each item.
///
/// See [`verify_item_rules`] for `link` and `links`.
///
/// # Errors
///
/// The first [`RuleViolation`], materials first.
pub fn verify_item(
    item: SupplyChainItem<'_>,
    link: &Link,
    links: &BTreeMap<String, Link>,
) -> Result<ItemTrace, Box<RuleViolation>> {
    let kind = match item {
        SupplyChainItem::Step(_) => ItemKind::Step,
        SupplyChainItem::Inspection(_) => ItemKind::Inspection,
    };
    let name = item.name();
    let materials = Evaluation::new(name, Some(kind), ArtifactType::Materials, link, links)
        .run(item.expected_materials())?;
    let products = Evaluation::new(name, Some(kind), ArtifactType::Products, link, links)
        .run(item.expected_products())?;
    Ok(ItemTrace {
        materials,
        products,
    })
}

/// The artifacts of `link` of the given type.
fn artifacts(link: &Link, artifact_type: ArtifactType) -> &Artifacts {
    match artifact_type {
        ArtifactType::Materials => &link.materials,
        ArtifactType::Products => &link.products,
    }
}

/// One rule list being applied.
struct Evaluation<'a> {
    item: &'a str,
    item_kind: Option<ItemKind>,
    artifact_type: ArtifactType,
    links: &'a BTreeMap<String, Link>,
    /// The queued artifacts with their digests.
    source: &'a Artifacts,
    /// The item's other list: products for a materials queue and the
    /// reverse.
    other: &'a Artifacts,
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

impl<'a> Evaluation<'a> {
    fn new(
        item: &'a str,
        item_kind: Option<ItemKind>,
        artifact_type: ArtifactType,
        link: &'a Link,
        links: &'a BTreeMap<String, Link>,
    ) -> Self {
        let other = match artifact_type {
            ArtifactType::Materials => ArtifactType::Products,
            ArtifactType::Products => ArtifactType::Materials,
        };
        Self {
            item,
            item_kind,
            artifact_type,
            links,
            source: artifacts(link, artifact_type),
            other: artifacts(link, other),
        }
    }

    fn run(&self, rules: &[ArtifactRule]) -> Result<RuleTrace, Box<RuleViolation>> {
        let mut queue = Queue::new(self.source);
        let mut cache = SortedCache::default();
        let mut steps: Vec<RuleStep> = Vec::with_capacity(rules.len());
        let is_products = self.artifact_type == ArtifactType::Products;
        for (index, rule) in rules.iter().enumerate() {
            let mut destination_link_missing = false;
            let consumed: Vec<usize> = match rule {
                ArtifactRule::Match(m) => match self.match_rule(m, &queue, &mut cache) {
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
                        return Err(self.violation(index, rule, kind, &offending, steps, &queue));
                    }
                },
                // Products that are not materials: in a materials queue,
                // never any.
                ArtifactRule::Create(pattern) if is_products => {
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut materials = cache.lookup(self.other, selected.len());
                    selected
                        .into_iter()
                        .filter(|&i| materials.get(queue.entry(i).0).is_none())
                        .collect()
                }
                // Materials that are not products: in a products queue,
                // never any.
                ArtifactRule::Delete(pattern) if !is_products => {
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut products = cache.lookup(self.other, selected.len());
                    selected
                        .into_iter()
                        .filter(|&i| products.get(queue.entry(i).0).is_none())
                        .collect()
                }
                ArtifactRule::Create(_) | ArtifactRule::Delete(_) => Vec::new(),
                ArtifactRule::Modify(pattern) => {
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut other = cache.lookup(self.other, selected.len());
                    selected
                        .into_iter()
                        .filter(|&i| {
                            let (name, digests) = queue.entry(i);
                            other.get(name).is_some_and(|d| d != digests)
                        })
                        .collect()
                }
                ArtifactRule::Allow(pattern) => queue.select(&Pattern::new(pattern)),
                ArtifactRule::Disallow(pattern) => {
                    let matched = queue.select(&Pattern::new(pattern));
                    if !matched.is_empty() {
                        let kind = ViolationKind::DisallowMatched;
                        let offending: Vec<_> = matched
                            .iter()
                            .map(|&i| {
                                let (name, digests) = queue.entry(i);
                                (name, Some(digests))
                            })
                            .collect();
                        return Err(self.violation(index, rule, kind, &offending, steps, &queue));
                    }
                    Vec::new()
                }
                ArtifactRule::Require(name) => {
                    if queue.queued(name).is_none() {
                        let consumed_by = steps
                            .iter()
                            .find(|s| s.consumed.binary_search(name).is_ok())
                            .map(|s| s.index);
                        let kind = ViolationKind::RequireMissing { consumed_by };
                        let offending = [(name.as_str(), self.source.get(name))];
                        return Err(self.violation(index, rule, kind, &offending, steps, &queue));
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
            steps.push(RuleStep {
                index,
                rule: rule.clone(),
                consumed: consumed
                    .iter()
                    .map(|&i| queue.entry(i).0.to_owned())
                    .collect(),
                destination_link_missing,
            });
        }
        Ok(self.trace(steps, &queue, true))
    }

    fn trace(&self, steps: Vec<RuleStep>, queue: &Queue<'_>, complete: bool) -> RuleTrace {
        RuleTrace {
            item: self.item.to_owned(),
            item_kind: self.item_kind,
            artifact_type: self.artifact_type,
            queued: self.source.len(),
            steps,
            remaining: queue.names().map(str::to_owned).collect(),
            complete,
        }
    }

    /// `verify_match_rule`: consume a selected artifact iff the destination
    /// has an artifact of the same (prefix-adjusted) name with an equal
    /// digest set.
    fn match_rule(
        &self,
        rule: &MatchRule,
        queue: &Queue<'a>,
        cache: &mut SortedCache<'a>,
    ) -> MatchOutcome<'a> {
        let Some(dest_link) = self.links.get(&rule.dest_step) else {
            return MatchOutcome::NoLink;
        };
        let pattern = Pattern::new(&rule.pattern);
        let candidates = match_candidates(rule, &pattern, queue);
        let mut dest = cache.lookup(artifacts(dest_link, rule.dest_type), candidates.len());
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
            if dest_digests == Some(source_digests)
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
        offending: &[(&str, Option<&DigestSet>)],
        steps: Vec<RuleStep>,
        queue: &Queue<'_>,
    ) -> Box<RuleViolation> {
        let explain = matches!(kind, ViolationKind::DisallowMatched);
        let artifacts = offending
            .iter()
            .enumerate()
            .map(|(i, (name, digests))| OffendingArtifact {
                path: (*name).to_owned(),
                digests: digests.cloned(),
                near_misses: if explain && i < NEAR_MISSES_FOR {
                    self.near_misses(name, &steps)
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
            trace: self.trace(steps, queue, false),
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
    fn near_misses(&self, name: &str, steps: &[RuleStep]) -> Vec<NearMiss> {
        let products_queue = self.artifact_type == ArtifactType::Products;
        steps
            .iter()
            .filter_map(|step| {
                let reason = match &step.rule {
                    ArtifactRule::Match(m) => self.match_near_miss(m, name)?,
                    ArtifactRule::Create(p) if Pattern::new(p).matches(name) => {
                        if products_queue {
                            NearMissReason::AlsoMaterial
                        } else {
                            NearMissReason::CreateInMaterials
                        }
                    }
                    ArtifactRule::Delete(p) if Pattern::new(p).matches(name) => {
                        if products_queue {
                            NearMissReason::DeleteInProducts
                        } else {
                            NearMissReason::AlsoProduct
                        }
                    }
                    ArtifactRule::Modify(p) if Pattern::new(p).matches(name) => {
                        if self.other.contains_key(name) {
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
        if !Pattern::new(&rule.pattern).matches(rest) {
            return None;
        }
        if !rule.source_prefix.is_empty() && (rest.starts_with('/') || rest.contains('\\')) {
            return Some(NearMissReason::SourceNameRebuilt {
                source_path: join_prefix(&rule.source_prefix, rest),
            });
        }
        let Some(dest_link) = self.links.get(&rule.dest_step) else {
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
        match artifacts(dest_link, rule.dest_type).get(&dest_path) {
            None => Some(NearMissReason::DestinationArtifactMissing {
                step,
                artifact_type,
                path: dest_path,
            }),
            Some(digests) if digests != source_digests => Some(NearMissReason::DigestMismatch {
                step,
                artifact_type,
                path: dest_path,
                source_digests: source_digests.clone(),
                destination_digests: digests.clone(),
            }),
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
    pattern: &Pattern,
    queue: &Queue<'a>,
) -> Vec<(usize, &'a str)> {
    if rule.source_prefix.is_empty() {
        return queue
            .select(pattern)
            .into_iter()
            .map(|i| (i, queue.entry(i).0))
            .collect();
    }
    let prefix = normalized_prefix(&rule.source_prefix);
    let start = format!("{prefix}{}", pattern.literal_prefix());
    queue
        .with_prefix(&start)
        .filter_map(|i| {
            let rest = queue.entry(i).0.strip_prefix(prefix.as_str())?;
            pattern.matches(rest).then_some((i, rest))
        })
        .collect()
}
