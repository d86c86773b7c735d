//! `intoto run`: carry out a supply chain step and write its signed link;
//! flag-compatible with the reference's `in-toto-run`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;

use intoto::model::StepName;
use intoto::record::{RunOptions, StepOptions, Streams, run_step};

use crate::exit::{Outcome, command_status};
use crate::flags::{ArtifactArgs, EnvelopeArgs, KeyArgs, write_provenance};
use crate::output;
use crate::output::Format;
use crate::progress::{self, Meter};
use crate::step_error;
use intoto::attest::provenance::RunContext;
use intoto::link::LinkForm;

/// Carry out a supply chain step and write its signed link (in-toto-run).
///
/// Records the materials, runs the command, records the products, and writes
/// the link, signed with --signing-key, to `<name>.<keyid prefix>.link`. The
/// command's output is discarded unless --record-streams is given. When the
/// command exits with a non-zero status, the link is still written and
/// intoto exits with that status. Paths that do not exist are skipped with a
/// warning.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    # Tag a git repository, recording the files in the current folder as products\n  \
    intoto run -n tag -p . --signing-key alice -- git tag v1.0\n\n  \
    # Build a tarball: the project folder as materials, the tarball as product\n  \
    intoto run -n package -m project -p project.tar.gz --signing-key bob -- tar czf project.tar.gz project\n\n  \
    # A step without a command (a review), with artifacts found under a base path\n  \
    intoto run -n review --signing-key carol -m document.pdf --base-path /my/review/docs -x\n\n  \
    # An attestation (ITE-6 link statement in DSSE) with sha256 and sha512 digests\n  \
    intoto run -n build -m src -p target/app --signing-key bob --attest --hash sha256,sha512 -- make\n\n  \
    # The link, and SLSA provenance of the build beside it (build.<keyid>.provenance.json)\n  \
    intoto run -n build -m src -p target/app --signing-key bob --attest provenance \\\n    \
    --builder-id https://ci.example.com/runners/7 -- make\n\n  \
    # Signed with a key and its X.509 certificate, for layouts that authorise the\n  \
    # certificate's identity (ITE-7, docs/identities.md)\n  \
    intoto run -n build -m src -p target/app --signing-key build.key --signing-cert build.crt \\\n    \
    --signing-chain intermediates.pem -- make\n\n  \
    # Signed with this workload's SPIFFE identity (X509-SVID) from the SPIRE agent\n  \
    intoto run -n build -m src -p target/app --spiffe-socket /run/spire/sockets/agent.sock -- make\n\n\
    Exit status: the command's own status when it is not zero; 1 if the command cannot be run or \
    timed out; 2 for bad input or when the link cannot be written; 0 otherwise.")]
pub(crate) struct RunArgs {
    /// Name of the step: the link is written to `<name>.<keyid prefix>.link`
    /// and matched with the layout's step of that name.
    #[arg(short = 'n', long = "step-name", value_name = "NAME", required = true)]
    step_name: StepName,
    /// Files or folders to record before the command runs (folders
    /// recursively; symlinks to files are followed). ITE-4 `dir:` URIs
    /// record a folder as one digest.
    #[arg(short = 'm', long, value_name = "PATH", num_args = 1..)]
    materials: Vec<String>,
    /// Files or folders to record after the command ran.
    #[arg(short = 'p', long, value_name = "PATH", num_args = 1..)]
    products: Vec<String>,
    /// Show the command's standard output and error and record them in the
    /// link. Do not use with interactive commands.
    #[arg(short = 's', long)]
    record_streams: bool,
    /// Do not run a command (for a step such as a review): the link records
    /// materials and products only.
    #[arg(short = 'x', long)]
    no_command: bool,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    artifacts: ArtifactArgs,
    /// Folder to write the link to (default: the current folder).
    #[arg(short = 'd', long, value_name = "DIRECTORY")]
    metadata_directory: Option<PathBuf>,
    #[command(flatten)]
    envelope: EnvelopeArgs,
    /// Seconds the command may run before it is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    run_timeout: u64,
    /// The command to run and its arguments, after `--`.
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
}

pub(crate) fn run(args: RunArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let step = args.step_name.as_str();
    let command = if args.no_command {
        if !args.command.is_empty() {
            tracing::warn!(
                "--no-command given: not running {:?}",
                args.command.join(" ")
            );
        }
        Vec::new()
    } else if args.command.is_empty() {
        bail!("no command given for step {step:?}: put it after `--`, or pass --no-command");
    } else {
        args.command
    };
    let form = args.envelope.form();
    let builder = args.envelope.provenance_builder(step)?;
    if (form == LinkForm::Attestation || builder.is_some()) && args.products.is_empty() {
        bail!(
            "--attest needs products (-p): they become the subjects of the attestation of step {step:?}"
        );
    }
    // The key first, as the reference does: a wrong password must not cost a run.
    let key = args.key.load()?;
    let dir = args.metadata_directory.as_deref();
    intoto::link::check_writable_dir(dir.unwrap_or_else(|| std::path::Path::new(".")), step)?;

    let meter = Meter::new(quiet);
    let mut options = StepOptions::new()
        .materials(args.materials)
        .products(args.products)
        .artifacts(args.artifacts.options(meter.clone()));
    if !command.is_empty() {
        let streams = if args.record_streams {
            Streams::Record
        } else {
            Streams::Discard
        };
        options = options.run(
            RunOptions::new(command)
                .streams(streams)
                .timeout(Duration::from_secs(args.run_timeout)),
        );
    }
    let started_on = chrono::Utc::now();
    let record = match run_step(step, &options) {
        Ok(record) => record,
        Err(e) => return step_error::step_error(e),
    };
    let finished_on = chrono::Utc::now();
    let path = intoto::link::write_signed_link(&record.link, form, key.signer(), dir)?;
    let provenance = match builder {
        Some(builder) => {
            let context = RunContext::new(builder, started_on, finished_on);
            Some(write_provenance(&record.link, &context, &key, dir)?)
        }
        None => None,
    };
    if format == Format::Json {
        let mut summary = progress::summary(step, &record.link, &path, form, &meter, started);
        if let Some(p) = provenance {
            summary["provenance"] = serde_json::json!(p);
        }
        output::json(&summary)?;
    }
    let outcome = record.return_value.map_or(Outcome::Success, command_status);
    super::discard(record.link);
    Ok(outcome)
}
