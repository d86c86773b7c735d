//! `intoto verify -l POLICY -a ATTESTATIONS...`: a policy over attestations
//! (ITE-10/11), and the signed verification summary it can leave behind
//! (`--vsa`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

use intoto::attest::{Output, sign_statement, write_attestation};
use intoto::crypto::Signer;
use intoto::policy::{PolicyRequest, SummaryOptions, summary_statement, verify_policy};

use crate::exit::Outcome;
use crate::output::{self, Format};

/// The flags of policy verification.
#[derive(Debug, Args)]
#[command(next_help_heading = "Policies over attestations (ITE-10/11)")]
pub(crate) struct PolicyArgs {
    /// Verify LAYOUT as a policy over attestations: folders of envelopes
    /// (`<step>.<keyid8>.json` and the link attestations of `intoto run
    /// --attest`, `<step>.<keyid8>.link`, bound to their step by name;
    /// other `*.json` by signer and predicate type) and JSON Lines bundles
    /// (`.intoto.jsonl`, bound by signer and predicate type). Repeatable.
    #[arg(short = 'a', long = "attestations", value_name = "PATH", num_args = 1..)]
    pub(crate) attestations: Vec<PathBuf>,
    /// A JSON file of policy parameters ({"name": "value"}); values may
    /// refer to other parameters. --param overrides it.
    #[arg(long, value_name = "PATH")]
    substitute_parameters: Option<PathBuf>,
    /// A final artifact (hashed with sha256 and sha512) that must be a
    /// subject of the attestations of the policy's `subjects` steps.
    /// Repeatable.
    #[arg(long = "subject", value_name = "FILE")]
    pub(crate) subjects: Vec<PathBuf>,
    /// Write a signed SLSA verification summary (VSA v1) of the result here.
    #[arg(long, value_name = "PATH", requires_all = ["signing_key", "resource_uri"])]
    vsa: Option<PathBuf>,
    /// The key that signs the summary (PKCS#8 PEM).
    #[arg(long, value_name = "PATH", requires = "vsa")]
    signing_key: Option<PathBuf>,
    /// Password of an encrypted --signing-key; -P without a value prompts.
    #[arg(short = 'P', long, num_args = 0..=1, value_name = "PASSWORD", requires = "signing_key")]
    password: Option<Option<String>>,
    /// The summary's resourceUri: what was verified (a package URL, an
    /// image reference, ...).
    #[arg(long, value_name = "URI", requires = "vsa")]
    resource_uri: Option<String>,
    /// The summary's verifier.id.
    #[arg(long, value_name = "URI", requires = "vsa")]
    verifier_id: Option<String>,
    /// A level the summary records as verified (e.g. SLSA_BUILD_LEVEL_3),
    /// when verification passes. Repeatable.
    #[arg(long = "verified-level", value_name = "LEVEL", requires = "vsa")]
    verified_levels: Vec<String>,
    /// A Sigstore trusted root (`trusted_root.json`, as Sigstore's TUF
    /// repository distributes it) to verify Sigstore bundles among the
    /// attestations with, offline: the Fulcio certificate chain, its
    /// signed certificate timestamp, the Rekor inclusion proof or promise,
    /// and the signature, at the log's integrated time. Their signers
    /// count for the policy's `sigstore` functionaries.
    #[arg(long, value_name = "PATH")]
    pub(crate) sigstore_trusted_root: Option<PathBuf>,
}

impl PolicyArgs {
    /// Policy flags given without `-a`.
    pub(crate) fn refuse_without_attestations(&self) -> anyhow::Result<()> {
        if self.substitute_parameters.is_some() || !self.subjects.is_empty() || self.vsa.is_some() {
            bail!(
                "--substitute-parameters, --subject and --vsa apply to policies over attestations: give the attestations with -a PATH"
            );
        }
        Ok(())
    }

    /// Policy flags that `--tuf-repo` supplies itself.
    pub(crate) fn refuse_with_tuf(&self) -> anyhow::Result<()> {
        if !self.attestations.is_empty() || !self.subjects.is_empty() {
            bail!(
                "with --tuf-repo the attestations and the subject come from the repository: drop -a and --subject"
            );
        }
        Ok(())
    }
}

/// Verifies `request` (the policy, its keys, `--param` values and the
/// inspection runner) with the attestations and the rest of `args`.
pub(crate) fn run(
    mut request: PolicyRequest,
    picture: Option<&Path>,
    args: PolicyArgs,
    format: Format,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    // Read the signing key first: a wrong password is found before the
    // verification runs.
    let signer = match &args.signing_key {
        Some(path) => Some(crate::flags::read_signing_key(
            path,
            args.password.as_ref(),
        )?),
        None => None,
    };
    if let Some(path) = &args.sigstore_trusted_root {
        request.keyless = Some(crate::sigstore::verifier(path)?);
    }
    request.attestations.clone_from(&args.attestations);
    request
        .parameters_file
        .clone_from(&args.substitute_parameters);
    request.finals.clone_from(&args.subjects);
    let report = verify_policy(&request)
        .with_context(|| "verification could not be carried out".to_owned())?;
    if let (Some(out), Some(key)) = (&args.vsa, &signer) {
        let mut options = SummaryOptions::new(args.resource_uri.clone().unwrap_or_default());
        options.verifier_id.clone_from(&args.verifier_id);
        options.verified_levels.clone_from(&args.verified_levels);
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let statement = summary_statement(&report, &options, &now);
        let signers: [&dyn Signer; 1] = [key];
        let envelope = sign_statement(&statement, &signers)
            .with_context(|| "cannot sign the verification summary".to_owned())?;
        write_attestation(&envelope, &Output::File(out.clone()))
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    if let Some(path) = picture {
        intoto::fs::write_atomic(path, report.html().as_bytes())
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    match format {
        Format::Json => output::json(&report.report.to_json()?)?,
        Format::Text => {
            for line in report
                .report
                .text_with(quiet, crate::hints::policy_line_for)
            {
                output::line(&line)?;
            }
            if let Some(out) = &args.vsa
                && !quiet
            {
                output::line(&format!(
                    "wrote the verification summary ({}) to {}",
                    if report.passed() { "PASSED" } else { "FAILED" },
                    out.display()
                ))?;
            }
        }
    }
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}
