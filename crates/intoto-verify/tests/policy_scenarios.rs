//! Runs every policy scenario folder `tests/policy-scenarios/<case>/`: one
//! rule or semantic point of policy verification (ITE-10/11) per folder,
//! its inputs in `scenario.json` and the verdict it must give in
//! `expected.json`. `tests/policy-scenarios/README.md` describes the format.
//!
//! `scenario.json` holds:
//! - `policy`: the policy in its JSON form; `"@alice"` anywhere in it
//!   becomes alice's keyid, and the top-level `keys` lists the names of the
//!   keys written into its `functionaries` (from `tests/scenarios/keys`,
//!   the classic scenarios' ed25519 keys, in the verifier's camelCase form);
//! - `parameters` (optional): substituted into artifact and attribute rules;
//! - `attestations`: each `{"signers", "statement", "file"?, "tamper"?,
//!   "payload_type"?}`: the statement (`_type` defaults to Statement v1)
//!   in a DSSE envelope signed by each signer; with `file` (`{alice}` is
//!   the first 8 characters of alice's keyid) it is read from a folder and
//!   bound to the step its name gives (`<step>.<keyid8>.json`), without it
//!   it is a line of the bundle `bundle.intoto.jsonl`; `tamper` is merged
//!   into the statement after signing;
//! - `finals` (optional): the final artifacts, `[{"name", "digests"}]`;
//! - `inspections` (optional): the link each inspection's command records,
//!   by name;
//! - `now` (default 2025-06-01T12:00:00Z);
//! - `expect`: `{"passed", "codes", "counted"?}`, written by hand: the
//!   codes in order, and (when given) the origins of the attestations that
//!   counted for each step.
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
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use intoto_crypto::{KeyIdForm, PrivateKey, sign_metadata};
use intoto_model::{
    DigestSet, Envelope, Inspection, Link, Metadata, PAYLOAD_TYPE_INTOTO, read_bundle,
};
use intoto_verify::policy::binding::Attestation;
use intoto_verify::policy::layout::{Policy, resolve_parameters};
use intoto_verify::policy::{FinalArtifact, PolicyVerdict, PolicyVerifier};
use intoto_verify::{InspectionRunner, SourceError};
use serde_json::{Map, Value, json};

/// The file name bundle attestations are read from, in messages.
const BUNDLE: &str = "bundle.intoto.jsonl";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy-scenarios")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

struct Keys(BTreeMap<String, PrivateKey>);

impl Keys {
    fn load() -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/keys");
        let mut keys = BTreeMap::new();
        for name in ["owner", "alice", "bob", "carol"] {
            let pem = std::fs::read(dir.join(format!("{name}.pem"))).unwrap();
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

    /// `"@name"`, for a key `name`, → its keyid, everywhere in `value`
    /// (other strings, such as `@scope/package`, are left alone).
    fn substitute(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Some(key) = s.strip_prefix('@').and_then(|name| self.0.get(name)) {
                    *s = key.keyid().to_string();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.substitute(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.substitute(v)),
            _ => {}
        }
    }

    /// `name`'s public key as a policy functionary: the securesystemslib
    /// key dictionary in the attestation verifier's camelCase.
    fn functionary(&self, name: &str) -> Value {
        let key = self.get(name).public_key();
        let dict = key.key_dict().to_value();
        let mut out = Map::new();
        out.insert("keyType".into(), dict["keytype"].clone());
        out.insert("scheme".into(), dict["scheme"].clone());
        out.insert("keyVal".into(), json!({"public": dict["keyval"]["public"]}));
        if let Some(algs) = dict.get("keyid_hash_algorithms") {
            out.insert("keyIDHashAlgorithms".into(), algs.clone());
        }
        out.insert("keyID".into(), json!(key.keyid().to_string()));
        Value::Object(out)
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

fn names(value: Option<&Value>) -> Vec<String> {
    value
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .unwrap_or_default()
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

/// The DSSE envelope of one scenario attestation, as its file's bytes:
/// signed by its signers, then tampered with.
fn envelope_bytes(entry: &Value, keys: &Keys) -> Vec<u8> {
    let mut statement = entry["statement"].clone();
    if statement.get("_type").is_none() {
        statement["_type"] = json!("https://in-toto.io/Statement/v1");
    }
    let payload_type = entry
        .get("payload_type")
        .and_then(Value::as_str)
        .unwrap_or(PAYLOAD_TYPE_INTOTO);
    let mut md = Metadata::Envelope(Envelope::new(
        payload_type,
        serde_json::to_vec(&statement).unwrap(),
    ));
    for signer in names(entry.get("signers")) {
        sign_metadata(&mut md, keys.get(&signer)).unwrap();
    }
    let Metadata::Envelope(mut envelope) = md else {
        unreachable!("an envelope stays an envelope")
    };
    if let Some(tamper) = entry.get("tamper") {
        merge(&mut statement, tamper);
        envelope.payload = serde_json::to_vec(&statement).unwrap();
    }
    serde_json::to_vec(&envelope.to_value()).unwrap()
}

/// The step a folder file `<step>.<keyid8>.json` is for.
fn file_step(file: &str) -> &str {
    file.strip_suffix(".json")
        .and_then(|stem| stem.rsplit_once('.'))
        .map(|(step, _)| step)
        .unwrap_or_else(|| panic!("{file}: not named <step>.<keyid8>.json"))
}

/// Verifies one scenario; the policy verdict.
fn verdict_of(scenario: &Value, keys: &Keys) -> PolicyVerdict {
    let mut policy = scenario["policy"].clone();
    let mut functionaries = policy
        .get("functionaries")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for name in names(scenario.get("keys")) {
        functionaries.insert(keys.get(&name).keyid().to_string(), keys.functionary(&name));
    }
    policy["functionaries"] = Value::Object(functionaries);
    keys.substitute(&mut policy);

    let parameters: BTreeMap<String, String> = scenario
        .get("parameters")
        .map(|p| serde_json::from_value(p.clone()).unwrap())
        .unwrap_or_default();
    let resolved = resolve_parameters(&parameters).unwrap();
    let policy = Policy::parse(&serde_json::to_vec(&policy).unwrap(), &resolved)
        .unwrap_or_else(|e| panic!("the policy does not parse: {e}"));

    let mut attestations = Vec::new();
    let mut bundle = Vec::new();
    for entry in scenario["attestations"].as_array().into_iter().flatten() {
        let bytes = envelope_bytes(entry, keys);
        match entry.get("file").and_then(Value::as_str) {
            Some(template) => {
                let file = keys.file_name(template);
                let envelope =
                    Envelope::from_value(serde_json::from_slice(&bytes).unwrap()).unwrap();
                let a = Attestation::from_envelope(file.clone(), &envelope, &policy, 0)
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                attestations.push(a.in_file_for(file_step(&file)));
            }
            None => {
                bundle.extend_from_slice(&bytes);
                bundle.push(b'\n');
            }
        }
    }
    for line in read_bundle(&bundle) {
        let origin = format!("{BUNDLE}:{}", line.number);
        let envelope = line
            .envelope()
            .unwrap_or_else(|| panic!("{origin}: no envelope"));
        attestations.push(
            Attestation::from_envelope(origin.clone(), envelope, &policy, 0)
                .unwrap_or_else(|e| panic!("{origin}: {e}")),
        );
    }

    let finals: Vec<FinalArtifact> = scenario
        .get("finals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            let digests: BTreeMap<String, String> =
                serde_json::from_value(f["digests"].clone()).unwrap();
            FinalArtifact::new(
                f["name"].as_str().unwrap(),
                digests.into_iter().collect::<DigestSet>(),
            )
        })
        .collect();
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
    PolicyVerifier::new(now)
        .parameters(resolved)
        .inspections(&runner)
        .verify(&policy, &attestations, &finals)
        .unwrap_or_else(|e| panic!("the policy cannot be verified: {e}"))
}

/// What `expect` asks that the verdict does not give, if anything.
fn mismatch(expect: &Value, verdict: &PolicyVerdict, keys: &Keys) -> Option<String> {
    let codes: Vec<&str> = verdict
        .verdict
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
    let passed = verdict.verdict.passed();
    if passed != expect["passed"].as_bool().unwrap() || codes != want {
        return Some(format!(
            "passed {passed} with codes {codes:?}, want passed {} with {want:?}",
            expect["passed"]
        ));
    }
    let want_counted: BTreeMap<String, Vec<String>> =
        serde_json::from_value(expect.get("counted")?.clone()).unwrap();
    let want_counted: BTreeMap<String, Vec<String>> = want_counted
        .into_iter()
        .map(|(step, origins)| (step, origins.iter().map(|o| keys.file_name(o)).collect()))
        .collect();
    let counted: BTreeMap<String, Vec<String>> = verdict
        .counted
        .iter()
        .map(|(step, list)| {
            (
                step.clone(),
                list.iter().map(|c| c.origin.clone()).collect(),
            )
        })
        .collect();
    (counted != want_counted).then(|| format!("counted {counted:?}, want {want_counted:?}"))
}

#[test]
fn every_policy_scenario_has_its_expected_verdict() {
    let keys = Keys::load();
    let bless = std::env::var_os("INTOTO_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 50, "only {} scenarios", cases.len());
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let scenario = read_json(&dir.join("scenario.json"));
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| verdict_of(&scenario, &keys)));
        let Ok(verdict) = run else {
            failures.push(format!(
                "{name}: the scenario cannot be run (see the panic above)"
            ));
            continue;
        };
        if let Some(problem) = mismatch(&scenario["expect"], &verdict, &keys) {
            failures.push(format!("{name}: {problem}"));
            continue;
        }
        let got = serde_json::to_value(&verdict.verdict).expect("a verdict serialises");
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
