//! The graph model: nodes and flows from a layout, findings attached where
//! they belong, statuses, failed flows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use intoto_model::{ArtifactRule, Expires, Inspection, KeyId, Step, Threshold};
use intoto_verify::{Compared, RuleSubject, Subject};

use super::*;

fn rule(words: &[&str]) -> ArtifactRule {
    ArtifactRule::parse(words).unwrap()
}

/// clone → build → package, and the inspection untar after package.
fn layout() -> Layout {
    let mut layout = Layout::new(Expires::parse("2030-01-01T00:00:00Z").unwrap());
    let mut clone = Step::new("clone");
    clone.pubkeys = vec![KeyId::new("b0b0b0b0b0b0b0b0")];
    clone.expected_products = vec![rule(&["CREATE", "src/*"]), rule(&["DISALLOW", "*"])];
    let mut build = Step::new("build");
    build.pubkeys = vec![KeyId::new("b0b0b0b0b0b0b0b0")];
    build.expected_materials = vec![
        rule(&["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"]),
        rule(&["DISALLOW", "*"]),
    ];
    let mut package = Step::new("package");
    package.pubkeys = vec![
        KeyId::new("ca401ca401ca401c"),
        KeyId::new("da4eda4eda4eda4e"),
    ];
    package.threshold = Threshold::new(2);
    package.expected_materials = vec![
        rule(&["MATCH", "build/hello", "WITH", "PRODUCTS", "FROM", "build"]),
        rule(&[
            "MATCH", "*", "IN", "vendor", "WITH", "PRODUCTS", "FROM", "clone",
        ]),
        rule(&["DISALLOW", "*"]),
    ];
    let mut untar = Inspection::new("untar", vec!["tar".into(), "xf".into(), "hello.tar".into()]);
    untar.expected_materials = vec![rule(&[
        "MATCH",
        "hello.tar",
        "WITH",
        "PRODUCTS",
        "FROM",
        "package",
    ])];
    layout.steps = vec![clone, build, package];
    layout.inspect = vec![untar];
    layout
}

fn item(name: &str, kind: ItemKind) -> Subject {
    let mut subject = Subject::default();
    subject.item = Some(name.to_owned());
    subject.item_kind = Some(kind);
    subject
}

fn verdict(diagnostics: Vec<Diagnostic>) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.diagnostics = diagnostics;
    verdict
}

fn digests(hex: &str) -> DigestSet {
    let mut set = DigestSet::new();
    set.insert("sha256", hex);
    set
}

/// `DISALLOW *` (rule 2 of package's materials) matched build/hello,
/// whose digest differs from build's product.
fn tampered_between_build_and_package() -> Diagnostic {
    let mut subject = item("package", ItemKind::Step);
    subject.rule = Some(RuleSubject::new(ArtifactType::Materials, 2, "DISALLOW *"));
    subject.artifacts = vec![
        ArtifactSubject::new("build/hello", Some(digests(&"a".repeat(64)))).compared_with(
            Compared::new(
                "products of 'build'",
                "build/hello",
                Some(digests(&"b".repeat(64))),
            ),
        ),
    ];
    subject.artifact_count = 1;
    Diagnostic::new(
        Code::RuleDisallowMatched,
        "step 'package': materials rule 2 (DISALLOW *) matched 'build/hello'",
        subject,
    )
    .with_help("no earlier rule accounts for the artifact")
}

fn statuses(graph: &ChainGraph) -> Vec<(&str, NodeStatus)> {
    graph
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.status))
        .collect()
}

#[test]
fn a_layout_gives_a_node_per_step_and_inspection_and_a_flow_per_match_rule() {
    let graph = ChainGraph::from_layout("root.layout", &layout(), &Verdict::default());
    assert_eq!(graph.title, "root.layout");
    assert_eq!(graph.kind, GraphKind::Layout);
    let package = graph.node_named("package").unwrap();
    assert_eq!(package.kind, NodeKind::Step);
    assert_eq!(package.functionaries, ["ca401ca4", "da4eda4e"]);
    assert_eq!(
        package.evidence,
        [
            "package.ca401ca4.link",
            "package.da4eda4e.link",
            "threshold: 2 of 2 functionaries"
        ]
    );
    let untar = graph.node_named("untar").unwrap();
    assert_eq!(untar.kind, NodeKind::Inspection);
    assert_eq!(untar.evidence, ["$ tar xf hello.tar"]);
    let flows: Vec<(&str, &str, &str)> = graph
        .flows
        .iter()
        .map(|f| (f.from.as_str(), f.to.as_str(), f.pattern.as_str()))
        .collect();
    assert_eq!(
        flows,
        [
            ("clone", "build", "src/*"),
            ("build", "package", "build/hello"),
            ("clone", "package", "*"),
            ("package", "untar", "hello.tar"),
        ]
    );
    let vendor = &graph.flows[2];
    assert_eq!(vendor.artifact_type, ArtifactType::Products);
    assert_eq!(
        vendor.rule,
        Some(
            FlowRule::new(
                ArtifactType::Materials,
                1,
                "MATCH * IN vendor WITH PRODUCTS FROM clone"
            )
            .source_prefix("vendor")
        )
    );
}

#[test]
fn a_passing_verdict_passes_every_node_and_warnings_warn() {
    let mut warning = Diagnostic::new(
        Code::CommandMismatch,
        "step 'build': command differs",
        item("build", ItemKind::Step),
    );
    warning.subject.link_file = Some("build.b0b0b0b0.link".into());
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![warning]));
    assert!(graph.passed);
    assert_eq!(
        statuses(&graph),
        [
            ("clone", NodeStatus::Passed),
            ("build", NodeStatus::Warned),
            ("package", NodeStatus::Passed),
            ("untar", NodeStatus::Passed),
        ]
    );
    assert_eq!(
        graph.node_named("build").unwrap().findings[0].code,
        "command-mismatch"
    );
    assert!(graph.findings.is_empty());
}

#[test]
fn a_failing_step_rule_fails_its_step_passes_the_other_steps_and_leaves_inspections_unreached() {
    let graph = ChainGraph::from_layout(
        "root.layout",
        &layout(),
        &verdict(vec![tampered_between_build_and_package()]),
    );
    assert!(!graph.passed);
    assert_eq!(
        statuses(&graph),
        [
            ("clone", NodeStatus::Passed),
            ("build", NodeStatus::Passed),
            ("package", NodeStatus::Failed),
            ("untar", NodeStatus::NotReached),
        ]
    );
    let finding = &graph.node_named("package").unwrap().findings[0];
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.code, "rule-disallow-matched");
    assert_eq!(finding.rule.as_deref(), Some("DISALLOW *"));
    assert_eq!(
        finding.artifacts,
        ["build/hello sha256:aaaaaaaa…, products of 'build' have sha256:bbbbbbbb…"]
    );
    assert_eq!(finding.artifact_count, 1);
    assert_eq!(
        finding.help.as_deref(),
        Some("no earlier rule accounts for the artifact")
    );
}

#[test]
fn a_flow_fails_when_its_match_rule_saw_the_artifact_that_was_disallowed() {
    let graph = ChainGraph::from_layout(
        "root.layout",
        &layout(),
        &verdict(vec![tampered_between_build_and_package()]),
    );
    let failed: Vec<(&str, &str)> = graph
        .flows
        .iter()
        .filter(|f| f.failed)
        .map(|f| (f.from.as_str(), f.to.as_str()))
        .collect();
    // The vendor MATCH does not select build/hello: it did not fail.
    assert_eq!(failed, [("build", "package")]);
}

#[test]
fn a_flow_fails_when_its_own_rule_fails_and_source_prefixes_select_as_the_engine() {
    let mut subject = item("package", ItemKind::Step);
    subject.rule = Some(RuleSubject::new(
        ArtifactType::Materials,
        1,
        "MATCH * IN vendor WITH PRODUCTS FROM clone",
    ));
    let unresolved = Diagnostic::new(Code::RuleMatchSourceUnresolved, "cannot resolve", subject);
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![unresolved]));
    let failed: Vec<&str> = graph
        .flows
        .iter()
        .filter(|f| f.failed)
        .map(|f| f.pattern.as_str())
        .collect();
    assert_eq!(failed, ["*"]);

    let vendor = &graph.flows[2];
    assert!(vendor.selects("vendor/lib.c"));
    assert!(!vendor.selects("lib.c"));
    assert!(!vendor.selects("vendorlib.c"));
    assert!(graph.flows[1].selects("build/hello"));
    assert!(!graph.flows[1].selects("build/hello2"));
}

#[test]
fn a_flow_fails_when_the_verifier_compared_the_artifact_with_its_source() {
    // With parameters, the pattern as written (`{dir}/hello`) selects
    // nothing; the comparison the verifier names still shows the flow.
    let mut layout = layout();
    layout.steps[2].expected_materials[0] =
        rule(&["MATCH", "{dir}/hello", "WITH", "PRODUCTS", "FROM", "build"]);
    let graph = ChainGraph::from_layout(
        "root.layout",
        &layout,
        &verdict(vec![tampered_between_build_and_package()]),
    );
    assert!(graph.flows[1].failed);
    assert!(!graph.flows[1].selects("build/hello"));
    assert!(!graph.flows[2].failed);
}

#[test]
fn a_disallowed_artifact_does_not_fail_a_flow_whose_rule_comes_later() {
    let mut subject = item("build", ItemKind::Step);
    // Build's materials: rule 0 is the MATCH; a failure at rule 0 of
    // another list, or at an earlier rule, does not touch it.
    subject.rule = Some(RuleSubject::new(ArtifactType::Products, 2, "DISALLOW *"));
    subject.artifacts = vec![ArtifactSubject::new("src/a.c", None)];
    subject.artifact_count = 1;
    let d = Diagnostic::new(Code::RuleDisallowMatched, "matched", subject);
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![d]));
    assert!(graph.flows.iter().all(|f| !f.failed));
}

#[test]
fn layout_findings_stay_on_the_graph_and_nothing_is_reached() {
    let expired = Diagnostic::new(
        Code::LayoutExpired,
        "the layout expired",
        Subject::default(),
    );
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![expired]));
    assert!(!graph.passed);
    assert_eq!(graph.findings.len(), 1);
    assert_eq!(graph.findings[0].code, "layout-expired");
    assert!(
        graph
            .nodes
            .iter()
            .all(|n| n.status == NodeStatus::NotReached && n.findings.is_empty())
    );
}

#[test]
fn a_threshold_failure_fails_its_step_and_leaves_the_others_unreached() {
    let mut warning = Diagnostic::new(
        Code::CommandMismatch,
        "step 'build': command differs",
        item("build", ItemKind::Step),
    );
    warning.subject.link_file = Some("build.b0b0b0b0.link".into());
    let missing = Diagnostic::new(
        Code::ThresholdNotMet,
        "step 'package' needs 2 links",
        item("package", ItemKind::Step),
    );
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![missing, warning]));
    assert_eq!(
        statuses(&graph),
        [
            ("clone", NodeStatus::NotReached),
            // Its rules were never checked: a warning does not make it pass.
            ("build", NodeStatus::NotReached),
            ("package", NodeStatus::Failed),
            ("untar", NodeStatus::NotReached),
        ]
    );
}

#[test]
fn a_failing_inspection_rule_leaves_every_step_passed() {
    let mut subject = item("untar", ItemKind::Inspection);
    subject.rule = Some(RuleSubject::new(ArtifactType::Materials, 1, "DISALLOW *"));
    let d = Diagnostic::new(Code::RuleDisallowMatched, "matched", subject);
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![d]));
    assert_eq!(
        statuses(&graph),
        [
            ("clone", NodeStatus::Passed),
            ("build", NodeStatus::Passed),
            ("package", NodeStatus::Passed),
            ("untar", NodeStatus::Failed),
        ]
    );
}

#[test]
fn a_sublayout_finding_goes_to_the_step_it_stands_for() {
    let mut subject = item("package", ItemKind::Step);
    subject.sublayout = vec!["build.b0b0b0b0".into()];
    let d = Diagnostic::new(
        Code::ThresholdNotMet,
        "step 'package' needs a link",
        subject,
    );
    let graph = ChainGraph::from_layout("root.layout", &layout(), &verdict(vec![d]));
    let build = graph.node_named("build").unwrap();
    assert_eq!(build.status, NodeStatus::Failed);
    assert_eq!(
        build.findings[0].message,
        "in sublayout build.b0b0b0b0: step 'package' needs a link"
    );
    // The root's package has nothing to do with the sublayout's.
    let package = graph.node_named("package").unwrap();
    assert!(package.findings.is_empty());
    assert_eq!(package.status, NodeStatus::NotReached);
}

#[test]
fn a_finding_about_an_unknown_item_stays_on_the_graph() {
    let d = Diagnostic::new(
        Code::ThresholdNotMet,
        "step 'deploy' needs a link",
        item("deploy", ItemKind::Step),
    );
    let graph = ChainGraph::new("policy.yaml", GraphKind::Policy)
        .node(GraphNode::new("build", NodeKind::Step).evidence(["https://slsa.dev/provenance/v1"]));
    let mut graph = graph;
    graph.apply(&verdict(vec![d]));
    assert_eq!(graph.findings.len(), 1);
    // A policy's thresholds do not stop its other checks: build was checked.
    assert_eq!(graph.nodes[0].status, NodeStatus::Passed);
    // A binding error does stop them.
    let d = Diagnostic::new(
        Code::BindingAmbiguous,
        "x: the attestation could be for steps build, deploy",
        Subject::default(),
    );
    graph.apply(&verdict(vec![d]));
    assert_eq!(graph.nodes[0].status, NodeStatus::NotReached);
}

#[test]
fn findings_go_to_the_node_of_the_kind_they_name() {
    let mut layout = layout();
    layout.inspect[0].name = "build".into();
    let d = Diagnostic::new(
        Code::InspectionFailed,
        "inspection 'build' returned 1",
        item("build", ItemKind::Inspection),
    );
    let graph = ChainGraph::from_layout("root.layout", &layout, &verdict(vec![d]));
    assert_eq!(graph.nodes[1].status, NodeStatus::Passed);
    assert_eq!(graph.nodes[3].kind, NodeKind::Inspection);
    assert_eq!(graph.nodes[3].status, NodeStatus::Failed);
}
