//! The policy verifier on the attestation verifier's own data (both
//! layouts, parameters, tampered copies), and its stages one by one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeZone;
use intoto_model::Envelope;

use super::*;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/attestation-verifier"
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

#[allow(clippy::disallowed_methods)]
fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{DATA}/{path}")).unwrap()
}

fn parameters(path: Option<&str>) -> BTreeMap<String, String> {
    path.map(|p| serde_json::from_slice(&read(p)).unwrap())
        .unwrap_or_default()
}

/// The policy and its folder's attestations, each bound by file name.
fn load(
    layout: &str,
    folder: &str,
    steps: &[&str],
    params: &BTreeMap<String, String>,
) -> (Policy, Vec<Attestation>) {
    let resolved = crate::policy::layout::resolve_parameters(params).unwrap();
    let policy = Policy::parse(&read(layout), &resolved).unwrap();
    let atts = steps
        .iter()
        .map(|step| {
            let file = format!("{step}.fe1c6281.json");
            let envelope = Envelope::from_value(
                serde_json::from_slice(&read(&format!("{folder}/{file}"))).unwrap(),
            )
            .unwrap();
            Attestation::from_envelope(file, &envelope, &policy, 0)
                .unwrap()
                .in_file_for(*step)
        })
        .collect();
    (policy, atts)
}

fn codes(verdict: &PolicyVerdict) -> Vec<&'static str> {
    verdict
        .verdict
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

fn verify(
    policy: &Policy,
    atts: &[Attestation],
    params: &BTreeMap<String, String>,
) -> PolicyVerdict {
    let resolved = crate::policy::layout::resolve_parameters(params).unwrap();
    PolicyVerifier::new(now())
        .parameters(resolved)
        .verify(policy, atts, &[])
        .unwrap()
}

#[test]
fn the_verifiers_own_layouts_verify_their_data() {
    let params = BTreeMap::new();
    let (policy, atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    let verdict = verify(&policy, &atts, &params);
    assert!(
        verdict.verdict.passed(),
        "{:#?}",
        verdict.verdict.diagnostics
    );
    assert_eq!(verdict.counted.len(), 3);

    let params = parameters(Some("parameters/npm-sigstore.json"));
    let (policy, atts) = load(
        "layouts/layout-npm.yml",
        "test-data-npm",
        &["build", "publish"],
        &params,
    );
    let verdict = verify(&policy, &atts, &params);
    assert!(
        verdict.verdict.passed(),
        "{:#?}",
        verdict.verdict.diagnostics
    );
}

#[test]
fn tampered_copies_fail() {
    let params = BTreeMap::new();
    let (policy, mut atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    // Without a valid signature the test step has no attestation.
    atts[1].signers = BTreeSet::new();
    let verdict = verify(&policy, &atts, &params);
    assert_eq!(
        codes(&verdict),
        ["attestation-unsigned", "threshold-not-met"]
    );

    // The test result says FAILED.
    let (policy, mut atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    atts[1]
        .statement
        .predicate
        .insert("result".into(), "FAILED".into());
    let verdict = verify(&policy, &atts, &params);
    assert_eq!(codes(&verdict), ["attribute-failed"]);
    let d = &verdict.verdict.diagnostics[0];
    assert_eq!(d.subject.item.as_deref(), Some("test"));
    assert_eq!(d.subject.link_file.as_deref(), Some("test.fe1c6281.json"));
    let attribute = d.subject.attribute.as_ref().unwrap();
    assert_eq!(attribute.rule, "predicate.result == 'PASSED'");
    assert_eq!(attribute.value_seen.as_deref(), Some("false"));
    assert!(
        d.message.starts_with(
            "step 'test': https://in-toto.io/attestation/test-result/v0.1 attestation \
             test.fe1c6281.json by fe1c6281: rule 1 `predicate.result == 'PASSED'` does not \
             hold: it evaluated to false"
        ),
        "{}",
        d.message
    );

    // The build consumed another foo than clone produced.
    let (policy, mut atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    let deps = atts[2].statement.predicate["buildDefinition"]["resolvedDependencies"][0]["digest"]
        .as_object()
        .cloned()
        .unwrap();
    assert!(deps.contains_key("sha256"));
    atts[2].statement.predicate["buildDefinition"]
        .as_object_mut()
        .unwrap()
        .insert(
            "resolvedDependencies".into(),
            serde_json::json!([{"name": "foo", "digest": {"sha256": "00"}}]),
        );
    let verdict = verify(&policy, &atts, &params);
    assert_eq!(codes(&verdict), ["rule-disallow-matched"]);
    assert!(
        verdict.verdict.diagnostics[0]
            .message
            .starts_with("build.fe1c6281.json by fe1c6281: step 'build': "),
        "{}",
        verdict.verdict.diagnostics[0].message
    );

    // Another builder.
    let params = parameters(Some("parameters/npm-sigstore.json"));
    let (policy, mut atts) = load(
        "layouts/layout-npm.yml",
        "test-data-npm",
        &["build", "publish"],
        &params,
    );
    atts[1]
        .statement
        .predicate
        .insert("version".into(), "1.2.1".into());
    let verdict = verify(&policy, &atts, &params);
    assert_eq!(codes(&verdict), ["attribute-failed"]);
}

#[test]
fn an_expired_policy_stops_verification() {
    let params = BTreeMap::new();
    let (policy, atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    let later = Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap();
    let verdict = PolicyVerifier::new(later)
        .verify(&policy, &atts, &[])
        .unwrap();
    assert_eq!(codes(&verdict), ["layout-expired"]);
}

#[test]
fn final_artifacts_must_be_attested() {
    let params = BTreeMap::new();
    let (policy, atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    let good = FinalArtifact::new(
        "bin/foo",
        DigestSet::from_iter([(
            "sha256".to_owned(),
            "58eaf5a78d580f5dbd49d31a5b733094169b31bfdf49055b74bcac2877d8f58c".to_owned(),
        )]),
    );
    let verifier = PolicyVerifier::new(now());
    assert!(
        verifier
            .verify(&policy, &atts, std::slice::from_ref(&good))
            .unwrap()
            .verdict
            .passed()
    );
    let bad = FinalArtifact::new(
        "bin/foo",
        DigestSet::from_iter([("sha256".to_owned(), "11".repeat(32))]),
    );
    let verdict = verifier.verify(&policy, &atts, &[good, bad]).unwrap();
    assert_eq!(codes(&verdict), ["subject-not-attested"]);
}

#[test]
fn an_invalid_rule_names_its_step_and_field() {
    let params = BTreeMap::new();
    let (mut policy, atts) = load(
        "layouts/layout.yml",
        "test-data",
        &["clone", "test", "build"],
        &params,
    );
    policy.steps[1].expected_predicates[0].expected_attributes[0].rule = "size(".into();
    let error = PolicyVerifier::new(now())
        .verify(&policy, &atts, &[])
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("steps[1].expectedPredicates[0].expectedAttributes[0] (of \"test\")"),
        "{text}"
    );
}

/// A policy whose two functionaries `k1` and `k2` must both attest build's
/// provenance, after clone's link by `k1` (one public key under two keyids:
/// these tests give attestations their signers directly).
fn two_functionary_policy() -> Policy {
    let key = "keyType: ed25519\n    scheme: ed25519\n    keyVal:\n      public: 7345b83c121ea0d9ffc3b38d69958718b8435e8cb0552f889d695586693e1b89";
    let yaml = format!(
        r#"expires: "2100-10-10T12:23:22Z"
functionaries:
  k1:
    {key}
  k2:
    {key}
subjects: [build]
steps:
  - name: clone
    expectedProducts: ["CREATE foo", "DISALLOW *"]
    expectedPredicates:
      - predicateType: https://in-toto.io/attestation/link/v0.3
        functionaries: [k1]
  - name: build
    expectedMaterials: ["MATCH foo WITH products FROM clone", "DISALLOW *"]
    expectedProducts: ["CREATE bin/foo", "DISALLOW *"]
    expectedPredicates:
      - predicateType: https://slsa.dev/provenance/v1
        functionaries: [k1, k2]
        threshold: 2
"#
    );
    Policy::parse(yaml.as_bytes(), &BTreeMap::new()).unwrap()
}

fn attestation(origin: &str, signer: &str, statement: serde_json::Value) -> Attestation {
    Attestation::new(
        origin,
        Statement::from_value(statement, "statement").unwrap(),
        BTreeSet::from([KeyId::new(signer.to_owned())]),
    )
}

fn clone_link(digests: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://in-toto.io/attestation/link/v0.3",
        "subject": [{"name": "foo", "digest": digests}],
        "predicate": {"name": "clone", "materials": []}
    })
}

fn provenance(material: &str, product: &str) -> serde_json::Value {
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "bin/foo", "digest": {"sha256": product}}],
        "predicate": {"buildDefinition": {"resolvedDependencies": [
            {"name": "foo", "digest": {"sha256": material}}
        ]}}
    })
}

fn sha256(byte: &str) -> DigestSet {
    DigestSet::from_iter([("sha256".to_owned(), byte.repeat(32))])
}

#[test]
fn functionaries_of_a_threshold_must_attest_the_same_artifacts() {
    let policy = two_functionary_policy();
    let atts = |k2_product: &str| {
        vec![
            attestation(
                "clone.k1.json",
                "k1",
                clone_link(serde_json::json!({"sha256": "aa".repeat(32)})),
            )
            .in_file_for("clone"),
            attestation(
                "build.k1.json",
                "k1",
                provenance(&"aa".repeat(32), &"bb".repeat(32)),
            )
            .in_file_for("build"),
            attestation(
                "build.k2.json",
                "k2",
                provenance(&"aa".repeat(32), &k2_product.repeat(32)),
            )
            .in_file_for("build"),
        ]
    };
    let verifier = PolicyVerifier::new(now());
    let agreeing = verifier
        .verify(
            &policy,
            &atts("bb"),
            &[FinalArtifact::new("bin/foo", sha256("bb"))],
        )
        .unwrap();
    assert!(agreeing.verdict.passed(), "{:#?}", agreeing.verdict);

    // k2 alone attests the final artifact: threshold 2 must not accept it.
    let verdict = verifier
        .verify(
            &policy,
            &atts("cc"),
            &[FinalArtifact::new("bin/foo", sha256("cc"))],
        )
        .unwrap();
    assert_eq!(codes(&verdict), ["artifacts-disagree"]);
    let d = &verdict.verdict.diagnostics[0];
    assert_eq!(d.subject.link_file.as_deref(), Some("build.k1.json"));
    assert_eq!(d.subject.other_link_file.as_deref(), Some("build.k2.json"));
    assert_eq!(d.subject.artifacts[0].path, "bin/foo");
    assert!(
        d.message.starts_with(
            "step 'build': https://slsa.dev/provenance/v1 attestations build.k1.json and \
             build.k2.json record different products: 'bin/foo' is sha256:bbbbbbbb… in one and \
             sha256:cccccccc… in the other"
        ),
        "{}",
        d.message
    );
}

#[test]
fn a_match_failing_on_weak_digests_says_so() {
    let policy = two_functionary_policy();
    let mut clone =
        clone_link(serde_json::json!({"sha1": "11".repeat(20), "sha512": "22".repeat(64)}));
    clone["subject"][0]["name"] = "foo".into();
    let mut build = provenance(&"aa".repeat(32), &"bb".repeat(32));
    build["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"] =
        serde_json::json!({"sha1": "11".repeat(20), "sha256": "33".repeat(32)});
    let atts = vec![
        attestation("clone.k1.json", "k1", clone).in_file_for("clone"),
        attestation("build.k1.json", "k1", build.clone()).in_file_for("build"),
        attestation("build.k2.json", "k2", build).in_file_for("build"),
    ];
    let verdict = PolicyVerifier::new(now())
        .verify(
            &policy,
            &atts,
            &[FinalArtifact::new("bin/foo", sha256("bb"))],
        )
        .unwrap();
    assert_eq!(
        codes(&verdict),
        ["rule-disallow-matched", "rule-disallow-matched"]
    );
    let message = &verdict.verdict.diagnostics[0].message;
    assert!(
        message.ends_with(
            "(algorithms {sha1, sha256} vs {sha1, sha512}: they share only sha1, too weak to \
             identify an artifact)"
        ),
        "{message}"
    );
}

#[test]
fn a_bundle_link_naming_another_step_is_unbound_and_says_why() {
    let policy = two_functionary_policy();
    let mut link = clone_link(serde_json::json!({"sha256": "aa".repeat(32)}));
    link["predicate"]["name"] = "fetch".into();
    let atts = vec![attestation("bundle.jsonl:1", "k1", link)];
    let verdict = PolicyVerifier::new(now())
        .verify(
            &policy,
            &atts,
            &[FinalArtifact::new("bin/foo", sha256("bb"))],
        )
        .unwrap();
    let d = &verdict.verdict.diagnostics[0];
    assert_eq!(d.code.as_str(), "attestation-unbound");
    assert_eq!(
        d.message,
        "bundle.jsonl:1: the link's predicate.name is \"fetch\", and the policy has no step \"fetch\"; it does not count"
    );
}
