//! Binding attestations to steps (file names, signers and types, link
//! names, ambiguity) and counting distinct functionaries.

use std::collections::{BTreeMap, BTreeSet};

use intoto_model::{DigestSet, Envelope, ResourceDescriptor, Statement, Threshold};
use serde_json::json;

use super::*;

const K1: &str = "fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a";

fn policy(extra_step: &str) -> Policy {
    let yaml = format!(
        r#"expires: "2100-10-10T12:23:22Z"
functionaries:
  {K1}:
    keyType: ed25519
    scheme: ed25519
    keyVal:
      public: 7345b83c121ea0d9ffc3b38d69958718b8435e8cb0552f889d695586693e1b89
steps:
  - name: clone
    expectedPredicates:
      - predicateType: https://in-toto.io/attestation/link/v0.3
        functionaries: [{K1}]
  - name: test
    expectedPredicates:
      - predicateType: https://in-toto.io/attestation/test-result/v0.1
        functionaries: [{K1}]
        threshold: 2
{extra_step}"#
    );
    Policy::parse(yaml.as_bytes(), &BTreeMap::new()).unwrap()
}

fn statement(predicate_type: &str, predicate: serde_json::Value) -> Statement {
    let mut d = DigestSet::new();
    d.insert("sha256", "ab");
    Statement::new(
        vec![ResourceDescriptor::named("foo", d)],
        predicate_type,
        predicate.as_object().cloned().unwrap(),
    )
}

fn signed_by(keys: &[&str]) -> BTreeSet<KeyId> {
    keys.iter().map(|k| KeyId::new((*k).to_owned())).collect()
}

const LINK: &str = "https://in-toto.io/attestation/link/v0.3";
const TEST: &str = "https://in-toto.io/attestation/test-result/v0.1";

#[test]
fn bundles_bind_by_signer_and_type_and_folders_by_name() {
    let policy = policy("");
    let atts = vec![
        Attestation::new(
            "b:1",
            statement(LINK, json!({"name": "clone"})),
            signed_by(&[K1]),
        ),
        Attestation::new(
            "b:2",
            statement(TEST, json!({"result": "PASSED"})),
            signed_by(&[K1]),
        ),
        Attestation::new("b:3", statement(TEST, json!({})), signed_by(&["other"])),
        Attestation::new(
            "test.fe1c6281.json",
            statement(TEST, json!({})),
            signed_by(&[K1]),
        )
        .in_file_for("test"),
        Attestation::new(
            "deploy.fe1c6281.json",
            statement(TEST, json!({})),
            signed_by(&[K1]),
        )
        .in_file_for("deploy"),
    ];
    let b = bind(&policy, &atts).unwrap();
    assert_eq!(b.steps["clone"], [0]);
    assert_eq!(b.steps["test"], [1, 3]);
    assert_eq!(b.unbound, [2, 4]);
}

#[test]
fn two_steps_expecting_the_same_type_from_the_same_signer_is_ambiguous() {
    let policy = policy(&format!(
        "  - name: retest\n    expectedPredicates:\n      - predicateType: {TEST}\n        functionaries: [{K1}]\n"
    ));
    let atts = vec![Attestation::new(
        "b:7",
        statement(TEST, json!({})),
        signed_by(&[K1]),
    )];
    let problems = bind(&policy, &atts).unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        "b:7: the https://in-toto.io/attestation/test-result/v0.1 attestation signed by fe1c6281 \
         could be for steps test, retest: bind it by file name (<step>.<keyid8>.json) or give \
         each step its own signer or predicate type"
    );
    // A file name settles it.
    let atts = vec![atts[0].clone().in_file_for("retest")];
    assert_eq!(bind(&policy, &atts).unwrap().steps["retest"], [0]);
}

#[test]
fn a_link_must_name_its_step() {
    let policy = policy("");
    let atts = vec![
        Attestation::new(
            "clone.fe1c6281.json",
            statement(LINK, json!({"name": "build"})),
            signed_by(&[K1]),
        )
        .in_file_for("clone"),
    ];
    assert_eq!(
        bind(&policy, &atts).unwrap_err()[0].to_string(),
        "clone.fe1c6281.json: the link's predicate.name is \"build\", but the attestation is for step \"clone\""
    );
    // In a bundle, a link naming no step of the policy is bound to none.
    let atts = vec![Attestation::new(
        "b:1",
        statement(LINK, json!({"name": "build"})),
        signed_by(&[K1]),
    )];
    assert_eq!(bind(&policy, &atts).unwrap().unbound, [0]);
}

#[test]
fn thresholds_count_distinct_listed_functionaries_of_the_exact_type() {
    let policy = policy("");
    let test = &policy.steps[1].expected_predicates[0];
    assert_eq!(test.threshold, Threshold::new(2));
    let atts = vec![
        Attestation::new("a", statement(TEST, json!({})), signed_by(&[K1])),
        Attestation::new("b", statement(TEST, json!({})), signed_by(&[K1])),
        Attestation::new("c", statement(TEST, json!({})), signed_by(&["unlisted"])),
        Attestation::new(
            "d",
            statement(LINK, json!({"name": "test"})),
            signed_by(&[K1]),
        ),
    ];
    let (counted, functionaries) = counted(test, &[0, 1, 2, 3], &atts);
    assert_eq!(counted.len(), 2);
    assert_eq!(functionaries.len(), 1, "one key twice counts once");
    assert!(!test.threshold.is_met_by(functionaries.len()));
}

#[test]
fn the_verifiers_own_data_binds_with_its_signatures_checked() {
    let layout =
        include_bytes!("../../../../../tests/vectors/attestation-verifier/layouts/layout.yml");
    let policy = Policy::parse(layout, &BTreeMap::new()).unwrap();
    let files: [(&str, &[u8]); 3] = [
        (
            "clone",
            include_bytes!(
                "../../../../../tests/vectors/attestation-verifier/test-data/clone.fe1c6281.json"
            ),
        ),
        (
            "test",
            include_bytes!(
                "../../../../../tests/vectors/attestation-verifier/test-data/test.fe1c6281.json"
            ),
        ),
        (
            "build",
            include_bytes!(
                "../../../../../tests/vectors/attestation-verifier/test-data/build.fe1c6281.json"
            ),
        ),
    ];
    let mut atts = Vec::new();
    for (step, bytes) in files {
        let envelope = Envelope::from_value(serde_json::from_slice(bytes).unwrap()).unwrap();
        let a = Attestation::from_envelope(format!("{step}.fe1c6281.json"), &envelope, &policy, 0)
            .unwrap();
        assert_eq!(a.signers, signed_by(&[K1]), "{step}");
        atts.push(a.clone().in_file_for(step));
        // A tampered payload verifies with nobody.
        let mut tampered = envelope.clone();
        let last = tampered.payload.len() - 2;
        tampered.payload[last] ^= 1;
        if let Ok(t) = Attestation::from_envelope("t", &tampered, &policy, 0) {
            assert!(t.signers.is_empty(), "{step}");
        }
    }
    let binding = bind(&policy, &atts).unwrap();
    for (i, step) in ["clone", "test", "build"].iter().enumerate() {
        assert_eq!(binding.steps[*step], [i]);
        let step = &policy
            .steps
            .iter()
            .find(|s| s.name.as_str() == *step)
            .unwrap();
        let (counted, functionaries) = counted(&step.expected_predicates[0], &[i], &atts);
        assert_eq!(counted.len(), 1);
        assert!(
            step.expected_predicates[0]
                .threshold
                .is_met_by(functionaries.len())
        );
    }
    // In a bundle, without file names, the same attestations bind by signer and type.
    let unnamed: Vec<Attestation> = atts
        .iter()
        .map(|a| Attestation::new(a.origin.clone(), a.statement.clone(), a.signers.clone()))
        .collect();
    assert_eq!(bind(&policy, &unnamed).unwrap().steps.len(), 3);
}
