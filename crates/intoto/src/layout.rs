//! Rules for signing layouts: the default expiry a layout without
//! `expires` gets (one month ahead, as the reference gives it, in UTC), and
//! when it may be added without invalidating a signature.

use chrono::{DateTime, Utc};
use intoto_model::{EnvelopeKind, Expires, Metadata, ModelError, Payload};

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
