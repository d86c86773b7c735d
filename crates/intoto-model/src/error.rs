//! Errors raised while reading metadata into the model.

use crate::encoding::cjson::CanonicalError;
use crate::rule::RuleError;

/// Metadata that does not fit the model.
///
/// Every variant names the field at fault as a path from the document root,
/// such as `signed.steps[1].expected_materials[0]`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The bytes are not JSON.
    #[error("not valid JSON")]
    Json(#[source] serde_json::Error),
    /// A DSSE payload that is not JSON.
    #[error("the DSSE payload is not a JSON document")]
    PayloadJson(#[source] serde_json::Error),
    /// A required field is absent.
    #[error("required field `{field}` is missing")]
    MissingField {
        /// Path of the missing field.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// Path of the field.
        field: String,
        /// What it should be, in words (`"a list of strings"`).
        expected: &'static str,
    },
    /// A field has the right type but a value the model does not accept.
    #[error("field `{field}` {problem}")]
    InvalidValue {
        /// Path of the field.
        field: String,
        /// What is wrong, as a phrase that follows the field name.
        problem: &'static str,
        /// The offending value, when short enough to show.
        #[source]
        detail: Option<Detail>,
    },
    /// An artifact rule does not parse.
    #[error("artifact rule `{field}` ({rule}) is invalid")]
    Rule {
        /// Path of the rule.
        field: String,
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        #[source]
        source: RuleError,
    },
    /// The `_type` (or DSSE `payloadType`) is not one this reader accepts.
    #[error("`{field}` is {found:?}, expected {expected}")]
    UnexpectedType {
        /// Where the type was read.
        field: String,
        /// The type found.
        found: String,
        /// The accepted types, in words.
        expected: &'static str,
    },
    /// The document is neither a DSSE envelope nor a legacy signed wrapper.
    #[error(
        "not in-toto metadata: expected a DSSE envelope (`payload`, `payloadType`) or a `signed`/`signatures` object"
    )]
    UnknownEnvelope,
    /// The signed part cannot be written as canonical JSON.
    #[error("the signed data has no canonical JSON form")]
    Canonical(#[from] CanonicalError),
}

/// The value behind an [`ModelError::InvalidValue`], for the error chain.
#[derive(Debug, thiserror::Error)]
#[error("got {0}")]
pub struct Detail(pub String);

impl ModelError {
    pub(crate) fn invalid(field: impl Into<String>, problem: &'static str, value: &str) -> Self {
        let shown = if value.chars().count() > 80 {
            let cut: String = value.chars().take(77).collect();
            format!("{cut:?}...")
        } else {
            format!("{value:?}")
        };
        ModelError::InvalidValue {
            field: field.into(),
            problem,
            detail: Some(Detail(shown)),
        }
    }
}
