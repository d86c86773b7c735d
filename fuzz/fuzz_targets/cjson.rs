//! The encoders of `intoto_model::encoding` on any JSON text: canonical JSON
//! never panics, its keys come out sorted and encoding is idempotent; the
//! canonical form written straight from the text (`canonical_text`) is the
//! one written from the parsed value (`cjson`); Python-style text parses
//! back to the value; and a link's streaming writer (`link_text`) gives the
//! bytes of the value encoders.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::Link;
use intoto_model::encoding::pyjson::{self, Style};
use intoto_model::encoding::{canonical_text, cjson, link_text};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut from_text = Vec::new();
    let from_text = canonical_text::canonicalize(text, &mut from_text).map(|()| from_text);
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        assert!(from_text.is_err(), "canonical text of what is not JSON");
        return;
    };
    for style in [Style::Line, Style::Indent1, Style::Compact] {
        let python = pyjson::to_string(&value, style);
        let again: serde_json::Value = serde_json::from_str(&python).expect("Python-style JSON parses");
        // serde_json's default float parsing is not correctly rounded, so
        // floats need not come back bit for bit.
        if !has_float(&value) {
            assert_eq!(again, value, "{style:?}");
        }
    }
    if let Ok(link) = Link::from_value(value.clone(), "signed") {
        let model = link.to_value();
        assert_eq!(link_text::canonical(&link).ok(), cjson::encode(&model).ok());
        for style in [Style::Line, Style::Indent1, Style::Compact] {
            assert_eq!(link_text::python(&link, style, 0), pyjson::to_string(&model, style));
        }
    }
    let Ok(bytes) = cjson::encode(&value) else {
        assert!(from_text.is_err(), "canonical text of a value without a canonical form");
        return;
    };
    assert_eq!(from_text.ok().as_deref(), Some(&bytes[..]), "canonical text and value differ");
    let text = String::from_utf8(bytes).expect("canonical JSON is UTF-8");
    // Raw control characters are canonical but not JSON text.
    if !text.chars().any(|c| c < ' ') {
        let again: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
        assert_eq!(again, value);
        assert_eq!(cjson::encode(&again).ok().as_deref(), Some(text.as_bytes()));
    }
});

fn has_float(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Number(n) => n.is_f64(),
        serde_json::Value::Array(items) => items.iter().any(has_float),
        serde_json::Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}
