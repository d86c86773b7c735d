//! A failed rule list: which rule failed, on which artifacts, and why no
//! earlier rule consumed them.

use std::fmt;

use intoto_model::{ArtifactRule, ArtifactType, DigestSet};

use super::trace::{ItemKind, RuleTrace};

/// Why a rule list fails, with everything needed to explain it.
///
/// The one-line [`Display`](fmt::Display) form reads like
/// `step 'package': products rule 3 (DISALLOW *) matched 'evil.sh'
/// (sha256:ab12cd34…) — no earlier rule consumed it`; [`Self::trace`] has
/// the rule-by-rule record up to the failing rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct RuleViolation {
    /// The step or inspection name.
    pub item: String,
    /// Whether the item is a step or an inspection, when the caller said so.
    pub item_kind: Option<ItemKind>,
    /// Whether the failing rule is a materials or a products rule.
    pub artifact_type: ArtifactType,
    /// The failing rule's position in its list, from 0.
    pub rule_index: usize,
    /// The failing rule.
    pub rule: ArtifactRule,
    /// What went wrong.
    pub kind: ViolationKind,
    /// The artifacts concerned, sorted by path: those a DISALLOW matched,
    /// the name a REQUIRE wanted, the name a MATCH could not resolve (the
    /// first [`OFFENDING_KEPT`]).
    pub artifacts: Vec<OffendingArtifact>,
    /// How many artifacts are concerned in all.
    pub artifact_count: usize,
    /// What the earlier rules consumed; `remaining` is the queue the
    /// failing rule saw.
    pub trace: RuleTrace,
}

/// The kind of a [`RuleViolation`], each with a stable diagnostic code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// `rule-disallow-matched`: a DISALLOW pattern matched artifacts still
    /// in the queue.
    DisallowMatched,
    /// `rule-require-missing`: the name a REQUIRE rule wants is not in the
    /// queue.
    RequireMissing {
        /// The earlier rule that consumed it; `None` when the item's link
        /// never had it.
        consumed_by: Option<usize>,
    },
    /// `rule-match-source-unresolved`: a MATCH with a source prefix selected
    /// a queued artifact whose name the reference rebuilds differently
    /// (`os.path.join` drops the prefix before an absolute remainder and
    /// turns `\` into `/`), and the rebuilt name is not an artifact of the
    /// item. The reference raises `KeyError` here, which fails
    /// verification.
    MatchSourceUnresolved {
        /// The name the reference looks up.
        source_path: String,
    },
}

impl ViolationKind {
    /// The stable kebab-case diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            ViolationKind::DisallowMatched => "rule-disallow-matched",
            ViolationKind::RequireMissing { .. } => "rule-require-missing",
            ViolationKind::MatchSourceUnresolved { .. } => "rule-match-source-unresolved",
        }
    }
}

/// An artifact a violation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OffendingArtifact {
    /// The artifact name, as in the link.
    pub path: String,
    /// Its digests in the item's link; `None` for a required name the link
    /// does not have.
    pub digests: Option<DigestSet>,
    /// Earlier rules whose pattern selected the artifact but which did not
    /// consume it, with the reason (only for `rule-disallow-matched`, and
    /// only for the first [`NEAR_MISSES_FOR`] artifacts).
    pub near_misses: Vec<NearMiss>,
}

/// How many offending artifacts get [`OffendingArtifact::near_misses`].
pub const NEAR_MISSES_FOR: usize = 100;

/// How many offending artifacts a [`RuleViolation`] lists.
pub const OFFENDING_KEPT: usize = 1000;

/// An earlier rule that selected an artifact without consuming it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NearMiss {
    /// The rule's position in its list.
    pub rule_index: usize,
    /// The rule.
    pub rule: ArtifactRule,
    /// Why it did not consume the artifact.
    pub reason: NearMissReason,
}

/// Why a rule whose pattern selected an artifact did not consume it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NearMissReason {
    /// MATCH: the `FROM` step or inspection has no link.
    DestinationLinkMissing {
        /// The destination step or inspection.
        step: String,
    },
    /// MATCH: the destination has no artifact of that name.
    DestinationArtifactMissing {
        /// The destination step or inspection.
        step: String,
        /// Its materials or products.
        artifact_type: ArtifactType,
        /// The name looked up (destination prefix applied).
        path: String,
    },
    /// MATCH: the destination artifact's digest set differs (in a classic
    /// layout the sets must be equal as a whole; in a policy they must
    /// share an accepted algorithm and agree on every algorithm they share).
    DigestMismatch {
        /// The destination step or inspection.
        step: String,
        /// Its materials or products.
        artifact_type: ArtifactType,
        /// The name looked up (destination prefix applied).
        path: String,
        /// The queued artifact's digests.
        source_digests: DigestSet,
        /// The destination artifact's digests.
        destination_digests: DigestSet,
        /// Whether the sets were compared whole (classic layouts), or on
        /// the algorithms they share (policies).
        whole: bool,
    },
    /// MATCH with a source prefix: the reference rebuilds the selected name
    /// with `os.path.join` and `\` to `/` (an absolute remainder or a
    /// backslash), and looks up and consumes that name instead.
    SourceNameRebuilt {
        /// The name the reference uses.
        source_path: String,
    },
    /// CREATE in a materials list: CREATE only consumes products.
    CreateInMaterials,
    /// CREATE: the product is also a material.
    AlsoMaterial,
    /// DELETE in a products list: DELETE only consumes materials.
    DeleteInProducts,
    /// DELETE: the material is also a product.
    AlsoProduct,
    /// MODIFY: the artifact is not both a material and a product.
    NotInBoth,
    /// MODIFY: the material and product digests are equal.
    Unmodified,
}

impl fmt::Display for NearMissReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NearMissReason::DestinationLinkMissing { step } => {
                write!(f, "there is no link for '{step}'")
            }
            NearMissReason::DestinationArtifactMissing {
                step,
                artifact_type,
                path,
            } => write!(
                f,
                "'{path}' is not among the {} of '{step}'",
                artifact_type.field()
            ),
            NearMissReason::DigestMismatch {
                step,
                artifact_type,
                path,
                source_digests,
                destination_digests,
                whole,
            } => write!(
                f,
                "its digests differ from those of '{path}' among the {} of '{step}' ({})",
                artifact_type.field(),
                if *whole {
                    digest_difference(source_digests, destination_digests)
                } else {
                    shared_digest_difference(source_digests, destination_digests)
                }
            ),
            NearMissReason::SourceNameRebuilt { source_path } => {
                write!(f, "the reference looks it up as '{source_path}'")
            }
            NearMissReason::CreateInMaterials => f.write_str("CREATE never consumes materials"),
            NearMissReason::AlsoMaterial => f.write_str("it is also a material"),
            NearMissReason::DeleteInProducts => f.write_str("DELETE never consumes products"),
            NearMissReason::AlsoProduct => f.write_str("it is also a product"),
            NearMissReason::NotInBoth => f.write_str("it is not both a material and a product"),
            NearMissReason::Unmodified => f.write_str("its material and product digests are equal"),
        }
    }
}

impl RuleViolation {
    /// The stable diagnostic code, e.g. `rule-disallow-matched`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// How many artifacts the one-line message lists.
const ARTIFACTS_SHOWN: usize = 3;

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} rule {} ({}) ",
            self.trace.subject(),
            self.artifact_type.field(),
            self.rule_index,
            self.rule
        )?;
        let first = self.artifacts.first();
        match &self.kind {
            ViolationKind::DisallowMatched => {
                if self.artifact_count == 1 {
                    f.write_str("matched")?;
                } else {
                    write!(f, "matched {} artifacts:", self.artifact_count)?;
                }
                for (i, artifact) in self.artifacts.iter().take(ARTIFACTS_SHOWN).enumerate() {
                    let sep = if i > 0 { "," } else { "" };
                    write!(f, "{sep} '{}'", artifact.path)?;
                    if let Some(digests) = &artifact.digests {
                        write!(f, " ({})", short_digest(digests))?;
                    }
                }
                if self.artifact_count > ARTIFACTS_SHOWN {
                    write!(f, ", and {} more", self.artifact_count - ARTIFACTS_SHOWN)?;
                }
                let near_miss = self
                    .artifacts
                    .iter()
                    .find_map(|a| a.near_misses.first().map(|n| (a, n)));
                match near_miss {
                    Some((artifact, miss)) => {
                        let what = if self.artifact_count == 1 {
                            "it".to_owned()
                        } else {
                            format!("'{}'", artifact.path)
                        };
                        write!(
                            f,
                            " — rule {} ({}) selected {what} but {}",
                            miss.rule_index, miss.rule, miss.reason
                        )
                    }
                    None if self.artifact_count == 1 => {
                        f.write_str(" — no earlier rule consumed it")
                    }
                    None => f.write_str(" — no earlier rule consumed them"),
                }
            }
            ViolationKind::RequireMissing { consumed_by } => {
                let name = first.map_or(self.rule.pattern(), |a| a.path.as_str());
                write!(f, "did not find '{name}' — ")?;
                match consumed_by.and_then(|i| self.trace.steps.get(i)) {
                    Some(step) => write!(
                        f,
                        "rule {} ({}) consumed it, and REQUIRE only looks at the queue",
                        step.index, step.rule
                    ),
                    None => write!(f, "it is not among the {}", self.artifact_type.field()),
                }
            }
            ViolationKind::MatchSourceUnresolved { source_path } => {
                let name = first.map_or("", |a| a.path.as_str());
                write!(
                    f,
                    "selected '{name}', which the reference resolves to '{source_path}', \
                     not among the {}",
                    self.artifact_type.field()
                )
            }
        }
    }
}

/// How two unequal digest sets differ, briefly: `sha256:aa… vs
/// sha256:bb…`, or the algorithm lists when those differ.
fn digest_difference(source: &DigestSet, destination: &DigestSet) -> String {
    let algorithms = |d: &DigestSet| d.iter().map(|(alg, _)| alg).collect::<Vec<_>>().join(", ");
    if algorithms(source) != algorithms(destination) {
        return format!(
            "algorithms {{{}}} vs {{{}}}; digest sets are compared whole",
            algorithms(source),
            algorithms(destination)
        );
    }
    let differing = source
        .iter()
        .find(|(alg, hex)| destination.get(alg) != Some(*hex))
        .map(|(alg, _)| alg);
    let cut = |d: &DigestSet| -> String {
        let hex = differing.and_then(|alg| d.get(alg)).unwrap_or_default();
        format!("{}:{}", differing.unwrap_or_default(), abbreviate(hex))
    };
    format!("{} vs {}", cut(source), cut(destination))
}

/// How two digest sets that do not name the same artifact under a policy's
/// rule differ: the first algorithm they share and disagree on, else the
/// absence of a digest, else that they share no accepted algorithm.
fn shared_digest_difference(source: &DigestSet, destination: &DigestSet) -> String {
    let disagreeing = source.iter().find_map(|(alg, ours)| {
        destination
            .get(alg)
            .filter(|theirs| !theirs.eq_ignore_ascii_case(ours))
            .map(|theirs| (alg, ours, theirs))
    });
    if let Some((alg, ours, theirs)) = disagreeing {
        return format!("{alg}:{} vs {alg}:{}", abbreviate(ours), abbreviate(theirs));
    }
    if source.is_empty() {
        return "it has no digest".to_owned();
    }
    if destination.is_empty() {
        return "that one has no digest".to_owned();
    }
    let algorithms = |d: &DigestSet| d.iter().map(|(alg, _)| alg).collect::<Vec<_>>().join(", ");
    // The sets agree on every algorithm they share, so what they share is
    // not accepted (md5, sha1), or nothing.
    let common: Vec<&str> = source
        .iter()
        .map(|(alg, _)| alg)
        .filter(|alg| destination.get(alg).is_some())
        .collect();
    let shared = if common.is_empty() {
        "no algorithm".to_owned()
    } else {
        format!(
            "only {}, too weak to identify an artifact",
            common.join(" and ")
        )
    };
    format!(
        "algorithms {{{}}} vs {{{}}}: they share {shared}",
        algorithms(source),
        algorithms(destination)
    )
}

/// The first 8 characters, with `…` when cut.
fn abbreviate(hex: &str) -> String {
    let mut cut: String = hex.chars().take(8).collect();
    if hex.chars().nth(8).is_some() {
        cut.push('…');
    }
    cut
}

/// `sha256:ab12cd34…`: the sha256 digest if present, else the first, cut
/// to 8 characters.
pub(crate) fn short_digest(digests: &DigestSet) -> String {
    let pick = digests
        .get("sha256")
        .map(|d| ("sha256", d))
        .or_else(|| digests.iter().next());
    match pick {
        None => "no digest".to_owned(),
        Some((alg, hex)) => format!("{alg}:{}", abbreviate(hex)),
    }
}
