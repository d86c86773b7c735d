//! Reading policies: the attestation verifier's own layouts, parameters,
//! errors naming the field, and the bounds on hostile input.

use std::collections::BTreeMap;

use super::*;

const LAYOUT: &[u8] =
    include_bytes!("../../../../../tests/vectors/attestation-verifier/layouts/layout.yml");
const LAYOUT_NPM: &[u8] =
    include_bytes!("../../../../../tests/vectors/attestation-verifier/layouts/layout-npm.yml");
const NPM_PARAMETERS: &[u8] = include_bytes!(
    "../../../../../tests/vectors/attestation-verifier/parameters/npm-sigstore.json"
);
const KEYID: &str = "fe1c6281c5ff13e35286cc67e5a1fb3e6575b840a6c39ca4267d3805eb17288a";

fn npm_parameters() -> BTreeMap<String, String> {
    serde_json::from_slice(NPM_PARAMETERS).unwrap()
}

#[test]
fn the_verifiers_own_layouts_read() {
    let policy = Policy::parse(LAYOUT, &BTreeMap::new()).unwrap();
    assert_eq!(policy.expires.to_string(), "2100-10-10T12:23:22Z");
    assert_eq!(policy.functionaries.len(), 1);
    let names: Vec<&str> = policy.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["clone", "test", "build"]);
    let clone = &policy.steps[0];
    assert_eq!(clone.expected_products.len(), 2);
    let link = &clone.expected_predicates[0];
    assert_eq!(
        link.predicate_type,
        "https://in-toto.io/attestation/link/v0.3"
    );
    assert!(link.expected_attributes[0].allow_if_no_claim);
    assert!(link.expected_attributes[0].warn);
    assert_eq!(link.functionaries, [KeyId::new(KEYID.to_owned())]);
    assert_eq!(link.threshold, Threshold::ONE);
    let test = &policy.steps[1];
    assert_eq!(
        test.expected_predicates[0].expected_attributes[1].rule,
        "predicate.result == 'PASSED'"
    );
    assert!(!test.expected_predicates[0].expected_attributes[1].allow_if_no_claim);

    let npm = Policy::parse(LAYOUT_NPM, &npm_parameters()).unwrap();
    assert_eq!(npm.steps.len(), 2);
    // Attribute rules keep their placeholders for the CEL module.
    assert!(
        npm.steps[0].expected_predicates[0].expected_attributes[1]
            .rule
            .contains("{config_source}")
    );
}

#[test]
fn artifact_rules_take_parameters_and_an_unknown_one_is_an_error() {
    let err = Policy::parse(LAYOUT_NPM, &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "steps[0].expectedMaterials[0]: cannot substitute parameters"
    );
}

#[test]
fn json_policies_read_as_yaml_ones_do() {
    let value = parse_document(LAYOUT).unwrap();
    let json = serde_json::to_vec(&value).unwrap();
    let policy = Policy::parse(&json, &BTreeMap::new()).unwrap();
    assert_eq!(policy.steps.len(), 3);
}

fn errors(yaml: &str) -> String {
    Policy::parse(yaml.as_bytes(), &BTreeMap::new())
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_policies_name_the_field_at_fault() {
    let key = format!(
        "functionaries:\n  {KEYID}:\n    keyType: ed25519\n    scheme: ed25519\n    keyVal:\n      public: 7345b83c121ea0d9ffc3b38d69958718b8435e8cb0552f889d695586693e1b89\n"
    );
    let head = format!("expires: \"2100-10-10T12:23:22Z\"\n{key}");
    assert_eq!(errors("steps: []\n"), "required field `expires` is missing");
    assert!(
        errors(&format!("{head}steps:\n  - name: ../x\n"))
            .starts_with("field `steps[0].name` is not a plain name"),
    );
    assert_eq!(
        errors(&format!(
            "{head}steps:\n  - name: a\n    expectedMaterials: [\"MATCH foo\"]\n"
        )),
        "steps[0].expectedMaterials[0]: invalid artifact rule \"MATCH foo\""
    );
    assert_eq!(
        errors(&format!(
            "{head}steps:\n  - name: a\n    expectedPredicates:\n      - predicateType: t\n        functionaries: [abcd]\n"
        )),
        "steps[0].expectedPredicates[0].functionaries[0]: abcd is not one of the policy's functionaries"
    );
    assert_eq!(
        errors(&format!(
            "{head}steps:\n  - name: a\n    expectedPredicates:\n      - predicateType: t\n        functionaries: [{KEYID}]\n        threshold: 0\n"
        )),
        "field `steps[0].expectedPredicates[0].threshold` must be a whole number of at least 1"
    );
    assert_eq!(
        errors(&format!("{head}steps:\n  - name: a\n  - name: a\n")),
        "steps[1]: step \"a\" is listed twice"
    );
    assert!(errors("expires: [\n").starts_with("the policy is not valid YAML or JSON"));
    assert!(errors("a: 1\na: 2\n").starts_with("the policy is not valid YAML or JSON"));
}

#[test]
fn alias_bombs_and_huge_inputs_are_refused() {
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!(
            "l{i}: &l{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    assert!(matches!(
        parse_document(bomb.as_bytes()),
        Err(PolicyError::Syntax(_))
    ));
    let huge = vec![b' '; MAX_POLICY_BYTES + 1];
    assert!(matches!(parse_document(&huge), Err(PolicyError::TooLarge)));
}

#[test]
fn every_attribute_rule_of_the_verifiers_layouts_compiles() {
    use super::super::attribute::CompiledRule;
    let policy = Policy::parse(LAYOUT, &BTreeMap::new()).unwrap();
    let mut n = 0;
    for step in &policy.steps {
        for expected in &step.expected_predicates {
            for rule in &expected.expected_attributes {
                CompiledRule::compile(rule, &BTreeMap::new()).unwrap();
                n += 1;
            }
        }
    }
    assert_eq!(n, 6);
}
