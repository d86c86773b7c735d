//! `intoto vsa verify`: trust an artifact on the strength of a signed SLSA
//! verification summary (VSA v1).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use intoto::attest::verify_statement;
use intoto::crypto::{KeyIdForm, PublicKey};
use intoto::fs;
use intoto::model::bundle::{BundleItem, read_bundle};
use intoto::model::{DigestSet, Envelope, Metadata};
use intoto::verify::policy::vsa::{self, Expectations, parse_duration};

use crate::exit::Outcome;
use crate::output::{self, Format};

/// Work with SLSA verification summaries (VSA v1).
#[derive(Debug, Subcommand)]
pub(crate) enum VsaCommand {
    /// Check that a signed summary vouches for an artifact.
    Verify(VerifyArgs),
}

/// Check that a signed verification summary vouches for an artifact: it is
/// signed by every --verification-keys key, one of its subjects is the
/// artifact, it says PASSED, and it meets the verifier, resource, level and
/// age asked for. A bundle (.intoto.jsonl) passes when one of its
/// summaries does.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    intoto vsa verify app.vsa.json --subject app.tar.gz --verification-keys verifier.pub \\\n    \
    --verifier-id https://verifier.example.com --verified-level SLSA_BUILD_LEVEL_3 --max-age 24h\n  \
    intoto vsa verify release.intoto.jsonl --subject-digest sha256:9f86d0… --verification-keys verifier.pub\n\n\
    A higher level of the same track satisfies a lower one (SLSA_BUILD_LEVEL_3 satisfies \
    SLSA_BUILD_LEVEL_2).\n\n\
    Exit status: 0 the summary vouches for the artifact, 1 it does not (or no signature verifies), \
    2 bad input.")]
pub(crate) struct VerifyArgs {
    /// The summary: a DSSE envelope, or a bundle of them.
    #[arg(value_name = "VSA")]
    file: PathBuf,
    /// The artifact (hashed with sha256 and sha512).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "subject_digest",
        conflicts_with = "subject_digest"
    )]
    subject: Option<PathBuf>,
    /// The artifact's digest, ALG:HEX.
    #[arg(long, value_name = "ALG:HEX")]
    subject_digest: Vec<String>,
    /// Keys that must all have signed the summary.
    #[arg(short = 'k', long, value_name = "PATH", num_args = 1.., required = true)]
    verification_keys: Vec<PathBuf>,
    /// The verifier the summary must come from (`verifier.id`).
    #[arg(long, value_name = "URI")]
    verifier_id: Option<String>,
    /// The resource the summary must be about (`resourceUri`).
    #[arg(long, value_name = "URI")]
    resource_uri: Option<String>,
    /// A level the summary must claim; repeatable.
    #[arg(long = "verified-level", value_name = "LEVEL")]
    levels: Vec<String>,
    /// How old the summary may be: 90s, 15m, 24h, 7d.
    #[arg(long, value_name = "AGE", value_parser = parse_duration)]
    max_age: Option<chrono::Duration>,
}

pub(crate) fn run(command: VsaCommand, format: Format) -> anyhow::Result<Outcome> {
    match command {
        VsaCommand::Verify(args) => verify(args, format),
    }
}

fn verify(args: VerifyArgs, format: Format) -> anyhow::Result<Outcome> {
    let keys: Vec<PublicKey> = args
        .verification_keys
        .iter()
        .map(|path| Ok(fs::read_public_key(path, KeyIdForm::Modern)?))
        .collect::<anyhow::Result<_>>()?;
    let mut expect = Expectations::new(subject(&args)?);
    expect.verifier_id = args.verifier_id.clone();
    expect.resource_uri = args.resource_uri.clone();
    expect.levels = args.levels.clone();
    expect.max_age = args.max_age;

    let bytes = fs::read(&args.file, fs::MAX_METADATA_BYTES)?;
    let shown = args.file.display().to_string();
    let envelopes = envelopes(&bytes).with_context(|| format!("cannot read {shown}"))?;
    let now = chrono::Utc::now();
    let mut outcomes = Vec::new();
    for (place, envelope) in envelopes {
        let problems = match verify_statement(envelope, &keys) {
            Err(e) => vec![crate::hints::error_text(&anyhow::Error::new(e))],
            Ok(summary) => match vsa::check(&summary, &expect, now) {
                Ok(_) => Vec::new(),
                Err(problems) => problems.iter().map(ToString::to_string).collect(),
            },
        };
        outcomes.push((place, problems));
    }
    let passed = outcomes.iter().any(|(_, p)| p.is_empty());
    if format == Format::Json {
        output::json(&json!({
            "file": shown,
            "verified": passed,
            "summaries": outcomes.iter().map(|(place, problems)| json!({
                "at": place, "passed": problems.is_empty(), "problems": problems,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        for (place, problems) in &outcomes {
            if problems.is_empty() {
                output::line(&format!(
                    "{shown}{place}: the summary vouches for the artifact"
                ))?;
            }
            for p in problems {
                output::line(&format!("{shown}{place}: {p}"))?;
            }
        }
        output::line(if passed {
            "verified: yes"
        } else {
            "verified: no"
        })?;
    }
    Ok(if passed {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// The artifact's digests.
fn subject(args: &VerifyArgs) -> anyhow::Result<DigestSet> {
    if let Some(path) = &args.subject {
        if !path.is_file() {
            bail!("--subject {}: not a readable file", path.display());
        }
        return intoto::fs::hash_file(path)
            .with_context(|| format!("cannot hash {}", path.display()));
    }
    let mut digest = DigestSet::new();
    for text in &args.subject_digest {
        let Some((alg, hex)) = crate::flags::alg_hex(text) else {
            bail!("--subject-digest {text:?} is not ALG:HEX");
        };
        digest.insert(alg, hex);
    }
    Ok(digest)
}

/// The envelopes in a file: one, or the in-toto lines of a bundle (with
/// their place, `:LINE`).
fn envelopes(bytes: &[u8]) -> anyhow::Result<Vec<(String, Envelope)>> {
    if let Ok(Metadata::Envelope(envelope)) = Metadata::from_slice(bytes) {
        return Ok(vec![(String::new(), envelope)]);
    }
    let found: Vec<(String, Envelope)> = read_bundle(bytes)
        .into_iter()
        .filter_map(|line| match line.item {
            BundleItem::Statement { envelope, .. } => Some((format!(":{}", line.number), envelope)),
            _ => None,
        })
        .collect();
    if found.is_empty() {
        bail!("neither a DSSE envelope nor a bundle of in-toto envelopes");
    }
    Ok(found)
}
