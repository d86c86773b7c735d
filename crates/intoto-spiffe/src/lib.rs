//! X509-SVIDs from a SPIFFE Workload API (ITE-7): a workload's
//! short-lived identity, its key and certificate chain, used to sign
//! in-toto metadata so that layouts can authorise a SPIFFE ID instead of
//! a long-lived key.
//!
//! - [`fetch_x509_svid`] asks the Workload API on a Unix socket (a SPIRE
//!   agent's, or any implementation of the SPIFFE Workload API) for the
//!   workload's default X509-SVID and its trust bundle.
//! - [`Svid::signer`] makes a signer whose signatures carry the SVID's
//!   certificate and intermediates.

mod svid;
mod workload;

pub use svid::Svid;
pub use workload::{FETCH_TIMEOUT, fetch_x509_svid};

/// Why no X509-SVID could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpiffeError {
    /// The Workload API cannot be reached or refused the request.
    #[error("{0}")]
    WorkloadApi(String),
    /// The Workload API did not answer in time.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The answer holds no usable X509-SVID.
    #[error("{0}")]
    InvalidSvid(String),
}
