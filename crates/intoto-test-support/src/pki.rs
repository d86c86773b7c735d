//! Test certificate authorities: a root, intermediates and leaf
//! certificates with SPIFFE IDs and other names, made with rcgen (ECDSA
//! P-256).

#![allow(clippy::expect_used)] // Test setup: a fixture that cannot be made fails the test.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// A certificate and its PKCS#8 PEM private key.
pub struct Issued {
    /// The PEM certificate.
    pub cert_pem: String,
    /// The DER certificate.
    pub cert_der: Vec<u8>,
    /// The PEM private key (PKCS#8).
    pub key_pem: String,
    /// The DER private key (PKCS#8).
    pub key_der: Vec<u8>,
    params: CertificateParams,
    key: KeyPair,
}

/// A date: year, month, day.
pub type Date = (i32, u8, u8);

/// What a leaf certificate names.
#[derive(Default, Clone)]
pub struct Names {
    /// The subject common name.
    pub common_name: Option<String>,
    /// The subject organisation.
    pub organization: Option<String>,
    /// URI SANs (SPIFFE IDs).
    pub uris: Vec<String>,
    /// DNS SANs.
    pub dns: Vec<String>,
    /// E-mail SANs.
    pub emails: Vec<String>,
    /// Validity from and to; default: 1975 to 4096.
    pub validity: Option<(Date, Date)>,
    /// Extended key usages; default: client authentication, as SVIDs.
    pub server_auth_only: bool,
}

impl Names {
    /// A SPIFFE ID, as an X509-SVID names its workload.
    pub fn spiffe(id: &str) -> Self {
        Self {
            uris: vec![id.to_owned()],
            ..Self::default()
        }
    }
}

fn issued(params: CertificateParams, key: KeyPair, cert: rcgen::Certificate) -> Issued {
    Issued {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
        params,
        key,
    }
}

/// A self-signed root CA named `name`.
pub fn root(name: &str) -> Issued {
    let key = KeyPair::generate().expect("key");
    let params = ca_params(name);
    let cert = params.self_signed(&key).expect("root");
    issued(params, key, cert)
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "intoto tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl Issued {
    /// An intermediate CA named `name`, issued by this CA.
    pub fn intermediate(&self, name: &str) -> Issued {
        let key = KeyPair::generate().expect("key");
        let params = ca_params(name);
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("intermediate");
        issued(params, key, cert)
    }

    /// A leaf certificate for `names`, issued by this CA.
    pub fn leaf(&self, names: &Names) -> Issued {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::default();
        if let Some(cn) = &names.common_name {
            params
                .distinguished_name
                .push(DnType::CommonName, cn.as_str());
        }
        if let Some(o) = &names.organization {
            params
                .distinguished_name
                .push(DnType::OrganizationName, o.as_str());
        }
        for uri in &names.uris {
            params
                .subject_alt_names
                .push(SanType::URI(uri.as_str().try_into().expect("uri")));
        }
        for dns in &names.dns {
            params
                .subject_alt_names
                .push(SanType::DnsName(dns.as_str().try_into().expect("dns")));
        }
        for email in &names.emails {
            params.subject_alt_names.push(SanType::Rfc822Name(
                email.as_str().try_into().expect("email"),
            ));
        }
        if let Some(((y1, m1, d1), (y2, m2, d2))) = names.validity {
            params.not_before = rcgen::date_time_ymd(y1, m1, d1);
            params.not_after = rcgen::date_time_ymd(y2, m2, d2);
        }
        // X509-SVIDs state CA:FALSE (the Workload API client insists).
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = if names.server_auth_only {
            vec![ExtendedKeyUsagePurpose::ServerAuth]
        } else {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        };
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).expect("leaf");
        issued(params, key, cert)
    }
}
