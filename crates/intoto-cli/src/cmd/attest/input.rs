//! Where the predicate comes from: a JSON file (or standard input), a whole
//! statement, a tool's report (`--from`), or the code-review flags.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Map, Value};

use intoto::model::predicate::{PredicateKind, Review};
use intoto::model::{DigestSet, ResourceDescriptor};
use intoto::record::Progress;

use crate::flags::ArtifactArgs;

/// The most a predicate, statement or report may hold.
const MAX_INPUT_BYTES: u64 = 256 << 20;

/// The predicate's source.
#[derive(Debug, Args)]
pub(crate) struct PredicateArgs {
    /// The predicate, a JSON object; `-` reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["statement", "from"])]
    predicate: Option<PathBuf>,
    /// A whole statement to sign unchanged (checked first); `-` reads
    /// standard input.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from"])]
    pub(crate) statement: Option<PathBuf>,
    /// A tool's report to make the predicate from (see below).
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// test-result: a file the tests ran with (their configuration);
    /// repeatable.
    #[arg(long = "config", value_name = "FILE")]
    configs: Vec<PathBuf>,
    /// test-result: a link to the test run.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// review: who reviewed the change; repeatable.
    #[arg(long = "reviewer", value_name = "NAME")]
    reviewers: Vec<String>,
    /// review: a reviewer who approved the change; repeatable.
    #[arg(long = "approved-by", value_name = "NAME")]
    approvals: Vec<String>,
    /// review: the change reviewed, by digest (ALG:HEX, such as
    /// gitCommit:1a2b…).
    #[arg(long, value_name = "ALG:HEX")]
    change: Option<String>,
    /// review: the change's URI (a pull request).
    #[arg(long, value_name = "URI")]
    change_uri: Option<String>,
}

/// A predicate and the subjects its source describes.
pub(crate) struct PredicateInput {
    pub(crate) value: Map<String, Value>,
    pub(crate) default_subjects: Vec<ResourceDescriptor>,
    /// The type the source says it is (an SBOM's versioned type), when the
    /// type was given by alias.
    pub(crate) predicate_type: Option<String>,
}

/// `path`, or `standard input` for `-`.
pub(crate) fn shown(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads a file (regular files only, bounded) or standard input.
pub(crate) fn read_input(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            bail!(
                "the {what} on standard input is over {} MiB",
                MAX_INPUT_BYTES >> 20
            );
        }
        return Ok(bytes);
    }
    Ok(intoto::fs::read(path, MAX_INPUT_BYTES)?)
}

fn json_object(bytes: &[u8], source: &str) -> anyhow::Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => bail!("{source}: the predicate must be a JSON object"),
        Err(e) => bail!("{source}: not JSON: {e}"),
    }
}

/// The predicate the flags give, for a predicate of `kind` (`None` for a
/// custom type).
pub(crate) fn predicate(
    args: &PredicateArgs,
    kind: Option<PredicateKind>,
    artifacts: &ArtifactArgs,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<PredicateInput> {
    let review_flags = !args.reviewers.is_empty()
        || !args.approvals.is_empty()
        || args.change.is_some()
        || args.change_uri.is_some();
    if review_flags && (kind != Some(PredicateKind::Review) || args.predicate.is_some()) {
        bail!(
            "--reviewer, --approved-by, --change and --change-uri make a --type review predicate"
        );
    }
    if (!args.configs.is_empty() || args.url.is_some()) && kind != Some(PredicateKind::TestResult) {
        bail!("--config and --url describe a --type test-result predicate");
    }
    if let Some(path) = &args.predicate {
        let bytes = read_input(path, "predicate")?;
        return Ok(PredicateInput {
            value: json_object(&bytes, &shown(path))?,
            default_subjects: Vec::new(),
            predicate_type: None,
        });
    }
    if let Some(path) = &args.from {
        return super::generated::predicate(path, kind, args, artifacts, progress);
    }
    if kind == Some(PredicateKind::Review) {
        return Ok(PredicateInput {
            value: review(args)?.to_predicate(),
            default_subjects: Vec::new(),
            predicate_type: None,
        });
    }
    bail!("give the predicate: --predicate FILE, --from REPORT, or a whole --statement FILE")
}

impl PredicateArgs {
    /// `--config` files.
    pub(crate) fn configs(&self) -> &[PathBuf] {
        &self.configs
    }

    /// `--url`.
    pub(crate) fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
}

fn review(args: &PredicateArgs) -> anyhow::Result<Review> {
    let Some(change) = &args.change else {
        bail!("a review needs the change reviewed: --change ALG:HEX (such as gitCommit:1a2b…)");
    };
    let Some((alg, hex)) = crate::flags::alg_hex(change) else {
        bail!("--change {change:?} is not ALG:HEX");
    };
    let mut digest = DigestSet::new();
    digest.insert(alg, hex);
    let mut rd = ResourceDescriptor::default();
    rd.uri = args.change_uri.clone();
    rd.digest = Some(digest);
    Ok(Review::new(
        rd,
        args.reviewers.clone(),
        args.approvals.clone(),
    ))
}
