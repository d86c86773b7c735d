//! `intoto mock`: run a command and write an unsigned link, to try out
//! recording; flag-compatible with the reference's `in-toto-mock`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use intoto::fs;
use intoto::model::{EnvelopeKind, StepName, unsigned_link_file_name};
use intoto::record::{RecordOptions, RunOptions, StepOptions, Streams, run_step};

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;
use crate::progress::{self, Meter};
use crate::step_error;
use intoto::link::LinkForm;

/// Run a command and write an unsigned link to `<name>.link` (in-toto-mock).
///
/// Everything in the current folder is recorded as materials and products,
/// and the command's output is shown and recorded. Sign the link afterwards
/// with `intoto sign`. The exit status does not depend on the command's.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    # Write foo.link for the activity of creating bar, then sign it\n  \
    intoto mock --name foo -- touch bar\n  \
    intoto sign -f foo.link -k mykey")]
pub(crate) struct MockArgs {
    /// Name of the step: the link is written to `<name>.link`.
    #[arg(short = 'n', long, value_name = "NAME", required = true)]
    name: StepName,
    /// Write the link in a DSSE envelope.
    #[arg(long)]
    use_dsse: bool,
    /// The command to run and its arguments, after `--`.
    #[arg(value_name = "COMMAND", required = true)]
    command: Vec<String>,
}

pub(crate) fn run(args: MockArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let step = args.name.as_str();
    let path = PathBuf::from(unsigned_link_file_name(&args.name));
    intoto::link::check_writable_dir(std::path::Path::new("."), step)?;
    let meter = Meter::new(quiet);
    let options = StepOptions::new()
        .materials(["."])
        .products(["."])
        .artifacts(RecordOptions::new().progress(meter.clone()))
        .run(RunOptions::new(args.command).streams(Streams::Record));
    let record = match run_step(step, &options) {
        Ok(record) => record,
        Err(e) => return step_error::step_error(e),
    };
    let kind = if args.use_dsse {
        EnvelopeKind::Dsse
    } else {
        EnvelopeKind::Legacy
    };
    fs::write_atomic(
        &path,
        intoto::link::unsigned_link_text(&record.link, kind).as_bytes(),
    )
    .with_context(|| format!("cannot write the link of step {step:?}"))?;
    tracing::info!(step.name = step, "wrote unsigned link {}", path.display());
    if format == Format::Json {
        output::json(&progress::summary(
            step,
            &record.link,
            &path,
            LinkForm::Link(kind),
            &meter,
            started,
        ))?;
    }
    super::discard(record.link);
    Ok(Outcome::Success)
}
