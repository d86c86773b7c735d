//! `intoto verify --tuf-repo`: the ITE-2 client. The package and its
//! in-toto metadata come from a TUF repository, are verified as `intoto
//! verify` verifies, and the package is placed only if everything passed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use intoto::verify::{CommandRunner, VerifyOptions, verify_layout_with};
use intoto_tuf::TufError;
use intoto_tuf::client::{Distribution, Fetched};

use crate::exit::Outcome;
use crate::output::{self, Format};

/// `intoto verify --tuf-repo`: where the package comes from.
#[derive(Debug, Args)]
pub(crate) struct TufArgs {
    /// Verify a package from a TUF repository (ITE-2): an http(s):// or
    /// file:// URL, or a folder, holding metadata/ and targets/. The root
    /// layout, its keys and the links come from the repository too.
    #[arg(long, value_name = "URL|DIR", requires_all = ["tuf_root", "target"])]
    pub(crate) tuf_repo: Option<String>,
    /// The trusted root.json of the repository, given out of band.
    #[arg(long, value_name = "PATH", requires = "tuf_repo")]
    pub(crate) tuf_root: Option<PathBuf>,
    /// The package's target name.
    #[arg(long, value_name = "NAME", requires = "tuf_repo")]
    pub(crate) target: Option<String>,
    /// Place the package in this folder, only if everything verified.
    #[arg(long, value_name = "DIR", requires = "tuf_repo")]
    pub(crate) download_to: Option<PathBuf>,
    /// Where the TUF metadata trusted so far is kept between runs, to catch
    /// rollbacks (default: $XDG_CACHE_HOME/intoto/tuf/<repository digest>,
    /// or ~/.cache/intoto/tuf/…).
    #[arg(long, value_name = "DIR", requires = "tuf_repo")]
    pub(crate) tuf_metadata_dir: Option<PathBuf>,
}

/// The default folder for the trusted metadata of `repository`.
fn default_metadata_dir(repository: &str) -> anyhow::Result<PathBuf> {
    use sha2::Digest as _;
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".cache"),
            None => bail!(
                "neither XDG_CACHE_HOME nor HOME is set: give --tuf-metadata-dir for the trusted \
                 TUF metadata"
            ),
        },
    };
    let digest = sha2::Sha256::digest(repository.as_bytes());
    let hex = intoto::model::encoding::hex::encode(&digest[..8]);
    Ok(base.join("intoto").join("tuf").join(hex))
}

/// The verification of `intoto verify --tuf-repo`.
pub(crate) struct TufVerify<'a> {
    pub(crate) args: &'a TufArgs,
    pub(crate) params: BTreeMap<String, String>,
    pub(crate) inspection_timeout: u64,
    pub(crate) sublayout_inspections: bool,
    pub(crate) report: Option<&'a Path>,
}

pub(crate) fn verify(
    request: TufVerify<'_>,
    mut policy: crate::cmd::verify_policy::PolicyArgs,
    format: Format,
    verbose: bool,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let args = request.args;
    let (Some(repository), Some(root_path), Some(target)) =
        (&args.tuf_repo, &args.tuf_root, &args.target)
    else {
        bail!("--tuf-repo needs --tuf-root and --target");
    };
    let root = intoto::fs::read(root_path, 1 << 20)?;
    let metadata_dir = match &args.tuf_metadata_dir {
        Some(dir) => dir.clone(),
        None => default_metadata_dir(repository)?,
    };
    if let Some(dir) = &args.download_to {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    }
    let distribution = Distribution {
        repository: repository.clone(),
        root,
        metadata_dir,
    };
    let bar = DownloadBar::new(quiet, target);
    let fetched = intoto_tuf::client::fetch(&distribution, target, &bar);
    bar.finish();
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(err) if is_refusal(&err) => {
            crate::exit::report_failure(&anyhow::Error::new(err).context(format!(
                "{target} from {repository} is refused; nothing was placed"
            )));
            return Ok(Outcome::Failed);
        }
        Err(err) => return Err(err.into()),
    };
    tracing::info!(
        target = target.as_str(),
        layout = fetched.layout_name,
        links = fetched.documents.len(),
        "downloaded and checked against TUF metadata"
    );
    let runner = CommandRunner::new()
        .timeout(Duration::from_secs(request.inspection_timeout))
        .working_dir(fetched.work_dir());
    let outcome = if intoto::layout::is_layout(&fetched.layout) {
        verify_with_layout(&fetched, &request, runner, format, verbose, quiet)?
    } else {
        let mut policy_request =
            intoto::policy::PolicyRequest::new(&fetched.layout_name, Vec::new());
        policy_request.policy_bytes = Some(fetched.layout.clone());
        policy_request.keys = fetched.keys.clone();
        policy_request.parameters = request.params.clone();
        policy_request.runner = runner;
        // The attestations are read as from `-a`: a private folder holding
        // them under their names in the repository's package folder.
        let attestations =
            tempfile::tempdir().context("cannot make a folder for the attestations")?;
        fetched.write_documents(attestations.path())?;
        policy.attestations = vec![attestations.path().to_owned()];
        policy.subjects = vec![fetched.package()];
        crate::cmd::verify_policy::run(policy_request, request.report, policy, format, quiet)?
    };
    if outcome != Outcome::Success {
        if !quiet && format == Format::Text {
            output::line(&format!("{target} failed verification; nothing was placed"))?;
        }
        return Ok(outcome);
    }
    let versions = fetched.versions;
    let placed = match &args.download_to {
        Some(dir) => match fetched.place(dir) {
            Ok(path) => Some(path),
            Err(err) if is_refusal(&err) => {
                crate::exit::report_failure(&anyhow::Error::new(err));
                return Ok(Outcome::Failed);
            }
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    if !quiet && format == Format::Text {
        output::line(&format!(
            "{target}: TUF metadata trusted (root v{}, timestamp v{}, snapshot v{}, targets v{}); {}",
            versions.root,
            versions.timestamp,
            versions.snapshot,
            versions.targets,
            match &placed {
                Some(path) => format!("placed at {}", path.display()),
                None => "not placed (no --download-to)".to_owned(),
            }
        ))?;
    }
    Ok(outcome)
}

fn verify_with_layout(
    fetched: &Fetched,
    request: &TufVerify<'_>,
    runner: CommandRunner,
    format: Format,
    verbose: bool,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let mut options = VerifyOptions::new()
        .runner(runner)
        .traces(verbose)
        .sublayout_inspections(request.sublayout_inspections)
        .expires_required(true);
    if !request.params.is_empty() {
        options = options.parameters(request.params.clone());
    }
    let links = fetched.links();
    let report = verify_layout_with(
        Path::new(&fetched.layout_name),
        &fetched.layout,
        &fetched.keys,
        &links,
        &options,
    )
    .context("verification could not be carried out")?;
    let unbound = report.passed() && !is_final_product(&report, &fetched.sha256);
    match format {
        Format::Json => {
            let mut value = report.to_json()?;
            value["tuf"] = json!({
                "target": fetched.target,
                "layout": fetched.layout_name,
                "root": fetched.versions.root,
                "timestamp": fetched.versions.timestamp,
                "snapshot": fetched.versions.snapshot,
                "targets": fetched.versions.targets,
                "finalProduct": !unbound,
            });
            if unbound {
                value["verified"] = json!(false);
            }
            output::json(&value)?;
        }
        Format::Text => report
            .text_with(quiet, crate::hints::line_for)
            .iter()
            .try_for_each(|l| output::line(l))?,
    }
    if let Some(path) = request.report {
        intoto::fs::write_atomic(path, report.html().as_bytes())
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    if unbound {
        crate::exit::report_failure(&anyhow::anyhow!(
            "{}: the package is not a product of the supply chain's last step (no product has its \
             sha256); the layout's steps passed, but they did not make this file",
            fetched.target
        ));
        return Ok(Outcome::Failed);
    }
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// Whether the package (its SHA-256 from the targets entry) is among the
/// products of the verified supply chain's last step: the final product
/// the layout vouches for.
fn is_final_product(report: &intoto::verify::Report, sha256: &[u8]) -> bool {
    let want = intoto::model::encoding::hex::encode(sha256);
    report.verdict.summary.as_ref().is_some_and(|summary| {
        summary.products.iter().any(|(_, digests)| {
            digests
                .get("sha256")
                .is_some_and(|d| d.eq_ignore_ascii_case(&want))
        })
    })
}

/// A progress bar for the package download, in bytes of the length TUF
/// metadata gives (standard error, terminals only, after a short delay).
struct DownloadBar {
    bar: Option<indicatif::ProgressBar>,
}

impl DownloadBar {
    fn new(quiet: bool, target: &str) -> Self {
        use std::io::IsTerminal as _;
        if quiet || !std::io::stderr().is_terminal() {
            return Self { bar: None };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} downloading {msg} {bytes}/{total_bytes} [{elapsed}] {wide_bar}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(target.to_owned());
        Self { bar: Some(bar) }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl intoto_tuf::client::DownloadProgress for DownloadBar {
    fn advanced(&self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }
}

/// Whether `err` is the repository failing a check (exit 1), not the
/// client's own input (exit 2).
fn is_refusal(err: &TufError) -> bool {
    matches!(
        err,
        TufError::Untrusted { .. }
            | TufError::Download { .. }
            | TufError::InToto { .. }
            | TufError::Key { .. }
            | TufError::NoTarget { .. }
            | TufError::Changed { .. }
    )
}
