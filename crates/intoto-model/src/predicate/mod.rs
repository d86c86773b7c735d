//! Typed ITE-6 predicates, dispatched on `predicateType`.
//!
//! [`Predicate::parse`] checks a known predicate against its specification
//! and names the field at fault (`predicate.runDetails.builder.id`); any
//! other type is [`Predicate::Unknown`] with its JSON as given. The typed
//! values are views: the statement keeps the predicate exactly as received,
//! and signed bytes are never rebuilt from them.
//!
//! | alias | type | specification |
//! |---|---|---|
//! | `link` | [`crate::statement::PREDICATE_LINK_V0_3`] | in-toto link v0.3 |
//! | `provenance` | [`kind::PROVENANCE_V1`] | SLSA Provenance v1 |
//! | `provenance02` | [`kind::PROVENANCE_V0_2`] | SLSA Provenance v0.2 |
//! | `spdx` | [`kind::SPDX_V2_3`] (and other `v2.x`) | SPDX 2 JSON document |
//! | `cyclonedx` | [`kind::CYCLONEDX`] (and `/v1.x`) | CycloneDX JSON BOM |
//! | `vulns` | [`kind::VULNS_V0_2`] | in-toto vulns v0.2 |
//! | `test-result` | [`kind::TEST_RESULT_V0_1`] | in-toto test-result v0.1 |
//! | `vsa` | [`kind::VSA_V1`] | SLSA Verification Summary v1 |
//! | `openvex` | [`kind::OPENVEX_V0_2`] | OpenVEX |
//! | `release` | [`kind::RELEASE_V0_1`] | in-toto release v0.1 |
//! | `scai` | [`kind::SCAI_V0_3`] | in-toto SCAI v0.3 |
//! | `runtime-trace` | [`kind::RUNTIME_TRACE_V0_1`] | in-toto runtime-trace v0.1 |
//! | `review` | [`kind::REVIEW_V0_1`] | this project's code review v0.1 |

mod documents;
pub mod kind;
mod provenance;
mod read;
mod review;
mod test_result;
mod vsa;
mod vulns;

use serde_json::{Map, Value};

pub use documents::{CycloneDx, OpenVex, Release, RuntimeTrace, Scai, Spdx};
pub use kind::{PredicateKind, PredicateTypeArg, UnknownPredicateType};
pub use provenance::{ProvenanceV1, ProvenanceV02};
pub use review::Review;
pub use test_result::{TestOutcome, TestResult};
pub use vsa::Vsa;
pub use vulns::{Severity, VulnDb, Vulnerability, Vulns};

use crate::error::ModelError;
use crate::statement::Statement;
use read::{Obj, Path};

/// The link predicate's identifying fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkPredicate {
    /// The step's name.
    pub name: String,
    /// The command the step ran.
    pub command: Vec<String>,
    /// The number of materials.
    pub materials: usize,
}

impl LinkPredicate {
    fn from_predicate(predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let root = Path::new("predicate");
        let p = Obj::new(predicate, &root);
        Ok(Self {
            name: p.string("name")?.to_owned(),
            command: p.strings("command")?,
            materials: p.descriptors("materials")?.len(),
        })
    }
}

/// A predicate, typed when its type is known.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Predicate {
    /// in-toto link v0.3.
    Link(LinkPredicate),
    /// SLSA Provenance v1.
    ProvenanceV1(Box<ProvenanceV1>),
    /// SLSA Provenance v0.2.
    ProvenanceV02(ProvenanceV02),
    /// An SPDX 2 document.
    Spdx(Spdx),
    /// A CycloneDX BOM.
    CycloneDx(CycloneDx),
    /// vulns v0.2.
    Vulns(Vulns),
    /// test-result v0.1.
    TestResult(TestResult),
    /// SLSA VSA v1.
    Vsa(Vsa),
    /// OpenVEX.
    OpenVex(OpenVex),
    /// release v0.1.
    Release(Release),
    /// SCAI v0.3.
    Scai(Scai),
    /// runtime-trace v0.1.
    RuntimeTrace(RuntimeTrace),
    /// This project's code review v0.1.
    Review(Review),
    /// Any other type: the predicate as given.
    Unknown {
        /// The `predicateType`.
        predicate_type: String,
        /// The predicate.
        value: Map<String, Value>,
    },
}

impl Predicate {
    /// Reads a predicate of type `predicate_type`, checking a known type
    /// against its specification.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn parse(predicate_type: &str, predicate: &Map<String, Value>) -> Result<Self, ModelError> {
        let Some(kind) = PredicateKind::of_uri(predicate_type) else {
            return Ok(Self::Unknown {
                predicate_type: predicate_type.to_owned(),
                value: predicate.clone(),
            });
        };
        Ok(match kind {
            PredicateKind::Link => Self::Link(LinkPredicate::from_predicate(predicate)?),
            PredicateKind::ProvenanceV1 => {
                Self::ProvenanceV1(Box::new(ProvenanceV1::from_predicate(predicate)?))
            }
            PredicateKind::ProvenanceV02 => {
                Self::ProvenanceV02(ProvenanceV02::from_predicate(predicate)?)
            }
            PredicateKind::Spdx => Self::Spdx(Spdx::from_predicate(predicate)?),
            PredicateKind::CycloneDx => Self::CycloneDx(CycloneDx::from_predicate(predicate)?),
            PredicateKind::Vulns => Self::Vulns(Vulns::from_predicate(predicate)?),
            PredicateKind::TestResult => Self::TestResult(TestResult::from_predicate(predicate)?),
            PredicateKind::Vsa => Self::Vsa(Vsa::from_predicate(predicate)?),
            PredicateKind::OpenVex => Self::OpenVex(OpenVex::from_predicate(predicate)?),
            PredicateKind::Release => Self::Release(Release::from_predicate(predicate)?),
            PredicateKind::Scai => Self::Scai(Scai::from_predicate(predicate)?),
            PredicateKind::RuntimeTrace => {
                Self::RuntimeTrace(RuntimeTrace::from_predicate(predicate)?)
            }
            PredicateKind::Review => Self::Review(Review::from_predicate(predicate)?),
        })
    }

    /// The known kind, `None` for [`Predicate::Unknown`].
    pub fn kind(&self) -> Option<PredicateKind> {
        Some(match self {
            Self::Link(_) => PredicateKind::Link,
            Self::ProvenanceV1(_) => PredicateKind::ProvenanceV1,
            Self::ProvenanceV02(_) => PredicateKind::ProvenanceV02,
            Self::Spdx(_) => PredicateKind::Spdx,
            Self::CycloneDx(_) => PredicateKind::CycloneDx,
            Self::Vulns(_) => PredicateKind::Vulns,
            Self::TestResult(_) => PredicateKind::TestResult,
            Self::Vsa(_) => PredicateKind::Vsa,
            Self::OpenVex(_) => PredicateKind::OpenVex,
            Self::Release(_) => PredicateKind::Release,
            Self::Scai(_) => PredicateKind::Scai,
            Self::RuntimeTrace(_) => PredicateKind::RuntimeTrace,
            Self::Review(_) => PredicateKind::Review,
            Self::Unknown { .. } => return None,
        })
    }

    /// One line that says what the predicate holds, for `intoto show`.
    pub fn summary(&self) -> String {
        match self {
            Self::Link(l) => format!(
                "link of step {:?}: command {:?}, {}",
                l.name,
                l.command.join(" "),
                count(l.materials, "material")
            ),
            Self::ProvenanceV1(p) => format!(
                "SLSA provenance v1: built by {} (build type {}), {}",
                p.builder_id,
                p.build_type,
                count(p.resolved_dependencies.len(), "resolved dependency")
            ),
            Self::ProvenanceV02(p) => format!(
                "SLSA provenance v0.2: built by {} (build type {}), {}",
                p.builder_id,
                p.build_type,
                count(p.materials.len(), "material")
            ),
            Self::Spdx(s) => format!(
                "SPDX {} document {:?}: {}",
                s.spdx_version,
                s.name,
                count(s.packages, "package")
            ),
            Self::CycloneDx(c) => format!(
                "CycloneDX {} BOM: {}",
                c.spec_version,
                count(c.components, "component")
            ),
            Self::Vulns(v) => format!(
                "vulnerability scan by {}{}: {} ({} critical, {} high)",
                v.scanner_uri,
                v.scanner_version
                    .as_deref()
                    .map(|s| format!(" {s}"))
                    .unwrap_or_default(),
                count(v.results.len(), "finding"),
                v.count_with_score("critical"),
                v.count_with_score("high")
            ),
            Self::TestResult(t) => format!(
                "tests {}: {} passed, {} warned, {} failed",
                t.result,
                t.passed_tests.len(),
                t.warned_tests.len(),
                t.failed_tests.len()
            ),
            Self::Vsa(v) => format!(
                "verification summary by {}: {} for {}{}",
                v.verifier_id,
                if v.passed { "PASSED" } else { "FAILED" },
                v.resource_uri,
                if v.verified_levels.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", v.verified_levels.join(", "))
                }
            ),
            Self::OpenVex(v) => format!(
                "OpenVEX {} by {}: {}",
                v.id,
                v.author,
                count(v.statements.len(), "statement")
            ),
            Self::Release(r) => format!("release {}", r.purl),
            Self::Scai(s) => format!("SCAI attributes: {}", s.attributes.join(", ")),
            Self::RuntimeTrace(t) => format!(
                "runtime trace by {} of {} on {}",
                t.monitor_type, t.event, t.host_id
            ),
            Self::Review(r) => format!(
                "code review by {}: approved by {}",
                r.reviewers.join(", "),
                if r.approvals.is_empty() {
                    "nobody".to_owned()
                } else {
                    r.approvals.join(", ")
                }
            ),
            Self::Unknown {
                predicate_type,
                value,
            } => {
                let keys: Vec<&str> = value.keys().map(String::as_str).take(8).collect();
                format!("{predicate_type}: fields {}", keys.join(", "))
            }
        }
    }
}

/// `1 material`, `2 materials`, `1 resolved dependency`, `3 resolved dependencies`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {noun}s"),
    }
}

impl Statement {
    /// The predicate, typed and checked when its type is known.
    ///
    /// # Errors
    ///
    /// [`ModelError`] naming the field at fault.
    pub fn typed_predicate(&self) -> Result<Predicate, ModelError> {
        Predicate::parse(&self.predicate_type, &self.predicate)
    }
}

/// Builds a v1 [`Statement`], checking it as readers will.
#[derive(Debug, Clone, Default)]
pub struct StatementBuilder {
    subject: Vec<crate::statement::ResourceDescriptor>,
    predicate_type: Option<String>,
    predicate: Map<String, Value>,
}

impl StatementBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subject.
    pub fn subject(mut self, subject: crate::statement::ResourceDescriptor) -> Self {
        self.subject.push(subject);
        self
    }

    /// Adds subjects.
    pub fn subjects(
        mut self,
        subjects: impl IntoIterator<Item = crate::statement::ResourceDescriptor>,
    ) -> Self {
        self.subject.extend(subjects);
        self
    }

    /// The predicate type URI.
    pub fn predicate_type(mut self, uri: impl Into<String>) -> Self {
        self.predicate_type = Some(uri.into());
        self
    }

    /// The predicate.
    pub fn predicate(mut self, predicate: Map<String, Value>) -> Self {
        self.predicate = predicate;
        self
    }

    /// The statement, checked as readers check it: subjects with digests,
    /// and the predicate against its specification when the type is known.
    ///
    /// # Errors
    ///
    /// [`ModelError`] for a missing predicate type or subject, a subject
    /// without a digest, or a predicate its specification does not allow.
    pub fn build(self) -> Result<Statement, ModelError> {
        let predicate_type = self
            .predicate_type
            .ok_or_else(|| ModelError::MissingField {
                field: "predicateType".into(),
            })?;
        // The checks `Statement::from_value` makes, on the structs (for a
        // statement about 100,000 files a round trip through JSON values
        // costs more than hashing them).
        if self.subject.is_empty() {
            return Err(ModelError::MissingField {
                field: "subject".into(),
            });
        }
        for (i, s) in self.subject.iter().enumerate() {
            if s.digest.as_ref().is_none_or(crate::DigestSet::is_empty) {
                return Err(ModelError::MissingField {
                    field: format!("subject[{i}].digest"),
                });
            }
        }
        let st = Statement::new(self.subject, predicate_type, self.predicate);
        st.typed_predicate()?;
        Ok(st)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{DigestSet, ResourceDescriptor};

    #[test]
    fn the_builder_checks_subjects_and_known_predicates() {
        let mut d = DigestSet::new();
        d.insert("sha256", "ab");
        let err = StatementBuilder::new()
            .predicate_type(kind::TEST_RESULT_V0_1)
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "required field `subject` is missing");
        let err = StatementBuilder::new()
            .subject(ResourceDescriptor::named("app", d.clone()))
            .predicate_type(kind::TEST_RESULT_V0_1)
            .predicate(
                json!({"result": "MAYBE", "configuration": []})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `predicate.result` must be PASSED, WARNED or FAILED"
        );
        let st = StatementBuilder::new()
            .subject(ResourceDescriptor::named("app", d))
            .predicate_type("https://example.com/custom/v1")
            .predicate(
                json!({"anything": [1, 2]})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )
            .build()
            .unwrap();
        assert!(matches!(
            st.typed_predicate().unwrap(),
            Predicate::Unknown { .. }
        ));
        assert!(st.typed_predicate().unwrap().summary().contains("anything"));
    }

    #[test]
    fn a_summary_names_its_levels_only_when_it_has_some() {
        let summary = |levels: serde_json::Value| {
            let Value::Object(p) = json!({
                "verifier": {"id": "https://gate.example"}, "resourceUri": "pkg:generic/a@1",
                "policy": {"uri": "policy.yml"}, "verificationResult": "PASSED",
                "verifiedLevels": levels,
            }) else {
                unreachable!()
            };
            Predicate::Vsa(Vsa::from_predicate(&p).unwrap()).summary()
        };
        assert_eq!(
            summary(json!([])),
            "verification summary by https://gate.example: PASSED for pkg:generic/a@1"
        );
        assert_eq!(
            summary(json!(["SLSA_BUILD_LEVEL_3"])),
            "verification summary by https://gate.example: PASSED for pkg:generic/a@1 (SLSA_BUILD_LEVEL_3)"
        );
    }
}
