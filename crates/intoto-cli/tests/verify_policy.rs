//! `intoto verify -l POLICY -a ...`: the attestation verifier's own layouts
//! and data verify (folders and bundles), tampered copies fail with codes
//! that name the step, signed policies need every key, bad input is exit 2,
//! and `--vsa` leaves a summary `intoto vsa verify` accepts, the same for
//! the same inputs apart from its time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use serde_json::Value;

use intoto::model::envelope::{decode_base64, encode_base64};
use intoto_test_support::{copy_dir, intoto, vector};

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = intoto(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn json_codes(dir: &Path, args: &[&str]) -> (i32, Vec<String>, Value) {
    let out = intoto(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let codes = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    (out.status.code().unwrap(), codes, report)
}

/// The attestation verifier's layouts, data and parameters, copied into
/// `dir`.
fn setup(dir: &Path) {
    copy_dir(&vector("attestation-verifier"), dir);
}

/// Rewrites the statement in an envelope file (its signature then breaks).
fn tamper(path: &Path, change: impl FnOnce(&mut Value)) {
    let mut envelope: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let mut statement: Value =
        serde_json::from_slice(&decode_base64(envelope["payload"].as_str().unwrap()).unwrap())
            .unwrap();
    change(&mut statement);
    envelope["payload"] = Value::String(encode_base64(statement.to_string().as_bytes()));
    fs::write(path, envelope.to_string()).unwrap();
}

#[test]
fn the_attestation_verifiers_layouts_verify_its_data() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let (code, out) = run(
        dir.path(),
        &["verify", "-l", "layouts/layout.yml", "-a", "test-data"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, codes, report) = json_codes(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout-npm.yml",
            "-a",
            "test-data-npm",
            "--substitute-parameters",
            "parameters/npm-sigstore.json",
        ],
    );
    assert_eq!((code, codes), (0, vec![]));
    assert_eq!(report["verified"], true);
    // Without the parameters the npm layout cannot be read: input error.
    let (code, out) = run(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout-npm.yml",
            "-a",
            "test-data-npm",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("layouts/layout-npm.yml: steps[0].expectedMaterials[0]"),
        "{out}"
    );
    // A parameter given on the command line overrides the file's.
    let (code, codes, _) = json_codes(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout-npm.yml",
            "-a",
            "test-data-npm",
            "--substitute-parameters",
            "parameters/npm-sigstore.json",
            "--param",
            "package_version=9.9.9",
        ],
    );
    assert_eq!(code, 1);
    assert!(codes.contains(&"attribute-failed".to_owned()), "{codes:?}");
}

#[test]
fn a_bundle_binds_by_signer_and_type() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let mut bundle = String::new();
    for step in ["clone", "test", "build"] {
        let text =
            fs::read_to_string(dir.path().join(format!("test-data/{step}.fe1c6281.json"))).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        bundle.push_str(&value.to_string());
        bundle.push('\n');
    }
    fs::write(dir.path().join("release.intoto.jsonl"), bundle).unwrap();
    let (code, out) = run(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout.yml",
            "-a",
            "release.intoto.jsonl",
        ],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn tampered_attestations_fail_and_say_where() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    tamper(&dir.path().join("test-data/test.fe1c6281.json"), |s| {
        s["predicate"]["result"] = "FAILED".into();
    });
    let (code, codes, report) = json_codes(
        dir.path(),
        &["verify", "-l", "layouts/layout.yml", "-a", "test-data"],
    );
    assert_eq!(code, 1);
    assert_eq!(codes, ["attestation-unsigned", "threshold-not-met"]);
    let threshold = &report["diagnostics"][1];
    assert_eq!(threshold["subject"]["item"], "test");
    assert_eq!(
        threshold["subject"]["predicate_type"],
        "https://in-toto.io/attestation/test-result/v0.1"
    );
    let (code, out) = run(
        dir.path(),
        &["verify", "-l", "layouts/layout.yml", "-a", "test-data"],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("test-data/test.fe1c6281.json: no signature by a functionary"),
        "{out}"
    );
    assert!(
        out.contains("hint: attestations are read from the folders and bundles -a names"),
        "{out}"
    );
    assert!(!out.contains("--link-dir"), "{out}");
}

#[test]
fn a_signed_policy_needs_every_key_and_keys_need_a_signed_policy() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    for name in ["owner", "mallory"] {
        intoto(dir.path())
            .args(["key", "generate", name])
            .assert()
            .success();
    }
    let (code, out) = run(
        dir.path(),
        &[
            "sign",
            "--policy",
            "-f",
            "layouts/layout.yml",
            "-k",
            "owner",
            "-o",
            "policy.dsse.json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let verify = |keys: &[&str]| {
        let mut args = vec!["verify", "-l", "policy.dsse.json", "-a", "test-data"];
        if !keys.is_empty() {
            args.push("--verification-keys");
            args.extend_from_slice(keys);
        }
        json_codes(dir.path(), &args)
    };
    assert_eq!(verify(&["owner.pub"]).0, 0);
    let (code, codes, _) = verify(&["owner.pub", "mallory.pub"]);
    assert_eq!(
        (code, codes),
        (1, vec!["layout-signature-missing".to_owned()])
    );
    let (code, codes, _) = verify(&[]);
    assert_eq!((code, codes), (1, vec!["layout-no-keys".to_owned()]));
    // A changed payload breaks the signature.
    let mut envelope: Value =
        serde_json::from_slice(&fs::read(dir.path().join("policy.dsse.json")).unwrap()).unwrap();
    let text = String::from_utf8(decode_base64(envelope["payload"].as_str().unwrap()).unwrap())
        .unwrap()
        .replace("size(subject) != 0", "true");
    envelope["payload"] = Value::String(encode_base64(text.as_bytes()));
    fs::write(dir.path().join("policy.dsse.json"), envelope.to_string()).unwrap();
    let (code, codes, _) = verify(&["owner.pub"]);
    assert_eq!(
        (code, codes),
        (1, vec!["layout-signature-invalid".to_owned()])
    );
    // Keys for an unsigned policy: an input error.
    let (code, out) = run(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout.yml",
            "-a",
            "test-data",
            "--verification-keys",
            "owner.pub",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("the policy is not a signed envelope"), "{out}");
}

#[test]
fn bad_input_is_exit_2_with_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let layout = fs::read_to_string(dir.path().join("layouts/layout.yml")).unwrap();
    fs::write(
        dir.path().join("bad-rule.yml"),
        layout.replace(
            "size(predicate.failedTests) == 0",
            "size(predicate.failedTests ==",
        ),
    )
    .unwrap();
    let (code, out) = run(
        dir.path(),
        &["verify", "-l", "bad-rule.yml", "-a", "test-data"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(
            "bad-rule.yml: steps[1].expectedPredicates[0].expectedAttributes[0] (of \"test\")"
        ),
        "{out}"
    );
    let (code, out) = run(
        dir.path(),
        &["verify", "-l", "layouts/layout.yml", "-a", "missing"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("missing: cannot read"), "{out}");
    fs::write(dir.path().join("not-yaml.yml"), "steps: [\n").unwrap();
    let (code, out) = run(
        dir.path(),
        &["verify", "-l", "not-yaml.yml", "-a", "test-data"],
    );
    assert_eq!(code, 2, "{out}");
    // Policy flags without attestations.
    let (code, out) = run(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout.yml",
            "--verification-keys",
            "x.pub",
            "--subject",
            "x",
        ],
    );
    assert_eq!(code, 2, "{out}");
    // A malformed file in a folder is a warning, and does not count.
    fs::write(
        dir.path().join("test-data/deploy.fe1c6281.json"),
        "{not json",
    )
    .unwrap();
    let (code, codes, _) = json_codes(
        dir.path(),
        &["verify", "-l", "layouts/layout.yml", "-a", "test-data"],
    );
    assert_eq!((code, codes), (0, vec!["attestation-malformed".to_owned()]));
}

#[test]
fn final_artifacts_are_checked_against_the_attested_subjects() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    // The empty file is the attested `foo` of the clone step.
    fs::write(dir.path().join("foo"), "").unwrap();
    fs::write(dir.path().join("other"), "x").unwrap();
    let args = [
        "verify",
        "-l",
        "layouts/layout.yml",
        "-a",
        "test-data",
        "--subject",
    ];
    let (code, _, _) = json_codes(dir.path(), &[&args[..], &["foo"]].concat());
    assert_eq!(code, 0);
    let (code, codes, report) = json_codes(dir.path(), &[&args[..], &["other"]].concat());
    assert_eq!((code, codes), (1, vec!["subject-not-attested".to_owned()]));
    assert_eq!(
        report["diagnostics"][0]["subject"]["artifacts"][0]["path"],
        "other"
    );
}

#[test]
fn a_verification_summary_is_signed_checkable_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    intoto(dir.path())
        .args(["key", "generate", "verifier"])
        .assert()
        .success();
    fs::write(dir.path().join("foo"), "").unwrap();
    let summary = |out: &str, folder: &str| {
        run(
            dir.path(),
            &[
                "verify",
                "-l",
                "layouts/layout.yml",
                "-a",
                folder,
                "--subject",
                "foo",
                "--vsa",
                out,
                "--signing-key",
                "verifier",
                "--resource-uri",
                "pkg:generic/foo@1.0",
                "--verifier-id",
                "https://verifier.example.com",
                "--verified-level",
                "SLSA_BUILD_LEVEL_3",
            ],
        )
    };
    assert_eq!(summary("one.vsa.json", "test-data").0, 0);
    assert_eq!(summary("two.vsa.json", "test-data").0, 0);
    let predicate = |file: &str| {
        let envelope: Value =
            serde_json::from_slice(&fs::read(dir.path().join(file)).unwrap()).unwrap();
        let mut statement: Value =
            serde_json::from_slice(&decode_base64(envelope["payload"].as_str().unwrap()).unwrap())
                .unwrap();
        statement["predicate"]
            .as_object_mut()
            .unwrap()
            .remove("timeVerified");
        statement
    };
    let one = predicate("one.vsa.json");
    assert_eq!(one, predicate("two.vsa.json"));
    assert_eq!(one["predicate"]["verificationResult"], "PASSED");
    assert_eq!(
        one["predicate"]["inputAttestations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        one["predicate"]["policy"]["digest"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let (code, out) = run(
        dir.path(),
        &[
            "vsa",
            "verify",
            "one.vsa.json",
            "--subject",
            "foo",
            "--verification-keys",
            "verifier.pub",
            "--verifier-id",
            "https://verifier.example.com",
            "--resource-uri",
            "pkg:generic/foo@1.0",
            "--verified-level",
            "SLSA_BUILD_LEVEL_2",
        ],
    );
    assert_eq!(code, 0, "{out}");

    // A failed verification leaves a FAILED summary, which vsa verify refuses.
    tamper(&dir.path().join("test-data/build.fe1c6281.json"), |s| {
        s["subject"][0]["name"] = "bin/bar".into();
    });
    assert_eq!(summary("failed.vsa.json", "test-data").0, 1);
    assert_eq!(
        predicate("failed.vsa.json")["predicate"]["verificationResult"],
        "FAILED"
    );
    assert_eq!(
        predicate("failed.vsa.json")["predicate"]["verifiedLevels"],
        serde_json::json!([])
    );
    let (code, _) = run(
        dir.path(),
        &[
            "vsa",
            "verify",
            "failed.vsa.json",
            "--subject",
            "foo",
            "--verification-keys",
            "verifier.pub",
        ],
    );
    assert_eq!(code, 1);
}

#[test]
fn classic_layouts_keep_working_with_the_same_command() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    copy_dir(&vector("in-toto-golang"), &demo);
    let (code, out) = run(
        &demo,
        &[
            "verify",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
        ],
    );
    assert!(code == 0 || code == 1, "{out}");
    assert!(!out.contains("attestation"), "{out}");
}

/// The keyid of `name`.pub, and its `intoto key layout` entry.
fn key_entry(dir: &Path, name: &str) -> (String, Value) {
    let out = intoto(dir)
        .args(["key", "layout", &format!("{name}.pub")])
        .output()
        .unwrap();
    let entry: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (keyid, key) = entry.as_object().unwrap().iter().next().unwrap();
    (keyid.clone(), key.clone())
}

fn provenance(dir: &Path, out: &str, key: &str, source_digest: &str) {
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": "https://example.com/build/v1",
            "externalParameters": {},
            "resolvedDependencies": [{"name": "src/main.c", "digest": {"sha256": source_digest}}],
        },
        "runDetails": {"builder": {"id": "https://ci.example.com"}},
    });
    fs::write(dir.join("provenance.json"), predicate.to_string()).unwrap();
    intoto(dir)
        .args([
            "attest",
            "--type",
            "provenance",
            "--predicate",
            "provenance.json",
        ])
        .args(["--subject", "bin/app", "--signing-key", key, "-o", out])
        .assert()
        .success();
}

#[test]
fn a_sublayout_stands_for_its_step_with_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["builder", "compiler", "releaser"] {
        intoto(d).args(["key", "generate", name]).assert().success();
    }
    let (builder, builder_key) = key_entry(d, "builder");
    let (compiler, compiler_key) = key_entry(d, "compiler");
    let (releaser, releaser_key) = key_entry(d, "releaser");
    fs::create_dir_all(d.join("bin")).unwrap();
    fs::write(d.join("bin/app"), "the program\n").unwrap();
    // The builder's own chain: one compile step.
    let sub = serde_json::json!({
        "expires": "2100-01-01T00:00:00Z",
        "functionaries": {compiler.clone(): compiler_key},
        "steps": [{
            "name": "compile",
            "expectedMaterials": ["ALLOW src/*", "DISALLOW *"],
            "expectedProducts": ["CREATE bin/app", "DISALLOW *"],
            "expectedPredicates": [{
                "predicateType": "https://slsa.dev/provenance/v1",
                "expectedAttributes": [{"rule": "predicate.runDetails.builder.id == 'https://ci.example.com'"}],
                "functionaries": [compiler.clone()],
            }],
        }],
    });
    fs::write(d.join("sub.json"), sub.to_string()).unwrap();
    fs::create_dir_all(d.join("atts")).unwrap();
    let short = |k: &str| k[..8].to_owned();
    let sub_file = format!("atts/build.{}.json", short(&builder));
    intoto(d)
        .args([
            "sign", "--policy", "-f", "sub.json", "-k", "builder", "-o", &sub_file,
        ])
        .assert()
        .success();
    let sub_dir = format!("atts/build.{}", short(&builder));
    fs::create_dir_all(d.join(&sub_dir)).unwrap();
    provenance(
        d,
        &format!("{sub_dir}/compile.{}.json", short(&compiler)),
        "compiler",
        &"aa".repeat(32),
    );
    // The root policy delegates the build step, and releases its product.
    let root = serde_json::json!({
        "expires": "2100-01-01T00:00:00Z",
        "functionaries": {builder.clone(): builder_key, releaser.clone(): releaser_key},
        "steps": [
            {
                "name": "build",
                "expectedProducts": ["CREATE bin/app", "DISALLOW *"],
                "expectedPredicates": [{
                    "predicateType": "https://example.invalid/intoto/attestation/sublayout/v0.1",
                    "functionaries": [builder.clone()],
                }],
            },
            {
                "name": "release",
                "expectedMaterials": ["MATCH bin/app WITH products FROM build", "DISALLOW *"],
                "expectedPredicates": [{
                    "predicateType": "https://example.com/release/v1",
                    "functionaries": [releaser.clone()],
                }],
            },
        ],
    });
    fs::write(d.join("root.json"), root.to_string()).unwrap();
    fs::write(d.join("release.json"), "{}").unwrap();
    intoto(d)
        .args([
            "attest",
            "--type",
            "custom",
            "--predicate-type-uri",
            "https://example.com/release/v1",
        ])
        .args([
            "--predicate",
            "release.json",
            "--subject",
            "bin/app",
            "--signing-key",
            "releaser",
        ])
        .args(["-o", &format!("atts/release.{}.json", short(&releaser))])
        .assert()
        .success();
    let (code, codes, report) = json_codes(d, &["verify", "-l", "root.json", "-a", "atts"]);
    assert_eq!((code, &codes), (0, &vec![]), "{report}");

    // The compiler's provenance from another builder fails the sublayout,
    // and the finding says where.
    let compile = format!("{sub_dir}/compile.{}.json", short(&compiler));
    tamper(&d.join(&compile), |s| {
        s["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example.com".into();
    });
    let (code, codes, report) = json_codes(d, &["verify", "-l", "root.json", "-a", "atts"]);
    assert_eq!(code, 1);
    assert!(
        codes.contains(&"attestation-unsigned".to_owned()),
        "{codes:?}"
    );
    assert!(codes.contains(&"threshold-not-met".to_owned()), "{codes:?}");
    let threshold = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "threshold-not-met")
        .unwrap();
    assert_eq!(threshold["subject"]["sublayout"][0], sub_file);
    assert_eq!(threshold["subject"]["item"], "compile");

    // Re-signed by the compiler with the wrong builder: the attribute rule
    // inside the sublayout fails.
    fs::remove_file(d.join(&compile)).unwrap();
    let predicate = serde_json::json!({
        "buildDefinition": {
            "buildType": "https://example.com/build/v1",
            "externalParameters": {},
            "resolvedDependencies": [{"name": "src/main.c", "digest": {"sha256": "aa".repeat(32)}}],
        },
        "runDetails": {"builder": {"id": "https://evil.example.com"}},
    });
    fs::write(d.join("evil.json"), predicate.to_string()).unwrap();
    intoto(d)
        .args(["attest", "--type", "provenance", "--predicate", "evil.json"])
        .args([
            "--subject",
            "bin/app",
            "--signing-key",
            "compiler",
            "-o",
            &compile,
        ])
        .assert()
        .success();
    let (code, codes, _) = json_codes(d, &["verify", "-l", "root.json", "-a", "atts"]);
    assert_eq!((code, codes), (1, vec!["attribute-failed".to_owned()]));

    // A sublayout signed by a key the step does not list does not count.
    provenance(d, &compile, "compiler", &"aa".repeat(32));
    intoto(d)
        .args([
            "sign", "--policy", "-f", "sub.json", "-k", "releaser", "-o", &sub_file,
        ])
        .assert()
        .success();
    let (code, codes, _) = json_codes(d, &["verify", "-l", "root.json", "-a", "atts"]);
    assert_eq!(code, 1);
    assert!(codes.contains(&"threshold-not-met".to_owned()), "{codes:?}");
}

#[test]
fn the_report_pictures_a_policy_verification() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    tamper(&dir.path().join("test-data/test.fe1c6281.json"), |s| {
        s["predicate"]["result"] = "FAILED".into();
    });
    let (code, out) = run(
        dir.path(),
        &[
            "verify",
            "-l",
            "layouts/layout.yml",
            "-a",
            "test-data",
            "--report",
            "report.html",
        ],
    );
    assert_eq!(code, 1, "{out}");
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("https://in-toto.io/attestation/test-result/v0.1"),
        "{html}"
    );
    assert!(html.contains("threshold-not-met"));
    assert!(html.contains("counted test-data/build.fe1c6281.json"));
}

#[test]
fn a_folder_binds_the_link_attestations_of_run_attest_and_passes_over_classic_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    intoto(d)
        .args(["key", "generate", "bob"])
        .assert()
        .success();
    fs::write(d.join("foo"), "foo\n").unwrap();
    fs::create_dir(d.join("links")).unwrap();
    // clone.<keyid8>.link holds a link attestation; other.<keyid8>.link a
    // classic link, which the policy does not read.
    for (step, attest) in [("clone", true), ("other", false)] {
        intoto(d)
            .args(["run", "-n", step, "-p", "foo", "--signing-key", "bob"])
            .args(["-d", "links"])
            .args(if attest { &["--attest"][..] } else { &[] })
            .args(["--", "true"])
            .assert()
            .success();
    }
    let key =
        intoto::fs::read_public_key(&d.join("bob.pub"), intoto::crypto::KeyIdForm::Modern).unwrap();
    let keyid = key.keyid().as_str();
    let public = key.key_dict().as_map()["keyval"]["public"]
        .as_str()
        .unwrap()
        .to_owned();
    fs::write(
        d.join("policy.yml"),
        format!(
            "expires: \"2100-01-01T00:00:00Z\"\n\
             functionaries:\n  \"{keyid}\":\n    keyType: ed25519\n    scheme: ed25519\n    \
             keyVal: {{public: \"{public}\"}}\n\
             steps:\n  - name: clone\n    expectedProducts: [\"CREATE foo\", \"DISALLOW *\"]\n    \
             expectedPredicates:\n      - predicateType: https://in-toto.io/attestation/link/v0.3\n        \
             functionaries: [\"{keyid}\"]\n"
        ),
    )
    .unwrap();
    let (code, codes, _) = json_codes(d, &["verify", "-l", "policy.yml", "-a", "links"]);
    assert_eq!((code, codes), (0, Vec::<String>::new()));
}
