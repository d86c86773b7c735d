//! The Workload API client: one `FetchX509SVID` call over a Unix socket,
//! bounded in time (an agent that accepts and never answers must not hang
//! a build).

use std::path::Path;
use std::time::Duration;

use spiffe::WorkloadApiClient;
use spiffe::transport::Endpoint;
use zeroize::Zeroizing;

use crate::{SpiffeError, Svid};

/// How long the Workload API has to answer.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The workload's default X509-SVID, and its trust domain's bundle, from
/// the Workload API at `socket`. The SVID is checked: its certificate
/// names its SPIFFE ID and holds its key.
///
/// # Errors
///
/// [`SpiffeError`] when the API cannot be reached, refuses, does not
/// answer within `timeout`, or sends no usable SVID.
pub fn fetch_x509_svid(socket: &Path, timeout: Duration) -> Result<Svid, SpiffeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SpiffeError::WorkloadApi(format!("cannot start the client: {e}")))?;
    runtime.block_on(fetch(socket, timeout))
}

async fn fetch(socket: &Path, timeout: Duration) -> Result<Svid, SpiffeError> {
    // The path as it is: `Endpoint::parse` would percent-encode it.
    let endpoint = Endpoint::Unix(socket.to_path_buf());
    let work = async {
        let client = WorkloadApiClient::connect(endpoint).await?;
        client.fetch_x509_context().await
    };
    let context = match tokio::time::timeout(timeout, work).await {
        Err(_) => return Err(SpiffeError::Timeout(timeout)),
        Ok(Err(e)) => return Err(SpiffeError::WorkloadApi(error_chain(&e))),
        Ok(Ok(context)) => context,
    };
    let svid = context
        .default_svid()
        .ok_or_else(|| SpiffeError::InvalidSvid("the Workload API sent no X509-SVID".into()))?;
    let trust_domain = svid.spiffe_id().trust_domain();
    let bundle = context.bundle_set().get(trust_domain).ok_or_else(|| {
        SpiffeError::InvalidSvid(format!(
            "the Workload API sent no bundle for {trust_domain}"
        ))
    })?;
    let chain: Vec<u8> = svid
        .cert_chain()
        .iter()
        .flat_map(|c| c.as_bytes().iter().copied())
        .collect();
    let roots: Vec<u8> = bundle
        .authorities()
        .iter()
        .flat_map(|c| c.as_bytes().iter().copied())
        .collect();
    let key = Zeroizing::new(svid.private_key().as_bytes().to_vec());
    Svid::from_der(&svid.spiffe_id().to_string(), &chain, key, &roots)
}

/// An error and its causes on one line: the transport's own message
/// ("transport error") says little without them.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
