//! `intoto record start|stop`: record a step that is not a single command in
//! two parts; flag-compatible with the reference's `in-toto-record`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use intoto::crypto::check_signature_at;
use intoto::fs;
use intoto::model::{EnvelopeKind, Payload, StepName, unfinished_link_file_name};
use intoto::record::{StartOptions, StopOptions, record_start, record_stop};

use crate::exit::{self, Outcome};
use crate::flags::{ArtifactArgs, EnvelopeArgs, KeyArgs, LinkSigner, write_provenance};
use crate::output;
use crate::output::Format;
use crate::progress::{self, Meter};
use intoto::attest::provenance::RunContext;
use intoto::link::LinkForm;

/// Record a step in two parts (in-toto-record): `start` records the
/// materials in `.<name>.<keyid prefix>.link-unfinished`, `stop` records the
/// products and writes the signed `<name>.<keyid prefix>.link`.
#[derive(Debug, Subcommand)]
pub(crate) enum RecordCommand {
    /// Record the materials and sign them into the unfinished link
    /// `.<name>.<keyid prefix>.link-unfinished` in the current folder.
    #[command(after_help = "Examples:\n  \
        intoto record start -n edit-files --signing-key alice -m .\n  \
        intoto record start -n edit-files --signing-key alice -m src --exclude '*.o' --use-dsse")]
    Start(StartArgs),
    /// Check the unfinished link's signature, record the products, and write
    /// the signed `<name>.<keyid prefix>.link`; the unfinished link is
    /// removed once the link is written.
    #[command(after_help = "Examples:\n  \
        intoto record stop -n edit-files --signing-key alice -p .\n  \
        intoto record stop -n edit-files --signing-key alice -p dist -d links/\n\n\
        Exit status: 0 written; 1 the unfinished link is not signed by the key; 2 other errors.")]
    Stop(StopArgs),
}

/// The flags `start` and `stop` share.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// Name of the step, as in the layout.
    #[arg(short = 'n', long = "step-name", value_name = "NAME", required = true)]
    step_name: StepName,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    artifacts: ArtifactArgs,
    #[command(flatten)]
    envelope: EnvelopeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct StartArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Files or folders to record as materials.
    #[arg(short = 'm', long, value_name = "PATH", num_args = 1..)]
    materials: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct StopArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Files or folders to record as products.
    #[arg(short = 'p', long, value_name = "PATH", num_args = 1..)]
    products: Vec<String>,
    /// Folder to write the link to (default: the current folder).
    #[arg(short = 'd', long, value_name = "DIRECTORY")]
    metadata_directory: Option<PathBuf>,
}

pub(crate) fn run(cmd: RecordCommand, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    match cmd {
        RecordCommand::Start(args) => start(args, format, quiet),
        RecordCommand::Stop(args) => stop(args, format, quiet),
    }
}

fn start(args: StartArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let common = args.common;
    let step = common.step_name.as_str();
    let key = common.key.load()?;
    intoto::link::check_writable_dir(Path::new("."), step)?;
    let meter = Meter::new(quiet);
    let options =
        StartOptions::new(args.materials).artifacts(common.artifacts.options(meter.clone()));
    let link = record_start(step, &options)?;
    // The unfinished link carries no products yet, so an attestation (whose
    // subjects are the products) is made by `stop`; until then it is a DSSE link.
    let form = match common.envelope.form() {
        LinkForm::Attestation => LinkForm::Link(EnvelopeKind::Dsse),
        form => form,
    };
    let (text, keyid) = intoto::link::sign_link(&link, form, key.signer())?;
    let path = PathBuf::from(unfinished_link_file_name(&common.step_name, &keyid));
    fs::write_atomic(&path, text.as_bytes())
        .with_context(|| format!("cannot write the unfinished link of step {step:?}"))?;
    tracing::info!(step.name = step, "wrote unfinished link {}", path.display());
    if format == Format::Json {
        output::json(&progress::summary(
            step, &link, &path, form, &meter, started,
        ))?;
    }
    Ok(Outcome::Success)
}

/// The unfinished link `stop` completes: `.<step>.<keyid[:8]>.link-unfinished`
/// for a key; for GnuPG, whose signing (sub)key is only known from the
/// signature, the one `.<step>.*.link-unfinished` there is, as the reference
/// looks for it.
fn find_unfinished(step: &StepName, key: &LinkSigner) -> anyhow::Result<PathBuf> {
    if let Some(keyid) = key.keyid() {
        let unfinished = PathBuf::from(unfinished_link_file_name(step, keyid));
        if !unfinished.exists() {
            let missing = intoto::fs::FileError::Read {
                path: unfinished.clone(),
                source: std::io::Error::from_raw_os_error(2),
            };
            return Err(anyhow::Error::new(missing).context(format!(
                "no unfinished link for step {step:?} signed by {} in the current folder; \
                 run `intoto record start` first",
                keyid.short(),
            )));
        }
        return Ok(unfinished);
    }
    let prefix = format!(".{step}.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(".")
        .context("cannot list the current folder")?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".link-unfinished"))
        .map(PathBuf::from)
        .collect();
    found.sort();
    match found.len() {
        0 => bail!(
            "no unfinished link for step {step:?} in the current folder; run `intoto record start` first"
        ),
        1 => Ok(found.remove(0)),
        _ => bail!(
            "more than one unfinished link for step {step:?} in the current folder ({}); give --gpg KEYID \
             or remove the stale ones",
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn stop(args: StopArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let common = args.common;
    let step = common.step_name.as_str();
    let key = common.key.load()?;
    let unfinished = find_unfinished(&common.step_name, &key)?;
    let md = fs::read_metadata(&unfinished)?;
    let public = key.verification_key(&md)?;
    if let Err(e) = check_signature_at(&md, &public, chrono::Utc::now().timestamp()) {
        let err = anyhow::Error::new(e).context(format!(
            "{}: the unfinished link of step {step:?} is not signed by {}",
            unfinished.display(),
            key.describe()
        ));
        exit::report(&err);
        return Ok(Outcome::Failed);
    }
    let link = match md
        .payload()
        .with_context(|| format!("{}: invalid metadata", unfinished.display()))?
    {
        Payload::Link(link) => link,
        other => bail!(
            "{}: holds a {}, not the link of step {step:?}",
            unfinished.display(),
            other.kind()
        ),
    };
    if link.name != step {
        // Finishing it would write another step's link (named after the
        // metadata) while the caller asked for this one.
        exit::report(&anyhow::anyhow!(
            "{} holds the unfinished link of step {:?}, not {step:?}; nothing was written",
            unfinished.display(),
            link.name
        ));
        return Ok(Outcome::Failed);
    }
    // Like the reference, the link keeps the unfinished link's wrapper.
    let form = match (common.envelope.attest(), md.kind()) {
        (true, _) => LinkForm::Attestation,
        (false, kind) => {
            if common.envelope.use_dsse() && kind == EnvelopeKind::Legacy {
                tracing::warn!(
                    "--use-dsse ignored: the unfinished link of step {step:?} is a legacy link, and the link keeps its form"
                );
            }
            LinkForm::Link(kind)
        }
    };
    let builder = common.envelope.provenance_builder(step)?;
    if (form == LinkForm::Attestation || builder.is_some()) && args.products.is_empty() {
        bail!(
            "--attest needs products (-p): they become the subjects of the attestation of step {step:?}"
        );
    }
    // The step began when `record start` wrote the unfinished link.
    let started_on = std::fs::symlink_metadata(&unfinished)
        .and_then(|m| m.modified())
        .map_or_else(
            |_| chrono::Utc::now(),
            chrono::DateTime::<chrono::Utc>::from,
        );
    let dir = args.metadata_directory.as_deref();
    intoto::link::check_writable_dir(dir.unwrap_or_else(|| Path::new(".")), step)?;

    let meter = Meter::new(quiet);
    let options =
        StopOptions::new(args.products).artifacts(common.artifacts.options(meter.clone()));
    let link = record_stop(link, &options)?;
    let path = intoto::link::write_signed_link(&link, form, key.signer(), dir)?;
    let provenance = match builder {
        Some(builder) => {
            let context = RunContext::new(builder, started_on, chrono::Utc::now());
            Some(write_provenance(&link, &context, &key, dir)?)
        }
        None => None,
    };
    // Only now that the link is safely written does the unfinished one go.
    std::fs::remove_file(&unfinished).with_context(|| {
        format!(
            "wrote {} but cannot remove the unfinished link {}",
            path.display(),
            unfinished.display()
        )
    })?;
    if format == Format::Json {
        let mut summary = progress::summary(step, &link, &path, form, &meter, started);
        summary["unfinished"] = json!(unfinished);
        if let Some(p) = provenance {
            summary["provenance"] = json!(p);
        }
        output::json(&summary)?;
    }
    super::discard(link);
    Ok(Outcome::Success)
}
