//! The fast reading of link files against the model's, on the shapes
//! links come in and the ones they should not.

use serde_json::json;

use super::*;

/// The fast reading and the model's agree.
fn agree(bytes: &[u8]) {
    let model = open_model(bytes);
    let fast = open_fast(bytes);
    let Ok(model) = model else {
        // The model rejects the file: so must the fast reading, at the
        // latest when the signed bytes are asked for.
        if let Ok(opened) = open(bytes) {
            assert!(
                opened.signed().is_err(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        return;
    };
    let mut canonical = Vec::new();
    let text = std::str::from_utf8(bytes).expect("the model accepted it");
    if let Some(signatures) = legacy_signed(text, &mut canonical) {
        assert_eq!(model.kind, EnvelopeKind::Legacy);
        assert_eq!(signatures, model.signatures);
        assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&model.signed().unwrap())
        );
    }
    if let Some(link) = legacy_link(text) {
        assert!(
            matches!(model.document(), Ok(Document::Link(l)) if l == link),
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
    if let Some(fast) = fast {
        assert_eq!(fast.kind, model.kind);
        assert_eq!(fast.signatures, model.signatures);
        assert_eq!(
            String::from_utf8_lossy(&fast.signed().unwrap()),
            String::from_utf8_lossy(&model.signed().unwrap())
        );
        match (fast.document(), model.document()) {
            (Ok(Document::Link(a)), Ok(Document::Link(b))) => assert_eq!(a, b),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (Ok(Document::Layout(a)), Ok(Document::Layout(b))) => assert_eq!(a, b),
            (Ok(Document::Statement(a)), Ok(Document::Statement(b))) => assert_eq!(a, b),
            _ => panic!("documents differ: {}", String::from_utf8_lossy(bytes)),
        }
    }
}

fn link(extra: Value) -> Value {
    let mut link = json!({
        "_type": "link", "name": "build", "command": ["make"],
        "materials": {"b": {"sha256": "ab".repeat(32)}, "a": {"sha256": "AB", "sha512": "cd"}},
        "products": {"c\"\\": {"sha256": "0".repeat(64)}},
        "byproducts": {"return-value": 0, "stdout": "x\n"}, "environment": {}
    });
    if let (Value::Object(l), Value::Object(e)) = (&mut link, extra) {
        l.extend(e);
    }
    link
}

#[test]
fn fast_and_model_readings_agree() {
    let sigs = json!([{"keyid": "ab", "sig": "cd"}]);
    let mut cases = vec![
        json!({"signed": link(json!({})), "signatures": sigs}),
        json!({"signed": link(json!({"extra": [1, {"z": null, "y": true}]})), "signatures": sigs}),
        json!({"signed": link(json!({"materials": {"x": {"sha256": "zz"}}})), "signatures": sigs}),
        json!({"signed": link(json!({"materials": []})), "signatures": sigs}),
        json!({"signed": link(json!({"materials": {"x": {"sha256": ""}}})), "signatures": sigs}),
        json!({"signed": link(json!({"materials": {"x": {}}})), "signatures": sigs}),
        json!({"signed": link(json!({"name": 3})), "signatures": sigs}),
        json!({"signed": link(json!({"_type": "layout"})), "signatures": sigs}),
        json!({"signed": link(json!({"byproducts": {"x": 1.5}})), "signatures": sigs}),
        json!({"signed": [], "signatures": sigs}),
        json!({"signed": link(json!({})), "signatures": [{"keyid": 1}]}),
        json!({"signed": link(json!({})), "signatures": sigs, "x": 1}),
        json!({"signed": {"_type": "layout", "expires": "2030-01-01T00:00:00Z", "keys": {}, "steps": [], "inspect": []}, "signatures": []}),
    ];
    for inner in [
        link(json!({})),
        link(json!({"x": "ÿ"})),
        json!({"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "ab"}}],
               "predicateType": "https://in-toto.io/attestation/link/v0.3", "predicate": {"name": "build"}}),
    ] {
        let payload = intoto_model::envelope::encode_base64(inner.to_string().as_bytes());
        cases.push(json!({"payload": payload, "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": [{"keyid": "", "sig": "AA=="}]}));
        cases.push(json!({"payload": payload, "payloadType": "text/plain", "signatures": []}));
        cases.push(json!({"payload": payload, "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": [], "signed": {}}));
    }
    cases.push(json!({"payload": "!!", "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": []}));
    cases.push(json!({"payload": 1, "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": []}));
    for case in &cases {
        agree(case.to_string().as_bytes());
    }
    // Repeated keys and unsorted artifacts, as text.
    agree(br#"{"signed": {"_type": "link", "name": "a", "products": {"z": {"sha256": "01"}, "a": {"sha256": "02"}, "z": {"sha256": "03"}}}, "signatures": []}"#);
    agree(br#"{"signed": {"_type": "link", "name": "a", "materials": {"a": {"sha256": "01", "sha256": "02"}}, "materials": {}}, "signatures": []}"#);
    agree(b"not json");
    agree(b"[]");
}

#[test]
fn the_fast_reading_handles_the_common_shapes() {
    let legacy = json!({"signed": link(json!({})), "signatures": []}).to_string();
    assert!(open_fast(legacy.as_bytes()).is_some());
    let payload = intoto_model::envelope::encode_base64(link(json!({})).to_string().as_bytes());
    let dsse = json!({"payload": payload, "payloadType": PAYLOAD_TYPE_INTOTO, "signatures": []})
        .to_string();
    let opened = open_fast(dsse.as_bytes()).unwrap();
    assert!(matches!(opened.document(), Ok(Document::Link(_))));
}
