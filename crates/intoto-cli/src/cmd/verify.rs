//! `intoto verify`: verify a software supply chain against its signed
//! layout; flag-compatible with the reference's `in-toto-verify`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;

use intoto::crypto::{KeyIdForm, PublicKey};
use intoto::fs;
use intoto::verify::{CommandRunner, Report, VerifyOptions, VerifyRequest, verify_supply_chain};

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;

/// Verify that a software supply chain was carried out as its layout says
/// (in-toto-verify).
///
/// Checks, in order: every given key signed the layout; the layout has not
/// expired; each step has links from enough authorized functionaries
/// (`<step>.<keyid prefix>.link` in the link folder, sublayouts in
/// `<step>.<keyid prefix>/`), which agree with each other; every step's
/// artifact rules hold; the inspections run (in the current folder) and
/// pass; every inspection's artifact rules hold.
///
/// Findings name the check, step, link file, functionary keyid, rule
/// (position and text), artifact and digests involved; `--format json`
/// gives them with stable codes, and -v adds the rule-by-rule trace.
/// `--report` also writes a picture of the verification as one HTML file.
#[derive(Debug, Args)]
#[command(
    after_help = "Checks, in this order: every key given signed the layout; the layout has not \
    expired; each step has links from enough authorized functionaries (<step>.<keyid prefix>.link in \
    the link folder; a sublayout's links in <step>.<keyid prefix>/), which agree with each other; \
    every step's artifact rules hold; the inspections run in the current folder and return 0; every \
    inspection's artifact rules hold. Findings name the check, step, link file, keyid, rule, artifact \
    and digests involved; --format json gives them with stable codes (docs/diagnostics.md), -v adds \
    the rule-by-rule trace.\n\n\
    Examples:\n  \
    # Verify root.layout, signed by the owner's key, with links in the current folder\n  \
    intoto verify --layout root.layout --verification-keys alice.pub\n\n  \
    # Links in another folder; show how each rule consumed the artifacts\n  \
    intoto verify -l root.layout --verification-keys alice.pub --link-dir links -v\n\n  \
    # A layout with placeholders such as `MATCH {pkg}.tar.gz WITH PRODUCTS FROM build`\n  \
    intoto verify -l root.layout --verification-keys alice.pub --param pkg=demo-1.0\n\n  \
    # A layout signed with a GnuPG key from the keyring in ~/.gnupg\n  \
    intoto verify -l root.layout --gpg 3BF8135765A07E21BD12BF89A5627F6BF439F3C2\n\n  \
    # Findings as JSON, with their codes (see docs/diagnostics.md)\n  \
    intoto verify -l root.layout --verification-keys alice.pub --format json\n\n  \
    # Also draw the supply chain with the findings in place, to attach to a ticket\n  \
    intoto verify -l root.layout --verification-keys alice.pub --report report.html\n\n  \
    # A package from a TUF repository (ITE-2): the layout, its keys and the links come\n  \
    # from the repository too; the package is placed only if everything passes\n  \
    intoto verify --tuf-repo https://example.com/repo --tuf-root root.json \\\n    \
    --target hello.tar --download-to .\n\n  \
    # A policy over attestations (ITE-10/11, docs/policies.md): a folder of\n  \
    # <step>.<keyid8>.json envelopes and a bundle, with its parameters\n  \
    intoto verify -l policy.yml -a attestations -a release.intoto.jsonl \\\n    \
    --substitute-parameters params.json\n\n  \
    # The same, checking the released file, and leaving a signed verification summary\n  \
    intoto verify -l policy.yml -a attestations --subject app.tar.gz \\\n    \
    --vsa app.vsa.json --signing-key verifier --resource-uri pkg:generic/app@1.0\n\n  \
    # Sigstore bundles (GitHub artifact attestations, cosign) among the attestations,\n  \
    # verified offline against Sigstore's trusted root (docs/identities.md)\n  \
    intoto verify -l policy.yml -a attestations --subject app.whl \\\n    \
    --sigstore-trusted-root trusted_root.json\n\n\
    Exit status: 0 verified; 1 verification failed; 2 usage error, or an input that cannot be read."
)]
pub(crate) struct VerifyArgs {
    /// The root layout.
    #[arg(
        short = 'l',
        long,
        value_name = "PATH",
        required_unless_present = "tuf_repo",
        conflicts_with = "tuf_repo"
    )]
    layout: Option<PathBuf>,
    /// The public keys (PEM) that must all have signed the layout (for a
    /// policy: that must all have signed it, when it is a DSSE envelope).
    #[arg(long = "verification-keys", value_name = "PATH", num_args = 1.., required_unless_present_any = ["gpg", "attestations", "store", "tuf_repo"], conflicts_with = "tuf_repo")]
    verification_keys: Vec<PathBuf>,
    /// GnuPG keys (by keyid, from the keyring) that must all have signed the
    /// layout, besides any --verification-keys.
    #[arg(short = 'g', long, value_name = "KEYID", num_args = 1..)]
    gpg: Vec<String>,
    /// The GnuPG home folder (default: gpg's own default).
    #[arg(long, value_name = "PATH")]
    gpg_home: Option<PathBuf>,
    /// The folder the links are in.
    #[arg(long, value_name = "PATH", default_value = ".")]
    link_dir: PathBuf,
    /// Seconds an inspection may run before it is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    inspection_timeout: u64,
    /// A layout parameter: `{NAME}` in rules, expected commands and
    /// inspection commands becomes VALUE (Python str.format rules: `{{` is a
    /// literal brace). Repeatable. Without any, nothing is substituted.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Do not run the inspections of sublayouts. A sublayout is signed by a
    /// functionary, not the layout owner, so its inspections are commands a
    /// functionary chose; by default they run here, as in the reference.
    /// Skipped inspections are reported as warnings.
    #[arg(long)]
    no_sublayout_inspections: bool,
    /// Also write a picture of the verification to PATH: one self-contained
    /// HTML file (no scripts, nothing loaded from elsewhere) showing the
    /// steps and inspections as a graph, the artifacts flowing between them,
    /// each marked passed or failed, and the findings in place. Written
    /// whether verification passes or fails (not when it cannot be carried
    /// out); a report that cannot be written exits with 2.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
    /// Collect the links and attestations from an attestation store
    /// (intoto serve) instead of a folder: the evidence of the --subject
    /// files, walked back from their digests. Works for layouts and policies.
    #[arg(long, value_name = "URL", requires = "subjects", conflicts_with_all = ["attestations", "link_dir"])]
    store: Option<String>,
    /// A CA certificate (PEM) to trust for the store's TLS.
    #[arg(long, value_name = "PATH", requires = "store")]
    store_ca: Option<PathBuf>,
    /// A timestamp authority to trust (its PEM certificate chain: the TSA's
    /// signing certificate first, its root last). A certificate carried by a
    /// signature with an RFC 3161 timestamp by it (Witness's `timestamps`)
    /// is checked at the time the timestamp proves, not now: short-lived
    /// certificates such as Fulcio's stay verifiable. Repeatable; with
    /// --sigstore-trusted-root, that root's timestamp authorities are
    /// trusted too.
    #[arg(long = "timestamp-authority", value_name = "PATH")]
    timestamp_authorities: Vec<PathBuf>,
    #[command(flatten)]
    policy: crate::cmd::verify_policy::PolicyArgs,
    #[command(flatten)]
    tuf: crate::cmd::tuf_verify::TufArgs,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err("expected NAME=VALUE".to_owned());
    };
    if !intoto::verify::params::is_valid_name(name) {
        return Err(format!(
            "parameter name {name:?} may only hold letters, digits, '_' and '-'"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

pub(crate) fn run(
    args: VerifyArgs,
    format: Format,
    verbose: bool,
    quiet: bool,
    reference: Option<crate::compat::Program>,
) -> anyhow::Result<Outcome> {
    if args.tuf.tuf_repo.is_some() {
        return from_tuf(args, format, verbose, quiet);
    }
    let layout = args
        .layout
        .clone()
        .context("give the root layout with --layout")?;
    if let Some(url) = args.store.clone() {
        return from_store(args, &layout, &url, format, verbose, quiet);
    }
    if !args.policy.attestations.is_empty() {
        let mut request = intoto::policy::PolicyRequest::new(&layout, Vec::new());
        request.keys = keys(&args)?;
        request.parameters = parameters(&args)?;
        request.runner = CommandRunner::new().timeout(Duration::from_secs(args.inspection_timeout));
        request.timestamps = crate::sigstore::timestamps(
            &args.timestamp_authorities,
            args.policy.sigstore_trusted_root.as_deref(),
        )?;
        return crate::cmd::verify_policy::run(
            request,
            args.report.as_deref(),
            args.policy,
            format,
            quiet,
        );
    }
    args.policy.refuse_without_attestations()?;
    let request = VerifyRequest::new(layout, keys(&args)?).options(options(
        &args,
        verbose,
        reference.is_none(),
    )?);
    let report = verify_supply_chain(&request)
        .with_context(|| "verification could not be carried out".to_owned())?;
    let printed = print(&report, format, quiet, reference);
    // The report is written even if printing failed (a closed output pipe
    // counts as success); printing's outcome is returned after.
    if let Some(path) = &args.report {
        fs::write_atomic(path, report.html().as_bytes())
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    printed?;
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// Prints the report as `format` asks.
fn print(
    report: &Report,
    format: Format,
    quiet: bool,
    reference: Option<crate::compat::Program>,
) -> anyhow::Result<()> {
    match format {
        Format::Json => output::json(&report.to_json()?)?,
        // As in-toto-verify: its warnings, and the first failure in its
        // words; nothing else.
        Format::Text if reference.is_some() => {
            if !quiet {
                crate::compat::verify_report(&report.verdict);
            }
        }
        Format::Text => report
            .text_with(quiet, crate::hints::line_for)
            .iter()
            .try_for_each(|l| output::line(l))?,
    }
    Ok(())
}

/// The layout owner's keys: PEM files, then keys exported from the GnuPG
/// keyring.
fn keys(args: &VerifyArgs) -> anyhow::Result<Vec<PublicKey>> {
    let mut keys = args
        .verification_keys
        .iter()
        .map(|path| Ok(fs::read_public_key(path, KeyIdForm::Modern)?))
        .collect::<anyhow::Result<Vec<PublicKey>>>()?;
    if !args.gpg.is_empty() {
        let gpg = crate::flags::gpg(args.gpg_home.as_deref());
        for id in &args.gpg {
            keys.push(
                gpg.export_public_key(id)
                    .with_context(|| format!("cannot export GnuPG key {id}"))?,
            );
        }
    }
    Ok(keys)
}

/// The library options the flags stand for; `expires_required` unless
/// standing in for in-toto-verify, which lets a layout without `expires`
/// live forever.
fn options(
    args: &VerifyArgs,
    traces: bool,
    expires_required: bool,
) -> anyhow::Result<VerifyOptions> {
    let parameters = parameters(args)?;
    let runner = CommandRunner::new().timeout(Duration::from_secs(args.inspection_timeout));
    let mut options = VerifyOptions::new()
        .link_dir(&args.link_dir)
        .runner(runner)
        .traces(traces)
        .sublayout_inspections(!args.no_sublayout_inspections)
        .expires_required(expires_required);
    if !parameters.is_empty() {
        options = options.parameters(parameters);
    }
    options.timestamps = crate::sigstore::timestamps(&args.timestamp_authorities, None)?;
    Ok(options)
}

/// The `--param` values, each name once.
fn parameters(args: &VerifyArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut parameters = BTreeMap::new();
    for (name, value) in &args.params {
        if parameters.insert(name.clone(), value.clone()).is_some() {
            bail!("parameter {name} is given twice");
        }
    }
    Ok(parameters)
}

/// `--store`: the evidence of the `--subject` files, from the store, then
/// the same verification as over a folder: a policy reads the statements
/// in memory; a layout reads the links through a link folder holding them
/// under the names it looks them up by.
fn from_store(
    mut args: VerifyArgs,
    layout_path: &std::path::Path,
    url: &str,
    format: Format,
    verbose: bool,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let client = intoto_server::client::Client::new(url, None, args.store_ca.as_deref())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the client's runtime")?;
    let mut evidence = intoto_store::evidence::Evidence::default();
    for subject in &args.policy.subjects {
        let digests = fs::hash_file(subject)?;
        let sha256 = digests.get("sha256").unwrap_or_default().to_owned();
        let (found, truncated) = runtime
            .block_on(client.evidence(&format!("sha256:{sha256}")))
            .with_context(|| {
                format!(
                    "cannot collect the evidence of {} from {url}",
                    subject.display()
                )
            })?;
        evidence.truncated |= truncated;
        for (meta, bytes) in found {
            let meta: intoto_store::StoredAttestation =
                stored(&meta).with_context(|| format!("{url}: an evidence entry is malformed"))?;
            if !evidence.found.iter().any(|f| f.meta.id == meta.id) {
                evidence
                    .found
                    .push(intoto_store::evidence::Found { meta, bytes });
            }
        }
    }
    if evidence.truncated {
        tracing::warn!(
            "the store's evidence was cut short at its bounds; verification sees only part of it"
        );
    }
    tracing::info!(
        documents = evidence.found.len(),
        "evidence collected from the store"
    );
    let layout = fs::read(layout_path, intoto::policy::MAX_POLICY_FILE_BYTES)?;
    if intoto_store::verify::kind_of(&layout) == intoto_store::trust::DocumentKind::Policy {
        let mut request = intoto::policy::PolicyRequest::new(layout_path, Vec::new());
        request.keys = keys(&args)?;
        request.parameters = parameters(&args)?;
        request.runner = CommandRunner::new().timeout(Duration::from_secs(args.inspection_timeout));
        request.documents = intoto_store::evidence::statements(&evidence);
        request.timestamps = crate::sigstore::timestamps(
            &args.timestamp_authorities,
            args.policy.sigstore_trusted_root.as_deref(),
        )?;
        return crate::cmd::verify_policy::run(
            request,
            args.report.as_deref(),
            args.policy,
            format,
            quiet,
        );
    }
    let links = intoto_store::evidence::StoreLinks::new(&evidence);
    let folder = tempfile::tempdir().context("cannot make a folder for the store's links")?;
    for (name, bytes) in links.files() {
        fs::write_atomic(&folder.path().join(name), bytes)?;
    }
    args.link_dir = folder.path().to_owned();
    args.policy.subjects.clear();
    args.store = None;
    run(args, format, verbose, quiet, None)
}

/// `--tuf-repo`: the package, its root layout, the layout's keys and its
/// links from a TUF repository (ITE-2), each checked against TUF
/// metadata; then the same verification as over a folder, with the
/// package as the final product (inspections run beside it); the package
/// is placed only if everything passed.
fn from_tuf(
    args: VerifyArgs,
    format: Format,
    verbose: bool,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    args.policy.refuse_with_tuf()?;
    let params = parameters(&args)?;
    let VerifyArgs {
        tuf,
        policy,
        report,
        inspection_timeout,
        no_sublayout_inspections,
        ..
    } = args;
    let request = crate::cmd::tuf_verify::TufVerify {
        args: &tuf,
        params,
        inspection_timeout,
        sublayout_inspections: !no_sublayout_inspections,
        report: report.as_deref(),
    };
    crate::cmd::tuf_verify::verify(request, policy, format, verbose, quiet)
}

/// The store's description of a document, as the evidence answer gives it.
fn stored(meta: &serde_json::Value) -> Option<intoto_store::StoredAttestation> {
    let text = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some(intoto_store::StoredAttestation {
        id: text("id")?,
        gitoid: text("gitoid")?,
        kind: text("kind")?,
        envelope: text("envelope")?,
        payload_type: text("payloadType"),
        predicate_type: text("predicateType"),
        step: text("step"),
        signers: meta
            .get("signers")?
            .as_array()?
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        size: meta
            .get("size")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0),
        stored_at: text("storedAt").unwrap_or_default(),
        seq: 0,
    })
}
