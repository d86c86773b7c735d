//! SLSA Provenance v1 for a step recorded by `intoto run` or `record`:
//! made from the same link, so the artifacts are hashed once.
//!
//! The build type [`BUILD_TYPE_RUN_V1`] is this project's and is documented
//! in `docs/attestations.md`:
//!
//! - `buildDefinition.externalParameters`: `{"step": NAME, "command": [ARGV…]}`;
//! - `buildDefinition.resolvedDependencies`: the step's materials, each a
//!   resource descriptor with its name and digests;
//! - `runDetails.builder.id`: `--builder-id`;
//! - `runDetails.metadata`: `invocationId` (given, or 128 random bits in
//!   hex), `startedOn` and `finishedOn` (RFC 3339, UTC);
//! - `runDetails.byproducts`: `stdout` and `stderr` (when recorded) as text
//!   content, and `return-value` (when a command ran);
//! - the statement's subjects: the step's products.

use chrono::{DateTime, SecondsFormat, Utc};
use intoto_model::predicate::ProvenanceV1;
use intoto_model::predicate::kind::PROVENANCE_V1;
use intoto_model::{
    KeyId, Link, ModelError, ResourceDescriptor, Statement, StatementBuilder, StepName,
};
use serde_json::Value;

/// The build type of a step recorded by `intoto run` or `intoto record`.
pub const BUILD_TYPE_RUN_V1: &str = "https://example.invalid/intoto/attestation/buildtype/run/v1";

/// The file the provenance of `step`, signed by `keyid`, is written to
/// beside its link: `<step>.<keyid[:8]>.provenance.json`.
pub fn file_name(step: &StepName, keyid: &KeyId) -> String {
    format!("{step}.{}.provenance.json", keyid.short())
}

/// What a provenance says beyond the link.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// `runDetails.builder.id`: who ran the step (a CI runner's URI).
    pub builder_id: String,
    /// `runDetails.metadata.invocationId`.
    pub invocation_id: String,
    /// When the step began (before the materials were recorded).
    pub started_on: DateTime<Utc>,
    /// When it ended (after the products were recorded).
    pub finished_on: DateTime<Utc>,
}

impl RunContext {
    /// A context with a fresh random invocation id.
    pub fn new(
        builder_id: impl Into<String>,
        started_on: DateTime<Utc>,
        finished_on: DateTime<Utc>,
    ) -> Self {
        Self {
            builder_id: builder_id.into(),
            invocation_id: random_invocation_id(),
            started_on,
            finished_on,
        }
    }
}

/// 128 random bits in hex; the time and process id if the system has no
/// randomness to give.
fn random_invocation_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_ok() {
        intoto_model::encoding::hex::encode(bytes)
    } else {
        format!(
            "{}-{}",
            Utc::now().timestamp_nanos_opt().unwrap_or_default(),
            std::process::id()
        )
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The provenance predicate of a recorded step.
pub fn predicate_of(link: &Link, context: &RunContext) -> ProvenanceV1 {
    let mut p = ProvenanceV1::new(BUILD_TYPE_RUN_V1, context.builder_id.clone());
    p.external_parameters
        .insert("step".into(), Value::String(link.name.clone()));
    p.external_parameters.insert(
        "command".into(),
        Value::Array(link.command.iter().cloned().map(Value::String).collect()),
    );
    p.resolved_dependencies = link
        .materials
        .iter()
        .map(|(name, digest)| ResourceDescriptor::named(name.clone(), digest.clone()))
        .collect();
    p.invocation_id = Some(context.invocation_id.clone());
    p.started_on = Some(rfc3339(context.started_on));
    p.finished_on = Some(rfc3339(context.finished_on));
    for (name, text) in [("stdout", link.stdout()), ("stderr", link.stderr())] {
        if let Some(text) = text {
            let mut rd = ResourceDescriptor::default();
            rd.name = Some(name.into());
            rd.content = Some(text.as_bytes().to_vec());
            rd.media_type = Some("text/plain; charset=utf-8".into());
            p.byproducts.push(rd);
        }
    }
    if let Some(code) = link.return_value() {
        let mut rd = ResourceDescriptor::default();
        rd.name = Some("return-value".into());
        rd.content = Some(code.to_string().into_bytes());
        rd.media_type = Some("text/plain".into());
        p.byproducts.push(rd);
    }
    p
}

/// The provenance statement of a recorded step: its products are the
/// subjects.
///
/// # Errors
///
/// [`ModelError`] when the step recorded no products (a statement needs a
/// subject).
pub fn statement_of(link: &Link, context: &RunContext) -> Result<Statement, ModelError> {
    StatementBuilder::new()
        .subjects(
            link.products
                .iter()
                .map(|(name, digest)| ResourceDescriptor::named(name.clone(), digest.clone())),
        )
        .predicate_type(PROVENANCE_V1)
        .predicate(predicate_of(link, context).to_predicate())
        .build()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use intoto_model::DigestSet;
    use intoto_model::predicate::Predicate;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_run_becomes_provenance() {
        let mut link = Link::new("build");
        link.command = vec!["make".into(), "all".into()];
        let mut d = DigestSet::new();
        d.insert("sha256", "aa");
        link.materials.insert("src/main.c".into(), d.clone());
        link.products.insert("app".into(), d);
        link.byproducts.insert("stdout".into(), json!("built\n"));
        link.byproducts.insert("return-value".into(), json!(0));
        let t = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let ctx = RunContext::new("https://ci.example.com/runner/1", t, t);
        let st = statement_of(&link, &ctx).unwrap();
        assert_eq!(st.subject[0].name.as_deref(), Some("app"));
        let Predicate::ProvenanceV1(p) = st.typed_predicate().unwrap() else {
            panic!("not provenance")
        };
        assert_eq!(p.build_type, BUILD_TYPE_RUN_V1);
        assert_eq!(p.external_parameters["command"], json!(["make", "all"]));
        assert_eq!(
            p.resolved_dependencies[0].name.as_deref(),
            Some("src/main.c")
        );
        assert_eq!(p.started_on.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert_eq!(p.invocation_id.as_ref().unwrap().len(), 32);
        let names: Vec<_> = p.byproducts.iter().filter_map(|b| b.name.clone()).collect();
        assert_eq!(names, ["stdout", "return-value"]);
        assert!(statement_of(&Link::new("review"), &ctx).is_err());
    }
}
