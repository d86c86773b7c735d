//! One line about a statement's predicate, for `intoto show`: the typed
//! predicate's own summary (`intoto_model::predicate`) for the types the
//! model knows, and a line read from the raw JSON for the rest.

use serde_json::{Map, Value};

use intoto_model::Statement;
use intoto_model::predicate::Predicate;

/// `predicateType` of the in-toto vulnerability predicate v0.1.
const VULNS_V0_1: &str = "https://in-toto.io/attestation/vulns/v0.1";
/// `predicateType` of cosign's vulnerability attestation v1.
const COSIGN_VULN_V1: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";

/// A short, one-line summary of a statement's predicate. Never fails: a
/// known predicate that breaks its specification is shown with the reason,
/// and missing or ill-typed fields of the others show as `?`.
pub fn predicate_summary(statement: &Statement) -> String {
    let short = short_name(&statement.predicate_type);
    match statement.typed_predicate() {
        Ok(Predicate::Unknown { .. }) => {}
        Ok(typed) => return typed.summary(),
        Err(e) => return format!("{short}, not as its specification says: {e}"),
    }
    let p = &statement.predicate;
    match statement.predicate_type.as_str() {
        VULNS_V0_1 | COSIGN_VULN_V1 => format!(
            "vulnerability scan ({short}): scanner {}, {} result(s)",
            quoted(text(p, &["scanner", "uri"]).filter(|u| !u.is_empty())),
            count(p.get("scanner").and_then(|s| s.get("result"))),
        ),
        _ => {
            let fields: Vec<&str> = p.keys().map(String::as_str).take(6).collect();
            let more = if p.len() > fields.len() { ", ..." } else { "" };
            match p.len() {
                0 => format!("{short}: empty predicate"),
                n => format!(
                    "{short}: {n} field{} ({}{more})",
                    if n == 1 { "" } else { "s" },
                    fields.join(", ")
                ),
            }
        }
    }
}

/// The last segments of a predicate type URI: `attestation/vuln/v1` for
/// `https://cosign.sigstore.dev/attestation/vuln/v1`, `provenance/v1` for
/// SLSA's; a URI of one segment is shown whole.
fn short_name(predicate_type: &str) -> String {
    let path = predicate_type
        .split_once("://")
        .map_or(predicate_type, |(_, rest)| rest);
    let segments: Vec<&str> = path
        .trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        [] => predicate_type.to_owned(),
        [one] => (*one).to_owned(),
        [.., name, version] if is_version(version) => format!("{name}/{version}"),
        [.., last] => (*last).to_owned(),
    }
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The string at `path` in the predicate, if there is one.
fn text<'a>(predicate: &'a Map<String, Value>, path: &[&str]) -> Option<&'a str> {
    let (first, rest) = path.split_first()?;
    let mut value = predicate.get(*first)?;
    for key in rest {
        value = value.get(key)?;
    }
    value.as_str()
}

fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| format!("{v:?}"))
}

/// The number of items of a list, `0` for `null` (as Go writes an empty
/// list), `?` for anything else.
fn count(value: Option<&Value>) -> String {
    match value {
        Some(Value::Array(items)) => items.len().to_string(),
        None | Some(Value::Null) => "0".to_owned(),
        Some(_) => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn statement(predicate_type: &str, predicate: Value) -> Statement {
        let Value::Object(predicate) = predicate else {
            panic!("a predicate is an object")
        };
        Statement::new(Vec::new(), predicate_type, predicate)
    }

    #[test]
    fn known_predicates_have_their_own_line() {
        let cases = [
            (
                statement(
                    "https://in-toto.io/attestation/link/v0.3",
                    json!({"name": "clone", "command": ["git", "clone", "x"], "materials": []}),
                ),
                "link of step \"clone\": command \"git clone x\", 0 materials",
            ),
            (
                statement(
                    "https://slsa.dev/provenance/v1",
                    json!({"buildDefinition": {"buildType": "bt", "externalParameters": {}}, "runDetails": {"builder": {"id": "b"}}}),
                ),
                "SLSA provenance v1: built by b (build type bt), 0 resolved dependencies",
            ),
            (
                statement(
                    "https://slsa.dev/provenance/v0.2",
                    json!({"builder": {"id": "b"}, "buildType": "bt"}),
                ),
                "SLSA provenance v0.2: built by b (build type bt), 0 materials",
            ),
            (
                statement(
                    "https://in-toto.io/attestation/test-result/v0.1",
                    json!({"result": "PASSED", "configuration": [], "passedTests": ["a", "b"], "failedTests": null}),
                ),
                "tests PASSED: 2 passed, 0 warned, 0 failed",
            ),
            (
                statement(
                    COSIGN_VULN_V1,
                    json!({"scanner": {"uri": "", "result": null}}),
                ),
                "vulnerability scan (vuln/v1): scanner ?, 0 result(s)",
            ),
            (
                statement(
                    VULNS_V0_1,
                    json!({"scanner": {"uri": "pkg:github/aquasecurity/trivy", "result": [{}, {}]}}),
                ),
                "vulnerability scan (vulns/v0.1): scanner \"pkg:github/aquasecurity/trivy\", 2 result(s)",
            ),
        ];
        for (st, want) in cases {
            assert_eq!(predicate_summary(&st), want);
        }
    }

    #[test]
    fn other_predicates_show_their_short_name_and_fields() {
        let st = statement(
            "https://cosign.sigstore.dev/attestation/v1",
            json!({"Data": "x", "Timestamp": "t"}),
        );
        assert_eq!(
            predicate_summary(&st),
            "attestation/v1: 2 fields (Data, Timestamp)"
        );
        let st = statement("urn:example", json!({}));
        assert_eq!(predicate_summary(&st), "urn:example: empty predicate");
        let st = statement("https://example.com/x/", json!({"a": 1}));
        assert_eq!(predicate_summary(&st), "x: 1 field (a)");
    }

    #[test]
    fn known_predicates_that_break_their_specification_say_why() {
        let st = statement(
            "https://slsa.dev/provenance/v1",
            json!({"buildDefinition": 3, "runDetails": {"builder": {"id": 1}}}),
        );
        assert_eq!(
            predicate_summary(&st),
            "provenance/v1, not as its specification says: field `predicate.buildDefinition` must be an object"
        );
        let st = statement(COSIGN_VULN_V1, json!({"scanner": "x"}));
        assert_eq!(
            predicate_summary(&st),
            "vulnerability scan (vuln/v1): scanner ?, 0 result(s)"
        );
    }
}
