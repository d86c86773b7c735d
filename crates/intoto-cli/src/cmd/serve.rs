//! `intoto serve`: the attestation store over HTTP.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use clap::Args;
use intoto_server::{AdmissionSettings, Server, ServerConfig};

use crate::exit::Outcome;
use crate::output;

/// Serve the attestation store: uploads verified before they are stored,
/// queries by subject or material digest, verification over the stored
/// evidence, Kubernetes admission, and a web page.
///
/// Every flag can also be set through the environment variable named in
/// its help. Secrets (tokens, database passwords) are never logged.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    intoto serve --trust alice.pub --token-file tokens\n  \
    intoto serve --database postgres://intoto@db/intoto --trust root.layout --trust-owner-key owner.pub \\\n    \
    --token-file tokens --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key\n  \
    intoto serve --trust policy.json --trust-owner-key owner.pub --admission-policy policy.json \\\n    \
    --admission-owner-key owner.pub\n\n\
    Then: intoto store upload build.link --server http://127.0.0.1:8080 --token TOKEN\n\
    and open http://127.0.0.1:8080/ for the web page. The API is described at /openapi.json.")]
pub(crate) struct ServeArgs {
    /// Where to listen. Anything but loopback should use TLS.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        env = "INTOTO_SERVE_LISTEN"
    )]
    listen: SocketAddr,
    /// The database: sqlite:PATH (created on first start) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(
        long,
        value_name = "URL",
        default_value = "sqlite:intoto-store.db",
        env = "INTOTO_SERVE_DATABASE",
        hide_env_values = true
    )]
    database: String,
    /// A public key (PEM) whose holder may write, or a signed layout or policy whose functionaries
    /// may (with --trust-owner-key). Repeatable.
    #[arg(
        long,
        value_name = "PATH",
        env = "INTOTO_SERVE_TRUST",
        value_delimiter = ','
    )]
    trust: Vec<PathBuf>,
    /// A key that must have signed every layout or policy given to --trust. Repeatable.
    #[arg(
        long = "trust-owner-key",
        value_name = "PATH",
        env = "INTOTO_SERVE_TRUST_OWNER_KEY",
        value_delimiter = ','
    )]
    trust_owner_keys: Vec<PathBuf>,
    /// Bearer tokens that may write, one a line. Without it the store is read-only.
    #[arg(long, value_name = "PATH", env = "INTOTO_SERVE_TOKEN_FILE")]
    token_file: Option<PathBuf>,
    /// The TLS certificate chain (PEM), with --tls-key.
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_key",
        env = "INTOTO_SERVE_TLS_CERT"
    )]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(
        long,
        value_name = "PATH",
        requires = "tls_cert",
        env = "INTOTO_SERVE_TLS_KEY"
    )]
    tls_key: Option<PathBuf>,
    /// The largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = intoto_server::config::DEFAULT_BODY_LIMIT, env = "INTOTO_SERVE_BODY_LIMIT")]
    body_limit: usize,
    /// Check Kubernetes admission requests (POST /v1/admission) against this policy or layout.
    #[arg(long, value_name = "PATH", env = "INTOTO_SERVE_ADMISSION_POLICY")]
    admission_policy: Option<PathBuf>,
    /// A key that must have signed the admission policy. Repeatable.
    #[arg(
        long = "admission-owner-key",
        value_name = "PATH",
        requires = "admission_policy",
        env = "INTOTO_SERVE_ADMISSION_OWNER_KEY",
        value_delimiter = ','
    )]
    admission_owner_keys: Vec<PathBuf>,
    /// Allow images given by tag (with a warning, unchecked) instead of denying them.
    #[arg(
        long,
        requires = "admission_policy",
        env = "INTOTO_SERVE_ADMISSION_ALLOW_TAGS"
    )]
    admission_allow_tags: bool,
    /// A parameter of the admission policy. Repeatable.
    #[arg(
        long = "admission-param",
        value_name = "NAME=VALUE",
        requires = "admission_policy"
    )]
    admission_params: Vec<String>,
    /// The private key verification summaries (POST /v1/verify with "vsa") are signed with.
    #[arg(long, value_name = "PATH", env = "INTOTO_SERVE_VSA_KEY")]
    vsa_key: Option<PathBuf>,
}

pub(crate) fn run(args: ServeArgs, quiet: bool) -> anyhow::Result<Outcome> {
    let mut config = ServerConfig::new();
    config.listen = args.listen;
    config.database = args.database;
    config.trust = args.trust;
    config.trust_owner_keys = args.trust_owner_keys;
    config.token_file = args.token_file;
    config.tls = args.tls_cert.zip(args.tls_key);
    config.body_limit = args.body_limit;
    config.vsa_key = args.vsa_key;
    if let Some(policy) = args.admission_policy {
        let mut settings = AdmissionSettings::new(policy);
        settings.owner_keys = args.admission_owner_keys;
        settings.allow_tags = args.admission_allow_tags;
        let mut parameters = BTreeMap::new();
        for p in &args.admission_params {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| anyhow!("--admission-param {p:?}: expected NAME=VALUE"))?;
            parameters.insert(name.to_owned(), value.to_owned());
        }
        settings.parameters = parameters;
        config.admission = Some(settings);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async move {
        let server = Server::bind(&config).await.map_err(|e| anyhow!(e))?;
        let addr = server
            .local_addr()
            .ok_or_else(|| anyhow!("the listening socket has no address"))?;
        let scheme = if server.tls() { "https" } else { "http" };
        let state = server.state();
        tracing::info!(
            database = %intoto_store::backend::redact(&config.database),
            backend = state.store.backend(),
            trusted_keys = state.trust.key_count(),
            "store open"
        );
        if !quiet {
            output::line(&format!(
                "intoto serve: listening on {scheme}://{addr}/ ({} store, {} trusted keyids{})",
                state.store.backend(),
                state.trust.key_count(),
                if state.writable() {
                    ""
                } else {
                    ", read-only: no --token-file"
                }
            ))?;
        }
        server.run(shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    Ok(Outcome::Success)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
