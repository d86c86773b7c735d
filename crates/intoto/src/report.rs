//! The report of a verification: the [`Verdict`] with the layout it is
//! about, as the JSON document (`Serialize`) and the text lines that
//! `intoto verify` prints. Callers only print them.

use std::path::{Path, PathBuf};

use intoto_verify::{Diagnostic, RuleTrace, Severity, Verdict};
use serde::{Serialize, Serializer};

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

    use intoto_verify::{Code, Subject};
    use serde_json::json;

    use super::*;

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
