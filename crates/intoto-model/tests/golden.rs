//! Canonical JSON is byte-identical to securesystemslib's on generated and
//! hand-picked vectors, including in-toto-golang's `canonical-test.link`.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests read their fixtures; the rule against I/O is for the library.
#![allow(clippy::disallowed_methods)]

use base64::Engine as _;
use serde_json::Value;

use intoto_model::Metadata;
use intoto_model::encoding::cjson;

#[test]
fn canonical_test_link_matches_securesystemslib() {
    let link = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/in-toto-golang/canonical-test.link"
    ))
    .unwrap();
    let expected = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/canonical-test.link.signed.cjson"
    ))
    .unwrap();
    let md = Metadata::from_slice(&link).unwrap();
    assert_eq!(md.signed_bytes().unwrap(), expected);
}

#[test]
fn generated_vectors_match_securesystemslib() {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/cjson_vectors.json"
    ))
    .unwrap();
    let cases: Vec<Value> = serde_json::from_slice(&text).unwrap();
    assert!(cases.len() >= 300);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let value: Value = serde_json::from_str(input).unwrap();
        let expected = base64::engine::general_purpose::STANDARD
            .decode(case["canonical"].as_str().unwrap())
            .unwrap();
        assert_eq!(cjson::encode(&value).unwrap(), expected, "input {input}");
    }
}
