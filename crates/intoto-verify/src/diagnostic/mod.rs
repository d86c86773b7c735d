//! What verification found: a [`Verdict`] of [`Diagnostic`]s, each with a
//! stable code, a severity, a one-line message and the subject it is about.
//!
//! Every code is catalogued in `docs/diagnostics.md`; [`Code::ALL`] lists
//! them, and a test keeps the two in step.

use std::fmt;

use intoto_model::{ArtifactType, DigestSet, KeyId};

use crate::chain::ChainLink;
use crate::rules::{ItemKind, RuleTrace};

mod code;

pub use code::{Code, Domain, Severity};

/// The rule a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RuleSubject {
    /// Materials or products rules.
    #[serde(serialize_with = "crate::serialize::artifact_type")]
    pub artifact_type: ArtifactType,
    /// The rule's position in its list, from 0.
    pub index: usize,
    /// The rule, as words joined by spaces.
    pub text: String,
}

/// An artifact a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ArtifactSubject {
    /// The artifact name.
    pub path: String,
    /// Its digests in the subject's link, if it is there.
    #[serde(serialize_with = "crate::serialize::digests")]
    pub digests: Option<DigestSet>,
    /// What it was compared with, when the finding is a comparison: the
    /// other link's digests for `artifacts-disagree`, the MATCH
    /// destination's for a digest mismatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<Compared>,
}

/// The other side of an artifact comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Compared {
    /// Where the other artifact is: a link file, or `materials of 'build'`.
    pub location: String,
    /// The name looked up there.
    pub path: String,
    /// Its digests there, if it is there.
    #[serde(serialize_with = "crate::serialize::digests")]
    pub digests: Option<DigestSet>,
}

impl RuleSubject {
    /// The rule at `index` of the `artifact_type` rules, written `text`.
    pub fn new(artifact_type: ArtifactType, index: usize, text: impl Into<String>) -> Self {
        Self {
            artifact_type,
            index,
            text: text.into(),
        }
    }
}

impl ArtifactSubject {
    /// The artifact `path`, with its digests if it has any; compared with
    /// nothing.
    pub fn new(path: impl Into<String>, digests: Option<DigestSet>) -> Self {
        Self {
            path: path.into(),
            digests,
            compared_with: None,
        }
    }

    /// The artifact, compared with `other`.
    #[must_use]
    pub fn compared_with(mut self, other: Compared) -> Self {
        self.compared_with = Some(other);
        self
    }
}

impl Compared {
    /// The artifact `path` in `location`, with its digests there if it is
    /// there.
    pub fn new(
        location: impl Into<String>,
        path: impl Into<String>,
        digests: Option<DigestSet>,
    ) -> Self {
        Self {
            location: location.into(),
            path: path.into(),
            digests,
        }
    }
}

/// What a diagnostic is about; fields that do not apply are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Subject {
    /// The sublayout folders the finding is in, outermost first (empty for
    /// the root layout).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sublayout: Vec<String>,
    /// The step or inspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Whether `item` is a step or an inspection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_kind: Option<ItemKind>,
    /// The link file (as the link source names it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_file: Option<String>,
    /// A second link file (`artifacts-disagree`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_link_file: Option<String>,
    /// The keyid of the functionary or layout key.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::serialize::keyid"
    )]
    pub keyid: Option<KeyId>,
    /// The artifact rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleSubject>,
    /// The artifacts concerned (at most [`Subject::ARTIFACTS_KEPT`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<ArtifactSubject>,
    /// How many artifacts the finding concerns in all.
    // Zero exactly when `artifacts` is empty.
    #[serde(skip_serializing_if = "crate::serialize::is_zero")]
    pub artifact_count: usize,
    /// The parameter or placeholder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The predicate type (policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// The attribute rule, as evaluated (parameters substituted), with its
    /// `debug` text (policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<AttributeSubject>,
}

impl Subject {
    /// How many artifacts a subject lists.
    pub const ARTIFACTS_KEPT: usize = 100;
}

/// An attribute rule a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct AttributeSubject {
    /// The rule's position in its `expectedAttributes`.
    pub index: usize,
    /// The expression evaluated.
    pub rule: String,
    /// The rule's `debug` text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<String>,
    /// What the rule evaluated to, or why it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_seen: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// How serious it is.
    pub severity: Severity,
    /// One line, lower case, naming what failed.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub help: Option<String>,
    /// What it is about.
    pub subject: Subject,
    /// How the reference implementation reports the same failure, where
    /// it is one of the failures it names (see [`ReferenceError`]).
    #[serde(skip)]
    pub reference: Option<ReferenceError>,
}

/// The reference implementation's report of a failure: the class of the
/// exception it raises and its message, as `in-toto-verify` prints them
/// (`(in-toto-verify) RuleVerificationError: 'DISALLOW *' matched ...`).
/// Programs that stand in for the reference print this form.
///
/// Artifact lists in it are sorted: the reference prints its artifact
/// queues in Python set order, which changes from run to run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReferenceError {
    /// The exception class, e.g. `ThresholdVerificationError`; empty for
    /// a warning the reference logs without failing.
    pub class: &'static str,
    /// The exception's message; may span lines.
    pub message: String,
}

impl Diagnostic {
    /// A finding with the code's severity.
    pub fn new(code: Code, message: impl Into<String>, subject: Subject) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            help: None,
            subject,
            reference: None,
        }
    }

    /// The same finding with another severity, when `condition` holds.
    #[must_use]
    pub fn with_severity_if(mut self, condition: bool, severity: Severity) -> Self {
        if condition {
            self.severity = severity;
        }
        self
    }

    /// The same finding with the reference implementation's report of it.
    #[must_use]
    pub fn with_reference(mut self, class: &'static str, message: impl Into<String>) -> Self {
        self.reference = Some(ReferenceError {
            class,
            message: message.into(),
        });
        self
    }

    /// The same finding with advice.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `error[threshold-not-met]: step 'build' needs ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: ", self.severity, self.code)?;
        if !self.subject.sublayout.is_empty() {
            write!(f, "in sublayout {}: ", self.subject.sublayout.join("/"))?;
        }
        f.write_str(&self.message)
    }
}

/// The outcome of a verification: every finding, and what passed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// Every finding, in the order the checks ran.
    pub diagnostics: Vec<Diagnostic>,
    /// The rule-by-rule traces of every rule list checked, when asked for
    /// ([`crate::Verifier::traces`]); a failing list's trace ends at the
    /// failing rule.
    pub traces: Vec<RuleTrace>,
    /// The summary link of the verified supply chain (the first step's
    /// materials, the last step's products), when verification passed.
    #[serde(skip)]
    pub summary: Option<ChainLink>,
}

impl Verdict {
    /// Whether verification passed: no finding of severity error.
    pub fn passed(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The findings of severity error.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The findings of severity warning.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// Whether a finding has `code`.
    pub fn has(&self, code: Code) -> bool {
        self.diagnostics.iter().any(|d| d.code == code)
    }
}
