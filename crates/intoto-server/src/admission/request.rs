//! Reading an `AdmissionReview` request: its version, uid, operation,
//! kind and, for a workload, its container images.
//!
//! Every error names the JSON path of the field at fault.

use serde_json::{Map, Value};

use super::images::{self, ImageRef};
use super::{API_VERSION, AdmissionError, shorten};

/// A review's request, as far as admission needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionRequest {
    /// `request.uid`, echoed in the response.
    pub uid: String,
    /// `request.operation`: `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub operation: String,
    /// What the request is about.
    pub subject: Subject,
}

/// What a request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A deletion: allowed without checks.
    Delete,
    /// An object that is not a workload: allowed with a warning.
    NotWorkload {
        /// Its kind.
        kind: String,
    },
    /// A workload and every container image in it.
    Workload {
        /// Its kind, e.g. `Deployment`.
        kind: String,
        /// Its images: containers, then init containers, then ephemeral ones.
        images: Vec<ImageRef>,
    },
}

/// `request.uid` of a review, if it has one: for
/// [`error_response`](super::error_response) when the review cannot
/// otherwise be read.
pub fn review_uid(review: &Value) -> Option<&str> {
    review.get("request")?.get("uid")?.as_str()
}

/// Reads a review: its version, uid, operation, kind and images.
pub fn parse_review(review: &Value) -> Result<AdmissionRequest, AdmissionError> {
    let top = as_object(review, "the AdmissionReview")?;
    expect_str(top, "", "apiVersion", API_VERSION)?;
    expect_str(top, "", "kind", "AdmissionReview")?;
    let request = match top.get("request") {
        None | Some(Value::Null) => return Err(missing("request")),
        Some(request) => as_object(request, "request")?,
    };
    let uid = required_str(request, "request", "uid")?.to_owned();
    let operation = required_str(request, "request", "operation")?.to_owned();
    if operation == "DELETE" {
        return Ok(AdmissionRequest {
            uid,
            operation,
            subject: Subject::Delete,
        });
    }
    let object = request.get("object").filter(|o| !o.is_null());
    let (group, kind) = match (request.get("kind"), object) {
        (Some(kind), _) if !kind.is_null() => {
            let kind = as_object(kind, "request.kind")?;
            let group = optional_str(kind, "request.kind", "group")?;
            (group, required_str(kind, "request.kind", "kind")?)
        }
        (_, Some(object)) => {
            let object = as_object(object, "request.object")?;
            let api_version = optional_str(object, "request.object", "apiVersion")?;
            let group = api_version.map(|v| v.rsplit_once('/').map_or("", |(group, _)| group));
            (group, required_str(object, "request.object", "kind")?)
        }
        (_, None) => return Err(missing("request.kind")),
    };
    let kind = kind.to_owned();
    let subject = match images::pod_spec_path(group, &kind) {
        None => Subject::NotWorkload { kind },
        Some(path) => {
            let object = object.ok_or_else(|| missing("request.object"))?;
            let images = images::workload_images(object, path)?;
            Subject::Workload { kind, images }
        }
    };
    Ok(AdmissionRequest {
        uid,
        operation,
        subject,
    })
}

pub(super) fn missing(field: &str) -> AdmissionError {
    AdmissionError::Missing {
        field: field.to_owned(),
    }
}

fn path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

pub(super) fn as_object<'a>(
    value: &'a Value,
    field: &str,
) -> Result<&'a Map<String, Value>, AdmissionError> {
    value.as_object().ok_or_else(|| AdmissionError::WrongType {
        field: field.to_owned(),
        expected: "an object",
    })
}

fn optional_str<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<Option<&'a str>, AdmissionError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AdmissionError::WrongType {
            field: path(parent, key),
            expected: "a string",
        }),
    }
}

pub(super) fn required_str<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<&'a str, AdmissionError> {
    match optional_str(object, parent, key)? {
        None => Err(missing(&path(parent, key))),
        Some("") => Err(AdmissionError::Empty {
            field: path(parent, key),
        }),
        Some(s) => Ok(s),
    }
}

fn expect_str(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    expected: &'static str,
) -> Result<(), AdmissionError> {
    match object.get(key) {
        Some(Value::String(s)) if s == expected => Ok(()),
        None | Some(Value::Null) => Err(missing(&path(parent, key))),
        Some(found) => Err(AdmissionError::Unexpected {
            field: path(parent, key),
            found: shorten(&found.to_string(), 64),
            expected,
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::admission::review;
    use crate::admission::tests::{CRONJOB, DEPLOYMENT, POD, load, pass, strict};

    /// `fixture` with the value at JSON `pointer` replaced (`None`: removed).
    fn edited(fixture: &str, pointer: &str, value: Option<Value>) -> Value {
        let mut v = load(fixture);
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = v.pointer_mut(parent).unwrap();
        match value {
            Some(value) => parent[key] = value,
            None => drop(parent.as_object_mut().unwrap().remove(key)),
        }
        v
    }

    #[tokio::test]
    async fn malformed_reviews_name_the_field() {
        let spec = "/request/object/spec/template/spec";
        let cases = [
            (
                edited(POD, "/apiVersion", Some(json!("admission.k8s.io/v1beta1"))),
                "apiVersion is \"admission.k8s.io/v1beta1\", expected \"admission.k8s.io/v1\"",
            ),
            (
                edited(POD, "/kind", Some(json!("Pod"))),
                "kind is \"Pod\", expected \"AdmissionReview\"",
            ),
            (edited(POD, "/request/uid", None), "request.uid is missing"),
            (
                edited(POD, "/request/uid", Some(json!(42))),
                "request.uid must be a string",
            ),
            (
                edited(POD, "/request/uid", Some(json!(""))),
                "request.uid is empty",
            ),
            (
                edited(
                    DEPLOYMENT,
                    &format!("{spec}/containers/1/image"),
                    Some(json!(7)),
                ),
                "request.object.spec.template.spec.containers[1].image must be a string",
            ),
            (
                edited(DEPLOYMENT, &format!("{spec}/containers/1/image"), None),
                "request.object.spec.template.spec.containers[1].image is missing",
            ),
            (
                edited(
                    DEPLOYMENT,
                    &format!("{spec}/initContainers"),
                    Some(json!({})),
                ),
                "request.object.spec.template.spec.initContainers must be an array",
            ),
            (
                edited(
                    CRONJOB,
                    "/request/object/spec/jobTemplate/spec",
                    Some(json!([])),
                ),
                "request.object.spec.jobTemplate.spec must be an object",
            ),
            (
                edited(POD, "/request/object", Some(Value::Null)),
                "request.object is missing",
            ),
            (json!([]), "the AdmissionReview must be an object"),
            (
                json!({"apiVersion": API_VERSION, "kind": "AdmissionReview"}),
                "request is missing",
            ),
        ];
        for (input, expected) in cases {
            let error = review(&input, &strict(), pass).await.unwrap_err();
            assert_eq!(error.to_string(), expected);
            assert!(expected.starts_with(error.field()), "{expected}");
        }
    }

    #[tokio::test]
    async fn kind_falls_back_to_the_object() {
        let mut review_json = load(CRONJOB);
        review_json["request"]
            .as_object_mut()
            .unwrap()
            .remove("kind");
        let parsed = parse_review(&review_json).unwrap();
        assert!(
            matches!(parsed.subject, Subject::Workload { ref kind, ref images } if kind == "CronJob" && images.len() == 1)
        );
    }

    #[tokio::test]
    async fn same_kind_in_another_group_is_not_a_workload() {
        let mut pod = load(POD);
        pod["request"]["kind"]["group"] = json!("example.invalid");
        let parsed = parse_review(&pod).unwrap();
        assert_eq!(parsed.subject, Subject::NotWorkload { kind: "Pod".into() });
    }
}
