//! What a classic layout authorises: its keys, and (ITE-7) certificates
//! that chain to its trust bundles and satisfy a step's constraints.
//!
//! As in-toto-golang accepts a link: by the key it is filed under when
//! the step lists that key, or else by the certificate its signature
//! carries. Links filed under a keyid the step does not list are found
//! by the link source's listing (see [`Authority::certified`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use intoto_crypto::{SignatureError, Verified};
use intoto_model::{CertConstraint, KeyId, Layout, Step};

use super::certificate::{
    CertificateCheck, TimestampVerifier, TrustBundleSet, check_certificate_signature,
};
use super::{Authority, Candidate, Functionary, KeyAuthority, SignedBytes};

/// A verified layout's keys, trust bundles and certificate constraints.
#[derive(Debug)]
pub struct LayoutAuthority {
    keys: KeyAuthority,
    bundles: TrustBundleSet,
    constraints: BTreeMap<String, Arc<[CertConstraint]>>,
    timestamps: Option<Arc<dyn TimestampVerifier>>,
}

impl LayoutAuthority {
    /// The authority of a verified layout; certificates are checked at the
    /// time a timestamp by one of `timestamps` proves, when there is one.
    pub fn new(layout: &Verified<Layout>, timestamps: Option<Arc<dyn TimestampVerifier>>) -> Self {
        let bundles = TrustBundleSet::from_layout(layout);
        let constraints = layout
            .steps
            .iter()
            .filter_map(|step| {
                let list = step.cert_constraints.as_ref().filter(|c| !c.is_empty())?;
                Some((step.name.clone(), Arc::from(list.clone())))
            })
            .collect();
        Self {
            keys: KeyAuthority::new(layout),
            bundles,
            constraints,
            timestamps,
        }
    }

    /// The layout's keys.
    pub fn keys(&self) -> &KeyAuthority {
        &self.keys
    }

    /// The layout's trust bundles.
    pub fn bundles(&self) -> &TrustBundleSet {
        &self.bundles
    }

    fn constraints_of(&self, step: &Step) -> Option<&Arc<[CertConstraint]>> {
        if self.bundles.is_empty() {
            return None;
        }
        self.constraints.get(&step.name)
    }

    fn by_certificate(
        &self,
        candidate: &Candidate,
        constraints: &[CertConstraint],
        signed: SignedBytes<'_>,
        now_unix: i64,
    ) -> Result<Verified<Functionary>, SignatureError> {
        let check = CertificateCheck {
            constraints,
            bundles: &self.bundles,
            time_unix: now_unix,
            timestamps: self.timestamps.as_deref(),
        };
        let verified = check_certificate_signature(
            signed.bytes,
            signed.kind,
            signed.signatures,
            &candidate.keyid,
            check,
        )?;
        Ok(verified)
    }
}

impl Authority for LayoutAuthority {
    fn candidates(&self, step: &Step) -> Vec<Candidate> {
        let constraints = self.constraints_of(step);
        self.keys
            .candidates(step)
            .into_iter()
            .map(|mut c| {
                c.constraints = constraints.cloned();
                c
            })
            .collect()
    }

    fn certified(&self, step: &Step, keyid: &KeyId) -> Option<Candidate> {
        let constraints = self.constraints_of(step)?;
        Some(Candidate::certified(keyid.clone(), constraints.clone()))
    }

    fn authorize(
        &self,
        candidate: &Candidate,
        signed: SignedBytes<'_>,
        now_unix: i64,
    ) -> Result<Verified<Functionary>, SignatureError> {
        let by_key = match candidate.key {
            Some(_) => match self.keys.authorize(candidate, signed, now_unix) {
                Ok(verified) => return Ok(verified),
                Err(e) => Some(e),
            },
            None => None,
        };
        let Some(constraints) = &candidate.constraints else {
            return Err(by_key.unwrap_or(SignatureError::NoSignature {
                keyid: candidate.keyid.clone(),
            }));
        };
        match (
            self.by_certificate(candidate, constraints, signed, now_unix),
            by_key,
        ) {
            (Ok(verified), _) => Ok(verified),
            (Err(SignatureError::NoSignature { .. }), Some(key_error)) => Err(key_error),
            (Err(e), _) => Err(e),
        }
    }
}
