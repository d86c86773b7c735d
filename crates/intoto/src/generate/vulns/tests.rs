//! Format detection, each format's mapping, repeats, and hostile JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;

use super::*;

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn error(result: Result<Map<String, Value>, GenerateError>) -> GenerateError {
    let err = result.unwrap_err();
    assert!(!err.to_string().contains('\n'), "{err}");
    err
}

fn sarif_log(results: Value) -> Value {
    json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "scanner",
                "informationUri": "https://scanner.example",
                "semanticVersion": "1.2.3",
                "rules": [
                    {"id": "R1", "defaultConfiguration": {"level": "error"},
                     "properties": {"security-severity": "9.8"}},
                    {"id": "R2"}
                ]
            }},
            "invocations": [{"startTimeUtc": "2024-01-01T00:00:00Z",
                             "endTimeUtc": "2024-01-01T00:05:00Z",
                             "executionSuccessful": true}],
            "results": results
        }]
    })
}

#[test]
fn detect_tells_the_three_formats_apart() {
    assert_eq!(
        ScanFormat::detect(&json!({"runs": []})),
        Some(ScanFormat::Sarif)
    );
    assert_eq!(
        ScanFormat::detect(&json!({"matches": []})),
        Some(ScanFormat::Grype)
    );
    assert_eq!(
        ScanFormat::detect(&json!({"SchemaVersion": 2})),
        Some(ScanFormat::Trivy)
    );
    assert_eq!(ScanFormat::detect(&json!({"bomFormat": "CycloneDX"})), None);
    assert_eq!(ScanFormat::detect(&json!([1])), None);
    let err = error(from_report(b"{\"bomFormat\": \"CycloneDX\"}"));
    assert!(matches!(err, GenerateError::UnknownFormat { .. }));
}

#[test]
fn sarif_rule_severity_level_and_invocation_times() {
    let log = sarif_log(json!([
        {"ruleId": "R1", "message": {"text": "m"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.c"},
                                              "region": {"startLine": 7}}}]},
        {"ruleIndex": 1, "level": "note", "properties": {"security-severity": 4.0}},
        {"ruleId": "R2", "kind": "pass"},
        {"ruleId": "R2", "suppressions": [{"kind": "inSource"}],
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/b.c"}}}]}
    ]));
    let p = from_report(&bytes(&log)).unwrap();
    assert_eq!(p["scanner"]["uri"], "https://scanner.example");
    assert_eq!(p["scanner"]["version"], "1.2.3");
    assert_eq!(p["metadata"]["scanStartedOn"], "2024-01-01T00:00:00Z");
    assert_eq!(p["metadata"]["scanFinishedOn"], "2024-01-01T00:05:00Z");
    let result = p["scanner"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 3, "the pass is not a finding");
    assert_eq!(
        result[0],
        json!({"id": "R1",
               "severity": [{"method": "security-severity", "score": "9.8"},
                            {"method": "sarif-level", "score": "error"}],
               "annotations": [{"location": "src/a.c:7"}]})
    );
    assert_eq!(
        result[1]["severity"],
        json!([{"method": "security-severity", "score": "4.0"},
               {"method": "sarif-level", "score": "note"}])
    );
    assert_eq!(
        result[2]["severity"],
        json!([{"method": "sarif-level", "score": "warning"}])
    );
    assert_eq!(
        result[2]["annotations"],
        json!([{"location": "src/b.c"}, {"suppressed": true}])
    );
}

#[test]
fn sarif_repeats_count_as_occurrences() {
    let loc = json!([{"physicalLocation": {"artifactLocation": {"uri": "a"}}}]);
    let log = sarif_log(json!([
        {"ruleId": "R2", "locations": loc},
        {"ruleId": "R2", "locations": loc},
        {"ruleId": "R2", "locations": [{"physicalLocation": {"artifactLocation": {"uri": "b"}}}]}
    ]));
    let p = from_sarif(&bytes(&log)).unwrap();
    let result = p["scanner"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 2);
    assert_eq!(
        result[0]["annotations"],
        json!([{"location": "a"}, {"occurrences": 2}])
    );
    assert_eq!(result[1]["annotations"], json!([{"location": "b"}]));
}

#[test]
fn sarif_errors_name_the_field() {
    let err = error(from_sarif(&bytes(&sarif_log(
        json!([{"message": {"text": "no rule"}}]),
    ))));
    assert_eq!(
        err.to_string(),
        "SARIF log: runs[0].results[0].ruleId is missing"
    );
    let err = error(from_sarif(&bytes(&sarif_log(json!([{"ruleIndex": 9}])))));
    assert!(
        err.to_string()
            .starts_with("SARIF log: runs[0].results[0].ruleIndex is \"9\""),
        "{err}"
    );
    let err = error(from_sarif(&bytes(&sarif_log(
        json!([{"ruleId": "R2", "level": "fatal"}]),
    ))));
    assert!(
        err.to_string()
            .starts_with("SARIF log: runs[0].results[0].level is \"fatal\""),
        "{err}"
    );
    let err = error(from_sarif(br#"{"version": "2.0.0", "runs": []}"#));
    assert!(matches!(err, GenerateError::UnsupportedVersion { .. }));
    let err = error(from_sarif(
        br#"{"version": "2.1.0", "runs": [{"tool": {}}]}"#,
    ));
    assert_eq!(err.to_string(), "SARIF log: runs[0].tool.driver is missing");
    let err = error(from_sarif(br#"{"version": "2.1.0", "runs": []}"#));
    assert!(matches!(err, GenerateError::MissingField { .. }));
    let mut log = sarif_log(json!([]));
    log["runs"][0]["invocations"][0]["startTimeUtc"] = json!("yesterday");
    let err = error(from_sarif(&bytes(&log)));
    assert!(
        err.to_string()
            .starts_with("SARIF log: runs[0].invocations[0].startTimeUtc is \"yesterday\""),
        "{err}"
    );
}

#[test]
fn sarif_runs_of_two_tools_are_refused() {
    let mut log = sarif_log(json!([]));
    let mut other = log["runs"][0].clone();
    other["tool"]["driver"]["name"] = json!("other");
    log["runs"].as_array_mut().unwrap().push(other);
    let err = error(from_sarif(&bytes(&log)));
    assert!(matches!(err, GenerateError::MixedScanners { .. }), "{err}");
}

#[test]
fn grype_match_without_id_names_its_index() {
    let report = json!({
        "matches": [
            {"vulnerability": {"id": "CVE-1"}},
            {"vulnerability": {"id": "CVE-2"}},
            {"vulnerability": {"id": "CVE-3"}},
            {"vulnerability": {"severity": "High"}}
        ],
        "descriptor": {"name": "grype", "version": "0.80.0"}
    });
    let err = error(from_report(&bytes(&report)));
    assert_eq!(
        err.to_string(),
        "Grype report: matches[3].vulnerability.id is missing"
    );
}

#[test]
fn grype_db_namespace_and_repeats() {
    let m = json!({
        "vulnerability": {"id": "GHSA-1", "namespace": "github:language:python", "severity": "High",
                          "cvss": [{"version": "3.1", "metrics": {"baseScore": 7.5}},
                                   {"source": "nvd", "version": "2.0", "metrics": {}}],
                          "fix": {"versions": ["2.0"], "state": "fixed"}},
        "artifact": {"name": "requests", "version": "1.0", "type": "python", "purl": "pkg:pypi/requests@1.0"}
    });
    let mut other = m.clone();
    other["artifact"]["version"] = json!("1.1");
    let report = json!({
        "matches": [m, m, other],
        "descriptor": {"name": "grype", "version": "0.80.0", "timestamp": "2024-05-01T10:00:00.5-04:00",
                       "db": {"status": {"schemaVersion": "v6.0.2", "from": "https://db.example/v6.tar.zst",
                                         "built": "2024-05-01T01:02:03Z", "valid": true}}}
    });
    let p = from_grype(&bytes(&report)).unwrap();
    assert_eq!(
        p["scanner"]["db"],
        json!({"uri": "https://db.example/v6.tar.zst", "version": "v6.0.2", "lastUpdate": "2024-05-01T01:02:03Z"})
    );
    assert_eq!(
        p["metadata"],
        json!({"scanFinishedOn": "2024-05-01T10:00:00.5-04:00"})
    );
    let result = p["scanner"]["result"].as_array().unwrap();
    assert_eq!(
        result.len(),
        2,
        "same id in another package version is another finding"
    );
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "github:language:python", "score": "High"},
               {"method": "cvss_v3.1", "score": "7.5"}])
    );
    let annotations = result[0]["annotations"].as_array().unwrap();
    assert!(annotations.contains(&json!({"occurrences": 2})));
    assert!(annotations.contains(&json!({"fixVersions": ["2.0"]})));
    assert!(annotations.contains(&json!({"purl": "pkg:pypi/requests@1.0"})));
    assert!(
        !result[1]["annotations"]
            .as_array()
            .unwrap()
            .contains(&json!({"occurrences": 2}))
    );
}

#[test]
fn grype_old_db_layout() {
    let report = json!({"matches": [], "descriptor": {"version": "0.70.0",
        "db": {"built": "2023-10-10T01:27:43Z", "schemaVersion": 5, "location": "/root/.cache"}}});
    let p = from_grype(&bytes(&report)).unwrap();
    assert_eq!(
        p["scanner"]["db"],
        json!({"version": "5", "lastUpdate": "2023-10-10T01:27:43Z"})
    );
    assert_eq!(p["scanner"]["result"], json!([]));
}

#[test]
fn trivy_schema_version_and_fields() {
    let err = error(from_trivy(br#"{"SchemaVersion": 1, "Results": []}"#));
    assert_eq!(
        err.to_string(),
        "Trivy report: SchemaVersion is \"1\"; supported: 2"
    );
    let err = error(from_trivy(br#"{"Results": []}"#));
    assert_eq!(err.to_string(), "Trivy report: SchemaVersion is missing");
    let err = error(from_trivy(
        br#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]}"#,
    ));
    assert_eq!(
        err.to_string(),
        "Trivy report: Results[0].Vulnerabilities[0].VulnerabilityID is missing"
    );
    let err = error(from_trivy(br#"{"SchemaVersion": 2, "Results": {}}"#));
    assert_eq!(err.to_string(), "Trivy report: Results is not an array");
    let p = from_trivy(br#"{"SchemaVersion": 2}"#).unwrap();
    assert_eq!(p["scanner"]["result"], json!([]));
    assert!(!p.contains_key("metadata"));
}

#[test]
fn trivy_package_in_two_targets_is_one_finding() {
    let v = json!({"VulnerabilityID": "CVE-9", "PkgID": "lib@1", "PkgName": "lib", "InstalledVersion": "1",
                   "Severity": "HIGH", "CVSS": {"ghsa": {"V3Score": 7.1}, "nvd": {"V2Score": 5, "V40Score": 8.7}}});
    let report = json!({"SchemaVersion": 2, "Results": [
        {"Target": "a.jar", "Vulnerabilities": [v]},
        {"Target": "b.jar", "Vulnerabilities": [v]}]});
    let p = from_report(&bytes(&report)).unwrap();
    let result = p["scanner"]["result"].as_array().unwrap();
    assert_eq!(result.len(), 1);
    assert_eq!(
        result[0]["severity"],
        json!([{"method": "trivy", "score": "HIGH"},
               {"method": "ghsa:cvss_v3", "score": "7.1"},
               {"method": "nvd:cvss_v2", "score": "5"},
               {"method": "nvd:cvss_v4.0", "score": "8.7"}])
    );
    let annotations = result[0]["annotations"].as_array().unwrap();
    assert!(annotations.contains(&json!({"target": "a.jar"})));
    assert!(annotations.contains(&json!({"occurrences": 2})));
}

#[test]
fn hostile_json_is_a_clear_error() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = error(from_report(deep.as_bytes()));
    assert!(matches!(err, GenerateError::Json { .. }), "{err}");
    let mut deep_object = String::from(r#"{"SchemaVersion": 2, "Results": "#);
    deep_object.push_str(&r#"{"a":"#.repeat(10_000));
    let err = error(from_report(deep_object.as_bytes()));
    assert!(matches!(err, GenerateError::Json { .. }), "{err}");
    let err = error(from_report(b"{\"matches\": [\"\xff\"]}"));
    assert!(matches!(err, GenerateError::Json { .. }), "{err}");
    let err = error(from_report(b"{\"matches\": ["));
    assert!(
        err.to_string()
            .starts_with("vulnerability report: not valid JSON at line 1"),
        "{err}"
    );
    let err = error(from_grype(b"[]"));
    assert_eq!(
        err.to_string(),
        "Grype report: the top level is not an object"
    );
    let err = error(from_grype(br#"{"matches": [{"vulnerability": []}]}"#));
    assert_eq!(
        err.to_string(),
        "Grype report: matches[0].vulnerability is not an object"
    );
}
