//! Predicates generated from reports the tools themselves wrote
//! (`tests/vectors/tool-reports`, each with its SOURCE and LICENSE): exact
//! counts, ids, severities and subject digests; then every truncation and
//! random corruptions of each report, which must give a one-line error and
//! never panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{Value, json};

use intoto::generate::sbom::{self, SbomFormat};
use intoto::generate::test_result::{self, TestOutcome, TestResults};
use intoto::generate::vulns::{self, ScanFormat};
use intoto::generate::{GenerateError, TEST_RESULT_PREDICATE_TYPE, VULNS_PREDICATE_TYPE};
use intoto::model::{DigestSet, ResourceDescriptor, Statement};
use intoto_test_support::read_vector;

const JUNIT: &str = "tool-reports/junit/pytest.xml";
const SARIF: &str = "tool-reports/sarif/trivy-alpine-310.sarif";
const GRYPE: &str = "tool-reports/grype/image.json";
const TRIVY: &str = "tool-reports/trivy/alpine-310.json";
const SPDX: &str = "tool-reports/spdx/syft-image.spdx.json";
const CYCLONEDX: &str = "tool-reports/cyclonedx/lhc-vdm-editor.cdx.json";

/// Every generator, by the vector it reads.
fn generate(vector: &str, input: &[u8]) -> Result<(), GenerateError> {
    match vector {
        JUNIT => test_result::from_junit(input, vec![], None).map(drop),
        SARIF | GRYPE | TRIVY => vulns::from_report(input).map(drop),
        SPDX | CYCLONEDX => sbom::from_sbom(input).map(drop),
        other => panic!("no generator for {other}"),
    }
}

const ALL: [&str; 6] = [JUNIT, SARIF, GRYPE, TRIVY, SPDX, CYCLONEDX];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn pytest_junit_report() {
    let report = TestResults::from_junit(&read_vector(JUNIT)).unwrap();
    assert_eq!(
        report.passed,
        strings(&[
            "tests.test_lib.test_always_pass",
            "tests.test_lib.test_with_subtests",
            "tests.test_lib.test_parameterized[param1]",
            "tests.test_lib.test_parameterized[param2]",
            "tests.test_lib.test_with_record_property",
            "custom_classname.test_with_record_xml_attribute",
        ])
    );
    assert_eq!(
        report.warned,
        strings(&[
            "tests.test_lib.test_always_skip",
            "tests.test_lib.test_expected_failure",
        ])
    );
    assert_eq!(
        report.failed,
        strings(&[
            "tests.test_lib.test_always_fail",
            "tests.test_lib.test_error"
        ])
    );
    assert_eq!(report.outcome(), TestOutcome::Failed);
    assert_eq!(report.total(), 10);

    let mut digest = DigestSet::new();
    digest.insert("sha256", "01".repeat(32));
    let config = ResourceDescriptor::named("pytest.ini", digest);
    let predicate = test_result::from_junit(
        &read_vector(JUNIT),
        vec![config],
        Some("https://ci.example/runs/7".to_owned()),
    )
    .unwrap();
    assert_eq!(predicate["result"], "FAILED");
    assert_eq!(predicate["failedTests"].as_array().unwrap().len(), 2);
    assert_eq!(
        predicate["configuration"][0]["digest"]["sha256"],
        "01".repeat(32)
    );

    // The predicate goes into a statement as is.
    let mut subject = DigestSet::new();
    subject.insert("gitCommit", "d20ace7968ba43c0219f62d71334c1095bab1602");
    let statement = Statement::new(
        vec![ResourceDescriptor::named("repo", subject)],
        TEST_RESULT_PREDICATE_TYPE,
        predicate,
    );
    let value = statement.to_value();
    assert_eq!(value["predicateType"], TEST_RESULT_PREDICATE_TYPE);
    assert_eq!(
        value["predicate"]["passedTests"].as_array().unwrap().len(),
        6
    );
}

#[test]
fn trivy_sarif_log() {
    let input = read_vector(SARIF);
    let document: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(ScanFormat::detect(&document), Some(ScanFormat::Sarif));
    let predicate = vulns::from_report(&input).unwrap();
    assert_eq!(predicate, vulns::from_sarif(&input).unwrap());
    let scanner = &predicate["scanner"];
    assert_eq!(scanner["uri"], "https://github.com/aquasecurity/trivy");
    assert_eq!(scanner["version"], "dev");
    assert!(scanner.get("db").is_none());
    assert!(!predicate.contains_key("metadata"));
    let result = scanner["result"].as_array().unwrap();
    let ids: Vec<&str> = result.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2019-1549",
            "CVE-2019-1551",
            "CVE-2019-1549",
            "CVE-2019-1551"
        ]
    );
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "security-severity", "score": "5.3"},
               {"method": "sarif-level", "score": "warning"}])
    );
    assert_eq!(
        result[0]["annotations"],
        json!([{"location": "testdata/fixtures/images/alpine-310.tar.gz:1"}])
    );
}

#[test]
fn grype_json_report() {
    let input = read_vector(GRYPE);
    let document: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(ScanFormat::detect(&document), Some(ScanFormat::Grype));
    let predicate = vulns::from_report(&input).unwrap();
    let scanner = &predicate["scanner"];
    assert_eq!(scanner["uri"], "https://github.com/anchore/grype");
    assert_eq!(scanner["version"], "[not provided]");
    assert!(scanner.get("db").is_none());
    assert!(
        !predicate.contains_key("metadata"),
        "the timestamp is empty"
    );
    let result = scanner["result"].as_array().unwrap();
    assert_eq!(result.len(), 2);
    assert_eq!(result[0]["id"], "CVE-1999-0001");
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "grype", "score": "Low"},
               {"method": "nvd:cvss_v3.1", "score": "8.2"}])
    );
    assert_eq!(result[1]["id"], "CVE-1999-0002");
    assert_eq!(result[1]["severity"][0]["score"], "Critical");
    let annotations = result[1]["annotations"].as_array().unwrap();
    assert!(annotations.contains(&json!({"package": "package-2"})));
    assert!(annotations.contains(&json!({"purl": "pkg:deb/package-2@2.2.2"})));
}

#[test]
fn trivy_json_report() {
    let input = read_vector(TRIVY);
    let document: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(ScanFormat::detect(&document), Some(ScanFormat::Trivy));
    let predicate = vulns::from_report(&input).unwrap();
    assert_eq!(predicate, vulns::from_trivy(&input).unwrap());
    let scanner = &predicate["scanner"];
    assert_eq!(scanner["uri"], "https://github.com/aquasecurity/trivy");
    assert_eq!(scanner["version"], "dev");
    assert_eq!(
        predicate["metadata"],
        json!({"scanFinishedOn": "2021-08-25T12:20:30.000000005Z"})
    );
    let result = scanner["result"].as_array().unwrap();
    assert_eq!(result.len(), 4, "two CVEs in each of two packages");
    assert_eq!(result[0]["id"], "CVE-2019-1549");
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "nvd", "score": "MEDIUM"},
               {"method": "nvd:cvss_v2", "score": "5"},
               {"method": "nvd:cvss_v3", "score": "5.3"},
               {"method": "redhat:cvss_v3", "score": "4.8"}])
    );
    let annotations = result[0]["annotations"].as_array().unwrap();
    assert!(annotations.contains(&json!({"package": "libcrypto1.1"})));
    assert!(annotations.contains(&json!({"installedVersion": "1.1.1c-r0"})));
    assert!(annotations.contains(&json!({"fixedVersion": "1.1.1d-r0"})));
    assert_eq!(result[2]["id"], "CVE-2019-1549");
    assert!(
        result[2]["annotations"]
            .as_array()
            .unwrap()
            .contains(&json!({"package": "libssl1.1"}))
    );
    let statement = Statement::new(vec![], VULNS_PREDICATE_TYPE, predicate);
    assert_eq!(statement.to_value()["predicateType"], VULNS_PREDICATE_TYPE);
}

#[test]
fn syft_spdx_document() {
    let input = read_vector(SPDX);
    let sbom = sbom::from_sbom(&input).unwrap();
    assert_eq!(sbom.format, SbomFormat::Spdx);
    assert_eq!(sbom.predicate_type, "https://spdx.dev/Document/v2.3");
    let original: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(Value::Object(sbom.predicate.clone()), original);
    assert_eq!(sbom.subjects.len(), 1);
    assert_eq!(sbom.subjects_without_digest, 0);
    let subject = &sbom.subjects[0];
    assert_eq!(subject.name.as_deref(), Some("user-image-input"));
    assert_eq!(
        subject.to_value()["digest"],
        json!({"sha256": "2731251dc34951c0e50fcc643b4c5f74922dad1a5d98f302b504cf46cd5d9368"})
    );
    assert_eq!(sbom::from_spdx(&input).unwrap(), sbom);
}

#[test]
fn cyclonedx_example_bom() {
    let input = read_vector(CYCLONEDX);
    let sbom = sbom::from_sbom(&input).unwrap();
    assert_eq!(sbom.format, SbomFormat::CycloneDx);
    assert_eq!(sbom.predicate_type, "https://cyclonedx.org/bom");
    let original: Value = serde_json::from_slice(&input).unwrap();
    assert_eq!(Value::Object(sbom.predicate.clone()), original);
    assert_eq!(sbom.predicate["specVersion"], "1.2");
    assert_eq!(sbom.predicate["components"].as_array().unwrap().len(), 43);
    // The described component, lhc-vdm-editor, has no hashes.
    assert!(sbom.subjects.is_empty());
    assert_eq!(sbom.subjects_without_digest, 1);
    assert_eq!(sbom::from_cyclonedx(&input).unwrap(), sbom);
}

#[test]
fn reports_are_refused_by_the_other_generators() {
    let err = vulns::from_report(&read_vector(SPDX)).unwrap_err();
    assert!(matches!(err, GenerateError::UnknownFormat { .. }), "{err}");
    let err = sbom::from_sbom(&read_vector(TRIVY)).unwrap_err();
    assert!(matches!(err, GenerateError::UnknownFormat { .. }), "{err}");
    let err = test_result::from_junit(&read_vector(GRYPE), vec![], None).unwrap_err();
    assert!(
        matches!(
            err,
            GenerateError::XmlNoRoot { .. } | GenerateError::Xml { .. }
        ),
        "{err}"
    );
    let err = vulns::from_grype(&read_vector(TRIVY)).unwrap_err();
    assert_eq!(err.to_string(), "Grype report: matches is missing");
    let err = sbom::from_spdx(&read_vector(CYCLONEDX)).unwrap_err();
    assert_eq!(err.to_string(), "SPDX document: spdxVersion is missing");
}

/// Each error is one line that names its format.
fn check_error(vector: &str, err: &GenerateError) {
    let message = err.to_string();
    assert!(!message.contains('\n'), "{vector}: {message}");
    assert!(message.contains(": "), "{vector}: {message}");
}

#[test]
fn every_truncation_is_a_clear_error() {
    for vector in ALL {
        let input = read_vector(vector);
        let end = input.trim_ascii_end().len();
        // Every prefix of the small reports; about 2,000 of the larger.
        let step = (end / 2000).max(1);
        for len in (0..end).step_by(step) {
            match generate(vector, &input[..len]) {
                Err(err) => check_error(vector, &err),
                Ok(()) => panic!("{vector} cut to {len} bytes was accepted"),
            }
        }
        generate(vector, &input).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn corrupted_reports_never_panic(
        which in 0..ALL.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let vector = ALL[which];
        let mut input = read_vector(vector);
        for (at, byte) in edits {
            let i = at.index(input.len());
            input[i] = byte;
        }
        if let Err(err) = generate(vector, &input) {
            check_error(vector, &err);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        for vector in [JUNIT, SARIF, SPDX] {
            if let Err(err) = generate(vector, &input) {
                check_error(vector, &err);
            }
        }
    }
}
