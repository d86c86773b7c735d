//! DSSE envelopes and base64: no panic; PAE framing is unambiguous.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::Envelope;
use intoto_model::envelope::{decode_base64, encode_base64, pae};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(bytes) = decode_base64(text) {
            assert_eq!(decode_base64(&encode_base64(&bytes)).ok(), Some(bytes));
        }
    }
    if let Ok(value) = serde_json::from_slice(data) {
        if let Ok(env) = Envelope::from_value(value) {
            let again = Envelope::from_value(env.to_value()).expect("a written envelope parses");
            assert_eq!(again.payload, env.payload);
            assert_eq!(again.payload_type, env.payload_type);
        }
    }
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (t, p) = data.split_at(split);
    let t = String::from_utf8_lossy(t);
    let out = pae(&t, p);
    assert!(out.ends_with(p));
});
