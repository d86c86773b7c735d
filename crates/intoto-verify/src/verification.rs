//! The whole verification of a supply chain against its layout, in the
//! reference's order (`verifylib.in_toto_verify`, in-toto 3.1.0; spec §5):
//!
//! 1. every given key signed the layout (at least one key);
//! 2. the layout has not expired (`expires <= now` is expired);
//! 3. parameters are substituted; the layout is checked for mistakes the
//!    reference only trips over later, or never;
//! 4. for each step, the links of its authorised functionaries are read
//!    (`<step>.<keyid[:8]>.link`, OpenPGP subkeys included) and their
//!    signatures checked; a threshold of distinct functionaries is needed;
//! 5. sublayouts are verified recursively and replaced by summary links;
//! 6. commands that differ from `expected_command` are reported;
//! 7. the links of a step with a threshold above one must agree on their
//!    artifacts;
//! 8. each step's artifact rules are applied to its (first) link;
//! 9. inspections run, and must return 0;
//! 10. each inspection's artifact rules are applied, with the step and
//!     inspection links.
//!
//! The reference stops at the first failure. Here every check of a stage
//! runs and reports, and the next stage runs only if the stage found no
//! error: findings are complete within a stage, and nothing later (above
//! all, no inspection command) runs on a chain that already failed.
//!
//! This module does no I/O: links come from a [`LinkSource`], inspections
//! run through an [`InspectionRunner`], and `now` is given.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use intoto_crypto::{
    PublicKey, SignatureError, Verified, check_signature_at, check_signature_over_at,
    verify_by_all_at,
};
use intoto_model::name::{check_item_name, is_safe_keyid};
use intoto_model::{
    ArtifactRule, ArtifactType, EnvelopeKind, Inspection, KeyDict, KeyId, Layout, Link, Metadata,
    ModelError, Payload, Step, SupplyChainItem, link_file_name, sublayout_link_dir,
};

use crate::chain::{ChainLink, ReturnValue};
use crate::diagnostic::{
    ArtifactSubject, Code, Compared, Diagnostic, RuleSubject, Subject, Verdict,
};
use crate::linkfile::{self, Document};
use crate::params::{self, ParameterError};
use crate::rules::engine::{self, Detail, Lists, RuleList};
use crate::rules::{ItemKind, NearMissReason, RuleViolation, ViolationKind};

/// An error from a link source or an inspection runner.
pub type SourceError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where link files come from: a folder on disk, an archive, a store.
///
/// Links are looked up by name, as the reference does: a step's links are
/// `<step>.<keyid[:8]>.link` for each functionary the step authorises, in
/// the link folder; a sublayout's links are in the folder
/// `<step>.<keyid[:8]>` inside the folder of the layout that delegates to
/// it.
pub trait LinkSource {
    /// The contents of `file` in `folder` (sublayout folder names,
    /// outermost first; empty for the root link folder), or `None` when
    /// there is no such file.
    ///
    /// # Errors
    ///
    /// When the file exists but cannot be read. Verification then stops
    /// with [`Error::LinkSource`]: a link that cannot be read is not the
    /// same as a missing one.
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError>;

    /// How messages name `file` in `folder` (default: `folder/…/file`).
    fn describe(&self, folder: &[String], file: &str) -> String {
        let mut parts: Vec<&str> = folder.iter().map(String::as_str).collect();
        parts.push(file);
        parts.join("/")
    }
}

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
    now: DateTime<Utc>,
    links: &'a dyn LinkSource,
    inspections: &'a dyn InspectionRunner,
    parameters: Option<BTreeMap<String, String>>,
    traces: bool,
    sublayout_inspections: bool,
    expires_required: bool,
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
        Self {
            now,
            links,
            inspections,
            parameters: None,
            traces: false,
            sublayout_inspections: true,
            expires_required: true,
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
        let mut session = Session {
            verifier: self,
            now_unix: self.now.timestamp(),
            verdict: Verdict::default(),
            ancestry: layout.signed_bytes().ok().into_iter().collect(),
            sublayouts: 0,
        };
        let summary = session.layout(layout, keys, &[], "", self.parameters.as_ref())?;
        let mut verdict = session.verdict;
        if verdict.passed() {
            verdict.summary = summary;
        }
        Ok(verdict)
    }
}

/// One verification in progress.
struct Session<'v, 'a> {
    verifier: &'v Verifier<'a>,
    now_unix: i64,
    verdict: Verdict,
    /// The signed bytes of the layouts being verified, root first: a
    /// sublayout equal to one of them is a cycle.
    ancestry: Vec<Vec<u8>>,
    /// How many sublayouts have been followed so far.
    sublayouts: usize,
}

/// A link that passed its signature check, from one functionary.
struct Evidence {
    /// The keyid the file is named after.
    keyid: KeyId,
    /// The file, as the link source names it.
    file: String,
    /// The key that checked it (the main key for an OpenPGP subkey).
    key: PublicKey,
    content: Content,
}

enum Content {
    Link(ChainLink),
    Sublayout(Metadata),
}

/// Where a layout's checks happen.
struct Scope<'s> {
    folder: &'s [String],
}

impl Scope<'_> {
    fn subject(&self) -> Subject {
        Subject {
            sublayout: self.folder.to_vec(),
            ..Subject::default()
        }
    }

    fn item(&self, name: &str, kind: ItemKind) -> Subject {
        Subject {
            item: Some(name.to_owned()),
            item_kind: Some(kind),
            ..self.subject()
        }
    }
}

impl Session<'_, '_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        tracing::debug!(
            code = diagnostic.code.as_str(),
            severity = diagnostic.severity.as_str(),
            "{}",
            diagnostic.message
        );
        self.verdict.diagnostics.push(diagnostic);
    }

    fn error_count(&self) -> usize {
        self.verdict.errors().count()
    }

    /// Verifies one layout (the root, or a sublayout in `folder`); returns
    /// its summary link, or `None` if it failed (the findings are in the
    /// verdict).
    fn layout(
        &mut self,
        md: Metadata,
        keys: &[PublicKey],
        folder: &[String],
        name: &str,
        parameters: Option<&BTreeMap<String, String>>,
    ) -> Result<Option<ChainLink>, Error> {
        let scope = Scope { folder };
        let errors = self.error_count();
        tracing::info!("verifying layout signatures");
        let Some(layout) = self.layout_signatures(md, keys, &scope)? else {
            return Ok(None);
        };

        tracing::info!("verifying layout expiration");
        match &layout.expires {
            None => self.push(
                Diagnostic::new(
                    Code::LayoutExpiresMissing,
                    "the layout has no expiry date (`expires`)",
                    scope.subject(),
                )
                .with_help("have the layout owner set `expires` and sign the layout again")
                .with_severity_if(!self.verifier.expires_required, crate::Severity::Warning),
            ),
            Some(expires) if expires.is_expired_at(self.verifier.now) => self.push(
                Diagnostic::new(
                    Code::LayoutExpired,
                    format!("the layout expired at {expires}"),
                    scope.subject(),
                )
                .with_help("ask the layout owner for a new layout")
                .with_reference("LayoutExpiredError", "Layout expired"),
            ),
            Some(_) => {}
        }
        if self.error_count() > errors {
            return Ok(None);
        }

        let layout = match parameters {
            None => layout,
            Some(parameters) => {
                tracing::info!("substituting layout parameters");
                let (layout, problems) = substitute_layout(layout, parameters);
                for (problem, item) in problems {
                    self.parameter_problem(&scope, problem, item);
                }
                layout
            }
        };
        if self.error_count() > errors {
            return Ok(None);
        }
        let layout_keys = self.check_layout(&layout, &scope);
        if self.error_count() > errors {
            return Ok(None);
        }

        tracing::info!("reading link metadata and verifying link signatures");
        let mut evidence: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
        for step in &layout.steps {
            let found = self.step_links(&layout, &layout_keys, step, &scope)?;
            evidence.insert(step.name.clone(), found);
        }
        if self.error_count() > errors {
            return Ok(None);
        }

        tracing::info!("verifying sublayouts");
        for step in &layout.steps {
            let Some(found) = evidence.get_mut(&step.name) else {
                continue;
            };
            for e in found.iter_mut() {
                if let Content::Sublayout(md) = &e.content {
                    let mut sub_folder = folder.to_vec();
                    sub_folder.push(sublayout_link_dir(&step.name, &e.keyid));
                    let subject = || Subject {
                        link_file: Some(e.file.clone()),
                        keyid: Some(e.keyid.clone()),
                        ..scope.item(&step.name, ItemKind::Step)
                    };
                    if sub_folder.len() > MAX_SUBLAYOUT_DEPTH {
                        self.push(
                            Diagnostic::new(
                                Code::SublayoutTooDeep,
                                format!(
                                    "{}: sublayouts nest deeper than {MAX_SUBLAYOUT_DEPTH} levels; not followed",
                                    e.file
                                ),
                                subject(),
                            )
                            .with_help("a sublayout folder may be a symlink to one of its parents; check the link folder"),
                        );
                        continue;
                    }
                    let bytes = md.signed_bytes().ok();
                    if let Some(bytes) = &bytes
                        && self.ancestry.contains(bytes)
                    {
                        self.push(
                            Diagnostic::new(
                                Code::SublayoutCycle,
                                format!(
                                    "{}: the sublayout of step '{}' is a layout it is itself part of; not followed",
                                    e.file, step.name
                                ),
                                subject(),
                            )
                            .with_help("a sublayout folder may be a symlink to one of its parents; check the link folder"),
                        );
                        continue;
                    }
                    if self.sublayouts >= MAX_SUBLAYOUTS {
                        self.push(
                            Diagnostic::new(
                                Code::SublayoutTooMany,
                                format!(
                                    "{}: more than {MAX_SUBLAYOUTS} sublayouts in one supply chain; not followed",
                                    e.file
                                ),
                                subject(),
                            )
                            .with_help("sublayout folders may be symlinks that lead to the same sublayouts again and again; check the link folder"),
                        );
                        continue;
                    }
                    self.sublayouts += 1;
                    tracing::info!(step.name = step.name, "verifying sublayout");
                    let pushed = bytes.is_some();
                    self.ancestry.extend(bytes);
                    let summary = self.layout(
                        md.clone(),
                        std::slice::from_ref(&e.key),
                        &sub_folder,
                        &step.name,
                        None,
                    );
                    if pushed {
                        self.ancestry.pop();
                    }
                    if let Some(summary) = summary? {
                        e.content = Content::Link(summary);
                    }
                }
            }
        }
        if self.error_count() > errors {
            return Ok(None);
        }
        let chain: BTreeMap<&str, Vec<(&Evidence, &ChainLink)>> = evidence
            .iter()
            .map(|(step, found)| {
                let links = found
                    .iter()
                    .filter_map(|e| match &e.content {
                        Content::Link(link) => Some((e, link)),
                        Content::Sublayout(_) => None,
                    })
                    .collect();
                (step.as_str(), links)
            })
            .collect();

        tracing::info!("verifying alignment of reported commands");
        for step in &layout.steps {
            for (e, link) in chain.get(step.name.as_str()).into_iter().flatten() {
                if link.command != step.expected_command {
                    self.push(
                        Diagnostic::new(
                            Code::CommandMismatch,
                            format!(
                                "{}: the command run was {:?}, step '{}' expects {:?}",
                                e.file, link.command, step.name, step.expected_command
                            ),
                            Subject {
                                link_file: Some(e.file.clone()),
                                keyid: Some(e.keyid.clone()),
                                ..scope.item(&step.name, ItemKind::Step)
                            },
                        )
                        .with_reference(
                            "",
                            format!(
                                "Run command '{}' differs from expected command '{}'",
                                crate::reference::py_list(&link.command),
                                crate::reference::py_list(&step.expected_command)
                            ),
                        ),
                    );
                }
            }
        }

        tracing::info!("verifying threshold constraints");
        for step in layout.steps.iter().filter(|s| s.threshold > 1) {
            let links = chain
                .get(step.name.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let Some(((first, reference), others)) = links.split_first() else {
                continue;
            };
            for (e, link) in others {
                if let Some(diagnostic) = disagreement(step, first, reference, e, link, &scope) {
                    self.push(diagnostic);
                }
            }
        }
        if self.error_count() > errors {
            return Ok(None);
        }

        // The reference keeps a step's first verified link, in the order of
        // its `pubkeys`.
        let mut reduced: BTreeMap<String, ChainLink> = BTreeMap::new();
        let mut reduced_files: BTreeMap<String, String> = BTreeMap::new();
        for (step, links) in &chain {
            if let Some((e, link)) = links.first() {
                reduced.insert((*step).to_owned(), (*link).clone());
                reduced_files.insert((*step).to_owned(), e.file.clone());
            }
        }
        drop(chain);
        drop(evidence);

        tracing::info!("verifying step rules");
        for step in &layout.steps {
            self.item_rules(
                SupplyChainItem::Step(step),
                &reduced,
                &reduced_files,
                &scope,
            );
        }
        if self.error_count() > errors {
            return Ok(None);
        }

        tracing::info!("executing inspection commands");
        let mut inspected = reduced.clone();
        for inspection in &layout.inspect {
            if !folder.is_empty() && !self.verifier.sublayout_inspections {
                self.push(Diagnostic::new(
                    Code::InspectionSkipped,
                    format!(
                        "inspection '{}' ({}) of the sublayout was not run (--no-sublayout-inspections)",
                        inspection.name,
                        inspection.run.join(" ")
                    ),
                    scope.item(&inspection.name, ItemKind::Inspection),
                ));
                continue;
            }
            match self.inspect(inspection, &scope) {
                Some(link) => {
                    inspected.insert(inspection.name.clone(), link);
                }
                None => return Ok(None),
            }
        }

        tracing::info!("verifying inspection rules");
        for inspection in &layout.inspect {
            self.item_rules(
                SupplyChainItem::Inspection(inspection),
                &inspected,
                &reduced_files,
                &scope,
            );
        }
        if self.error_count() > errors {
            return Ok(None);
        }
        Ok(Some(summary_link(&layout, &reduced, name)))
    }

    /// Step 1: every key signed the layout. Returns the layout.
    fn layout_signatures(
        &mut self,
        md: Metadata,
        keys: &[PublicKey],
        scope: &Scope<'_>,
    ) -> Result<Option<Layout>, Error> {
        if keys.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::LayoutNoKeys,
                    "no key was given to verify the layout's signatures",
                    scope.subject(),
                )
                .with_help("pass the layout owner's public key(s) with --verification-keys"),
            );
            return Ok(None);
        }
        let mut failed = false;
        let legacy = matches!(md, Metadata::Metablock(_));
        for key in keys {
            let Err(e) = check_signature_at(&md, key, self.now_unix) else {
                continue;
            };
            failed = true;
            // The reference's Metablock names the key; its DSSE check
            // raises the error without a message.
            let reference = |legacy_message: String| {
                if legacy {
                    legacy_message
                } else {
                    String::new()
                }
            };
            let subject = Subject {
                keyid: Some(key.keyid().clone()),
                ..scope.subject()
            };
            let diagnostic = match e {
                SignatureError::NoSignature { .. } => Diagnostic::new(
                    Code::LayoutSignatureMissing,
                    format!("the layout is not signed by key {}", key.keyid()),
                    subject,
                )
                .with_help(
                    "every key given must have signed the layout: check that this is the layout owner's key and the layout file you meant",
                )
                .with_reference(
                    "SignatureVerificationError",
                    reference(format!("No signature found for key '{}'", key.keyid())),
                ),
                SignatureError::KeyExpired { keyid, expired_at } => Diagnostic::new(
                    Code::LayoutKeyExpired,
                    format!("layout key {keyid} expired at unix time {expired_at}"),
                    subject,
                ),
                other => Diagnostic::new(
                    Code::LayoutSignatureInvalid,
                    format!("the layout's signature by key {}: {other}", key.keyid()),
                    subject,
                )
                .with_help("the layout was changed after it was signed, or signed with another key")
                .with_reference(
                    "SignatureVerificationError",
                    reference(format!("Invalid signature for keyid '{}'", key.keyid())),
                ),
            };
            self.push(diagnostic);
        }
        if failed {
            return Ok(None);
        }
        let verified = match verify_by_all_at(md, keys, self.now_unix) {
            Ok(verified) => verified,
            Err(e) => {
                self.push(Diagnostic::new(
                    Code::LayoutSignatureInvalid,
                    format!("the layout's signatures: {e}"),
                    scope.subject(),
                ));
                return Ok(None);
            }
        };
        let layout: Result<Verified<Layout>, Error> = verified
            .try_map(Metadata::into_payload)
            .map_err(Error::Layout)
            .and_then(|v| {
                v.try_map(|payload| match payload {
                    Payload::Layout(layout) => Ok(layout),
                    other => Err(Error::NotALayout {
                        found: other.kind(),
                    }),
                })
            });
        match layout {
            Ok(layout) => Ok(Some(layout.into_inner())),
            // The root layout that is not one: verification cannot be
            // carried out. A sublayout that is not one is a finding.
            Err(e) if scope.folder.is_empty() => Err(e),
            Err(e) => {
                self.push(
                    Diagnostic::new(
                        Code::LinkMalformed,
                        format!("the sublayout is not a valid layout: {}", chain_message(&e)),
                        scope.subject(),
                    )
                    .with_help("the functionary must sign a valid layout as the step's sublayout"),
                );
                Ok(None)
            }
        }
    }

    fn parameter_problem(
        &mut self,
        scope: &Scope<'_>,
        problem: ParameterError,
        item: Option<(String, ItemKind)>,
    ) {
        let code = match &problem {
            ParameterError::InvalidName { .. } => Code::ParameterInvalidName,
            ParameterError::Missing { .. } => Code::ParameterMissing,
            ParameterError::Syntax { .. } => Code::ParameterSyntax,
            ParameterError::Unsupported { .. } => Code::ParameterUnsupported,
        };
        let parameter = match &problem {
            ParameterError::InvalidName { name } | ParameterError::Missing { name, .. } => {
                Some(name.clone())
            }
            _ => None,
        };
        let mut subject = match &item {
            Some((name, kind)) => scope.item(name, *kind),
            None => scope.subject(),
        };
        subject.parameter = parameter;
        let message = match &item {
            Some((name, kind)) => format!("{kind} '{name}': {problem}"),
            None => problem.to_string(),
        };
        self.push(Diagnostic::new(code, message, subject));
    }

    /// Step 3: mistakes in the layout itself. Returns the usable keys.
    fn check_layout(&mut self, layout: &Layout, scope: &Scope<'_>) -> LayoutKeys {
        let mut seen = BTreeSet::new();
        for item in layout.items() {
            if let Err(problem) = check_item_name(item.name()) {
                self.push(
                    Diagnostic::new(
                        Code::LayoutNameInvalid,
                        format!(
                            "the {} named {:?} cannot be used: the name {problem}",
                            kind_of(item),
                            item.name()
                        ),
                        scope.item(item.name(), kind_of(item)),
                    )
                    .with_help("names become file names (<name>.<keyid prefix>.link); use a plain name without '/', '\\', '..' or control characters"),
                );
            }
        }
        for item in layout.items() {
            if !seen.insert(item.name().to_owned()) {
                self.push(Diagnostic::new(
                    Code::LayoutNameDuplicate,
                    format!(
                        "the layout has more than one step or inspection named '{}'",
                        item.name()
                    ),
                    scope.item(item.name(), kind_of(item)),
                ));
            }
        }
        let keys = LayoutKeys::new(layout);
        for (keyid, problem) in &keys.invalid {
            self.push(Diagnostic::new(
                Code::LayoutKeyInvalid,
                format!("layout key {keyid} cannot be used: {problem}"),
                Subject {
                    keyid: Some(keyid.clone()),
                    ..scope.subject()
                },
            ));
        }
        let steps: BTreeSet<&str> = layout.steps.iter().map(|s| s.name.as_str()).collect();
        let inspections: BTreeSet<&str> = layout.inspect.iter().map(|i| i.name.as_str()).collect();
        for step in &layout.steps {
            let subject = || scope.item(&step.name, ItemKind::Step);
            if step.threshold < 1 {
                self.push(
                    Diagnostic::new(
                        Code::LayoutThresholdInvalid,
                        format!(
                            "step '{}' has threshold {}; it must be at least 1",
                            step.name, step.threshold
                        ),
                        subject(),
                    )
                    .with_help("a step is carried out by at least one functionary"),
                );
            }
            for keyid in &step.pubkeys {
                if !layout.keys.contains_key(keyid) && !keys.main_of_subkey.contains_key(keyid) {
                    self.push(Diagnostic::new(
                        Code::LayoutPubkeyUnknown,
                        format!(
                            "step '{}' authorizes key {keyid}, which is not among the layout's keys",
                            step.name
                        ),
                        Subject {
                            keyid: Some(keyid.clone()),
                            ..subject()
                        },
                    ));
                }
            }
        }
        for item in layout.items() {
            let is_step = matches!(item, SupplyChainItem::Step(_));
            for (artifact_type, rules) in [
                (ArtifactType::Materials, item.expected_materials()),
                (ArtifactType::Products, item.expected_products()),
            ] {
                for (index, rule) in rules.iter().enumerate() {
                    let ArtifactRule::Match(m) = rule else {
                        continue;
                    };
                    let dest = m.dest_step.as_str();
                    let subject = Subject {
                        rule: Some(RuleSubject {
                            artifact_type,
                            index,
                            text: rule.to_string(),
                        }),
                        ..scope.item(item.name(), kind_of(item))
                    };
                    let kind = kind_of(item);
                    let name = item.name();
                    let field = artifact_type.field();
                    if steps.contains(dest) || (!is_step && inspections.contains(dest)) {
                        continue;
                    }
                    if inspections.contains(dest) {
                        self.push(Diagnostic::new(
                            Code::LayoutMatchFromInspection,
                            format!(
                                "{kind} '{name}': {field} rule {index} ({rule}) matches against inspection '{dest}', which runs after step rules are checked; the rule consumes nothing"
                            ),
                            subject,
                        ));
                    } else {
                        self.push(
                            Diagnostic::new(
                                Code::LayoutMatchFromUnknown,
                                format!(
                                    "{kind} '{name}': {field} rule {index} ({rule}) matches against '{dest}', which is no step or inspection of the layout"
                                ),
                                subject,
                            )
                            .with_help("fix the name after FROM; as written the rule could never consume anything"),
                        );
                    }
                }
            }
        }
        keys
    }

    /// Step 4 for one step: its functionaries' links, signature-checked,
    /// and the threshold.
    fn step_links(
        &mut self,
        layout: &Layout,
        keys: &LayoutKeys,
        step: &Step,
        scope: &Scope<'_>,
    ) -> Result<Vec<Evidence>, Error> {
        let source = self.verifier.links;
        let subject = || scope.item(&step.name, ItemKind::Step);
        let mut candidates: Vec<KeyId> = Vec::new();
        for authorized in &step.pubkeys {
            let subkeys = layout
                .keys
                .get(authorized)
                .map(subkeys_of)
                .unwrap_or_default();
            for keyid in std::iter::once(authorized.clone()).chain(subkeys) {
                if !candidates.contains(&keyid) {
                    candidates.push(keyid);
                }
            }
        }
        let mut found = Vec::new();
        let mut missing = Vec::new();
        let mut skipped = Vec::new();
        let mut counted: Vec<String> = Vec::new();
        // Link files there for authorized keys: the reference's first,
        // file-based threshold check.
        let mut present = 0_usize;
        for keyid in candidates {
            let Some(key) = keys.verification_key(step, &keyid) else {
                continue;
            };
            let name = link_file_name(&step.name, &keyid);
            let file = source.describe(scope.folder, &name);
            let bytes = match source.read(scope.folder, &name) {
                Ok(Some(bytes)) => {
                    present += 1;
                    bytes
                }
                Ok(None) => {
                    missing.push(file);
                    continue;
                }
                Err(source) => return Err(Error::LinkSource { file, source }),
            };
            let link_subject = || Subject {
                link_file: Some(file.clone()),
                keyid: Some(keyid.clone()),
                ..subject()
            };
            let malformed = |e: &dyn std::fmt::Display| {
                Diagnostic::new(
                    Code::LinkMalformed,
                    format!("{file} is not valid link metadata: {e}"),
                    link_subject(),
                )
                .with_help("the file must be a signed link (or sublayout) in the legacy or DSSE format; replace it, or remove it if the functionary did not carry out the step")
            };
            let (signature, document) = match check_and_read_legacy(&bytes, key, self.now_unix) {
                Some(done) => done,
                None => {
                    let opened = match linkfile::open(&bytes) {
                        Ok(opened) => opened,
                        Err(e) => {
                            self.push(malformed(&chain_message(&e)));
                            continue;
                        }
                    };
                    check_and_read(&opened, key, self.now_unix)
                }
            };
            drop(bytes);
            let signature = match signature {
                Ok(signature) => signature,
                Err(e) => {
                    self.push(malformed(&chain_message(&e)));
                    continue;
                }
            };
            let document = match document {
                Ok(document) => document,
                Err(e) => {
                    self.push(malformed(&chain_message(&e)));
                    continue;
                }
            };
            let signed_by = match signature {
                Ok(keyid) => keyid,
                Err(e) => {
                    let (code, message) = match &e {
                        SignatureError::NoSignature { .. } => (
                            Code::LinkSignatureMissing,
                            format!(
                                "{file} is not signed by key {}, whose link it is named as; it does not count",
                                key.keyid()
                            ),
                        ),
                        SignatureError::KeyExpired { keyid, expired_at } => (
                            Code::LinkKeyExpired,
                            format!(
                                "{file} is signed by key {keyid}, which expired at unix time {expired_at}; it does not count"
                            ),
                        ),
                        other => (
                            Code::LinkSignatureInvalid,
                            format!("{file}: {other}; it does not count"),
                        ),
                    };
                    self.push(Diagnostic::new(code, message, link_subject()));
                    skipped.push(file);
                    continue;
                }
            };
            let content = match document {
                Document::Link(link) => Content::Link(link),
                Document::Statement(statement) => match statement.to_link() {
                    Ok(link) => Content::Link(ChainLink::from_link(&link)),
                    Err(e) => {
                        self.push(malformed(&format!(
                            "not a link attestation: {}",
                            chain_message(&e)
                        )));
                        continue;
                    }
                },
                Document::Layout(md) => Content::Sublayout(md),
            };
            if let Content::Link(link) = &content
                && link.name != step.name
            {
                self.push(
                    Diagnostic::new(
                        Code::LinkNameMismatch,
                        format!(
                            "{file} records step '{}', not '{}'; it does not count",
                            link.name, step.name
                        ),
                        link_subject(),
                    )
                    .with_help("a link is evidence for the step it names only; the functionary must record this step"),
                );
                skipped.push(file);
                continue;
            }
            let fingerprint = keys.identity(&signed_by, &keyid, key);
            if counted.contains(&fingerprint) {
                self.push(Diagnostic::new(
                    Code::LinkDuplicateFunctionary,
                    format!(
                        "{file} is by a functionary (key {}) who already has a link for step '{}'; it counts once",
                        key.keyid(),
                        step.name
                    ),
                    link_subject(),
                ));
            } else {
                counted.push(fingerprint);
            }
            found.push(Evidence {
                keyid,
                file,
                key: key.clone(),
                content,
            });
        }
        let valid = counted.len();
        if i64::try_from(valid).unwrap_or(i64::MAX) < step.threshold {
            let mut message = format!(
                "step '{}' needs links from {} distinct authorized functionar{}, found {valid} valid",
                step.name,
                step.threshold,
                if step.threshold == 1 { "y" } else { "ies" }
            );
            if !missing.is_empty() {
                message.push_str(&format!("; missing: {}", missing.join(", ")));
            }
            if !skipped.is_empty() {
                message.push_str(&format!("; not counted: {}", skipped.join(", ")));
            }
            let threshold = step.threshold;
            let reference = if i64::try_from(present).unwrap_or(i64::MAX) < threshold {
                (
                    "LinkNotFoundError",
                    format!(
                        "Step '{}' requires '{threshold}' link metadata file(s), found '{present}'.",
                        step.name
                    ),
                )
            } else {
                (
                    "ThresholdVerificationError",
                    format!(
                        "Step '{}' requires at least '{threshold}' links validly signed by different authorized functionaries. Only found '{valid}'",
                        step.name
                    ),
                )
            };
            self.push(
                Diagnostic::new(Code::ThresholdNotMet, message, subject())
                    .with_help("each authorized functionary records the step (intoto run) and puts its signed <step>.<keyid prefix>.link in the link folder (--link-dir)")
                    .with_reference(reference.0, reference.1),
            );
        }
        Ok(found)
    }

    /// Steps 8 and 10 for one item: its materials and products rules.
    fn item_rules(
        &mut self,
        item: SupplyChainItem<'_>,
        links: &BTreeMap<String, ChainLink>,
        files: &BTreeMap<String, String>,
        scope: &Scope<'_>,
    ) {
        let Some(own) = links.get(item.name()) else {
            return;
        };
        let lookup = |name: &str| links.get(name).map(lists);
        let detail = if self.verifier.traces {
            Detail::Full
        } else {
            Detail::None
        };
        for artifact_type in [ArtifactType::Materials, ArtifactType::Products] {
            let list = RuleList::of(item, artifact_type);
            match engine::evaluate(&list, lists(own), &lookup, detail) {
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

    /// Step 9 for one inspection; `None` if it failed.
    fn inspect(&mut self, inspection: &Inspection, scope: &Scope<'_>) -> Option<ChainLink> {
        tracing::info!(inspection.name = inspection.name, "running inspection");
        let subject = || scope.item(&inspection.name, ItemKind::Inspection);
        let run = &inspection.run;
        if run.is_empty() {
            self.push(
                Diagnostic::new(
                    Code::InspectionFailed,
                    format!("inspection '{}' has no command to run", inspection.name),
                    subject(),
                )
                .with_help("the layout must give the inspection a `run` command")
                .with_reference("BadReturnValueError", "Got non-int return value 'None'."),
            );
            return None;
        }
        let link = match self.verifier.inspections.run(inspection) {
            Ok(link) => ChainLink::from_link(&link),
            Err(e) => {
                self.push(
                    Diagnostic::new(
                        Code::InspectionNotRun,
                        format!("inspection '{}' ({}): {}", inspection.name, run.join(" "), chain_message(e.as_ref())),
                        subject(),
                    )
                    .with_help("the inspection's command must be installed on the verifying machine, and finish within --inspection-timeout"),
                );
                return None;
            }
        };
        let (problem, reference) = match link.return_value() {
            Some(ReturnValue::Integer(0)) => return Some(link),
            Some(ReturnValue::Integer(n)) => (
                format!("returned {n}"),
                format!("non-zero return value '{n}'"),
            ),
            Some(ReturnValue::Other(v)) => (
                format!("returned the non-integer {v}"),
                format!("non-int return value '{v}'"),
            ),
            None => (
                "recorded no return value".to_owned(),
                "non-int return value 'None'".to_owned(),
            ),
        };
        self.push(
            Diagnostic::new(
                Code::InspectionFailed,
                format!(
                    "inspection '{}' ({}) {problem}",
                    inspection.name,
                    run.join(" ")
                ),
                subject(),
            )
            .with_reference(
                "BadReturnValueError",
                format!(
                    "Got {reference} from command '{}'.",
                    crate::reference::py_list(run)
                ),
            ),
        );
        None
    }
}

fn lists(link: &ChainLink) -> Lists<'_> {
    Lists {
        materials: &link.materials,
        products: &link.products,
    }
}

/// Link files from this size on are checked and read on two threads.
const PARALLEL_FROM: usize = 1 << 20;

/// For a large legacy link file: the canonical JSON and its signature
/// check on one thread, the link on the other, each in one pass over the
/// text. `None` for anything else (the general path reads it).
#[allow(clippy::type_complexity)] // Two results, returned together once.
fn check_and_read_legacy(
    bytes: &[u8],
    key: &PublicKey,
    now_unix: i64,
) -> Option<(
    Result<Result<KeyId, SignatureError>, ModelError>,
    Result<Document, ModelError>,
)> {
    if bytes.len() < PARALLEL_FROM {
        return None;
    }
    let (checked, link) = std::thread::scope(|scope| {
        let checking = scope.spawn(|| {
            let mut canonical = Vec::with_capacity(bytes.len());
            linkfile::legacy_signed(bytes, &mut canonical).map(|signatures| {
                check_signature_over_at(
                    &canonical,
                    EnvelopeKind::Legacy,
                    &signatures,
                    key,
                    now_unix,
                )
            })
        });
        let link = linkfile::legacy_link(bytes);
        let checked = checking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, link)
    });
    Some((Ok(checked?), Ok(Document::Link(link?))))
}

/// Checks the signature of `opened` by `key` and reads its document, on two
/// threads for a large file: the signed bytes (canonical JSON or the DSSE
/// encoding) and their hash on one, the artifacts on the other. The
/// document is only used if the signature holds.
#[allow(clippy::type_complexity)] // Two results, returned together once.
fn check_and_read(
    opened: &linkfile::Opened<'_>,
    key: &PublicKey,
    now_unix: i64,
) -> (
    Result<Result<KeyId, SignatureError>, ModelError>,
    Result<Document, ModelError>,
) {
    let check = || {
        opened.signed().map(|signed| {
            check_signature_over_at(&signed, opened.kind, &opened.signatures, key, now_unix)
        })
    };
    if opened.len() < PARALLEL_FROM {
        return (check(), opened.document());
    }
    std::thread::scope(|scope| {
        let checking = scope.spawn(check);
        let document = opened.document();
        let checked = checking
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, document)
    })
}

/// `Display` of an error and its sources, joined by `: `.
fn chain_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn kind_of(item: SupplyChainItem<'_>) -> ItemKind {
    match item {
        SupplyChainItem::Step(_) => ItemKind::Step,
        SupplyChainItem::Inspection(_) => ItemKind::Inspection,
    }
}

/// The keyids of an OpenPGP key's subkeys, as its key dict lists them
/// (those that can name a link file: they come from inside the dict, not
/// from the layout's hex-checked `keys`).
fn subkeys_of(dict: &KeyDict) -> Vec<KeyId> {
    dict.as_map()
        .get("subkeys")
        .and_then(serde_json::Value::as_object)
        .map(|subkeys| {
            subkeys
                .keys()
                .filter(|k| is_safe_keyid(k))
                .map(|k| KeyId::new(k.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The layout's keys, ready to check links with.
struct LayoutKeys {
    keys: BTreeMap<KeyId, PublicKey>,
    /// OpenPGP subkey → the main key listing it.
    main_of_subkey: BTreeMap<KeyId, KeyId>,
    invalid: Vec<(KeyId, String)>,
}

impl LayoutKeys {
    fn new(layout: &Layout) -> Self {
        let mut keys = BTreeMap::new();
        let mut invalid = Vec::new();
        let mut main_of_subkey = BTreeMap::new();
        for (keyid, dict) in &layout.keys {
            match PublicKey::from_key_dict(keyid.clone(), dict) {
                Ok(key) => {
                    keys.insert(keyid.clone(), key);
                }
                Err(e) => invalid.push((keyid.clone(), chain_message(&e))),
            }
            for sub in subkeys_of(dict) {
                main_of_subkey.insert(sub, keyid.clone());
            }
        }
        Self {
            keys,
            main_of_subkey,
            invalid,
        }
    }

    /// Who a link counts for towards a threshold: the main key's
    /// fingerprint when the signing key (`signed_by`) or the key the file is
    /// named after is an OpenPGP subkey of a layout key, whichever entry of
    /// `pubkeys` the link was checked through; else the checking key's. So a
    /// subkey also listed as a key of its own, and authorised on its own,
    /// still counts once with its main key.
    fn identity(&self, signed_by: &KeyId, named: &KeyId, checked_by: &PublicKey) -> String {
        [signed_by, named]
            .into_iter()
            .find_map(|k| self.main_of_subkey.get(k).and_then(|m| self.keys.get(m)))
            .unwrap_or(checked_by)
            .fingerprint()
    }

    /// The key that checks the link named after `keyid`, as the reference's
    /// `verify_link_signature_thresholds` finds it: the authorised key
    /// itself, the main key of an authorised subkey, or the authorised key
    /// whose subkey `keyid` is.
    fn verification_key(&self, step: &Step, keyid: &KeyId) -> Option<&PublicKey> {
        for authorized in &step.pubkeys {
            if authorized == keyid {
                if let Some(key) = self.keys.get(authorized) {
                    return Some(key);
                }
                if let Some(main) = self.main_of_subkey.get(authorized) {
                    return self.keys.get(main);
                }
            }
            if let Some(key) = self.keys.get(authorized)
                && self.main_of_subkey.get(keyid) == Some(authorized)
            {
                return Some(key);
            }
        }
        None
    }
}

/// Applies parameters to every rule, expected command and inspection
/// command; returns the layout and the problems found.
#[allow(clippy::type_complexity)] // A list of problems with their item, used once.
fn substitute_layout(
    mut layout: Layout,
    parameters: &BTreeMap<String, String>,
) -> (Layout, Vec<(ParameterError, Option<(String, ItemKind)>)>) {
    let mut problems = Vec::new();
    if let Err(e) = params::check_names(parameters) {
        problems.push((e, None));
        return (layout, problems);
    }
    let text = |s: &str, item: &str, kind: ItemKind, problems: &mut Vec<_>| -> String {
        match params::substitute(s, parameters) {
            Ok(out) => out,
            Err(e) => {
                problems.push((e, Some((item.to_owned(), kind))));
                s.to_owned()
            }
        }
    };
    let rules =
        |rules: &mut Vec<ArtifactRule>, item: &str, kind: ItemKind, problems: &mut Vec<_>| {
            for rule in rules.iter_mut() {
                let words: Vec<String> = rule
                    .to_words()
                    .iter()
                    .map(|w| text(w, item, kind, problems))
                    .collect();
                // Keywords hold no braces, so the substituted words keep the
                // rule's shape.
                if let Ok(parsed) = ArtifactRule::parse(&words) {
                    *rule = parsed;
                }
            }
        };
    for step in &mut layout.steps {
        let name = step.name.clone();
        rules(
            &mut step.expected_materials,
            &name,
            ItemKind::Step,
            &mut problems,
        );
        rules(
            &mut step.expected_products,
            &name,
            ItemKind::Step,
            &mut problems,
        );
        step.expected_command = step
            .expected_command
            .iter()
            .map(|a| text(a, &name, ItemKind::Step, &mut problems))
            .collect();
    }
    for inspection in &mut layout.inspect {
        let name = inspection.name.clone();
        rules(
            &mut inspection.expected_materials,
            &name,
            ItemKind::Inspection,
            &mut problems,
        );
        rules(
            &mut inspection.expected_products,
            &name,
            ItemKind::Inspection,
            &mut problems,
        );
        inspection.run = inspection
            .run
            .iter()
            .map(|a| text(a, &name, ItemKind::Inspection, &mut problems))
            .collect();
    }
    (layout, problems)
}

/// `artifacts-disagree` if `link` differs from `reference` in materials or
/// products: names the first differing artifact.
fn disagreement(
    step: &Step,
    first: &Evidence,
    reference: &ChainLink,
    other: &Evidence,
    link: &ChainLink,
    scope: &Scope<'_>,
) -> Option<Diagnostic> {
    for (artifact_type, a, b) in [
        (
            ArtifactType::Materials,
            &reference.materials,
            &link.materials,
        ),
        (ArtifactType::Products, &reference.products, &link.products),
    ] {
        if a == b {
            continue;
        }
        let count = a.iter().filter(|(n, d)| b.get(n) != Some(*d)).count()
            + b.names().filter(|n| !a.contains(n)).count();
        let path = a
            .iter()
            .find(|(n, d)| b.get(n) != Some(*d))
            .map(|(n, _)| n)
            .or_else(|| b.names().find(|n| !a.contains(n)))
            .unwrap_or_default()
            .to_owned();
        let describe = |d: Option<&crate::artifacts::Digests>| match d {
            Some(d) => crate::rules::short_digest(&d.to_set()),
            None => "absent".to_owned(),
        };
        let field = artifact_type.field();
        let message = format!(
            "step '{}' (threshold {}): {} and {} record different {field}: '{path}' is {} in one and {} in the other ({count} artifact{} differ{})",
            step.name,
            step.threshold,
            first.file,
            other.file,
            describe(a.get(&path)),
            describe(b.get(&path)),
            if count == 1 { "" } else { "s" },
            if count == 1 { "s" } else { "" },
        );
        return Some(
            Diagnostic::new(
                Code::ArtifactsDisagree,
                message,
                Subject {
                    link_file: Some(first.file.clone()),
                    other_link_file: Some(other.file.clone()),
                    artifacts: vec![ArtifactSubject {
                        path: path.clone(),
                        digests: a.get(&path).map(crate::artifacts::Digests::to_set),
                        compared_with: Some(Compared {
                            location: other.file.clone(),
                            path: path.clone(),
                            digests: b.get(&path).map(crate::artifacts::Digests::to_set),
                        }),
                    }],
                    artifact_count: count,
                    ..scope.item(&step.name, ItemKind::Step)
                },
            )
            .with_help("functionaries of a step with a threshold must record the same artifacts; one of them worked on different inputs or was tampered with")
            .with_reference(
                "ThresholdVerificationError",
                format!(
                    "Links '{}' and '{}' have different artifacts!",
                    short_link_name(&step.name, &first.keyid),
                    short_link_name(&step.name, &other.keyid)
                ),
            ),
        );
    }
    None
}

/// `<step>.<first 8 characters of the keyid>.link`, as the reference
/// names links in its messages.
fn short_link_name(step: &str, keyid: &KeyId) -> String {
    let id = keyid.as_str();
    format!("{step}.{}.link", id.get(..8).unwrap_or(id))
}

/// The diagnostic for a failed rule list.
fn violation_diagnostic(
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
fn summary_link(layout: &Layout, reduced: &BTreeMap<String, ChainLink>, name: &str) -> ChainLink {
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
