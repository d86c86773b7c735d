//! The demo's attestations: bob's build also yields SLSA provenance (from
//! the same recording as its link), carol tests the package (a JUnit
//! report) and scans it (a SARIF log), and each becomes a signed ITE-6
//! statement in the release's bundle, client/hello.intoto.jsonl.

use std::path::Path;

use anyhow::{Context as _, ensure};
use chrono::Utc;
use serde_json::json;

use intoto::attest::provenance::{RunContext, statement_of};
use intoto::attest::{Output, sign_statement, write_attestation};
use intoto::crypto::check_signature;
use intoto::generate::{test_result, vulns};
use intoto::model::predicate::PredicateKind;
use intoto::model::{Link, Metadata, ResourceDescriptor, Statement, StatementBuilder};
use intoto::record::{RecordOptions, RunOptions};

use super::{Folders, Narrator, Party};

/// The demo's own test suite: three checks of the built program, reported
/// as JUnit XML.
const TEST_SCRIPT: &str = r#"pass() { echo "  <testcase classname=\"hello\" name=\"$1\"/>"; }
fail() { echo "  <testcase classname=\"hello\" name=\"$1\"><failure message=\"$1\"/></testcase>"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
{
  echo '<testsuite name="hello" tests="3">'
  check greets 'grep -q "hello, world" build/hello'
  check compiled 'grep -q "^compiled: " build/hello'
  check packaged 'tar tf hello.tar | grep -qx build/hello'
  echo '</testsuite>'
} > junit.xml"#;

/// The demo's scanner: flags any file of the package that runs a shell
/// command, as a SARIF 2.1.0 log.
const SCAN_SCRIPT: &str = r#"{
  echo '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "hello-scanner", "version": "1.0.0", "informationUri": "https://example.com/hello-scanner"}}, "results": ['
  if tar xOf hello.tar | grep -q "echo "; then
    echo '{"ruleId": "HELLO-0001", "kind": "fail", "level": "error", "message": {"text": "runs a shell command"}}'
  fi
  echo ']}]}'
} > scan.sarif"#;

/// Produces and signs the attestations; returns the bundle's path.
pub(super) fn produce(
    f: &Folders,
    build: &Link,
    started_on: chrono::DateTime<Utc>,
    bob: &Party,
    carol: &Party,
    n: &mut Narrator,
) -> anyhow::Result<std::path::PathBuf> {
    let bundle = f.client.join("hello.intoto.jsonl");
    let out = Output::Bundle(bundle.clone());
    n.say("   attestations (ITE-6 statements in DSSE, appended to client/hello.intoto.jsonl):")?;

    // SLSA provenance of the build, from the link's own recording.
    let context = RunContext::new(
        "https://example.com/demo/bob-laptop",
        started_on,
        Utc::now(),
    );
    let provenance = statement_of(build, &context)?;
    write_attestation(&sign_statement(&provenance, &[&bob.key])?, &out)?;
    say_statement(n, "bob", &provenance)?;

    // Tests and a scan of the package, by carol.
    let package = RecordOptions::new()
        .base_path(&f.work)
        .record(&["hello.tar"])
        .context("cannot hash hello.tar")?;
    let subjects: Vec<ResourceDescriptor> = package
        .into_iter()
        .map(|(name, digest)| ResourceDescriptor::named(name, digest))
        .collect();
    run_script(&f.work, "tests", TEST_SCRIPT)?;
    let config = RecordOptions::new()
        .base_path(&f.work)
        .record(&["junit.xml"])?
        .into_iter()
        .map(|(name, digest)| ResourceDescriptor::named(name, digest))
        .collect();
    let tests = test_result::from_junit(&read(&f.work.join("junit.xml"))?, config, None)?;
    let tests = statement(&subjects, PredicateKind::TestResult, tests)?;
    write_attestation(&sign_statement(&tests, &[&carol.key])?, &out)?;
    say_statement(n, "carol", &tests)?;

    run_script(&f.work, "scan", SCAN_SCRIPT)?;
    let scan = vulns::from_sarif(&read(&f.work.join("scan.sarif"))?)?;
    let scan = statement(&subjects, PredicateKind::Vulns, scan)?;
    write_attestation(&sign_statement(&scan, &[&carol.key])?, &out)?;
    say_statement(n, "carol", &scan)?;

    // Every line of the bundle verifies with its signer's key.
    let text = std::fs::read_to_string(&bundle)?;
    for (line, signer) in text.lines().zip([bob, carol, carol]) {
        let md = Metadata::from_slice(line.as_bytes())?;
        check_signature(&md, signer.public())?;
    }
    n.say(&format!(
        "   {} attestations in the bundle; each signature verifies with its signer's key",
        text.lines().count()
    ))?;
    n.record(json!({"event": "attestations", "bundle": bundle,
        "predicateTypes": [provenance.predicate_type, tests.predicate_type, scan.predicate_type]}));
    Ok(bundle)
}

fn statement(
    subjects: &[ResourceDescriptor],
    kind: PredicateKind,
    predicate: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<Statement> {
    Ok(StatementBuilder::new()
        .subjects(subjects.iter().cloned())
        .predicate_type(kind.uri())
        .predicate(predicate)
        .build()?)
}

fn say_statement(n: &mut Narrator, signer: &str, st: &Statement) -> anyhow::Result<()> {
    let summary = st.typed_predicate()?.summary();
    let subjects: Vec<&str> = st
        .subject
        .iter()
        .filter_map(|s| s.name.as_deref())
        .collect();
    n.say(&format!(
        "   - {summary}; about {}; signed by {signer}",
        subjects.join(", ")
    ))
}

fn run_script(dir: &Path, what: &str, script: &str) -> anyhow::Result<()> {
    let argv = ["sh", "-c", script];
    let run = RunOptions::new(argv)
        .working_dir(dir)
        .run()
        .with_context(|| format!("cannot run the demo's {what}"))?;
    ensure!(
        run.return_value == 0,
        "the demo's {what} failed: {}",
        run.stderr.trim()
    );
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    Ok(intoto::fs::read(path, 16 << 20)?)
}
