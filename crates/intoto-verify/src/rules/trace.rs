//! What each rule consumed: the record a verbose verifier prints, and the
//! context of a [`RuleViolation`](super::RuleViolation).

use std::fmt;

use intoto_model::{ArtifactRule, ArtifactType};

/// Whether a rule list belongs to a step or to an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ItemKind {
    /// A step of the layout.
    Step,
    /// An inspection of the layout.
    Inspection,
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ItemKind::Step => "step",
            ItemKind::Inspection => "inspection",
        })
    }
}

/// The rule-by-rule record of one rule list (the reference's `RULE_TRACE`).
///
/// In a [`RuleViolation`](super::RuleViolation) it covers the rules before
/// the failing one, and `remaining` is the queue the failing rule saw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RuleTrace {
    /// The step or inspection name.
    pub item: String,
    /// Whether the item is a step or an inspection, when the caller said so.
    pub item_kind: Option<ItemKind>,
    /// Whether these are the item's materials or products rules.
    #[serde(serialize_with = "crate::serialize::artifact_type")]
    pub artifact_type: ArtifactType,
    /// How many artifacts were queued before the first rule.
    pub queued: usize,
    /// One entry per rule applied, in order.
    #[serde(rename = "rules")]
    pub steps: Vec<RuleStep>,
    /// The artifacts no rule consumed, sorted: what the implicit `ALLOW *`
    /// accepted, or in a violation the queue the failing rule saw.
    pub remaining: Vec<String>,
    /// Whether every rule ran (false in a violation's trace).
    pub complete: bool,
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RuleStep {
    /// The rule's position in its list, from 0.
    pub index: usize,
    /// The rule.
    #[serde(serialize_with = "crate::serialize::rule")]
    pub rule: ArtifactRule,
    /// The artifacts it removed from the queue, sorted.
    pub consumed: Vec<String>,
    /// For MATCH: the `FROM` step or inspection has no link, so the rule
    /// consumed nothing (the reference does not treat this as an error).
    pub destination_link_missing: bool,
}

/// The traces of an item's materials and products rules.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemTrace {
    /// The `expected_materials` rules.
    pub materials: RuleTrace,
    /// The `expected_products` rules.
    pub products: RuleTrace,
}

/// How many names a trace line lists before saying "and N more".
const NAMES_SHOWN: usize = 10;

impl RuleTrace {
    /// `step 'build'`, or `'build'` when the kind is unknown.
    pub(super) fn subject(&self) -> String {
        match self.item_kind {
            Some(kind) => format!("{kind} '{}'", self.item),
            None => format!("'{}'", self.item),
        }
    }
}

impl fmt::Display for RuleTrace {
    /// Several lines: the queue size, one line per rule, the leftovers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} of {}: {} queued",
            self.artifact_type.field(),
            self.subject(),
            self.queued
        )?;
        for step in &self.steps {
            write!(f, "  rule {} ({}): ", step.index, step.rule)?;
            if step.destination_link_missing {
                write!(f, "no link for the destination, ")?;
            }
            write_names(f, "consumed", &step.consumed)?;
            writeln!(f)?;
        }
        if self.complete {
            write!(f, "  implicit ALLOW *: ")?;
            write_names(f, "accepted", &self.remaining)
        } else {
            write!(f, "  queue at failing rule {} ", self.steps.len())?;
            write_names(f, "holds", &self.remaining)
        }
    }
}

fn write_names(f: &mut fmt::Formatter<'_>, verb: &str, names: &[String]) -> fmt::Result {
    if names.is_empty() {
        return write!(f, "{verb} nothing");
    }
    write!(f, "{verb} {}:", names.len())?;
    for name in names.iter().take(NAMES_SHOWN) {
        // Names come from metadata: control characters are escaped, so
        // that a name cannot start a line of its own.
        write!(f, " '{}'", name.escape_debug())?;
    }
    if names.len() > NAMES_SHOWN {
        write!(f, " and {} more", names.len() - NAMES_SHOWN)?;
    }
    Ok(())
}
