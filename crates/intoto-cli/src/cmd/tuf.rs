//! `intoto tuf`: publish packages with their in-toto metadata in a TUF
//! repository (ITE-2/ITE-3). The client side, `intoto verify --tuf-repo`,
//! is `tuf_verify`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;

use intoto_tuf::publish::{self, Expiries};
use intoto_tuf::{TufError, names::PACKAGES_ROLE};

use crate::exit::Outcome;
use crate::output::{self, Format};

/// Publish packages and their in-toto metadata in a TUF repository.
#[derive(Debug, Subcommand)]
pub(crate) enum TufCommand {
    /// Make a new TUF repository laid out for in-toto (ITE-2): root,
    /// targets (root layouts), a delegated packages role, snapshot and
    /// timestamp.
    Init(InitArgs),
    /// Add a package with the root layout and links it was made with.
    AddTarget(AddTargetArgs),
    /// Replace the keys of a role (a new root version, signed by old and
    /// new root keys; what the role signs is re-signed).
    Rotate(RotateArgs),
    /// Re-sign snapshot and timestamp (and the packages role with
    /// --packages) before they expire, with nothing else changed.
    Refresh(RefreshArgs),
}

/// `intoto tuf refresh`.
#[derive(Debug, Args)]
#[command(
    after_help = "Clients refuse a repository whose timestamp (default: 1 day), snapshot or \
    packages metadata (default: 7 days) expired. Run this from a scheduled job between releases.\n\n\
    Example:\n  \
    intoto tuf refresh --repo repo --packages --key tuf-packages --key tuf-snapshot --key tuf-timestamp"
)]
pub(crate) struct RefreshArgs {
    /// The repository folder.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// Re-sign the packages role too (its key among --key).
    #[arg(long)]
    packages: bool,
    /// The keys to sign with (repeatable): snapshot, timestamp, and the
    /// packages role's with --packages.
    #[arg(long = "key", value_name = "KEY", required = true)]
    keys: Vec<PathBuf>,
    #[command(flatten)]
    expiry: ExpiryArgs,
}

/// How long re-signed metadata stays valid.
#[derive(Debug, Args)]
pub(crate) struct ExpiryArgs {
    /// Expiry of root.json, as a duration (`365d`, `12h`, `30m`, `90s`).
    #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = parse_duration)]
    root_expires: jiff::SignedDuration,
    /// Expiry of the top-level targets (root layouts).
    #[arg(long, value_name = "DURATION", default_value = "365d", value_parser = parse_duration)]
    targets_expires: jiff::SignedDuration,
    /// Expiry of the packages role's metadata.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    packages_expires: jiff::SignedDuration,
    /// Expiry of snapshot.json.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    snapshot_expires: jiff::SignedDuration,
    /// Expiry of timestamp.json: clients refuse a repository whose
    /// timestamp expired (a freeze), so re-publish before then.
    #[arg(long, value_name = "DURATION", default_value = "1d", value_parser = parse_duration)]
    timestamp_expires: jiff::SignedDuration,
}

impl ExpiryArgs {
    fn expiries(&self) -> Expiries {
        Expiries {
            root: self.root_expires,
            targets: self.targets_expires,
            packages: self.packages_expires,
            snapshot: self.snapshot_expires,
            timestamp: self.timestamp_expires,
        }
    }
}

fn parse_duration(text: &str) -> Result<jiff::SignedDuration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?}: expected a number and a unit, such as 7d or 12h"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit is one of s, m, h, d")),
    };
    n.checked_mul(seconds)
        .filter(|s| *s > 0)
        .map(jiff::SignedDuration::from_secs)
        .ok_or_else(|| format!("{text:?}: out of range"))
}

/// `intoto tuf init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Key roles (ITE-2): the root and targets keys are offline keys (root.json and the \
    root layouts change rarely); the packages, snapshot and timestamp keys are online keys used on \
    every release. Each key is a PEM private key (ed25519, ECDSA P-256 or RSA), such as `intoto key \
    generate` writes. Default expiries: root and targets 365 days, packages and snapshot 7 days, \
    timestamp 1 day.\n\n\
    Example:\n  \
    for k in root targets snapshot timestamp packages; do intoto key generate tuf-$k; done\n  \
    intoto tuf init --repo repo --root-key tuf-root --targets-key tuf-targets \\\n    \
    --snapshot-key tuf-snapshot --timestamp-key tuf-timestamp --packages-key tuf-packages\n  \
    # Give clients repo/metadata/1.root.json out of band."
)]
pub(crate) struct InitArgs {
    /// The repository folder to make (it gets metadata/ and targets/).
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// A root key (repeatable).
    #[arg(long = "root-key", value_name = "KEY", required = true)]
    root_keys: Vec<PathBuf>,
    /// How many root keys must sign a new root.
    #[arg(long, value_name = "N", default_value_t = 1)]
    root_threshold: u64,
    /// The top-level targets key: it signs root layouts and their keys.
    #[arg(long = "targets-key", value_name = "KEY", required = true)]
    targets_keys: Vec<PathBuf>,
    /// The snapshot key.
    #[arg(long = "snapshot-key", value_name = "KEY", required = true)]
    snapshot_keys: Vec<PathBuf>,
    /// The timestamp key.
    #[arg(long = "timestamp-key", value_name = "KEY", required = true)]
    timestamp_keys: Vec<PathBuf>,
    /// The packages role's key: it signs packages and their links.
    #[arg(long = "packages-key", value_name = "KEY", required = true)]
    packages_keys: Vec<PathBuf>,
    #[command(flatten)]
    expiry: ExpiryArgs,
}

/// `intoto tuf add-target`.
#[derive(Debug, Args)]
#[command(
    after_help = "The package and its links become targets of the packages role (links under \
    in-toto-metadata/<evidence id>/, named by the package and all its in-toto files); the package's \
    custom.in-toto lists them with the root layout. A layout not yet published becomes a target of \
    the top-level targets role with its keys (then the targets key must sign too). Snapshot and \
    timestamp are re-signed; target files are written first and timestamp.json last.\n\n\
    Examples:\n  \
    # A new layout: the packages, snapshot, timestamp and targets keys sign\n  \
    intoto tuf add-target --repo repo --target hello.tar --in-toto root.layout *.link \\\n    \
    --layout-key alice.pub --key tuf-packages --key tuf-snapshot \\\n    \
    --key tuf-timestamp --key tuf-targets\n\n  \
    # The next release, same layout, only the online keys; the file keeps the name\n  \
    # the layout's rules expect, the target name gets a folder of its own\n  \
    intoto tuf add-target --repo repo --target dist/hello.tar --name 1.1/hello.tar \\\n    \
    --in-toto root.layout *.link --key tuf-packages --key tuf-snapshot --key tuf-timestamp"
)]
pub(crate) struct AddTargetArgs {
    /// The repository folder.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The package file.
    #[arg(long, value_name = "FILE")]
    target: PathBuf,
    /// Its target name (default: its file name).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The root layout and the links the package was made with (told apart
    /// by their type).
    #[arg(long = "in-toto", value_name = "FILE", num_args = 1.., required = true)]
    in_toto: Vec<PathBuf>,
    /// The root layout or policy, when not among --in-toto (a policy must
    /// be given here; --in-toto then holds its attestations).
    #[arg(long, value_name = "FILE")]
    layout: Option<PathBuf>,
    /// The public keys that must have signed a new layout.
    #[arg(long = "layout-key", value_name = "PUBKEY")]
    layout_keys: Vec<PathBuf>,
    /// A role key to sign with (repeatable): packages, snapshot, timestamp,
    /// and targets for a new layout.
    #[arg(long = "key", value_name = "KEY", required = true)]
    keys: Vec<PathBuf>,
    #[command(flatten)]
    expiry: ExpiryArgs,
}

/// `intoto tuf rotate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Clients that hold an older root.json follow the chain of roots: each new root \
    is signed by a threshold of the previous root's keys and of its own.\n\n\
    Examples:\n  \
    # A new top-level targets key: root keys sign the new root, the new key re-signs targets\n  \
    intoto tuf rotate --repo repo --role targets --new-key tuf-targets-2 \\\n    \
    --key tuf-root --key tuf-snapshot --key tuf-timestamp\n\n  \
    # A new packages key (re-delegated by the top-level targets)\n  \
    intoto tuf rotate --repo repo --role packages-and-in-toto-metadata-signer \\\n    \
    --new-key tuf-packages-2 --key tuf-targets --key tuf-snapshot --key tuf-timestamp"
)]
pub(crate) struct RotateArgs {
    /// The repository folder.
    #[arg(long, value_name = "DIR")]
    repo: PathBuf,
    /// The role: root, targets, snapshot, timestamp, or
    /// packages-and-in-toto-metadata-signer.
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// The role's new key (PEM private key; repeatable).
    #[arg(long = "new-key", value_name = "KEY", required = true)]
    new_keys: Vec<PathBuf>,
    /// The role's new threshold.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threshold: u64,
    /// Keys to sign with (repeatable): the current root keys, and the keys
    /// of roles to re-sign.
    #[arg(long = "key", value_name = "KEY", required = true)]
    keys: Vec<PathBuf>,
    #[command(flatten)]
    expiry: ExpiryArgs,
}

pub(crate) fn run(command: TufCommand, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let (what, committed, extra) = match command {
        TufCommand::Init(args) => {
            let options = publish::InitOptions {
                repo: args.repo.clone(),
                root_keys: args.root_keys,
                root_threshold: args.root_threshold,
                targets_keys: args.targets_keys,
                snapshot_keys: args.snapshot_keys,
                timestamp_keys: args.timestamp_keys,
                packages_keys: args.packages_keys,
                expiries: args.expiry.expiries(),
            };
            let committed = publish::init(&options)
                .with_context(|| format!("cannot make a repository in {}", args.repo.display()))?;
            let root = args.repo.join("metadata").join("1.root.json");
            (
                format!(
                    "made TUF repository {}; give clients {} out of band",
                    args.repo.display(),
                    root.display()
                ),
                committed,
                json!({"root": root.display().to_string()}),
            )
        }
        TufCommand::AddTarget(args) => {
            let options = publish::AddTarget {
                repo: args.repo.clone(),
                target: args.target.clone(),
                name: args.name,
                in_toto: args.in_toto,
                layout: args.layout,
                layout_keys: args.layout_keys,
                keys: args.keys,
                expiries: args.expiry.expiries(),
            };
            let published = publish::add_target(&options)
                .map_err(with_key_hint)
                .with_context(|| {
                    format!(
                        "cannot publish {} in {}",
                        args.target.display(),
                        args.repo.display()
                    )
                })?;
            (
                format!(
                    "published {} with {} link(s) and layout {}{}",
                    published.target,
                    published.links.len(),
                    published.layout,
                    if published.new_layout { " (new)" } else { "" }
                ),
                published.committed,
                json!({
                    "target": published.target,
                    "layout": published.layout,
                    "newLayout": published.new_layout,
                    "links": published.links,
                }),
            )
        }
        TufCommand::Refresh(args) => {
            let committed = publish::refresh(
                &args.repo,
                &args.keys,
                args.packages,
                &args.expiry.expiries(),
            )
            .map_err(with_key_hint)
            .with_context(|| format!("cannot refresh {}", args.repo.display()))?;
            (
                format!("refreshed {}", args.repo.display()),
                committed,
                json!({"packages": args.packages}),
            )
        }
        TufCommand::Rotate(args) => {
            let options = publish::Rotate {
                repo: args.repo.clone(),
                role: args.role.clone(),
                new_keys: args.new_keys,
                threshold: args.threshold,
                keys: args.keys,
                expiries: args.expiry.expiries(),
            };
            let committed = publish::rotate(&options)
                .map_err(with_key_hint)
                .with_context(|| format!("cannot rotate the keys of {}", args.role))?;
            (
                format!("rotated the keys of the {} role", args.role),
                committed,
                json!({"role": args.role}),
            )
        }
    };
    match format {
        Format::Json => {
            let mut value = extra;
            value["written"] = json!(committed.written);
            value["snapshotVersion"] = json!(committed.snapshot);
            value["timestampVersion"] = json!(committed.timestamp);
            output::json(&value)?;
        }
        Format::Text if !quiet => {
            output::line(&format!(
                "{what} (snapshot v{}, timestamp v{})",
                committed.snapshot, committed.timestamp
            ))?;
        }
        Format::Text => {}
    }
    Ok(Outcome::Success)
}

/// A signing failure says which keys to add.
fn with_key_hint(err: TufError) -> anyhow::Error {
    let hint = matches!(err, TufError::Sign { .. }).then(|| {
        format!(
            "give the role's key with --key (packages: {PACKAGES_ROLE}; a new layout also needs \
             the top-level targets key; a rotation the root keys)"
        )
    });
    let err = anyhow::Error::new(err);
    match hint {
        Some(hint) => err.context(hint),
        None => err,
    }
}
