//! How verdicts serialise (the JSON of `intoto verify --format json`):
//! `Serialize` for [`Code`] and the `serialize_with` helpers that the
//! derives in `diagnostic.rs` and `rules/trace.rs` name, for model types
//! that are written in their text form.

use intoto_model::{ArtifactRule, ArtifactType, DigestSet, KeyId};
use serde::{Serialize, Serializer};

use crate::diagnostic::Code;

impl Serialize for Code {
    /// The stable kebab-case code.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `materials` or `products`.
pub(crate) fn artifact_type<S: Serializer>(t: &ArtifactType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.field())
}

/// The keyid as a string.
pub(crate) fn keyid<S: Serializer>(k: &Option<KeyId>, s: S) -> Result<S::Ok, S::Error> {
    match k {
        Some(k) => s.serialize_str(k.as_str()),
        None => s.serialize_none(),
    }
}

/// `{"sha256": "…"}`, or null.
pub(crate) fn digests<S: Serializer>(d: &Option<DigestSet>, s: S) -> Result<S::Ok, S::Error> {
    d.as_ref().map(DigestSet::to_value).serialize(s)
}

/// The rule as words joined by spaces.
pub(crate) fn rule<S: Serializer>(r: &ArtifactRule, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(r)
}

/// Whether a count is zero (left out of the JSON).
#[allow(clippy::trivially_copy_pass_by_ref)]
pub(crate) fn is_zero(n: &usize) -> bool {
    *n == 0
}
