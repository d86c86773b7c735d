//! Bytes -> in-toto bundle lines, and -> `intoto show`'s description: no
//! panic; every line is numbered in order, keeps bytes of the input, and
//! either holds an envelope or says why not.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

use intoto_model::bundle::{BundleItem, MAX_BUNDLE_LINES, read_bundle};

fuzz_target!(|data: &[u8]| {
    let lines = read_bundle(data);
    assert!(lines.len() <= MAX_BUNDLE_LINES + 1);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line.number, i + 1);
        assert!(!line.bytes.contains(&b'\n'));
        match &line.item {
            BundleItem::Statement { .. } => assert!(line.note().is_none()),
            _ => assert!(line.note().is_some()),
        }
        let _ = line.note().map(ToString::to_string);
    }
    let _ = intoto::describe::describe_bytes(Path::new("fuzz.intoto.jsonl"), data, &[])
        .map(|d| d.text());
    let _ = intoto::describe::describe_bytes(Path::new("fuzz.json"), data, &[]).map(|d| d.text());
});
