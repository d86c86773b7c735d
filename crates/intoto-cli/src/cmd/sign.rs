//! `intoto sign`: sign link or layout metadata, or verify its signatures;
//! flag-compatible with the reference's `in-toto-sign`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Value, json};

use intoto::crypto::{KeyIdForm, PublicKey, Signer, check_signature_at, sign_metadata};
use intoto::fs;
use intoto::gpg::GpgSigner;
use intoto::layout::{DefaultExpiry, add_default_expiry};
use intoto::model::{EnvelopeKind, Metadata, Payload, StepName, link_file_name};

use crate::exit::Outcome;
use crate::output::Format;
use crate::{output, password};

/// Sign link or layout metadata (legacy or DSSE, kept as it is), or verify
/// its signatures.
///
/// Signing replaces existing signatures unless --append is given (layouts
/// only). A signed link is written to `<name>.<keyid[:8]>.link`, a layout
/// back to its own file, unless --output says otherwise.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    # Sign a layout with two keys and write it to root.layout\n  \
    intoto sign -f unsigned.layout -k alice carol -o root.layout\n\n  \
    # Re-sign a link (written to package.<keyid prefix>.link)\n  \
    intoto sign -f package.2f89b927.link -k bob\n\n  \
    # Verify that a layout is signed by three keys\n  \
    intoto sign -f root.layout -k alice.pub carol.pub dan.pub --verify\n\n  \
    # Sign with the default GnuPG key; verify with a GnuPG key by keyid\n  \
    intoto sign -f root.layout --gpg\n  \
    intoto sign -f root.layout --verify --gpg 3BF8135765A07E21BD12BF89A5627F6BF439F3C2")]
pub(crate) struct SignArgs {
    /// The link or layout file to sign or verify.
    #[arg(short = 'f', long = "file", value_name = "PATH", required = true)]
    file: PathBuf,
    /// Keys to sign with (PEM private keys) or, with --verify, to verify with
    /// (PEM public keys).
    #[arg(short = 'k', long = "key", visible_alias = "signing-key", value_name = "PATH", num_args = 1.., required_unless_present_any = ["gpg", "spiffe_socket"], conflicts_with = "gpg")]
    key: Vec<PathBuf>,
    /// Sign with these GnuPG keys (the default key when no keyid is given)
    /// or, with --verify, verify with them (keyids required).
    #[arg(short = 'g', long, value_name = "KEYID", num_args = 0..)]
    gpg: Option<Vec<String>>,
    /// The GnuPG home folder (default: gpg's own default).
    #[arg(long, value_name = "PATH")]
    gpg_home: Option<PathBuf>,
    /// Prompt for the signing keys' password.
    #[arg(short = 'p', long)]
    prompt: bool,
    /// Where to write the signed metadata.
    #[arg(short = 'o', long, value_name = "PATH", conflicts_with = "verify")]
    output: Option<PathBuf>,
    /// Add signatures instead of replacing them (layouts only).
    #[arg(short = 'a', long, conflicts_with = "verify")]
    append: bool,
    /// Verify the signatures with the given public keys instead of signing.
    #[arg(long)]
    verify: bool,
    /// The file is a policy over attestations (YAML or JSON, ITE-10/11):
    /// sign its bytes as they are into a DSSE envelope, written to --output
    /// (default: FILE.dsse.json), for `intoto verify -l ENVELOPE -a ...
    /// --verification-keys`.
    #[arg(long, conflicts_with_all = ["verify", "append", "gpg"])]
    policy: bool,
    /// Compute keyids the legacy way (in-toto-golang, in-toto < 2.2).
    #[arg(long)]
    legacy_keyid: bool,
    #[command(flatten)]
    certificates: crate::flags::CertArgs,
}

pub(crate) fn run(args: SignArgs, format: Format) -> anyhow::Result<Outcome> {
    if args.policy {
        return sign_policy(&args, format);
    }
    let md = fs::read_metadata(&args.file)?;
    let payload = md
        .payload()
        .with_context(|| format!("{}: invalid metadata", args.file.display()))?;
    let gpg_ids = args.gpg.as_deref().unwrap_or_default();
    if args.verify && args.gpg.is_some() && gpg_ids.is_empty() {
        bail!("give at least one keyid to verify with GnuPG keys (--gpg KEYID ...)");
    }
    if args.gpg.is_some() && md.kind() == EnvelopeKind::Dsse {
        bail!(
            "{}: a DSSE envelope cannot carry OpenPGP signatures; sign and verify it with PEM keys (-k)",
            args.file.display()
        );
    }
    if matches!(payload, Payload::Link(_)) {
        if (args.key.len() > 1 || gpg_ids.len() > 1) && !args.verify {
            bail!(
                "a link is signed by a single functionary (it is stored as <name>.<keyid prefix>.link); sign it with one key"
            );
        }
        if args.append {
            bail!("--append is for layouts only: a link carries one functionary's signature");
        }
    }
    let form = if args.legacy_keyid {
        KeyIdForm::Legacy
    } else {
        KeyIdForm::Modern
    };
    if args.verify {
        verify(&args, &md, form, format)
    } else {
        sign(&args, md, &payload, form, format)
    }
}

/// The verification keys: PEM files, or keys exported from the GnuPG keyring.
fn verification_keys(args: &SignArgs, form: KeyIdForm) -> anyhow::Result<Vec<(String, PublicKey)>> {
    if let Some(ids) = &args.gpg {
        let gpg = crate::flags::gpg(args.gpg_home.as_deref());
        return ids
            .iter()
            .map(|id| {
                let key = gpg
                    .export_public_key(id)
                    .with_context(|| format!("cannot export GnuPG key {id}"))?;
                Ok((format!("gpg:{id}"), key))
            })
            .collect();
    }
    args.key
        .iter()
        .map(|path| Ok((path.display().to_string(), fs::read_public_key(path, form)?)))
        .collect()
}

fn verify(
    args: &SignArgs,
    md: &Metadata,
    form: KeyIdForm,
    format: Format,
) -> anyhow::Result<Outcome> {
    let mut results = Vec::new();
    let mut all_ok = true;
    let now = chrono::Utc::now().timestamp();
    for (path, key) in verification_keys(args, form)? {
        match check_signature_at(md, &key, now) {
            Ok(sig_keyid) => {
                tracing::info!("signature verification passed for keyid {sig_keyid}");
                results.push(json!({"key": path, "keyid": key.keyid().as_str(), "verified": true}));
            }
            Err(e) => {
                all_ok = false;
                tracing::error!("{}: {e} (key {path})", args.file.display());
                results.push(json!({"key": path, "keyid": key.keyid().as_str(), "verified": false, "error": e.to_string()}));
            }
        }
    }
    match format {
        Format::Json => {
            output::json(&json!({"file": args.file, "verified": all_ok, "keys": results}))?
        }
        Format::Text if all_ok => {
            tracing::info!(
                "{}: signed by all {} key(s)",
                args.file.display(),
                results.len()
            );
        }
        Format::Text => {}
    }
    Ok(if all_ok {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn sign(
    args: &SignArgs,
    mut md: Metadata,
    payload: &Payload,
    form: KeyIdForm,
    format: Format,
) -> anyhow::Result<Outcome> {
    // Adding `expires` changes what is signed: only when no signature is
    // kept, and never in a DSSE envelope, whose payload is signed as
    // received (as the reference leaves it).
    let kept = match add_default_expiry(&mut md, payload, args.append, chrono::Utc::now())? {
        DefaultExpiry::NotNeeded => None,
        DefaultExpiry::Added => {
            tracing::warn!(
                "{}: the layout has no expiry; it will expire in one month",
                args.file.display()
            );
            None
        }
        DefaultExpiry::KeptForSignatures => Some("what the existing signatures are over"),
        DefaultExpiry::KeptForDsse => Some("the DSSE payload"),
    };
    if let Some(what) = kept {
        tracing::warn!(
            "{}: the layout has no expiry, and is signed as it is (adding one would change {what}); \
             intoto verify refuses layouts without `expires`",
            args.file.display(),
        );
    }
    let password = if args.prompt {
        Some(password::prompt("the signing key")?)
    } else {
        None
    };
    if !args.append {
        md.signatures_mut().clear();
    }
    let mut keyids = Vec::new();
    if args.gpg.is_some() && args.certificates.given() {
        bail!(
            "--gpg signs without certificates; use --key with --signing-cert, or --spiffe-socket"
        );
    }
    if let Some(ids) = &args.gpg {
        let gpg = crate::flags::gpg(args.gpg_home.as_deref());
        let ids: Vec<Option<&str>> = if ids.is_empty() {
            vec![None]
        } else {
            ids.iter().map(|i| Some(i.as_str())).collect()
        };
        for id in ids {
            let what = id.unwrap_or("the default GnuPG key");
            let signer =
                GpgSigner::new(gpg.clone(), id).with_context(|| format!("cannot use {what}"))?;
            let keyid = sign_metadata(&mut md, &signer)
                .with_context(|| format!("cannot sign with {what}"))?;
            keyids.push(keyid);
        }
    } else {
        if let Some(svid) = args.certificates.svid_signer()? {
            let keyid = sign_metadata(&mut md, &svid).context("cannot sign with the X509-SVID")?;
            keyids.push(keyid);
        }
        let mut keys = Vec::new();
        for path in &args.key {
            let key = fs::read_private_key(path, password.as_deref(), form).map_err(|e| {
                crate::password::with_password_hint(e, "-p/--prompt (to be asked for it)")
            })?;
            keys.push(key);
        }
        for (signer, path) in args.certificates.certify(keys)?.iter().zip(&args.key) {
            let keyid = sign_metadata(&mut md, signer.as_ref())
                .with_context(|| format!("cannot sign with {}", path.display()))?;
            keyids.push(keyid);
        }
    }
    let out = match (&args.output, payload) {
        (Some(out), _) => out.clone(),
        (None, Payload::Layout(_)) => args.file.clone(),
        (None, Payload::Link(link)) => PathBuf::from(link_file_name(
            &output_name(&args.file, &link.name)?,
            &keyids[0],
        )),
        (None, Payload::Statement(st)) => match st.predicate.get("name").and_then(Value::as_str) {
            Some(name) => {
                PathBuf::from(link_file_name(&output_name(&args.file, name)?, &keyids[0]))
            }
            None => bail!("the statement has no step name to name the file after; pass --output"),
        },
        (None, other) => bail!(
            "a {} has no file name of its own; pass --output",
            other.kind()
        ),
    };
    fs::write_metadata(&out, &md)?;
    tracing::info!(
        "wrote {} {} to {}",
        md.kind().name(),
        payload.kind(),
        out.display()
    );
    if format == Format::Json {
        output::json(&json!({
            "file": out,
            "type": payload.kind(),
            "envelope": md.kind().name(),
            "keyids": keyids.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        }))?;
    }
    Ok(Outcome::Success)
}

/// The step name a signed link's file is named after (`<name>.<keyid
/// prefix>.link`), which comes from the metadata: it must be a plain file
/// name, or a link could be written anywhere (`../x`, `/tmp/x/pwn`).
fn output_name(file: &std::path::Path, name: &str) -> anyhow::Result<StepName> {
    match StepName::new(name) {
        Ok(name) => Ok(name),
        Err(problem) => bail!(
            "{}: the link's step name {name:?} {problem}, so it cannot name the signed file; pass --output",
            file.display()
        ),
    }
}

/// `--policy`: the policy's bytes, signed as they are into an envelope.
fn sign_policy(args: &SignArgs, format: Format) -> anyhow::Result<Outcome> {
    let password = if args.prompt {
        Some(password::prompt("the signing key")?)
    } else {
        None
    };
    let keys = args
        .key
        .iter()
        .map(|path| {
            fs::read_private_key(path, password.as_deref(), KeyIdForm::Modern).map_err(|e| {
                crate::password::with_password_hint(e, "-p/--prompt (to be asked for it)")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let signers: Vec<&dyn Signer> = keys.iter().map(|k| k as &dyn Signer).collect();
    let bytes = fs::read(&args.file, intoto::policy::MAX_POLICY_FILE_BYTES)?;
    let envelope = intoto::policy::sign_policy(bytes, &signers)
        .with_context(|| format!("cannot sign {}", args.file.display()))?;
    let out = args.output.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".dsse.json");
        PathBuf::from(name)
    });
    intoto::attest::write_attestation(&envelope, &intoto::attest::Output::File(out.clone()))?;
    match format {
        Format::Json => output::json(&serde_json::json!({
            "file": out.display().to_string(),
            "keyids": keys.iter().map(|k| k.keyid().as_str().to_owned()).collect::<Vec<_>>(),
        }))?,
        Format::Text => output::line(&format!(
            "signed the policy {} into {}",
            args.file.display(),
            out.display()
        ))?,
    }
    Ok(Outcome::Success)
}
