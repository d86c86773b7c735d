//! Any bytes as a metadata file (link, layout or statement; legacy or DSSE):
//! no panic, and what parses writes back out and parses to the same thing.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::Metadata;

fuzz_target!(|data: &[u8]| {
    let Ok(md) = Metadata::from_slice(data) else { return };
    let _ = md.signed_bytes();
    let payload = md.payload();
    if md.signed_bytes().is_ok() {
        let text = md.to_file_string();
        let again = Metadata::from_slice(text.as_bytes()).expect("written metadata parses");
        assert_eq!(again.signed_bytes().ok(), md.signed_bytes().ok(), "signed bytes survive a round trip");
    }
    if let Ok(payload) = payload {
        let value = payload.to_value();
        let again = intoto_model::Payload::from_value(value, "").expect("a written payload parses");
        assert_eq!(again, payload);
    }
});
