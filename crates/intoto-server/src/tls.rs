//! TLS with rustls (ring): the certificate chain and private key are read
//! from PEM files once, at start.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// The largest certificate or key file read.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// An acceptor for `cert` (a PEM chain, leaf first) and `key` (PEM).
///
/// # Errors
///
/// A one-line message naming the file at fault.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let cert_pem =
        intoto::fs::read(cert, MAX_PEM_BYTES).map_err(|e| intoto::verify::error_chain(&e))?;
    let key_pem =
        intoto::fs::read(key, MAX_PEM_BYTES).map_err(|e| intoto::verify::error_chain(&e))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not PEM certificates: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: holds no certificate", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            format!(
                "{}: the key does not fit the certificate: {e}",
                key.display()
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
