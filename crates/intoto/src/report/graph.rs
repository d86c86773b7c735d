//! The picture of a verification as a neutral graph: the steps and
//! inspections of a supply chain ([`GraphNode`]), the artifacts that flow
//! between them ([`GraphFlow`], from MATCH rules), and what verification
//! found, attached to the node it is about ([`Finding`]), with each node
//! marked passed, warned, failed or not reached ([`NodeStatus`]).
//!
//! Nothing here decides anything: a [`ChainGraph`] is built from a layout
//! (or, later, a policy) for display, and [`ChainGraph::apply`] pins a
//! [`Verdict`] on it. The renderer ([`super::html`]) only reads it.
//!
//! ```
//! use intoto::model::ArtifactType;
//! use intoto::report::graph::{ChainGraph, GraphFlow, GraphKind, GraphNode, NodeKind, NodeStatus};
//! use intoto::verify::Verdict;
//!
//! let mut graph = ChainGraph::new("root.layout", GraphKind::Layout)
//!     .node(GraphNode::new("build", NodeKind::Step).functionaries(["ab12cd34"]))
//!     .node(GraphNode::new("package", NodeKind::Step))
//!     .flow(GraphFlow::new("build", "package", ArtifactType::Products, "build/*"));
//! graph.apply(&Verdict::default());
//! assert!(graph.passed);
//! assert_eq!(graph.nodes[1].status, NodeStatus::Passed);
//! ```

use std::collections::BTreeMap;

use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Layout, pattern::ArtifactPattern};
use intoto_verify::policy::Counted;
use intoto_verify::policy::layout::Policy;
use intoto_verify::{ArtifactSubject, Code, Diagnostic, Domain, ItemKind, Severity, Verdict};

/// A supply chain as verification saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChainGraph {
    /// What was verified, e.g. the layout's path.
    pub title: String,
    /// What the graph was drawn from.
    pub kind: GraphKind,
    /// Whether verification passed (set by [`ChainGraph::apply`]; `false`
    /// until a verdict is applied).
    pub passed: bool,
    /// The steps and inspections, in the order they are laid out.
    pub nodes: Vec<GraphNode>,
    /// The artifacts flowing between nodes.
    pub flows: Vec<GraphFlow>,
    /// Findings about no node: the layout's signatures and expiry, a node
    /// the graph does not have.
    pub findings: Vec<Finding>,
    /// Remarks about the picture itself, not about the supply chain (why a
    /// graph has no nodes, for example).
    pub notes: Vec<String>,
}

/// What a [`ChainGraph`] was drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GraphKind {
    /// A classic in-toto layout: steps with links, inspections.
    Layout,
    /// A policy over attestations: steps with expected predicate types.
    Policy,
}

impl GraphKind {
    /// `layout` or `policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphKind::Layout => "layout",
            GraphKind::Policy => "policy",
        }
    }
}

/// A step or an inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphNode {
    /// Its name, as the layout or policy writes it.
    pub name: String,
    /// Step or inspection.
    pub kind: NodeKind,
    /// Who may carry it out: short keyids.
    pub functionaries: Vec<String>,
    /// What verification looks at for it: link file names, expected
    /// predicate types, an inspection's command.
    pub evidence: Vec<String>,
    /// What verification made of it (set by [`ChainGraph::apply`]).
    pub status: NodeStatus,
    /// The findings about it, in the order they were made.
    pub findings: Vec<Finding>,
}

/// Whether a node is a step or an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind {
    /// A step carried out by functionaries.
    Step,
    /// An inspection the verifier runs.
    Inspection,
}

impl NodeKind {
    /// `step` or `inspection`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Step => "step",
            NodeKind::Inspection => "inspection",
        }
    }
}

/// What verification made of a node.
///
/// [`ChainGraph::apply`] decides it: a node with an error finding
/// failed; otherwise a node verification did not check to the end (it
/// stopped at an earlier failure) was not reached, whatever warnings it
/// has; otherwise a node with warnings is warned, and one without passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NodeStatus {
    /// Every check of the node ran and none failed.
    Passed,
    /// Every check of the node ran, none failed, some warned.
    Warned,
    /// A check of the node failed.
    Failed,
    /// Verification stopped before every check of the node ran; the
    /// checks that did run found no error. The default, before a verdict is
    /// applied.
    #[default]
    NotReached,
}

impl NodeStatus {
    /// `passed`, `warned`, `failed` or `not-reached`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Passed => "passed",
            NodeStatus::Warned => "warned",
            NodeStatus::Failed => "failed",
            NodeStatus::NotReached => "not-reached",
        }
    }
}

/// Artifacts flowing from one node to another: a MATCH rule of `to`
/// (`MATCH <pattern> WITH <artifact_type> FROM <from>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GraphFlow {
    /// The node the artifacts come from (the rule's `FROM`).
    pub from: String,
    /// The node whose rule it is.
    pub to: String,
    /// Which artifacts of `from`: its materials or its products.
    pub artifact_type: ArtifactType,
    /// The artifacts' pattern, as written.
    pub pattern: String,
    /// Whether the flow failed: see [`ChainGraph::apply`].
    pub failed: bool,
    /// The rule that makes the flow, when it is an artifact rule.
    pub rule: Option<FlowRule>,
}

/// The artifact rule behind a [`GraphFlow`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlowRule {
    /// Which of the consuming node's lists holds it (its materials or
    /// products rules).
    pub list: ArtifactType,
    /// Its position in that list, from 0.
    pub index: usize,
    /// The rule, as words joined by spaces.
    pub text: String,
    /// The MATCH rule's source prefix (`IN <prefix>` before `WITH`);
    /// empty when it has none.
    pub source_prefix: String,
}

/// One finding of verification, as the picture shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The stable diagnostic code, such as `rule-disallow-matched`.
    pub code: String,
    /// One line naming what failed.
    pub message: String,
    /// The artifact rule concerned, as words joined by spaces.
    pub rule: Option<String>,
    /// The artifacts concerned, each as its name with a short digest (and
    /// what it was compared with).
    pub artifacts: Vec<String>,
    /// How many artifacts the finding concerns in all (at least
    /// `artifacts.len()`).
    pub artifact_count: usize,
    /// What to do about it.
    pub help: Option<String>,
}

impl ChainGraph {
    /// An empty graph of `kind` about `title`.
    pub fn new(title: impl Into<String>, kind: GraphKind) -> Self {
        Self {
            title: title.into(),
            kind,
            passed: false,
            nodes: Vec::new(),
            flows: Vec::new(),
            findings: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The graph with one more node.
    #[must_use]
    pub fn node(mut self, node: GraphNode) -> Self {
        self.nodes.push(node);
        self
    }

    /// The graph with one more flow.
    #[must_use]
    pub fn flow(mut self, flow: GraphFlow) -> Self {
        self.flows.push(flow);
        self
    }

    /// The graph with one more remark about the picture.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The first node named `name`.
    pub fn node_named(&self, name: &str) -> Option<&GraphNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The graph of a classic layout: a node for each step (its `pubkeys`
    /// as functionaries, its link files as evidence) and each inspection
    /// (its command as evidence), a flow for each MATCH rule of their
    /// materials and products rules, and `verdict` applied.
    ///
    /// The layout is only drawn: pass the one that was verified, or, for
    /// display, one read again after verification. Rules are shown as the
    /// layout writes them, before any parameter is substituted.
    pub fn from_layout(title: impl Into<String>, layout: &Layout, verdict: &Verdict) -> Self {
        let mut graph = Self::new(title, GraphKind::Layout);
        for step in &layout.steps {
            let mut evidence: Vec<String> = step
                .pubkeys
                .iter()
                .map(|k| format!("{}.{}.link", step.name, k.short()))
                .collect();
            if step.threshold.is_multiple() {
                evidence.push(format!(
                    "threshold: {} of {} functionaries",
                    step.threshold.get(),
                    step.pubkeys.len()
                ));
            }
            graph.nodes.push(
                GraphNode::new(&step.name, NodeKind::Step)
                    .functionaries(step.pubkeys.iter().map(|k| k.short().to_owned()))
                    .evidence(evidence),
            );
            graph.add_match_flows(
                &step.name,
                &step.expected_materials,
                &step.expected_products,
            );
        }
        for inspection in &layout.inspect {
            let command = if inspection.run.is_empty() {
                "runs no command".to_owned()
            } else {
                format!("$ {}", inspection.run.join(" "))
            };
            graph
                .nodes
                .push(GraphNode::new(&inspection.name, NodeKind::Inspection).evidence([command]));
            graph.add_match_flows(
                &inspection.name,
                &inspection.expected_materials,
                &inspection.expected_products,
            );
        }
        graph.apply(verdict);
        graph
    }

    /// The graph of a policy verification: its steps with their expected
    /// predicate types and the attestations that counted, its inspections,
    /// and the MATCH flows between them.
    pub fn from_policy(
        title: impl Into<String>,
        policy: &Policy,
        counted: &BTreeMap<String, Vec<Counted>>,
        verdict: &Verdict,
    ) -> Self {
        let mut graph = Self::new(title, GraphKind::Policy);
        for step in &policy.steps {
            let mut functionaries: Vec<String> = Vec::new();
            let mut evidence: Vec<String> = Vec::new();
            for expected in &step.expected_predicates {
                for k in &expected.functionaries {
                    let short = k.short().to_owned();
                    if !functionaries.contains(&short) {
                        functionaries.push(short);
                    }
                }
                let threshold = expected.threshold.get();
                evidence.push(if threshold > 1 {
                    format!(
                        "expects {} (threshold {threshold})",
                        expected.predicate_type
                    )
                } else {
                    format!("expects {}", expected.predicate_type)
                });
            }
            for c in counted.get(step.name.as_str()).into_iter().flatten() {
                evidence.push(format!("counted {}", c.origin));
            }
            graph.nodes.push(
                GraphNode::new(step.name.as_str(), NodeKind::Step)
                    .functionaries(functionaries)
                    .evidence(evidence),
            );
            graph.add_match_flows(
                step.name.as_str(),
                &step.expected_materials,
                &step.expected_products,
            );
        }
        for inspection in &policy.inspections {
            graph.nodes.push(
                GraphNode::new(inspection.name.as_str(), NodeKind::Inspection)
                    .evidence([format!("$ {}", inspection.run.join(" "))]),
            );
            graph.add_match_flows(
                inspection.name.as_str(),
                &inspection.expected_materials,
                &inspection.expected_products,
            );
        }
        graph.apply(verdict);
        graph
    }

    fn add_match_flows(&mut self, to: &str, materials: &[ArtifactRule], products: &[ArtifactRule]) {
        for (list, rules) in [
            (ArtifactType::Materials, materials),
            (ArtifactType::Products, products),
        ] {
            for (index, rule) in rules.iter().enumerate() {
                if let ArtifactRule::Match(m) = rule {
                    self.flows.push(
                        GraphFlow::new(&m.dest_step, to, m.dest_type, m.pattern.as_str()).rule(
                            FlowRule::new(list, index, rule.to_words().join(" "))
                                .source_prefix(&m.source_prefix),
                        ),
                    );
                }
            }
        }
    }

    /// Pins `verdict` on the graph: sets [`ChainGraph::passed`], attaches
    /// each diagnostic as a [`Finding`], marks failed flows and decides each
    /// node's [`NodeStatus`]. Findings add up over calls; apply a verdict
    /// once.
    ///
    /// - A diagnostic goes to the node its subject's item names (of the
    ///   item's kind when it says, else the first of that name). A finding
    ///   inside a sublayout goes to the step the sublayout stands for (its
    ///   folder `<step>.<keyid[:8]>`), with `in sublayout <folders>:` before
    ///   the message, since the item it names is a step of the sublayout.
    ///   Anything else goes to the graph's own findings.
    /// - A flow failed when an error of its node is about the flow's own
    ///   rule, or is a `rule-disallow-matched` on the flow's list, at a rule
    ///   after the flow's, naming an artifact the flow's pattern selects or
    ///   that was compared with the flow's source: the MATCH rule saw the
    ///   artifact and could not consume it (its digests differ from
    ///   `from`'s, or `from` does not have it).
    /// - Statuses: an error finding makes a node failed. Otherwise, when the
    ///   verdict failed, verification stopped after the stage of its first
    ///   error (layout, links and sublayouts, step rules, inspection
    ///   commands, inspection rules, in that order), and a node whose checks
    ///   reach beyond that stage is not reached: steps are checked to the
    ///   end by their rules, inspections by theirs. Otherwise a node with
    ///   warnings is warned, one without passed.
    pub fn apply(&mut self, verdict: &Verdict) {
        self.passed = verdict.passed();
        for d in &verdict.diagnostics {
            let finding = Finding::from_diagnostic(d);
            let Some(at) = self.node_index(d) else {
                self.findings.push(finding);
                continue;
            };
            if d.severity == Severity::Error && d.subject.sublayout.is_empty() {
                let name = self.nodes[at].name.clone();
                self.mark_failed_flows(&name, d);
            }
            self.nodes[at].findings.push(finding);
        }
        let reached = Stage::reached(verdict, self.kind);
        for node in &mut self.nodes {
            let error = node.findings.iter().any(|f| f.severity == Severity::Error);
            let warning = node.findings.iter().any(|f| f.severity != Severity::Error);
            let checked = reached >= Stage::last_check_of(node.kind);
            node.status = match (error, checked, warning) {
                (true, _, _) => NodeStatus::Failed,
                (false, false, _) => NodeStatus::NotReached,
                (false, true, true) => NodeStatus::Warned,
                (false, true, false) => NodeStatus::Passed,
            };
        }
    }

    /// The node a diagnostic is about, if the graph has it.
    fn node_index(&self, d: &Diagnostic) -> Option<usize> {
        if let Some(folder) = d.subject.sublayout.first() {
            let (step, _keyid) = folder.rsplit_once('.')?;
            return self
                .nodes
                .iter()
                .position(|n| n.kind == NodeKind::Step && n.name == step);
        }
        let item = d.subject.item.as_deref()?;
        let kind = d.subject.item_kind.map(|k| match k {
            ItemKind::Inspection => NodeKind::Inspection,
            _ => NodeKind::Step,
        });
        self.nodes
            .iter()
            .position(|n| n.name == item && kind.is_none_or(|k| k == n.kind))
            .or_else(|| self.nodes.iter().position(|n| n.name == item))
    }

    /// Marks the flows into `to` that the error `d` of `to` shows failed.
    fn mark_failed_flows(&mut self, to: &str, d: &Diagnostic) {
        let Some(failing) = &d.subject.rule else {
            return;
        };
        for flow in &mut self.flows {
            let Some(rule) = &flow.rule else {
                continue;
            };
            if flow.to != to || rule.list != failing.artifact_type {
                continue;
            }
            let own_rule = rule.index == failing.index;
            // The verifier names where a MATCH rule looked for an artifact
            // it could not consume (`products of 'build'`), which also
            // holds when the layout's pattern has parameters.
            let source = format!("{} of '{}'", flow.artifact_type.field(), flow.from);
            let passed_over = d.code == Code::RuleDisallowMatched
                && rule.index < failing.index
                && d.subject.artifacts.iter().any(|a| {
                    flow.selects(&a.path)
                        || a.compared_with
                            .as_ref()
                            .is_some_and(|c| c.location == source)
                });
            if own_rule || passed_over {
                flow.failed = true;
            }
        }
    }
}

/// How far verification went, in the order of its stages: a stage with an
/// error stops the later ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Signatures, expiry, parameters, the layout's own checks.
    Layout,
    /// Links, thresholds, sublayouts, commands, agreement.
    Evidence,
    /// Each step's artifact rules.
    StepRules,
    /// Inspection commands (the first failing one stops the rest).
    Inspections,
    /// Each inspection's artifact rules: the last stage.
    InspectionRules,
}

impl Stage {
    /// The stage a finding was made in. Findings inside a sublayout are
    /// made while the root layout verifies its sublayouts; a code of a
    /// domain this does not know counts as the first stage, so that no
    /// node is said to have passed checks that may not have run.
    fn of(d: &Diagnostic, kind: GraphKind) -> Self {
        if !d.subject.sublayout.is_empty() {
            return Stage::Evidence;
        }
        if kind == GraphKind::Policy {
            // A policy's expiry and binding stop verification; thresholds,
            // attribute rules, artifact rules and final artifacts all run,
            // and inspections only after them.
            return match d.code {
                Code::BindingAmbiguous | Code::BindingLinkName => Stage::Layout,
                _ => match d.code.domain() {
                    Domain::Layout | Domain::Parameters => Stage::Layout,
                    Domain::Inspections => Stage::Inspections,
                    Domain::ArtifactRules if d.subject.item_kind == Some(ItemKind::Inspection) => {
                        Stage::InspectionRules
                    }
                    _ => Stage::StepRules,
                },
            };
        }
        match d.code.domain() {
            Domain::Layout | Domain::Parameters => Stage::Layout,
            Domain::Evidence | Domain::Sublayouts => Stage::Evidence,
            Domain::ArtifactRules if d.subject.item_kind == Some(ItemKind::Inspection) => {
                Stage::InspectionRules
            }
            Domain::ArtifactRules => Stage::StepRules,
            Domain::Inspections => Stage::Inspections,
            _ => Stage::Layout,
        }
    }

    /// The last stage that ran to the end: all of them when the verdict
    /// passed, else the stage of its earliest error (whose checks all ran).
    fn reached(verdict: &Verdict, kind: GraphKind) -> Self {
        verdict
            .errors()
            .map(|d| Stage::of(d, kind))
            .min()
            .unwrap_or(Stage::InspectionRules)
    }

    /// The stage that checks a node last.
    fn last_check_of(kind: NodeKind) -> Self {
        match kind {
            NodeKind::Step => Stage::StepRules,
            NodeKind::Inspection => Stage::InspectionRules,
        }
    }
}

impl GraphNode {
    /// A node named `name`, not reached, without functionaries, evidence or
    /// findings.
    pub fn new(name: impl Into<String>, kind: NodeKind) -> Self {
        Self {
            name: name.into(),
            kind,
            functionaries: Vec::new(),
            evidence: Vec::new(),
            status: NodeStatus::NotReached,
            findings: Vec::new(),
        }
    }

    /// The node with these functionaries added.
    #[must_use]
    pub fn functionaries<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.functionaries.extend(ids.into_iter().map(Into::into));
        self
    }

    /// The node with this evidence added.
    #[must_use]
    pub fn evidence<S: Into<String>>(mut self, items: impl IntoIterator<Item = S>) -> Self {
        self.evidence.extend(items.into_iter().map(Into::into));
        self
    }
}

impl GraphFlow {
    /// Artifacts matching `pattern` among the `artifact_type` of `from`,
    /// flowing to `to`; not failed, without a rule.
    pub fn new(
        from: impl Into<String>,
        to: impl Into<String>,
        artifact_type: ArtifactType,
        pattern: impl Into<String>,
    ) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            artifact_type,
            pattern: pattern.into(),
            failed: false,
            rule: None,
        }
    }

    /// The flow, made by `rule`.
    #[must_use]
    pub fn rule(mut self, rule: FlowRule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// Whether the flow's rule selects the artifact `name` of `to`: with a
    /// source prefix, names under it whose rest matches the pattern (as the
    /// rule engine selects them), else names matching the pattern.
    pub fn selects(&self, name: &str) -> bool {
        let prefix = self.rule.as_ref().map_or("", |r| r.source_prefix.as_str());
        let rest = if prefix.is_empty() {
            Some(name)
        } else {
            // `os.path.join(prefix, "")` with `\` as `/`, as the engine.
            let mut start = prefix.to_owned();
            if !start.ends_with('/') {
                start.push('/');
            }
            name.strip_prefix(start.replace('\\', "/").as_str())
        };
        rest.is_some_and(|rest| ArtifactPattern::new(&self.pattern).matches(rest))
    }
}

impl FlowRule {
    /// The rule at `index` of the consuming node's `list`, as `text`; no
    /// source prefix.
    pub fn new(list: ArtifactType, index: usize, text: impl Into<String>) -> Self {
        Self {
            list,
            index,
            text: text.into(),
            source_prefix: String::new(),
        }
    }

    /// The rule with the source prefix `prefix`.
    #[must_use]
    pub fn source_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.source_prefix = prefix.into();
        self
    }
}

impl Finding {
    /// A finding with no rule, artifacts or help.
    pub fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity,
            code: code.into(),
            message: message.into(),
            rule: None,
            artifacts: Vec::new(),
            artifact_count: 0,
            help: None,
        }
    }

    /// A diagnostic as a finding: its rule's text, its artifacts with short
    /// digests, `in sublayout <folders>:` before a sublayout's message.
    pub fn from_diagnostic(d: &Diagnostic) -> Self {
        let message = if d.subject.sublayout.is_empty() {
            d.message.clone()
        } else {
            format!(
                "in sublayout {}: {}",
                d.subject.sublayout.join("/"),
                d.message
            )
        };
        let artifacts: Vec<String> = d.subject.artifacts.iter().map(artifact_line).collect();
        Self {
            artifact_count: d.subject.artifact_count.max(artifacts.len()),
            artifacts,
            rule: d.subject.rule.as_ref().map(|r| r.text.clone()),
            help: d.help.clone(),
            ..Self::new(d.severity, d.code.as_str(), message)
        }
    }
}

/// `build/hello sha256:ab12cd34…, products of 'build' have sha256:ef56ab78…`.
fn artifact_line(a: &ArtifactSubject) -> String {
    let mut line = a.path.clone();
    if let Some(digests) = &a.digests {
        line.push(' ');
        line.push_str(&short_digest(digests));
    }
    if let Some(compared) = &a.compared_with {
        let place = if compared.path == a.path {
            compared.location.clone()
        } else {
            format!("{} (as {})", compared.location, compared.path)
        };
        match &compared.digests {
            Some(digests) => {
                line.push_str(&format!(", {place} have {}", short_digest(digests)));
            }
            None => line.push_str(&format!(", not among the {place}")),
        }
    }
    line
}

/// `sha256:ab12cd34…`: the sha256 digest if there is one, else the first,
/// cut to 8 characters.
fn short_digest(digests: &DigestSet) -> String {
    let pick = digests
        .get("sha256")
        .map(|d| ("sha256", d))
        .or_else(|| digests.iter().next());
    match pick {
        None => "no digest".to_owned(),
        Some((alg, hex)) if hex.chars().count() > 8 => {
            format!("{alg}:{}…", hex.chars().take(8).collect::<String>())
        }
        Some((alg, hex)) => format!("{alg}:{hex}"),
    }
}

#[cfg(test)]
mod tests;
