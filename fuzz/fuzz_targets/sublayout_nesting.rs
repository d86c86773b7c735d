//! Nested sublayouts through the whole verification: no panic, no stack
//! overflow, reads bounded by the depth limit, and no chain nested deeper
//! than the limit, or holding a sublayout that is its own ancestor, passes.
//!
//! The input is a recipe, read a byte at a time (missing bytes are 0):
//!
//! - byte 0: the number of sublayout levels below the root layout, up to
//!   `MAX_SUBLAYOUT_DEPTH + 3`;
//! - byte 1: bit 7 set makes every level from `(byte & 63) % levels + 1`
//!   down repeat that level's sublayout byte for byte (a cycle, as a
//!   sublayout folder that is a symlink to its parent gives); bit 6 lets a
//!   second functionary sign every step too;
//! - per level, root first: a shape byte (step count, which step delegates
//!   to the next level, DSSE or legacy, expired, an inspection), a byte
//!   saying what becomes of the delegating link (mostly nothing; else it
//!   is missing, signed by the wrong key, garbage, or a sublayout with no
//!   keys), then per step a rules byte and an artifacts byte.
//!
//! Every layout is signed properly (the root by the owner, sublayouts by
//! the first functionary, whom their parent's step authorises), so that
//! each level is verified in turn.

#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

use intoto_crypto::{KeyType, PrivateKey, sign_metadata};
use intoto_model::{
    EnvelopeKind, Inspection, Link, Metadata, StepName, link_file_name, sublayout_link_dir,
};
use intoto_verify::{InspectionRunner, LinkSource, MAX_SUBLAYOUT_DEPTH, SourceError, Verifier};

struct Keys {
    owner: PrivateKey,
    first: PrivateKey,
    second: PrivateKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        owner: PrivateKey::generate(KeyType::Ed25519, None).expect("key"),
        first: PrivateKey::generate(KeyType::Ed25519, None).expect("key"),
        second: PrivateKey::generate(KeyType::Ed25519, None).expect("key"),
    })
}

/// Link files by `folder/…/file`, counting reads.
struct Mem {
    files: BTreeMap<String, Vec<u8>>,
    reads: AtomicUsize,
}

impl LinkSource for Mem {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        Ok(self.files.get(&self.describe(folder, file)).cloned())
    }
}

/// Every inspection passes, with the artifacts of the first step.
struct Runner;

impl InspectionRunner for Runner {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        let mut link = Link::new(inspection.name.clone());
        link.command = inspection.run.clone();
        link.byproducts.insert("return-value".into(), json!(0));
        Ok(link)
    }
}

struct Recipe<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Recipe<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
}

/// What becomes of the link of a level's delegating step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Intact,
    Missing,
    WrongSigner,
    Garbage,
    NoKeys,
}

#[derive(Debug, Clone)]
struct StepShape {
    rules: u8,
    artifacts: u8,
}

#[derive(Debug, Clone)]
struct Level {
    /// The level's readme: its index, or, in a cycle, the index of the
    /// level it repeats.
    label: usize,
    steps: Vec<StepShape>,
    delegate: usize,
    dsse: bool,
    expired: bool,
    inspection: bool,
    fate: Fate,
}

impl Level {
    fn read(recipe: &mut Recipe<'_>, label: usize) -> Self {
        let shape = recipe.byte();
        let count = 1 + usize::from(shape % 3);
        let fate = match recipe.byte() % 16 {
            11 => Fate::Missing,
            12 => Fate::WrongSigner,
            13 => Fate::Garbage,
            14 => Fate::NoKeys,
            _ => Fate::Intact,
        };
        let steps = (0..count)
            .map(|_| StepShape {
                rules: recipe.byte(),
                artifacts: recipe.byte(),
            })
            .collect();
        Self {
            label,
            steps,
            delegate: usize::from(shape >> 2) % count,
            dsse: shape & 0x10 != 0,
            expired: shape & 0xe0 == 0xe0,
            inspection: shape & 0x60 == 0x40,
            fate,
        }
    }
}

fn rules(choice: u8) -> Value {
    match choice % 8 {
        0 => json!([["ALLOW", "*"]]),
        1 => json!([["CREATE", "*"]]),
        2 => json!([["DISALLOW", "*"]]),
        3 => json!([["MATCH", "*", "WITH", "PRODUCTS", "FROM", "s0"]]),
        4 => json!([["REQUIRE", "a"], ["ALLOW", "*"]]),
        5 => json!([["MODIFY", "*"], ["DELETE", "*"]]),
        6 => json!([
            ["MATCH", "*", "IN", "x", "WITH", "MATERIALS", "FROM", "s1"],
            ["DISALLOW", "*"]
        ]),
        _ => json!([]),
    }
}

fn artifacts(bits: u8, variant: u8) -> Value {
    let mut map = serde_json::Map::new();
    for (i, name) in ["a", "b", "x/c"].iter().enumerate() {
        if bits & (1 << i) != 0 {
            let hex = format!("{:02x}", variant).repeat(32);
            map.insert((*name).to_owned(), json!({ "sha256": hex }));
        }
    }
    Value::Object(map)
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

fn layout_doc(level: &Level, signers: &[&PrivateKey], keys_listed: bool) -> Value {
    let key_map: serde_json::Map<String, Value> = if keys_listed {
        signers
            .iter()
            .map(|k| (k.keyid().to_string(), k.public_key().key_dict().to_value()))
            .collect()
    } else {
        serde_json::Map::new()
    };
    let pubkeys: Vec<String> = signers.iter().map(|k| k.keyid().to_string()).collect();
    let steps: Vec<Value> = level
        .steps
        .iter()
        .enumerate()
        .map(|(j, s)| {
            json!({
                "_type": "step", "name": format!("s{j}"),
                "threshold": 1 + usize::from(s.rules >> 7),
                "pubkeys": pubkeys, "expected_command": [],
                "expected_materials": rules(s.rules),
                "expected_products": rules(s.rules >> 3),
            })
        })
        .collect();
    let inspect = if level.inspection {
        json!([{"_type": "inspection", "name": "check", "run": ["check"],
                "expected_materials": [["MATCH", "*", "WITH", "PRODUCTS", "FROM", "s0"]],
                "expected_products": [["ALLOW", "*"]]}])
    } else {
        json!([])
    };
    let expires = if level.expired {
        "2020-01-01T00:00:00Z"
    } else {
        "2030-01-01T00:00:00Z"
    };
    json!({
        "_type": "layout", "expires": expires, "readme": format!("level {}", level.label),
        "keys": key_map, "steps": steps, "inspect": inspect,
    })
}

fn link_doc(name: &str, shape: &StepShape) -> Value {
    json!({
        "_type": "link", "name": name, "command": [],
        "materials": artifacts(shape.artifacts, shape.artifacts >> 6),
        "products": artifacts(shape.artifacts >> 3, shape.artifacts >> 7),
        "byproducts": {"return-value": 0}, "environment": {},
    })
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let mut recipe = Recipe { data, pos: 0 };
    let depth = usize::from(recipe.byte()) % (MAX_SUBLAYOUT_DEPTH + 4);
    let options = recipe.byte();
    let cycle_from = (options & 0x80 != 0).then(|| usize::from(options & 0x3f) % (depth + 1) + 1);
    let signers: Vec<&PrivateKey> = if options & 0x40 != 0 {
        vec![&keys.first, &keys.second]
    } else {
        vec![&keys.first]
    };
    let mut levels: Vec<Level> = (0..=depth).map(|i| Level::read(&mut recipe, i)).collect();
    if let Some(c) = cycle_from.filter(|&c| c <= depth) {
        for i in c + 1..=depth {
            levels[i] = levels[c].clone();
        }
    }

    let mut files = BTreeMap::new();
    let mut folder: Vec<String> = Vec::new();
    let mut root = None;
    // How many sublayout levels nest below the root before the chain is
    // broken (all of them when nothing breaks it).
    let mut intact_to = depth;
    for (i, level) in levels.iter().enumerate() {
        let prefix = |file: &str| {
            let mut parts = folder.clone();
            parts.push(file.to_owned());
            parts.join("/")
        };
        if i == 0 {
            root = Some(sign(
                &layout_doc(level, &signers, true),
                &keys.owner,
                level.dsse,
            ));
        }
        for (j, shape) in level.steps.iter().enumerate() {
            let name = format!("s{j}");
            let delegates = j == level.delegate && i < depth;
            for (n, signer) in signers.iter().enumerate() {
                let file = prefix(&link_file_name(&step_name(&name), signer.keyid()));
                if !(delegates && n == 0) {
                    files.insert(file, sign(&link_doc(&name, shape), signer, level.dsse));
                    continue;
                }
                let next = &levels[i + 1];
                let sub = layout_doc(next, &signers, level.fate != Fate::NoKeys);
                let bytes = match level.fate {
                    Fate::Intact | Fate::NoKeys => sign(&sub, signer, next.dsse),
                    Fate::Missing => {
                        intact_to = intact_to.min(i);
                        continue;
                    }
                    Fate::WrongSigner => sign(&sub, &keys.owner, next.dsse),
                    Fate::Garbage => data.get(recipe.pos..).unwrap_or_default().to_vec(),
                };
                if level.fate != Fate::Intact {
                    intact_to = intact_to.min(i);
                }
                files.insert(file, bytes);
            }
        }
        if i < depth {
            folder.push(sublayout_link_dir(
                &step_name(&format!("s{}", level.delegate)),
                keys.first.keyid(),
            ));
        }
    }
    let Some(root) = root else { return };
    let md = Metadata::from_slice(&root).expect("the signed root layout parses");

    let now = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let source = Mem {
        files,
        reads: AtomicUsize::new(0),
    };
    let verdict = Verifier::new(now, &source, &Runner)
        .sublayout_inspections(options & 0x20 != 0)
        .verify(md, &[keys.owner.public_key().clone()]);
    let Ok(verdict) = verdict else { return };

    assert_eq!(verdict.passed(), verdict.summary.is_some());
    for d in &verdict.diagnostics {
        let _ = d.to_string();
        assert!(
            d.subject.sublayout.len() <= MAX_SUBLAYOUT_DEPTH,
            "a finding {} levels deep: {d}",
            d.subject.sublayout.len()
        );
        if d.code.as_str() == "sublayout-too-deep" {
            assert_eq!(d.subject.sublayout.len(), MAX_SUBLAYOUT_DEPTH, "{d}");
        }
    }
    // Links are read at most at every level the limit lets in: each step
    // of each level, for each functionary.
    let most = (MAX_SUBLAYOUT_DEPTH + 1) * 3 * 2;
    let reads = source.reads.load(Ordering::Relaxed);
    assert!(reads <= most, "{reads} reads");
    if verdict.passed() {
        // Sublayouts that nest (intact) beyond the limit, or that repeat
        // their parent, cannot pass.
        assert!(
            intact_to <= MAX_SUBLAYOUT_DEPTH,
            "{intact_to} intact levels passed"
        );
        if let Some(c) = cycle_from {
            assert!(
                c >= depth || intact_to <= c,
                "a cycle from level {c} passed"
            );
        }
    }
});

/// `s<n>`, a step name.
fn step_name(name: &str) -> StepName {
    StepName::new(name).expect("s<n> is a plain name")
}
