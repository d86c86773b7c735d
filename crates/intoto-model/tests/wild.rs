//! Metadata shapes found in the wild, read by the model: cosign attestations
//! (Statement v0.1, empty keyid), Witness envelopes (signatures with
//! `certificate`, `intermediates`, `timestamps`; a payload type that is not
//! in-toto), statements with `type` for `_type`, URL-safe base64, and a
//! bundle mixing in-toto lines with lines to skip. The files are in
//! `tests/vectors` (see their SOURCE).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

use intoto_model::bundle::{BundleItem, LineNote, read_bundle, statement_of};
use intoto_model::envelope::decode_base64;
use intoto_model::{Envelope, Metadata, ModelError, Payload, StatementVersion};

macro_rules! vector {
    ($path:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/",
            $path
        ))
    };
}

#[test]
fn cosign_attestation_is_a_v0_1_statement_with_an_empty_keyid() {
    let md = Metadata::from_slice(vector!("cosign/custom.intoto.json")).unwrap();
    assert_eq!(md.signatures()[0].keyid.as_str(), "");
    let Payload::Statement(st) = md.payload().unwrap() else {
        panic!("a statement")
    };
    assert_eq!(st.version, StatementVersion::V0_1);
    assert_eq!(st.type_key(), "_type");
    assert_eq!(
        st.predicate_type,
        "https://cosign.sigstore.dev/attestation/v1"
    );
}

#[test]
fn witness_signatures_keep_certificate_intermediates_and_timestamps() {
    let bytes = vector!("witness/policy-presigned.json");
    // Not in-toto: the metadata reader refuses it, naming payloadType ...
    assert!(matches!(
        Metadata::from_slice(bytes),
        Err(ModelError::UnexpectedType { ref field, .. }) if field == "payloadType"
    ));
    // ... and the envelope reader keeps every signature field.
    let value: Value = serde_json::from_slice(bytes).unwrap();
    let env = Envelope::from_value(value).unwrap();
    let extra: Vec<&str> = env.signatures[0].extra.keys().map(String::as_str).collect();
    assert_eq!(extra, ["certificate", "intermediates", "timestamps"]);
    assert_eq!(
        env.payload_type,
        "https://witness.testifysec.com/policy/v0.1"
    );

    let md = Metadata::from_slice(vector!("witness/cdx-att.json")).unwrap();
    let Payload::Statement(st) = md.payload().unwrap() else {
        panic!("a statement")
    };
    assert_eq!(st.version, StatementVersion::V0_1);
}

#[test]
fn a_statement_may_name_its_type_under_type() {
    let md = Metadata::from_slice(vector!(
        "attestation-verifier/test-data/clone.fe1c6281.json"
    ))
    .unwrap();
    let Payload::Statement(st) = md.payload().unwrap() else {
        panic!("a statement")
    };
    assert_eq!(st.type_key(), "type");
    assert!(st.is_link());
}

#[test]
fn url_safe_unpadded_envelope_decodes_to_the_original_bytes() {
    let original =
        Metadata::from_slice(vector!("attestation-verifier/test-data/test.fe1c6281.json")).unwrap();
    let reencoded = Metadata::from_slice(vector!("derived/test.urlsafe.fe1c6281.json")).unwrap();
    assert_eq!(
        reencoded.signed_bytes().unwrap(),
        original.signed_bytes().unwrap()
    );
    let sig = &reencoded.signatures()[0].sig;
    assert!(sig.contains(['-', '_']) && !sig.ends_with('='));
    assert_eq!(
        decode_base64(sig).unwrap(),
        decode_base64(&original.signatures()[0].sig).unwrap()
    );
}

#[test]
fn the_mixed_bundle_reads_line_by_line() {
    let bytes = vector!("derived/mixed.intoto.jsonl");
    let lines = read_bundle(bytes);
    let codes: Vec<Option<&str>> = lines.iter().map(|l| l.note().map(LineNote::code)).collect();
    assert_eq!(
        codes,
        [
            None,
            Some("blank"),
            Some("not-json"),
            Some("not-envelope"),
            Some("other-payload-type"),
            None,
            None
        ]
    );
    // The flagged Witness line's payload is still there to read.
    let witness = lines[4].envelope().unwrap();
    assert!(serde_json::from_slice::<Value>(&witness.payload).is_ok());
    assert!(statement_of(witness).is_err());
    // Each line keeps its exact bytes.
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap();
    assert_eq!(lines[0].bytes, first_line);
    let BundleItem::Statement { statement, .. } = &lines[6].item else {
        panic!("line 7 is a statement")
    };
    assert_eq!(statement.version, StatementVersion::V0_1);
}
