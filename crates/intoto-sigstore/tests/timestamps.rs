//! Certificates checked at a trusted timestamp (RFC 3161): a real
//! signature of Sigstore's staging instance (a ten-minute Fulcio
//! certificate, timestamped by staging's timestamp authority) in Witness's
//! form, where the signature carries
//! its certificate and its timestamp. Its certificate has long expired,
//! so it verifies only at the time the trusted timestamp proves, only for
//! the identity it names, and only for the bytes it was made over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use intoto_crypto::x509::Certificate;
use intoto_model::envelope::{decode_base64, encode_base64};
use intoto_model::{CertConstraint, Envelope, EnvelopeKind, KeyId};
use intoto_sigstore::TimestampAuthorities;
use intoto_test_support::read_vector;
use intoto_verify::{
    CertificateCheck, TimestampVerifier, TrustBundleSet, check_certificate_signature,
};
use serde_json::{Value, json};

const ROOT: &str = "sigstore/trusted_root.staging.json";

/// Fulcio's roots and intermediates from the staging trusted root.
fn fulcio() -> TrustBundleSet {
    let root: Value = serde_json::from_slice(&read_vector(ROOT)).unwrap();
    let mut roots = Vec::new();
    let mut intermediates = Vec::new();
    for ca in root["certificateAuthorities"].as_array().unwrap() {
        let chain = ca["certChain"]["certificates"].as_array().unwrap();
        for (i, cert) in chain.iter().enumerate() {
            let der = decode_base64(cert["rawBytes"].as_str().unwrap()).unwrap();
            let cert = Certificate::from_der(&der).unwrap();
            if i + 1 == chain.len() {
                roots.push(cert);
            } else {
                intermediates.push(cert);
            }
        }
    }
    TrustBundleSet::from_parts(vec![("fulcio".into(), roots, intermediates)])
}

/// The bundle's envelope, its signature carrying the bundle's certificate
/// and timestamp as Witness writes them (base64 of the PEM; `timestamps`).
fn witness_form() -> Envelope {
    let bundle: Value = serde_json::from_slice(&read_vector(
        "sigstore/conda-attestation-rekor2.sigstore.json",
    ))
    .unwrap();
    let material = &bundle["verificationMaterial"];
    let der = decode_base64(material["certificate"]["rawBytes"].as_str().unwrap()).unwrap();
    let pem = Certificate::from_der(&der).unwrap().to_pem();
    let token = &material["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"];
    let mut envelope = bundle["dsseEnvelope"].clone();
    envelope["signatures"][0]["certificate"] = json!(encode_base64(pem.as_bytes()));
    envelope["signatures"][0]["timestamps"] = json!([{"type": "tsp", "data": token}]);
    Envelope::from_value(envelope).unwrap()
}

fn sigstore_tsa() -> TimestampAuthorities {
    TimestampAuthorities::from_trusted_root(&read_vector(ROOT)).unwrap()
}

fn constraint(email: &str) -> CertConstraint {
    let mut c = CertConstraint::default();
    c.common_name = "*".into();
    c.dns_names = vec!["*".into()];
    c.organizations = vec!["*".into()];
    c.uris = vec!["*".into()];
    c.emails = vec![email.into()];
    c.roots = vec!["*".into()];
    c
}

fn check(
    envelope: &Envelope,
    email: &str,
    timestamps: Option<&dyn TimestampVerifier>,
) -> Result<String, String> {
    let bundles = fulcio();
    let constraints = [constraint(email)];
    let check = CertificateCheck {
        constraints: &constraints,
        bundles: &bundles,
        time_unix: 1_800_000_000,
        timestamps,
    };
    check_certificate_signature(
        &envelope.pae(),
        EnvelopeKind::Dsse,
        &envelope.signatures,
        &KeyId::new(String::new()),
        check,
    )
    .map(|verified| verified.into_inner().to_string())
    .map_err(|e| e.to_string())
}

#[test]
fn the_signature_verifies_at_its_trusted_timestamp() {
    let tsa = sigstore_tsa();
    let identity = check(&witness_form(), "jku@goto.fi", Some(&tsa)).unwrap();
    assert_eq!(identity, "certificate email:jku@goto.fi");
}

#[test]
fn without_a_trusted_timestamp_the_certificate_has_expired() {
    let e = check(&witness_form(), "jku@goto.fi", None).unwrap_err();
    assert!(e.contains("expired"), "{e}");
    assert!(e.contains("no timestamp authority is trusted"), "{e}");
    // An authority that did not sign the token is no better.
    let mut other = TimestampAuthorities::default();
    let pem = String::from_utf8(read_vector("witness/freetsa.chain.pem")).unwrap();
    other.add_pem_chain(&pem).unwrap();
    let e = check(&witness_form(), "jku@goto.fi", Some(&other)).unwrap_err();
    assert!(
        e.contains("expired") && e.contains("its timestamps are not trusted"),
        "{e}"
    );
}

#[test]
fn another_identity_or_a_changed_payload_or_timestamp_is_refused() {
    let tsa = sigstore_tsa();
    let e = check(&witness_form(), "someone@example.com", Some(&tsa)).unwrap_err();
    assert!(
        e.contains("emails: the certificate has \"jku@goto.fi\""),
        "{e}"
    );

    let mut changed = witness_form();
    changed.payload.push(b' ');
    assert!(check(&changed, "jku@goto.fi", Some(&tsa)).is_err());

    // A timestamp token whose signature is changed in one byte (its last
    // bytes are the TSA's signature) proves nothing.
    let mut moved = witness_form();
    let data = moved.signatures[0].extra["timestamps"][0]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut token = decode_base64(&data).unwrap();
    let at = token.len() - 5;
    token[at] ^= 1;
    moved.signatures[0].extra.insert(
        "timestamps".into(),
        json!([{"type": "tsp", "data": encode_base64(&token)}]),
    );
    let e = check(&moved, "jku@goto.fi", Some(&tsa)).unwrap_err();
    assert!(e.contains("expired"), "{e}");
}

#[test]
fn witness_freetsa_timestamps_are_read_but_rsa_authorities_are_not_supported() {
    // Witness's own vector: a Fulcio certificate and an RFC 3161 timestamp
    // by freetsa.org, whose key is RSA. The verifier reports it instead of
    // passing it over.
    let value: Value =
        serde_json::from_slice(&read_vector("witness/policy-presigned.json")).unwrap();
    let envelope = Envelope::from_value(value).unwrap();
    let mut freetsa = TimestampAuthorities::default();
    let pem = String::from_utf8(read_vector("witness/freetsa.chain.pem")).unwrap();
    freetsa.add_pem_chain(&pem).unwrap();
    let e = check(&envelope, "tpmeadows1@gmail.com", Some(&freetsa)).unwrap_err();
    assert!(e.contains("expired") && e.contains("not an EC key"), "{e}");
}
