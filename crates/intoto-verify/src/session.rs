//! One verification in progress: the stages of spec §5 in the reference's
//! order (`verifylib.in_toto_verify`, in-toto 3.1.0), for the root layout
//! and, recursively, for each sublayout.
//!
//! 1. every given key signed the layout (at least one key);
//! 2. the layout has not expired (`expires <= now` is expired);
//! 3. parameters are substituted; the layout is checked for mistakes the
//!    reference only trips over later, or never;
//! 4. for each step, the evidence of its authorised functionaries is
//!    collected and its signatures checked; a threshold of distinct
//!    functionaries is needed;
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
//! The stages live in [`crate::stage`], one module each.

use std::collections::BTreeMap;

use intoto_crypto::PublicKey;
use intoto_model::{Metadata, SupplyChainItem};

use crate::chain::ChainLink;
use crate::diagnostic::{Code, Diagnostic, Subject, Verdict};
use crate::rules::ItemKind;
use crate::stage::evidence::find_all;
use crate::stage::rules::summary_link;
use crate::verifier::{Error, Verifier};

/// One verification in progress.
pub(crate) struct Session<'v, 'a> {
    pub(crate) verifier: &'v Verifier<'a>,
    pub(crate) now_unix: i64,
    pub(crate) verdict: Verdict,
    /// The signed bytes of the layouts being verified, root first: a
    /// sublayout equal to one of them is a cycle.
    pub(crate) ancestry: Vec<Vec<u8>>,
    /// How many sublayouts have been followed so far.
    pub(crate) sublayouts: usize,
}

/// Where a layout's checks happen: the root layout, or a sublayout.
pub(crate) struct Scope<'s> {
    /// Sublayout folder names, outermost first; empty for the root.
    pub(crate) folder: &'s [String],
}

impl Scope<'_> {
    pub(crate) fn subject(&self) -> Subject {
        Subject {
            sublayout: self.folder.to_vec(),
            ..Subject::default()
        }
    }

    pub(crate) fn item(&self, name: &str, kind: ItemKind) -> Subject {
        Subject {
            item: Some(name.to_owned()),
            item_kind: Some(kind),
            ..self.subject()
        }
    }
}

impl<'v, 'a> Session<'v, 'a> {
    pub(crate) fn new(verifier: &'v Verifier<'a>, root: &Metadata) -> Self {
        Self {
            verifier,
            now_unix: verifier.now.timestamp(),
            verdict: Verdict::default(),
            ancestry: root.signed_bytes().ok().into_iter().collect(),
            sublayouts: 0,
        }
    }

    /// Verifies the root layout; the verdict, with the summary link if it
    /// passed.
    pub(crate) fn run(
        mut self,
        layout: Metadata,
        keys: &[PublicKey],
        parameters: Option<&BTreeMap<String, String>>,
    ) -> Result<Verdict, Error> {
        let summary = self.layout(layout, keys, &[], "", parameters)?;
        let mut verdict = self.verdict;
        if verdict.passed() {
            verdict.summary = summary;
        }
        Ok(verdict)
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        tracing::debug!(
            code = diagnostic.code.as_str(),
            severity = diagnostic.severity.as_str(),
            "{}",
            diagnostic.message
        );
        self.verdict.diagnostics.push(diagnostic);
    }

    pub(crate) fn error_count(&self) -> usize {
        self.verdict.errors().count()
    }

    /// Verifies one layout (the root, or a sublayout in `folder`); returns
    /// its summary link, or `None` if it failed (the findings are in the
    /// verdict).
    pub(crate) fn layout(
        &mut self,
        md: Metadata,
        keys: &[PublicKey],
        folder: &[String],
        name: &str,
        parameters: Option<&BTreeMap<String, String>>,
    ) -> Result<Option<ChainLink>, Error> {
        let scope = Scope { folder };
        let errors = self.error_count();
        let failed = |session: &Self| session.error_count() > errors;

        // Stages 1 to 3.
        let Some((layout, authority)) = self.checked_layout(md, keys, &scope, parameters)? else {
            return Ok(None);
        };

        tracing::info!("reading link metadata and verifying link signatures");
        let found = find_all(
            self.verifier.evidence(),
            &authority,
            &layout.steps,
            folder,
            self.now_unix,
        );
        let mut collected = BTreeMap::new();
        for (step, found) in layout.steps.iter().zip(found) {
            let found = self.step_evidence(step, &scope, found?);
            collected.insert(step.name.clone(), found);
        }
        if failed(self) {
            return Ok(None);
        }

        tracing::info!("verifying sublayouts");
        let evidence = self.sublayouts(&layout, collected, &scope)?;
        if failed(self) {
            return Ok(None);
        }

        tracing::info!("verifying alignment of reported commands");
        self.commands(&layout, &evidence, &scope);
        tracing::info!("verifying threshold constraints");
        self.agreement(&layout, &evidence, &scope);
        if failed(self) {
            return Ok(None);
        }

        // The reference keeps a step's first verified link, in the order of
        // its `pubkeys`.
        let mut reduced: BTreeMap<String, ChainLink> = BTreeMap::new();
        let mut reduced_files: BTreeMap<String, String> = BTreeMap::new();
        for (step, found) in &evidence {
            if let Some(e) = found.first() {
                reduced.insert(step.clone(), e.link.clone());
                reduced_files.insert(step.clone(), e.origin.file.clone());
            }
        }
        drop(evidence);

        tracing::info!("verifying step rules");
        let steps: Vec<_> = layout.steps.iter().map(SupplyChainItem::Step).collect();
        self.item_rules(&steps, &reduced, &reduced_files, &scope);
        if failed(self) {
            return Ok(None);
        }

        tracing::info!("executing inspection commands");
        let mut inspected = reduced.clone();
        for inspection in &layout.inspect {
            if !folder.is_empty() && !self.verifier.sublayout_inspections {
                self.push(Diagnostic::new(
                    Code::InspectionSkipped,
                    format!(
                        "inspection '{}' ({}) of the sublayout was not run: sublayout inspections are off",
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
        let inspections: Vec<_> = layout
            .inspect
            .iter()
            .map(SupplyChainItem::Inspection)
            .collect();
        self.item_rules(&inspections, &inspected, &reduced_files, &scope);
        if failed(self) {
            return Ok(None);
        }
        Ok(Some(summary_link(&layout, &reduced, name)))
    }
}
