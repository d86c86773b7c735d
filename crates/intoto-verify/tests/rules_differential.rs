//! Replays the reference's verdicts on random rule lists
//! (`tests/vectors/rules_differential.json`, written by `gen_rules.py` with
//! in-toto 3.1.0): same pass or fail, same failing rule and kind, same queue
//! after every rule.

// Harness helpers outside `#[test]` functions fail loudly on bad fixtures.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::RuleCase;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/rules_differential.json");

#[test]
fn engine_agrees_with_the_reference_on_every_random_case() {
    let doc: Value = serde_json::from_str(VECTORS).expect("vector file is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| {
            RuleCase::from_value(case).check().err().map(|why| {
                format!(
                    "case {i} ({}): {why}",
                    serde_json::to_string(&case["rules"]).unwrap_or_default()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from the reference:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
