//! Functionaries and the authority that recognises them (spec §4.3: a
//! step's `pubkeys` and `threshold`).
//!
//! A [`Functionary`] is who stands behind a piece of evidence; thresholds
//! count distinct functionaries. An [`Authority`] answers the question the
//! verifier asks of every signature: does it come from a functionary the
//! layout authorises for this step, and which one?
//!
//! - [`KeyAuthority`] (`key.rs`): the layout's `keys` and each step's
//!   `pubkeys`, OpenPGP subkeys counted with their master key.
//! - `certificate.rs`: ITE-7 X.509 functionaries: a certificate carried by
//!   the signature chains to the layout's trust bundles and satisfies one
//!   of the step's `cert_constraints`; SPIFFE IDs are its URIs.
//! - [`LayoutAuthority`] (`layout.rs`): what a classic layout authorises,
//!   keys first and then certificates, as in-toto-golang accepts them.
//!
//! Policies name their functionaries by key, certificate or Sigstore
//! identity and check them with the same pieces.

mod certificate;
mod key;
mod layout;

use std::fmt;
use std::sync::Arc;

use intoto_crypto::x509::Identity;
use intoto_crypto::{PublicKey, SignatureError, Verified};
use intoto_model::{CertConstraint, EnvelopeKind, KeyId, Signature, Step};

pub use certificate::{
    CertificateCheck, TimestampVerifier, TrustBundleSet, check_certificate_signature,
    constraint_mismatch,
};
pub use key::KeyAuthority;
pub use layout::LayoutAuthority;

/// Who signed a piece of evidence, as thresholds count them.
///
/// Thresholds count parties, not values: two functionaries are the same
/// party when they share a key (however many keyids name it, whether it
/// signed as a key or under a certificate) or a certificate identity (see
/// [`Functionary::is_same_party`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Functionary {
    /// A public key, known by its fingerprint (the SHA-256 of its
    /// SubjectPublicKeyInfo, or an OpenPGP master key's fingerprint).
    Key(KeyFingerprint),
    /// An X.509 certificate (ITE-7): its identity (its SPIFFE ID, or its
    /// subject and alternative names) and the key that signed under it.
    /// Certificates renewed for one identity count once.
    Certificate {
        /// Who the certificate names.
        identity: Identity,
        /// The certificate's key.
        key: KeyFingerprint,
    },
    /// A Sigstore keyless signer: the OIDC issuer and subject of its Fulcio
    /// certificate (whose key lives for one signature).
    Keyless {
        /// The OIDC issuer.
        issuer: String,
        /// The subject (an e-mail address or a workflow URI).
        subject: String,
    },
}

impl Functionary {
    /// Whether `self` and `other` may be one party, so that they count once
    /// towards a threshold: the same key, whether it signed as a key or
    /// under a certificate; the same certificate identity, whatever key it
    /// certifies; the same keyless issuer and subject.
    pub fn is_same_party(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Keyless { .. }, _) | (_, Self::Keyless { .. }) => self == other,
            (Self::Certificate { identity: a, .. }, Self::Certificate { identity: b, .. })
                if a == b =>
            {
                true
            }
            _ => self.key() == other.key(),
        }
    }

    /// The key that signed, when one is known.
    pub fn key(&self) -> Option<&KeyFingerprint> {
        match self {
            Self::Key(key) | Self::Certificate { key, .. } => Some(key),
            Self::Keyless { .. } => None,
        }
    }
}

/// The number of distinct parties among `functionaries` (see
/// [`Functionary::is_same_party`]): the connected groups of the relation,
/// so that a chain of shared keys and identities is one party.
pub fn count_parties<'f>(functionaries: impl IntoIterator<Item = &'f Functionary>) -> usize {
    let mut groups: Vec<Vec<&Functionary>> = Vec::new();
    for f in functionaries {
        let (mut joined, rest): (Vec<_>, Vec<_>) = groups
            .into_iter()
            .partition(|g| g.iter().any(|m| m.is_same_party(f)));
        let mut merged: Vec<&Functionary> = joined.drain(..).flatten().collect();
        merged.push(f);
        groups = rest;
        groups.push(merged);
    }
    groups.len()
}

impl fmt::Display for Functionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(fingerprint) => write!(f, "key {}", fingerprint.0),
            Self::Certificate { identity, .. } => write!(f, "certificate {identity}"),
            Self::Keyless { issuer, subject } => write!(f, "{subject} (issuer {issuer})"),
        }
    }
}

/// A key's fingerprint: the same for every keyid form of one key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyFingerprint(String);

impl KeyFingerprint {
    /// The fingerprint of `key`.
    pub fn of(key: &PublicKey) -> Self {
        Self(key.fingerprint())
    }

    /// The fingerprint as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A functionary a step authorises, as evidence names it: the keyid its
/// links are filed under (`<step>.<keyid[:8]>.link`) and the key that
/// checks them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Candidate {
    /// The keyid evidence is filed under: an entry of the step's
    /// `pubkeys`, or an OpenPGP subkey of one; for a certificate, the
    /// keyid prefix of the file found.
    pub keyid: KeyId,
    /// The key that checks the evidence (the master key for an OpenPGP
    /// subkey); `None` for evidence that only a certificate it carries can
    /// authorise.
    pub key: Option<PublicKey>,
    /// The step's certificate constraints (ITE-7), when certificates may
    /// speak for it.
    pub constraints: Option<Arc<[CertConstraint]>>,
}

impl Candidate {
    /// A functionary known by a key of the layout.
    pub fn key(keyid: KeyId, key: PublicKey) -> Self {
        Self {
            keyid,
            key: Some(key),
            constraints: None,
        }
    }

    /// A functionary known only by the certificate its evidence carries,
    /// filed under `keyid` (a keyid prefix from a file name).
    pub fn certified(keyid: KeyId, constraints: Arc<[CertConstraint]>) -> Self {
        Self {
            keyid,
            key: None,
            constraints: Some(constraints),
        }
    }
}

/// The signed bytes of a piece of evidence, as received.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SignedBytes<'s> {
    /// The canonical JSON of the received `signed` value, or the DSSE
    /// pre-authentication encoding.
    pub bytes: &'s [u8],
    /// Which of the two.
    pub kind: EnvelopeKind,
    /// The signatures that came with them.
    pub signatures: &'s [Signature],
}

impl<'s> SignedBytes<'s> {
    /// Signed bytes of `kind` with their signatures.
    pub fn new(bytes: &'s [u8], kind: EnvelopeKind, signatures: &'s [Signature]) -> Self {
        Self {
            bytes,
            kind,
            signatures,
        }
    }
}

/// Decides which functionaries may speak for a step, and who signed what.
///
/// `Sync`, so that a large link's signature can be checked on one thread
/// while its artifacts are read on another.
pub trait Authority: Sync {
    /// The functionaries `step` authorises, in the order of its `pubkeys`,
    /// each once, with the keyid their evidence is filed under.
    fn candidates(&self, step: &Step) -> Vec<Candidate>;

    /// For a step that certificates may speak for (ITE-7 constraints), the
    /// candidate for evidence found under `keyid` that no key candidate
    /// covers; `None` when only keys speak for the step.
    fn certified(&self, step: &Step, keyid: &KeyId) -> Option<Candidate> {
        let _ = (step, keyid);
        None
    }

    /// Checks that `candidate` signed `signed` (refusing keys expired at
    /// `now_unix`) and says which functionary that is. Only a successful
    /// check produces the [`Verified`] functionary.
    ///
    /// # Errors
    ///
    /// The signature is missing, invalid, or by an expired key.
    fn authorize(
        &self,
        candidate: &Candidate,
        signed: SignedBytes<'_>,
        now_unix: i64,
    ) -> Result<Verified<Functionary>, SignatureError>;
}
