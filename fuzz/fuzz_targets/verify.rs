//! Arbitrary layouts and links through the whole verification: no panic.
//!
//! The input is a layout document and link files separated by lines
//! `\n--- <file>\n`. The layout is made usable and signed here (its `keys`
//! hold the fuzz functionary's key and every step authorises it), so that
//! the checks after the signature are reached; a link section whose text
//! parses as JSON is signed by the functionary (legacy or DSSE, by the
//! length of its name), anything else, and a section named `<file>.raw`,
//! is stored as is; `{id}` in a name is the functionary's keyid prefix. Every link file is also read
//! both ways (the fast reader and the model), which must agree.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

use intoto_crypto::{KeyType, PrivateKey, sign_metadata};
use intoto_model::{EnvelopeKind, Inspection, Link, Metadata};
use intoto_verify::{InspectionRunner, LinkSource, SourceError, Verifier};

struct Keys {
    owner: PrivateKey,
    functionary: PrivateKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        owner: PrivateKey::generate(KeyType::Ed25519, None).expect("key"),
        functionary: PrivateKey::generate(KeyType::Ed25519, None).expect("key"),
    })
}

struct Mem(BTreeMap<String, Vec<u8>>);

impl LinkSource for Mem {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.0.get(&self.describe(folder, file)).cloned())
    }
}

/// Every inspection passes, having seen one file.
struct Runner;

impl InspectionRunner for Runner {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        let mut link = Link::new(inspection.name.clone());
        link.command = inspection.run.clone();
        link.byproducts.insert("return-value".into(), json!(0));
        Ok(link)
    }
}

fn sign(doc: &Value, key: &PrivateKey, dsse: bool) -> Vec<u8> {
    let kind = if dsse {
        EnvelopeKind::Dsse
    } else {
        EnvelopeKind::Legacy
    };
    let mut md = Metadata::wrap(doc, kind);
    let _ = sign_metadata(&mut md, key);
    md.to_file_string().into_bytes()
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let functionary_id = keys.functionary.keyid().to_string();
    let text = String::from_utf8_lossy(data);
    let mut sections = text.split("\n--- ");
    let layout_text = sections.next().unwrap_or_default();

    let mut files = BTreeMap::new();
    for section in sections {
        let (name, body) = section.split_once('\n').unwrap_or((section, ""));
        let name = name.replace("{id}", keys.functionary.keyid().short());
        // `<file>.raw` is stored as given.
        let (name, bytes) = match name.strip_suffix(".raw") {
            Some(raw) => (raw.to_owned(), body.as_bytes().to_vec()),
            None => match serde_json::from_str::<Value>(body) {
                Ok(doc) if doc.is_object() => {
                    let bytes = sign(&doc, &keys.functionary, name.len() % 2 == 1);
                    (name, bytes)
                }
                _ => (name, body.as_bytes().to_vec()),
            },
        };
        if let Err(why) = intoto_verify::internal::link_file_readings_agree(&bytes) {
            panic!("{why}: {}", String::from_utf8_lossy(&bytes));
        }
        files.insert(name, bytes);
    }

    let layout = match serde_json::from_str::<Value>(layout_text) {
        Ok(mut doc) if doc.is_object() => {
            doc["keys"] =
                json!({ &functionary_id: keys.functionary.public_key().key_dict().to_value() });
            if let Some(steps) = doc.get_mut("steps").and_then(Value::as_array_mut) {
                for step in steps.iter_mut().filter(|s| s.is_object()) {
                    step["pubkeys"] = json!([functionary_id]);
                }
            }
            sign(&doc, &keys.owner, layout_text.len() % 2 == 1)
        }
        _ => layout_text.as_bytes().to_vec(),
    };
    let Ok(md) = Metadata::from_slice(&layout) else {
        return;
    };
    let now = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let source = Mem(files);
    let mut params = BTreeMap::new();
    params.insert("p".to_owned(), "x".to_owned());
    for verifier in [
        Verifier::new(now, &source, &Runner).traces(true),
        Verifier::new(now, &source, &Runner).parameters(params.clone()),
    ] {
        if let Ok(verdict) = verifier.verify(md.clone(), &[keys.owner.public_key().clone()]) {
            assert_eq!(verdict.passed(), verdict.summary.is_some());
            for d in &verdict.diagnostics {
                let _ = d.to_string();
            }
        }
    }
});
