//! `--from REPORT`: predicates made from the reports of tools teams already
//! run (JUnit, SARIF, Grype, Trivy, SPDX, CycloneDX), by `intoto::generate`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};

use intoto::generate::{sbom, test_result, vulns};
use intoto::model::ResourceDescriptor;
use intoto::model::predicate::PredicateKind;
use intoto::record::{Progress, RecordOptions};

use super::input::{PredicateArgs, PredicateInput, read_input, shown};
use crate::flags::ArtifactArgs;

/// The predicate made from the report at `path` for a `kind` predicate.
pub(crate) fn predicate(
    path: &Path,
    kind: Option<PredicateKind>,
    args: &PredicateArgs,
    _artifacts: &ArtifactArgs,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<PredicateInput> {
    let bytes = read_input(path, "report")?;
    let source = shown(path);
    let input = |value| PredicateInput {
        value,
        default_subjects: Vec::new(),
        predicate_type: None,
    };
    match kind {
        Some(PredicateKind::TestResult) => {
            let configuration = configuration(args.configs(), progress)?;
            let value =
                test_result::from_junit(&bytes, configuration, args.url().map(str::to_owned))
                    .with_context(|| format!("cannot read {source}"))?;
            Ok(input(value))
        }
        Some(PredicateKind::Vulns) => Ok(input(
            vulns::from_report(&bytes).with_context(|| format!("cannot read {source}"))?,
        )),
        Some(kind @ (PredicateKind::Spdx | PredicateKind::CycloneDx)) => {
            let document = if kind == PredicateKind::Spdx {
                sbom::from_spdx(&bytes)
            } else {
                sbom::from_cyclonedx(&bytes)
            }
            .with_context(|| format!("cannot read {source}"))?;
            if document.subjects_without_digest > 0 {
                tracing::warn!(
                    "{source}: {} described artifacts have no digest and are not subjects; \
                     give them with --subject",
                    document.subjects_without_digest
                );
            }
            Ok(PredicateInput {
                value: document.predicate,
                default_subjects: document.subjects,
                predicate_type: Some(document.predicate_type),
            })
        }
        _ => bail!(
            "--from makes test-result (JUnit XML), vulns (SARIF, Grype or Trivy JSON), spdx and \
             cyclonedx predicates; for other types give --predicate FILE"
        ),
    }
}

/// The test configuration files, hashed (sha256), as resource descriptors.
fn configuration(
    files: &[std::path::PathBuf],
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Vec<ResourceDescriptor>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    for f in files {
        if !f.is_file() {
            bail!("--config {}: not a readable file", f.display());
        }
    }
    let found = RecordOptions::new()
        .progress(progress)
        .record(&names)
        .context("cannot hash the --config files")?;
    Ok(found
        .into_iter()
        .map(|(name, digest)| ResourceDescriptor::named(name, digest))
        .collect())
}
