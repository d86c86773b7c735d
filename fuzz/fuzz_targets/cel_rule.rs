//! CEL attribute rules: compiling and evaluating any rule text over any JSON
//! predicate neither panics nor hangs (the rule bounds hold).
//!
//! Input: the rule text, a NUL byte, then the predicate as JSON (anything
//! else is `null`). The rule may use the parameter `{p}`.

#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

use intoto_verify::policy::attribute::{AttributeRule, CompiledRule};

fuzz_target!(|data: &[u8]| {
    let (rule, predicate) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(rule) = std::str::from_utf8(rule) else {
        return;
    };
    let predicate: serde_json::Value = serde_json::from_slice(predicate).unwrap_or_default();
    let subject = serde_json::json!([{"name": "foo", "digest": {"sha256": "abc"}}]);
    let params = BTreeMap::from([("p".to_owned(), "'x'".to_owned())]);
    let rule = AttributeRule {
        allow_if_no_claim: rule.len() % 2 == 0,
        ..AttributeRule::new(rule)
    };
    if let Ok(compiled) = CompiledRule::compile(&rule, &params) {
        let outcome = compiled.evaluate("https://example.com/p/v1", &predicate, &subject);
        let _ = compiled.is_warning(&outcome);
    }
});
