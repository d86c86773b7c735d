//! The verification pipeline end to end, in memory: one scenario per check
//! and per diagnostic code, the deliberate differences from the reference,
//! and the order in which checks stop.

// Test helpers fail the test on unexpected input, as tests should; one test
// reads the diagnostics catalogue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use intoto_crypto::{KeyType, PrivateKey, PublicKey, sign_metadata};
use intoto_model::{
    DigestSet, EnvelopeKind, Inspection, Link, Metadata, Statement, StepName, link_file_name,
};
use intoto_verify::{
    Code, Domain, Error, InspectionRunner, LinkSource, Severity, SourceError, Verdict, Verifier,
};
use serde_json::{Value, json};

/// `<step>.<keyid[:8]>.link`.
fn link_file(step: &str, keyid: &intoto_model::KeyId) -> String {
    link_file_name(&StepName::new(step).unwrap(), keyid)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

fn key() -> PrivateKey {
    PrivateKey::generate(KeyType::Ed25519, None).unwrap()
}

fn hex(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn digest(n: u8) -> DigestSet {
    DigestSet::from_iter([("sha256".to_owned(), hex(n))])
}

fn link(name: &str, materials: &[(&str, u8)], products: &[(&str, u8)], command: &[&str]) -> Link {
    let mut link = Link::new(name);
    link.materials = materials
        .iter()
        .map(|(n, d)| ((*n).to_owned(), digest(*d)))
        .collect();
    link.products = products
        .iter()
        .map(|(n, d)| ((*n).to_owned(), digest(*d)))
        .collect();
    link.command = command.iter().map(|s| (*s).to_owned()).collect();
    link
}

fn sign(doc: &Value, key: &PrivateKey, kind: EnvelopeKind) -> Metadata {
    let mut md = Metadata::wrap(doc, kind);
    sign_metadata(&mut md, key).unwrap();
    md
}

fn signed_bytes(doc: &Value, key: &PrivateKey, kind: EnvelopeKind) -> Vec<u8> {
    sign(doc, key, kind).to_file_string().into_bytes()
}

/// Link files in memory, by `folder/…/file`.
#[derive(Default)]
struct Mem(BTreeMap<String, Vec<u8>>);

impl LinkSource for Mem {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let path = self.describe(folder, file);
        if path.contains("unreadable") {
            return Err("permission denied".into());
        }
        Ok(self.0.get(&path).cloned())
    }
}

/// Inspections answered from a table; counts the runs.
struct Runner {
    links: BTreeMap<String, Result<Link, String>>,
    runs: Cell<usize>,
}

impl InspectionRunner for Runner {
    fn run(&self, inspection: &Inspection) -> Result<Link, SourceError> {
        self.runs.set(self.runs.get() + 1);
        match self.links.get(&inspection.name) {
            Some(Ok(link)) => {
                let mut link = link.clone();
                link.command = inspection.run.clone();
                Ok(link)
            }
            Some(Err(e)) => Err(e.clone().into()),
            None => Err("no such command".into()),
        }
    }
}

/// A supply chain under test: `fetch` (alice) creates sources, `build`
/// (bob) compiles them into `app`, inspection `check` looks at `app`.
struct Chain {
    owner: PrivateKey,
    alice: PrivateKey,
    bob: PrivateKey,
    layout: Value,
    kind: EnvelopeKind,
    links: Mem,
    runner: Runner,
    parameters: Option<BTreeMap<String, String>>,
}

fn keyid(k: &PrivateKey) -> String {
    k.keyid().to_string()
}

fn key_entry(k: &PrivateKey) -> (String, Value) {
    (keyid(k), k.public_key().key_dict().to_value())
}

impl Chain {
    fn new() -> Self {
        let (owner, alice, bob) = (key(), key(), key());
        let layout = json!({
            "_type": "layout",
            "expires": "2030-01-01T00:00:00Z",
            "readme": "",
            "keys": Value::Object([key_entry(&alice), key_entry(&bob)].into_iter().collect()),
            "steps": [
                {"_type": "step", "name": "fetch", "threshold": 1, "pubkeys": [keyid(&alice)],
                 "expected_command": ["git", "clone"],
                 "expected_materials": [],
                 "expected_products": [["CREATE", "src/*"], ["DISALLOW", "*"]]},
                {"_type": "step", "name": "build", "threshold": 1, "pubkeys": [keyid(&bob)],
                 "expected_command": ["make"],
                 "expected_materials": [["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "fetch"], ["DISALLOW", "*"]],
                 "expected_products": [["CREATE", "app"], ["DISALLOW", "*"]]}
            ],
            "inspect": [
                {"_type": "inspection", "name": "check", "run": ["check", "app"],
                 "expected_materials": [["MATCH", "app", "WITH", "PRODUCTS", "FROM", "build"], ["ALLOW", "notes"], ["DISALLOW", "*"]],
                 "expected_products": []}
            ]
        });
        let mut chain = Self {
            owner,
            alice,
            bob,
            layout,
            kind: EnvelopeKind::Legacy,
            links: Mem::default(),
            runner: Runner {
                links: BTreeMap::new(),
                runs: Cell::new(0),
            },
            parameters: None,
        };
        let mut check = link(
            "check",
            &[("app", 3), ("notes", 9)],
            &[("app", 3), ("notes", 9)],
            &[],
        );
        check.byproducts.insert("return-value".into(), json!(0));
        chain.runner.links.insert("check".into(), Ok(check));
        chain.put_link(
            "fetch",
            &chain.alice.clone_key(),
            &link(
                "fetch",
                &[],
                &[("src/a.c", 1), ("src/b.c", 2)],
                &["git", "clone"],
            ),
        );
        chain.put_link(
            "build",
            &chain.bob.clone_key(),
            &link(
                "build",
                &[("src/a.c", 1), ("src/b.c", 2)],
                &[("app", 3)],
                &["make"],
            ),
        );
        chain
    }

    /// Signs `link` with `key` and stores it as `<step>.<keyid[:8]>.link`.
    fn put_link(&mut self, step: &str, key: &PrivateKey, link: &Link) {
        let bytes = signed_bytes(&link.to_value(), key, self.kind);
        self.links.0.insert(link_file(step, key.keyid()), bytes);
    }

    fn link_path(&self, step: &str, key: &PrivateKey) -> String {
        link_file(step, key.keyid())
    }

    fn step(&mut self, i: usize) -> &mut Value {
        &mut self.layout["steps"][i]
    }

    fn layout_md(&self) -> Metadata {
        sign(&self.layout, &self.owner, self.kind)
    }

    fn verify_md(&self, md: Metadata, keys: &[PublicKey]) -> Verdict {
        let mut verifier = Verifier::new(now(), &self.links, &self.runner).traces(true);
        if let Some(p) = &self.parameters {
            verifier = verifier.parameters(p.clone());
        }
        verifier.verify(md, keys).unwrap()
    }

    fn verify(&self) -> Verdict {
        self.verify_md(self.layout_md(), &[self.owner.public_key().clone()])
    }
}

/// `PrivateKey` is not `Clone`; tests re-read it through PKCS#8.
trait CloneKey {
    fn clone_key(&self) -> PrivateKey;
}

impl CloneKey for PrivateKey {
    fn clone_key(&self) -> PrivateKey {
        let pem = self.to_pkcs8_pem(None).unwrap();
        PrivateKey::from_pem(pem.as_bytes(), None, intoto_crypto::KeyIdForm::Modern).unwrap()
    }
}

fn codes(verdict: &Verdict) -> Vec<&'static str> {
    verdict
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

fn errors(verdict: &Verdict) -> Vec<&'static str> {
    verdict.errors().map(|d| d.code.as_str()).collect()
}

#[test]
fn a_chain_carried_out_as_laid_out_verifies() {
    let chain = Chain::new();
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
    assert!(verdict.diagnostics.is_empty(), "{:?}", codes(&verdict));
    assert_eq!(chain.runner.runs.get(), 1);
    let summary = verdict.summary.unwrap();
    assert_eq!(summary.products.names().collect::<Vec<_>>(), ["app"]);
    assert!(summary.materials.is_empty());
    // Traces: materials and products of two steps and one inspection.
    assert_eq!(verdict.traces.len(), 6);
}

#[test]
fn legacy_and_dsse_metadata_mix_freely() {
    for (layout_kind, link_kind) in [
        (EnvelopeKind::Dsse, EnvelopeKind::Dsse),
        (EnvelopeKind::Dsse, EnvelopeKind::Legacy),
        (EnvelopeKind::Legacy, EnvelopeKind::Dsse),
    ] {
        let mut chain = Chain::new();
        chain.kind = link_kind;
        let (alice, bob) = (chain.alice.clone_key(), chain.bob.clone_key());
        chain.put_link(
            "fetch",
            &alice,
            &link(
                "fetch",
                &[],
                &[("src/a.c", 1), ("src/b.c", 2)],
                &["git", "clone"],
            ),
        );
        chain.put_link(
            "build",
            &bob,
            &link(
                "build",
                &[("src/a.c", 1), ("src/b.c", 2)],
                &[("app", 3)],
                &["make"],
            ),
        );
        chain.kind = layout_kind;
        let verdict = chain.verify();
        assert!(
            verdict.passed(),
            "{layout_kind:?}/{link_kind:?}: {:?}",
            codes(&verdict)
        );
    }
}

#[test]
fn every_given_key_must_have_signed_the_layout() {
    let chain = Chain::new();
    let stranger = key();
    let verdict = chain.verify_md(
        chain.layout_md(),
        &[
            chain.owner.public_key().clone(),
            stranger.public_key().clone(),
        ],
    );
    assert_eq!(errors(&verdict), ["layout-signature-missing"]);
    assert_eq!(
        verdict.diagnostics[0].subject.keyid.as_ref(),
        Some(stranger.keyid())
    );
    // Nothing after the signature check ran.
    assert_eq!(chain.runner.runs.get(), 0);

    let verdict = chain.verify_md(chain.layout_md(), &[]);
    assert_eq!(errors(&verdict), ["layout-no-keys"]);
}

#[test]
fn signatures_are_over_the_received_bytes() {
    // Fields the model does not know are signed and verified as sent.
    let mut chain = Chain::new();
    chain.layout["x-owner-notes"] = json!({"reviewed": true, "by": ["carol"]});
    chain.step(0)["x-step-extra"] = json!(1);
    assert!(chain.verify().passed());

    // A field added after signing breaks the signature.
    let md = chain.layout_md();
    let mut value = md.to_value();
    value["signed"]["readme"] = json!("changed after signing");
    let tampered = Metadata::from_value(value).unwrap();
    let verdict = chain.verify_md(tampered, &[chain.owner.public_key().clone()]);
    assert_eq!(errors(&verdict), ["layout-signature-invalid"]);

    // The same for a link: an unknown field added after signing.
    let path = chain.link_path("build", &chain.bob);
    let mut value: Value = serde_json::from_slice(&chain.links.0[&path]).unwrap();
    value["signed"]["x-added"] = json!("later");
    chain.links.0.insert(path, value.to_string().into_bytes());
    let verdict = chain.verify();
    assert_eq!(
        codes(&verdict),
        ["link-signature-invalid", "threshold-not-met"]
    );
}

#[test]
fn expiry_is_at_the_instant_and_required() {
    let mut chain = Chain::new();
    chain.layout["expires"] = json!(now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    assert_eq!(errors(&chain.verify()), ["layout-expired"]);
    let later = now() + chrono::Duration::seconds(1);
    chain.layout["expires"] = json!(later.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    assert!(chain.verify().passed());
    chain.layout.as_object_mut().unwrap().remove("expires");
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["layout-expires-missing"]);
    assert_eq!(chain.runner.runs.get(), 1, "only the one passing run");
}

#[test]
fn invalid_layouts_are_rejected_up_front() {
    let mut chain = Chain::new();
    chain.step(0)["threshold"] = json!(0);
    chain.step(1)["pubkeys"] = json!(["ab12ab12ab12"]);
    chain.layout["inspect"][0]["name"] = json!("fetch");
    chain.step(1)["expected_materials"][0][5] = json!("fetsh");
    let verdict = chain.verify();
    let mut got = errors(&verdict);
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "layout-match-from-unknown",
            "layout-name-duplicate",
            "layout-pubkey-unknown",
            "layout-threshold-invalid"
        ]
    );
    let typo = verdict
        .diagnostics
        .iter()
        .find(|d| d.code == Code::LayoutMatchFromUnknown)
        .unwrap();
    assert_eq!(typo.subject.rule.as_ref().unwrap().index, 0);
    assert!(typo.message.contains("'fetsh'"), "{}", typo.message);
    assert_eq!(chain.runner.runs.get(), 0);
}

#[test]
fn a_layout_key_that_cannot_be_used_is_rejected() {
    let mut chain = Chain::new();
    let id = keyid(&chain.alice);
    chain.layout["keys"][&id]["keyval"]["public"] = json!("not a key");
    assert_eq!(errors(&chain.verify()), ["layout-key-invalid"]);
}

#[test]
fn a_step_rule_matching_an_inspection_is_a_warning() {
    let mut chain = Chain::new();
    chain.step(1)["expected_products"] = json!([
        ["MATCH", "app", "WITH", "PRODUCTS", "FROM", "check"],
        ["CREATE", "app"],
        ["DISALLOW", "*"]
    ]);
    let verdict = chain.verify();
    assert!(verdict.passed());
    assert_eq!(codes(&verdict), ["layout-match-from-inspection"]);
}

#[test]
fn parameters_are_substituted_like_python_str_format() {
    let mut chain = Chain::new();
    chain.step(1)["expected_products"] = json!([
        ["CREATE", "{artifact}"],
        ["DISALLOW", "{{*}}"],
        ["DISALLOW", "*"]
    ]);
    chain.step(1)["expected_command"] = json!(["{tool}"]);
    chain.layout["inspect"][0]["run"] = json!(["check", "{artifact}"]);
    chain.parameters = Some(BTreeMap::from([
        ("artifact".to_owned(), "app".to_owned()),
        ("tool".to_owned(), "make".to_owned()),
    ]));
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
    assert!(verdict.diagnostics.is_empty(), "{:?}", codes(&verdict));

    chain.parameters = Some(BTreeMap::from([("tool".to_owned(), "make".to_owned())]));
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["parameter-missing", "parameter-missing"]);
    assert_eq!(
        verdict.diagnostics[0].subject.parameter.as_deref(),
        Some("artifact")
    );

    chain.parameters = Some(BTreeMap::from([("bad name".to_owned(), "x".to_owned())]));
    assert_eq!(errors(&chain.verify()), ["parameter-invalid-name"]);

    chain.step(1)["expected_command"] = json!(["{tool!r}", "}"]);
    chain.parameters = Some(BTreeMap::from([
        ("artifact".to_owned(), "app".to_owned()),
        ("tool".to_owned(), "make".to_owned()),
    ]));
    assert_eq!(
        errors(&chain.verify()),
        ["parameter-unsupported", "parameter-syntax"]
    );

    // Without parameters nothing is substituted: braces are literal.
    chain.parameters = None;
    chain.step(1)["expected_command"] = json!(["make"]);
    chain.step(1)["expected_products"] =
        json!([["CREATE", "app"], ["DISALLOW", "{x}"], ["DISALLOW", "*"]]);
    chain.layout["inspect"][0]["run"] = json!(["check", "app"]);
    assert!(chain.verify().passed());
}

#[test]
fn missing_links_miss_the_threshold() {
    let mut chain = Chain::new();
    let path = chain.link_path("build", &chain.bob);
    chain.links.0.remove(&path);
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["threshold-not-met"]);
    let d = &verdict.diagnostics[0];
    assert_eq!(d.subject.item.as_deref(), Some("build"));
    assert!(
        d.message.contains(&format!("missing: {path}")),
        "{}",
        d.message
    );
    assert_eq!(chain.runner.runs.get(), 0);
}

#[test]
fn a_malformed_link_fails_even_when_the_threshold_is_met() {
    let mut chain = Chain::new();
    let carol = key();
    let id = keyid(&carol);
    chain.layout["keys"][&id] = carol.public_key().key_dict().to_value();
    chain.step(1)["pubkeys"] = json!([keyid(&chain.bob), id]);
    chain.links.0.insert(
        link_file("build", carol.keyid()),
        b"{\"signed\": 1}".to_vec(),
    );
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["link-malformed"]);
}

#[test]
fn links_signed_by_someone_else_do_not_count() {
    let mut chain = Chain::new();
    let mallory = key();
    let bytes = signed_bytes(
        &link(
            "build",
            &[("src/a.c", 1), ("src/b.c", 2)],
            &[("app", 3)],
            &["make"],
        )
        .to_value(),
        &mallory,
        EnvelopeKind::Legacy,
    );
    let path = chain.link_path("build", &chain.bob);
    chain.links.0.insert(path.clone(), bytes);
    let verdict = chain.verify();
    assert_eq!(
        codes(&verdict),
        ["link-signature-missing", "threshold-not-met"]
    );
    assert_eq!(verdict.diagnostics[0].severity, Severity::Warning);
    assert_eq!(
        verdict.diagnostics[0].subject.link_file.as_deref(),
        Some(path.as_str())
    );
}

#[test]
fn a_link_whose_name_is_not_its_step_does_not_count() {
    let mut chain = Chain::new();
    // Bob is authorised for both steps; his `fetch` link is presented as
    // `build` evidence.
    chain.step(0)["pubkeys"] = json!([keyid(&chain.bob)]);
    let bob = chain.bob.clone_key();
    let fetch = link(
        "fetch",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    chain.put_link("fetch", &bob, &fetch);
    let mut renamed = fetch.clone();
    renamed.name = "fetch".into();
    let bytes = signed_bytes(&renamed.to_value(), &bob, EnvelopeKind::Legacy);
    chain.links.0.insert(chain.link_path("build", &bob), bytes);
    let verdict = chain.verify();
    assert_eq!(codes(&verdict), ["link-name-mismatch", "threshold-not-met"]);
}

#[test]
fn one_functionary_counts_once_towards_a_threshold() {
    let mut chain = Chain::new();
    // Bob's key listed a second time under another (legacy-form) keyid.
    let bob = chain.bob.clone_key();
    let legacy = bob
        .clone_key()
        .with_keyid_form(intoto_crypto::KeyIdForm::Legacy)
        .unwrap();
    let legacy_id = keyid(&legacy);
    assert_ne!(legacy_id, keyid(&bob));
    chain.layout["keys"][&legacy_id] = legacy.public_key().key_dict().to_value();
    chain.step(1)["pubkeys"] = json!([keyid(&bob), legacy_id]);
    chain.step(1)["threshold"] = json!(2);
    let build = link(
        "build",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    chain.put_link("build", &legacy, &build);
    let verdict = chain.verify();
    assert_eq!(
        codes(&verdict),
        ["link-duplicate-functionary", "threshold-not-met"]
    );
}

#[test]
fn a_threshold_of_agreeing_functionaries_passes_and_disagreement_fails() {
    let mut chain = Chain::new();
    let carol = key();
    let id = keyid(&carol);
    chain.layout["keys"][&id] = carol.public_key().key_dict().to_value();
    chain.step(1)["pubkeys"] = json!([keyid(&chain.bob), id]);
    chain.step(1)["threshold"] = json!(2);
    let build = link(
        "build",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    chain.put_link("build", &carol, &build);
    assert!(chain.verify().passed());

    let other = link(
        "build",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 4)],
        &["make"],
    );
    chain.put_link("build", &carol, &other);
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["artifacts-disagree"]);
    let d = &verdict.diagnostics[0];
    assert_eq!(d.subject.artifacts[0].path, "app");
    assert_eq!(d.subject.artifacts[0].digests, Some(digest(3)));
    assert_eq!(
        d.subject.artifacts[0]
            .compared_with
            .as_ref()
            .unwrap()
            .digests,
        Some(digest(4))
    );
    assert!(d.subject.other_link_file.is_some());

    // With threshold 1 the reference never compares, and uses the first
    // link in `pubkeys` order.
    chain.step(1)["threshold"] = json!(1);
    assert!(chain.verify().passed());
    chain.step(1)["pubkeys"] = json!([id, keyid(&chain.bob)]);
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["rule-disallow-matched"]);
}

#[test]
fn a_command_other_than_expected_is_a_warning() {
    let mut chain = Chain::new();
    chain.step(1)["expected_command"] = json!(["make", "all"]);
    let verdict = chain.verify();
    assert!(verdict.passed());
    assert_eq!(codes(&verdict), ["command-mismatch"]);
}

#[test]
fn a_changed_product_is_caught_by_the_next_step_rules() {
    let mut chain = Chain::new();
    let bob = chain.bob.clone_key();
    chain.put_link(
        "build",
        &bob,
        &link(
            "build",
            &[("src/a.c", 7), ("src/b.c", 2)],
            &[("app", 3)],
            &["make"],
        ),
    );
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["rule-disallow-matched"]);
    let d = &verdict.diagnostics[0];
    assert_eq!(d.subject.item.as_deref(), Some("build"));
    let rule = d.subject.rule.as_ref().unwrap();
    assert_eq!((rule.index, rule.text.as_str()), (1, "DISALLOW *"));
    assert_eq!(d.subject.artifacts[0].path, "src/a.c");
    let compared = d.subject.artifacts[0].compared_with.as_ref().unwrap();
    assert_eq!(compared.digests, Some(digest(1)));
    assert!(d.message.contains("its digests differ"), "{}", d.message);
    // No inspection runs on a chain that failed.
    assert_eq!(chain.runner.runs.get(), 0);
}

#[test]
fn require_and_unresolvable_match_failures_have_their_codes() {
    let mut chain = Chain::new();
    chain.step(1)["expected_products"] =
        json!([["REQUIRE", "app.sig"], ["CREATE", "app"], ["DISALLOW", "*"]]);
    assert_eq!(errors(&chain.verify()), ["rule-require-missing"]);

    let mut chain = Chain::new();
    let alice = chain.alice.clone_key();
    chain.put_link(
        "fetch",
        &alice,
        &link("fetch", &[], &[("src//a.c", 1)], &["git", "clone"]),
    );
    chain.step(1)["expected_materials"] = json!([[
        "MATCH", "*", "IN", "src", "WITH", "PRODUCTS", "FROM", "fetch"
    ]]);
    chain.step(0)["expected_products"] = json!([[
        "MATCH", "*", "IN", "src", "WITH", "PRODUCTS", "FROM", "fetch"
    ]]);
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["rule-match-source-unresolved"]);
}

#[test]
fn inspections_must_run_and_return_zero() {
    let mut chain = Chain::new();
    let mut failing = link("check", &[], &[], &[]);
    failing.byproducts.insert("return-value".into(), json!(1));
    chain
        .runner
        .links
        .insert("check".into(), Ok(failing.clone()));
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["inspection-failed"]);
    assert!(verdict.diagnostics[0].message.contains("returned 1"));

    failing.byproducts.insert("return-value".into(), json!("0"));
    chain.runner.links.insert("check".into(), Ok(failing));
    assert_eq!(errors(&chain.verify()), ["inspection-failed"]);

    chain
        .runner
        .links
        .insert("check".into(), Err("timed out after 10s".into()));
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["inspection-not-run"]);
    assert!(verdict.diagnostics[0].message.contains("timed out"));

    chain.layout["inspect"][0]["run"] = json!([]);
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["inspection-failed"]);
    assert!(verdict.diagnostics[0].message.contains("no command"));
}

#[test]
fn inspection_rules_see_step_and_inspection_links() {
    let mut chain = Chain::new();
    let mut check = link("check", &[("app", 3), ("evil", 6)], &[], &[]);
    check.byproducts.insert("return-value".into(), json!(0));
    chain.runner.links.insert("check".into(), Ok(check));
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["rule-disallow-matched"]);
    assert_eq!(
        verdict.diagnostics[0].subject.item_kind,
        Some(intoto_verify::rules::ItemKind::Inspection)
    );
    assert_eq!(verdict.diagnostics[0].subject.artifacts[0].path, "evil");
}

#[test]
fn link_attestations_count_as_links() {
    let mut chain = Chain::new();
    let build = link(
        "build",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    let statement = Statement::from_link(&build);
    let bytes = signed_bytes(&statement.to_value(), &chain.bob, EnvelopeKind::Dsse);
    let path = chain.link_path("build", &chain.bob);
    chain.links.0.insert(path, bytes);
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
}

#[test]
fn sublayouts_are_verified_in_their_folder_and_summarised() {
    let mut chain = Chain::new();
    // Bob delegates `build` to a sublayout with one step carried out by dan.
    let dan = key();
    let sub = json!({
        "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "",
        "keys": Value::Object([key_entry(&dan)].into_iter().collect()),
        "steps": [{"_type": "step", "name": "compile", "threshold": 1, "pubkeys": [keyid(&dan)],
                   "expected_command": ["make"],
                   "expected_materials": [["ALLOW", "src/*"], ["DISALLOW", "*"]],
                   "expected_products": [["CREATE", "app"], ["DISALLOW", "*"]]}],
        "inspect": []
    });
    let path = chain.link_path("build", &chain.bob);
    chain
        .links
        .0
        .insert(path, signed_bytes(&sub, &chain.bob, EnvelopeKind::Legacy));
    let folder = format!("build.{}", chain.bob.keyid().short());
    let compile = link(
        "compile",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    let compile_bytes = signed_bytes(&compile.to_value(), &dan, EnvelopeKind::Dsse);
    chain.links.0.insert(
        format!("{folder}/{}", link_file("compile", dan.keyid())),
        compile_bytes,
    );
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);

    // A failure inside the sublayout names the sublayout folder.
    let tampered = link(
        "compile",
        &[("src/a.c", 1), ("src/b.c", 2), ("x", 5)],
        &[("app", 3)],
        &["make"],
    );
    chain.links.0.insert(
        format!("{folder}/{}", link_file("compile", dan.keyid())),
        signed_bytes(&tampered.to_value(), &dan, EnvelopeKind::Legacy),
    );
    let verdict = chain.verify();
    assert_eq!(errors(&verdict), ["rule-disallow-matched"]);
    assert_eq!(
        verdict.diagnostics[0].subject.sublayout,
        std::slice::from_ref(&folder)
    );
    assert!(
        verdict.diagnostics[0]
            .to_string()
            .contains(&format!("in sublayout {folder}"))
    );
}

#[test]
fn an_unreadable_link_stops_verification_with_an_error() {
    let mut chain = Chain::new();
    chain.step(0)["name"] = json!("unreadable");
    chain.step(1)["expected_materials"][0][5] = json!("unreadable");
    let result = Verifier::new(now(), &chain.links, &chain.runner)
        .verify(chain.layout_md(), &[chain.owner.public_key().clone()]);
    assert!(
        matches!(result, Err(Error::LinkSource { .. })),
        "{result:?}"
    );
}

#[test]
fn a_link_given_as_the_layout_is_an_input_error() {
    let chain = Chain::new();
    let md = sign(
        &link("x", &[], &[], &[]).to_value(),
        &chain.owner,
        EnvelopeKind::Legacy,
    );
    let result = Verifier::new(now(), &chain.links, &chain.runner)
        .verify(md, &[chain.owner.public_key().clone()]);
    assert!(
        matches!(result, Err(Error::NotALayout { found: "link" })),
        "{result:?}"
    );
}

#[test]
fn every_code_is_catalogued() {
    let catalogue = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md"),
    )
    .unwrap();
    for code in Code::ALL {
        assert!(
            catalogue.contains(&format!("## `{}`", code.as_str())),
            "docs/diagnostics.md has no entry for {}",
            code.as_str()
        );
    }
    // Each code is catalogued under its domain, domains in stage order.
    let mut section = "";
    let mut sections = Vec::new();
    for line in catalogue.lines() {
        let Some(heading) = line.strip_prefix("## ") else {
            continue;
        };
        match heading.strip_prefix('`').and_then(|h| h.strip_suffix('`')) {
            Some(code) => {
                let code = Code::ALL.iter().find(|c| c.as_str() == code).unwrap();
                assert!(
                    section.starts_with(code.domain().title()),
                    "{code} is catalogued under {section:?}, not {:?}",
                    code.domain().title()
                );
            }
            None => {
                section = heading;
                sections.push(heading);
            }
        }
    }
    let domains: Vec<Domain> = Code::ALL.iter().map(|c| c.domain()).collect();
    assert!(
        domains.is_sorted(),
        "codes are declared by domain, in stage order"
    );
    assert_eq!(sections.len(), 7, "{sections:?}");
}

/// Serves, at every sublayout depth, a sublayout by `bob` that delegates
/// its step `build` to bob again: an endless nesting, as a sublayout folder
/// that is a symlink to its parent gives. With `same_bytes` every level is
/// the same sublayout (a cycle); otherwise each differs (only the depth
/// limit stops it).
struct Endless {
    bob_keyid: String,
    levels: Vec<Vec<u8>>,
    reads: AtomicUsize,
}

impl Endless {
    fn new(bob: &PrivateKey, same_bytes: bool) -> Self {
        let levels = (0..=64)
            .map(|depth| {
                let doc = json!({
                    "_type": "layout", "expires": "2030-01-01T00:00:00Z",
                    "readme": if same_bytes { String::new() } else { format!("level {depth}") },
                    "keys": Value::Object([key_entry(bob)].into_iter().collect()),
                    "steps": [{"_type": "step", "name": "build", "threshold": 1,
                               "pubkeys": [keyid(bob)], "expected_command": [],
                               "expected_materials": [], "expected_products": []}],
                    "inspect": []
                });
                signed_bytes(&doc, bob, EnvelopeKind::Legacy)
            })
            .collect();
        Self {
            bob_keyid: keyid(bob),
            levels,
            reads: AtomicUsize::new(0),
        }
    }
}

impl LinkSource for Endless {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if file != format!("build.{}.link", &self.bob_keyid[..8]) {
            return Ok(None);
        }
        Ok(self.levels.get(folder.len()).cloned())
    }
}

fn endless_root(bob: &PrivateKey, owner: &PrivateKey) -> Metadata {
    let doc = json!({
        "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "root",
        "keys": Value::Object([key_entry(bob)].into_iter().collect()),
        "steps": [{"_type": "step", "name": "build", "threshold": 1, "pubkeys": [keyid(bob)],
                   "expected_command": [], "expected_materials": [], "expected_products": []}],
        "inspect": []
    });
    sign(&doc, owner, EnvelopeKind::Legacy)
}

#[test]
fn hostile_1_sublayouts_nested_without_end_stop_at_the_depth_limit() {
    let (owner, bob) = (key(), key());
    let source = Endless::new(&bob, false);
    let runner = Runner {
        links: BTreeMap::new(),
        runs: Cell::new(0),
    };
    let verdict = Verifier::new(now(), &source, &runner)
        .verify(endless_root(&bob, &owner), &[owner.public_key().clone()])
        .unwrap();
    assert_eq!(errors(&verdict), ["sublayout-too-deep"]);
    let d = &verdict.diagnostics[0];
    assert_eq!(
        d.subject.sublayout.len(),
        intoto_verify::MAX_SUBLAYOUT_DEPTH
    );
    assert!(source.reads.load(Ordering::Relaxed) <= intoto_verify::MAX_SUBLAYOUT_DEPTH + 2);
}

#[test]
fn hostile_1_a_sublayout_that_is_its_own_ancestor_is_a_cycle() {
    let (owner, bob) = (key(), key());
    let source = Endless::new(&bob, true);
    let runner = Runner {
        links: BTreeMap::new(),
        runs: Cell::new(0),
    };
    let verdict = Verifier::new(now(), &source, &runner)
        .verify(endless_root(&bob, &owner), &[owner.public_key().clone()])
        .unwrap();
    assert_eq!(errors(&verdict), ["sublayout-cycle"]);
    // Found at the second level: the first sublayout's own step leads back
    // to it.
    assert_eq!(verdict.diagnostics[0].subject.sublayout.len(), 1);
}

/// Serves, at every depth, a sublayout by bob and one by carl for step
/// `build`, which both may perform: each sublayout leads to two more, so
/// without a bound in all the work doubles with each level.
struct FanOut {
    names: [String; 2],
    levels: [Vec<Vec<u8>>; 2],
    reads: AtomicUsize,
}

impl FanOut {
    fn new(bob: &PrivateKey, carl: &PrivateKey) -> Self {
        let level = |signer: &PrivateKey, depth: usize| {
            let doc = json!({
                "_type": "layout", "expires": "2030-01-01T00:00:00Z",
                "readme": format!("level {depth}"),
                "keys": Value::Object([key_entry(bob), key_entry(carl)].into_iter().collect()),
                "steps": [{"_type": "step", "name": "build", "threshold": 1,
                           "pubkeys": [keyid(bob), keyid(carl)], "expected_command": [],
                           "expected_materials": [], "expected_products": []}],
                "inspect": []
            });
            signed_bytes(&doc, signer, EnvelopeKind::Legacy)
        };
        Self {
            names: [bob, carl].map(|k| format!("build.{}.link", &keyid(k)[..8])),
            levels: [bob, carl].map(|k| (0..=64).map(|d| level(k, d)).collect()),
            reads: AtomicUsize::new(0),
        }
    }
}

impl LinkSource for FanOut {
    fn read(&self, folder: &[String], file: &str) -> Result<Option<Vec<u8>>, SourceError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let Some(who) = self.names.iter().position(|n| n == file) else {
            return Ok(None);
        };
        Ok(self.levels[who].get(folder.len()).cloned())
    }
}

#[test]
fn hostile_1_sublayouts_that_fan_out_are_bounded_in_all() {
    let (owner, bob, carl) = (key(), key(), key());
    let source = FanOut::new(&bob, &carl);
    let runner = Runner {
        links: BTreeMap::new(),
        runs: Cell::new(0),
    };
    let root = json!({
        "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "root",
        "keys": Value::Object([key_entry(&bob), key_entry(&carl)].into_iter().collect()),
        "steps": [{"_type": "step", "name": "build", "threshold": 1,
                   "pubkeys": [keyid(&bob), keyid(&carl)], "expected_command": [],
                   "expected_materials": [], "expected_products": []}],
        "inspect": []
    });
    let verdict = Verifier::new(now(), &source, &runner)
        .verify(
            sign(&root, &owner, EnvelopeKind::Legacy),
            &[owner.public_key().clone()],
        )
        .unwrap();
    assert!(!verdict.passed());
    assert!(
        errors(&verdict).contains(&"sublayout-too-many"),
        "{:?}",
        errors(&verdict)
    );
    // Two link reads per layout followed, and the root's.
    assert!(
        source.reads.load(Ordering::Relaxed) <= 2 * (intoto_verify::MAX_SUBLAYOUTS + 1),
        "{} reads",
        source.reads.load(Ordering::Relaxed)
    );
}

#[test]
fn hostile_1_step_and_inspection_names_must_be_plain_file_names() {
    for bad in [
        "/proc/self/cwd/links/build",
        "../../x",
        "/etc/passwd",
        "",
        "..",
        "a\\b",
        "x\u{1b}[2J",
    ] {
        let mut chain = Chain::new();
        chain.step(0)["name"] = json!(bad);
        let verdict = chain.verify();
        assert!(
            errors(&verdict).contains(&"layout-name-invalid"),
            "{bad:?}: {:?}",
            errors(&verdict)
        );
        // Nothing was read or run: the layout stage stopped.
        assert_eq!(chain.runner.runs.get(), 0);
    }
    let mut chain = Chain::new();
    chain.layout["inspect"][0]["name"] = json!("../../tmp/x");
    assert_eq!(errors(&chain.verify()), ["layout-name-invalid"]);
    // Dots and non-ASCII stay legal.
    let mut chain = Chain::new();
    chain.step(0)["name"] = json!("fetch.v2-ü");
    chain.step(1)["expected_materials"][0][5] = json!("fetch.v2-ü");
    let alice = chain.alice.clone_key();
    chain.put_link(
        "fetch.v2-ü",
        &alice,
        &link(
            "fetch.v2-ü",
            &[],
            &[("src/a.c", 1), ("src/b.c", 2)],
            &["git", "clone"],
        ),
    );
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
}

#[test]
fn hostile_5_sublayout_inspections_can_be_skipped() {
    let mut chain = Chain::new();
    let dan = key();
    let sub = json!({
        "_type": "layout", "expires": "2030-01-01T00:00:00Z", "readme": "",
        "keys": Value::Object([key_entry(&dan)].into_iter().collect()),
        "steps": [{"_type": "step", "name": "compile", "threshold": 1, "pubkeys": [keyid(&dan)],
                   "expected_command": ["make"],
                   "expected_materials": [], "expected_products": []}],
        "inspect": [{"_type": "inspection", "name": "probe", "run": ["curl", "evil"],
                     "expected_materials": [], "expected_products": []}]
    });
    let path = chain.link_path("build", &chain.bob);
    chain
        .links
        .0
        .insert(path, signed_bytes(&sub, &chain.bob, EnvelopeKind::Legacy));
    let folder = format!("build.{}", chain.bob.keyid().short());
    let compile = link(
        "compile",
        &[("src/a.c", 1), ("src/b.c", 2)],
        &[("app", 3)],
        &["make"],
    );
    chain.links.0.insert(
        format!("{folder}/{}", link_file("compile", dan.keyid())),
        signed_bytes(&compile.to_value(), &dan, EnvelopeKind::Legacy),
    );
    let mut probe = link("probe", &[], &[], &[]);
    probe.byproducts.insert("return-value".into(), json!(0));
    chain.runner.links.insert("probe".into(), Ok(probe));
    let owner_key = chain.owner.public_key().clone();
    // By default the sublayout's inspection runs, as in the reference.
    let verdict = chain.verify();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
    let runs = chain.runner.runs.get();
    assert_eq!(runs, 2, "the root's check and the sublayout's probe");
    // Asked not to, the verifier skips it with a warning.
    let verdict = Verifier::new(now(), &chain.links, &chain.runner)
        .sublayout_inspections(false)
        .verify(chain.layout_md(), &[owner_key])
        .unwrap();
    assert!(verdict.passed(), "{:?}", verdict.diagnostics);
    assert!(codes(&verdict).contains(&"inspection-skipped"));
    assert_eq!(
        chain.runner.runs.get(),
        runs + 1,
        "only the root's check ran"
    );
}

#[test]
fn hostile_11_a_layout_without_steps_inspect_or_keys_is_not_a_layout() {
    for field in ["steps", "inspect", "keys"] {
        let mut chain = Chain::new();
        chain.layout.as_object_mut().unwrap().remove(field);
        let result = Verifier::new(now(), &chain.links, &chain.runner)
            .verify(chain.layout_md(), &[chain.owner.public_key().clone()]);
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Layout(_)), "{field}: {err:?}");
        let message = format!("{:?}", err);
        assert!(message.contains(field), "{field}: {message}");
    }
}
