//! Artifact rules: no panic; a parsed rule prints and parses back to itself.

#![no_main]

use libfuzzer_sys::fuzz_target;

use intoto_model::ArtifactRule;

fuzz_target!(|data: &[u8]| {
    let words: Vec<String> = match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(v) => {
            let _ = ArtifactRule::from_value(&v);
            return;
        }
        Err(_) => String::from_utf8_lossy(data).split(' ').map(str::to_owned).collect(),
    };
    if let Ok(rule) = ArtifactRule::parse(&words) {
        let again = ArtifactRule::parse(&rule.to_words()).expect("printed rule parses");
        assert_eq!(again, rule);
        let _ = rule.to_string();
    }
});
