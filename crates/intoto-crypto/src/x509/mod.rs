//! X.509 certificates as functionaries' credentials (ITE-7).
//!
//! A signature may carry the certificate of the key that made it: the
//! `cert` field in-toto-golang writes, or `certificate` (with
//! `intermediates`) as ITE-7 and Witness write it. A verifier that trusts
//! some roots checks the certificate's path to one of them
//! ([`verify_path`], by webpki: no chain logic is written here), reads the
//! fields a layout constrains ([`Certificate`]), and checks the signature
//! with the certificate's key ([`Certificate::public_key`]).

mod certificate;
mod chain;

pub use certificate::{
    Certificate, CertificateFields, Identity, MAX_PEM_BYTES, parse_pem_chain, printable,
};
pub use chain::{MAX_INTERMEDIATES, MAX_PATH_INTERMEDIATES, verify_path};

/// Why a certificate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum X509Error {
    /// The text holds no PEM `CERTIFICATE` block.
    #[error("no PEM CERTIFICATE block")]
    NoCertificate,
    /// The DER does not decode as an X.509 certificate.
    #[error("not an X.509 certificate: {0}")]
    Malformed(String),
    /// The certificate's key is of a type in-toto cannot verify with.
    #[error("the certificate's public key cannot be used: {0}")]
    Key(String),
    /// No valid path from the certificate to a trusted root.
    #[error("{0}")]
    Path(String),
    /// Too many certificates offered as intermediates.
    #[error("{0} intermediate certificates; at most {MAX_PATH_INTERMEDIATES} are read")]
    TooManyIntermediates(usize),
}
