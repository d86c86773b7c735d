//! An X509-SVID as the Workload API hands it out.

use intoto_crypto::x509::Certificate;
use intoto_crypto::{CertifiedSigner, KeyIdForm, PrivateKey};
use zeroize::Zeroizing;

use crate::SpiffeError;

/// A workload's X509-SVID: its SPIFFE ID, certificate chain (leaf first),
/// private key, and the roots of its trust domain.
pub struct Svid {
    /// The SPIFFE ID the certificate's URI names.
    pub spiffe_id: String,
    /// The leaf certificate, then intermediates.
    pub chain: Vec<Certificate>,
    /// The trust domain's root certificates.
    pub bundle: Vec<Certificate>,
    key_pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Svid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Svid")
            .field("spiffe_id", &self.spiffe_id)
            .field("chain", &self.chain.len())
            .field("bundle", &self.bundle.len())
            .finish_non_exhaustive()
    }
}

impl Svid {
    /// An SVID from the DER the Workload API sends: the concatenated
    /// certificates (leaf first), the PKCS#8 key, the concatenated bundle
    /// certificates. The leaf must name `spiffe_id` and hold the key.
    ///
    /// # Errors
    ///
    /// [`SpiffeError::InvalidSvid`] saying what is wrong.
    pub fn from_der(
        spiffe_id: &str,
        chain_der: &[u8],
        key_pkcs8: Zeroizing<Vec<u8>>,
        bundle_der: &[u8],
    ) -> Result<Self, SpiffeError> {
        let invalid = |what: &str, e: &dyn std::fmt::Display| {
            SpiffeError::InvalidSvid(format!("the X509-SVID's {what}: {e}"))
        };
        let chain = split_der(chain_der).map_err(|e| invalid("certificates", &e))?;
        let bundle = split_der(bundle_der).map_err(|e| invalid("trust bundle", &e))?;
        let Some(leaf) = chain.first() else {
            return Err(SpiffeError::InvalidSvid(
                "the X509-SVID has no certificate".into(),
            ));
        };
        if leaf.spiffe_id() != Some(spiffe_id) {
            return Err(SpiffeError::InvalidSvid(format!(
                "the X509-SVID's certificate names {:?}, not {spiffe_id:?}",
                leaf.spiffe_id()
            )));
        }
        let svid = Self {
            spiffe_id: spiffe_id.to_owned(),
            chain,
            bundle,
            key_pkcs8,
        };
        svid.private_key()?;
        Ok(svid)
    }

    fn private_key(&self) -> Result<PrivateKey, SpiffeError> {
        PrivateKey::from_pkcs8_der(&self.key_pkcs8, KeyIdForm::Modern)
            .map_err(|e| SpiffeError::InvalidSvid(format!("the X509-SVID's key: {e}")))
    }

    /// A signer with the SVID's key whose signatures carry its
    /// certificate and intermediates.
    ///
    /// # Errors
    ///
    /// [`SpiffeError::InvalidSvid`] when the key is not the certificate's.
    pub fn signer(&self) -> Result<CertifiedSigner<PrivateKey>, SpiffeError> {
        let key = self.private_key()?;
        let public = key.public_key().clone();
        let leaf = self.chain[0].to_pem();
        let intermediates = self.chain[1..].iter().map(Certificate::to_pem).collect();
        CertifiedSigner::new(key, &public, &leaf, intermediates)
            .map_err(|e| SpiffeError::InvalidSvid(e.to_string()))
    }
}

/// The certificates of concatenated DER (the Workload API's encoding of
/// chains and bundles).
fn split_der(mut der: &[u8]) -> Result<Vec<Certificate>, String> {
    let mut certs = Vec::new();
    while !der.is_empty() {
        let len = der_len(der).ok_or("truncated DER")?;
        if len > der.len() {
            return Err("truncated DER".into());
        }
        certs.push(Certificate::from_der(&der[..len]).map_err(|e| e.to_string())?);
        der = &der[len..];
        if certs.len() > 64 {
            return Err("more than 64 certificates".into());
        }
    }
    Ok(certs)
}

/// The length of the DER element at the start of `der`, header included.
fn der_len(der: &[u8]) -> Option<usize> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(*der.get(2 + i)?);
    }
    len.checked_add(2 + n)
}
