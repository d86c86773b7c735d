//! `intoto show`: say what in-toto metadata files and bundles hold, and
//! which signatures verify with which keys.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use intoto::crypto::KeyIdForm;
use intoto::describe::{FileDescription, NamedKey, describe_file};
use intoto::fs;

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;

/// Show what in-toto metadata holds: legacy metablocks, DSSE envelopes and
/// in-toto bundles (`.intoto.jsonl`, one envelope a line).
///
/// For each file, and each line of a bundle: the wrapper, the payload type,
/// the document (link, layout or statement with its subjects, predicate type
/// and a one-line summary of the predicate) and the signatures with their
/// extra fields (`cert`, `certificate`, `intermediates`, `timestamps`).
/// Bundle lines that hold no envelope, or an envelope of another payload
/// type, are shown with the reason they are skipped.
///
/// With --verification-keys, each signature is checked with each key over
/// the bytes received, whatever keyid it names.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    # What a link, a layout or an attestation holds\n  \
    intoto show package.2f89b927.link\n\n  \
    # Every line of a bundle, and which signatures alice.pub verifies\n  \
    intoto show attestations.intoto.jsonl --verification-keys alice.pub\n\n  \
    # The same as JSON\n  \
    intoto show build.json --format json\n\n\
Exit status: 0 every file read (and, with --verification-keys, every in-toto document has a \
signature verified by a given key); 1 some in-toto document has no signature verified by a given \
key; 2 a file cannot be read or is not in-toto metadata.")]
pub(crate) struct ShowArgs {
    /// The metadata or bundle files (a `.jsonl` file is read as a bundle).
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Public keys (PEM or securesystemslib JSON) to check signatures with.
    #[arg(long = "verification-keys", short = 'k', value_name = "PATH", num_args = 1..)]
    verification_keys: Vec<PathBuf>,
}

pub(crate) fn run(args: ShowArgs, format: Format) -> anyhow::Result<Outcome> {
    let keys = args
        .verification_keys
        .iter()
        .map(|path| {
            Ok(NamedKey::new(
                path.display().to_string(),
                fs::read_public_key(path, KeyIdForm::Modern)?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut described: Vec<FileDescription> = Vec::new();
    let mut errors = Vec::new();
    for file in &args.files {
        match describe_file(file, &keys) {
            Ok(d) => {
                if format == Format::Text {
                    d.text().iter().try_for_each(|l| output::line(l))?;
                }
                described.push(d);
            }
            Err(e) => {
                let err = anyhow::Error::new(e);
                crate::exit::report(&err);
                errors.push(json!({
                    "file": file,
                    "error": crate::hints::error_text(&err),
                }));
            }
        }
    }
    let verified = described.iter().all(FileDescription::all_verified);
    if format == Format::Json {
        output::json(&json!({
            "files": described,
            "errors": errors,
            "verified": if keys.is_empty() { serde_json::Value::Null } else { verified.into() },
        }))?;
    }
    Ok(if !errors.is_empty() {
        Outcome::Error
    } else if !verified {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
