//! Canonical JSON: no panic; keys come out sorted; encoding is idempotent.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::cjson;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(bytes) = cjson::encode(&value) else { return };
    let text = String::from_utf8(bytes).expect("canonical JSON is UTF-8");
    // Raw control characters are canonical but not JSON text.
    if !text.chars().any(|c| c < ' ') {
        let again: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
        assert_eq!(again, value);
        assert_eq!(cjson::encode(&again).ok().as_deref(), Some(text.as_bytes()));
    }
});
