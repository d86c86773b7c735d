//! SPDX and CycloneDX checks, subjects and digest names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;

use super::*;

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn error(result: Result<Sbom, GenerateError>) -> GenerateError {
    let err = result.unwrap_err();
    assert!(!err.to_string().contains('\n'), "{err}");
    err
}

fn spdx_doc() -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "documentDescribes": ["SPDXRef-a"],
        "packages": [
            {"SPDXID": "SPDXRef-a", "name": "a.tar.gz",
             "checksums": [{"algorithm": "SHA256", "checksumValue": "AB".repeat(32)},
                           {"algorithm": "SHA1", "checksumValue": "cd".repeat(20)},
                           {"algorithm": "ADLER32", "checksumValue": "01020304"}]},
            {"SPDXID": "SPDXRef-b", "name": "b"},
            {"SPDXID": "SPDXRef-c", "name": "c"}
        ],
        "files": [{"SPDXID": "SPDXRef-f", "fileName": "./bin/tool",
                   "checksums": [{"algorithm": "SHA3-256", "checksumValue": "ef".repeat(32)}]}],
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-a"},
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-b"},
            {"spdxElementId": "SPDXRef-f", "relationshipType": "DESCRIBED_BY", "relatedSpdxElement": "SPDXRef-DOCUMENT"},
            {"spdxElementId": "SPDXRef-a", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-c"},
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "DocumentRef-x:SPDXRef-y"}
        ]
    })
}

#[test]
fn spdx_subjects_from_describes_with_mapped_digests() {
    let doc = spdx_doc();
    let sbom = from_sbom(&bytes(&doc)).unwrap();
    assert_eq!(sbom.format, SbomFormat::Spdx);
    assert_eq!(sbom.predicate_type, "https://spdx.dev/Document/v2.3");
    assert_eq!(Value::Object(sbom.predicate.clone()), doc);
    assert_eq!(sbom.subjects.len(), 2);
    let a = &sbom.subjects[0];
    assert_eq!(a.name.as_deref(), Some("a.tar.gz"));
    let digest = a.digest.as_ref().unwrap();
    assert_eq!(digest.get("sha256"), Some("ab".repeat(32).as_str()));
    assert_eq!(digest.get("sha1"), Some("cd".repeat(20).as_str()));
    assert_eq!(digest.len(), 2, "ADLER32 has no in-toto name");
    let f = &sbom.subjects[1];
    assert_eq!(f.name.as_deref(), Some("./bin/tool"));
    assert_eq!(
        f.digest.as_ref().unwrap().get("sha3_256"),
        Some("ef".repeat(32).as_str())
    );
    // b has no checksums; the external document's element is not defined here.
    assert_eq!(sbom.subjects_without_digest, 2);
}

#[test]
fn spdx_versions_and_predicate_types() {
    let mut doc = spdx_doc();
    doc["spdxVersion"] = json!("SPDX-2.2");
    assert_eq!(
        from_spdx(&bytes(&doc)).unwrap().predicate_type,
        "https://spdx.dev/Document"
    );
    doc["spdxVersion"] = json!("SPDX-3.0");
    let err = error(from_spdx(&bytes(&doc)));
    assert_eq!(
        err.to_string(),
        "SPDX document: spdxVersion is \"SPDX-3.0\"; supported: SPDX-2.0 to SPDX-2.3"
    );
}

#[test]
fn spdx_checks_name_the_field() {
    let mut doc = spdx_doc();
    doc.as_object_mut().unwrap().remove("name");
    assert_eq!(
        error(from_spdx(&bytes(&doc))).to_string(),
        "SPDX document: name is missing"
    );
    let mut doc = spdx_doc();
    doc["SPDXID"] = json!("SPDXRef-OTHER");
    assert!(matches!(
        error(from_spdx(&bytes(&doc))),
        GenerateError::InvalidValue { .. }
    ));
    let mut doc = spdx_doc();
    doc["packages"][0]["checksums"][1]["checksumValue"] = json!("not hex");
    assert_eq!(
        error(from_spdx(&bytes(&doc))).to_string(),
        "SPDX document: packages[0].checksums[1].checksumValue is \"not hex\", not a hex digest"
    );
    let mut doc = spdx_doc();
    doc["documentDescribes"] = json!([7]);
    assert_eq!(
        error(from_spdx(&bytes(&doc))).to_string(),
        "SPDX document: documentDescribes[0] is not a string"
    );
    let mut doc = spdx_doc();
    doc["packages"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(
        error(from_spdx(&bytes(&doc))).to_string(),
        "SPDX document: packages[0].name is missing"
    );
}

fn cdx_doc() -> Value {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "app",
            "hashes": [{"alg": "SHA-256", "content": "0A".repeat(32)},
                       {"alg": "SHA-512", "content": "0b".repeat(64)},
                       {"alg": "MD2", "content": "00"}]}},
        "components": [{"type": "library", "name": "x"}]
    })
}

#[test]
fn cyclonedx_subject_is_the_metadata_component() {
    let doc = cdx_doc();
    let sbom = from_sbom(&bytes(&doc)).unwrap();
    assert_eq!(sbom.format, SbomFormat::CycloneDx);
    assert_eq!(sbom.predicate_type, "https://cyclonedx.org/bom");
    assert_eq!(Value::Object(sbom.predicate.clone()), doc);
    assert_eq!(sbom.subjects.len(), 1);
    let digest = sbom.subjects[0].digest.as_ref().unwrap();
    assert_eq!(digest.get("sha256"), Some("0a".repeat(32).as_str()));
    assert_eq!(digest.get("sha512"), Some("0b".repeat(64).as_str()));
    assert_eq!(digest.len(), 2);
    assert_eq!(sbom.subjects_without_digest, 0);
}

#[test]
fn cyclonedx_checks_name_the_field() {
    let mut doc = cdx_doc();
    doc["bomFormat"] = json!("SPDX");
    assert!(matches!(
        error(from_cyclonedx(&bytes(&doc))),
        GenerateError::InvalidValue { .. }
    ));
    let mut doc = cdx_doc();
    doc["specVersion"] = json!("2.0");
    assert!(matches!(
        error(from_cyclonedx(&bytes(&doc))),
        GenerateError::UnsupportedVersion { .. }
    ));
    let mut doc = cdx_doc();
    doc.as_object_mut().unwrap().remove("specVersion");
    assert_eq!(
        error(from_cyclonedx(&bytes(&doc))).to_string(),
        "CycloneDX BOM: specVersion is missing"
    );
    let mut doc = cdx_doc();
    doc["metadata"]["component"]["hashes"][0]["content"] = json!("xyz");
    assert_eq!(
        error(from_cyclonedx(&bytes(&doc))).to_string(),
        "CycloneDX BOM: metadata.component.hashes[0].content is \"xyz\", not a hex digest"
    );
    let mut doc = cdx_doc();
    doc["metadata"]["component"]["hashes"] = json!([{"alg": "MD2", "content": "00"}]);
    let sbom = from_cyclonedx(&bytes(&doc)).unwrap();
    assert!(sbom.subjects.is_empty());
    assert_eq!(sbom.subjects_without_digest, 1);
}

#[test]
fn neither_format_is_refused() {
    let err = error(from_sbom(br#"{"runs": []}"#));
    assert_eq!(
        err.to_string(),
        "SBOM: the document is none of an SPDX 2.x document or a CycloneDX BOM \
         (no spdxVersion or bomFormat at the top level)"
    );
    assert!(matches!(
        error(from_sbom(b"\"x\"")),
        GenerateError::WrongType { .. }
    ));
}
