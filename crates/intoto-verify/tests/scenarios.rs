//! Runs every supply-chain scenario folder `tests/scenarios/<case>/`: one
//! attack or rule per folder, its inputs in `scenario.json` and the
//! verdict it must give in `expected.json`.
//!
//! `scenario.json` holds:
//! - `layout`: the layout's `signed` body; `"@alice"` anywhere in it
//!   becomes alice's keyid, and `keys` lists the names of the functionary
//!   keys to include (from `tests/scenarios/keys/<name>.pem`, ed25519);
//! - `layout_signers` (default `["owner"]`) and `verification_keys`
//!   (default `["owner"]`);
//! - `links`: each `{"signer", "link", "kind"?, "file"?, "tamper"?,
//!   "raw"?}`: the link body (or, with `raw`, any document, such as a
//!   statement) signed by `signer` in the legacy (default) or `dsse`
//!   wrapper and stored as `<name>.<keyid[:8]>.link` (or `file`);
//!   `tamper` is merged into the legacy `signed` value after signing;
//!   `{alice}` in `file` is the first 8 characters of alice's keyid;
//! - `inspections`: the link each inspection's command records, by name;
//! - `now` (default 2025-06-01T12:00:00Z);
//! - `expect`: `{"passed", "codes"}`, written by hand: the error and
//!   warning codes in order.
//!
//! `expected.json` is the whole verdict as JSON (every diagnostic's code,
//! severity, subject, message and help); it is checked exactly, and
//! rewritten with `INTOTO_BLESS=1`.

// The harness reads its fixture files, and fails loudly on bad ones.
#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use intoto_crypto::{KeyIdForm, PrivateKey, sign_metadata};
use intoto_model::{EnvelopeKind, Inspection, Link, Metadata, StepName, link_file_name};
use intoto_verify::{InspectionRunner, LinkSource, SourceError, Verdict, Verifier};
use serde_json::{Map, Value, json};

/// `<step>.<keyid[:8]>.link`.
fn link_file(step: &str, keyid: &intoto_model::KeyId) -> String {
    link_file_name(&StepName::new(step).unwrap(), keyid)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Keys(BTreeMap<String, PrivateKey>);

impl Keys {
    fn load() -> Self {
        let mut keys = BTreeMap::new();
        for name in ["owner", "alice", "bob", "carol"] {
            let pem = std::fs::read(root().join("keys").join(format!("{name}.pem"))).unwrap();
            let key = PrivateKey::from_pem(&pem, None, KeyIdForm::Modern).unwrap();
            keys.insert(name.to_owned(), key);
        }
        Self(keys)
    }

    fn get(&self, name: &str) -> &PrivateKey {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no key named {name}"))
    }

    /// `{name}` in a file name → the first 8 characters of `name`'s keyid.
    fn file_name(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (name, key) in &self.0 {
            let id = key.keyid().to_string();
            out = out.replace(&format!("{{{name}}}"), &id[..8]);
        }
        out
    }

    /// `"@name"` → the keyid of `name`, everywhere in `value`.
    fn substitute(&self, value: &mut Value) {
        match value {
            Value::String(s) if s.starts_with('@') => {
                *s = self.get(&s[1..]).keyid().to_string();
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.substitute(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.substitute(v)),
            _ => {}
        }
    }
}

/// Link files in memory, by `folder/…/file`.
#[derive(Default)]
struct Mem(BTreeMap<String, Vec<u8>>);

impl LinkSource for Mem {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.0.get(&self.describe(folder, file)).cloned())
    }
}

/// Inspections answered from the scenario.
struct Runner(Map<String, Value>);

impl InspectionRunner for Runner {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        let Some(body) = self.0.get(&inspection.name) else {
            return Err(format!("no such command: {}", inspection.run.join(" ")).into());
        };
        let mut body = body.clone();
        body["_type"] = json!("link");
        body["name"] = json!(inspection.name);
        body["command"] = json!(inspection.run);
        Ok(Link::from_value(body, "inspection").map_err(|e| e.to_string())?)
    }
}

fn sign(doc: &Value, key: &PrivateKey, kind: EnvelopeKind) -> Metadata {
    let mut md = Metadata::wrap(doc, kind);
    sign_metadata(&mut md, key).unwrap();
    md
}

fn names(value: Option<&Value>, default: &[&str]) -> Vec<String> {
    match value {
        Some(v) => serde_json::from_value(v.clone()).unwrap(),
        None => default.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Verifies one scenario; the verdict.
fn verdict_of(scenario: &Value, keys: &Keys) -> Verdict {
    let mut layout = scenario["layout"].clone();
    let key_names = names(layout.get("keys"), &[]);
    let mut dicts = Map::new();
    for name in &key_names {
        let key = keys.get(name);
        dicts.insert(
            key.keyid().to_string(),
            key.public_key().key_dict().to_value(),
        );
    }
    layout["keys"] = Value::Object(dicts);
    layout["_type"] = json!("layout");
    keys.substitute(&mut layout);
    let mut layout_md = Metadata::wrap(&layout, EnvelopeKind::Legacy);
    for signer in names(scenario.get("layout_signers"), &["owner"]) {
        sign_metadata(&mut layout_md, keys.get(&signer)).unwrap();
    }
    let layout_md = Metadata::from_slice(layout_md.to_file_string().as_bytes()).unwrap();

    let mut links = Mem::default();
    for entry in scenario["links"].as_array().into_iter().flatten() {
        let signer = keys.get(entry["signer"].as_str().unwrap());
        let kind = match entry.get("kind").and_then(Value::as_str) {
            Some("dsse") => EnvelopeKind::Dsse,
            _ => EnvelopeKind::Legacy,
        };
        let mut doc = match entry.get("raw") {
            Some(raw) => raw.clone(),
            None => {
                let mut body = entry["link"].clone();
                body["_type"] = json!("link");
                for field in ["materials", "products", "byproducts", "environment"] {
                    if body.get(field).is_none() {
                        body[field] = json!({});
                    }
                }
                if body.get("command").is_none() {
                    body["command"] = json!([]);
                }
                body
            }
        };
        keys.substitute(&mut doc);
        let mut file: Value = serde_json::from_str(&sign(&doc, signer, kind).to_file_string())
            .expect("signed metadata is JSON");
        if let Some(tamper) = entry.get("tamper") {
            merge(&mut file["signed"], tamper);
        }
        let name = match entry.get("file").and_then(Value::as_str) {
            Some(name) => keys.file_name(name),
            None => link_file(doc["name"].as_str().unwrap(), signer.keyid()),
        };
        links.0.insert(name, serde_json::to_vec(&file).unwrap());
    }
    let runner = Runner(
        scenario
            .get("inspections")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    );
    let now: DateTime<Utc> = scenario
        .get("now")
        .and_then(Value::as_str)
        .unwrap_or("2025-06-01T12:00:00Z")
        .parse()
        .unwrap();
    let verification_keys: Vec<_> = names(scenario.get("verification_keys"), &["owner"])
        .iter()
        .map(|name| keys.get(name).public_key().clone())
        .collect();
    Verifier::new(now, &links, &runner)
        .verify(layout_md, &verification_keys)
        .expect("verification can be carried out")
}

/// Merges `patch` into `target`, objects key by key.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// The verdict as the scenario files record it: its JSON form, as
/// `intoto verify --format json` prints it.
fn snapshot(verdict: &Verdict) -> Value {
    serde_json::to_value(verdict).expect("a verdict serialises")
}

#[test]
fn every_supply_chain_scenario_has_its_expected_verdict() {
    let keys = Keys::load();
    let bless = std::env::var_os("INTOTO_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "only {} scenarios", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let scenario = read_json(&dir.join("scenario.json"));
        let verdict = verdict_of(&scenario, &keys);
        let expect = &scenario["expect"];
        let codes: Vec<&str> = verdict
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        let want: Vec<&str> = expect["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        if verdict.passed() != expect["passed"].as_bool().unwrap() || codes != want {
            failures.push(format!(
                "{name}: passed {} with codes {codes:?}, want passed {} with {want:?}",
                verdict.passed(),
                expect["passed"]
            ));
            continue;
        }
        let got = snapshot(&verdict);
        let path = dir.join("expected.json");
        if bless {
            let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
        } else if !path.is_file() {
            failures.push(format!(
                "{name}: no expected.json (INTOTO_BLESS=1 writes it)"
            ));
        } else if read_json(&path) != got {
            failures.push(format!(
                "{name}: the verdict differs from expected.json:\n{}",
                serde_json::to_string_pretty(&got).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
