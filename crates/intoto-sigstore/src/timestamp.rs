//! RFC 3161 timestamps over signatures (Witness's `timestamps`), verified
//! against trusted timestamp authorities: those of a Sigstore trusted root,
//! or a TSA's certificate chain given as PEM.

use intoto_verify::TimestampVerifier;
use sigstore_trust_root::TrustedRoot;
use sigstore_types::{DerCertificate, SignatureBytes, TimestampToken, TsaAuthority};

use crate::TrustedRootError;

/// Why a timestamp authority's chain cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("not a usable timestamp authority: {0}")]
pub struct TsaError(String);

/// Timestamp authorities whose tokens are trusted.
#[derive(Debug, Clone, Default)]
pub struct TimestampAuthorities {
    authorities: Vec<TsaAuthority>,
}

impl TimestampAuthorities {
    /// The timestamp authorities of a Sigstore trusted root
    /// (`timestampAuthorities`).
    ///
    /// # Errors
    ///
    /// [`TrustedRootError`] when the root cannot be read.
    pub fn from_trusted_root(bytes: &[u8]) -> Result<Self, TrustedRootError> {
        let text = std::str::from_utf8(bytes).map_err(|e| TrustedRootError(e.to_string()))?;
        let root = TrustedRoot::from_json(text).map_err(|e| TrustedRootError(e.to_string()))?;
        Ok(Self {
            authorities: root.tsa_authorities(),
        })
    }

    /// A TSA from its PEM certificate chain: the signing certificate first,
    /// its root last, intermediates between.
    ///
    /// # Errors
    ///
    /// [`TsaError`] when the text holds fewer than two certificates or one
    /// does not decode.
    pub fn add_pem_chain(&mut self, pem: &str) -> Result<(), TsaError> {
        let certs = certificate_chain(pem)?;
        let [leaf, middle @ .., root] = certs.as_slice() else {
            return Err(TsaError(
                "its chain needs its signing certificate and its root".into(),
            ));
        };
        self.authorities.push(TsaAuthority::new(
            leaf.clone(),
            middle.to_vec(),
            root.clone(),
            None,
        ));
        Ok(())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.authorities.is_empty()
    }
}

/// The certificates of PEM text, in order.
fn certificate_chain(pem: &str) -> Result<Vec<DerCertificate>, TsaError> {
    let mut certs = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let end_marker = "-----END CERTIFICATE-----";
        let Some(end) = rest[start..].find(end_marker) else {
            return Err(TsaError("a PEM certificate is not closed".into()));
        };
        let block = &rest[start..start + end + end_marker.len()];
        certs.push(DerCertificate::from_pem(block).map_err(|e| TsaError(e.to_string()))?);
        rest = &rest[start + end + end_marker.len()..];
        if certs.len() > 16 {
            return Err(TsaError("more than 16 certificates in one chain".into()));
        }
    }
    Ok(certs)
}

impl TimestampVerifier for TimestampAuthorities {
    fn verify(&self, token: &[u8], signature: &[u8]) -> Result<i64, String> {
        let token = TimestampToken::from_bytes(token);
        let signature = SignatureBytes::from_bytes(signature);
        let mut errors = Vec::new();
        for authority in &self.authorities {
            match sigstore_tsa::verify_timestamp_for_authority(&token, &signature, authority) {
                Ok(time) => return Ok(time.as_second()),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if errors.is_empty() {
            return Err("no timestamp authority is trusted".into());
        }
        errors.dedup();
        Err(format!(
            "no trusted timestamp authority signed it ({})",
            errors.join("; ")
        ))
    }
}
