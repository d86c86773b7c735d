//! CEL attribute rules: the conformance table, outcomes, options, parameters,
//! bounds on cost and depth, and the attestation verifier's own rules on its data.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value as Json, json};

use super::*;

fn sample_predicate() -> Json {
    json!({
        "name": "sigstore",
        "version": "1.2.0",
        "count": 3,
        "ratio": 0.5,
        "flag": true,
        "tags": ["a", "b", "c"],
        "nums": [1, 2, 3],
        "empty": [],
        "nested": {"k": "v", "n": null},
    })
}

fn sample_subject() -> Json {
    json!([{"name": "foo", "digest": {"sha256": "abc"}}])
}

const SAMPLE_TYPE: &str = "https://example.com/p/v1";

fn compile(rule: &str) -> CompiledRule {
    CompiledRule::compile(&AttributeRule::new(rule), &BTreeMap::new())
        .unwrap_or_else(|error| panic!("{rule}: {error}"))
}

fn eval(rule: &str) -> Outcome {
    compile(rule).evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject())
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn documented_macros_and_functions_evaluate_as_cel_specifies() {
    let passing = [
        // has()
        "has(predicate.name)",
        "!has(predicate.missing)",
        "has(predicate.nested.n)",
        // all, exists, exists_one, map, filter
        "predicate.nums.all(n, n > 0)",
        "!predicate.nums.all(n, n > 1)",
        "predicate.empty.all(n, false)",
        "predicate.nums.exists(n, n == 2)",
        "!predicate.empty.exists(n, true)",
        "predicate.nums.exists_one(n, n > 2)",
        "!predicate.nums.exists_one(n, n > 1)",
        "predicate.nums.map(n, n * 2) == [2, 4, 6]",
        "predicate.nums.filter(n, n % 2 == 1) == [1, 3]",
        "subject.all(s, s.name != '' && has(s.digest.sha256))",
        "subject.map(s, s.name) == ['foo']",
        // size
        "size(predicate.tags) == 3",
        "predicate.tags.size() == 3",
        "size(predicate.name) == 8",
        "size(predicate.nested) == 2",
        "size(subject) != 0",
        "size(predicate.empty) == 0",
        // in
        "'b' in predicate.tags",
        "!('z' in predicate.tags)",
        "'k' in predicate.nested",
        // string functions
        "predicate.name.contains('store')",
        "predicate.name.startsWith('sig')",
        "predicate.name.endsWith('store')",
        "predicate.name.matches('^sig.*e$')",
        "!predicate.name.matches('^x')",
        "predicate.name + '@' + predicate.version == 'sigstore@1.2.0'",
        // comparisons and logic
        "predicate.count == 3",
        "predicate.count != 4",
        "predicate.count >= 3 && predicate.count < 4",
        "predicate.count > 2 && predicate.count <= 3",
        "predicate.ratio > 0.25",
        "predicate.name < 'z'",
        "predicate.flag || false",
        "false || predicate.flag",
        "!false",
        "(predicate.count == 3 ? 'three' : 'other') == 'three'",
        "(predicate.count == 4 ? 'four' : 'other') == 'other'",
        // conversions
        "int('42') == 42",
        "double('0.5') == predicate.ratio",
        "string(predicate.count) == '3'",
        "int(predicate.ratio * 4.0) == 2",
        "uint(3) == 3u",
        "string(1.5) == '1.5'",
        "double(predicate.count) == 3.0",
        // list and map literals, field selection and indexing
        "[1, 2][1] == 2",
        "{'a': 1}['a'] == 1",
        "{'a': 1}.a == 1",
        "{'a': [1, 2]}.a[1] == 2",
        "predicate.nested.k == 'v'",
        "predicate.nested['k'] == 'v'",
        "predicate.tags[0] == 'a'",
        "subject[0].digest.sha256 == 'abc'",
        "subject[0]['digest']['sha256'] == 'abc'",
        "predicateType == 'https://example.com/p/v1'",
        "predicateType.startsWith('https://')",
        // a present null is a claim
        "predicate.nested.n == null",
    ];
    let mut wrong = Vec::new();
    for rule in passing {
        let outcome = eval(rule);
        if outcome != Outcome::Passed {
            wrong.push(format!("{rule}: {outcome:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "rules that did not pass:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn a_false_or_non_bool_result_fails_and_says_what_it_was() {
    let cases = [
        ("predicate.name == 'x'", "false"),
        ("predicate.name", "\"sigstore\""),
        ("predicate.count", "3"),
        ("predicate.ratio", "0.5"),
        ("predicate.nums", "[1, 2, 3]"),
        ("predicate.nested", "{\"k\": \"v\", \"n\": null}"),
        ("predicate.nested.n", "null"),
        ("predicate.nested.n == 'a'", "false"),
    ];
    for (rule, seen) in cases {
        match eval(rule) {
            Outcome::Failed { value_seen, .. } => assert_eq!(value_seen, seen, "{rule}"),
            other => panic!("{rule}: {other:?}"),
        }
    }
}

#[test]
fn a_failure_shows_the_fields_the_rule_read() {
    let rule = CompiledRule::compile(
        &AttributeRule::new(
            "predicate.runDetails.builder.id == 'https://ci.example.com' && predicate.missing == 1 && predicateType != '' && predicate.list.all(x, x.y > 0)",
        ),
        &BTreeMap::new(),
    )
    .unwrap();
    let predicate = serde_json::json!({"runDetails": {"builder": {"id": "https://evil.example.com"}}, "list": []});
    match rule.evaluate(
        "https://slsa.dev/provenance/v1",
        &predicate,
        &serde_json::json!([]),
    ) {
        Outcome::Failed { value_seen, reads } => {
            assert_eq!(value_seen, "false");
            assert_eq!(
                reads,
                [
                    "predicate.runDetails.builder.id = \"https://evil.example.com\"",
                    "predicate.missing is absent",
                    "predicateType = \"https://slsa.dev/provenance/v1\"",
                    "predicate.list = []",
                ]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_absent_field_is_no_claim_and_other_errors_are_errors() {
    assert_eq!(
        eval("predicate.missing == 'x'"),
        Outcome::NoClaim {
            field: "missing".to_owned()
        }
    );
    assert_eq!(
        eval("predicate.nested.absent.deeper == 1"),
        Outcome::NoClaim {
            field: "absent".to_owned()
        }
    );
    assert_eq!(
        eval("subject[0].digest.sha512 == 'x'"),
        Outcome::NoClaim {
            field: "sha512".to_owned()
        }
    );
    for rule in [
        "1 / 0 == 1",
        "1 % 0 == 1",
        "9223372036854775807 + 1 > 0",
        "predicate.name + 1 == 'x'",
        "predicate.tags[10] == 'a'",
        "int('x') == 1",
        "unknownVariable == 1",
        "predicate.name.matches('(')",
    ] {
        assert!(
            matches!(eval(rule), Outcome::Error(_)),
            "{rule}: {:?}",
            eval(rule)
        );
    }
}

#[test]
fn allow_if_no_claim_skips_only_absent_fields() {
    let rule = |text: &str| AttributeRule {
        allow_if_no_claim: true,
        ..AttributeRule::new(text)
    };
    let run = |text: &str| {
        CompiledRule::compile(&rule(text), &BTreeMap::new())
            .unwrap()
            .evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject())
    };
    assert_eq!(run("predicate.missing == 'x'"), Outcome::Skipped);
    assert_eq!(run("predicate.name == 'sigstore'"), Outcome::Passed);
    // Present but wrong, present but null, and other errors still fail.
    assert!(matches!(
        run("predicate.name == 'x'"),
        Outcome::Failed { .. }
    ));
    assert!(matches!(
        run("predicate.nested.n == 'x'"),
        Outcome::Failed { .. }
    ));
    assert!(matches!(run("1 / 0 == 1"), Outcome::Error(_)));
}

#[test]
fn warn_turns_failures_into_warnings_and_debug_is_kept() {
    let warn = CompiledRule::compile(
        &AttributeRule {
            warn: true,
            debug: Some("the name is pinned".to_owned()),
            ..AttributeRule::new("predicate.name == 'x'")
        },
        &BTreeMap::new(),
    )
    .unwrap();
    let failed = warn.evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject());
    assert!(failed.is_failure());
    assert!(warn.is_warning(&failed));
    assert!(!warn.is_warning(&Outcome::Passed));
    assert!(!warn.is_warning(&Outcome::Skipped));
    assert!(warn.is_warning(&Outcome::NoClaim { field: "x".into() }));
    assert_eq!(warn.debug(), Some("the name is pinned"));

    let strict = compile("predicate.name == 'x'");
    assert!(!strict.is_warning(&failed));
    assert_eq!(strict.debug(), None);
}

#[test]
fn debug_text_has_its_parameters_substituted() {
    let rule = CompiledRule::compile(
        &AttributeRule {
            debug: Some("expected {package_name} {v}, not {other} or {'a': 1}".to_owned()),
            ..AttributeRule::new("predicate.name == '{package_name}'")
        },
        &params(&[("package_name", "sigstore"), ("v", "1.2.0")]),
    )
    .unwrap();
    assert_eq!(
        rule.debug(),
        Some("expected sigstore 1.2.0, not {other} or {'a': 1}")
    );
    assert_eq!(
        rule.rule().debug.as_deref(),
        Some("expected {package_name} {v}, not {other} or {'a': 1}")
    );
}

#[test]
fn placeholders_are_substituted_and_unknown_ones_are_errors() {
    let p = params(&[("package_name", "sigstore"), ("v", "1.2.0")]);
    let rule =
        AttributeRule::new("predicate.name == '{package_name}' && predicate.version == '{v}'");
    let compiled = CompiledRule::compile(&rule, &p).unwrap();
    assert_eq!(
        compiled.source(),
        "predicate.name == 'sigstore' && predicate.version == '1.2.0'"
    );
    assert_eq!(
        compiled.evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject()),
        Outcome::Passed
    );

    let error =
        CompiledRule::compile(&AttributeRule::new("predicate.name == '{nope}'"), &p).unwrap_err();
    assert_eq!(
        error,
        RuleError::UnknownPlaceholder {
            rule: "predicate.name == '{nope}'".to_owned(),
            name: "nope".to_owned()
        }
    );
    assert!(error.to_string().contains("{nope}"), "{error}");

    // Braces that are not `{identifier}` are left alone: map literals, and
    // a literal `{name}` written with a CEL escape.
    let literal = CompiledRule::compile(
        &AttributeRule::new(
            "{'a': {'b': 1}}.a.b == 1 && '\\x7bv}' == '{' + 'v}' && '{ v}' != '{1}'",
        ),
        &p,
    )
    .unwrap();
    assert_eq!(
        literal.evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject()),
        Outcome::Passed
    );
    // Values are inserted once, not scanned again.
    let once = CompiledRule::compile(
        &AttributeRule::new("'{a}' == '{' + 'b}'"),
        &params(&[("a", "{b}")]),
    )
    .unwrap();
    assert_eq!(once.source(), "'{b}' == '{' + 'b}'");
}

#[test]
fn an_invalid_expression_is_an_error_that_names_the_rule() {
    for rule in [
        "predicate.name ==",
        "predicate.(",
        "'unterminated",
        "a b c",
        "",
    ] {
        let error =
            CompiledRule::compile(&AttributeRule::new(rule), &BTreeMap::new()).expect_err(rule);
        assert!(
            matches!(error, RuleError::Invalid { .. }),
            "{rule}: {error:?}"
        );
        assert!(error.to_string().contains(&format!("`{rule}`")), "{error}");
    }
}

#[test]
fn bounds_reject_long_deep_and_complex_rules_before_they_cost() {
    let long = format!("'{}' == ''", "a".repeat(MAX_RULE_BYTES));
    assert!(matches!(
        CompiledRule::compile(&AttributeRule::new(long), &BTreeMap::new()),
        Err(RuleError::TooLong { .. })
    ));
    // A long parameter value counts after substitution.
    assert!(matches!(
        CompiledRule::compile(
            &AttributeRule::new("'{x}' == ''"),
            &params(&[("x", &"a".repeat(MAX_RULE_BYTES))])
        ),
        Err(RuleError::TooLong { .. })
    ));

    // 10k nested parentheses, brackets, braces: rejected by the pre-scan,
    // no stack overflow in the parser.
    for (open, close) in [("(", ")"), ("[", "]"), ("{'a': ", "}")] {
        let deep = format!("{}1{}", open.repeat(10_000), close.repeat(10_000));
        assert!(matches!(
            CompiledRule::compile(&AttributeRule::new(deep), &BTreeMap::new()),
            Err(RuleError::TooDeep { .. }) | Err(RuleError::TooLong { .. })
        ));
        let deep = format!("{}1{}", open.repeat(500), close.repeat(500));
        assert!(matches!(
            CompiledRule::compile(&AttributeRule::new(deep), &BTreeMap::new()),
            Err(RuleError::TooDeep { .. })
        ));
    }
    let ok = format!(
        "{}1{} == 1",
        "(".repeat(MAX_BRACKET_DEPTH),
        ")".repeat(MAX_BRACKET_DEPTH)
    );
    assert_eq!(eval(&ok), Outcome::Passed);

    let macros = "[1].all(x, x > 0) && [1].all(x, x > 0) && [1].all(x, x > 0) && [1].all(x, x > 0) && [1].all(x, x > 0)";
    assert!(matches!(
        CompiledRule::compile(&AttributeRule::new(macros), &BTreeMap::new()),
        Err(RuleError::TooComplex { .. })
    ));
}

#[test]
fn deep_chains_without_brackets_neither_overflow_nor_hang() {
    // Long operator, unary and selection chains within the length limit:
    // each either compiles and evaluates, or is rejected; none crashes.
    let chains = [
        vec!["1"; 2000].join(" + "),
        vec!["true"; 1000].join(" && "),
        vec!["false"; 800].join(" || "),
        format!("{}true", "!".repeat(4000)),
        format!("{}1 == 1", "-".repeat(4000)),
        format!("predicate{}", ".a".repeat(2000)),
        format!("'a'{}", ".size()".repeat(500)),
        vec!["1 == 1 ? 1 : 0"; 250].join(" + ") + " > 0",
    ];
    for chain in chains {
        if let Ok(rule) =
            CompiledRule::compile(&AttributeRule::new(chain.clone()), &BTreeMap::new())
        {
            let _ = rule.evaluate(SAMPLE_TYPE, &sample_predicate(), &sample_subject());
        }
    }
}

#[test]
fn a_macro_over_a_large_list_completes() {
    let predicate = json!({ "x": (1..=100_000).collect::<Vec<i64>>() });
    let input = AttributeInput::new(SAMPLE_TYPE, &predicate, &json!([])).unwrap();
    assert_eq!(
        compile("predicate.x.all(i, i > 0)").evaluate_input(&input),
        Outcome::Passed
    );
    assert_eq!(
        compile("predicate.x.exists(i, i == 100000)").evaluate_input(&input),
        Outcome::Passed
    );
    assert_eq!(
        compile("size(predicate.x.filter(i, i % 2 == 0)) == 50000").evaluate_input(&input),
        Outcome::Passed
    );
}

#[test]
fn quadratic_rules_over_large_inputs_are_refused_not_run() {
    let nested = compile("predicate.x.all(i, predicate.x.exists(j, j == i))");
    assert_eq!(nested.degree(), 3);
    let open = compile("predicate.x.all(i, i in predicate.x)");
    assert_eq!(open.degree(), 2);
    let closed = compile("predicate.m.all(m, m.d.exists(k, k != ''))");
    assert_eq!(closed.degree(), 2);
    assert_eq!(compile("predicate.x.all(i, i > 0)").degree(), 1);
    assert_eq!(compile("predicate.x == 1").degree(), 0);

    let large = json!({ "x": (1..=100_000).collect::<Vec<i64>>() });
    let large = AttributeInput::new(SAMPLE_TYPE, &large, &json!([])).unwrap();
    for rule in [&nested, &open] {
        match rule.evaluate_input(&large) {
            Outcome::Error(message) => assert!(message.contains("cost bound"), "{message}"),
            other => panic!("{}: {other:?}", rule.source()),
        }
    }
    let small = json!({ "x": (1..=50).collect::<Vec<i64>>() });
    let small = AttributeInput::new(SAMPLE_TYPE, &small, &json!([])).unwrap();
    assert_eq!(nested.evaluate_input(&small), Outcome::Passed);
    assert_eq!(open.evaluate_input(&small), Outcome::Passed);
}

#[test]
fn chained_macros_that_enlarge_values_are_bounded_by_their_length() {
    // Each macro multiplies element sizes by up to its body's length: over
    // 20k elements this would copy about 10^9 values, so it is refused.
    let rule = compile(&format!(
        "predicate.x.map(i, [{}]).map(j, {}).all(k, size(k) > 0)",
        vec!["i"; 50].join(", "),
        vec!["j"; 30].join(" + ")
    ));
    assert_eq!(rule.degree(), 1);
    let large = json!({ "x": (1..=20_000).collect::<Vec<i64>>() });
    assert!(matches!(
        rule.evaluate(SAMPLE_TYPE, &large, &json!([])),
        Outcome::Error(message) if message.contains("cost bound")
    ));
    let small = json!({ "x": [1, 2] });
    assert_eq!(
        rule.evaluate(SAMPLE_TYPE, &small, &json!([])),
        Outcome::Passed
    );
    // Two short chained macros over a large list still run.
    let large = json!({ "x": (1..=100_000).collect::<Vec<i64>>() });
    assert_eq!(
        compile("predicate.x.map(i, i * 2).all(j, j > 0)").evaluate(
            SAMPLE_TYPE,
            &large,
            &json!([])
        ),
        Outcome::Passed
    );
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let mut value = json!(1);
    for _ in 0..(MAX_INPUT_DEPTH + 10) {
        value = json!([value]);
    }
    assert!(matches!(
        compile("true").evaluate(SAMPLE_TYPE, &value, &json!([])),
        Outcome::Error(_)
    ));
    assert_eq!(
        AttributeInput::new(SAMPLE_TYPE, &value, &json!([])).unwrap_err(),
        InputTooDeep {
            max: MAX_INPUT_DEPTH
        }
    );
    assert!(AttributeInput::new(SAMPLE_TYPE, &json!({"a": [[1]]}), &json!([])).is_ok());
}

#[test]
fn numbers_convert_to_int_uint_and_double() {
    let predicate = json!({"i": -3, "u": 18_446_744_073_709_551_615_u64, "d": 2.5});
    let run = |rule: &str| compile(rule).evaluate(SAMPLE_TYPE, &predicate, &json!([]));
    assert_eq!(run("predicate.i == -3"), Outcome::Passed);
    assert_eq!(run("predicate.u == 18446744073709551615u"), Outcome::Passed);
    assert_eq!(run("predicate.d == 2.5"), Outcome::Passed);
    assert_eq!(
        run("type(predicate.i) == int && type(predicate.d) == double"),
        Outcome::Passed
    );
}

/// The `expectedAttributes` of a layout of the attestation-verifier, by
/// step: a line scan of the YAML (each rule is one `- rule: "..."` line,
/// followed by its options).
fn layout_rules(yaml: &str) -> Vec<(String, AttributeRule)> {
    let mut step = String::new();
    let mut rules: Vec<(String, AttributeRule)> = Vec::new();
    for line in yaml.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("- name: ") {
            step = name.trim_matches('"').to_owned();
        } else if let Some(rule) = line.strip_prefix("- rule: ") {
            let rule = rule
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .unwrap();
            rules.push((step.clone(), AttributeRule::new(rule)));
        } else if let Some(value) = line.strip_prefix("allowIfNoClaim: ") {
            rules.last_mut().unwrap().1.allow_if_no_claim = value == "true";
        } else if let Some(value) = line.strip_prefix("warn: ") {
            rules.last_mut().unwrap().1.warn = value == "true";
        }
    }
    rules
}

/// A DSSE envelope's statement: (predicateType, predicate, subject).
fn statement(envelope: &str) -> (String, Json, Json) {
    let envelope: Json = serde_json::from_str(envelope).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let statement: Json = serde_json::from_slice(&payload).unwrap();
    (
        statement["predicateType"].as_str().unwrap().to_owned(),
        statement["predicate"].clone(),
        statement["subject"].clone(),
    )
}

fn assert_layout_rules_pass(
    yaml: &str,
    params: &BTreeMap<String, String>,
    statements: &[(&str, &str)],
    expected_rules: usize,
) {
    let rules = layout_rules(yaml);
    assert_eq!(rules.len(), expected_rules);
    for (step, rule) in rules {
        let (_, envelope) = statements
            .iter()
            .find(|(name, _)| *name == step)
            .unwrap_or_else(|| panic!("no statement for step {step}"));
        let (predicate_type, predicate, subject) = statement(envelope);
        let compiled = CompiledRule::compile(&rule, params).unwrap();
        assert_eq!(
            compiled.evaluate(&predicate_type, &predicate, &subject),
            Outcome::Passed,
            "step {step}: {}",
            compiled.source()
        );
        // The same rule over another step's predicate does not pass.
        let (other_type, other, other_subject) = statement(
            statements
                .iter()
                .find(|(name, _)| *name != step)
                .map(|(_, text)| *text)
                .unwrap(),
        );
        if compiled.source().starts_with("predicate.") {
            assert_ne!(
                compiled.evaluate(&other_type, &other, &other_subject),
                Outcome::Passed,
                "step {step} rule over another step: {}",
                compiled.source()
            );
        }
    }
}

#[test]
fn attestation_verifier_layout_rules_pass_on_its_test_data() {
    assert_layout_rules_pass(
        include_str!("../../../../../tests/vectors/attestation-verifier/layouts/layout.yml"),
        &BTreeMap::new(),
        &[
            (
                "clone",
                include_str!(
                    "../../../../../tests/vectors/attestation-verifier/test-data/clone.fe1c6281.json"
                ),
            ),
            (
                "test",
                include_str!(
                    "../../../../../tests/vectors/attestation-verifier/test-data/test.fe1c6281.json"
                ),
            ),
            (
                "build",
                include_str!(
                    "../../../../../tests/vectors/attestation-verifier/test-data/build.fe1c6281.json"
                ),
            ),
        ],
        6,
    );
}

#[test]
fn attestation_verifier_npm_layout_rules_pass_with_its_parameters() {
    // Parameter values refer to other parameters; the policy loader
    // resolves them before compiling rules, as this does.
    let raw: BTreeMap<String, String> = serde_json::from_str(include_str!(
        "../../../../../tests/vectors/attestation-verifier/parameters/npm-sigstore.json"
    ))
    .unwrap();
    let resolved: BTreeMap<String, String> = raw
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, &raw).unwrap()))
        .collect();
    assert_eq!(
        resolved["github_workflow_ref"],
        "sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
    );
    assert_layout_rules_pass(
        include_str!("../../../../../tests/vectors/attestation-verifier/layouts/layout-npm.yml"),
        &resolved,
        &[
            (
                "build",
                include_str!(
                    "../../../../../tests/vectors/attestation-verifier/test-data-npm/build.fe1c6281.json"
                ),
            ),
            (
                "publish",
                include_str!(
                    "../../../../../tests/vectors/attestation-verifier/test-data-npm/publish.fe1c6281.json"
                ),
            ),
        ],
        11,
    );
    // Without the parameters, the rules are input errors naming the placeholder.
    let error = CompiledRule::compile(
        &AttributeRule::new("predicate.name == '{package_name}'"),
        &BTreeMap::new(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("{package_name}"), "{error}");
}
