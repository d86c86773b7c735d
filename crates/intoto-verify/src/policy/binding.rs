//! Which step each attestation speaks for, and whether each step has enough
//! distinct functionaries for each predicate it expects (ITE-10/11).
//!
//! - An attestation read from a folder is bound by its file name
//!   (`<step>.<keyid[:8]>.json`), as the attestation verifier binds it.
//! - One read from a bundle, or from a folder file named otherwise, is
//!   bound by its signers and predicate type: to the step that expects
//!   that exact `predicateType` from one of its signers. Two such steps
//!   make the binding ambiguous, which is an error naming the attestation
//!   and the steps, never a guess.
//! - A link predicate's `name` must equal its step, in folders too.
//!
//! Thresholds count **distinct functionaries**: several attestations by one
//! key count once, and a signer the expected predicate does not list, or an
//! attestation of another type, does not count. Signatures are checked
//! before: an attestation arrives with the policy keyids that verified it.

use std::collections::{BTreeMap, BTreeSet};

use intoto_crypto::{SignatureError, check_signature_over};
use intoto_model::bundle::statement_of;
use intoto_model::{Envelope, EnvelopeKind, KeyId, ModelError, Statement};

use super::identity::{KeylessIdentity, PolicyIdentity};
use super::layout::{ExpectedPredicate, Policy};
use crate::functionary::{
    CertificateCheck, Functionary, KeyFingerprint, TimestampVerifier, check_certificate_signature,
};

/// An attestation whose signatures were checked against the policy's
/// functionaries.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attestation {
    /// Where it came from (a file, or a bundle's file and line), for messages.
    pub origin: String,
    /// The step its file name binds it to (folders); `None` in a bundle.
    pub file_step: Option<String>,
    /// The statement.
    pub statement: Statement,
    /// The policy keyids whose signatures on it verified (read with
    /// [`Attestation::signers`]; only a signature check sets them).
    pub(crate) signers: BTreeSet<KeyId>,
    /// Who each signer is (its key, certificate or keyless identity), so
    /// that thresholds count parties, not policy entries: one signature
    /// that several entries accept counts once.
    pub(crate) parties: BTreeMap<KeyId, Functionary>,
    /// Why functionaries known by identity did not count it: each one's
    /// first mismatching field or certificate problem.
    pub identity_notes: Vec<String>,
    /// For a sublayout: the policy its functionary signed, with its own
    /// attestations. Its statement is then of type
    /// [`SUBLAYOUT_V0_1`](intoto_model::predicate::kind::SUBLAYOUT_V0_1),
    /// with no subjects.
    pub sublayout: Option<Box<SubPolicy>>,
}

/// A policy a functionary signed for its step, and the attestations of its
/// own supply chain (their signatures checked against its functionaries).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SubPolicy {
    /// The sublayout.
    pub policy: Policy,
    /// Its attestations.
    pub attestations: Vec<Attestation>,
}

impl Attestation {
    /// The policy keyids whose signatures on it verified.
    pub fn signers(&self) -> &BTreeSet<KeyId> {
        &self.signers
    }

    /// An attestation found at `origin`, signed by `signers` (for the
    /// crate's own checks and tests: others come through a signature check).
    pub(crate) fn new(
        origin: impl Into<String>,
        statement: Statement,
        signers: BTreeSet<KeyId>,
    ) -> Self {
        Self {
            origin: origin.into(),
            file_step: None,
            statement,
            signers,
            parties: BTreeMap::new(),
            identity_notes: Vec::new(),
            sublayout: None,
        }
    }

    /// A sublayout: `envelope` carries a policy (read as `policy`), signed
    /// by those of `parent`'s functionaries whose signatures verify over
    /// the payload as received; `attestations` are its supply chain's.
    pub fn sublayout<'t>(
        origin: impl Into<String>,
        envelope: &Envelope,
        parent: &Policy,
        policy: Policy,
        attestations: Vec<Attestation>,
        at: impl Into<CheckTime<'t>>,
    ) -> Self {
        let statement = Statement::new(
            Vec::new(),
            intoto_model::predicate::kind::SUBLAYOUT_V0_1,
            serde_json::Map::new(),
        );
        let mut a = Self::new(origin, statement, signers_of(envelope, parent, at.into()));
        a.sublayout = Some(Box::new(SubPolicy {
            policy,
            attestations,
        }));
        a
    }

    /// The attestation an envelope holds, with the policy functionaries whose
    /// signatures on it verify (over the pre-authentication encoding of the
    /// payload as received). Its payload type need not be in-toto's, as
    /// bundles in the wild show; its payload must be a statement.
    ///
    /// # Errors
    ///
    /// [`ModelError`] when the payload is not a statement.
    pub fn from_envelope<'t>(
        origin: impl Into<String>,
        envelope: &Envelope,
        policy: &Policy,
        at: impl Into<CheckTime<'t>>,
    ) -> Result<Self, ModelError> {
        let statement = statement_of(envelope)?;
        let (parties, notes) = signers_and_notes(envelope, policy, at.into());
        let mut a = Self::new(origin, statement, parties.keys().cloned().collect());
        a.parties = parties;
        a.identity_notes = notes;
        Ok(a)
    }

    /// The attestation a verified Sigstore bundle holds: its signer is
    /// `identity` (checked by the bundle's verification: certificate chain
    /// to Fulcio, transparency log, signature), counted for the policy's
    /// keyless functionaries it satisfies.
    ///
    /// # Errors
    ///
    /// [`ModelError`] when the payload is not a statement.
    pub fn from_keyless(
        origin: impl Into<String>,
        envelope: &Envelope,
        identity: &KeylessIdentity,
        policy: &Policy,
    ) -> Result<Self, ModelError> {
        let statement = statement_of(envelope)?;
        let mut parties = BTreeMap::new();
        let mut notes = Vec::new();
        let party = Functionary::Keyless {
            issuer: identity.issuer.clone(),
            subject: identity.subject.clone(),
        };
        for (id, functionary) in &policy.identities {
            let PolicyIdentity::Keyless(constraint) = functionary else {
                continue;
            };
            match constraint.mismatch(identity) {
                None => {
                    parties.insert(id.clone(), party.clone());
                }
                Some(why) => notes.push(format!("{id}: {why}")),
            }
        }
        let mut a = Self::new(origin, statement, parties.keys().cloned().collect());
        a.parties = parties;
        if a.signers.is_empty() {
            a.identity_notes = notes;
            a.identity_notes.insert(
                0,
                format!(
                    "signed by {} (issuer {})",
                    identity.subject, identity.issuer
                ),
            );
        }
        Ok(a)
    }

    /// Bound to `step` by its file name.
    pub fn in_file_for(mut self, step: impl Into<String>) -> Self {
        self.file_step = Some(step.into());
        self
    }
}

/// The policy functionaries whose signatures on `envelope` verify over the
/// pre-authentication encoding of its payload as received: by key, or by
/// a certificate the signature carries that meets a certificate
/// functionary's trust bundle and names at `at`.
fn signers_of(envelope: &Envelope, policy: &Policy, at: CheckTime<'_>) -> BTreeSet<KeyId> {
    signers_and_notes(envelope, policy, at)
        .0
        .into_keys()
        .collect()
}

/// [`signers_of`], and why each certificate functionary did not count
/// (only when nobody signed, and a signature carries a certificate).
fn signers_and_notes(
    envelope: &Envelope,
    policy: &Policy,
    at: CheckTime<'_>,
) -> (BTreeMap<KeyId, Functionary>, Vec<String>) {
    let msg = envelope.pae();
    let mut signers: BTreeMap<KeyId, Functionary> = policy
        .functionaries
        .iter()
        .filter(|(_, key)| {
            check_signature_over(&msg, EnvelopeKind::Dsse, &envelope.signatures, key).is_ok()
        })
        .map(|(id, key)| (id.clone(), Functionary::Key(KeyFingerprint::of(key))))
        .collect();
    let mut notes = Vec::new();
    let anyone = KeyId::new(String::new());
    for (id, identity) in &policy.identities {
        let PolicyIdentity::Certificate {
            bundles,
            constraint,
        } = identity
        else {
            continue;
        };
        let check = CertificateCheck {
            constraints: std::slice::from_ref(constraint),
            bundles,
            time_unix: at.now_unix,
            timestamps: at.timestamps,
        };
        let sigs = &envelope.signatures;
        match check_certificate_signature(&msg, EnvelopeKind::Dsse, sigs, &anyone, check) {
            Ok(functionary) => {
                signers.insert(id.clone(), functionary.into_inner());
            }
            Err(SignatureError::NoSignature { .. }) => {}
            Err(e) => notes.push(format!("{id}: {e}")),
        }
    }
    if !signers.is_empty() {
        notes.clear();
    }
    (signers, notes)
}

/// When certificates carried by signatures are checked: at `now_unix`,
/// or at the time a timestamp by a trusted authority proves.
#[derive(Debug, Clone, Copy)]
pub struct CheckTime<'a> {
    /// Verification time, unix seconds.
    pub now_unix: i64,
    /// Trusted timestamp authorities.
    pub timestamps: Option<&'a dyn TimestampVerifier>,
}

impl From<i64> for CheckTime<'_> {
    fn from(now_unix: i64) -> Self {
        Self {
            now_unix,
            timestamps: None,
        }
    }
}

/// Why an attestation cannot be bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindingProblem {
    /// Several steps expect it from its signers.
    #[error("{origin}: the {predicate_type} attestation signed by {} could be for steps {}: bind it by file name (<step>.<keyid8>.json) or give each step its own signer or predicate type", signers.join(", "), steps.join(", "))]
    Ambiguous {
        /// The attestation.
        origin: String,
        /// Its predicate type.
        predicate_type: String,
        /// Its signers (the first 8 characters of their keyids).
        signers: Vec<String>,
        /// The steps it could be for.
        steps: Vec<String>,
    },
    /// A link predicate names another step.
    #[error(
        "{origin}: the link's predicate.name is {name:?}, but the attestation is for step {step:?}"
    )]
    LinkName {
        /// The attestation.
        origin: String,
        /// The step it is bound to.
        step: String,
        /// `predicate.name`.
        name: String,
    },
}

/// The attestations bound to each step (indices into the input), and those
/// no step takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding {
    /// Step name → attestations bound to it.
    pub steps: BTreeMap<String, Vec<usize>>,
    /// Attestations for no step of the policy.
    pub unbound: Vec<usize>,
}

/// Binds attestations to the policy's steps.
///
/// # Errors
///
/// Every attestation that cannot be bound, and why.
pub fn bind(policy: &Policy, attestations: &[Attestation]) -> Result<Binding, Vec<BindingProblem>> {
    let mut binding = Binding::default();
    let mut problems = Vec::new();
    for (i, a) in attestations.iter().enumerate() {
        let step = match &a.file_step {
            Some(step) if policy.steps.iter().any(|s| s.name.as_str() == step) => {
                Some(step.clone())
            }
            Some(_) => None,
            None => {
                let candidates: Vec<String> = policy
                    .steps
                    .iter()
                    .filter(|s| {
                        s.expected_predicates.iter().any(|e| {
                            e.predicate_type == a.statement.predicate_type
                                && e.functionaries.iter().any(|k| a.signers.contains(k))
                        }) && link_name(&a.statement).is_none_or(|n| n == s.name.as_str())
                    })
                    .map(|s| s.name.to_string())
                    .collect();
                match candidates.len() {
                    0 => None,
                    1 => candidates.into_iter().next(),
                    _ => {
                        problems.push(BindingProblem::Ambiguous {
                            origin: a.origin.clone(),
                            predicate_type: a.statement.predicate_type.clone(),
                            signers: a
                                .signers
                                .iter()
                                .map(|k| k.as_str().chars().take(8).collect())
                                .collect(),
                            steps: candidates,
                        });
                        continue;
                    }
                }
            }
        };
        let Some(step) = step else {
            binding.unbound.push(i);
            continue;
        };
        if let Some(name) = link_name(&a.statement)
            && name != step
        {
            problems.push(BindingProblem::LinkName {
                origin: a.origin.clone(),
                step,
                name: name.to_owned(),
            });
            continue;
        }
        binding.steps.entry(step).or_default().push(i);
    }
    if problems.is_empty() {
        Ok(binding)
    } else {
        Err(problems)
    }
}

/// `predicate.name` of a link statement.
fn link_name(statement: &Statement) -> Option<&str> {
    if !statement.is_link() {
        return None;
    }
    statement.predicate.get("name").and_then(|n| n.as_str())
}

/// The attestations of a step that count for one expected predicate
/// (exactly its type, signed by one of its functionaries), and the distinct
/// functionaries among their signers.
pub fn counted<'a>(
    expected: &ExpectedPredicate,
    bound: &[usize],
    attestations: &'a [Attestation],
) -> (Vec<&'a Attestation>, BTreeSet<KeyId>) {
    let mut counted = Vec::new();
    let mut functionaries = BTreeSet::new();
    for &i in bound {
        let Some(a) = attestations.get(i) else {
            continue;
        };
        if a.statement.predicate_type != expected.predicate_type {
            continue;
        }
        let listed: Vec<&KeyId> = expected
            .functionaries
            .iter()
            .filter(|k| a.signers.contains(*k))
            .collect();
        if listed.is_empty() {
            continue;
        }
        functionaries.extend(listed.into_iter().cloned());
        counted.push(a);
    }
    (counted, functionaries)
}

#[cfg(test)]
mod tests;
