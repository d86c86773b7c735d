//! Checks [`ArtifactPattern`] and [`translate`] against CPython's `fnmatch`, using
//! the vectors `tests/vectors/gen_fnmatch.py` generated.
//!
//! Set `INTOTO_FNMATCH_EXHAUSTIVE` to the file `gen_fnmatch.py --exhaustive`
//! wrote to check every short pattern as well.

// Harness helpers outside `#[test]` functions fail loudly on bad fixtures.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use intoto_model::ArtifactPattern;
use intoto_model::pattern::translate;
use serde_json::Value;

const VECTORS: &str = include_str!("vectors/fnmatch.json");

/// Checks every case of a vector file; returns the number of verdicts.
fn check_vectors(text: &str) -> usize {
    let doc: Value = serde_json::from_str(text).expect("vector file is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases {
        let pattern = case["pattern"].as_str().expect("pattern");
        let expected_translation = case["translate"].as_str().expect("translate");
        let translation = translate(pattern);
        if translation != expected_translation {
            failures.push(format!(
                "translate({pattern:?}) = {translation:?}, CPython {expected_translation:?}"
            ));
        }
        let compiled = ArtifactPattern::new(pattern);
        for verdict in case["names"].as_array().expect("names") {
            let name = verdict[0].as_str().expect("name");
            let expected = verdict[1].as_bool().expect("verdict");
            checked += 1;
            if compiled.matches(name) != expected {
                failures.push(format!(
                    "fnmatchcase({name:?}, {pattern:?}) is {expected} in CPython"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn pattern_matches_cpython_fnmatch_on_every_vector() {
    let checked = check_vectors(VECTORS);
    assert!(checked > 1000, "only {checked} verdicts");
}

#[test]
#[allow(clippy::disallowed_methods)] // Reads the optional vector file named by the environment.
fn pattern_matches_cpython_fnmatch_exhaustively_when_asked() {
    let Ok(path) = std::env::var("INTOTO_FNMATCH_EXHAUSTIVE") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("read the exhaustive vectors");
    check_vectors(&text);
}
