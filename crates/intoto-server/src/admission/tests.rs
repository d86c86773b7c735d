//! Tests of admission decisions over realistic `AdmissionReview` requests.

use std::cell::RefCell;
use std::future::{Ready, ready};

use serde_json::{Value, json};

use super::*;

pub(super) const POD: &str = include_str!("../../tests/admission/pod-pinned.json");
pub(super) const DEPLOYMENT: &str = include_str!("../../tests/admission/deployment-tag.json");
pub(super) const CRONJOB: &str = include_str!("../../tests/admission/cronjob-pinned.json");
pub(super) const CONFIGMAP: &str = include_str!("../../tests/admission/configmap.json");

const POD_UID: &str = "705ab4f5-6393-11e8-b7cc-42010a800002";

pub(super) fn load(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

pub(super) fn pass(_: ImageRef) -> Ready<ImageVerdict> {
    ready(ImageVerdict {
        passed: true,
        message: "verified".into(),
        warnings: vec![],
    })
}

pub(super) fn strict() -> AdmissionConfig {
    AdmissionConfig { allow_tags: false }
}

fn response(out: &Value) -> &Value {
    assert_eq!(out["apiVersion"], API_VERSION);
    assert_eq!(out["kind"], "AdmissionReview");
    &out["response"]
}

#[tokio::test]
async fn pinned_pod_allowed_when_checks_pass() {
    let seen = RefCell::new(Vec::new());
    let out = review(&load(POD), &strict(), |image: ImageRef| {
        seen.borrow_mut().push(image.clone());
        pass(image)
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], POD_UID);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["status"]["code"], 200);
    assert_eq!(r["status"]["message"], "all 3 images verified");
    assert_eq!(r["warnings"], json!([]));
    let seen = seen.into_inner();
    let fields: Vec<&str> = seen.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "request.object.spec.containers[0].image",
            "request.object.spec.initContainers[0].image",
            "request.object.spec.ephemeralContainers[0].image",
        ]
    );
    assert_eq!(seen[2].container, "debugger-x7k2p");
    let digest = seen[2].digest.as_ref().unwrap();
    assert_eq!(digest.algorithm, "sha256");
    assert_eq!(
        digest.hex,
        "3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79"
    );
}

#[tokio::test]
async fn pinned_pod_denied_when_a_check_fails() {
    let out = review(&load(POD), &strict(), |image: ImageRef| {
        let passed = image.container != "migrate";
        ready(ImageVerdict {
            passed,
            message: if passed {
                "verified".into()
            } else {
                "no attestation satisfies the policy".into()
            },
            warnings: vec![format!("checked {}", image.container)],
        })
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], POD_UID);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let message = r["status"]["message"].as_str().unwrap();
    assert!(message.contains("\"migrate\""), "{message}");
    assert!(
        message.contains("registry.example.invalid/shop/migrate:2.4.1@sha256:"),
        "{message}"
    );
    assert!(
        message.contains("no attestation satisfies the policy"),
        "{message}"
    );
    assert!(!message.contains("\"web\""), "{message}");
    assert_eq!(
        r["warnings"],
        json!(["checked web", "checked migrate", "checked debugger-x7k2p"])
    );
}

#[tokio::test]
async fn several_failures_are_joined() {
    let fail = |_: ImageRef| {
        ready(ImageVerdict {
            passed: false,
            message: "revoked".into(),
            warnings: vec![],
        })
    };
    let out = review(&load(POD), &strict(), fail).await.unwrap();
    let message = out["response"]["status"]["message"].as_str().unwrap();
    assert_eq!(message.matches(": revoked").count(), 3, "{message}");
    assert_eq!(message.matches("; ").count(), 2, "{message}");
}

#[tokio::test]
async fn each_distinct_image_is_checked_once() {
    let image = "registry.example.invalid/shop/web@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
    let mut pod = load(POD);
    pod["request"]["object"]["spec"]["initContainers"][0]["image"] = json!(image);
    let checked = RefCell::new(0);
    let out = review(&pod, &strict(), |_: ImageRef| {
        *checked.borrow_mut() += 1;
        ready(ImageVerdict {
            passed: false,
            message: "revoked".into(),
            warnings: vec!["w".into()],
        })
    })
    .await
    .unwrap();
    assert_eq!(*checked.borrow(), 2);
    let message = out["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("container \"web\"") && message.contains("container \"migrate\""),
        "{message}"
    );
    assert_eq!(out["response"]["warnings"], json!(["w"]));
}

#[tokio::test]
async fn tag_denied() {
    let checked = RefCell::new(0);
    let out = review(&load(DEPLOYMENT), &strict(), |image| {
        *checked.borrow_mut() += 1;
        pass(image)
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], "b1c8d6a2-4e5f-4a7b-9c0d-1e2f3a4b5c6d");
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let message = r["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("container \"proxy\" image \"nginx:1.27\""),
        "{message}"
    );
    assert!(
        message.contains("pin it by digest (image@sha256:...)"),
        "{message}"
    );
    assert!(!message.contains("\"api\""), "{message}");
    assert_eq!(*checked.borrow(), 1, "the pinned image is still checked");
}

#[tokio::test]
async fn tag_allowed_with_allow_tags_and_warned() {
    let checked = RefCell::new(Vec::new());
    let config = AdmissionConfig { allow_tags: true };
    let out = review(&load(DEPLOYMENT), &config, |image: ImageRef| {
        checked.borrow_mut().push(image.container.clone());
        pass(image)
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["status"]["code"], 200);
    let message = r["status"]["message"].as_str().unwrap();
    assert!(message.starts_with("1 of 2 images verified"), "{message}");
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.contains("nginx:1.27") && warning.contains("not pinned"),
        "{warning}"
    );
    assert_eq!(
        checked.into_inner(),
        ["api"],
        "the unpinned image is not checked"
    );
}

#[tokio::test]
async fn malformed_digest_is_not_pinned() {
    let mut pod = load(POD);
    pod["request"]["object"]["spec"]["containers"][0]["image"] = json!("web@sha256:abc123");
    let out = review(&pod, &strict(), pass).await.unwrap();
    let message = out["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains("6 hex digits, expected 64"), "{message}");
    assert!(message.contains("web@sha256:abc123"), "{message}");
}

#[tokio::test]
async fn cronjob_path() {
    let seen = RefCell::new(Vec::new());
    let out = review(&load(CRONJOB), &strict(), |image: ImageRef| {
        seen.borrow_mut().push(image.field.clone());
        pass(image)
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], "c7e2a9f0-3b4d-4e8f-a1b2-c3d4e5f60718");
    assert_eq!(r["allowed"], true);
    assert_eq!(r["status"]["message"], "all 1 image verified");
    assert_eq!(
        seen.into_inner(),
        ["request.object.spec.jobTemplate.spec.template.spec.containers[0].image"]
    );
}

#[tokio::test]
async fn non_workload_allowed_with_warning() {
    let out = review(&load(CONFIGMAP), &strict(), pass).await.unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], "d9f1e3c5-a7b9-4d1f-8e5a-7c9b1d3f5e7a");
    assert_eq!(r["allowed"], true);
    assert_eq!(r["status"]["code"], 200);
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].as_str().unwrap().contains("ConfigMap"));
}

#[tokio::test]
async fn delete_allowed_without_checks() {
    let mut pod = load(POD);
    pod["request"]["operation"] = json!("DELETE");
    pod["request"]["object"] = Value::Null;
    let out = review(&pod, &strict(), |_: ImageRef| -> Ready<ImageVerdict> {
        unreachable!("no checks on DELETE")
    })
    .await
    .unwrap();
    let r = response(&out);
    assert_eq!(r["uid"], POD_UID);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["status"]["code"], 200);
}

#[test]
fn error_response_shape() {
    let mut v = load(POD);
    v["apiVersion"] = json!("v1");
    let out = error_response(review_uid(&v), "apiVersion is wrong");
    let r = response(&out);
    assert_eq!(r["uid"], POD_UID);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 400);
    assert_eq!(r["status"]["message"], "apiVersion is wrong");
    assert_eq!(error_response(None, "unreadable")["response"]["uid"], "");
}

#[test]
fn warnings_are_limited() {
    let long = "x".repeat(1000);
    let mut warnings: Vec<String> = (0..30).map(|i| format!("warning {i}")).collect();
    warnings.insert(0, long);
    warnings.insert(1, "line\nbreak".into());
    warnings.insert(2, "warning 0".into());
    let out = limit_warnings(warnings);
    assert_eq!(out.len(), MAX_WARNINGS);
    assert_eq!(out[0].chars().count(), MAX_WARNING_CHARS);
    assert!(out[0].ends_with('…'));
    assert_eq!(out[1], "line break");
    assert_eq!(out[2], "warning 0");
    assert_eq!(out[3], "warning 1");
    assert!(out.iter().all(|w| w.chars().count() < 256));
    assert!(out[MAX_WARNINGS - 1].ends_with("more warnings not shown"));
}
