//! Who signed, as `intoto show` reads it from a signature's certificate or
//! a Sigstore bundle: names shown, nothing verified (`intoto verify`
//! checks chains and transparency logs).

use serde_json::Value;

use intoto_model::ModelError;

use super::{Document, NamedKey, Note, describe_value};

/// Who a signature's certificate names, read, not verified (`intoto
/// verify` checks the chain): names are shown with control characters
/// escaped.
pub(super) fn certificate_identity(pem: &str) -> String {
    use intoto_crypto::x509::{Certificate, printable};
    let cert = match Certificate::from_pem(pem) {
        Ok(cert) => cert,
        Err(e) => return format!("unreadable certificate: {e}"),
    };
    let issuer = printable(&cert.fields().issuer);
    let unchecked = "not checked here: intoto verify checks its chain";
    match (cert.spiffe_id(), cert.fulcio_issuer()) {
        (Some(_), _) => format!(
            "SPIFFE ID {} (issued by {issuer}; {unchecked})",
            cert.identity()
        ),
        (None, Some(oidc)) => format!(
            "Sigstore {} (OIDC issuer {}; issued by {issuer}; {unchecked})",
            cert.identity(),
            printable(&oidc)
        ),
        (None, None) => format!(
            "certificate {} (issued by {issuer}; {unchecked})",
            cert.identity()
        ),
    }
}

/// A Sigstore bundle: its DSSE envelope, with the identity its Fulcio
/// certificate states (read, not verified: `intoto verify
/// --sigstore-trusted-root` checks the chain and the transparency log).
pub(super) fn describe_sigstore_bundle(
    value: Value,
    keys: &[NamedKey],
) -> Result<Document, ModelError> {
    let media_type = value
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let material = value.get("verificationMaterial");
    let raw = material
        .and_then(|m| m.pointer("/x509CertificateChain/certificates/0/rawBytes"))
        .or_else(|| material.and_then(|m| m.pointer("/certificate/rawBytes")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(dsse) = value.get("dsseEnvelope").cloned() else {
        return Err(ModelError::MissingField {
            field: "dsseEnvelope (a Sigstore bundle of a message signature is not an attestation)"
                .into(),
        });
    };
    let mut doc = describe_value(dsse, keys)?;
    let identity = match raw.map(|r| intoto_model::envelope::decode_base64(&r)) {
        Some(Ok(der)) => match intoto_crypto::x509::Certificate::from_der(&der) {
            Ok(cert) => format!(
                "Sigstore {} (OIDC issuer {}; not checked here: give intoto verify --sigstore-trusted-root)",
                cert.identity(),
                intoto_crypto::x509::printable(
                    &cert.fulcio_issuer().unwrap_or_else(|| "unknown".into())
                )
            ),
            Err(e) => format!("unreadable certificate: {e}"),
        },
        Some(Err(e)) => format!("unreadable certificate: {e}"),
        None => "a Sigstore bundle signed by a public key, not a certificate".into(),
    };
    for sig in &mut doc.signatures {
        sig.identity = Some(identity.clone());
    }
    doc.note = Some(Note {
        code: "sigstore-bundle",
        message: format!("a Sigstore bundle ({media_type}); its DSSE envelope is shown"),
    });
    Ok(doc)
}
