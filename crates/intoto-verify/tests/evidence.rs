//! The verifier core's seams, used from outside the crate as later evidence
//! sources and identities will use them: an [`EvidenceSource`] that is not a
//! link folder, statements of any predicate as evidence, and functionaries
//! counted as [`Functionary`] values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use intoto_crypto::{KeyType, PrivateKey, PublicKey, sign_metadata};
use intoto_model::{EnvelopeKind, Metadata, Payload};
use intoto_verify::{
    Authority, Claim, Error, Evidence, EvidenceSource, Found, Functionary, KeyAuthority,
    KeyFingerprint, NoInspections, Origin, Rejection, Request, SignedBytes, Verifier,
};
use serde_json::{Value, json};

fn key() -> PrivateKey {
    PrivateKey::generate(KeyType::Ed25519, None).unwrap()
}

/// Signed statements in memory, by step name: what an attestation store
/// would hand the verifier.
struct Store(BTreeMap<String, Vec<Metadata>>);

impl EvidenceSource for Store {
    fn collect(&self, request: &Request<'_>) -> Result<Vec<Found>, Error> {
        let mut found = Vec::new();
        for candidate in request.authority.candidates(request.step) {
            let origin = Origin::new(
                format!("store:{}/{}", request.step.name, candidate.keyid),
                candidate.clone(),
            );
            let signed_by_candidate = self
                .0
                .get(&request.step.name)
                .into_iter()
                .flatten()
                .find_map(|md| {
                    let bytes = md.signed_bytes().ok()?;
                    let signed = SignedBytes::new(&bytes, md.kind(), md.signatures());
                    let functionary = request
                        .authority
                        .authorize(&candidate, signed, request.now_unix)
                        .ok()?;
                    Some((functionary, md))
                });
            let Some((functionary, md)) = signed_by_candidate else {
                found.push(Found::Missing {
                    file: origin.file.clone(),
                });
                continue;
            };
            let Ok(Payload::Statement(statement)) = md.payload() else {
                found.push(Found::Rejected {
                    origin,
                    rejection: Rejection::Malformed("not a statement".into()),
                });
                continue;
            };
            match Evidence::from_statement(functionary, statement, origin.clone()) {
                Ok(evidence) => found.push(Found::Evidence(evidence)),
                Err(e) => found.push(Found::Rejected {
                    origin,
                    rejection: Rejection::Malformed(e.to_string()),
                }),
            }
        }
        Ok(found)
    }
}

fn link_statement(name: &str, materials: Value, products: &[(&str, &str)]) -> Value {
    let subject: Vec<Value> = products
        .iter()
        .map(|(n, d)| json!({"name": n, "digest": {"sha256": d}}))
        .collect();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": "https://in-toto.io/attestation/link/v0.3",
        "predicate": {"name": name, "command": [], "materials": materials, "byproducts": {}},
    })
}

fn dsse(doc: &Value, key: &PrivateKey) -> Metadata {
    let mut md = Metadata::wrap(doc, EnvelopeKind::Dsse);
    sign_metadata(&mut md, key).unwrap();
    md
}

fn layout(owner: &PrivateKey, functionaries: &[&PrivateKey], threshold: i64) -> Metadata {
    let keys: serde_json::Map<String, Value> = functionaries
        .iter()
        .map(|k| (k.keyid().to_string(), k.public_key().key_dict().to_value()))
        .collect();
    let pubkeys: Vec<String> = functionaries
        .iter()
        .map(|k| k.keyid().to_string())
        .collect();
    let doc = json!({
        "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "",
        "keys": keys, "inspect": [],
        "steps": [
            {"_type": "step", "name": "fetch", "threshold": 1, "pubkeys": [pubkeys[0]],
             "expected_command": [], "expected_materials": [],
             "expected_products": [["CREATE", "src.c"], ["DISALLOW", "*"]]},
            {"_type": "step", "name": "build", "threshold": threshold, "pubkeys": pubkeys,
             "expected_command": [],
             "expected_materials": [["MATCH", "src.c", "WITH", "PRODUCTS", "FROM", "fetch"], ["DISALLOW", "*"]],
             "expected_products": [["CREATE", "app"], ["DISALLOW", "*"]]}
        ]
    });
    let mut md = Metadata::wrap(&doc, EnvelopeKind::Legacy);
    sign_metadata(&mut md, owner).unwrap();
    md
}

fn verify(layout: Metadata, owner: &PublicKey, store: &Store) -> intoto_verify::Verdict {
    let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    Verifier::with_evidence(now, store, &NoInspections)
        .verify(layout, std::slice::from_ref(owner))
        .unwrap()
}

#[test]
fn a_source_that_is_not_a_link_folder_supplies_verified_evidence() {
    let (owner, alice, bob) = (key(), key(), key());
    let fetch = dsse(
        &link_statement("fetch", json!([]), &[("src.c", "aa")]),
        &alice,
    );
    let build = dsse(
        &link_statement(
            "build",
            json!([{"name": "src.c", "digest": {"sha256": "aa"}}]),
            &[("app", "bb")],
        ),
        &bob,
    );
    let store = Store(BTreeMap::from([
        ("fetch".to_owned(), vec![fetch.clone()]),
        ("build".to_owned(), vec![build]),
    ]));
    let verdict = verify(
        layout(&owner, &[&alice, &bob], 1),
        owner.public_key(),
        &store,
    );
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);

    // A statement signed by someone the layout does not authorise is not
    // evidence: nothing from bob for build but alice's signature.
    let forged = dsse(
        &link_statement(
            "build",
            json!([{"name": "src.c", "digest": {"sha256": "aa"}}]),
            &[("app", "bb")],
        ),
        &key(),
    );
    let store = Store(BTreeMap::from([
        ("fetch".to_owned(), vec![fetch]),
        ("build".to_owned(), vec![forged]),
    ]));
    let verdict = verify(
        layout(&owner, &[&alice, &bob], 1),
        owner.public_key(),
        &store,
    );
    let codes: Vec<&str> = verdict
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["threshold-not-met"]);
}

#[test]
fn thresholds_count_functionaries_not_keyids() {
    // bob's key listed under a second keyid is still one functionary.
    let (owner, alice, bob) = (key(), key(), key());
    let fetch = dsse(
        &link_statement("fetch", json!([]), &[("src.c", "aa")]),
        &alice,
    );
    let build = dsse(
        &link_statement(
            "build",
            json!([{"name": "src.c", "digest": {"sha256": "aa"}}]),
            &[("app", "bb")],
        ),
        &bob,
    );
    let store = Store(BTreeMap::from([
        ("fetch".to_owned(), vec![fetch]),
        ("build".to_owned(), vec![build]),
    ]));
    let mut doc: Value =
        serde_json::from_str(&layout(&owner, &[&alice, &bob], 2).to_file_string()).unwrap();
    let signed = &mut doc["signed"];
    let again = "b0b".repeat(21) + "0";
    signed["keys"][&again] = bob.public_key().key_dict().to_value();
    signed["steps"][1]["pubkeys"] = json!([bob.keyid().to_string(), again]);
    let mut md = Metadata::wrap(signed, EnvelopeKind::Legacy);
    sign_metadata(&mut md, &owner).unwrap();
    let verdict = verify(md, owner.public_key(), &store);
    let codes: Vec<&str> = verdict
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["link-duplicate-functionary", "threshold-not-met"]);
}

#[test]
fn a_statement_of_any_predicate_is_evidence_for_its_predicate() {
    let (owner, alice) = (key(), key());
    let doc = json!({"_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "",
        "keys": {alice.keyid().to_string(): alice.public_key().key_dict().to_value()},
        "steps": [{"_type": "step", "name": "scan", "threshold": 1,
                   "pubkeys": [alice.keyid().to_string()], "expected_command": [],
                   "expected_materials": [], "expected_products": []}],
        "inspect": []});
    let mut layout = Metadata::wrap(&doc, EnvelopeKind::Legacy);
    sign_metadata(&mut layout, &owner).unwrap();
    let layout = intoto_crypto::verify_by(layout, owner.public_key())
        .unwrap()
        .try_map(|md| match md.into_payload() {
            Ok(Payload::Layout(layout)) => Ok(layout),
            _ => Err("not a layout"),
        })
        .unwrap();
    let authority = KeyAuthority::new(&layout);
    let candidate = authority.candidates(&layout.steps[0]).pop().unwrap();

    let md = dsse(
        &json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": "bb"}}, {"digest": {"sha256": "cc"}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {"buildDefinition": {"buildType": "make"}},
        }),
        &alice,
    );
    let bytes = md.signed_bytes().unwrap();
    let signed = SignedBytes::new(&bytes, md.kind(), md.signatures());
    // Only the authority's signature check yields the functionary.
    let functionary = authority.authorize(&candidate, signed, 0).unwrap();
    assert_eq!(
        *functionary,
        Functionary::Key(KeyFingerprint::of(alice.public_key()))
    );
    let Ok(Payload::Statement(statement)) = md.payload() else {
        panic!("a statement");
    };
    let evidence = Evidence::from_statement(
        functionary,
        statement,
        Origin::new("scan.att", candidate.clone()),
    )
    .unwrap();
    assert_eq!(
        evidence.claim,
        Claim::Predicate("https://slsa.dev/provenance/v1".into())
    );
    assert_eq!(evidence.link.products.names().collect::<Vec<_>>(), ["app"]);
    let predicate = evidence.predicate.as_ref().unwrap();
    assert_eq!(predicate.value["buildDefinition"]["buildType"], "make");

    // A signature by another key is not alice's.
    let other = dsse(&json!({"_type": "link", "name": "scan"}), &key());
    let bytes = other.signed_bytes().unwrap();
    let signed = SignedBytes::new(&bytes, other.kind(), other.signatures());
    assert!(authority.authorize(&candidate, signed, 0).is_err());
}
