//! `intoto store`: upload to and query an attestation store.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use clap::{Args, Subcommand};
use intoto_server::client::{Client, encode_query};

use crate::exit::Outcome;
use crate::output::{self, Format};

/// Upload to and query an attestation store (intoto serve).
#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Upload links, envelopes and bundles (*.jsonl); each is verified by the store before it is kept.
    Upload(UploadArgs),
    /// List the attestations with a subject or material digest.
    Query(QueryArgs),
}

/// Where the store is.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The store's URL.
    #[arg(long, value_name = "URL", env = "INTOTO_STORE")]
    server: String,
    /// A CA certificate (PEM) to trust for the store's TLS, instead of the web's roots.
    #[arg(long, value_name = "PATH", env = "INTOTO_STORE_CA")]
    ca_cert: Option<PathBuf>,
}

/// `intoto store upload`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  intoto store upload *.link app.intoto.jsonl --server http://127.0.0.1:8080 --token-file ci.token"
)]
pub(crate) struct UploadArgs {
    /// Files to upload: a DSSE envelope or signed link each, or a bundle (*.jsonl).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
    /// A file holding the bearer token (the token itself is never a flag: flags show in process lists).
    #[arg(long, value_name = "PATH", env = "INTOTO_STORE_TOKEN_FILE")]
    token_file: Option<PathBuf>,
}

/// `intoto store query`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  intoto store query --subject sha256:5891b5b5… --server http://127.0.0.1:8080\n  intoto store query --subject-file app.tar.gz --predicate-type https://slsa.dev/provenance/v1"
)]
pub(crate) struct QueryArgs {
    /// A subject digest, ALG:HEX.
    #[arg(long, value_name = "ALG:HEX", conflicts_with_all = ["subject_file", "material"])]
    subject: Option<String>,
    /// A file whose sha256 is the subject digest.
    #[arg(long, value_name = "FILE", conflicts_with = "material")]
    subject_file: Option<PathBuf>,
    /// A material digest, ALG:HEX: what consumed this artifact.
    #[arg(long, value_name = "ALG:HEX")]
    material: Option<String>,
    /// Only this predicate type.
    #[arg(long, value_name = "URI")]
    predicate_type: Option<String>,
    /// Only this step.
    #[arg(long, value_name = "NAME")]
    step: Option<String>,
    /// At most this many.
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: u32,
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run(command: StoreCommand, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the client's runtime")?;
    match command {
        StoreCommand::Upload(args) => runtime.block_on(upload(args, format, quiet)),
        StoreCommand::Query(args) => runtime.block_on(query(args, format)),
    }
}

async fn upload(args: UploadArgs, format: Format, quiet: bool) -> anyhow::Result<Outcome> {
    let token = match &args.token_file {
        Some(path) => {
            let bytes = intoto::fs::read(path, 64 << 10)?;
            Some(
                String::from_utf8(bytes)
                    .context("the token file is not UTF-8")?
                    .trim()
                    .to_owned(),
            )
        }
        None => None,
    };
    let client = Client::new(&args.server.server, token, args.server.ca_cert.as_deref())?;
    let mut answers = Vec::new();
    for file in &args.files {
        let bytes = intoto::fs::read(file, 256 << 20)?;
        let bundle = file.extension().is_some_and(|e| e == "jsonl");
        let content_type = if bundle {
            "application/jsonl"
        } else {
            "application/json"
        };
        let answer = client
            .upload(bytes, content_type)
            .await
            .with_context(|| format!("{}: not stored", file.display()))?;
        if format == Format::Text && !quiet {
            for item in answer["attestations"].as_array().into_iter().flatten() {
                output::line(&format!(
                    "{}: {} {} ({})",
                    file.display(),
                    if item["created"].as_bool() == Some(true) {
                        "stored"
                    } else {
                        "already stored"
                    },
                    item["id"].as_str().unwrap_or(""),
                    item["step"]
                        .as_str()
                        .or(item["predicateType"].as_str())
                        .unwrap_or("")
                ))?;
            }
        }
        answers.push(serde_json::json!({"file": file.display().to_string(), "answer": answer}));
    }
    if format == Format::Json {
        output::json(&serde_json::json!({"uploads": answers}))?;
    }
    Ok(Outcome::Success)
}

async fn query(args: QueryArgs, format: Format) -> anyhow::Result<Outcome> {
    let client = Client::new(&args.server.server, None, args.server.ca_cert.as_deref())?;
    let mut params = Vec::new();
    if let Some(s) = &args.subject {
        params.push(format!("subject={}", encode_query(s)));
    }
    if let Some(path) = &args.subject_file {
        let digests = intoto::fs::hash_file(path)?;
        let sha = digests.get("sha256").ok_or_else(|| anyhow!("no sha256"))?;
        params.push(format!("subject=sha256:{sha}"));
    }
    if let Some(m) = &args.material {
        params.push(format!("material={}", encode_query(m)));
    }
    if params.is_empty() {
        return Err(anyhow!("give --subject, --subject-file or --material"));
    }
    if let Some(t) = &args.predicate_type {
        params.push(format!("predicateType={}", encode_query(t)));
    }
    if let Some(s) = &args.step {
        params.push(format!("step={}", encode_query(s)));
    }
    params.push(format!("limit={}", args.limit));
    let page = client
        .get_json(&format!("/v1/attestations?{}", params.join("&")))
        .await?;
    match format {
        Format::Json => output::json(&page)?,
        Format::Text => {
            let items = page["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                output::line("no attestations")?;
            }
            for item in items {
                output::line(&format!(
                    "{}  {:<9} {}  signed by {}",
                    item["id"].as_str().unwrap_or(""),
                    item["kind"].as_str().unwrap_or(""),
                    item["step"]
                        .as_str()
                        .or(item["predicateType"].as_str())
                        .unwrap_or("-"),
                    item["signers"]
                        .as_array()
                        .map(|s| s
                            .iter()
                            .filter_map(|k| k.as_str())
                            .map(|k| &k[..k.len().min(8)])
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                ))?;
            }
        }
    }
    Ok(Outcome::Success)
}
