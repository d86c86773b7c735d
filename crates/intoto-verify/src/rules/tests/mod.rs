//! Unit and property tests of the rule engine.

use std::collections::{BTreeMap, BTreeSet};

use intoto_model::{
    ArtifactRule, ArtifactType, DigestSet, Inspection, Link, Step, SupplyChainItem,
};
use proptest::prelude::*;

use super::*;
use intoto_model::ArtifactPattern;

fn digest(hex: &str) -> DigestSet {
    DigestSet::from_iter([("sha256".to_owned(), hex.to_owned())])
}

fn link(name: &str, materials: &[(&str, &str)], products: &[(&str, &str)]) -> Link {
    let mut link = Link::new(name);
    link.materials = materials
        .iter()
        .map(|(n, h)| ((*n).to_owned(), digest(h)))
        .collect();
    link.products = products
        .iter()
        .map(|(n, h)| ((*n).to_owned(), digest(h)))
        .collect();
    link
}

fn rules(words: &[&[&str]]) -> Vec<ArtifactRule> {
    words
        .iter()
        .map(|w| ArtifactRule::parse(w).unwrap())
        .collect()
}

fn links(all: &[&Link]) -> BTreeMap<String, Link> {
    all.iter().map(|l| (l.name.clone(), (*l).clone())).collect()
}

fn run(
    item: &Link,
    t: ArtifactType,
    r: &[&[&str]],
    others: &[&Link],
) -> Result<RuleTrace, Box<RuleViolation>> {
    let mut all = links(others);
    all.insert(item.name.clone(), item.clone());
    verify_item_rules(&item.name, &rules(r), t, item, &all)
}

use ArtifactType::{Materials, Products};

#[test]
fn allow_consumes_what_it_matches() {
    let item = link("build", &[], &[("a.py", "aa"), ("b.c", "bb")]);
    let trace = run(&item, Products, &[&["ALLOW", "*.py"]], &[]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["a.py"]);
    assert_eq!(trace.remaining, ["b.c"]);
    assert!(trace.complete);
    assert_eq!(trace.queued, 2);
}

#[test]
fn disallow_fails_on_queued_matches_and_consumes_nothing() {
    let item = link("build", &[], &[("a.py", "aa"), ("evil.sh", "bb")]);
    let err = run(
        &item,
        Products,
        &[&["ALLOW", "*.py"], &["DISALLOW", "*"]],
        &[],
    )
    .unwrap_err();
    assert!(matches!(err.kind, ViolationKind::DisallowMatched));
    assert_eq!(err.code(), "rule-disallow-matched");
    assert_eq!(err.rule_index, 1);
    assert_eq!(err.rule, ArtifactRule::Disallow("*".into()));
    assert_eq!(err.artifacts.len(), 1);
    assert_eq!(err.artifacts[0].path, "evil.sh");
    assert_eq!(err.artifacts[0].digests, Some(digest("bb")));
    assert!(err.artifacts[0].near_misses.is_empty());
    assert_eq!(err.trace.steps.len(), 1);
    assert_eq!(err.trace.remaining, ["evil.sh"]);
    assert!(!err.trace.complete);

    let pass = run(
        &item,
        Products,
        &[&["DISALLOW", "*.exe"], &["DISALLOW", "x*"]],
        &[],
    )
    .unwrap();
    assert!(pass.steps.iter().all(|s| s.consumed.is_empty()));
}

#[test]
fn require_wants_a_literal_queued_name_and_consumes_nothing() {
    let item = link("build", &[], &[("app", "aa"), ("a.py", "bb")]);
    let trace = run(&item, Products, &[&["REQUIRE", "app"]], &[]).unwrap();
    assert!(trace.steps[0].consumed.is_empty());

    let err = run(
        &item,
        Products,
        &[&["REQUIRE", "app"], &["DISALLOW", "app"]],
        &[],
    )
    .unwrap_err();
    assert_eq!(err.rule_index, 1, "REQUIRE does not consume");

    let err = run(&item, Products, &[&["REQUIRE", "*.py"]], &[]).unwrap_err();
    assert!(matches!(
        err.kind,
        ViolationKind::RequireMissing { consumed_by: None }
    ));
    assert_eq!(err.code(), "rule-require-missing");
    assert_eq!(err.artifacts[0].path, "*.py");
    assert_eq!(err.artifacts[0].digests, None);

    let err = run(
        &item,
        Products,
        &[&["ALLOW", "a*"], &["REQUIRE", "app"]],
        &[],
    )
    .unwrap_err();
    assert!(matches!(
        err.kind,
        ViolationKind::RequireMissing {
            consumed_by: Some(0)
        }
    ));
    assert_eq!(err.artifacts[0].digests, Some(digest("aa")));
}

#[test]
fn create_consumes_new_products_only() {
    let item = link("build", &[("a.c", "aa")], &[("a.c", "aa"), ("a.o", "bb")]);
    let trace = run(&item, Products, &[&["CREATE", "*"]], &[]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["a.o"]);
    let trace = run(&item, Materials, &[&["CREATE", "*"]], &[]).unwrap();
    assert!(
        trace.steps[0].consumed.is_empty(),
        "CREATE in materials never consumes"
    );
}

#[test]
fn delete_consumes_removed_materials_only() {
    let item = link(
        "clean",
        &[("a.o", "aa"), ("keep", "bb")],
        &[("keep", "bb"), ("new", "cc")],
    );
    let trace = run(&item, Materials, &[&["DELETE", "*"]], &[]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["a.o"]);
    let trace = run(&item, Products, &[&["DELETE", "*"]], &[]).unwrap();
    assert!(
        trace.steps[0].consumed.is_empty(),
        "DELETE in products never consumes"
    );
}

#[test]
fn modify_consumes_changed_artifacts_in_either_list() {
    let item = link(
        "fmt",
        &[("a", "aa"), ("b", "bb"), ("gone", "cc")],
        &[("a", "a2"), ("b", "bb"), ("new", "dd")],
    );
    for t in [Materials, Products] {
        let trace = run(&item, t, &[&["MODIFY", "*"]], &[]).unwrap();
        assert_eq!(trace.steps[0].consumed, ["a"], "{t}");
    }
}

#[test]
fn modify_compares_whole_digest_sets() {
    let mut item = link("fmt", &[("a", "aa")], &[]);
    let mut both = digest("aa");
    both.insert("sha512", "cc");
    item.products.insert("a".into(), both);
    let trace = run(&item, Products, &[&["MODIFY", "a"]], &[]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["a"]);
}

#[test]
fn match_consumes_equal_digests_with_prefixes() {
    let checkout = link("checkout", &[], &[("a.c", "aa"), ("b.c", "xx")]);
    let build = link(
        "build",
        &[("src/a.c", "aa"), ("src/b.c", "bb"), ("other/a.c", "aa")],
        &[],
    );
    let trace = run(
        &build,
        Materials,
        &[&[
            "MATCH", "*", "IN", "src", "WITH", "PRODUCTS", "FROM", "checkout",
        ]],
        &[&checkout],
    )
    .unwrap();
    assert_eq!(trace.steps[0].consumed, ["src/a.c"]);

    let compile = link("compile", &[], &[("build/lib/foo", "aa")]);
    let package = link("package", &[("lib/foo", "aa")], &[]);
    let rule: &[&str] = &[
        "MATCH",
        "foo",
        "IN",
        "lib",
        "WITH",
        "PRODUCTS",
        "IN",
        "build/lib",
        "FROM",
        "compile",
    ];
    let trace = run(&package, Materials, &[rule], &[&compile]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["lib/foo"]);
}

#[test]
fn match_without_a_destination_link_consumes_nothing() {
    let build = link("build", &[("a", "aa")], &[]);
    let trace = run(
        &build,
        Materials,
        &[&["MATCH", "*", "WITH", "PRODUCTS", "FROM", "nowhere"]],
        &[],
    )
    .unwrap();
    assert!(trace.steps[0].consumed.is_empty());
    assert!(trace.steps[0].destination_link_missing);
}

#[test]
fn match_explains_why_it_did_not_consume() {
    let checkout = link("checkout", &[], &[("a", "aa"), ("b", "bb")]);
    let build = link("build", &[("a", "aa"), ("b", "b2"), ("c", "cc")], &[]);
    let err = run(
        &build,
        Materials,
        &[
            &["MATCH", "*", "WITH", "PRODUCTS", "FROM", "checkout"],
            &["DISALLOW", "*"],
        ],
        &[&checkout],
    )
    .unwrap_err();
    let paths: Vec<&str> = err.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(paths, ["b", "c"]);
    assert!(matches!(
        &err.artifacts[0].near_misses[0].reason,
        NearMissReason::DigestMismatch { step, path, .. } if step == "checkout" && path == "b"
    ));
    assert!(matches!(
        &err.artifacts[1].near_misses[0].reason,
        NearMissReason::DestinationArtifactMissing { path, .. } if path == "c"
    ));
    assert_eq!(err.artifacts[0].near_misses[0].rule_index, 0);
}

#[test]
fn match_source_prefix_quirks_follow_os_path_join() {
    // `lib//z` leaves `/z`, which `os.path.join("lib", "/z")` keeps as `/z`.
    let checkout = link("checkout", &[], &[("/z", "aa")]);
    let build = link("build", &[("lib//z", "aa")], &[]);
    let rule: &[&str] = &[
        "MATCH", "*", "IN", "lib", "WITH", "PRODUCTS", "FROM", "checkout",
    ];
    let err = run(&build, Materials, &[rule], &[&checkout]).unwrap_err();
    assert!(matches!(
        &err.kind,
        ViolationKind::MatchSourceUnresolved { source_path } if source_path == "/z"
    ));
    assert_eq!(err.code(), "rule-match-source-unresolved");
    assert_eq!(err.artifacts[0].path, "lib//z");

    // When the rebuilt name is an artifact, it is consumed in place.
    let build = link("build", &[("lib//z", "aa"), ("/z", "aa")], &[]);
    let trace = run(&build, Materials, &[rule], &[&checkout]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["/z"]);
    assert_eq!(trace.remaining, ["lib//z"]);

    // An absolute remainder drops the destination prefix too.
    let dest = link("dest", &[], &[("/z", "aa")]);
    let rule: &[&str] = &[
        "MATCH", "*", "IN", "lib", "WITH", "PRODUCTS", "IN", "out", "FROM", "dest",
    ];
    let trace = run(&build, Materials, &[rule], &[&dest]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["/z"]);

    // Without a source prefix, an absolute name is looked up under the
    // destination prefix as itself, with backslashes turned into slashes.
    let build = link("build", &[("/abs", "aa"), ("a\\b", "bb")], &[]);
    let dest = link("dest", &[], &[("/abs", "aa"), ("out/a/b", "bb")]);
    let rule: &[&str] = &[
        "MATCH", "*", "WITH", "PRODUCTS", "IN", "out", "FROM", "dest",
    ];
    let trace = run(&build, Materials, &[rule], &[&dest]).unwrap();
    assert_eq!(trace.steps[0].consumed, ["/abs", "a\\b"]);
}

#[test]
fn keywords_are_case_insensitive() {
    let checkout = link("checkout", &[], &[("a", "aa")]);
    let build = link("build", &[("a", "aa")], &[]);
    let trace = run(
        &build,
        Materials,
        &[
            &["match", "*", "with", "Products", "from", "checkout"],
            &["disallow", "*"],
        ],
        &[&checkout],
    );
    assert!(trace.is_ok());
}

#[test]
fn verify_item_runs_materials_then_products_and_names_the_kind() {
    let mut step = Step::new("build");
    step.expected_materials = rules(&[&["DISALLOW", "*"]]);
    step.expected_products = rules(&[&["DISALLOW", "*"]]);
    let item = link("build", &[("m", "aa")], &[("p", "bb")]);
    let all = links(&[&item]);
    let err = verify_item(SupplyChainItem::Step(&step), &item, &all).unwrap_err();
    assert_eq!(err.artifact_type, Materials);
    assert_eq!(err.item_kind, Some(ItemKind::Step));
    assert!(
        err.to_string()
            .starts_with("step 'build': materials rule 0 (DISALLOW *) matched 'm'")
    );

    let mut inspection = Inspection::new("scan", vec!["true".into()]);
    inspection.expected_products = rules(&[&["ALLOW", "p"], &["DISALLOW", "*"]]);
    let traces = verify_item(SupplyChainItem::Inspection(&inspection), &item, &all).unwrap();
    assert_eq!(traces.materials.remaining, ["m"]);
    assert_eq!(traces.products.steps[0].consumed, ["p"]);
    assert_eq!(traces.products.item_kind, Some(ItemKind::Inspection));
}

#[test]
fn violation_message_lists_a_few_artifacts() {
    let names: Vec<String> = (0..5).map(|i| format!("f{i}")).collect();
    let products: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "0123456789ab")).collect();
    let item = link("build", &[], &products);
    let err = run(&item, Products, &[&["DISALLOW", "f*"]], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "'build': products rule 0 (DISALLOW f*) matched 5 artifacts: 'f0' (sha256:01234567…), \
         'f1' (sha256:01234567…), 'f2' (sha256:01234567…), and 2 more — no earlier rule consumed them"
    );
}

#[test]
fn trace_display_shows_each_rule() {
    let item = link("build", &[], &[("a", "aa"), ("b", "bb")]);
    let trace = run(&item, Products, &[&["ALLOW", "a"], &["DISALLOW", "x"]], &[]).unwrap();
    assert_eq!(
        trace.to_string(),
        "products of 'build': 2 queued\n  rule 0 (ALLOW a): consumed 1: 'a'\n  \
         rule 1 (DISALLOW x): consumed nothing\n  implicit ALLOW *: accepted 1: 'b'"
    );
}

mod naive;
