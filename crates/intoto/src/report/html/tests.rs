//! The HTML page: hostile names come out escaped, statuses and findings
//! are where they belong, the layering tolerates cycles, nothing external.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use intoto_verify::{Code, Diagnostic, RuleSubject, Subject, Verdict};

use super::*;
use crate::report::graph::{FlowRule, GraphFlow, GraphNode};

fn chain(names: &[&str]) -> ChainGraph {
    let mut graph = ChainGraph::new("root.layout", GraphKind::Layout);
    for name in names {
        graph = graph.node(GraphNode::new(*name, NodeKind::Step).functionaries(["ab12cd34"]));
    }
    for pair in names.windows(2) {
        graph = graph.flow(GraphFlow::new(
            pair[0],
            pair[1],
            ArtifactType::Products,
            "*",
        ));
    }
    graph
}

fn failing_rule(item: &str) -> Diagnostic {
    let mut subject = Subject::default();
    subject.item = Some(item.to_owned());
    subject.item_kind = Some(intoto_verify::ItemKind::Step);
    subject.rule = Some(RuleSubject::new(ArtifactType::Materials, 1, "DISALLOW *"));
    subject.artifacts = vec![intoto_verify::ArtifactSubject::new("build/hello", None)];
    subject.artifact_count = 7;
    Diagnostic::new(
        Code::RuleDisallowMatched,
        format!("step '{item}': materials rule 1 (DISALLOW *) matched 7 artifacts"),
        subject,
    )
}

fn verdict(diagnostics: Vec<Diagnostic>) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.diagnostics = diagnostics;
    verdict
}

#[test]
fn hostile_names_come_out_escaped() {
    let evil = "<script>alert(1)</script>";
    let quote = "x\" onmouseover=\"alert(1)";
    let mut graph = ChainGraph::new("<b>root</b>.layout", GraphKind::Layout)
        .node(
            GraphNode::new(evil, NodeKind::Step)
                .functionaries(["<img src=x>"])
                .evidence(["a&b.link"]),
        )
        .node(GraphNode::new(quote, NodeKind::Inspection))
        .flow(GraphFlow::new(
            evil,
            quote,
            ArtifactType::Products,
            "</text><script>",
        ));
    let mut d = failing_rule(evil);
    d.message = "matched '<svg onload=alert(1)>'".into();
    graph.apply(&verdict(vec![d]));
    let page = render(&graph);
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains("<svg onload"), "{page}");
    assert!(!page.contains("<b>root"), "{page}");
    assert!(!page.contains("onmouseover=\"alert"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        page.contains("data-node=\"x&quot; onmouseover=&quot;alert(1)\""),
        "{page}"
    );
    assert!(page.contains("&lt;/text&gt;&lt;script&gt;"), "{page}");
    assert!(page.contains("a&amp;b.link"), "{page}");
}

#[test]
fn control_and_bidi_characters_are_made_visible() {
    let mut graph = ChainGraph::new("root.layout", GraphKind::Layout).node(GraphNode::new(
        "build\u{202e}kcab\nx\u{1b}[2K",
        NodeKind::Step,
    ));
    graph.apply(&Verdict::default());
    let page = render(&graph);
    assert!(page.contains("build\\u{202e}kcab\\nx\\u{1b}[2K"), "{page}");
    assert!(!page.contains('\u{202e}'));
    assert!(!page.contains('\u{1b}'));
}

#[test]
fn the_page_loads_nothing_and_runs_nothing() {
    let mut graph = chain(&["a", "b"]);
    graph.apply(&verdict(vec![failing_rule("b")]));
    let page = render(&graph);
    assert!(!page.contains("<script"));
    assert!(!page.contains(" src="));
    assert!(!page.contains("<link"));
    assert!(!page.contains("url(http"));
    assert!(!page.contains("@import"));
    // The one URL is the SVG namespace, which is not fetched.
    assert_eq!(page.matches("http://").count(), 1, "{page}");
    assert!(!page.contains("https://"));
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    assert_eq!(page, render(&graph), "rendering is deterministic");
}

#[test]
fn statuses_findings_and_the_verdict_are_on_the_page() {
    let mut graph = chain(&["clone", "build", "package"]);
    graph.flows[1].rule = Some(FlowRule::new(
        ArtifactType::Materials,
        0,
        "MATCH * WITH PRODUCTS FROM build",
    ));
    graph.apply(&verdict(vec![failing_rule("package")]));
    assert!(graph.flows[1].failed);
    let page = render(&graph);
    assert!(page.contains("data-verdict=\"failed\""));
    assert!(page.contains("FAILED"));
    for (name, status) in [
        ("clone", "passed"),
        ("build", "passed"),
        ("package", "failed"),
    ] {
        let svg = format!(
            "class=\"node {status}\" data-node=\"{name}\" data-kind=\"step\" data-status=\"{status}\""
        );
        assert!(page.contains(&svg), "{name}: {page}");
        let detail = format!("data-node=\"{name}\" data-kind=\"step\" data-status=\"{status}\"");
        assert_eq!(page.matches(&detail).count(), 2, "{name}");
    }
    // In the graph under the step, and in full in its details.
    assert!(page.contains(">rule: DISALLOW *</text>"), "{page}");
    assert!(page.contains("\u{2022} build/hello</text>"), "{page}");
    assert!(page.contains("  and 6 more</text>"), "{page}");
    assert!(page.contains("<code>rule-disallow-matched</code>"));
    assert!(page.contains("<li class=\"more\">and 6 more</li>"));
    assert!(page.contains("class=\"edge failed\""));
    assert!(page.contains("did not match"));
}

#[test]
fn a_passing_graph_says_verified() {
    let mut graph = chain(&["a", "b"]);
    graph.apply(&Verdict::default());
    let page = render(&graph);
    assert!(page.contains("data-verdict=\"passed\""));
    assert!(page.contains("VERIFIED"));
    assert!(!page.contains("data-status=\"failed\""));
}

#[test]
fn layout_findings_and_notes_are_at_the_top() {
    let mut graph = ChainGraph::new("root.layout", GraphKind::Layout)
        .note("The layout could not be read to draw its steps.");
    graph.apply(&verdict(vec![Diagnostic::new(
        Code::LayoutSignatureInvalid,
        "the layout's signature by ab12cd34 does not verify",
        Subject::default(),
    )]));
    let page = render(&graph);
    let findings = page.find("Layout findings").unwrap();
    assert!(findings < page.find("<main>").unwrap());
    assert!(page.contains("layout-signature-invalid"));
    assert!(page.contains("could not be read to draw its steps"));
    assert!(page.contains("No step or inspection to draw."));
}

fn svg(graph: &ChainGraph) -> Svg<'_> {
    Svg::new(graph)
}

#[test]
fn nodes_are_layered_along_the_flows() {
    // a → b → d, a → c → d, a → d: d is two columns after a.
    let graph = ChainGraph::new("x", GraphKind::Layout)
        .node(GraphNode::new("d", NodeKind::Inspection))
        .node(GraphNode::new("a", NodeKind::Step))
        .node(GraphNode::new("b", NodeKind::Step))
        .node(GraphNode::new("c", NodeKind::Step))
        .flow(GraphFlow::new("a", "b", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("a", "c", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("b", "d", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("c", "d", ArtifactType::Materials, "*"))
        .flow(GraphFlow::new("a", "d", ArtifactType::Products, "x"))
        .flow(GraphFlow::new("nowhere", "d", ArtifactType::Products, "y"));
    let s = svg(&graph);
    assert_eq!(s.column, [2, 0, 1, 1]);
    assert_eq!(s.columns, [vec![1], vec![2, 3], vec![0]]);
    // a → d skips a column: it runs along a lane.
    let skip = s.edges.iter().find(|e| e.from == 1 && e.to == 0).unwrap();
    assert_eq!(skip.lane, Some(0));
    assert_eq!(s.lanes, 1);
    assert!(s.edges.iter().filter(|e| e.lane.is_none()).count() == 4);
    // The entries into d do not overlap: each label sits above its own.
    let mut entries: Vec<i64> = s
        .edges
        .iter()
        .filter(|e| e.to == 0)
        .map(|e| e.entry_y)
        .collect();
    entries.sort_unstable();
    for pair in entries.windows(2) {
        assert!(pair[1] - pair[0] >= 2 * LABEL_LINE_H, "{entries:?}");
    }
    assert!(*entries.last().unwrap() < s.y[0] + s.height[0]);
}

#[test]
fn cycles_and_self_loops_are_drawn_without_looping() {
    let graph = ChainGraph::new("x", GraphKind::Layout)
        .node(GraphNode::new("a", NodeKind::Step))
        .node(GraphNode::new("b", NodeKind::Step))
        .node(GraphNode::new("c", NodeKind::Step))
        .flow(GraphFlow::new("a", "b", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("b", "c", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("c", "a", ArtifactType::Products, "*"))
        .flow(GraphFlow::new("b", "b", ArtifactType::Materials, "*"));
    let s = svg(&graph);
    assert_eq!(s.column, [0, 1, 2]);
    let back: Vec<(usize, usize)> = s
        .edges
        .iter()
        .filter(|e| e.back)
        .map(|e| (e.from, e.to))
        .collect();
    assert_eq!(back, [(2, 0)]);
    assert_eq!(s.loops, [(1, vec![3])]);
    // An edge into the first column: room is left for it.
    assert_eq!(s.x[0], MARGIN + GAP);
    let page = render(&graph);
    assert!(page.contains("class=\"edge back\""));
}

#[test]
fn a_long_chain_is_laid_out_without_recursion() {
    let names: Vec<String> = (0..5000).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let graph = chain(&refs);
    let s = svg(&graph);
    assert_eq!(s.column[4999], 4999);
}

#[test]
fn text_is_fitted_and_wrapped() {
    assert_eq!(fit("build/hello", 20), "build/hello");
    assert_eq!(fit("abcdefghij", 5), "abcd\u{2026}");
    assert_eq!(
        wrap("step 'package': materials rule 1", 16, 5),
        ["step 'package':", "materials rule 1"]
    );
    assert_eq!(wrap("abcdefghijkl", 5, 5), ["abcde", "fghij", "kl"]);
    assert_eq!(wrap("ab abcdefghijkl", 5, 5), ["ab ab", "cdefg", "hijkl"]);
    assert_eq!(wrap("a b c d e f", 3, 2), ["a b", "c \u{2026}"]);
    assert_eq!(wrap("", 10, 2), [""]);
    for text in ["x  y", "   ", "ü ü ü üüüüüüüüüüüüüü"] {
        for line in wrap(text, 4, 10) {
            assert!(line.chars().count() <= 4, "{text:?}: {line:?}");
        }
    }
}
