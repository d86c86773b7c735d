//! Path validation: does a certificate chain to a trusted root? webpki
//! decides; this module only feeds it.

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter};

use super::{Certificate, X509Error};

/// The most intermediates a signature may carry.
pub const MAX_INTERMEDIATES: usize = 16;

/// The most intermediates offered to one path building (a layout's and a
/// signature's together).
pub const MAX_PATH_INTERMEDIATES: usize = 256;

/// Extended key usages a functionary's certificate may state: code
/// signing, any purpose, or client authentication (which every SPIFFE
/// X509-SVID states). A certificate without the extension may sign.
struct SigningUsage;

const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const ANY_USAGE: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

impl ExtendedKeyUsageValidator for SigningUsage {
    #[allow(deprecated)] // the context variant's fields are webpki's own
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let allowed = [CODE_SIGNING, CLIENT_AUTH, ANY_USAGE].map(KeyPurposeId::new);
        let mut empty = true;
        for id in iter {
            empty = false;
            let id = id?;
            if allowed.contains(&id) {
                return Ok(());
            }
        }
        if empty {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFound)
        }
    }
}

/// Checks that `leaf` chains to one of `roots` through `intermediates`,
/// valid at `time_unix`, and that its extended key usage allows signing.
/// Returns the index in `roots` of the root it chains to.
///
/// # Errors
///
/// [`X509Error::Path`] saying why no path was found (expired, unknown
/// issuer, bad signature, wrong usage); [`X509Error::TooManyIntermediates`].
pub fn verify_path(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    time_unix: i64,
) -> Result<usize, X509Error> {
    if intermediates.len() > MAX_PATH_INTERMEDIATES {
        return Err(X509Error::TooManyIntermediates(intermediates.len()));
    }
    let leaf_der = CertificateDer::from(leaf.der());
    let end_entity =
        EndEntityCert::try_from(&leaf_der).map_err(|e| X509Error::Malformed(format!("{e:?}")))?;
    let root_ders: Vec<CertificateDer<'_>> = roots
        .iter()
        .map(|r| CertificateDer::from(r.der()))
        .collect();
    let mut anchors = Vec::with_capacity(roots.len());
    let mut anchor_of = Vec::with_capacity(roots.len());
    for (i, der) in root_ders.iter().enumerate() {
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(der) {
            anchors.push(anchor);
            anchor_of.push(i);
        }
    }
    if anchors.is_empty() {
        return Err(X509Error::Path("no usable trusted root".into()));
    }
    let intermediate_ders: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.der()))
        .collect();
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(time_unix).unwrap_or(0),
    ));
    let path = end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediate_ders,
            time,
            SigningUsage,
            None,
            None,
        )
        .map_err(|e| X509Error::Path(describe(&e, leaf, time_unix)))?;
    let anchor = path.anchor();
    let index = anchors
        .iter()
        .position(|a| {
            a.subject == anchor.subject
                && a.subject_public_key_info == anchor.subject_public_key_info
        })
        .map_or(0, |i| anchor_of[i]);
    Ok(index)
}

#[allow(deprecated)]
fn describe(e: &webpki::Error, leaf: &Certificate, time_unix: i64) -> String {
    let (not_before, not_after) = leaf.validity();
    match e {
        webpki::Error::CertExpired { .. } if time_unix > not_after => {
            format!("the certificate expired at unix time {not_after} (checked at {time_unix})")
        }
        webpki::Error::CertNotValidYet { .. } if time_unix < not_before => format!(
            "the certificate is not valid before unix time {not_before} (checked at {time_unix})"
        ),
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            "a certificate in its chain is outside its validity period".into()
        }
        webpki::Error::UnknownIssuer => {
            "it does not chain to a trusted root through the intermediates given".into()
        }
        webpki::Error::RequiredEkuNotFound | webpki::Error::RequiredEkuNotFoundContext(_) => {
            "its extended key usage allows neither code signing nor client authentication".into()
        }
        webpki::Error::InvalidSignatureForPublicKey => {
            "a signature in its chain does not verify".into()
        }
        other => format!("its chain does not verify: {other:?}"),
    }
}
