//! The verifier: what a verification needs besides the layout and its
//! keys (the time, where evidence comes from, how inspections run), and
//! its entry point, [`Verifier::verify`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use intoto_crypto::PublicKey;
use intoto_model::{Inspection, Link, Metadata, ModelError};

use crate::diagnostic::Verdict;
use crate::evidence::{EvidenceSource, LinkFolder, LinkSource, SourceError};
use crate::session::Session;

/// Runs inspections: the inspection's `run` command (no shell) in the
/// verifier's working folder, recording the artifacts (`.`, with the
/// reference's default excludes) before as materials and after as
/// products, and the return value in the byproducts.
pub trait InspectionRunner {
    /// Runs `inspection` (parameters already substituted) and returns its
    /// unsigned link, named after the inspection, with
    /// `byproducts["return-value"]`.
    ///
    /// # Errors
    ///
    /// When the command cannot be started, or is killed after a timeout.
    /// The verdict then fails with `inspection-not-run`.
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError>;
}

/// An inspection runner for layouts without inspections: it refuses to run
/// anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInspections;

impl InspectionRunner for NoInspections {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        Err(format!(
            "this verifier runs no inspections (inspection '{}')",
            inspection.name
        )
        .into())
    }
}

/// Verification could not be carried out (as opposed to: it was carried
/// out and failed, which is a [`Verdict`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The metadata given as the layout holds another document.
    #[error("the layout file holds a {found}, not a layout")]
    NotALayout {
        /// `link` or `statement`.
        found: &'static str,
    },
    /// The layout's document does not fit the model.
    #[error("the layout is not a valid layout document")]
    Layout(#[source] ModelError),
    /// A link file exists but could not be read.
    #[error("cannot read link file {file}")]
    LinkSource {
        /// The file, as the link source names it.
        file: String,
        /// Why.
        #[source]
        source: SourceError,
    },
}

/// Verifies layouts: holds what a verification needs besides the layout
/// and its keys.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use intoto_verify::{LinkSource, NoInspections, SourceError, Verifier};
///
/// struct NoLinks;
/// impl LinkSource for NoLinks {
///     fn read(&self, _: &[String], _: &str) -> Result<Option<Vec<u8>>, SourceError> {
///         Ok(None)
///     }
/// }
///
/// let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let verifier = Verifier::new(now, &NoLinks, &NoInspections);
/// let layout = intoto_model::Metadata::from_slice(
///     br#"{"signed": {"_type": "layout", "expires": "2030-01-01T00:00:00Z",
///          "keys": {}, "steps": [], "inspect": []}, "signatures": []}"#,
/// )?;
/// let verdict = verifier.verify(layout, &[])?;
/// assert!(!verdict.passed());
/// assert_eq!(verdict.diagnostics[0].code.as_str(), "layout-no-keys");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Verifier<'a> {
    pub(crate) now: DateTime<Utc>,
    source: Source<'a>,
    pub(crate) inspections: &'a dyn InspectionRunner,
    parameters: Option<BTreeMap<String, String>>,
    pub(crate) traces: bool,
    pub(crate) sublayout_inspections: bool,
    pub(crate) expires_required: bool,
    pub(crate) timestamps: Option<std::sync::Arc<dyn crate::functionary::TimestampVerifier>>,
}

/// Where a verifier's evidence comes from.
enum Source<'a> {
    Links(LinkFolder<'a>),
    Other(&'a dyn EvidenceSource),
}

/// How deep sublayouts may nest (a root layout's sublayout is at depth 1).
/// The reference recurses without a limit; a sublayout folder that is a
/// symlink back to its parent would recurse until the stack overflows.
pub const MAX_SUBLAYOUT_DEPTH: usize = 32;

/// How many sublayouts one verification follows in all. Depth alone does
/// not bound the work: a step with two functionaries who each supply a
/// sublayout, at every level, doubles it with each level.
pub const MAX_SUBLAYOUTS: usize = 256;

impl<'a> Verifier<'a> {
    /// A verifier at time `now`, reading links from `links` and running
    /// inspections with `inspections`.
    pub fn new(
        now: DateTime<Utc>,
        links: &'a dyn LinkSource,
        inspections: &'a dyn InspectionRunner,
    ) -> Self {
        Self::with_source(now, Source::Links(LinkFolder::new(links)), inspections)
    }

    /// A verifier at time `now`, taking evidence from `evidence` and
    /// running inspections with `inspections`.
    pub fn with_evidence(
        now: DateTime<Utc>,
        evidence: &'a dyn EvidenceSource,
        inspections: &'a dyn InspectionRunner,
    ) -> Self {
        Self::with_source(now, Source::Other(evidence), inspections)
    }

    fn with_source(
        now: DateTime<Utc>,
        source: Source<'a>,
        inspections: &'a dyn InspectionRunner,
    ) -> Self {
        Self {
            now,
            source,
            inspections,
            parameters: None,
            traces: false,
            sublayout_inspections: true,
            expires_required: true,
            timestamps: None,
        }
    }

    /// Whether a layout without `expires` fails verification (default:
    /// yes). The reference gives such a layout an expiry a month after it
    /// is loaded, so for it the layout never expires; with `false` a
    /// missing `expires` is only a warning, as a stand-in for the
    /// reference needs.
    #[must_use]
    pub fn expires_required(mut self, required: bool) -> Self {
        self.expires_required = required;
        self
    }

    /// Whether to run the inspections of sublayouts (default: yes, as the
    /// reference does). A sublayout is signed by a functionary, not by the
    /// layout owner, so its inspections are commands a functionary chose,
    /// run on the verifying machine. With `false` they are skipped with an
    /// `inspection-skipped` warning, and rules that match against their
    /// links find nothing.
    #[must_use]
    pub fn sublayout_inspections(mut self, run: bool) -> Self {
        self.sublayout_inspections = run;
        self
    }

    /// Substitutes these parameters into the root layout's rules,
    /// expected commands and inspection commands (Python `str.format`
    /// semantics, see [`crate::params`]). Without this call nothing is
    /// substituted and braces are literal, as in the reference's CLI.
    #[must_use]
    pub fn parameters(mut self, parameters: BTreeMap<String, String>) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Trusts these timestamp authorities: a link's certificate (ITE-7) is
    /// checked at the time a timestamp over its signature proves, when one
    /// verifies; without it, at verification time.
    #[must_use]
    pub fn timestamps(
        mut self,
        verifier: std::sync::Arc<dyn crate::functionary::TimestampVerifier>,
    ) -> Self {
        self.timestamps = Some(verifier);
        self
    }

    /// Keeps the rule-by-rule trace of every rule list in the verdict
    /// ([`Verdict::traces`]); without it only failing lists are traced.
    #[must_use]
    pub fn traces(mut self, keep: bool) -> Self {
        self.traces = keep;
        self
    }

    /// Verifies the supply chain `layout` lays out; `keys` must all have
    /// signed it.
    ///
    /// # Errors
    ///
    /// [`Error`] when verification cannot be carried out: the layout is
    /// not a layout document, or a link file cannot be read.
    pub fn verify(&self, layout: Metadata, keys: &[PublicKey]) -> Result<Verdict, Error> {
        Session::new(self, &layout).run(layout, keys, self.parameters.as_ref())
    }

    /// The evidence source.
    pub(crate) fn evidence(&self) -> &dyn EvidenceSource {
        match &self.source {
            Source::Links(folder) => folder,
            Source::Other(source) => *source,
        }
    }
}
