//! A [`ChainGraph`] drawn as one self-contained HTML page: the verdict at
//! the top with the findings about no step, the supply chain as an SVG
//! graph (steps and inspections as boxes in layers along the artifact
//! flows, each marked with its status, its findings under it), then every
//! node's details in full.
//!
//! The page has inline CSS and SVG only: no script, no external resource
//! (a Content-Security-Policy says so to the browser too), nothing that
//! changes from one rendering to the next. Every string of the graph comes
//! from metadata and is escaped, with control and bidirectional-override
//! characters made visible (`\u{1b}`), as the command line prints them.
//!
//! Layout: nodes are placed in columns by the longest path along the flows
//! (edges closing a cycle are left out of that and drawn as back edges),
//! ordered in each column by where their sources are. An edge between
//! neighbouring columns bends in the left part of the gap and runs into
//! its target under its label; one that skips columns or goes back runs
//! along a lane above the graph. Text is fitted by a character count for
//! a monospace font, and each box clips what still overflows.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use intoto_model::ArtifactType;
use intoto_verify::Severity;

use crate::display::visible;

use super::graph::{ChainGraph, Finding, GraphFlow, GraphKind, GraphNode, NodeKind, NodeStatus};

/// Writes formatted text to a `String` (which cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}

/// The page.
pub fn render(graph: &ChainGraph) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let verdict = if graph.passed { "passed" } else { "failed" };
    let verdict_word = if graph.passed { "VERIFIED" } else { "FAILED" };
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    put!(
        out,
        "<meta name=\"generator\" content=\"intoto {}\">\n",
        env!("CARGO_PKG_VERSION")
    );
    put!(
        out,
        "<title>{verdict_word}: in-toto verification of {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&graph.title)
    );
    header(&mut out, graph, verdict, verdict_word);
    chain_findings(&mut out, graph);
    out.push_str("<main>\n");
    if graph.nodes.is_empty() {
        out.push_str(
            "<section class=\"graph empty\"><p>No step or inspection to draw.</p></section>\n",
        );
    } else {
        out.push_str("<section class=\"graph\">\n<h2>Supply chain</h2>\n<div class=\"scroll\">\n");
        Svg::new(graph).draw(&mut out);
        out.push_str("</div>\n");
        legend(&mut out);
        out.push_str("</section>\n");
        details(&mut out, graph);
    }
    out.push_str("</main>\n<footer>");
    put!(
        out,
        "Drawn by intoto {} from the {} and the verdict. Names, rules and messages are shown as the metadata has them; \
         the verdict above is the verifier's, this page decides nothing.",
        env!("CARGO_PKG_VERSION"),
        graph.kind.as_str()
    );
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

/// The verdict banner.
fn header(out: &mut String, graph: &ChainGraph, verdict: &str, verdict_word: &str) {
    let errors = count(graph, |f| f.severity == Severity::Error);
    let warnings = count(graph, |f| f.severity != Severity::Error);
    let steps = graph
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Step)
        .count();
    let inspections = graph.nodes.len() - steps;
    let summary = if graph.passed {
        match warnings {
            0 => "The supply chain passed every check.".to_owned(),
            n => format!(
                "The supply chain passed every check, with {}.",
                plural(n, "warning")
            ),
        }
    } else {
        format!(
            "Verification failed: {}{}.",
            plural(errors, "error"),
            if warnings > 0 {
                format!(", {}", plural(warnings, "warning"))
            } else {
                String::new()
            }
        )
    };
    put!(
        out,
        "<header class=\"verdict {verdict}\" data-verdict=\"{verdict}\">\n<div class=\"badge\">{} {verdict_word}</div>\n\
         <div class=\"what\">\n<h1>{summary}</h1>\n<p class=\"subject\">in-toto {} <code>{}</code></p>\n",
        if graph.passed { "&#x2713;" } else { "&#x2717;" },
        graph.kind.as_str(),
        esc(&graph.title)
    );
    let mut counts = vec![plural(steps, "step"), plural(inspections, "inspection")];
    for status in [
        NodeStatus::Passed,
        NodeStatus::Warned,
        NodeStatus::Failed,
        NodeStatus::NotReached,
    ] {
        let n = graph.nodes.iter().filter(|n| n.status == status).count();
        if n > 0 {
            counts.push(format!(
                "<span class=\"count {}\">{n} {}</span>",
                status.as_str(),
                status_word(status)
            ));
        }
    }
    put!(out, "<p class=\"counts\">{}</p>\n", counts.join(" &#xb7; "));
    out.push_str("</div>\n</header>\n");
}

/// The findings about no node, and the notes about the picture.
fn chain_findings(out: &mut String, graph: &ChainGraph) {
    if graph.findings.is_empty() && graph.notes.is_empty() {
        return;
    }
    let heading = match graph.kind {
        GraphKind::Layout => "Layout findings",
        _ => "Policy findings",
    };
    out.push_str("<section class=\"chain-findings\">\n");
    if !graph.findings.is_empty() {
        put!(out, "<h2>{heading}</h2>\n<ul class=\"findings\">\n");
        for finding in &graph.findings {
            finding_item(out, finding);
        }
        out.push_str("</ul>\n");
    }
    for note in &graph.notes {
        put!(out, "<p class=\"note\">{}</p>\n", esc(note));
    }
    out.push_str("</section>\n");
}

/// One finding in full.
fn finding_item(out: &mut String, f: &Finding) {
    let severity = severity_class(f.severity);
    put!(
        out,
        "<li class=\"finding {severity}\" data-code=\"{code}\"><div class=\"head\"><span class=\"sev\">{severity}</span> <code>{code}</code></div>\n\
         <div class=\"message\">{}</div>\n",
        esc(&f.message),
        code = esc(&f.code)
    );
    if let Some(rule) = &f.rule {
        put!(
            out,
            "<div class=\"rule\"><span class=\"label\">rule</span> <code>{}</code></div>\n",
            esc(rule)
        );
    }
    if !f.artifacts.is_empty() {
        out.push_str("<div class=\"artifacts\"><span class=\"label\">artifacts</span><ul>");
        for a in &f.artifacts {
            put!(out, "<li><code>{}</code></li>", esc(a));
        }
        if f.artifact_count > f.artifacts.len() {
            put!(
                out,
                "<li class=\"more\">and {} more</li>",
                f.artifact_count - f.artifacts.len()
            );
        }
        out.push_str("</ul></div>\n");
    }
    if let Some(help) = &f.help {
        put!(out, "<div class=\"help\">help: {}</div>\n", esc(help));
    }
    out.push_str("</li>\n");
}

/// What the colours and arrows mean.
fn legend(out: &mut String) {
    out.push_str("<ul class=\"legend\">\n");
    for (status, meaning) in [
        (NodeStatus::Passed, "every check ran and passed"),
        (NodeStatus::Warned, "passed, with warnings"),
        (NodeStatus::Failed, "a check failed"),
        (
            NodeStatus::NotReached,
            "verification stopped at an earlier failure before checking it to the end",
        ),
    ] {
        put!(
            out,
            "<li><span class=\"swatch {}\"></span><b>{}</b>: {meaning}</li>\n",
            status.as_str(),
            status_word(status)
        );
    }
    out.push_str(
        "<li><span class=\"arrow\"></span>artifacts flowing to a step (its MATCH rule: pattern, and the source's materials or products)</li>\n\
         <li><span class=\"arrow failed\"></span>a flow whose artifacts did not match</li>\n</ul>\n",
    );
}

/// Every node in full: who, what evidence, what flows in, what was found.
fn details(out: &mut String, graph: &ChainGraph) {
    out.push_str("<section class=\"details\">\n<h2>Steps and inspections</h2>\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let status = node.status.as_str();
        put!(
            out,
            "<article class=\"node-detail {status}\" id=\"node-{i}\" data-node=\"{}\" data-kind=\"{}\" data-status=\"{status}\">\n\
             <h3><span class=\"pill {status}\">{}</span> <span class=\"kind\">{}</span> <code>{}</code></h3>\n<dl>\n",
            esc(&node.name),
            node.kind.as_str(),
            status_word(node.status),
            node.kind.as_str(),
            esc(&node.name)
        );
        if node.kind == NodeKind::Step || !node.functionaries.is_empty() {
            let who = if node.functionaries.is_empty() {
                "none".to_owned()
            } else {
                node.functionaries
                    .iter()
                    .map(|k| format!("<code>{}</code>", esc(k)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            put!(out, "<dt>functionaries</dt><dd>{who}</dd>\n");
        }
        if !node.evidence.is_empty() {
            let evidence: Vec<String> = node
                .evidence
                .iter()
                .map(|e| format!("<code>{}</code>", esc(e)))
                .collect();
            put!(out, "<dt>evidence</dt><dd>{}</dd>\n", evidence.join("<br>"));
        }
        let incoming: Vec<&GraphFlow> = graph.flows.iter().filter(|f| f.to == node.name).collect();
        if !incoming.is_empty() {
            out.push_str("<dt>artifacts in</dt><dd><ul class=\"flows\">");
            for flow in incoming {
                flow_item(out, flow);
            }
            out.push_str("</ul></dd>\n");
        }
        out.push_str("</dl>\n");
        if node.findings.is_empty() {
            put!(out, "<p class=\"none\">{}</p>\n", no_findings(node.status));
        } else {
            out.push_str("<ul class=\"findings\">\n");
            for finding in &node.findings {
                finding_item(out, finding);
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

fn flow_item(out: &mut String, flow: &GraphFlow) {
    let failed = if flow.failed { " class=\"failed\"" } else { "" };
    put!(
        out,
        "<li{failed}><code>{}</code> from the {} of <code>{}</code>",
        esc(&flow.pattern),
        flow.artifact_type.field(),
        esc(&flow.from)
    );
    if let Some(rule) = &flow.rule {
        put!(
            out,
            " <span class=\"muted\">({} rule {}: <code>{}</code>)</span>",
            rule.list.field(),
            rule.index,
            esc(&rule.text)
        );
    }
    if flow.failed {
        out.push_str(" <b>did not match</b>");
    }
    out.push_str("</li>");
}

fn no_findings(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::NotReached => {
            "No finding: verification stopped at an earlier failure before checking it to the end."
        }
        _ => "No finding.",
    }
}

fn count(graph: &ChainGraph, pick: impl Fn(&Finding) -> bool) -> usize {
    graph
        .findings
        .iter()
        .chain(graph.nodes.iter().flat_map(|n| &n.findings))
        .filter(|f| pick(f))
        .count()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn status_word(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Passed => "passed",
        NodeStatus::Warned => "warned",
        NodeStatus::Failed => "failed",
        NodeStatus::NotReached => "not reached",
    }
}

fn status_mark(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Passed => "&#x2713; PASSED",
        NodeStatus::Warned => "! WARNED",
        NodeStatus::Failed => "&#x2717; FAILED",
        NodeStatus::NotReached => "&#x2013; NOT REACHED",
    }
}

fn severity_class(severity: Severity) -> &'static str {
    if severity == Severity::Error {
        "error"
    } else {
        "warning"
    }
}

// Geometry of the drawing, in pixels.
const MARGIN: i64 = 24;
const NODE_W: i64 = 240;
/// Between columns: edges bend in its left part and are labelled in the rest.
const GAP: i64 = 150;
const BEND: i64 = 44;
const HEADER_H: i64 = 46;
const LINE_H: i64 = 16;
const NODE_GAP_Y: i64 = 40;
const LANE_H: i64 = 12;
const LABEL_LINE_H: i64 = 12;
/// Characters of 11.5px monospace that fit in a box (220px).
const BOX_CHARS: usize = 31;
/// Characters of 11px monospace that fit in the label part of a gap.
const LABEL_CHARS: usize = 14;
/// Findings drawn under a node; the rest are in the details.
const FINDINGS_DRAWN: usize = 3;
/// Artifacts drawn per finding.
const ARTIFACTS_DRAWN: usize = 2;
/// Patterns drawn per edge label.
const PATTERNS_DRAWN: usize = 3;

/// An arrow between two nodes: the flows between them, in one.
struct Edge {
    from: usize,
    to: usize,
    flows: Vec<usize>,
    failed: bool,
    /// Closes a cycle: drawn, not used to place nodes.
    back: bool,
    /// The lane above the graph it runs along, when it skips columns or
    /// goes back.
    lane: Option<usize>,
    entry_y: i64,
    exit_y: i64,
    label: Vec<(String, &'static str)>,
}

/// One line of text in a box: its text (fitted) and CSS class.
type Line = (String, &'static str);

struct Svg<'g> {
    graph: &'g ChainGraph,
    edges: Vec<Edge>,
    /// Each node's edges in and out.
    incoming: Vec<Vec<usize>>,
    outgoing: Vec<Vec<usize>>,
    /// Self-loops: a node's rule matching its own artifacts.
    loops: Vec<(usize, Vec<usize>)>,
    column: Vec<usize>,
    columns: Vec<Vec<usize>>,
    x: Vec<i64>,
    y: Vec<i64>,
    height: Vec<i64>,
    body: Vec<Vec<Line>>,
    callout: Vec<Vec<Line>>,
    lanes: usize,
    width: i64,
    total_height: i64,
}

impl<'g> Svg<'g> {
    fn new(graph: &'g ChainGraph) -> Self {
        let n = graph.nodes.len();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            index.entry(node.name.as_str()).or_insert(i);
        }
        // One edge per pair of nodes, in the order of their first flow.
        let mut edges: Vec<Edge> = Vec::new();
        let mut loops: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut by_pair: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (f, flow) in graph.flows.iter().enumerate() {
            let (Some(&from), Some(&to)) =
                (index.get(flow.from.as_str()), index.get(flow.to.as_str()))
            else {
                continue;
            };
            if from == to {
                match loops.iter_mut().find(|(node, _)| *node == from) {
                    Some((_, flows)) => flows.push(f),
                    None => loops.push((from, vec![f])),
                }
                continue;
            }
            let e = *by_pair.entry((from, to)).or_insert_with(|| {
                edges.push(Edge {
                    from,
                    to,
                    flows: Vec::new(),
                    failed: false,
                    back: false,
                    lane: None,
                    entry_y: 0,
                    exit_y: 0,
                    label: Vec::new(),
                });
                edges.len() - 1
            });
            edges[e].flows.push(f);
            edges[e].failed |= flow.failed;
        }
        mark_back_edges(n, &mut edges);
        let column = columns_of(n, &edges);
        let mut incoming = vec![Vec::new(); n];
        let mut outgoing = vec![Vec::new(); n];
        for (i, e) in edges.iter().enumerate() {
            incoming[e.to].push(i);
            outgoing[e.from].push(i);
        }
        let mut svg = Self {
            graph,
            edges,
            incoming,
            outgoing,
            loops,
            column,
            columns: Vec::new(),
            x: vec![0; n],
            y: vec![0; n],
            height: vec![0; n],
            body: graph.nodes.iter().map(body_lines).collect(),
            callout: graph.nodes.iter().map(callout_lines).collect(),
            lanes: 0,
            width: 0,
            total_height: 0,
        };
        for e in &mut svg.edges {
            e.label = label_lines(graph, &e.flows);
        }
        svg.order_columns();
        svg.assign_lanes();
        svg.place();
        svg
    }

    /// Columns top to bottom: the first by the graph's order, each next
    /// one by the mean position of each node's sources.
    fn order_columns(&mut self) {
        let count = self.column.iter().copied().max().map_or(0, |c| c + 1);
        let mut columns: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (node, &c) in self.column.iter().enumerate() {
            columns[c].push(node);
        }
        let mut position = vec![0usize; self.column.len()];
        for (c, column) in columns.iter_mut().enumerate() {
            if c > 0 {
                let mut keyed: Vec<(f64, usize)> = column
                    .iter()
                    .map(|&node| {
                        let sources: Vec<f64> = self.incoming[node]
                            .iter()
                            .map(|&e| &self.edges[e])
                            .filter(|e| !e.back)
                            .map(|e| position[e.from] as f64)
                            .collect();
                        let key = if sources.is_empty() {
                            f64::MAX
                        } else {
                            sources.iter().sum::<f64>() / sources.len() as f64
                        };
                        (key, node)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                *column = keyed.into_iter().map(|(_, node)| node).collect();
            }
            for (p, &node) in column.iter().enumerate() {
                position[node] = p;
            }
        }
        self.columns = columns;
    }

    /// Lanes for the edges that skip columns or go back: each its own
    /// stretch of a lane, shared where stretches do not overlap.
    fn assign_lanes(&mut self) {
        let mut spans: Vec<(i64, i64, usize)> = self
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.back || self.column[e.to] != self.column[e.from] + 1)
            .map(|(i, e)| {
                let (a, b) = (self.column[e.from] as i64, self.column[e.to] as i64);
                (a.min(b), a.max(b), i)
            })
            .collect();
        spans.sort_unstable();
        let mut lane_end: Vec<i64> = Vec::new();
        for (start, end, e) in spans {
            let lane = match lane_end.iter().position(|&last| last < start) {
                Some(lane) => lane,
                None => {
                    lane_end.push(i64::MIN);
                    lane_end.len() - 1
                }
            };
            lane_end[lane] = end;
            self.edges[e].lane = Some(lane);
        }
        self.lanes = lane_end.len();
    }

    /// Positions and heights of the nodes, and where edges leave and enter.
    fn place(&mut self) {
        let n = self.graph.nodes.len();
        // Incoming labels stack down a node's left side: it is at least as
        // tall as they are.
        let mut label_stack = vec![10i64; n];
        for e in &self.edges {
            label_stack[e.to] += e.label.len() as i64 * LABEL_LINE_H + 10;
        }
        for ((height, body), stack) in self.height.iter_mut().zip(&self.body).zip(&label_stack) {
            let content = HEADER_H + 10 + body.len() as i64 * LINE_H;
            *height = content.max(stack + 6);
        }
        let into_first = self.edges.iter().any(|e| self.column[e.to] == 0);
        let x0 = MARGIN + if into_first { GAP } else { 0 };
        let top = MARGIN + 14 + self.lanes as i64 * LANE_H + if self.lanes > 0 { 12 } else { 0 };
        let mut bottom = top;
        for (c, nodes) in self.columns.iter().enumerate() {
            let mut y = top;
            for &node in nodes {
                self.x[node] = x0 + c as i64 * (NODE_W + GAP);
                self.y[node] = y;
                y += self.height[node] + callout_height(&self.callout[node]) + NODE_GAP_Y;
            }
            bottom = bottom.max(y - NODE_GAP_Y);
        }
        self.width = x0 + self.columns.len() as i64 * (NODE_W + GAP) - GAP + MARGIN + 20;
        self.total_height = bottom + MARGIN;

        // Entries: down the target's left side, ordered by where the
        // sources are.
        for node in 0..n {
            let mut incoming = self.incoming[node].clone();
            incoming.sort_by_key(|&e| {
                let from = self.edges[e].from;
                (self.y[from] + self.height[from] / 2, self.x[from])
            });
            let mut y = self.y[node] + 10;
            for e in incoming {
                y += self.edges[e].label.len() as i64 * LABEL_LINE_H + 4;
                self.edges[e].entry_y = y;
                y += 6;
            }
        }
        // Exits: spread over the source's right side, ordered by entry.
        for node in 0..n {
            let mut outgoing = self.outgoing[node].clone();
            outgoing.sort_by_key(|&e| (self.edges[e].lane.is_none(), self.edges[e].entry_y));
            let k = outgoing.len() as i64;
            for (i, e) in outgoing.into_iter().enumerate() {
                self.edges[e].exit_y = self.y[node] + self.height[node] * (i as i64 + 1) / (k + 1);
            }
        }
    }

    fn draw(&self, out: &mut String) {
        put!(
            out,
            "<svg class=\"chain\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             style=\"min-width: {min}px\" role=\"img\" aria-label=\"the supply chain: steps and inspections, and the artifacts flowing between them\">\n",
            w = self.width,
            h = self.total_height,
            min = self.width.min(960)
        );
        out.push_str(
            "<defs>\
             <marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker>\
             <marker id=\"arrow-failed\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead failed\"/></marker>\
             </defs>\n",
        );
        out.push_str("<g class=\"edges\">\n");
        for e in &self.edges {
            self.draw_edge(out, e);
        }
        for (node, flows) in &self.loops {
            self.draw_loop(out, *node, flows);
        }
        out.push_str("</g>\n<g class=\"labels\">\n");
        for e in &self.edges {
            self.draw_label(out, e);
        }
        out.push_str("</g>\n<g class=\"nodes\">\n");
        for node in 0..self.graph.nodes.len() {
            self.draw_node(out, node);
        }
        out.push_str("</g>\n</svg>\n");
    }

    fn draw_edge(&self, out: &mut String, e: &Edge) {
        let (sx, sy) = (self.x[e.from] + NODE_W, e.exit_y);
        let (tx, ty) = (self.x[e.to], e.entry_y);
        let bend_end = tx - GAP + BEND;
        let d = match e.lane {
            None => {
                let mid = (sx + bend_end) / 2;
                format!("M{sx},{sy} C{mid},{sy} {mid},{ty} {bend_end},{ty} H{tx}")
            }
            Some(lane) => {
                let shift = (lane % 5) as i64 * 7;
                let rise = sx + 12 + shift;
                let lane_y = MARGIN + 6 + lane as i64 * LANE_H;
                let drop = tx - GAP + 14 + shift;
                format!("M{sx},{sy} H{rise} V{lane_y} H{drop} V{ty} H{tx}")
            }
        };
        let mut class = String::from("edge");
        if e.failed {
            class.push_str(" failed");
        }
        if e.back {
            class.push_str(" back");
        }
        let marker = if e.failed { "arrow-failed" } else { "arrow" };
        let title: Vec<String> = e
            .flows
            .iter()
            .map(|&f| esc(&flow_title(&self.graph.flows[f])))
            .collect();
        put!(
            out,
            "<path class=\"{class}\" d=\"{d}\" marker-end=\"url(#{marker})\" data-from=\"{}\" data-to=\"{}\"><title>{}</title></path>\n",
            esc(&self.graph.nodes[e.from].name),
            esc(&self.graph.nodes[e.to].name),
            title.join("&#10;")
        );
    }

    fn draw_loop(&self, out: &mut String, node: usize, flows: &[usize]) {
        let (x, y) = (self.x[node] + NODE_W, self.y[node]);
        let failed = flows.iter().any(|&f| self.graph.flows[f].failed);
        let title: Vec<String> = flows
            .iter()
            .map(|&f| esc(&flow_title(&self.graph.flows[f])))
            .collect();
        put!(
            out,
            "<path class=\"edge{}\" d=\"M{},{y} C{},{} {},{} {x},{}\" marker-end=\"url(#{})\"><title>{}</title></path>\n",
            if failed { " failed" } else { "" },
            x - 44,
            x - 44,
            y - 30,
            x + 30,
            y + 18,
            y + 18,
            if failed { "arrow-failed" } else { "arrow" },
            title.join("&#10;")
        );
    }

    fn draw_label(&self, out: &mut String, e: &Edge) {
        let x = self.x[e.to] - 8;
        let n = e.label.len() as i64;
        for (i, (text, class)) in e.label.iter().enumerate() {
            let y = e.entry_y - 5 - (n - 1 - i as i64) * LABEL_LINE_H;
            let class = if e.failed && *class == "pattern" {
                "pattern failed"
            } else {
                class
            };
            put!(
                out,
                "<text class=\"flow-label {class}\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\">{}</text>\n",
                html(text)
            );
        }
    }

    fn draw_node(&self, out: &mut String, i: usize) {
        let node = &self.graph.nodes[i];
        let (x, y, h) = (self.x[i], self.y[i], self.height[i]);
        let status = node.status.as_str();
        put!(
            out,
            "<a href=\"#node-{i}\"><g class=\"node {status}\" data-node=\"{}\" data-kind=\"{}\" data-status=\"{status}\">\n\
             <title>{} {}: {}</title>\n",
            esc(&node.name),
            node.kind.as_str(),
            node.kind.as_str(),
            esc(&node.name),
            status_word(node.status)
        );
        put!(
            out,
            "<svg x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{h}\" overflow=\"hidden\">\n\
             <rect class=\"fill\" x=\"0\" y=\"0\" width=\"{NODE_W}\" height=\"{h}\" rx=\"8\"/>\n\
             <path class=\"band\" d=\"M0,8 a8,8 0 0 1 8,-8 H{} a8,8 0 0 1 8,8 V{HEADER_H} H0 Z\"/>\n\
             <text class=\"kind\" x=\"10\" y=\"16\">{}</text>\n\
             <text class=\"mark\" x=\"{}\" y=\"16\" text-anchor=\"end\">{}</text>\n\
             <text class=\"name\" x=\"10\" y=\"36\">{}</text>\n",
            NODE_W - 8,
            node.kind.as_str().to_uppercase(),
            NODE_W - 10,
            status_mark(node.status),
            html(&fit(&visible(&node.name), 24))
        );
        for (l, (text, class)) in self.body[i].iter().enumerate() {
            put!(
                out,
                "<text class=\"{class}\" x=\"10\" y=\"{}\">{}</text>\n",
                HEADER_H + 18 + l as i64 * LINE_H,
                html(text)
            );
        }
        put!(
            out,
            "<rect class=\"frame\" x=\"0.75\" y=\"0.75\" width=\"{}\" height=\"{}\" rx=\"8\"/>\n</svg>\n",
            NODE_W as f64 - 1.5,
            h as f64 - 1.5
        );
        let lines = &self.callout[i];
        if !lines.is_empty() {
            let ch = callout_height(lines) - 6;
            put!(
                out,
                "<svg class=\"callout\" x=\"{x}\" y=\"{}\" width=\"{NODE_W}\" height=\"{ch}\" overflow=\"hidden\">\n\
                 <rect class=\"callout-box\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" rx=\"6\"/>\n",
                y + h + 6,
                NODE_W - 1,
                ch - 1
            );
            for (l, (text, class)) in lines.iter().enumerate() {
                put!(
                    out,
                    "<text class=\"{class}\" x=\"10\" y=\"{}\">{}</text>\n",
                    18 + l as i64 * LINE_H,
                    html(text)
                );
            }
            out.push_str("</svg>\n");
        }
        out.push_str("</g></a>\n");
    }
}

/// Marks the edges that close a cycle: those reaching a node still being
/// explored by a depth-first walk in the graph's order (no recursion, so
/// a long chain cannot exhaust the stack).
fn mark_back_edges(n: usize, edges: &mut [Edge]) {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        out[e.from].push(i);
    }
    // 0: not seen; 1: being explored; 2: done.
    let mut state = vec![0u8; n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(top) = stack.len().checked_sub(1) {
            let (node, next) = stack[top];
            match out[node].get(next) {
                Some(&e) => {
                    stack[top].1 += 1;
                    let to = edges[e].to;
                    match state[to] {
                        0 => {
                            state[to] = 1;
                            stack.push((to, 0));
                        }
                        1 => edges[e].back = true,
                        _ => {}
                    }
                }
                None => {
                    state[node] = 2;
                    stack.pop();
                }
            }
        }
    }
}

/// Each node's column: the longest path to it along the edges that are
/// not back edges.
fn columns_of(n: usize, edges: &[Edge]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges.iter().filter(|e| !e.back) {
        indegree[e.to] += 1;
        out[e.from].push(e.to);
    }
    let mut column = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
    while let Some(node) = ready.pop() {
        for &to in &out[node] {
            column[to] = column[to].max(column[node] + 1);
            indegree[to] -= 1;
            if indegree[to] == 0 {
                ready.push(to);
            }
        }
    }
    column
}

/// The lines in a node's box: functionaries, evidence.
fn body_lines(node: &GraphNode) -> Vec<Line> {
    let mut lines = Vec::new();
    if node.kind == NodeKind::Step || !node.functionaries.is_empty() {
        if node.functionaries.is_empty() {
            lines.push(("keys: none".to_owned(), "muted"));
        } else {
            let keys: Vec<String> = node
                .functionaries
                .iter()
                .map(|k| visible(k).into_owned())
                .collect();
            for (i, line) in wrap(&keys.join(" "), BOX_CHARS - 6, 2)
                .into_iter()
                .enumerate()
            {
                let prefix = if i == 0 { "keys: " } else { "      " };
                lines.push((format!("{prefix}{line}"), "body"));
            }
        }
    }
    let shown = node.evidence.len().min(4);
    for e in &node.evidence[..shown] {
        lines.push((fit(&visible(e), BOX_CHARS), "body evidence"));
    }
    if node.evidence.len() > shown {
        lines.push((format!("and {} more", node.evidence.len() - shown), "muted"));
    }
    lines
}

/// The lines under a node: its findings, shortened (in full in the
/// details).
fn callout_lines(node: &GraphNode) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for f in node.findings.iter().take(FINDINGS_DRAWN) {
        let (mark, class) = if f.severity == Severity::Error {
            ("\u{2717} error", "fhead error")
        } else {
            ("! warning", "fhead warning")
        };
        lines.push((
            fit(&format!("{mark} {}", visible(&f.code)), BOX_CHARS),
            class,
        ));
        if let Some(rule) = &f.rule {
            lines.push((fit(&format!("rule: {}", visible(rule)), BOX_CHARS), "frule"));
        }
        for a in f.artifacts.iter().take(ARTIFACTS_DRAWN) {
            for (i, line) in wrap(&visible(a), BOX_CHARS - 2, 3).into_iter().enumerate() {
                let bullet = if i == 0 { "\u{2022} " } else { "  " };
                lines.push((format!("{bullet}{line}"), "fartifact"));
            }
        }
        let drawn = f.artifacts.len().min(ARTIFACTS_DRAWN);
        if f.artifact_count > drawn {
            lines.push((format!("  and {} more", f.artifact_count - drawn), "fmuted"));
        }
        for line in wrap(&visible(&f.message), BOX_CHARS, 2) {
            lines.push((line, "fmessage"));
        }
    }
    if node.findings.len() > FINDINGS_DRAWN {
        lines.push((
            format!(
                "{} more below",
                plural(node.findings.len() - FINDINGS_DRAWN, "finding")
            ),
            "fmuted",
        ));
    }
    lines
}

fn callout_height(lines: &[Line]) -> i64 {
    if lines.is_empty() {
        0
    } else {
        lines.len() as i64 * LINE_H + 14 + 6
    }
}

/// An edge's label: each distinct pattern, with the artifacts of the
/// source it is about (`PRODUCTS` or `MATERIALS`).
fn label_lines(graph: &ChainGraph, flows: &[usize]) -> Vec<Line> {
    let mut kinds: Vec<(&str, ArtifactType)> = Vec::new();
    for &f in flows {
        let flow = &graph.flows[f];
        let kind = (flow.pattern.as_str(), flow.artifact_type);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let mut lines = Vec::new();
    for (pattern, artifact_type) in kinds.iter().take(PATTERNS_DRAWN) {
        lines.push((fit(&visible(pattern), LABEL_CHARS), "pattern"));
        lines.push((artifact_type.keyword().to_owned(), "type"));
    }
    if kinds.len() > PATTERNS_DRAWN {
        lines.push((format!("and {} more", kinds.len() - PATTERNS_DRAWN), "type"));
    }
    lines
}

/// A flow's tooltip: its rule, or what it says.
fn flow_title(flow: &GraphFlow) -> String {
    let what = match &flow.rule {
        Some(rule) => format!("{} rule {}: {}", rule.list.field(), rule.index, rule.text),
        None => format!(
            "{} of {} matching {}",
            flow.artifact_type.field(),
            flow.from,
            flow.pattern
        ),
    };
    let failed = if flow.failed { " (did not match)" } else { "" };
    format!("{} {what}{failed}", flow.to)
}

/// `text` cut to `chars` characters, with `…` when cut.
fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut.push('\u{2026}');
    cut
}

/// `text` in lines of at most `chars` characters, broken at spaces where
/// there are any, at most `max` lines (the last ending with `…` when
/// something is left out).
fn wrap(text: &str, chars: usize, max: usize) -> Vec<String> {
    let chars = chars.max(2);
    let mut lines: Vec<String> = Vec::new();
    let mut line: Vec<char> = Vec::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(!line.is_empty());
            if line.len() + sep + word.len() <= chars {
                if sep == 1 {
                    line.push(' ');
                }
                line.append(&mut word);
                break;
            }
            if line.len() + sep >= chars || (!line.is_empty() && word.len() <= chars) {
                lines.push(line.drain(..).collect());
                continue;
            }
            // A word longer than a line: its head fills this one.
            let room = chars - line.len() - sep;
            if sep == 1 {
                line.push(' ');
            }
            line.extend(word.drain(..room));
            lines.push(line.drain(..).collect());
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line.into_iter().collect());
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let mut kept: Vec<char> = last.chars().collect();
            kept.truncate(chars - 1);
            kept.push('\u{2026}');
            *last = kept.into_iter().collect();
        }
    }
    lines
}

/// `text` escaped for HTML text and attribute values.
fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A string from the graph, made visible and escaped.
fn esc(text: &str) -> String {
    html(&visible(text))
}

const CSS: &str = r#"
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5; --fail: #cf222e; --fail-bg: #ffebe9;
  --skip: #6e7781; --skip-bg: #eef1f4; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --paper: #ffffff;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 var(--sans); color: var(--ink); background: #f6f8fa; }
code { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
header.verdict { display: flex; gap: 20px; align-items: center; padding: 20px 28px; color: #fff; }
header.verdict.passed { background: var(--pass); }
header.verdict.failed { background: var(--fail); }
header .badge { font-size: 30px; font-weight: 800; letter-spacing: .04em; padding: 8px 18px; border: 3px solid #fff; border-radius: 10px; white-space: nowrap; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; }
header code { font-size: 14px; background: rgba(255,255,255,.18); padding: 1px 6px; border-radius: 4px; }
header .counts .count { font-weight: 600; }
main, .chain-findings, footer { padding: 0 28px; }
h2 { font-size: 16px; margin: 22px 0 10px; }
.chain-findings { background: var(--fail-bg); border-bottom: 1px solid #ffcecb; padding-top: 2px; padding-bottom: 14px; }
.chain-findings .note { color: var(--muted); font-style: italic; }
.graph .scroll { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 6px; }
svg.chain { display: block; max-width: 100%; height: auto; font-family: var(--sans); }
svg.chain a { text-decoration: none; }
.node .fill { fill: #fff; }
.node .frame { fill: none; stroke: var(--skip); stroke-width: 1.5; }
.node .band { fill: var(--skip-bg); }
.node.passed .frame { stroke: var(--pass); } .node.passed .band { fill: var(--pass-bg); } .node.passed .mark { fill: var(--pass); }
.node.warned .frame { stroke: var(--warn); } .node.warned .band { fill: var(--warn-bg); } .node.warned .mark { fill: var(--warn); }
.node.failed .frame { stroke: var(--fail); stroke-width: 3; } .node.failed .band { fill: var(--fail-bg); } .node.failed .mark { fill: var(--fail); }
.node.not-reached .frame { stroke-dasharray: 5 4; } .node.not-reached .mark { fill: var(--skip); }
.node .kind { font-size: 10px; font-weight: 700; letter-spacing: .08em; fill: var(--muted); }
.node .mark { font-size: 10.5px; font-weight: 800; letter-spacing: .04em; }
.node .name { font-size: 15px; font-weight: 700; fill: var(--ink); }
.node .body, .node .muted { font-family: var(--mono); font-size: 11.5px; fill: var(--ink); }
.node .muted { fill: var(--muted); }
.node:hover .frame { stroke-width: 3; }
.callout-box { fill: #fff; stroke: var(--warn); stroke-width: 1; }
.node.failed .callout-box { fill: #fff7f6; stroke: var(--fail); }
.node.warned .callout-box { fill: #fffdf0; }
.callout text { font-family: var(--mono); font-size: 11.5px; fill: var(--ink); }
.callout .fhead { font-weight: 700; }
.callout .fhead.error { fill: var(--fail); } .callout .fhead.warning { fill: var(--warn); }
.callout .frule { font-weight: 700; }
.callout .fmessage, .callout .fmuted { fill: var(--muted); }
.edge { fill: none; stroke: #8c959f; stroke-width: 1.6; stroke-linejoin: round; }
.edge.failed { stroke: var(--fail); stroke-width: 2.4; stroke-dasharray: 7 4; }
.edge.back { stroke-dasharray: 3 3; }
.arrowhead { fill: #8c959f; } .arrowhead.failed { fill: var(--fail); }
.flow-label { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
.flow-label.pattern { font-family: var(--mono); font-size: 11px; font-weight: 600; fill: var(--ink); }
.flow-label.pattern.failed { fill: var(--fail); }
.flow-label.type { font-size: 9.5px; letter-spacing: .04em; fill: var(--muted); }
.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 6px 22px; color: var(--muted); font-size: 13px; }
.legend .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; border: 2px solid var(--skip); background: var(--skip-bg); vertical-align: -2px; margin-right: 6px; }
.legend .swatch.passed { border-color: var(--pass); background: var(--pass-bg); }
.legend .swatch.warned { border-color: var(--warn); background: var(--warn-bg); }
.legend .swatch.failed { border-color: var(--fail); background: var(--fail-bg); }
.legend .swatch.not-reached { border-style: dashed; }
.legend .arrow { display: inline-block; width: 26px; border-top: 2px solid #8c959f; vertical-align: middle; margin-right: 6px; }
.legend .arrow.failed { border-top: 2px dashed var(--fail); }
.details { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 14px; }
.details h2 { grid-column: 1 / -1; margin-bottom: 0; }
.node-detail { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--skip); border-radius: 8px; padding: 10px 16px; }
.node-detail.passed { border-left-color: var(--pass); } .node-detail.warned { border-left-color: var(--warn); }
.node-detail.failed { border-left-color: var(--fail); }
.node-detail h3 { margin: 2px 0 8px; font-size: 15px; }
.node-detail h3 code { font-size: 15px; }
.node-detail .kind { color: var(--muted); font-weight: 400; }
.pill { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--skip); vertical-align: 2px; }
.pill.passed { background: var(--pass); } .pill.warned { background: var(--warn); } .pill.failed { background: var(--fail); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
dt { color: var(--muted); } dd { margin: 0; }
ul.flows { margin: 0; padding-left: 16px; } ul.flows li.failed { color: var(--fail); }
.muted, .none { color: var(--muted); }
ul.findings { list-style: none; padding: 0; margin: 6px 0; }
.finding { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 6px 10px; margin: 6px 0; border-radius: 0 6px 6px 0; }
.finding.error { border-left-color: var(--fail); background: var(--fail-bg); }
.finding .sev { font-weight: 800; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
.finding.error .sev { color: var(--fail); } .finding.warning .sev { color: var(--warn); }
.finding .message { margin: 2px 0; overflow-wrap: anywhere; }
.finding .label { color: var(--muted); margin-right: 6px; }
.finding .artifacts ul { margin: 0; padding-left: 18px; }
.finding .help { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; padding-top: 18px; padding-bottom: 24px; }
"#;

#[cfg(test)]
mod tests;
