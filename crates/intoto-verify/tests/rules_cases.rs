//! Runs every scenario folder `tests/rules/<case>/case.json`: a rule list,
//! the item's and other steps' links, and the expected verdict (`pass`, or
//! the diagnostic code, failing rule index and artifacts, and optionally
//! the one-line message).
//!
//! The expectations are checked against the reference with
//! `tests/vectors/gen_rules.py --check-cases tests/rules`.

// The harness reads its fixture files, and fails loudly on bad ones.
#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

mod common;

use std::path::Path;

use common::RuleCase;
use serde_json::Value;

#[test]
fn every_rule_scenario_has_the_expected_verdict() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/rules exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.join("case.json").is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 25, "only {} scenarios", names.len());
    let mut failures = Vec::new();
    for dir in &names {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(dir.join("case.json")).expect("read case.json");
        let value: Value = serde_json::from_str(&text).expect("case.json is JSON");
        let case = RuleCase::from_value(&value);
        if let Err(why) = case.check() {
            failures.push(format!("{name}: {why}"));
            continue;
        }
        if let Some(message) = value["expected"].get("message").and_then(Value::as_str) {
            let got = case.run().err().map(|v| v.to_string()).unwrap_or_default();
            if got != message {
                failures.push(format!("{name}: message\n  got  {got}\n  want {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
