//! `intoto key`: generate key pairs, show keyids, print key dicts for layouts.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};

use intoto::crypto::{KeyIdForm, KeyType, PrivateKey, PublicKey};
use intoto::fs;

use crate::exit::Outcome;
use crate::output::Format;
use crate::{output, password};

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a key pair: NAME (PKCS#8 PEM private key) and NAME.pub
    /// (SubjectPublicKeyInfo PEM public key).
    #[command(after_help = "Examples:\n  \
        intoto key generate alice                  # ed25519, unencrypted\n  \
        intoto key generate bob --type rsa -P      # RSA 3072, prompts for a password\n  \
        intoto key generate carol --type ecdsa -P hunter2")]
    Generate(GenerateArgs),
    /// Print the keyid of public or private key files.
    #[command(
        after_help = "Examples:\n  intoto key id alice.pub\n  intoto key id --legacy alice.pub   # as in-toto-golang computes it"
    )]
    Id(IdArgs),
    /// Print `{"<keyid>": <key>}` for pasting into a layout's `keys`.
    #[command(after_help = "Examples:\n  intoto key layout bob.pub carol.pub\n  \
        intoto key layout --gpg 8288EF560ED3795F9DF2C0DB56193089B285DA58   # from the GnuPG keyring")]
    Layout(IdArgs),
}

/// Key algorithms `key generate` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyAlgorithm {
    /// Ed25519 (the default).
    Ed25519,
    /// RSA, signing with RSASSA-PSS and SHA-256.
    Rsa,
    /// ECDSA on P-256 with SHA-256.
    Ecdsa,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// ECDSA on P-521 with SHA-512.
    EcdsaP521,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Path of the private key; the public key goes to NAME.pub.
    #[arg(value_name = "NAME")]
    name: PathBuf,
    /// Key algorithm.
    #[arg(short = 't', long = "type", value_enum, default_value_t = KeyAlgorithm::Ed25519)]
    key_type: KeyAlgorithm,
    /// RSA modulus size in bits.
    #[arg(long, default_value_t = 3072, value_parser = clap::value_parser!(u16).range(2048..=16384))]
    bits: u16,
    /// Encrypt the private key with a password; without a value, prompts for it.
    #[arg(short = 'P', long, num_args = 0..=1, value_name = "PASSWORD")]
    password: Option<Option<String>>,
    /// Overwrite existing key files.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// Key files: PEM public or private keys, or securesystemslib JSON keys.
    #[arg(required_unless_present = "gpg", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// GnuPG keys (by keyid) to export from the keyring.
    #[arg(short = 'g', long, value_name = "KEYID", num_args = 1..)]
    gpg: Vec<String>,
    /// The GnuPG home folder (default: gpg's own default).
    #[arg(long, value_name = "PATH")]
    gpg_home: Option<PathBuf>,
    /// Compute keyids the legacy way (in-toto-golang, in-toto < 2.2).
    #[arg(long)]
    legacy: bool,
    /// Password for encrypted private keys; without a value, prompts for it.
    #[arg(short = 'P', long, num_args = 0..=1, value_name = "PASSWORD")]
    password: Option<Option<String>>,
}

pub(crate) fn run(cmd: KeyCommand, format: Format) -> anyhow::Result<Outcome> {
    match cmd {
        KeyCommand::Generate(args) => generate(args, format),
        KeyCommand::Id(args) => id(args, format),
        KeyCommand::Layout(args) => layout(args),
    }
}

fn generate(args: GenerateArgs, format: Format) -> anyhow::Result<Outcome> {
    let public_path = PathBuf::from(format!("{}.pub", args.name.display()));
    if !args.force {
        for path in [&args.name, &public_path] {
            if path.exists() {
                bail!("{} exists; pass --force to overwrite it", path.display());
            }
        }
    }
    let password = match &args.password {
        None => None,
        Some(Some(p)) => Some(p.as_bytes().to_vec()),
        Some(None) => Some(password::prompt_new(&args.name.display().to_string())?),
    };
    let key_type = match args.key_type {
        KeyAlgorithm::Ed25519 => KeyType::Ed25519,
        KeyAlgorithm::Rsa => KeyType::Rsa,
        KeyAlgorithm::Ecdsa => KeyType::EcdsaP256,
        KeyAlgorithm::EcdsaP384 => KeyType::EcdsaP384,
        KeyAlgorithm::EcdsaP521 => KeyType::EcdsaP521,
    };
    let key = PrivateKey::generate(key_type, Some(usize::from(args.bits)))
        .context("cannot generate the key")?;
    let private_pem = key
        .to_pkcs8_pem(password.as_deref())
        .context("cannot encode the private key")?;
    let public_pem = key
        .public_key_pem()
        .context("cannot encode the public key")?;
    fs::write_private(&args.name, private_pem.as_bytes())?;
    fs::write_atomic(&public_path, public_pem.as_bytes())?;
    match format {
        Format::Text => output::lines(&format!(
            "{}\nwrote {} (private, {}) and {} (public); put the .pub in the layout with `intoto key layout {}`",
            key.keyid(),
            args.name.display(),
            if password.is_some() {
                "encrypted"
            } else {
                "unencrypted"
            },
            public_path.display(),
            public_path.display(),
        ))?,
        Format::Json => output::json(&json!({
            "keyid": key.keyid().as_str(),
            "scheme": key.scheme().name(),
            "private_key": args.name,
            "public_key": public_path,
            "encrypted": password.is_some(),
        }))?,
    }
    Ok(Outcome::Success)
}

fn load_any(
    path: &Path,
    form: KeyIdForm,
    password: &Option<Option<String>>,
) -> anyhow::Result<PublicKey> {
    let bytes = intoto::fs::read(path, intoto::fs::MAX_KEY_BYTES)?;
    if let Ok(public) = PublicKey::from_file_contents(&bytes, form) {
        return Ok(public);
    }
    let password = match password {
        None => None,
        Some(Some(p)) => Some(p.as_bytes().to_vec()),
        Some(None) => Some(password::prompt(&path.display().to_string())?),
    };
    let key = fs::read_private_key(path, password.as_deref(), form)?;
    Ok(key.public_key().clone())
}

/// The keys named on the command line: files, then GnuPG keys.
fn load_all(args: &IdArgs) -> anyhow::Result<Vec<(String, PublicKey)>> {
    let form = if args.legacy {
        KeyIdForm::Legacy
    } else {
        KeyIdForm::Modern
    };
    let mut keys = Vec::new();
    for path in &args.files {
        keys.push((
            path.display().to_string(),
            load_any(path, form, &args.password)?,
        ));
    }
    if !args.gpg.is_empty() {
        let gpg = crate::flags::gpg(args.gpg_home.as_deref());
        for id in &args.gpg {
            let key = gpg
                .export_public_key(id)
                .with_context(|| format!("cannot export GnuPG key {id}"))?;
            keys.push((format!("gpg:{id}"), key));
        }
    }
    Ok(keys)
}

fn id(args: IdArgs, format: Format) -> anyhow::Result<Outcome> {
    let rows = load_all(&args)?;
    match format {
        Format::Text => {
            for (path, key) in &rows {
                output::line(&format!("{}  {path}", key.keyid()))?;
            }
        }
        Format::Json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|(path, key)| json!({"file": path, "keyid": key.keyid().as_str(), "scheme": key.scheme_name()}))
                .collect();
            output::json(&Value::Array(list))?;
        }
    }
    Ok(Outcome::Success)
}

fn layout(args: IdArgs) -> anyhow::Result<Outcome> {
    let mut keys = Map::new();
    for (_, key) in load_all(&args)? {
        keys.insert(key.keyid().to_string(), key.key_dict().to_value());
    }
    let text = intoto::model::pyjson::to_string(
        &Value::Object(keys),
        intoto::model::pyjson::Style::Indent1,
    );
    output::lines(&text)?;
    Ok(Outcome::Success)
}
