//! Stage 5 of spec §5: sublayouts. A functionary may sign a layout in
//! place of a step's link; it is verified recursively with that
//! functionary's key, its links in `<step>.<keyid[:8]>/`, and its summary
//! link (the reference's `get_summary_link`) stands for the step.
//!
//! Bounded where the reference is not: depth, cycles and the number of
//! sublayouts followed.

use std::collections::BTreeMap;

use intoto_crypto::Verified;
use intoto_model::{Layout, Step, StepName, sublayout_link_dir};

use super::evidence::{Collected, link_subject};
use crate::diagnostic::{Code, Diagnostic};
use crate::evidence::{Claim, Evidence, Sublayout};
use crate::session::{Scope, Session};
use crate::verifier::{Error, MAX_SUBLAYOUT_DEPTH, MAX_SUBLAYOUTS};

impl Session<'_, '_> {
    /// Stage 5: every step's evidence, with sublayouts verified and
    /// replaced by their summary links (those that fail are left out; the
    /// findings are in the verdict).
    pub(crate) fn sublayouts(
        &mut self,
        layout: &Layout,
        collected: BTreeMap<String, Vec<Collected>>,
        scope: &Scope<'_>,
    ) -> Result<BTreeMap<String, Vec<Verified<Evidence>>>, Error> {
        let mut collected = collected;
        let mut evidence = BTreeMap::new();
        // In the order of the layout's steps, as the reference.
        for step in &layout.steps {
            let Some(found) = collected.remove(&step.name) else {
                continue;
            };
            let mut verified = Vec::with_capacity(found.len());
            for item in found {
                match item {
                    Collected::Evidence(e) => verified.push(e),
                    Collected::Sublayout(sublayout) => {
                        if let Some(summary) = self.sublayout(step, sublayout, scope)? {
                            verified.push(summary);
                        }
                    }
                }
            }
            evidence.insert(step.name.clone(), verified);
        }
        Ok(evidence)
    }

    /// One sublayout; its summary link as the step's evidence, or `None`.
    fn sublayout(
        &mut self,
        step: &Step,
        sublayout: Verified<Sublayout>,
        scope: &Scope<'_>,
    ) -> Result<Option<Verified<Evidence>>, Error> {
        let origin = &sublayout.origin;
        // Checked with the layout (`layout-name-invalid`).
        let Ok(step_name) = StepName::new(&step.name) else {
            return Ok(None);
        };
        let mut folder = scope.folder.to_vec();
        folder.push(sublayout_link_dir(&step_name, origin.keyid()));
        let file = &origin.file;
        let not_followed = |code, message: String, help: &str| {
            Diagnostic::new(code, message, link_subject(step, scope, origin)).with_help(help)
        };
        if folder.len() > MAX_SUBLAYOUT_DEPTH {
            self.push(not_followed(
                Code::SublayoutTooDeep,
                format!(
                    "{file}: sublayouts nest deeper than {MAX_SUBLAYOUT_DEPTH} levels; not followed"
                ),
                "a sublayout folder may be a symlink to one of its parents; check the link folder",
            ));
            return Ok(None);
        }
        let bytes = sublayout.metadata.signed_bytes().ok();
        if let Some(bytes) = &bytes
            && self.ancestry.contains(bytes)
        {
            self.push(not_followed(
                Code::SublayoutCycle,
                format!(
                    "{file}: the sublayout of step '{}' is a layout it is itself part of; not followed",
                    step.name
                ),
                "a sublayout folder may be a symlink to one of its parents; check the link folder",
            ));
            return Ok(None);
        }
        if self.sublayouts >= MAX_SUBLAYOUTS {
            self.push(not_followed(
                Code::SublayoutTooMany,
                format!(
                    "{file}: more than {MAX_SUBLAYOUTS} sublayouts in one supply chain; not followed"
                ),
                "sublayout folders may be symlinks that lead to the same sublayouts again and again; check the link folder",
            ));
            return Ok(None);
        }
        self.sublayouts += 1;
        tracing::info!(step.name = step.name, "verifying sublayout");
        let pushed = bytes.is_some();
        self.ancestry.extend(bytes);
        // Certified candidates never produce a sublayout (the link folder
        // refuses them), so the key is there.
        let keys: Vec<_> = origin.candidate.key.iter().cloned().collect();
        let summary = self.layout(sublayout.metadata.clone(), &keys, &folder, &step.name, None);
        if pushed {
            self.ancestry.pop();
        }
        Ok(summary?.map(|link| {
            sublayout.map(|s| Evidence {
                claim: Claim::Step(link.name.clone()),
                link,
                predicate: None,
                functionary: s.functionary,
                origin: s.origin,
            })
        }))
    }
}
