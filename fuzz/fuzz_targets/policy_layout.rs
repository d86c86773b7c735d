//! Bytes as a policy (YAML or JSON, in the attestation verifier's format),
//! with and without parameters: no panic, no unbounded work.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

use intoto_verify::policy::layout::Policy;

fuzz_target!(|data: &[u8]| {
    let _ = Policy::parse(data, &BTreeMap::new());
    let mut parameters = BTreeMap::new();
    parameters.insert("name".to_owned(), "x".to_owned());
    let _ = Policy::parse(data, &parameters);
});
