//! Reading the attestation inputs of a policy verification: folders
//! (`<step>.<keyid8>.json` and `.link` bound by name, other `*.json` by
//! signer and type, sublayouts with their folder, bundles in them) and
//! bundles, bounded and regular files only; what cannot be read is a
//! finding, not a stop, unless it was named on the command line.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use intoto_model::{BundleItem, Envelope, LineNote, ResourceDescriptor, StepName, read_bundle};
use intoto_verify::TimestampVerifier;
use intoto_verify::diagnostic::{Code, Diagnostic, Subject};
use intoto_verify::policy::binding::{Attestation, CheckTime};
use intoto_verify::policy::identity::{KeylessVerifier, is_sigstore_bundle};
use intoto_verify::policy::layout::Policy;

use super::{
    MAX_ATTESTATION_BYTES, MAX_ATTESTATION_FILES, POLICY_PAYLOAD_TYPE_JSON,
    POLICY_PAYLOAD_TYPE_YAML, PolicyFileError, descriptor,
};
use crate::attest::MAX_BUNDLE_BYTES;
use crate::fs;

/// What the attestation inputs held.
#[derive(Default)]
pub(super) struct Read {
    pub(super) attestations: Vec<Attestation>,
    pub(super) findings: Vec<Diagnostic>,
    pub(super) inputs: Vec<ResourceDescriptor>,
    pub(super) files: usize,
    /// Parameters, for sublayouts.
    pub(super) parameters: BTreeMap<String, String>,
    /// How deep in sublayouts the files being read are.
    pub(super) depth: usize,
    /// The verification time: certificates must be valid then.
    pub(super) now_unix: i64,
    /// Verifies Sigstore bundles.
    pub(super) keyless: Option<Arc<dyn KeylessVerifier>>,
    /// Trusted timestamp authorities for certificates in signatures.
    pub(super) timestamps: Option<Arc<dyn TimestampVerifier>>,
}

impl Read {
    fn check_time(&self) -> CheckTime<'_> {
        CheckTime {
            now_unix: self.now_unix,
            timestamps: self.timestamps.as_deref(),
        }
    }

    pub(super) fn path(&mut self, path: &Path, policy: &Policy) -> Result<(), PolicyFileError> {
        let problem = |problem: String| PolicyFileError::Attestations {
            path: path.to_owned(),
            problem,
        };
        let meta = std::fs::metadata(path).map_err(|e| problem(format!("cannot read: {e}")))?;
        if !meta.is_dir() {
            return self.file(path, policy, true);
        }
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| problem(format!("cannot list: {e}")))? {
            let entry = entry.map_err(|e| problem(format!("cannot list: {e}")))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.ends_with(".json")
                || name.ends_with(".jsonl")
                || name.ends_with(".link")
                || name.ends_with(".sigstore")
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        for name in names {
            self.file(&path.join(name), policy, false)?;
        }
        Ok(())
    }

    /// One file: a bundle (`.jsonl`), else one envelope. A file given by
    /// name that cannot be read stops verification; one found in a folder
    /// is a warning.
    fn file(&mut self, path: &Path, policy: &Policy, given: bool) -> Result<(), PolicyFileError> {
        self.files += 1;
        if self.files > MAX_ATTESTATION_FILES {
            return Err(PolicyFileError::Attestations {
                path: path.to_owned(),
                problem: format!("more than {MAX_ATTESTATION_FILES} attestation files"),
            });
        }
        let origin = path.display().to_string();
        let is_bundle = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".jsonl"));
        let limit = if is_bundle {
            MAX_BUNDLE_BYTES
        } else {
            MAX_ATTESTATION_BYTES
        };
        let bytes = match fs::read(path, limit) {
            Ok(bytes) => bytes,
            Err(e) if given => return Err(e.into()),
            Err(e) => {
                self.malformed(&origin, &crate::error_chain(&e));
                return Ok(());
            }
        };
        let is_link = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".link"));
        if is_link && !given && !holds_statement(&bytes) {
            // A classic link, read by layouts; policies read attestations.
            return Ok(());
        }
        if is_bundle {
            self.bundle(&origin, &bytes, policy);
            return Ok(());
        }
        self.inputs.push(descriptor(origin.clone(), &bytes));
        let value = serde_json::from_slice::<serde_json::Value>(&bytes);
        if let Ok(value) = &value
            && is_sigstore_bundle(value)
        {
            self.keyless_bundle(&origin, &bytes, policy, path);
            return Ok(());
        }
        let envelope = value
            .map_err(|e| e.to_string())
            .and_then(|value| Envelope::from_value(value).map_err(|e| e.to_string()));
        let envelope = match envelope {
            Ok(envelope) => envelope,
            Err(e) => {
                self.malformed(&origin, &format!("not a DSSE envelope: {e}"));
                return Ok(());
            }
        };
        let step = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(step_of_file_name);
        if is_policy(&envelope) {
            if let Some(sub) = self.sublayout(path, &origin, &envelope, policy)? {
                self.attestations.push(match step {
                    Some(step) => sub.in_file_for(step),
                    None => sub,
                });
            }
            return Ok(());
        }
        match Attestation::from_envelope(origin.clone(), &envelope, policy, self.check_time()) {
            Ok(attestation) => {
                self.attestations.push(match step {
                    Some(step) => attestation.in_file_for(step),
                    None => attestation,
                });
            }
            Err(e) => self.malformed(&origin, &format!("its payload is not a statement: {e}")),
        }
        Ok(())
    }

    /// One envelope held in memory (from a store), bound as a bundle
    /// line is.
    pub(super) fn document(&mut self, origin: &str, bytes: &[u8], policy: &Policy) {
        self.inputs.push(descriptor(origin.to_owned(), bytes));
        let envelope = serde_json::from_slice(bytes)
            .map_err(|e| e.to_string())
            .and_then(|value| Envelope::from_value(value).map_err(|e| e.to_string()));
        match envelope {
            Ok(envelope) if is_policy(&envelope) => self.malformed(
                origin,
                "a signed policy (a sublayout) is read from an attestation folder, as <step>.<keyid8>.json with its attestations in <step>.<keyid8>/",
            ),
            Ok(envelope) => match Attestation::from_envelope(
                origin.to_owned(),
                &envelope,
                policy,
                self.check_time(),
            ) {
                Ok(attestation) => self.attestations.push(attestation),
                Err(e) => self.malformed(origin, &format!("its payload is not a statement: {e}")),
            },
            Err(e) => self.malformed(origin, &format!("not a DSSE envelope: {e}")),
        }
    }

    fn bundle(&mut self, origin: &str, bytes: &[u8], policy: &Policy) {
        for line in read_bundle(bytes) {
            let place = format!("{origin}:{}", line.number);
            let envelope = match line.item {
                BundleItem::Statement { envelope, .. } | BundleItem::Flagged { envelope, .. } => {
                    envelope
                }
                BundleItem::Skipped(LineNote::Blank) => continue,
                BundleItem::Skipped(note) => {
                    self.malformed(&place, &note.to_string());
                    continue;
                }
                _ => continue,
            };
            self.inputs.push(descriptor(place.clone(), line.bytes));
            if is_policy(&envelope) {
                self.malformed(
                    &place,
                    "a signed policy (a sublayout) is read from an attestation folder, as <step>.<keyid8>.json with its attestations in <step>.<keyid8>/",
                );
                continue;
            }
            match Attestation::from_envelope(place.clone(), &envelope, policy, self.check_time()) {
                Ok(attestation) => self.attestations.push(attestation),
                Err(e) => self.malformed(&place, &format!("its payload is not a statement: {e}")),
            }
        }
    }

    /// A signed policy in a folder: a sublayout, with its attestations in
    /// the folder named like it without `.json` (when there is one).
    fn sublayout(
        &mut self,
        path: &Path,
        origin: &str,
        envelope: &Envelope,
        parent: &Policy,
    ) -> Result<Option<Attestation>, PolicyFileError> {
        if self.depth >= intoto_verify::MAX_SUBLAYOUT_DEPTH {
            self.malformed(origin, "sublayouts nest too deep; it is not read");
            return Ok(None);
        }
        let policy = match Policy::parse(&envelope.payload, &self.parameters) {
            Ok(policy) => policy,
            Err(e) => {
                self.malformed(origin, &format!("its policy cannot be read: {e}"));
                return Ok(None);
            }
        };
        let folder = path.with_extension("");
        let outer = std::mem::take(&mut self.attestations);
        self.depth += 1;
        let found = if folder.is_dir() {
            self.path(&folder, &policy)
        } else {
            Ok(())
        };
        self.depth -= 1;
        let inner = std::mem::replace(&mut self.attestations, outer);
        found?;
        Ok(Some(Attestation::sublayout(
            origin,
            envelope,
            parent,
            policy,
            inner,
            self.check_time(),
        )))
    }

    /// A Sigstore bundle: verified by the keyless verifier, then bound as
    /// an envelope whose signer is the bundle's certificate identity.
    fn keyless_bundle(&mut self, origin: &str, bytes: &[u8], policy: &Policy, path: &Path) {
        let Some(verifier) = self.keyless.clone() else {
            self.malformed(
                origin,
                "a Sigstore bundle; give --sigstore-trusted-root to verify it",
            );
            return;
        };
        let (envelope, identity) = match verifier.verify_bundle(bytes) {
            Ok(verified) => verified,
            Err(e) => {
                self.malformed(origin, &format!("the Sigstore bundle does not verify: {e}"));
                return;
            }
        };
        let step = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(step_of_file_name);
        match Attestation::from_keyless(origin.to_owned(), &envelope, &identity, policy) {
            Ok(attestation) => self.attestations.push(match step {
                Some(step) => attestation.in_file_for(step),
                None => attestation,
            }),
            Err(e) => self.malformed(origin, &format!("its payload is not a statement: {e}")),
        }
    }

    fn malformed(&mut self, origin: &str, problem: &str) {
        let mut subject = Subject::default();
        subject.link_file = Some(origin.to_owned());
        self.findings.push(Diagnostic::new(
            Code::AttestationMalformed,
            format!("{origin}: {problem}; it does not count"),
            subject,
        ));
    }
}

/// Whether an envelope carries a signed policy.
fn is_policy(envelope: &Envelope) -> bool {
    envelope.payload_type == POLICY_PAYLOAD_TYPE_YAML
        || envelope.payload_type == POLICY_PAYLOAD_TYPE_JSON
}

/// Whether `bytes` are a DSSE envelope of a statement.
fn holds_statement(bytes: &[u8]) -> bool {
    serde_json::from_slice(bytes)
        .ok()
        .and_then(|value| Envelope::from_value(value).ok())
        .is_some_and(|envelope| intoto_model::bundle::statement_of(&envelope).is_ok())
}

/// The step a folder file `<step>.<keyid8>.json` (or `.link`) is for.
fn step_of_file_name(name: &str) -> Option<String> {
    let stem = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".link"))?;
    let (step, keyid) = stem.rsplit_once('.')?;
    if keyid.len() != 8 || !keyid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    StepName::new(step).ok().map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_files_name_their_step() {
        assert_eq!(
            step_of_file_name("build.fe1c6281.json").as_deref(),
            Some("build")
        );
        assert_eq!(
            step_of_file_name("a.b.fe1c6281.json").as_deref(),
            Some("a.b")
        );
        assert_eq!(step_of_file_name("build.json"), None);
        // Bound by signer and type, as in a bundle.
        assert_eq!(step_of_file_name("build.fe1c6281.provenance.json"), None);
        // A link attestation of `intoto run --attest`.
        assert_eq!(
            step_of_file_name("build.fe1c6281.link").as_deref(),
            Some("build")
        );
        assert_eq!(step_of_file_name("build.zzzzzzzz.json"), None);
        assert_eq!(step_of_file_name("...fe1c6281.json"), None);
    }
}
