//! Kubernetes admission: `admission.k8s.io/v1` `AdmissionReview` requests
//! decided on the images of the workload they carry.
//!
//! Pure logic, no I/O: [`review`] reads a review, lists every container
//! image of a Pod, ReplicationController, Deployment, ReplicaSet,
//! StatefulSet, DaemonSet, Job or CronJob, requires each to be pinned by
//! digest (unless [`AdmissionConfig::allow_tags`]), hands each pinned image
//! to the caller's check, and builds the response review. Deletions are
//! allowed unchecked; other kinds are allowed with a warning.

mod images;
mod request;

use std::collections::HashMap;
use std::future::Future;

use serde_json::{Value, json};

pub use images::{Digest, ImageRef, parse_digest};
pub use request::{AdmissionRequest, Subject, parse_review, review_uid};

/// The `apiVersion` of the reviews read and written.
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// The most warnings a response carries (Kubernetes shows a few at most).
pub const MAX_WARNINGS: usize = 20;

/// The longest warning, in characters (the API server truncates at 256).
pub const MAX_WARNING_CHARS: usize = 250;

/// Why a review could not be read; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdmissionError {
    /// A required field is absent or null.
    #[error("{field} is missing")]
    Missing {
        /// The JSON path of the field.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// The JSON path of the field.
        field: String,
        /// What it must be, e.g. "a string".
        expected: &'static str,
    },
    /// A required string is empty.
    #[error("{field} is empty")]
    Empty {
        /// The JSON path of the field.
        field: String,
    },
    /// A field has a value other than the one required.
    #[error("{field} is {found}, expected \"{expected}\"")]
    Unexpected {
        /// The JSON path of the field.
        field: String,
        /// The value found, as JSON (shortened).
        found: String,
        /// The value required.
        expected: &'static str,
    },
}

impl AdmissionError {
    /// The JSON path of the field at fault.
    pub fn field(&self) -> &str {
        match self {
            Self::Missing { field }
            | Self::WrongType { field, .. }
            | Self::Empty { field }
            | Self::Unexpected { field, .. } => field,
        }
    }
}

/// How admission is decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Allow images not pinned by digest, unchecked and with a warning.
    pub allow_tags: bool,
}

/// The outcome of checking one pinned image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageVerdict {
    /// Whether the image may run.
    pub passed: bool,
    /// Why (shown for a failing image).
    pub message: String,
    /// Warnings for the user, passed or not.
    pub warnings: Vec<String>,
}

/// Decides a review and returns the response review.
///
/// Every image must be pinned by digest; an unpinned one is denied, or
/// with [`AdmissionConfig::allow_tags`] allowed unchecked with a warning.
/// Each pinned image is passed to `check` (once per distinct reference);
/// any failing one denies the request (status 403), its message listing
/// each failing container. Otherwise the request is allowed (status 200).
/// An error means the review could not be read; answer it with
/// [`error_response`].
pub async fn review<F, Fut>(
    review: &Value,
    config: &AdmissionConfig,
    check: F,
) -> Result<Value, AdmissionError>
where
    F: Fn(ImageRef) -> Fut,
    Fut: Future<Output = ImageVerdict>,
{
    let request = parse_review(review)?;
    let (allowed, message, warnings) = match request.subject {
        Subject::Delete => (true, "deletions are not checked".to_owned(), Vec::new()),
        Subject::NotWorkload { kind } => (
            true,
            format!("{kind} is not a workload; no images checked"),
            vec![format!(
                "intoto admission: {kind} is not a workload kind; allowed without image checks"
            )],
        ),
        Subject::Workload { images, .. } => decide(images, config, check).await,
    };
    let code = if allowed { 200 } else { 403 };
    Ok(response(&request.uid, allowed, code, &message, warnings))
}

/// The response to a review that cannot be read: denied, status 400.
pub fn error_response(uid: Option<&str>, message: &str) -> Value {
    response(uid.unwrap_or_default(), false, 400, message, Vec::new())
}

async fn decide<F, Fut>(
    images: Vec<ImageRef>,
    config: &AdmissionConfig,
    check: F,
) -> (bool, String, Vec<String>)
where
    F: Fn(ImageRef) -> Fut,
    Fut: Future<Output = ImageVerdict>,
{
    let total = images.len();
    let mut denials = Vec::new();
    let mut warnings = Vec::new();
    let mut unpinned = 0;
    let mut verdicts: HashMap<String, ImageVerdict> = HashMap::new();
    for image in images {
        if image.digest.is_none() {
            let reason = image.unpinned_reason().unwrap_or_default();
            let what = format!(
                "container {:?} image {:?} is not pinned by digest ({reason})",
                image.container, image.image
            );
            if config.allow_tags {
                unpinned += 1;
                warnings.push(format!("{what}; allowed without verification"));
            } else {
                denials.push(format!("{what}: pin it by digest (image@sha256:...)"));
            }
            continue;
        }
        let (container, reference) = (image.container.clone(), image.image.clone());
        let verdict = match verdicts.get(&reference) {
            Some(verdict) => verdict.clone(),
            None => {
                let verdict = check(image).await;
                warnings.extend(verdict.warnings.iter().cloned());
                verdicts.insert(reference.clone(), verdict.clone());
                verdict
            }
        };
        if !verdict.passed {
            denials.push(format!(
                "container {container:?} image {reference:?}: {}",
                verdict.message
            ));
        }
    }
    if !denials.is_empty() {
        return (false, denials.join("; "), warnings);
    }
    let verified = total - unpinned;
    let message = if unpinned == 0 {
        format!("all {total} {} verified", plural(total))
    } else {
        format!(
            "{verified} of {total} images verified; {unpinned} not pinned by digest (allowed by configuration)"
        )
    };
    (true, message, warnings)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "image" } else { "images" }
}

fn response(uid: &str, allowed: bool, code: u16, message: &str, warnings: Vec<String>) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": "AdmissionReview",
        "response": {
            "uid": uid,
            "allowed": allowed,
            "status": { "code": code, "message": message },
            "warnings": limit_warnings(warnings),
        }
    })
}

/// Warnings as Kubernetes takes them: one line each, short, distinct, few.
fn limit_warnings(warnings: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let total = warnings.len();
    for (index, warning) in warnings.into_iter().enumerate() {
        let warning: String = warning
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let warning = shorten(warning.trim(), MAX_WARNING_CHARS);
        if warning.is_empty() || out.contains(&warning) {
            continue;
        }
        if out.len() == MAX_WARNINGS - 1 && index + 1 < total {
            out.push(format!("{} more warnings not shown", total - index));
            break;
        }
        out.push(warning);
    }
    out
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests;
