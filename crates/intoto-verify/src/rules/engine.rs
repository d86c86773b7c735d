//! The rule loop of the reference's `verifylib.verify_item_rules`.
//!
//! Each rule compiles its pattern once and selects from the queue (see
//! [`super::queue`]): a literal pattern is one binary search and a pattern
//! with a literal prefix scans only the names with that prefix. Names are
//! selected in ascending order, so lookups on the other side walk a sorted
//! map, and a rule costs about one pass over the names it selects.

use std::collections::BTreeMap;

use intoto_model::{ArtifactRule, ArtifactType, Link, MatchRule, SupplyChainItem};

use super::path::{join_prefix, join_prefix_into, normalized_prefix};
use super::queue::{Lookup, Queue};
use super::trace::{ItemKind, ItemTrace, RuleStep, RuleTrace};
use super::violation::{
    NEAR_MISSES_FOR, NearMiss, NearMissReason, OFFENDING_KEPT, OffendingArtifact, RuleViolation,
    ViolationKind,
};
use crate::artifacts::{ArtifactMap, Digests};
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
    let own = Lists::owned(link);
    let others = destinations(rules, links);
    let lookup = |name: &str| others.get(name).map(Lists::borrowed);
    let rules = RuleList {
        item,
        item_kind: None,
        artifact_type,
        rules,
    };
    evaluate(&rules, own.borrowed(), &lookup, Detail::Full)
        .map(|t| t.unwrap_or_default_trace(&rules))
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
    let own = Lists::owned(link);
    let all_rules: Vec<ArtifactRule> = item
        .expected_materials()
        .iter()
        .chain(item.expected_products())
        .cloned()
        .collect();
    let others = destinations(&all_rules, links);
    let lookup = |name: &str| others.get(name).map(Lists::borrowed);
    let (materials, products) = evaluate_item(item, own.borrowed(), &lookup, Detail::Full)?;
    Ok(ItemTrace {
        materials: materials.unwrap_or_default_trace(&RuleList::of(item, ArtifactType::Materials)),
        products: products.unwrap_or_default_trace(&RuleList::of(item, ArtifactType::Products)),
    })
}

/// The links MATCH rules of `rules` name, converted.
fn destinations(
    rules: &[ArtifactRule],
    links: &BTreeMap<String, Link>,
) -> BTreeMap<String, OwnedLists> {
    rules
        .iter()
        .filter_map(|r| match r {
            ArtifactRule::Match(m) => Some(&m.dest_step),
            _ => None,
        })
        .filter_map(|name| links.get(name).map(|l| (name.clone(), Lists::owned(l))))
        .collect()
}

/// A link's materials and products, as the engine reads them.
#[derive(Clone, Copy)]
pub(crate) struct Lists<'a> {
    /// The link's materials.
    pub(crate) materials: &'a ArtifactMap,
    /// The link's products.
    pub(crate) products: &'a ArtifactMap,
}

/// [`Lists`] converted from a model [`Link`].
pub(crate) struct OwnedLists {
    materials: ArtifactMap,
    products: ArtifactMap,
}

impl OwnedLists {
    fn borrowed(&self) -> Lists<'_> {
        Lists {
            materials: &self.materials,
            products: &self.products,
        }
    }
}

impl<'a> Lists<'a> {
    fn owned(link: &Link) -> OwnedLists {
        OwnedLists {
            materials: ArtifactMap::from(&link.materials),
            products: ArtifactMap::from(&link.products),
        }
    }

    fn borrowed(owned: &'a OwnedLists) -> Lists<'a> {
        owned.borrowed()
    }

    fn get(self, artifact_type: ArtifactType) -> &'a ArtifactMap {
        match artifact_type {
            ArtifactType::Materials => self.materials,
            ArtifactType::Products => self.products,
        }
    }
}

/// How much of the rule-by-rule record to keep when the rules pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Every consumed name (a [`RuleTrace`]).
    Full,
    /// Nothing: a list that passes returns no trace. A violation always has
    /// its trace.
    None,
}

/// One rule list of an item.
#[derive(Clone, Copy)]
pub(crate) struct RuleList<'r> {
    pub(crate) item: &'r str,
    pub(crate) item_kind: Option<ItemKind>,
    pub(crate) artifact_type: ArtifactType,
    pub(crate) rules: &'r [ArtifactRule],
}

impl<'r> RuleList<'r> {
    pub(crate) fn of(item: SupplyChainItem<'r>, artifact_type: ArtifactType) -> Self {
        let (kind, name, materials, products) = match item {
            SupplyChainItem::Step(s) => (
                ItemKind::Step,
                s.name.as_str(),
                s.expected_materials.as_slice(),
                s.expected_products.as_slice(),
            ),
            SupplyChainItem::Inspection(i) => (
                ItemKind::Inspection,
                i.name.as_str(),
                i.expected_materials.as_slice(),
                i.expected_products.as_slice(),
            ),
        };
        Self {
            item: name,
            item_kind: Some(kind),
            artifact_type,
            rules: match artifact_type {
                ArtifactType::Materials => materials,
                ArtifactType::Products => products,
            },
        }
    }
}

trait DefaultTrace {
    fn unwrap_or_default_trace(self, rules: &RuleList<'_>) -> RuleTrace;
}

impl DefaultTrace for Option<RuleTrace> {
    fn unwrap_or_default_trace(self, rules: &RuleList<'_>) -> RuleTrace {
        self.unwrap_or_else(|| RuleTrace {
            item: rules.item.to_owned(),
            item_kind: rules.item_kind,
            artifact_type: rules.artifact_type,
            queued: 0,
            steps: Vec::new(),
            remaining: Vec::new(),
            complete: true,
        })
    }
}

/// Both rule lists of an item, materials first.
pub(crate) fn evaluate_item<'a>(
    item: SupplyChainItem<'_>,
    link: Lists<'a>,
    links: &dyn Fn(&str) -> Option<Lists<'a>>,
    detail: Detail,
) -> Result<(Option<RuleTrace>, Option<RuleTrace>), Box<RuleViolation>> {
    let materials = evaluate(
        &RuleList::of(item, ArtifactType::Materials),
        link,
        links,
        detail,
    )?;
    let products = evaluate(
        &RuleList::of(item, ArtifactType::Products),
        link,
        links,
        detail,
    )?;
    Ok((materials, products))
}

/// Applies one rule list; with [`Detail::None`] a passing list gives `None`.
pub(crate) fn evaluate<'a>(
    rules: &RuleList<'_>,
    link: Lists<'a>,
    links: &dyn Fn(&str) -> Option<Lists<'a>>,
    detail: Detail,
) -> Result<Option<RuleTrace>, Box<RuleViolation>> {
    let other = match rules.artifact_type {
        ArtifactType::Materials => ArtifactType::Products,
        ArtifactType::Products => ArtifactType::Materials,
    };
    Evaluation {
        item: rules.item,
        item_kind: rules.item_kind,
        artifact_type: rules.artifact_type,
        links,
        source: link.get(rules.artifact_type),
        other: link.get(other),
    }
    .run(rules.rules, detail)
}

/// One rule list being applied.
struct Evaluation<'a, 'l> {
    item: &'l str,
    item_kind: Option<ItemKind>,
    artifact_type: ArtifactType,
    links: &'l dyn Fn(&str) -> Option<Lists<'a>>,
    /// The queued artifacts with their digests.
    source: &'a ArtifactMap,
    /// The item's other list: products for a materials queue and the
    /// reverse.
    other: &'a ArtifactMap,
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
    fn run(
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
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut materials = Lookup::new(self.other);
                    selected
                        .into_iter()
                        .filter(|&i| materials.get(queue.name(i)).is_none())
                        .collect()
                }
                // Materials that are not products: in a products queue,
                // never any.
                ArtifactRule::Delete(pattern) if !is_products => {
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut products = Lookup::new(self.other);
                    selected
                        .into_iter()
                        .filter(|&i| products.get(queue.name(i)).is_none())
                        .collect()
                }
                ArtifactRule::Create(_) | ArtifactRule::Delete(_) => Vec::new(),
                ArtifactRule::Modify(pattern) => {
                    let selected = queue.select(&Pattern::new(pattern));
                    let mut other = Lookup::new(self.other);
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
        let pattern = Pattern::new(&rule.pattern);
        let candidates = match_candidates(rule, &pattern, queue);
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
        if !Pattern::new(&rule.pattern).matches(rest) {
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
            Some(digests) if digests != source_digests => Some(NearMissReason::DigestMismatch {
                step,
                artifact_type,
                path: dest_path,
                source_digests: source_digests.to_set(),
                destination_digests: digests.to_set(),
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
