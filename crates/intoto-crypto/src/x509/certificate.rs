//! One certificate: its DER as received and the fields layouts constrain.

use std::fmt;

use intoto_model::KeyId;
use x509_cert::der::Decode;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::{DirectoryString, GeneralName};

use super::X509Error;
use crate::{KeyIdForm, PublicKey};

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");

/// The largest PEM text read as a certificate chain.
pub const MAX_PEM_BYTES: usize = 1 << 20;

/// A certificate, kept as the DER received, with the fields a certificate
/// constraint names.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    fields: CertificateFields,
    spki_der: Vec<u8>,
    not_before: i64,
    not_after: i64,
}

/// The fields ITE-7 constraints name, as the certificate holds them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CertificateFields {
    /// The subject's common name ("" when it has none).
    pub common_name: String,
    /// The subject's organisations.
    pub organizations: Vec<String>,
    /// DNS names (subject alternative names).
    pub dns_names: Vec<String>,
    /// E-mail addresses (subject alternative names).
    pub emails: Vec<String>,
    /// URIs (subject alternative names), SPIFFE IDs among them.
    pub uris: Vec<String>,
    /// The subject as a distinguished name.
    pub subject: String,
    /// The issuer as a distinguished name.
    pub issuer: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.fields.subject)
            .field("identity", &self.identity().to_string())
            .finish_non_exhaustive()
    }
}

/// Who a certificate names, as thresholds count functionaries: its SPIFFE
/// ID when it has one, else its subject and alternative names. Two
/// certificates for one workload (a rotated SVID) are one identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity(String);

impl Identity {
    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Certificate {
    /// A certificate from DER.
    ///
    /// # Errors
    ///
    /// [`X509Error::Malformed`] if it does not decode.
    pub fn from_der(der: &[u8]) -> Result<Self, X509Error> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| X509Error::Malformed(e.to_string()))?;
        let tbs = cert.tbs_certificate();
        let malformed = |e: x509_cert::der::Error| X509Error::Malformed(e.to_string());
        let mut fields = CertificateFields {
            subject: tbs.subject().to_string(),
            issuer: tbs.issuer().to_string(),
            ..CertificateFields::default()
        };
        for atv in tbs.subject().iter() {
            let text = || -> Result<String, X509Error> {
                let s: DirectoryString = atv.value.decode_as().map_err(malformed)?;
                Ok(s.value().into_owned())
            };
            // The last common name, as Go's x509 package reads it.
            if atv.oid == COMMON_NAME {
                fields.common_name = text()?;
            } else if atv.oid == ORGANIZATION {
                fields.organizations.push(text()?);
            }
        }
        if let Some((_, san)) = tbs.get_extension::<SubjectAltName>().map_err(malformed)? {
            for name in san.0 {
                match name {
                    GeneralName::DnsName(s) => fields.dns_names.push(s.to_string()),
                    GeneralName::Rfc822Name(s) => fields.emails.push(s.to_string()),
                    GeneralName::UniformResourceIdentifier(s) => fields.uris.push(s.to_string()),
                    _ => {}
                }
            }
        }
        let spki_der =
            x509_cert::der::Encode::to_der(tbs.subject_public_key_info()).map_err(malformed)?;
        let validity = tbs.validity();
        let unix = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(Self {
            der: der.to_vec(),
            fields,
            spki_der,
            not_before: unix(validity.not_before),
            not_after: unix(validity.not_after),
        })
    }

    /// The first certificate in PEM text.
    ///
    /// # Errors
    ///
    /// [`X509Error::NoCertificate`] without a `CERTIFICATE` block, or the
    /// block's error.
    pub fn from_pem(text: &str) -> Result<Self, X509Error> {
        parse_pem_chain(text)?
            .into_iter()
            .next()
            .ok_or(X509Error::NoCertificate)
    }

    /// The DER as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The OIDC issuer a Fulcio (Sigstore) certificate states: extension
    /// 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), or the older .1.1 (the raw
    /// text).
    pub fn fulcio_issuer(&self) -> Option<String> {
        let cert = x509_cert::Certificate::from_der(&self.der).ok()?;
        let extensions = cert.tbs_certificate().extensions()?;
        let find = |oid: ObjectIdentifier| {
            extensions
                .iter()
                .find(|e| e.extn_id == oid)
                .map(|e| e.extn_value.as_bytes().to_vec())
        };
        if let Some(der) = find(FULCIO_ISSUER_V2) {
            let text = x509_cert::der::asn1::Utf8StringRef::from_der(&der).ok()?;
            return Some(text.as_str().to_owned());
        }
        find(FULCIO_ISSUER_V1).and_then(|raw| String::from_utf8(raw).ok())
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> String {
        crate::pem::encode("CERTIFICATE", &self.der)
    }

    /// The fields constraints name.
    pub fn fields(&self) -> &CertificateFields {
        &self.fields
    }

    /// The SPIFFE ID: the certificate's one `spiffe://` URI.
    pub fn spiffe_id(&self) -> Option<&str> {
        let mut ids = self
            .fields
            .uris
            .iter()
            .filter(|u| u.starts_with("spiffe://"));
        match (ids.next(), ids.next()) {
            (Some(id), None) => Some(id),
            _ => None,
        }
    }

    /// Who the certificate names (see [`Identity`]).
    pub fn identity(&self) -> Identity {
        if let Some(id) = self.spiffe_id() {
            return Identity(printable(id));
        }
        let f = &self.fields;
        let mut parts = Vec::new();
        if !f.subject.is_empty() {
            parts.push(f.subject.clone());
        }
        for (kind, names) in [
            ("DNS", &f.dns_names),
            ("email", &f.emails),
            ("URI", &f.uris),
        ] {
            for name in names {
                parts.push(format!("{kind}:{name}"));
            }
        }
        Identity(printable(&parts.join(", ")))
    }

    /// Validity as unix times: not before, not after.
    pub fn validity(&self) -> (i64, i64) {
        (self.not_before, self.not_after)
    }

    /// The certificate's key, known by `keyid` (the keyid the signature
    /// gives), with the default scheme of its type.
    ///
    /// # Errors
    ///
    /// [`X509Error::Key`] for a key in-toto cannot verify with.
    pub fn public_key(&self, keyid: &KeyId) -> Result<PublicKey, X509Error> {
        let material = crate::pem::public_from_spki(&self.spki_der)
            .map_err(|e| X509Error::Key(e.to_string()))?;
        let key = PublicKey::from_material(material, None, KeyIdForm::Modern)
            .map_err(|e| X509Error::Key(e.to_string()))?;
        Ok(key.with_keyid(keyid.clone()))
    }

    /// Whether `key` is this certificate's key.
    pub fn holds(&self, key: &PublicKey) -> bool {
        self.public_key(key.keyid())
            .is_ok_and(|own| own.fingerprint() == key.fingerprint())
    }
}

/// `text` with control characters escaped (`\u{1b}`), so that names from
/// a certificate cannot move a terminal's cursor or forge a line.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Every certificate in PEM text, in order. Other blocks are skipped.
///
/// # Errors
///
/// [`X509Error::NoCertificate`] without a `CERTIFICATE` block; the
/// first block that does not decode.
pub fn parse_pem_chain(text: &str) -> Result<Vec<Certificate>, X509Error> {
    if text.len() > MAX_PEM_BYTES {
        return Err(X509Error::Malformed(format!(
            "{} bytes of PEM; at most {MAX_PEM_BYTES} are read",
            text.len()
        )));
    }
    let certs: Vec<Certificate> = crate::pem::parse_blocks(text.as_bytes())
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| Certificate::from_der(&b.der))
        .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(X509Error::NoCertificate);
    }
    Ok(certs)
}
