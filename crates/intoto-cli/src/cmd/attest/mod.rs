//! `intoto attest`: sign any predicate about any subjects as an ITE-6
//! statement in a DSSE envelope, written to a file, standard output, or a
//! JSON Lines bundle.

mod generated;
mod input;
mod subjects;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use intoto::attest::{
    Output, envelope_text, sign_and_write, sign_statement, sign_statement_bytes, write_attestation,
};
use intoto::crypto::{PrivateKey, Signer};
use intoto::model::predicate::PredicateTypeArg;
use intoto::model::{Envelope, Signature, Statement, StatementBuilder};

use crate::exit::Outcome;
use crate::flags::ArtifactArgs;
use crate::output::{self, Format};
use crate::progress::Meter;

/// Sign a predicate about artifacts as an in-toto attestation (ITE-6
/// Statement v1 in a DSSE envelope).
///
/// The subjects are files or folders (hashed in parallel, as `intoto run`
/// hashes products: the same --exclude, --base-path, --lstrip-paths and
/// --hash) or digests given with --subject-digest. The predicate comes
/// from --predicate (JSON), is generated from a tool's report with --from,
/// or is given as a whole statement with --statement. Predicates of a known
/// type are checked against their specification before anything is signed.
#[derive(Debug, Args)]
#[command(
    after_help = "Predicate types (--type): link, provenance (SLSA v1), provenance02, spdx, \
    cyclonedx, vulns, test-result, vsa, openvex, release, scai, runtime-trace, review (this \
    project's code review), custom (with --predicate-type URI), or any type URI.\n\n\
    Generated predicates (--from FILE):\n  \
    test-result  a JUnit XML report (--config FILE names the test configuration, --url the run)\n  \
    vulns        a SARIF, Grype JSON or Trivy JSON report\n  \
    spdx         an SPDX 2 JSON document; subjects default to the packages it describes\n  \
    cyclonedx    a CycloneDX JSON BOM; subjects default to its metadata component\n\n\
    Examples:\n  \
    # Test results from a JUnit report, about the built binary\n  \
    intoto attest --type test-result --from junit.xml --subject target/app --signing-key alice -o tests.intoto.json\n\n  \
    # A vulnerability scan, appended to the release's bundle\n  \
    intoto attest --type vulns --from grype.json --subject app.tar.gz --signing-key scanner --bundle release.intoto.jsonl\n\n  \
    # Any predicate, signed by two keys, about an image known by digest\n  \
    intoto attest --type https://example.com/deploy/v1 --predicate deploy.json \\\n    \
    --subject-digest registry.example/app=sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 \\\n    \
    --signing-key alice --signing-key bob -o deploy.intoto.json\n\n  \
    # Sign a statement written by another tool, byte for byte\n  \
    intoto attest --statement statement.json --signing-key alice -o statement.intoto.json\n\n\
    Exit status: 0 written, 2 bad input (nothing is written)."
)]
pub(crate) struct AttestArgs {
    /// The predicate type: an alias (see below) or a type URI.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_type, required_unless_present = "statement")]
    predicate_type: Option<PredicateTypeArg>,
    /// The type URI of a `--type custom` predicate.
    #[arg(long, value_name = "URI")]
    predicate_type_uri: Option<String>,
    #[command(flatten)]
    input: input::PredicateArgs,
    #[command(flatten)]
    subjects: subjects::SubjectArgs,
    /// Key to sign with (PKCS#8 PEM); repeat it for several signatures on
    /// one envelope.
    #[arg(
        long = "signing-key",
        value_name = "PATH",
        required_unless_present = "spiffe_socket"
    )]
    signing_keys: Vec<PathBuf>,
    #[command(flatten)]
    certificates: crate::flags::CertArgs,
    /// Password of encrypted signing keys; -P without a value prompts for
    /// each key.
    #[arg(short = 'P', long, num_args = 0..=1, value_name = "PASSWORD")]
    password: Option<Option<String>>,
    #[command(flatten)]
    artifacts: ArtifactArgs,
    /// File to write the envelope to (default: standard output).
    #[arg(short = 'o', long, value_name = "PATH", conflicts_with = "bundle")]
    output: Option<PathBuf>,
    /// JSON Lines bundle to append the envelope to, as one line.
    #[arg(long, value_name = "PATH")]
    bundle: Option<PathBuf>,
}

fn parse_type(text: &str) -> Result<PredicateTypeArg, String> {
    PredicateTypeArg::parse(text).map_err(|e| e.to_string())
}

pub(crate) fn run(args: AttestArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let owned = load_signers(&args)?;
    let signers: Vec<&dyn Signer> = owned.iter().map(AsRef::as_ref).collect();
    let meter = Meter::new(quiet || (args.output.is_none() && args.bundle.is_none()));

    let output = output_of(&args);
    let (signed, statement) = if let Some(path) = &args.input.statement {
        if args.predicate_type.is_some() || args.subjects.given() {
            bail!(
                "--statement signs a whole statement: it takes no --type, --subject or predicate"
            );
        }
        let bytes = input::read_input(path, "statement")?;
        let (envelope, statement) = sign_statement_bytes(bytes, &signers)
            .with_context(|| format!("cannot sign {}", input::shown(path)))?;
        (Some(envelope), statement)
    } else {
        let type_uri = match (&args.predicate_type, &args.predicate_type_uri) {
            (Some(PredicateTypeArg::Custom(None)), Some(uri)) => uri.clone(),
            (Some(PredicateTypeArg::Custom(None)), None) => {
                bail!(
                    "--type custom needs the predicate's type URI: --predicate-type-uri https://…"
                )
            }
            (Some(t), None) => t.uri().unwrap_or_default().to_owned(),
            (Some(_), Some(_)) => bail!("--predicate-type-uri goes with --type custom only"),
            (None, _) => bail!("give --type TYPE, or a whole statement with --statement"),
        };
        let kind = match &args.predicate_type {
            Some(PredicateTypeArg::Known(kind, _)) => Some(*kind),
            _ => None,
        };
        let predicate = input::predicate(&args.input, kind, &args.artifacts, meter.clone())?;
        // An SBOM given by alias is written under its own versioned type.
        let by_alias = matches!(&args.predicate_type,
            Some(PredicateTypeArg::Known(kind, uri)) if kind.uri() == uri);
        let type_uri = match predicate.predicate_type {
            Some(t) if by_alias => t,
            _ => type_uri,
        };
        let mut subjects = args.subjects.resolve(&args.artifacts, meter.clone())?;
        if subjects.is_empty() {
            subjects = predicate.default_subjects;
        }
        if subjects.is_empty() {
            bail!(
                "no subjects: give the artifacts the attestation is about with --subject PATH or \
                 --subject-digest NAME=ALG:HEX"
            );
        }
        let statement: Statement = StatementBuilder::new()
            .subjects(subjects)
            .predicate_type(type_uri)
            .predicate(predicate.value)
            .build()
            .context("the attestation would not be valid")?;
        (None, statement)
    };
    let (written, signatures) = match (signed, &output) {
        // Signed while the envelope is written.
        (None, Some(output)) => {
            let (path, signatures) = sign_and_write(&statement, &signers, output)?;
            (Some(path), signatures)
        }
        (None, None) => (None, print(&sign_statement(&statement, &signers)?)?),
        (Some(envelope), Some(output)) => (
            Some(write_attestation(&envelope, output)?),
            envelope.signatures,
        ),
        (Some(envelope), None) => (None, print(&envelope)?),
    };
    if format == Format::Json {
        output::json(&json!({
            "path": written,
            "predicateType": statement.predicate_type,
            "subjects": statement.subject.len(),
            "keyids": signatures.iter().map(|s| s.keyid.to_string()).collect::<Vec<_>>(),
            "files": meter.files(),
            "bytes": meter.bytes(),
            "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        }))?;
    } else if let Some(path) = &written {
        tracing::info!(
            "signed {} about {} subjects: {}",
            statement.predicate_type,
            statement.subject.len(),
            path.display()
        );
    }
    Ok(Outcome::Success)
}

/// The signing keys, each with its certificate when one is given, or the
/// X509-SVID from `--spiffe-socket` as well.
fn load_signers(args: &AttestArgs) -> anyhow::Result<Vec<Box<dyn Signer>>> {
    let keys = args
        .signing_keys
        .iter()
        .map(|path| crate::flags::read_signing_key(path, args.password.as_ref()))
        .collect::<anyhow::Result<Vec<PrivateKey>>>()?;
    let mut signers = args.certificates.certify(keys)?;
    if let Some(svid) = args.certificates.svid_signer()? {
        signers.push(Box::new(svid));
    }
    Ok(signers)
}

/// Where the envelope goes: `None` for standard output.
fn output_of(args: &AttestArgs) -> Option<Output> {
    match (&args.output, &args.bundle) {
        (Some(path), _) if path.as_os_str() == "-" => None,
        (Some(path), _) => Some(Output::File(path.clone())),
        (None, Some(path)) => Some(Output::Bundle(path.clone())),
        (None, None) => None,
    }
}

/// Prints the envelope on standard output; returns its signatures.
fn print(envelope: &Envelope) -> anyhow::Result<Vec<Signature>> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", envelope_text(envelope))?;
    out.flush()?;
    Ok(envelope.signatures.clone())
}
