//! Bytes as a tool's report (JUnit XML, SARIF, Grype, Trivy, SPDX,
//! CycloneDX): no panic, and every predicate made is one the model's
//! checks accept.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto::generate::{sbom, test_result, vulns};
use intoto_model::predicate::Predicate;
use intoto_model::predicate::kind::{TEST_RESULT_V0_1, VULNS_V0_2};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = test_result::from_junit(data, Vec::new(), None) {
        Predicate::parse(TEST_RESULT_V0_1, &p).expect("a generated test result is valid");
    }
    if let Ok(p) = vulns::from_report(data) {
        Predicate::parse(VULNS_V0_2, &p).expect("a generated scan is valid");
    }
    if let Ok(doc) = sbom::from_sbom(data) {
        let _ = Predicate::parse(&doc.predicate_type, &doc.predicate);
    }
});
