//! The report of a verification: the [`Verdict`] with the layout it is
//! about, as the JSON document (`Serialize`) and the text lines that
//! `intoto verify` prints, and as a picture: [`graph`] is the supply chain
//! as a graph with the findings attached where they belong (filled from a
//! layout here, from a policy later), [`html`] draws it as one
//! self-contained HTML page (`intoto verify --report`). Callers only print
//! or write them.

use std::path::{Path, PathBuf};

use intoto_model::Payload;
use intoto_verify::{Diagnostic, RuleTrace, Severity, Verdict};
use serde::{Serialize, Serializer};

pub mod graph;
pub mod html;

pub use graph::{
    ChainGraph, Finding, FlowRule, GraphFlow, GraphKind, GraphNode, NodeKind, NodeStatus,
};

/// A verdict and what it is about.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The root layout, as it was given.
    pub layout: PathBuf,
    /// What verification found.
    pub verdict: Verdict,
    /// Whether the rule-by-rule traces are part of the report (`-v`).
    pub traces: bool,
}

/// The JSON form: `{"layout", "verified", "errors", "warnings",
/// "diagnostics", "traces" (with traces only)}`.
#[derive(Serialize)]
struct Json<'a> {
    layout: &'a Path,
    verified: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
    #[serde(skip_serializing_if = "Option::is_none")]
    traces: Option<&'a [RuleTrace]>,
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Json {
            layout: &self.layout,
            verified: self.passed(),
            errors: self.verdict.errors().count(),
            warnings: self.verdict.warnings().count(),
            diagnostics: &self.verdict.diagnostics,
            traces: self.traces.then_some(self.verdict.traces.as_slice()),
        }
        .serialize(s)
    }
}

impl Report {
    /// The report of `verdict` on the layout `layout`, with its traces when
    /// `traces` is set.
    pub fn new(layout: impl Into<PathBuf>, verdict: Verdict, traces: bool) -> Self {
        Self {
            layout: layout.into(),
            verdict,
            traces,
        }
    }

    /// Whether verification passed.
    pub fn passed(&self) -> bool {
        self.verdict.passed()
    }

    /// The supply chain as a graph, with the verdict applied
    /// ([`ChainGraph::from_layout`]).
    ///
    /// The layout file is read again for this, for display only: nothing
    /// in it is verified or trusted here (the verdict says what holds).
    /// When it cannot be read as a layout, the graph has no nodes, only the
    /// verdict's findings, and a note saying why.
    pub fn graph(&self) -> ChainGraph {
        let title = self.layout.display().to_string();
        let layout = crate::fs::read_metadata(&self.layout)
            .map_err(|e| crate::error_chain(&e))
            .and_then(|md| md.into_payload().map_err(|e| crate::error_chain(&e)))
            .and_then(|payload| match payload {
                Payload::Layout(layout) => Ok(layout),
                other => Err(format!("it holds a {}, not a layout", other.kind())),
            });
        match layout {
            Ok(layout) => ChainGraph::from_layout(title, &layout, &self.verdict),
            Err(why) => {
                let mut graph = ChainGraph::new(title, GraphKind::Layout).note(format!(
                    "The layout could not be read to draw its steps: {why}."
                ));
                graph.apply(&self.verdict);
                graph
            }
        }
    }

    /// The picture of the verification: one self-contained HTML page
    /// ([`html::render`] of [`Report::graph`]).
    pub fn html(&self) -> String {
        html::render(&self.graph())
    }

    /// The JSON document.
    ///
    /// # Errors
    ///
    /// When the layout's path is not valid UTF-8.
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    /// The text report, one line per entry (no line breaks within an
    /// entry except those of names taken from metadata, which the printer
    /// escapes): with traces their lines, then every diagnostic (errors
    /// only when `quiet`) with its help, then the outcome (left out when it
    /// passed and `quiet`).
    pub fn text(&self, quiet: bool) -> Vec<String> {
        self.text_with(quiet, |_| None)
    }

    /// [`Report::text`], with the line `extra` gives for a diagnostic (a
    /// caller's hint) after its help.
    pub fn text_with(
        &self,
        quiet: bool,
        extra: impl Fn(&Diagnostic) -> Option<String>,
    ) -> Vec<String> {
        let verdict = &self.verdict;
        let mut lines = Vec::new();
        if self.traces {
            for trace in &verdict.traces {
                lines.extend(trace.to_string().split('\n').map(str::to_owned));
            }
        }
        for d in &verdict.diagnostics {
            if quiet && d.severity != Severity::Error {
                continue;
            }
            lines.push(d.to_string());
            if let Some(help) = &d.help {
                lines.push(format!("  help: {help}"));
            }
            lines.extend(extra(d));
        }
        let noted = match verdict.warnings().count() {
            0 => String::new(),
            1 => " (1 warning)".to_owned(),
            n => format!(" ({n} warnings)"),
        };
        if verdict.passed() {
            if !quiet {
                lines.push(format!(
                    "verified: the supply chain of {} passed all checks{noted}",
                    self.layout.display()
                ));
            }
        } else {
            let errors = verdict.errors().count();
            lines.push(format!(
                "verification failed: {errors} error{}{noted}",
                if errors == 1 { "" } else { "s" }
            ));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use intoto_model::{EnvelopeKind, Expires, Layout, Link, Metadata, Step};
    use intoto_verify::{Code, Subject};
    use serde_json::json;

    use super::*;

    fn expired() -> Verdict {
        let mut verdict = Verdict::default();
        verdict.diagnostics.push(Diagnostic::new(
            Code::LayoutExpired,
            "the layout expired",
            Subject::default(),
        ));
        verdict
    }

    #[test]
    fn the_graph_is_drawn_from_the_layout_file_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.layout");
        let mut layout = Layout::new(Expires::parse("2020-01-01T00:00:00Z").unwrap());
        layout.steps.push(Step::new("build"));
        let md = Metadata::wrap(&layout.to_value(), EnvelopeKind::Dsse);
        crate::fs::write_metadata(&path, &md).unwrap();
        let graph = Report::new(&path, expired(), false).graph();
        assert_eq!(graph.title, path.display().to_string());
        assert_eq!(graph.nodes.len(), 1);
        assert_eq!(graph.nodes[0].status, NodeStatus::NotReached);
        assert_eq!(graph.findings[0].code, "layout-expired");
        assert!(graph.notes.is_empty());
        assert!(
            Report::new(&path, expired(), false)
                .html()
                .contains("data-node=\"build\"")
        );
    }

    #[test]
    fn a_layout_that_cannot_be_read_gives_the_findings_without_nodes() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Report::new(dir.path().join("missing.layout"), expired(), false).graph();
        assert!(missing.nodes.is_empty());
        assert!(!missing.passed);
        assert_eq!(missing.findings.len(), 1);
        assert!(
            missing.notes[0].starts_with("The layout could not be read to draw its steps: "),
            "{:?}",
            missing.notes
        );

        let path = dir.path().join("build.link");
        let md = Metadata::wrap(&Link::new("build").to_value(), EnvelopeKind::Legacy);
        crate::fs::write_metadata(&path, &md).unwrap();
        let link = Report::new(&path, expired(), false).graph();
        assert!(link.nodes.is_empty());
        assert!(
            link.notes[0].ends_with("it holds a link, not a layout."),
            "{:?}",
            link.notes
        );
    }

    #[test]
    fn the_json_document_has_the_traces_only_when_asked_for() {
        let report = Report::new("root.layout", Verdict::default(), false);
        assert_eq!(
            report.to_json().unwrap(),
            json!({"layout": "root.layout", "verified": true, "errors": 0, "warnings": 0, "diagnostics": []})
        );
        let report = Report::new("root.layout", Verdict::default(), true);
        assert_eq!(report.to_json().unwrap()["traces"], json!([]));
    }

    #[test]
    fn diagnostics_serialise_with_their_codes_and_without_empty_subject_fields() {
        let mut verdict = Verdict::default();
        verdict.diagnostics.push(
            Diagnostic::new(Code::LayoutNoKeys, "no key", Subject::default()).with_help("give one"),
        );
        let report = Report::new("root.layout", verdict, false);
        assert_eq!(
            report.to_json().unwrap()["diagnostics"],
            json!([{"code": "layout-no-keys", "severity": "error", "message": "no key", "help": "give one", "subject": {}}])
        );
        assert_eq!(
            report.text(false),
            [
                "error[layout-no-keys]: no key",
                "  help: give one",
                "verification failed: 1 error"
            ]
        );
        assert_eq!(
            report.text_with(true, |_| Some("  hint: x".to_owned())),
            [
                "error[layout-no-keys]: no key",
                "  help: give one",
                "  hint: x",
                "verification failed: 1 error"
            ]
        );
    }
}
