//! A policy given as a DSSE envelope: every key the verifier is given must
//! have signed it, over the pre-authentication encoding of the payload as
//! received. An unsigned policy file is trusted as given (the attestation
//! verifier's way); a signed one is checked here before it is read.

use intoto_crypto::{PublicKey, check_signature_over_at};
use intoto_model::{Envelope, EnvelopeKind};

use crate::diagnostic::{Code, Diagnostic, Subject};
use crate::stage::layout::signature_finding;

/// The policy bytes an envelope carries, when every key in `keys` signed
/// it (an OpenPGP key must not have expired by `now_unix`); otherwise the
/// findings, one per key, with the layout codes.
///
/// # Errors
///
/// One diagnostic per key that did not sign, or whose signature does not
/// verify; `layout-no-keys` when `keys` is empty.
pub fn signed_policy<'e>(
    envelope: &'e Envelope,
    keys: &[PublicKey],
    now_unix: i64,
) -> Result<&'e [u8], Vec<Diagnostic>> {
    if keys.is_empty() {
        return Err(vec![
            Diagnostic::new(
                Code::LayoutNoKeys,
                "the policy is signed, and no key was given to verify it with",
                Subject::default(),
            )
            .with_help(
                "give the policy owner's public keys; every one must have signed the policy",
            ),
        ]);
    }
    let msg = envelope.pae();
    let mut findings = Vec::new();
    for key in keys {
        let Err(e) = check_signature_over_at(
            &msg,
            EnvelopeKind::Dsse,
            &envelope.signatures,
            key,
            now_unix,
        ) else {
            continue;
        };
        let subject = Subject {
            keyid: Some(key.keyid().clone()),
            ..Subject::default()
        };
        findings.push(signature_finding("policy", key, e, subject));
    }
    if findings.is_empty() {
        Ok(&envelope.payload)
    } else {
        Err(findings)
    }
}
