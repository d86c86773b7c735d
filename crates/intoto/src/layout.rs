//! Rules for signing layouts: the default expiry a layout without
//! `expires` gets (one month ahead, as the reference gives it, in UTC), and
//! when it may be added without invalidating a signature; and telling a
//! classic layout from a policy.

use chrono::{DateTime, Utc};
use intoto_model::{EnvelopeKind, Expires, Metadata, ModelError, Payload};

/// Whether `document` is classic layout metadata (legacy or DSSE); a root
/// document that is not is read as a policy over attestations.
pub fn is_layout(document: &[u8]) -> bool {
    matches!(
        Metadata::from_slice(document).and_then(Metadata::into_payload),
        Ok(Payload::Layout(_))
    )
}

/// What became of a layout's missing `expires` when it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultExpiry {
    /// The metadata is not a layout, or the layout has an expiry.
    NotNeeded,
    /// One month from `now` was added.
    Added,
    /// Left without: the payload is in a DSSE envelope, signed as
    /// received.
    KeptForDsse,
    /// Left without: signatures are kept, and adding it would change what
    /// they are over.
    KeptForSignatures,
}

/// The expiry a layout signed at `now` gets when it has none: one month
/// ahead (the reference uses local time; this is UTC).
pub fn default_expires(now: DateTime<Utc>) -> Expires {
    Expires::from_datetime(
        now.checked_add_months(chrono::Months::new(1))
            .unwrap_or(now),
    )
}

/// Gives a layout without `expires` one a month from `now` when that
/// changes no signature that stays: only in a legacy wrapper, and only when
/// no signature is kept (`keep_signatures`: `sign --append` of signed
/// metadata). `payload` is `md`'s payload.
///
/// # Errors
///
/// [`ModelError`] when the payload cannot be taken out of `md`.
pub fn add_default_expiry(
    md: &mut Metadata,
    payload: &Payload,
    keep_signatures: bool,
    now: DateTime<Utc>,
) -> Result<DefaultExpiry, ModelError> {
    let Payload::Layout(layout) = payload else {
        return Ok(DefaultExpiry::NotNeeded);
    };
    if layout.expires.is_some() {
        return Ok(DefaultExpiry::NotNeeded);
    }
    if keep_signatures && !md.signatures().is_empty() {
        return Ok(DefaultExpiry::KeptForSignatures);
    }
    if md.kind() == EnvelopeKind::Dsse {
        return Ok(DefaultExpiry::KeptForDsse);
    }
    let mut value = md.payload_value()?;
    value["expires"] = serde_json::Value::String(default_expires(now).to_string());
    let mut out = Metadata::wrap(&value, md.kind());
    *out.signatures_mut() = md.signatures().to_vec();
    *md = out;
    Ok(DefaultExpiry::Added)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use chrono::TimeZone as _;
    use intoto_model::{KeyId, Signature};
    use serde_json::json;

    use super::*;

    fn unexpiring(kind: EnvelopeKind) -> Metadata {
        Metadata::wrap(
            &json!({"_type": "layout", "steps": [], "inspect": [], "keys": {}}),
            kind,
        )
    }

    #[test]
    fn a_layout_without_expiry_gets_a_month_unless_a_signature_would_break() {
        let now = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        let mut md = unexpiring(EnvelopeKind::Legacy);
        let payload = md.payload().unwrap();
        assert_eq!(
            add_default_expiry(&mut md, &payload, false, now).unwrap(),
            DefaultExpiry::Added
        );
        assert_eq!(
            md.payload_value().unwrap()["expires"],
            "2026-02-28T12:00:00Z"
        );
        // Now it has one.
        let payload = md.payload().unwrap();
        assert_eq!(
            add_default_expiry(&mut md, &payload, false, now).unwrap(),
            DefaultExpiry::NotNeeded
        );

        let mut dsse = unexpiring(EnvelopeKind::Dsse);
        let payload = dsse.payload().unwrap();
        assert_eq!(
            add_default_expiry(&mut dsse, &payload, false, now).unwrap(),
            DefaultExpiry::KeptForDsse
        );

        let mut signed = unexpiring(EnvelopeKind::Legacy);
        signed
            .signatures_mut()
            .push(Signature::new(KeyId::new("ab"), "cd".to_owned()));
        let payload = signed.payload().unwrap();
        assert_eq!(
            add_default_expiry(&mut signed, &payload, true, now).unwrap(),
            DefaultExpiry::KeptForSignatures
        );
        // Signatures that are not kept do not hold it back.
        assert_eq!(
            add_default_expiry(&mut signed, &payload, false, now).unwrap(),
            DefaultExpiry::Added
        );
        assert_eq!(signed.signatures().len(), 1, "the caller clears them");
    }
}
