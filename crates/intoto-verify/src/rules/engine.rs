//! The rule loop of the reference's `verifylib.verify_item_rules`.
//!
//! Each rule compiles its pattern once and selects from the queue (see
//! [`super::queue`]): a literal pattern is one binary search and a pattern
//! with a literal prefix scans only the names with that prefix. Names are
//! selected in ascending order, so lookups on the other side walk a sorted
//! map, and a rule costs about one pass over the names it selects.

use std::collections::BTreeMap;

use intoto_model::{ArtifactRule, ArtifactType, Link, SupplyChainItem};

use super::evaluation::Evaluation;
use super::trace::{ItemKind, ItemTrace, RuleTrace};
use super::violation::RuleViolation;
use crate::artifacts::{ArtifactMap, Digests};

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
/// [`ViolationKind::MatchSourceUnresolved`](super::ViolationKind::MatchSourceUnresolved)).
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
        digests: DigestMatch::Exact,
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

    pub(super) fn get(self, artifact_type: ArtifactType) -> &'a ArtifactMap {
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

/// When two artifacts' digest sets are the same artifact (MATCH, MODIFY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestMatch {
    /// Equal sets: the same algorithms with the same hex strings (the
    /// reference's rule, for classic layouts).
    Exact,
    /// Sets that share an accepted algorithm and agree on every algorithm
    /// they share (policies: attestations from different tools record
    /// different algorithms).
    Shared,
}

impl DigestMatch {
    pub(crate) fn same(self, a: &Digests, b: &Digests) -> bool {
        match self {
            Self::Exact => a == b,
            Self::Shared => a.agrees_with(b),
        }
    }
}

/// One rule list of an item.
#[derive(Clone, Copy)]
pub(crate) struct RuleList<'r> {
    pub(crate) item: &'r str,
    pub(crate) item_kind: Option<ItemKind>,
    pub(crate) artifact_type: ArtifactType,
    pub(crate) rules: &'r [ArtifactRule],
    pub(crate) digests: DigestMatch,
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
            digests: DigestMatch::Exact,
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
        digests: rules.digests,
    }
    .run(rules.rules, detail)
}
