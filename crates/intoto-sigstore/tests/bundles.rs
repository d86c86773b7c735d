//! Real Sigstore bundles (v0.1, v0.2, v0.3; GitHub artifact attestations,
//! npm provenance and publish attestations, a cosign attestation) verify
//! offline against the public-good trusted root with the identity their
//! certificates state; modified copies and partial trusted roots fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use intoto_model::envelope::{decode_base64, encode_base64};
use intoto_sigstore::TrustedRootVerifier;
use intoto_test_support::read_vector;
use intoto_verify::policy::identity::KeylessVerifier as _;
use serde_json::Value;

const GH: &str = "https://token.actions.githubusercontent.com";
const OAUTH: &str = "https://github.com/login/oauth";

/// Each bundle, its OIDC issuer and subject.
const BUNDLES: [(&str, &str, &str); 11] = [
    (
        "gh-attest-reusable-workflow.v03",
        GH,
        "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d",
    ),
    (
        "gh-attest-custom-issuer.v03",
        "https://token.actions.githubusercontent.com/hammer-time",
        "https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main",
    ),
    (
        "npm-provenance-sigstore-2.1.0.v01",
        GH,
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    ),
    (
        "npm-provenance-sigstore-2.1.0.v03",
        GH,
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
    ),
    ("cosign-oci-attestation.v03", OAUTH, "cody@soyland.com"),
    (
        "npm-publish-bundleV01-intoto-with-proof",
        OAUTH,
        "brian@dehamer.com",
    ),
    (
        "npm-publish-bundleV01-dsse-no-proof",
        OAUTH,
        "brian@dehamer.com",
    ),
    ("npm-publish-bundleV02-dsse", OAUTH, "brian@dehamer.com"),
    ("npm-publish-bundleV02-intoto", OAUTH, "brian@dehamer.com"),
    ("npm-publish-bundleV03-dsse", OAUTH, "brian@dehamer.com"),
    ("npm-publish-bundleV03-intoto", OAUTH, "brian@dehamer.com"),
];

fn bundle(name: &str) -> Value {
    serde_json::from_slice(&read_vector(&format!("sigstore/{name}.sigstore.json"))).unwrap()
}

fn root() -> Value {
    serde_json::from_slice(&read_vector("sigstore/trusted_root.public-good.json")).unwrap()
}

fn verifier(root: &Value) -> TrustedRootVerifier {
    TrustedRootVerifier::from_json(root.to_string().as_bytes()).unwrap()
}

#[test]
fn every_bundle_verifies_with_the_identity_of_its_certificate() {
    let verifier = verifier(&root());
    for (name, issuer, subject) in BUNDLES {
        let bytes = serde_json::to_vec(&bundle(name)).unwrap();
        let (envelope, identity) = verifier
            .verify_bundle(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(identity.issuer, issuer, "{name}");
        assert_eq!(identity.subject, subject, "{name}");
        assert_eq!(
            envelope.payload_type, "application/vnd.in-toto+json",
            "{name}"
        );
    }
    // The CI claims of a GitHub Actions certificate.
    let bytes = serde_json::to_vec(&bundle("gh-attest-reusable-workflow.v03")).unwrap();
    let (_, identity) = verifier.verify_bundle(&bytes).unwrap();
    assert_eq!(
        identity.extensions["sourceRepositoryURI"],
        "https://github.com/malancas/attest-demo"
    );
    assert_eq!(
        identity.extensions["buildConfigURI"],
        "https://github.com/malancas/attest-demo/.github/workflows/shared.yml@refs/heads/main"
    );
}

fn first_entry(b: &mut Value) -> &mut Value {
    &mut b["verificationMaterial"]["tlogEntries"][0]
}

/// A named way of changing a bundle.
type Tampering = (&'static str, fn(&mut Value));

/// Each way of changing a bundle.
fn tamperings() -> Vec<Tampering> {
    vec![
        ("payload", |b| {
            let payload = b["dsseEnvelope"]["payload"].as_str().unwrap();
            let mut bytes = decode_base64(payload).unwrap();
            let at = bytes
                .windows(13)
                .position(|w| w == b"predicateType")
                .unwrap()
                + 17;
            bytes[at] = bytes[at].to_ascii_uppercase();
            b["dsseEnvelope"]["payload"] = Value::String(encode_base64(&bytes));
        }),
        ("signature", |b| {
            let sig = b["dsseEnvelope"]["signatures"][0]["sig"].as_str().unwrap();
            let mut bytes = decode_base64(sig).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            b["dsseEnvelope"]["signatures"][0]["sig"] = Value::String(encode_base64(&bytes));
        }),
        ("integrated time", |b| {
            let e = first_entry(b);
            let t: i64 = e["integratedTime"].as_str().unwrap().parse().unwrap();
            e["integratedTime"] = Value::String((t + 1).to_string());
        }),
        ("log body", |b| {
            let e = first_entry(b);
            let body = decode_base64(e["canonicalizedBody"].as_str().unwrap()).unwrap();
            let mut text = String::from_utf8(body).unwrap();
            let at = text.find("\"value\":\"").map_or(text.len() / 2, |i| i + 9);
            let new = if text.as_bytes()[at] == b'0' {
                "1"
            } else {
                "0"
            };
            text.replace_range(at..=at, new);
            e["canonicalizedBody"] = Value::String(encode_base64(text.as_bytes()));
        }),
        ("inclusion promise removed", |b| {
            first_entry(b)
                .as_object_mut()
                .unwrap()
                .remove("inclusionPromise");
        }),
    ]
}

#[test]
fn modified_bundles_fail() {
    let verifier = verifier(&root());
    for (name, _, _) in BUNDLES {
        for (what, change) in tamperings() {
            let mut b = bundle(name);
            change(&mut b);
            let result = verifier.verify_bundle(&serde_json::to_vec(&b).unwrap());
            assert!(result.is_err(), "{name} with its {what} changed verified");
        }
    }
}

#[test]
fn a_trusted_root_without_one_kind_of_authority_verifies_nothing() {
    for part in ["certificateAuthorities", "ctlogs", "tlogs"] {
        let mut partial = root();
        partial[part] = Value::Array(Vec::new());
        let Ok(verifier) = TrustedRootVerifier::from_json(partial.to_string().as_bytes()) else {
            continue;
        };
        for (name, _, _) in BUNDLES {
            let bytes = serde_json::to_vec(&bundle(name)).unwrap();
            assert!(
                verifier.verify_bundle(&bytes).is_err(),
                "{name} verified without {part}"
            );
        }
    }
}

#[test]
fn a_message_signature_bundle_is_not_an_attestation() {
    let verifier = verifier(&root());
    let mut b = bundle("npm-publish-bundleV03-dsse");
    let object = b.as_object_mut().unwrap();
    object.remove("dsseEnvelope");
    object.insert(
        "messageSignature".into(),
        serde_json::json!({
            "messageDigest": {"algorithm": "SHA2_256", "digest": encode_base64(&[0; 32])},
            "signature": encode_base64(&[1; 64]),
        }),
    );
    let e = verifier
        .verify_bundle(&serde_json::to_vec(&b).unwrap())
        .unwrap_err();
    assert!(
        e.contains("a message signature, not a DSSE envelope"),
        "{e}"
    );
}

#[test]
fn the_envelope_returned_is_the_one_verified() {
    // A second `dsseEnvelope` after the genuine one, holding a forged
    // statement for the same subject: a reader that keeps the last key
    // would return the forgery under the genuine signer's identity.
    let verifier = verifier(&root());
    let name = "gh-attest-reusable-workflow.v03";
    let text = String::from_utf8(read_vector(&format!("sigstore/{name}.sigstore.json"))).unwrap();
    let genuine = bundle(name);
    let mut statement: Value = serde_json::from_slice(
        &decode_base64(genuine["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    statement["predicate"] = serde_json::json!({"forged": true});
    let mut forged = genuine["dsseEnvelope"].clone();
    forged["payload"] = Value::String(encode_base64(statement.to_string().as_bytes()));
    let close = text.rfind('}').unwrap();
    let doubled = format!("{}, \"dsseEnvelope\": {forged}}}", text[..close].trim_end());
    match verifier.verify_bundle(doubled.as_bytes()) {
        Err(_) => {}
        Ok((envelope, _)) => assert_eq!(
            envelope.payload,
            decode_base64(genuine["dsseEnvelope"]["payload"].as_str().unwrap()).unwrap(),
            "the forged envelope was returned"
        ),
    }
}
