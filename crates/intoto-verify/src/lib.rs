//! Verification for in-toto: the whole supply-chain check of a layout
//! against its links, and the artifact-rule engine, exact to the Python
//! reference implementation (in-toto 3.1.0) except where [`manual`] says.
//!
//! - [`Verifier`]: verifies a layout (in-toto specification v1.0 §5, in the
//!   reference's order, one module of `stage/` per stage) and returns a
//!   [`Verdict`] of [`Diagnostic`]s with stable codes ([`Code`], catalogued
//!   in `docs/diagnostics.md`). Inspections run through an
//!   [`InspectionRunner`]; the `intoto` facade wires it and the link folder
//!   to the file system.
//! - [`evidence`]: the one input the rule engine takes, `Verified<`[`Evidence`]`>`,
//!   whatever its source: an [`EvidenceSource`] ([`LinkFolder`] reads
//!   `<step>.<keyid[:8]>.link` files through a [`LinkSource`]; attestation
//!   folders, bundles and stores are further sources).
//! - [`functionary`]: who signed the evidence ([`Functionary`]), and the
//!   [`Authority`] that decides whether a signature comes from a
//!   functionary the layout authorises ([`KeyAuthority`]: keys and OpenPGP
//!   masters); thresholds count functionaries.
//! - [`ArtifactPattern`] (from `intoto-model`, re-exported): artifact
//!   patterns, compiled once when a rule is parsed, with CPython 3.11 `fnmatch.fnmatchcase`
//!   semantics (`*` crosses `/`, no `**`, no braces, no backslash escapes).
//! - [`verify_item_rules`]: one rule list of a step or inspection against its
//!   link (the reference's `verify_item_rules`), returning a [`RuleTrace`]
//!   of what each rule consumed or a [`RuleViolation`] that names the rule,
//!   the artifacts and the earlier rules that selected them without
//!   consuming them. [`verify_item`] runs the materials and then the
//!   products rules of a step or inspection.
//! - [`params`]: layout parameters with Python `str.format` semantics.
//! - [`policy`]: attestation policies; [`policy::attribute`] compiles and
//!   evaluates CEL `expectedAttributes` rules at a bounded cost.
//!
//! Implemented: in-toto specification v1.0 (layouts, links, sublayouts,
//! inspections, artifact rules), ITE-5 (legacy and DSSE metadata, mixed
//! freely), ITE-6 link attestations as links, parameter substitution as the
//! reference's library has it.
//!
//! The crate is pure: no file system, processes or clock; `now`, the links
//! and the inspection runner are inputs. Large links are read straight from
//! their text into compact [`ArtifactMap`]s (a million artifacts take about
//! 70 MB), their canonical form and signature check on one thread and the
//! artifacts on another.
//!
//! ```
//! use std::collections::BTreeMap;
//!
//! use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Link};
//! use intoto_verify::verify_item_rules;
//!
//! let digest = |hex: &str| DigestSet::from_iter([("sha256".to_owned(), hex.to_owned())]);
//! let mut checkout = Link::new("checkout");
//! checkout.products.insert("src/main.c".into(), digest("aa"));
//! let mut build = Link::new("build");
//! build.materials.insert("src/main.c".into(), digest("aa"));
//! build.materials.insert("evil.sh".into(), digest("bb"));
//! let links = BTreeMap::from([
//!     ("checkout".to_owned(), checkout),
//!     ("build".to_owned(), build.clone()),
//! ]);
//! let rules = [
//!     ArtifactRule::parse(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "checkout"]).unwrap(),
//!     ArtifactRule::parse(&["DISALLOW", "*"]).unwrap(),
//! ];
//!
//! let err = verify_item_rules("build", &rules, ArtifactType::Materials, &build, &links)
//!     .unwrap_err();
//! assert_eq!(err.code(), "rule-disallow-matched");
//! assert_eq!(err.rule_index, 1);
//! assert_eq!(err.artifacts[0].path, "evil.sh");
//! assert_eq!(err.trace.steps[0].consumed, ["src/main.c"]);
//! assert_eq!(
//!     err.to_string(),
//!     "'build': materials rule 1 (DISALLOW *) matched 'evil.sh' (sha256:bb) — no earlier rule consumed it"
//! );
//! ```
//!
//! Deviations from the reference are listed, with their tests, in
//! [`manual`]. Names in traces and violations are sorted, where the
//! reference lists sets in hash order.

pub mod artifacts;
mod chain;
pub mod diagnostic;
pub mod evidence;
pub mod functionary;
mod linkfile;
pub mod manual;
pub mod params;
pub mod policy;
pub mod reference;
pub mod rules;
mod serialize;
mod session;
pub(crate) mod stage;
mod verifier;

/// Internals reachable for fuzzing and differential tests only; not part of
/// the API.
#[doc(hidden)]
pub mod internal {
    use crate::linkfile::{self, Document};

    /// Reads a link file both ways (the fast reader and the model) and
    /// says how they disagree, if they do.
    ///
    /// # Errors
    ///
    /// A description of the first disagreement.
    pub fn link_file_readings_agree(bytes: &[u8]) -> Result<(), String> {
        let model = linkfile::open_model(bytes);
        let Ok(model) = model else {
            return match linkfile::open(bytes).map(|o| o.signed().is_ok()) {
                Ok(true) => Err("the fast reader accepts what the model rejects".into()),
                _ => Ok(()),
            };
        };
        let model_signed = model.signed().map_err(|e| e.to_string())?.into_owned();
        let model_doc = describe(model.document());
        let mut canonical = Vec::new();
        // The one-pass readers take text; the model has accepted these bytes,
        // so they are UTF-8.
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        if let Some(signatures) = linkfile::legacy_signed(text, &mut canonical)
            && (signatures != model.signatures || canonical != model_signed)
        {
            return Err("one-pass legacy signed bytes differ".into());
        }
        if let Some(link) = linkfile::legacy_link(text)
            && describe(Ok(Document::Link(link))) != model_doc
        {
            return Err("one-pass legacy link differs".into());
        }
        if let Ok(fast) = linkfile::open(bytes) {
            let signed = fast.signed().map_err(|e| e.to_string())?;
            if fast.kind != model.kind
                || fast.signatures != model.signatures
                || *signed != model_signed
            {
                return Err("fast signed bytes differ".into());
            }
            if describe(fast.document()) != model_doc {
                return Err("fast document differs".into());
            }
        }
        Ok(())
    }

    fn describe(doc: Result<Document, intoto_model::ModelError>) -> String {
        match doc {
            Ok(Document::Link(link)) => format!("{link:?}"),
            Ok(Document::Layout(md)) => format!("layout {md:?}"),
            Ok(Document::Statement(s)) => format!("statement {s:?}"),
            Err(e) => format!("error {e}"),
        }
    }
}

pub use artifacts::{ArtifactMap, Digests};
pub use chain::{ChainLink, ReturnValue};
pub use diagnostic::{
    ArtifactSubject, AttributeSubject, Code, Compared, Diagnostic, Domain, ReferenceError,
    RuleSubject, Severity, Subject, Verdict,
};
pub use evidence::{
    Claim, Evidence, EvidenceSource, Found, LinkFolder, LinkSource, Origin, Predicate, Rejection,
    Request, SourceError, Sublayout,
};
pub use functionary::{
    Authority, Candidate, CertificateCheck, Functionary, KeyAuthority, KeyFingerprint,
    LayoutAuthority, SignedBytes, TimestampVerifier, TrustBundleSet, check_certificate_signature,
    constraint_mismatch,
};
pub use intoto_model::pattern::{self, ArtifactPattern};
pub use params::ParameterError;
pub use rules::{
    ItemKind, ItemTrace, NearMiss, NearMissReason, OffendingArtifact, RuleStep, RuleTrace,
    RuleViolation, ViolationKind, verify_item, verify_item_rules,
};
pub use verifier::{
    Error, InspectionRunner, MAX_SUBLAYOUT_DEPTH, MAX_SUBLAYOUTS, NoInspections, Verifier,
};

/// `Display` of an error and its sources, joined by `: ` (how findings and
/// messages print an error on one line).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
