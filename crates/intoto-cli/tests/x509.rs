//! X.509 functionaries (ITE-7): links signed with a key whose certificate
//! the signature carries (`intoto run --signing-cert`), verified by
//! layouts that authorise certificate constraints instead of keys, in
//! in-toto-golang's form (`rootcas`, `intermediatecas`, `roots`, `cert`)
//! and ITE-7's (`trustBundles`, `trustBundleIds`, `certificate`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Output;

use intoto::model::{EnvelopeKind, Metadata};
use intoto_test_support::pki::{self, Issued, Names};
use intoto_test_support::{intoto, vector};
use serde_json::{Value, json};

const GO: &str = "in-toto-golang";

fn run(dir: &Path, args: &[&str]) -> Output {
    intoto(dir).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A folder with an owner key and an `input` file to build from.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["key", "generate", "owner"]);
    assert!(out.status.success(), "{}", text(&out));
    fs::write(dir.path().join("input"), "source\n").unwrap();
    dir
}

fn write(dir: &Path, name: &str, contents: &str) {
    fs::write(dir.join(name), contents).unwrap();
}

fn owner_keys(dir: &Path) -> Value {
    let out = run(dir, &["key", "layout", "owner.pub"]);
    serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap()
}

/// A layout of one step, `build`, that no key may sign, only certificates
/// meeting `constraints`; extra top-level fields from `trust`.
fn layout(dir: &Path, trust: Value, constraints: Value, threshold: u32) {
    layout_with_keys(dir, trust, constraints, threshold, &[]);
}

/// The PEM public key of the private key file `key`.
fn public_pem(dir: &Path, key: &str) -> String {
    let bytes = fs::read(dir.join(key)).unwrap();
    let key = intoto::crypto::PrivateKey::from_file_contents(
        &bytes,
        None,
        intoto::crypto::KeyIdForm::Modern,
    )
    .unwrap();
    key.public_key_pem().unwrap()
}

/// [`layout`], with the step also authorising the keys in `key_files`.
fn layout_with_keys(
    dir: &Path,
    trust: Value,
    constraints: Value,
    threshold: u32,
    key_files: &[&str],
) {
    let mut keys = owner_keys(dir);
    let mut pubkeys = Vec::new();
    for file in key_files {
        let out = run(dir, &["key", "layout", file]);
        assert!(out.status.success(), "{}", text(&out));
        let dict: Value = serde_json::from_slice(&out.stdout).unwrap();
        for (keyid, key) in dict.as_object().unwrap() {
            keys[keyid] = key.clone();
            pubkeys.push(keyid.clone());
        }
    }
    let mut doc = json!({
        "_type": "layout",
        "expires": "2100-01-01T00:00:00Z",
        "readme": "",
        "keys": keys,
        "steps": [{
            "_type": "step",
            "name": "build",
            "threshold": threshold,
            "pubkeys": pubkeys,
            "cert_constraints": constraints,
            "expected_command": [],
            "expected_materials": [["ALLOW", "input"], ["DISALLOW", "*"]],
            "expected_products": [["ALLOW", "input"], ["DISALLOW", "*"]],
        }],
        "inspect": [],
    });
    for (k, v) in trust.as_object().unwrap() {
        doc[k] = v.clone();
    }
    write(
        dir,
        "root.layout.unsigned",
        &Metadata::wrap(&doc, EnvelopeKind::Legacy).to_file_string(),
    );
    let out = run(
        dir,
        &[
            "sign",
            "-f",
            "root.layout.unsigned",
            "-k",
            "owner",
            "-o",
            "root.layout",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// `intoto run` of step `build` signed by `key` with `cert` (and
/// `chain`); extra flags in `more`.
fn build(dir: &Path, key: &str, cert: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "-n",
        "build",
        "--signing-key",
        key,
        "--signing-cert",
        cert,
        "-m",
        "input",
        "-p",
        "input",
    ];
    args.extend_from_slice(more);
    args.extend_from_slice(&["--", "true"]);
    run(dir, &args)
}

/// The one link file of step `build` in `dir`.
fn build_link(dir: &Path) -> std::path::PathBuf {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("build."))
        .unwrap()
        .path()
}

fn verify(dir: &Path) -> Output {
    run(
        dir,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "owner.pub",
        ],
    )
}

/// A CA and a leaf for `names`, written as `<name>.crt`/`<name>.key`.
fn issue(dir: &Path, ca: &Issued, name: &str, names: &Names) -> Issued {
    let leaf = ca.leaf(names);
    write(dir, &format!("{name}.crt"), &leaf.cert_pem);
    write(dir, &format!("{name}.key"), &leaf.key_pem);
    leaf
}

fn any_constraint(uris: &[&str], roots: Value) -> Value {
    json!([{"common_name": "*", "dns_names": ["*"], "emails": ["*"], "organizations": ["*"],
            "roots": roots, "uris": uris}])
}

/// `constraints` with their roots replaced by `root`.
fn constraints_with_root(root: &str, constraints: &Value) -> Value {
    let mut constraints = constraints.clone();
    for c in constraints.as_array_mut().unwrap() {
        c["roots"] = json!([root]);
    }
    constraints
}

fn go_form(root: &Issued, intermediates: &[&Issued]) -> Value {
    let intermediatecas: serde_json::Map<String, Value> = intermediates
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{i:064x}"), json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": "", "certificate": c.cert_pem}})))
        .collect();
    json!({
        "rootcas": {"ca": {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": "", "certificate": root.cert_pem}}},
        "intermediatecas": intermediatecas,
    })
}

#[test]
fn a_spiffe_id_certified_link_verifies_through_an_intermediate() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let ca = root.intermediate("issuing");
    issue(
        d,
        &ca,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    layout(
        d,
        go_form(&root, &[&ca]),
        any_constraint(&["spiffe://example.org/build"], json!(["ca"])),
        1,
    );
    let out = build(d, "builder.key", "builder.crt", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let link = build_link(d);
    let written: Value = serde_json::from_slice(&fs::read(&link).unwrap()).unwrap();
    assert!(
        written["signatures"][0]["cert"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE"),
        "legacy links carry in-toto-golang's `cert`"
    );
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Changed after signing: refused.
    let tampered = fs::read_to_string(&link)
        .unwrap()
        .replace("\"input\"", "\"inpuT\"");
    fs::write(&link, tampered).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn certificates_that_do_not_meet_the_constraints_are_refused_naming_the_field() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/test"),
    );
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["spiffe://example.org/build"], json!(["*"])),
        1,
    );
    assert!(build(d, "builder.key", "builder.crt", &[]).status.success());
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("link-certificate-rejected"), "{report}");
    assert!(
        report.contains("uris: the certificate has \"spiffe://example.org/test\""),
        "{report}"
    );
}

#[test]
fn an_empty_list_requires_no_value_and_a_star_allows_any() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let names = Names {
        common_name: Some("bob".into()),
        organization: Some("Example Corp".into()),
        emails: vec!["bob@corp.example".into()],
        ..Names::default()
    };
    issue(d, &root, "bob", &names);
    let exact = json!([{"common_name": "bob", "dns_names": [], "emails": ["bob@corp.example"],
                        "organizations": ["Example Corp"], "roots": ["ca"], "uris": []}]);
    layout(d, go_form(&root, &[]), exact, 1);
    assert!(build(d, "bob.key", "bob.crt", &[]).status.success());
    assert_eq!(verify(d).status.code(), Some(0), "{}", text(&verify(d)));

    // The same certificate, where the constraint wants no e-mail address.
    let none = json!([{"common_name": "bob", "dns_names": [], "emails": [],
                       "organizations": ["Example Corp"], "roots": ["ca"], "uris": []}]);
    layout(d, go_form(&root, &[]), none, 1);
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains(
            "emails: the certificate has \"bob@corp.example\", the constraint allows none"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn expired_wrong_root_and_server_only_certificates_are_refused() {
    let cases: [(&str, Names, &str); 3] = [
        (
            "expired",
            Names {
                validity: Some(((2000, 1, 1), (2001, 1, 1))),
                ..Names::spiffe("spiffe://example.org/build")
            },
            "expired at unix time",
        ),
        (
            "wrong-root",
            Names::spiffe("spiffe://example.org/build"),
            "does not chain to a trusted root",
        ),
        (
            "server-only",
            Names {
                server_auth_only: true,
                ..Names::spiffe("spiffe://example.org/build")
            },
            "extended key usage",
        ),
    ];
    for (case, names, finding) in cases {
        let dir = workspace();
        let d = dir.path();
        let root = pki::root("root");
        let other = pki::root("another root");
        let issuer = if case == "wrong-root" { &other } else { &root };
        issue(d, issuer, "builder", &names);
        layout(
            d,
            go_form(&root, &[]),
            any_constraint(&["*"], json!(["*"])),
            1,
        );
        assert!(
            build(d, "builder.key", "builder.crt", &[]).status.success(),
            "{case}"
        );
        let out = verify(d);
        assert_eq!(out.status.code(), Some(1), "{case}: {}", text(&out));
        assert!(text(&out).contains(finding), "{case}: {}", text(&out));
    }
}

#[test]
fn ite7_trust_bundles_and_dsse_certificates_with_carried_intermediates_verify() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let ca = root.intermediate("issuing");
    issue(
        d,
        &ca,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    write(d, "chain.pem", &ca.cert_pem);
    // The bundle has the root only: the intermediate comes with the signature.
    let trust = json!({"trustBundles": {"corp": {"bundleid": "corp", "roots": [root.cert_pem], "intermediates": []}}});
    let constraints = json!([{"common_name": "*", "dns_names": ["*"], "emails": ["*"],
        "organizations": ["*"], "trustBundleIds": ["corp"], "uris": ["spiffe://example.org/build"]}]);
    layout(d, trust, constraints, 1);
    let out = build(
        d,
        "builder.key",
        "builder.crt",
        &["--signing-chain", "chain.pem", "--use-dsse"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let link = build_link(d);
    let written: Value = serde_json::from_slice(&fs::read(&link).unwrap()).unwrap();
    let sig = &written["signatures"][0];
    assert!(
        sig["certificate"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE"),
        "{sig}"
    );
    assert_eq!(sig["intermediates"].as_array().unwrap().len(), 1, "{sig}");
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Without the carried intermediate there is no path.
    let mut stripped = written.clone();
    stripped["signatures"][0]
        .as_object_mut()
        .unwrap()
        .remove("intermediates");
    fs::write(&link, stripped.to_string()).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("does not chain to a trusted root"),
        "{}",
        text(&out)
    );
}

#[test]
fn thresholds_count_certificate_identities_not_keys() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    // Two keys, two certificates, one SPIFFE ID (a renewed SVID): one functionary.
    issue(
        d,
        &root,
        "first",
        &Names::spiffe("spiffe://example.org/build"),
    );
    issue(
        d,
        &root,
        "second",
        &Names::spiffe("spiffe://example.org/build"),
    );
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["*"], json!(["*"])),
        2,
    );
    assert!(build(d, "first.key", "first.crt", &[]).status.success());
    assert!(build(d, "second.key", "second.crt", &[]).status.success());
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("counts once"), "{}", text(&out));

    // A second identity meets the threshold.
    issue(
        d,
        &root,
        "second",
        &Names::spiffe("spiffe://example.org/build-2"),
    );
    assert!(build(d, "second.key", "second.crt", &[]).status.success());
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_certificate_for_another_key_is_refused_when_signing() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    let out = build(d, "owner", "builder.crt", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not for the signing key"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_go_certificates_sign_a_link_the_go_constraints_accept() {
    // in-toto-golang's test PKI (root → example.com intermediate →
    // write-code leaf, RSA, valid until 2031) and its demo layout's
    // constraint for step `write-code`, with its `rootcas` and
    // `intermediatecas` as the demo layout lists them.
    let dir = workspace();
    let d = dir.path();
    for file in [
        "example.com.write-code.key.pem",
        "example.com.write-code.cert.pem",
    ] {
        fs::copy(vector(GO).join(file), d.join(file)).unwrap();
    }
    let demo: Value =
        serde_json::from_slice(&fs::read(vector(GO).join("demo.layout")).unwrap()).unwrap();
    let signed = &demo["signed"];
    let trust = json!({"rootcas": signed["rootcas"], "intermediatecas": signed["intermediatecas"]});
    let constraints = signed["steps"][0]["cert_constraints"].clone();
    layout(d, trust, constraints, 1);
    let out = build(
        d,
        "example.com.write-code.key.pem",
        "example.com.write-code.cert.pem",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The same link under a layout trusting another root, or wanting
    // another SPIFFE ID, or with the link changed: refused.
    let other = pki::root("example");
    layout(
        d,
        go_form(&other, &[]),
        constraints_with_root("ca", &signed["steps"][0]["cert_constraints"]),
        1,
    );
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("does not chain to a trusted root"),
        "{}",
        text(&out)
    );
    let mut wrong_uri = signed["steps"][0]["cert_constraints"].clone();
    wrong_uri[0]["uris"] = json!(["spiffe://example.com/package"]);
    let trust = json!({"rootcas": signed["rootcas"], "intermediatecas": signed["intermediatecas"]});
    layout(d, trust.clone(), wrong_uri, 1);
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("uris: the certificate has \"spiffe://example.com/write-code\""),
        "{}",
        text(&out)
    );
    layout(d, trust, signed["steps"][0]["cert_constraints"].clone(), 1);
    let link = build_link(d);
    let signed_link = fs::read_to_string(&link).unwrap();
    fs::write(&link, signed_link.replace("\"true\"", "\"false\"")).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// A policy whose one functionary is a SPIFFE ID under `bundle`'s roots.
fn spiffe_policy(dir: &Path, spiffe_id: &str, root_pem: &str) {
    let policy = json!({
        "expires": "2100-01-01T00:00:00Z",
        "functionaries": {"builder": {"spiffeId": spiffe_id, "trustBundle": {"roots": [root_pem]}}},
        "steps": [{
            "name": "build",
            "expectedMaterials": ["ALLOW *"],
            "expectedProducts": ["ALLOW *"],
            "expectedPredicates": [{
                "predicateType": "https://slsa.dev/provenance/v1",
                "functionaries": ["builder"],
            }],
        }],
    });
    write(dir, "policy.json", &policy.to_string());
}

fn attest(dir: &Path, key: &str, cert: &str, chain: Option<&str>) -> Output {
    let predicate = json!({
        "buildDefinition": {"buildType": "https://example.com/build/v1", "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://ci.example.com"}},
    });
    write(dir, "provenance.json", &predicate.to_string());
    fs::create_dir_all(dir.join("atts")).unwrap();
    let mut args = vec![
        "attest",
        "--type",
        "provenance",
        "--predicate",
        "provenance.json",
        "--subject",
        "input",
        "--signing-key",
        key,
        "--signing-cert",
        cert,
        "-o",
        "atts/build.json",
    ];
    if let Some(chain) = chain {
        args.extend_from_slice(&["--signing-chain", chain]);
    }
    run(dir, &args)
}

#[test]
fn policies_name_spiffe_functionaries_by_id_and_trust_bundle() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let ca = root.intermediate("issuing");
    issue(
        d,
        &ca,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    write(d, "chain.pem", &ca.cert_pem);
    let out = attest(d, "builder.key", "builder.crt", Some("chain.pem"));
    assert!(out.status.success(), "{}", text(&out));
    let verify_policy = |d: &Path| run(d, &["verify", "-l", "policy.json", "-a", "atts"]);

    spiffe_policy(d, "spiffe://example.org/build", &root.cert_pem);
    let out = verify_policy(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Another SPIFFE ID, or another trust domain's root: nobody signed.
    spiffe_policy(d, "spiffe://example.org/deploy", &root.cert_pem);
    let out = verify_policy(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("builder: the certificate of the signature by key")
            && text(&out).contains("uris: the certificate has \"spiffe://example.org/build\""),
        "{}",
        text(&out)
    );
    spiffe_policy(
        d,
        "spiffe://example.org/build",
        &pki::root("elsewhere").cert_pem,
    );
    assert_eq!(verify_policy(d).status.code(), Some(1));

    // `intoto show` names the signer.
    let out = run(d, &["show", "atts/build.json"]);
    assert!(
        text(&out).contains("identity: SPIFFE ID spiffe://example.org/build"),
        "{}",
        text(&out)
    );
}

/// A Workload API serving an X509-SVID for `id`, issued under `root`
/// through an intermediate, on `<dir>/agent.sock`.
fn agent(dir: &Path, root: &Issued, id: &str) -> intoto_test_support::workload_api::WorkloadApi {
    let ca = root.intermediate("agent");
    let leaf = ca.leaf(&Names::spiffe(id));
    intoto_test_support::workload_api::WorkloadApi::start(
        &dir.join("agent.sock"),
        id,
        &[leaf.cert_der.clone(), ca.cert_der.clone()],
        &leaf.key_der,
        std::slice::from_ref(&root.cert_der),
    )
}

/// A layout whose step `build` names only a SPIFFE ID and a trust bundle.
fn spiffe_layout(dir: &Path, root: &Issued, id: &str) {
    let trust = json!({"trustBundles": {"example.org": {"bundleid": "example.org", "roots": [root.cert_pem]}}});
    let constraints = json!([{"common_name": "*", "dns_names": ["*"], "emails": ["*"],
        "organizations": ["*"], "trustBundleIds": ["example.org"], "uris": [id]}]);
    layout(dir, trust, constraints, 1);
}

#[test]
fn a_build_signed_by_a_spiffe_identity_verifies_by_spiffe_id_and_trust_bundle() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("example.org");
    spiffe_layout(d, &root, "spiffe://example.org/build");
    let run_build = |d: &Path| {
        run(
            d,
            &[
                "run",
                "-n",
                "build",
                "--spiffe-socket",
                "agent.sock",
                "-m",
                "input",
                "-p",
                "input",
                "--",
                "true",
            ],
        )
    };
    {
        let _agent = agent(d, &root, "spiffe://example.org/build");
        let out = run_build(d);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The link changed after signing (another product digest): refused.
    let link = build_link(d);
    let signed = fs::read_to_string(&link).unwrap();
    let value: Value = serde_json::from_str(&signed).unwrap();
    let digest = value["signed"]["products"]["input"]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    fs::write(&link, signed.replace(&digest, &"0".repeat(64))).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    fs::write(&link, signed).unwrap();

    // Another workload of the trust domain, and the same ID from another
    // trust domain's agent: neither counts.
    let stranger = pki::root("example.org");
    for (root, id) in [
        (&root, "spiffe://example.org/test"),
        (&stranger, "spiffe://example.org/build"),
    ] {
        for entry in fs::read_dir(d).unwrap().filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().starts_with("build.") {
                fs::remove_file(entry.path()).unwrap();
            }
        }
        let _agent = agent(d, root, id);
        assert!(run_build(d).status.success());
        let out = verify(d);
        assert_eq!(out.status.code(), Some(1), "{id}: {}", text(&out));
        assert!(
            text(&out).contains("link-certificate-rejected"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn record_start_and_stop_sign_with_the_svid() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("example.org");
    spiffe_layout(d, &root, "spiffe://example.org/build");
    let _agent = agent(d, &root, "spiffe://example.org/build");
    let start = run(
        d,
        &[
            "record",
            "start",
            "-n",
            "build",
            "--spiffe-socket",
            "agent.sock",
            "-m",
            "input",
        ],
    );
    assert!(start.status.success(), "{}", text(&start));
    let stop = run(
        d,
        &[
            "record",
            "stop",
            "-n",
            "build",
            "--spiffe-socket",
            "agent.sock",
            "-p",
            "input",
        ],
    );
    assert!(stop.status.success(), "{}", text(&stop));
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn an_unreachable_workload_api_is_an_input_error_that_says_what_to_check() {
    let dir = workspace();
    let d = dir.path();
    let out = run(
        d,
        &[
            "run",
            "-n",
            "build",
            "--spiffe-socket",
            "none.sock",
            "--",
            "true",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot get an X509-SVID from the SPIFFE Workload API"),
        "{}",
        text(&out)
    );
}

/// The link `run -d unsigned` wrote, signed by the owner.
fn owner_link(d: &Path) -> String {
    let entry = fs::read_dir(d.join("unsigned"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    format!("unsigned/{}", entry.file_name().to_string_lossy())
}

#[test]
fn sign_and_attest_embed_certificates_and_svids() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("example.org");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["spiffe://example.org/build"], json!(["*"])),
        1,
    );
    // An unsigned link, signed afterwards with `intoto sign` and the certificate.
    fs::create_dir_all(d.join("unsigned")).unwrap();
    let out = run(
        d,
        &[
            "run",
            "-n",
            "build",
            "--signing-key",
            "owner",
            "-m",
            "input",
            "-p",
            "input",
            "-d",
            "unsigned",
            "--",
            "true",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        d,
        &[
            "sign",
            "-f",
            &owner_link(d),
            "--signing-key",
            "builder.key",
            "--signing-cert",
            "builder.crt",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    fs::remove_dir_all(d.join("unsigned")).unwrap();
    let written = build_link(d);
    let value: Value = serde_json::from_slice(&fs::read(&written).unwrap()).unwrap();
    assert!(
        value["signatures"][0]["cert"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );

    // `sign` and `attest` with the SVID of a Workload API.
    // An X509-SVID's intermediate comes with the signature: ITE-7 trust bundles.
    spiffe_layout(d, &root, "spiffe://example.org/build");
    let _agent = agent(d, &root, "spiffe://example.org/build");
    fs::remove_file(&written).unwrap();
    fs::create_dir_all(d.join("unsigned")).unwrap();
    let out = run(
        d,
        &[
            "run",
            "-n",
            "build",
            "--signing-key",
            "owner",
            "-m",
            "input",
            "-p",
            "input",
            "-d",
            "unsigned",
            "--",
            "true",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        d,
        &[
            "sign",
            "-f",
            &owner_link(d),
            "--spiffe-socket",
            "agent.sock",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    fs::remove_dir_all(d.join("unsigned")).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    write(d, "predicate.json", "{}");
    let out = run(
        d,
        &[
            "attest",
            "--type",
            "custom",
            "--predicate-type-uri",
            "https://example.com/p/v1",
            "--predicate",
            "predicate.json",
            "--subject",
            "input",
            "--spiffe-socket",
            "agent.sock",
            "-o",
            "att.json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(d, &["show", "att.json"]);
    assert!(
        text(&out).contains("identity: SPIFFE ID spiffe://example.org/build"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_key_listed_in_pubkeys_and_its_certificate_are_one_functionary() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let builder = issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    write(d, "builder.pub", &public_pem(d, "builder.key"));
    layout_with_keys(
        d,
        go_form(&root, &[]),
        any_constraint(&["*"], json!(["*"])),
        2,
        &["builder.pub"],
    );
    // The key's own link, and a copy filed under another keyid with the
    // certificate: one party, whatever the file names say.
    assert!(build(d, "builder.key", "builder.crt", &[]).status.success());
    let link = build_link(d);
    let signed: Value = serde_json::from_slice(&fs::read(&link).unwrap()).unwrap();
    let keyid = signed["signatures"][0]["keyid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut forged = signed.clone();
    forged["signatures"][0]["keyid"] = json!(format!("deadbeef{}", &keyid[8..]));
    fs::write(d.join("build.deadbeef.link"), forged.to_string()).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("counts once"), "{}", text(&out));
    let _ = builder;
}

#[test]
fn a_certificate_for_another_key_does_not_make_a_signature_count() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    let other = issue(
        d,
        &root,
        "other",
        &Names::spiffe("spiffe://example.org/build"),
    );
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["spiffe://example.org/build"], json!(["*"])),
        1,
    );
    assert!(build(d, "builder.key", "builder.crt", &[]).status.success());
    let link = build_link(d);
    let mut signed: Value = serde_json::from_slice(&fs::read(&link).unwrap()).unwrap();
    signed["signatures"][0]["cert"] = json!(other.cert_pem);
    fs::write(&link, signed.to_string()).unwrap();
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_star_among_other_values_is_a_value_not_a_wildcard() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    assert!(build(d, "builder.key", "builder.crt", &[]).status.success());
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["spiffe://example.org/other", "*"], json!(["*"])),
        1,
    );
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("uris: the certificate has"),
        "{}",
        text(&out)
    );
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["spiffe://example.org/build"], json!(["*", "nothing"])),
        1,
    );
    let out = verify(d);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("names no trusted root"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_signing_certificate_file_holds_one_certificate_and_only_it_is_embedded() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    let builder = issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    // A combined file: the key and the certificate; only the certificate goes out.
    write(
        d,
        "combined.pem",
        &format!("{}{}", builder.key_pem, builder.cert_pem),
    );
    assert!(
        build(d, "builder.key", "combined.pem", &[])
            .status
            .success()
    );
    for entry in fs::read_dir(d).unwrap().filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().starts_with("build.") {
            let text = fs::read_to_string(entry.path()).unwrap();
            assert!(
                !text.contains("PRIVATE KEY"),
                "the key leaked into {}",
                entry.path().display()
            );
        }
    }
    write(
        d,
        "two.pem",
        &format!("{}{}", builder.cert_pem, root.cert_pem),
    );
    let out = build(d, "builder.key", "two.pem", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("holds 2 certificates"),
        "{}",
        text(&out)
    );
}

#[test]
fn one_signature_accepted_by_two_policy_entries_counts_once() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    assert!(
        attest(d, "builder.key", "builder.crt", None)
            .status
            .success()
    );
    let policy = json!({
        "expires": "2100-01-01T00:00:00Z",
        "functionaries": {
            "by-id": {"spiffeId": "spiffe://example.org/build", "trustBundle": {"roots": [root.cert_pem]}},
            "anyone": {"trustBundle": {"roots": [root.cert_pem]}},
        },
        "steps": [{
            "name": "build",
            "expectedMaterials": ["ALLOW *"],
            "expectedProducts": ["ALLOW *"],
            "expectedPredicates": [{
                "predicateType": "https://slsa.dev/provenance/v1",
                "functionaries": ["by-id", "anyone"],
                "threshold": 2,
            }],
        }],
    });
    write(d, "policy.json", &policy.to_string());
    let out = run(d, &["verify", "-l", "policy.json", "-a", "atts"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("found 1"), "{}", text(&out));
}

#[test]
fn sign_with_keys_and_an_svid_signs_with_both() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("example.org");
    let _agent = agent(d, &root, "spiffe://example.org/build");
    let doc = json!({"_type": "layout", "expires": "2100-01-01T00:00:00Z", "readme": "", "keys": {}, "steps": [], "inspect": []});
    write(
        d,
        "l.unsigned",
        &Metadata::wrap(&doc, EnvelopeKind::Legacy).to_file_string(),
    );
    let out = run(
        d,
        &[
            "sign",
            "-f",
            "l.unsigned",
            "-k",
            "owner",
            "--spiffe-socket",
            "agent.sock",
            "-o",
            "l.layout",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let signed: Value = serde_json::from_slice(&fs::read(d.join("l.layout")).unwrap()).unwrap();
    assert_eq!(
        signed["signatures"].as_array().unwrap().len(),
        2,
        "{signed}"
    );
}

#[test]
fn a_timestamp_authority_that_cannot_be_read_is_an_input_error() {
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    layout(
        d,
        go_form(&root, &[]),
        any_constraint(&["*"], json!(["*"])),
        1,
    );
    write(d, "tsa.pem", &root.cert_pem);
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "owner.pub",
            "--timestamp-authority",
            "tsa.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("needs its signing certificate and its root"),
        "{}",
        text(&out)
    );
}

#[test]
fn links_carrying_a_certificate_still_verify_in_the_reference_by_key() {
    // The certificate rides in the signature, which the signed bytes do
    // not cover: the reference verifies such a link by its key.
    let dir = workspace();
    let d = dir.path();
    let root = pki::root("root");
    issue(
        d,
        &root,
        "builder",
        &Names::spiffe("spiffe://example.org/build"),
    );
    write(d, "builder.pub", &public_pem(d, "builder.key"));
    let mut keys = owner_keys(d);
    let out = run(d, &["key", "layout", "builder.pub"]);
    let builder: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keyid = builder.as_object().unwrap().keys().next().unwrap().clone();
    keys[&keyid] = builder[&keyid].clone();
    let doc = json!({
        "_type": "layout", "expires": "2100-01-01T00:00:00Z", "readme": "", "keys": keys,
        "steps": [{"_type": "step", "name": "build", "threshold": 1, "pubkeys": [keyid],
                   "expected_command": [], "expected_materials": [["ALLOW", "input"], ["DISALLOW", "*"]],
                   "expected_products": [["ALLOW", "input"], ["DISALLOW", "*"]]}],
        "inspect": [],
    });
    write(
        d,
        "root.layout.unsigned",
        &Metadata::wrap(&doc, EnvelopeKind::Legacy).to_file_string(),
    );
    let out = run(
        d,
        &[
            "sign",
            "-f",
            "root.layout.unsigned",
            "-k",
            "owner",
            "-o",
            "root.layout",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(build(d, "builder.key", "builder.crt", &[]).status.success());
    assert_eq!(verify(d).status.code(), Some(0), "{}", text(&verify(d)));
    let Some(mut reference) = intoto_test_support::reference(d, "in-toto-verify") else {
        return;
    };
    let out = reference
        .args([
            "--layout",
            "root.layout",
            "--verification-keys",
            "owner.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
