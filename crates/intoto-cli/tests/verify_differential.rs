//! Differential test: random small supply chains (steps, functionaries,
//! thresholds, rules of every kind, inspections, sublayouts, parameters,
//! legacy and DSSE metadata, some tampering) verified by `intoto verify` and by the Python reference's
//! `in_toto.verifylib.in_toto_verify` (one Python process for all cases);
//! the verdicts must be equal, and when both fail, they must fail at the
//! same check (and, for artifact rules, on the same item and rule list).
//!
//! The generator stays clear of the documented differences (thresholds
//! below one, unknown keyids, MATCH from unknown names, link names that are
//! not their step, one key under two keyids, layouts without expiry).
//! `INTOTO_DIFF_CASES` sets the number of cases (default 300) and
//! `INTOTO_DIFF_SEED` the seed.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use intoto::crypto::{KeyType, PrivateKey, sign_metadata};
use intoto::model::{EnvelopeKind, Metadata, StepName, link_file_name};
use intoto_test_support::copy_dir;
use intoto_test_support::{pyref_command, require_pyref};

/// xorshift64*: deterministic, good enough to draw test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "README",
    "a.py",
    "src/x.c",
    "src/y.c",
    "src/sub/z.c",
    "lib/w.so",
    "out/app",
    "dst/src/x.c",
];
const PATTERNS: &[&str] = &[
    "*", "*", "*", "src/*", "*.c", "*.py", "README", "out/*", "?", "[ab]*", "[!s]*", "lib/*",
    "x.c", "*/*", "src/x.c", "nothing",
];

/// Contents of artifact `name` in version `v`, and its sha256 digest set.
fn content(name: &str, v: u8) -> String {
    format!("{name} version {v}\n")
}

/// The sha256 digest sets of every artifact version, hashed once by the
/// recorder.
fn digests() -> &'static BTreeMap<(String, u8), Value> {
    static TABLE: std::sync::OnceLock<BTreeMap<(String, u8), Value>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let scratch = tempfile::tempdir().unwrap();
        let mut files = BTreeMap::new();
        for (i, name) in NAMES.iter().chain(["tampered"].iter()).enumerate() {
            for v in 0..10u8 {
                let file = format!("f{i}-{v}");
                fs::write(scratch.path().join(&file), content(name, v)).unwrap();
                files.insert(file, ((*name).to_owned(), v));
            }
        }
        let recorded = intoto::record::RecordOptions::new()
            .base_path(scratch.path())
            .record(&["."])
            .unwrap();
        files
            .into_iter()
            .map(|(file, key)| (key, recorded[&file].to_value()))
            .collect()
    })
}

fn digest(name: &str, v: u8) -> Value {
    digests()[&(name.to_owned(), v)].clone()
}

type Artifacts = BTreeMap<String, u8>;

fn artifacts_value(a: &Artifacts) -> Value {
    Value::Object(a.iter().map(|(n, v)| (n.clone(), digest(n, *v))).collect())
}

fn kind(rng: &mut Rng) -> EnvelopeKind {
    if rng.chance(40) {
        EnvelopeKind::Dsse
    } else {
        EnvelopeKind::Legacy
    }
}

fn sign(doc: &Value, key: &PrivateKey, kind: EnvelopeKind) -> String {
    let mut md = Metadata::wrap(doc, kind);
    sign_metadata(&mut md, key).unwrap();
    md.to_file_string()
}

fn random_rule(rng: &mut Rng, match_from: &[&str], allow_require: bool) -> Value {
    let pattern = (*rng.pick(PATTERNS)).to_owned();
    let kw = |rng: &mut Rng, w: &str| {
        if rng.chance(15) {
            w.to_lowercase()
        } else {
            w.to_owned()
        }
    };
    match rng.below(if allow_require { 9 } else { 8 }) {
        0..=2 if !match_from.is_empty() => {
            let from = (*rng.pick(match_from)).to_owned();
            let dest = if rng.chance(75) {
                "PRODUCTS"
            } else {
                "MATERIALS"
            };
            let mut rule = vec![kw(rng, "MATCH"), pattern];
            if rng.chance(20) {
                rule.extend([
                    kw(rng, "IN"),
                    (*rng.pick(&["src", "src/", "dst", "lib"])).to_owned(),
                ]);
            }
            rule.extend([kw(rng, "WITH"), dest.to_owned()]);
            if rng.chance(15) {
                rule.extend([
                    kw(rng, "IN"),
                    (*rng.pick(&["src", "dst", "dst/src"])).to_owned(),
                ]);
            }
            rule.extend([kw(rng, "FROM"), from]);
            json!(rule)
        }
        0..=3 => json!([kw(rng, "ALLOW"), pattern]),
        4 => json!([kw(rng, "CREATE"), pattern]),
        5 => json!([kw(rng, "MODIFY"), pattern]),
        6 => json!([kw(rng, "DELETE"), pattern]),
        7 => json!([kw(rng, "DISALLOW"), pattern]),
        _ => json!([kw(rng, "REQUIRE"), *rng.pick(NAMES)]),
    }
}

/// A rule list: the plausible rules, random ones, often a final DISALLOW *.
fn rules(rng: &mut Rng, plausible: Vec<Value>, match_from: &[&str]) -> Value {
    let mut list = Vec::new();
    for rule in plausible {
        if rng.chance(85) {
            list.push(rule);
        }
    }
    let noise = if rng.chance(50) { 0 } else { 1 + rng.below(2) };
    for _ in 0..noise {
        let rule = random_rule(rng, match_from, true);
        list.insert(rng.below(list.len() + 1), rule);
    }
    if rng.chance(65) {
        list.push(json!(["DISALLOW", "*"]));
    }
    Value::Array(list)
}

fn perturb(rng: &mut Rng, a: &mut Artifacts) {
    match rng.below(3) {
        0 => {
            if let Some(name) = a.keys().nth(rng.below(a.len().max(1))).cloned() {
                a.insert(name, 9);
            }
        }
        1 => {
            if let Some(name) = a.keys().nth(rng.below(a.len().max(1))).cloned() {
                a.remove(&name);
            }
        }
        _ => {
            a.insert((*rng.pick(NAMES)).to_owned(), 7);
        }
    }
}

struct Keys {
    owner: PrivateKey,
    functionaries: Vec<PrivateKey>,
}

/// A sublayout of one or two steps that, carried out, turn `materials` into
/// `products`; its links go in `folder`.
fn sublayout(
    rng: &mut Rng,
    keys: &Keys,
    folder: &Path,
    materials: &Artifacts,
    products: &Artifacts,
) -> Value {
    let two = rng.chance(50);
    let names: &[&str] = if two {
        &["inner1", "inner2"]
    } else {
        &["inner1"]
    };
    let mut middle = materials.clone();
    if rng.chance(50) {
        perturb(rng, &mut middle);
    }
    let mut steps = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let k = rng.below(keys.functionaries.len());
        let functionary = &keys.functionaries[k];
        let (m, p) = match (two, i) {
            (false, _) => (materials.clone(), products.clone()),
            (true, 0) => (materials.clone(), middle.clone()),
            (true, _) => (middle.clone(), products.clone()),
        };
        let from: Vec<&str> = names[..i].to_vec();
        let materials_rules: Vec<Value> = from
            .last()
            .map(|f| json!(["MATCH", "*", "WITH", "PRODUCTS", "FROM", f]))
            .into_iter()
            .collect();
        steps.push(json!({
            "_type": "step", "name": name, "threshold": 1,
            "pubkeys": [functionary.keyid().to_string()],
            "expected_command": ["make", name],
            "expected_materials": rules(rng, materials_rules, &from),
            "expected_products": rules(rng, vec![json!(["MATCH", "*", "WITH", "MATERIALS", "FROM", name]), json!(["ALLOW", "*"])], names),
        }));
        if rng.chance(95) {
            let link = json!({
                "_type": "link", "name": name, "command": ["make", name],
                "materials": artifacts_value(&m), "products": artifacts_value(&p),
                "byproducts": {"return-value": 0}, "environment": {}
            });
            fs::write(
                folder.join(link_file_name(
                    &StepName::new(name).unwrap(),
                    functionary.keyid(),
                )),
                sign(&link, functionary, kind(rng)),
            )
            .unwrap();
        }
    }
    json!({
        "_type": "layout",
        "expires": if rng.chance(5) { "2001-01-01T00:00:00Z" } else { "2099-01-01T00:00:00Z" },
        "readme": "",
        "keys": Value::Object(keys.functionaries.iter()
            .map(|k| (k.keyid().to_string(), k.public_key().key_dict().to_value()))
            .collect()),
        "steps": steps,
        "inspect": [],
    })
}

/// Puts `{pat}` in place of some rule patterns; returns the parameters
/// that restore them (Python `str.format` semantics on both sides).
fn parameterise(rng: &mut Rng, layout: &mut Value) -> BTreeMap<String, String> {
    let value = (*rng.pick(PATTERNS)).to_owned();
    let mut used = false;
    for list in ["steps", "inspect"] {
        for item in layout[list].as_array_mut().into_iter().flatten() {
            for field in ["expected_materials", "expected_products"] {
                for rule in item[field].as_array_mut().into_iter().flatten() {
                    if rng.chance(30) {
                        rule[1] = json!(if rng.chance(80) { "{pat}" } else { "{{pat}}" });
                        used = true;
                    }
                }
            }
            if item.get("expected_command").is_some() && rng.chance(30) {
                item["expected_command"] = json!(["make", "{step}"]);
            }
        }
    }
    let mut params = BTreeMap::from([("pat".to_owned(), value)]);
    params.insert("step".to_owned(), "build".to_owned());
    if !used {
        params.insert("unused".to_owned(), "x".to_owned());
    }
    params
}

/// Writes one random case into `dir`; returns its layout parameters.
fn generate(rng: &mut Rng, keys: &Keys, dir: &Path) -> Option<BTreeMap<String, String>> {
    let step_names = ["clone", "build", "pack"];
    let steps = 1 + rng.below(3);
    let inspected = rng.chance(45);
    let mut layout_steps = Vec::new();
    let mut previous: Option<Artifacts> = None;
    let mut used_keys = BTreeMap::new();
    for (i, name) in step_names.iter().take(steps).enumerate() {
        // Functionaries and threshold.
        let count = 1 + rng.below(3);
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < count {
            let k = rng.below(keys.functionaries.len());
            if !chosen.contains(&k) {
                chosen.push(k);
            }
        }
        let threshold = match rng.below(10) {
            0..=5 => 1,
            6..=8 => 1 + rng.below(count),
            _ => 1 + rng.below(count + 1),
        };
        // What the step did.
        let materials: Artifacts = match &previous {
            Some(p) => {
                let mut m = p.clone();
                if rng.chance(15) {
                    perturb(rng, &mut m);
                }
                m
            }
            None => Artifacts::new(),
        };
        let mut products = if materials.is_empty() {
            (0..1 + rng.below(4))
                .map(|_| ((*rng.pick(NAMES)).to_owned(), rng.below(3) as u8))
                .collect()
        } else {
            materials.clone()
        };
        for _ in 0..rng.below(3) {
            match rng.below(3) {
                0 => {
                    products.insert((*rng.pick(NAMES)).to_owned(), 5);
                }
                1 => {
                    if let Some(n) = products
                        .keys()
                        .nth(rng.below(products.len().max(1)))
                        .cloned()
                    {
                        products.insert(n, 6);
                    }
                }
                _ => {
                    if let Some(n) = products
                        .keys()
                        .nth(rng.below(products.len().max(1)))
                        .cloned()
                    {
                        products.remove(&n);
                    }
                }
            }
        }
        // Rules.
        let earlier: Vec<&str> = step_names[..i].to_vec();
        let mut all: Vec<&str> = step_names[..steps].to_vec();
        if inspected && rng.chance(10) {
            // Consumes nothing (inspections run after step rules), as in
            // the reference; a warning here.
            all.push("inspect");
        }
        let pattern = if rng.chance(70) {
            "*"
        } else {
            *rng.pick(PATTERNS)
        };
        let materials_rules: Vec<Value> = earlier
            .last()
            .map(|from| json!(["MATCH", pattern, "WITH", "PRODUCTS", "FROM", from]))
            .into_iter()
            .collect();
        let products_rules = vec![
            json!(["MATCH", "*", "WITH", "MATERIALS", "FROM", name]),
            json!(["MODIFY", "*"]),
            json!([
                "CREATE",
                if rng.chance(70) {
                    "*"
                } else {
                    *rng.pick(PATTERNS)
                }
            ]),
        ];
        let expected_command = if rng.chance(80) {
            json!(["make", name])
        } else {
            json!(["other"])
        };
        layout_steps.push(json!({
            "_type": "step", "name": name, "threshold": threshold,
            "pubkeys": chosen.iter().map(|&k| keys.functionaries[k].keyid().to_string()).collect::<Vec<_>>(),
            "expected_command": expected_command,
            "expected_materials": rules(rng, materials_rules, &all),
            "expected_products": rules(rng, products_rules, &all),
        }));
        // Links, one per functionary, mostly.
        for (j, &k) in chosen.iter().enumerate() {
            if rng.chance(7) {
                continue;
            }
            let (mut m, mut p) = (materials.clone(), products.clone());
            if j > 0 && rng.chance(12) {
                if rng.chance(50) {
                    perturb(rng, &mut m);
                } else {
                    perturb(rng, &mut p);
                }
            }
            let functionary = &keys.functionaries[k];
            if rng.chance(8) {
                // The functionary delegates the step to a sublayout.
                let folder = dir.join(format!("{name}.{}", functionary.keyid().short()));
                fs::create_dir(&folder).unwrap();
                let sublayout = sublayout(rng, keys, &folder, &m, &p);
                fs::write(
                    dir.join(link_file_name(
                        &StepName::new(name).unwrap(),
                        functionary.keyid(),
                    )),
                    sign(&sublayout, functionary, kind(rng)),
                )
                .unwrap();
                continue;
            }
            let link = json!({
                "_type": "link", "name": name, "command": ["make", name],
                "materials": artifacts_value(&m), "products": artifacts_value(&p),
                "byproducts": {"return-value": 0, "stderr": "", "stdout": ""}, "environment": {}
            });
            let signer = if rng.chance(5) {
                &keys.functionaries[(k + 1) % keys.functionaries.len()]
            } else {
                functionary
            };
            let mut text = sign(&link, signer, kind(rng));
            if rng.chance(4) {
                // Changed after signing (legacy: in `signed`; DSSE: the
                // payload, so the envelope still reads).
                let mut v: Value = serde_json::from_str(&text).unwrap();
                if v.get("signed").is_some() {
                    v["signed"]["products"]["tampered"] = digest("tampered", 1);
                } else {
                    let payload =
                        intoto::model::envelope::decode_base64(v["payload"].as_str().unwrap())
                            .unwrap();
                    let mut inner: Value = serde_json::from_slice(&payload).unwrap();
                    inner["products"]["tampered"] = digest("tampered", 1);
                    v["payload"] = json!(intoto::model::envelope::encode_base64(
                        inner.to_string().as_bytes()
                    ));
                }
                text = v.to_string();
            }
            fs::write(
                dir.join(link_file_name(
                    &StepName::new(name).unwrap(),
                    functionary.keyid(),
                )),
                text,
            )
            .unwrap();
            used_keys.insert(k, ());
        }
        previous = Some(products);
    }
    // Files on disk: the last step's products, sometimes one changed.
    let mut on_disk = previous.unwrap_or_default();
    if rng.chance(20) {
        perturb(rng, &mut on_disk);
    }
    for (name, v) in &on_disk {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content(name, *v)).unwrap();
    }
    // An inspection, sometimes.
    let mut inspect = Vec::new();
    if inspected {
        let last = step_names[steps - 1];
        let run = match rng.below(10) {
            0 => json!(["false"]),
            1..=4 => json!(["touch", "made.txt"]),
            _ => json!(["true"]),
        };
        let sources: Vec<&str> = step_names[..steps]
            .iter()
            .copied()
            .chain(["inspect"])
            .collect();
        let pattern = *rng.pick(PATTERNS);
        let materials = rules(
            rng,
            vec![json!(["MATCH", pattern, "WITH", "PRODUCTS", "FROM", last])],
            &sources,
        );
        let products = rules(
            rng,
            vec![
                json!(["MATCH", "*", "WITH", "MATERIALS", "FROM", "inspect"]),
                json!(["CREATE", "made.txt"]),
            ],
            &sources,
        );
        inspect.push(json!({
            "_type": "inspection", "name": "inspect", "run": run,
            "expected_materials": materials,
            "expected_products": products,
        }));
        // The files the verifier itself keeps, so that DISALLOW * does not
        // always fail.
        if let Some(Value::Array(list)) = inspect[0].get_mut("expected_materials") {
            list.insert(0, json!(["ALLOW", "root.layout"]));
            list.insert(0, json!(["ALLOW", "owner.pub"]));
        }
        if let Some(Value::Array(list)) = inspect[0].get_mut("expected_products") {
            list.insert(0, json!(["ALLOW", "*.pub"]));
            list.insert(0, json!(["ALLOW", "root.layout"]));
        }
    }
    let expires = if rng.chance(3) {
        "2001-01-01T00:00:00Z"
    } else {
        "2099-01-01T00:00:00Z"
    };
    let mut layout = json!({
        "_type": "layout", "expires": expires, "readme": "",
        "keys": Value::Object(keys.functionaries.iter()
            .map(|k| (k.keyid().to_string(), k.public_key().key_dict().to_value()))
            .collect()),
        "steps": layout_steps,
        "inspect": inspect,
    });
    let params = rng.chance(15).then(|| parameterise(rng, &mut layout));
    let signer = if rng.chance(3) {
        &keys.functionaries[0]
    } else {
        &keys.owner
    };
    fs::write(dir.join("root.layout"), sign(&layout, signer, kind(rng))).unwrap();
    fs::write(dir.join("owner.pub"), keys.owner.public_key_pem().unwrap()).unwrap();
    params
}

/// Runs the reference on every case in one process.
const DRIVER: &str = r#"
import json, logging, os, sys
from in_toto import verifylib
from in_toto.models.metadata import Metadata
from in_toto.models._signer import load_public_key_from_file
logging.disable(logging.CRITICAL)
results = []
for case in json.load(open(sys.argv[1])):
    os.chdir(case["dir"])
    try:
        key = load_public_key_from_file("owner.pub")
        layout = Metadata.load("root.layout")
        verifylib.in_toto_verify(layout, {key["keyid"]: key}, ".",
            substitution_parameters=case["params"], inspect_timeout=10)
        results.append({"verdict": "pass"})
    except Exception as e:
        results.append({"verdict": "fail", "error": type(e).__name__, "message": str(e)})
json.dump(results, open(sys.argv[2], "w"))
"#;

/// Which check failed, from the reference's exception.
fn python_stage(error: &str, message: &str) -> &'static str {
    match error {
        "SignatureVerificationError" => "layout-signature",
        "LayoutExpiredError" => "layout-expired",
        "LinkNotFoundError" => "threshold",
        "ThresholdVerificationError" if message.contains("different artifacts") => "disagree",
        "ThresholdVerificationError" => "threshold",
        "RuleVerificationError" | "KeyError" => "rules",
        "BadReturnValueError" => "inspection",
        _ => "other",
    }
}

/// Which check failed, from our first error.
fn our_stage(code: &str) -> &'static str {
    match code {
        "layout-signature-missing" | "layout-signature-invalid" => "layout-signature",
        "layout-expired" => "layout-expired",
        "threshold-not-met" => "threshold",
        "artifacts-disagree" => "disagree",
        "rule-disallow-matched" | "rule-require-missing" | "rule-match-source-unresolved" => {
            "rules"
        }
        "inspection-failed" | "inspection-not-run" => "inspection",
        _ => "other",
    }
}

/// `Full trace for 'expected_materials' of item 'build'` → (build, materials).
fn python_rule_item(message: &str) -> Option<(String, String)> {
    let rest = message.split("Full trace for 'expected_").nth(1)?;
    let (list, rest) = rest.split_once("' of item '")?;
    let (item, _) = rest.split_once('\'')?;
    Some((item.to_owned(), list.to_owned()))
}

#[test]
fn verdicts_equal_the_reference_on_random_chains() {
    let Some(python) = require_pyref("python") else {
        return;
    };
    let cases: usize = std::env::var("INTOTO_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("INTOTO_DIFF_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x0001_d070_c0de);
    let keys = Keys {
        owner: PrivateKey::generate(KeyType::Ed25519, None).unwrap(),
        functionaries: vec![
            PrivateKey::generate(KeyType::Ed25519, None).unwrap(),
            PrivateKey::generate(KeyType::Ed25519, None).unwrap(),
            PrivateKey::generate(KeyType::EcdsaP256, None).unwrap(),
            PrivateKey::generate(KeyType::Rsa, Some(2048)).unwrap(),
        ],
    };
    let root = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut ours_dirs = Vec::new();
    let mut manifest_cases = Vec::new();
    for i in 0..cases {
        let ours = root.path().join(format!("case{i:03}"));
        fs::create_dir(&ours).unwrap();
        let params = generate(&mut rng, &keys, &ours);
        let theirs = root.path().join(format!("py{i:03}"));
        copy_dir(&ours, &theirs);
        manifest_cases.push(json!({"dir": theirs, "params": params}));
        ours_dirs.push((ours, params));
    }

    // The reference, all cases in one process.
    let manifest = root.path().join("cases.json");
    fs::write(&manifest, serde_json::to_string(&manifest_cases).unwrap()).unwrap();
    let results_path = root.path().join("results.json");
    let out = pyref_command(&python)
        .args(["-c", DRIVER])
        .arg(&manifest)
        .arg(&results_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "driver: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&fs::read(&results_path).unwrap()).unwrap();
    assert_eq!(theirs.len(), cases);

    let mut differences = Vec::new();
    let mut passed = 0;
    let mut stages: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with_parameters = 0;
    let (mut delegated_cases, mut delegated_passed) = (0, 0);
    for (i, (dir, params)) in ours_dirs.iter().enumerate() {
        let mut cmd = assert_cmd::Command::cargo_bin("intoto").unwrap();
        cmd.current_dir(dir).args([
            "verify",
            "--format",
            "json",
            "-l",
            "root.layout",
            "--verification-keys",
            "owner.pub",
        ]);
        for (name, value) in params.iter().flatten() {
            cmd.arg("--param").arg(format!("{name}={value}"));
        }
        with_parameters += usize::from(params.is_some());
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("case {i}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let ours_pass = report["verified"] == true;
        let first_error = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["severity"] == "error");
        let them = &theirs[i];
        let their_pass = them["verdict"] == "pass";
        let describe = || {
            format!(
                "case {i} ({}): ours {} {}, reference {} {} {}",
                dir.display(),
                if ours_pass { "pass" } else { "fail" },
                first_error
                    .map(|d| d["message"].to_string())
                    .unwrap_or_default(),
                them["verdict"],
                them["error"],
                them["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default(),
            )
        };
        if ours_pass != their_pass {
            differences.push(describe());
            continue;
        }
        // A sublayout folder is named `<step>.<keyid prefix>`.
        let delegated = fs::read_dir(dir).unwrap().any(|e| {
            let e = e.unwrap();
            e.path().is_dir() && e.file_name().to_string_lossy().contains('.')
        });
        delegated_cases += usize::from(delegated);
        if ours_pass {
            passed += 1;
            delegated_passed += usize::from(delegated);
            *stages.entry("pass").or_default() += 1;
            continue;
        }
        let first = first_error.unwrap();
        let ours_stage = our_stage(first["code"].as_str().unwrap());
        let their_stage = python_stage(
            them["error"].as_str().unwrap_or_default(),
            them["message"].as_str().unwrap_or_default(),
        );
        *stages.entry(their_stage).or_default() += 1;
        if ours_stage != their_stage {
            differences.push(format!(
                "{}: stage {ours_stage} vs {their_stage}",
                describe()
            ));
            continue;
        }
        if their_stage == "rules"
            && let Some((item, list)) =
                python_rule_item(them["message"].as_str().unwrap_or_default())
        {
            let subject = &first["subject"];
            if subject["item"] != item.as_str() || subject["rule"]["artifact_type"] != list.as_str()
            {
                differences.push(format!(
                    "{}: ours fails {} {}, the reference {item} {list}",
                    describe(),
                    subject["item"],
                    subject["rule"]["artifact_type"]
                ));
            }
        }
    }
    eprintln!(
        "{cases} random chains ({with_parameters} with parameters, {delegated_cases} with sublayouts of which {delegated_passed} pass): {passed} pass in both; outcomes by stage: {stages:?}"
    );
    assert!(
        differences.is_empty(),
        "{} of {cases} cases differ from the reference:\n{}",
        differences.len(),
        differences.join("\n")
    );
    // The generator must exercise both outcomes and the main checks.
    assert!(passed * 10 >= cases, "too few passing cases: {stages:?}");
    assert!(delegated_passed > 0, "no case with a sublayout passed");
    for stage in [
        "threshold",
        "rules",
        "disagree",
        "layout-signature",
        "inspection",
    ] {
        assert!(
            stages.contains_key(stage),
            "no case failed at {stage}: {stages:?}"
        );
    }
}
