//! `intoto match-products`: check whether local artifacts match a link's
//! products; flag-compatible with the reference's `in-toto-match-products`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;

use intoto::fs;
use intoto::model::DigestAlgorithm;
use intoto::model::{Link, Payload};
use intoto::record::{RecordOptions, match_products};

use crate::exit::Outcome;
use crate::output;
use crate::output::Format;
use crate::progress::Meter;

/// Check whether local artifacts match the products of a link
/// (in-toto-match-products). The link's signature is not checked.
///
/// Legacy and DSSE links and link attestations are read. Artifacts are
/// hashed with the algorithms the link's products use. With -v the
/// differences are printed.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    intoto match-products -l package.2f89b927.link\n  \
    intoto match-products -l build.776a00e2.link -p dist --lstrip-paths dist/ -e '*.map' -v\n\n\
    Exit status: 0 the artifacts match; 1 they do not; 2 the link cannot be read or the artifacts cannot be recorded.")]
pub(crate) struct MatchProductsArgs {
    /// The link file.
    #[arg(short = 'l', long, value_name = "PATH", required = true)]
    link: PathBuf,
    /// Files or folders holding the local artifacts (default: the current folder).
    #[arg(short = 'p', long, value_name = "PATH", num_args = 1..)]
    paths: Vec<String>,
    /// Gitignore-style patterns of artifacts to leave out of the comparison
    /// (they replace the defaults: *.link*, .git, *.pyc, *~).
    #[arg(short = 'e', long, value_name = "PATTERN", num_args = 1..)]
    exclude: Vec<String>,
    /// Prefixes to strip from local artifact names before comparing.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    lstrip_paths: Vec<String>,
}

pub(crate) fn run(
    args: MatchProductsArgs,
    format: Format,
    verbose: bool,
    quiet: bool,
) -> anyhow::Result<Outcome> {
    let md = fs::read_metadata(&args.link)?;
    let link: Link = match md
        .into_payload()
        .with_context(|| format!("{}: invalid metadata", args.link.display()))?
    {
        Payload::Link(link) => link,
        Payload::Statement(statement) => statement
            .to_link()
            .with_context(|| format!("{}: not a link attestation", args.link.display()))?,
        other => bail!("{}: is a {}, not a link", args.link.display(), other.kind()),
    };
    let algorithms = algorithms_of(&link)
        .with_context(|| format!("cannot match the products of {}", args.link.display()))?;
    let paths = if args.paths.is_empty() {
        vec![".".to_owned()]
    } else {
        args.paths
    };
    // As the reference: no base path, symlinked folders not followed.
    let options = RecordOptions::new()
        .exclude_patterns(args.exclude)
        .lstrip_paths(args.lstrip_paths)
        .follow_symlink_dirs(false)
        .algorithms(algorithms)
        .progress(Meter::new(quiet) as Arc<_>);
    let cmp = match_products(&link, &paths, &options)?;
    let matched = cmp.is_match();
    match format {
        Format::Json => output::json(&json!({
            "link": args.link,
            "match": matched,
            "only_in_products": cmp.only_in_products,
            "not_in_products": cmp.not_in_products,
            "differ": cmp.differ,
        }))?,
        // Like the reference, silent unless -v.
        Format::Text if verbose => {
            if matched {
                output::line("Local artifacts match products in passed link.")?;
            } else {
                output::line("Local artifacts don't match products in passed link.")?;
                for name in &cmp.only_in_products {
                    output::line(&format!("Only in products: {name}"))?;
                }
                for name in &cmp.not_in_products {
                    output::line(&format!("Not in products: {name}"))?;
                }
                for name in &cmp.differ {
                    output::line(&format!("Hashes differ: {name}"))?;
                }
            }
        }
        Format::Text => {}
    }
    Ok(if matched {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

/// The digest algorithms the link's products were recorded with, so that
/// local artifacts are hashed the same way (sha256 for a link without
/// products).
fn algorithms_of(link: &Link) -> anyhow::Result<Vec<DigestAlgorithm>> {
    let mut algorithms = Vec::new();
    for (name, digests) in &link.products {
        for (algorithm, _) in digests.iter() {
            match DigestAlgorithm::from_name(algorithm) {
                Some(a) if !algorithms.contains(&a) => algorithms.push(a),
                Some(_) => {}
                None => {
                    bail!("product {name:?} has a {algorithm} digest, which intoto cannot compute")
                }
            }
        }
    }
    Ok(algorithms)
}
