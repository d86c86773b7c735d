//! `intoto show` on in-toto metadata as it is found in the wild: cosign
//! attestations, Witness collections and policies (signatures with
//! `certificate`, `intermediates`, `timestamps`), the attestation verifier's
//! statements (some with `type` for `_type`), Python `--use-dsse` links
//! (committed, and made by the reference's `in-toto-run`), URL-safe base64
//! envelopes and a bundle mixing in-toto lines with lines to skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use intoto_test_support::{intoto, reference, vector};

fn show(args: &[&Path], keys: &[PathBuf], json: bool) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = intoto(dir.path());
    cmd.arg("show").args(args);
    if !keys.is_empty() {
        cmd.arg("--verification-keys").args(keys);
    }
    if json {
        cmd.args(["--format", "json"]);
    }
    cmd.output().unwrap()
}

fn show_json(args: &[&Path], keys: &[PathBuf], code: i32) -> Value {
    let out = show(args, keys, true);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The first (only) document of the first file.
fn doc(v: &Value) -> &Value {
    &v["files"][0]["documents"][0]
}

fn av_key() -> PathBuf {
    vector("attestation-verifier/test-data-raw/key.pub")
}

#[test]
fn cosign_attestations_are_v0_1_statements_in_dsse() {
    let custom = vector("cosign/custom.intoto.json");
    let vuln = vector("cosign/vuln.intoto.json");
    let v = show_json(&[&custom, &vuln], &[], 0);
    let d = doc(&v);
    assert_eq!(d["wrapper"], "dsse");
    assert_eq!(d["payload_type"], "application/vnd.in-toto+json");
    let c = &d["content"];
    assert_eq!(c["type"], "statement");
    assert_eq!(c["version"], "v0.1");
    assert_eq!(c["type_key"], "_type");
    assert_eq!(
        c["predicate_type"],
        "https://cosign.sigstore.dev/attestation/v1"
    );
    assert_eq!(c["subjects"][0]["name"], "registry.local:5000/knative/demo");
    assert_eq!(
        c["subjects"][0]["digest"]["sha256"],
        "6c6fd6a4115c6e998ff357cd914680931bb9a6c1a7cd5f5cb2f5e1c0932ab6ed"
    );
    // cosign writes an empty keyid.
    assert_eq!(d["signatures"][0]["keyid"], "");
    let vuln = &v["files"][1]["documents"][0]["content"];
    assert_eq!(
        vuln["predicate_summary"],
        "vulnerability scan (vuln/v1): scanner ?, 0 result(s)"
    );
    // Without keys nothing is claimed about verification.
    assert_eq!(v["verified"], Value::Null);
    assert_eq!(d["verified"], Value::Null);
}

#[test]
fn cosign_text_output_names_the_wrapper_statement_and_subject() {
    let out = show(&[&vector("cosign/custom.intoto.json")], &[], false);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(
        t.contains("custom.intoto.json: DSSE envelope, statement v0.1\n"),
        "{t}"
    );
    assert!(t.contains("  statement type: https://in-toto.io/Statement/v0.1 (under `_type`)\n"));
    assert!(t.contains(
        "  subject: registry.local:5000/knative/demo sha256:6c6fd6a4115c6e998ff357cd914680931bb9a6c1a7cd5f5cb2f5e1c0932ab6ed\n"
    ));
    assert!(t.contains("  predicate: attestation/v1: 2 fields (Data, Timestamp)\n"));
    assert!(t.contains("  signature 1: no keyid\n"));
}

#[test]
fn witness_collection_verifies_with_its_key_whose_keyid_it_computes_otherwise() {
    let v = show_json(
        &[&vector("witness/cdx-att.json")],
        &[vector("witness/testpub.pem")],
        0,
    );
    let d = doc(&v);
    assert_eq!(d["content"]["version"], "v0.1");
    assert_eq!(
        d["content"]["predicate_type"],
        "https://witness.testifysec.com/attestation-collection/v0.1"
    );
    let sig = &d["signatures"][0];
    assert_eq!(
        sig["keyid"],
        "ae2dcc989ea9c109a36e8eba5c4bc16d8fafcfe8e1a614164670d50aedacd647"
    );
    assert_eq!(sig["verified_by"][0]["keyid_matches"], false);
    assert_eq!(d["verified"], true);
    assert_eq!(v["verified"], true);
}

#[test]
fn witness_signature_fields_are_listed_and_checked_with_the_certificate_key() {
    let policy = vector("witness/policy-presigned.json");
    let v = show_json(
        &[&policy],
        &[vector("witness/policy-presigned.cert.pub.pem")],
        0,
    );
    let d = doc(&v);
    // Not in-toto, so shown with a note and not counted for the exit code.
    assert_eq!(
        d["payload_type"],
        "https://witness.testifysec.com/policy/v0.1"
    );
    assert_eq!(d["note"]["code"], "other-payload-type");
    assert_eq!(d["content"], Value::Null);
    assert_eq!(d["verified"], Value::Null);
    let sig = &d["signatures"][0];
    assert_eq!(
        sig["fields"],
        serde_json::json!(["certificate", "intermediates", "timestamps"])
    );
    assert_eq!(
        sig["verified_by"][0]["key"],
        vector("witness/policy-presigned.cert.pub.pem")
            .display()
            .to_string()
    );
    let out = show(&[&policy], &[], false);
    assert!(
        text(&out).contains(
            "  signature 1: keyid 579c6f59f5f795ee86ff851b356d1ee8e990b004a9826ce478366d6f33b16bb0 [certificate, intermediates, timestamps]\n"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn attestation_verifier_statements_verify_and_the_type_key_is_reported() {
    let files: Vec<PathBuf> = [
        "test-data/clone.fe1c6281.json",
        "test-data/build.fe1c6281.json",
        "test-data/test.fe1c6281.json",
        "test-data-npm/build.fe1c6281.json",
        "test-data-npm/publish.fe1c6281.json",
    ]
    .iter()
    .map(|f| vector(&format!("attestation-verifier/{f}")))
    .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let v = show_json(&refs, &[av_key()], 0);
    let summaries: Vec<(&str, &str)> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["documents"][0]["content"];
            assert_eq!(f["documents"][0]["verified"], true, "{f}");
            (
                c["type_key"].as_str().unwrap(),
                c["predicate_summary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(summaries[0].0, "type");
    assert_eq!(
        summaries[0].1,
        "link of step \"clone\": command \"git clone https://example.com/foo.git\", 0 materials"
    );
    assert_eq!(summaries[1].0, "_type");
    assert!(
        summaries[1]
            .1
            .starts_with("SLSA provenance v1: built by https://github.com/slsa-framework/"),
        "{}",
        summaries[1].1
    );
    assert!(
        summaries[1].1.contains(
            "(build type https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1)"
        ),
        "{}",
        summaries[1].1
    );
    assert_eq!(summaries[2].1, "tests PASSED: 1 passed, 0 warned, 0 failed");
    assert_eq!(
        summaries[3].1,
        "SLSA provenance v0.2: built by https://github.com/actions/runner (build type https://github.com/npm/cli/gha/v2), 1 material"
    );
    assert_eq!(
        summaries[4].1,
        "publish/v0.1: 3 fields (name, registry, version)"
    );
    let out = show(&[refs[0]], &[], false);
    assert!(text(&out).contains("(under `type`)"), "{}", text(&out));
}

#[test]
fn a_tampered_payload_fails_with_the_key_its_signature_names() {
    let dir = tempfile::tempdir().unwrap();
    let original =
        fs::read_to_string(vector("attestation-verifier/test-data/test.fe1c6281.json")).unwrap();
    let mut envelope: Value = serde_json::from_str(&original).unwrap();
    let payload =
        intoto::model::envelope::decode_base64(envelope["payload"].as_str().unwrap()).unwrap();
    let tampered = String::from_utf8(payload)
        .unwrap()
        .replace("PASSED", "FAILED");
    envelope["payload"] = intoto::model::envelope::encode_base64(tampered.as_bytes()).into();
    let path = dir.path().join("tampered.json");
    fs::write(&path, envelope.to_string()).unwrap();
    let v = show_json(&[&path], &[av_key()], 1);
    let d = doc(&v);
    assert_eq!(
        d["content"]["predicate_summary"],
        "tests FAILED: 1 passed, 0 warned, 0 failed"
    );
    assert_eq!(d["signatures"][0]["verified_by"], serde_json::json!([]));
    assert_eq!(
        d["signatures"][0]["failed"][0],
        av_key().display().to_string()
    );
    assert_eq!(d["verified"], false);
    assert_eq!(v["verified"], false);
    let out = show(&[&path], &[av_key()], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("  verified: no (no signature verified by a given key)\n"));
}

#[test]
fn url_safe_unpadded_envelopes_verify_over_the_decoded_payload() {
    let v = show_json(
        &[&vector("derived/test.urlsafe.fe1c6281.json")],
        &[av_key()],
        0,
    );
    let d = doc(&v);
    assert_eq!(d["verified"], true);
    assert_eq!(d["signatures"][0]["verified_by"][0]["keyid_matches"], true);
}

#[test]
fn python_dsse_links_verify_with_their_functionaries_keys() {
    let demo = vector("in-toto-python/demo_files");
    let dsse = vector("in-toto-python/demo_dsse_files");
    let package = dsse.join("package.2f89b927.link");
    let write_code = dsse.join("write-code.776a00e2.link");
    let v = show_json(
        &[&package, &write_code],
        &[demo.join("bob.pub"), demo.join("carl.pub")],
        0,
    );
    let package = &v["files"][0]["documents"][0];
    assert_eq!(package["wrapper"], "dsse");
    assert_eq!(package["content"]["type"], "link");
    assert_eq!(package["content"]["name"], "package");
    assert_eq!(
        package["content"]["command"],
        serde_json::json!(["tar", "zcvf", "foo.tar.gz", "foo.py"])
    );
    assert_eq!(package["content"]["materials"], 1);
    assert_eq!(package["content"]["products"], 1);
    assert_eq!(
        package["signatures"][0]["verified_by"][0]["key"],
        demo.join("carl.pub").display().to_string()
    );
    let write_code = &v["files"][1]["documents"][0];
    assert_eq!(
        write_code["signatures"][0]["verified_by"][0]["key"],
        demo.join("bob.pub").display().to_string()
    );
    // Only the right key verifies each link: alice's verifies neither.
    let v = show_json(
        &[&dsse.join("package.2f89b927.link")],
        &[demo.join("alice.pub")],
        1,
    );
    assert_eq!(doc(&v)["verified"], false);
}

#[test]
fn a_layout_shows_its_steps_inspections_and_keys() {
    let layout = vector("in-toto-python/demo_dsse_files/demo.layout.template");
    let v = show_json(&[&layout], &[], 0);
    let c = &doc(&v)["content"];
    assert_eq!(c["type"], "layout");
    assert_eq!(c["steps"], serde_json::json!(["write-code", "package"]));
    assert_eq!(c["inspections"], serde_json::json!(["untar"]));
    assert_eq!(c["keys"].as_array().unwrap().len(), 2);
}

#[test]
fn a_link_made_by_the_reference_in_toto_run_use_dsse_is_shown_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("foo.py"), "print('hello')\n").unwrap();
    let pems = vector("in-toto-python/pems");
    let Some(mut run) = reference(dir.path(), "in-toto-run") else {
        return;
    };
    let out = run
        .args(["--use-dsse", "-n", "build", "--signing-key"])
        .arg(pems.join("ed25519_private_unencrypted.pem"))
        .args(["-m", "foo.py", "-p", "foo.py", "--", "true"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "link"))
        .expect("in-toto-run wrote a link");
    let v = show_json(&[&link], &[pems.join("ed25519_public.pem")], 0);
    let d = doc(&v);
    assert_eq!(d["wrapper"], "dsse");
    assert_eq!(d["content"]["name"], "build");
    assert_eq!(d["content"]["command"], serde_json::json!(["true"]));
    assert_eq!(d["content"]["materials"], 1);
    assert_eq!(d["content"]["return_value"], 0);
    assert_eq!(d["signatures"][0]["verified_by"][0]["keyid_matches"], true);
}

#[test]
fn a_mixed_bundle_keeps_in_toto_lines_and_skips_the_rest_with_a_note() {
    let bundle = vector("derived/mixed.intoto.jsonl");
    let keys = [av_key(), vector("witness/policy-presigned.cert.pub.pem")];
    // The cosign line's key is not published, so not every line verifies.
    let v = show_json(&[&bundle], &keys, 1);
    let f = &v["files"][0];
    assert_eq!(f["format"], "bundle");
    let lines: Vec<(u64, Option<&str>, Option<bool>)> = f["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["note"]["code"].as_str(),
                d["verified"].as_bool(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (1, None, Some(true)),
            (2, Some("blank"), None),
            (3, Some("not-json"), None),
            (4, Some("not-envelope"), None),
            (5, Some("other-payload-type"), None),
            (6, None, Some(true)),
            (7, None, Some(false)),
        ]
    );
    assert_eq!(
        f["documents"][3]["note"]["message"],
        "not a DSSE envelope: required field `payload` is missing"
    );
    assert_eq!(
        f["documents"][4]["signatures"][0]["verified_by"][0]["keyid_matches"],
        false
    );
    assert_eq!(f["documents"][5]["content"]["type_key"], "type");

    let out = show(&[&bundle], &[], false);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    let name = bundle.display();
    for want in [
        format!("{name}: bundle of 7 line(s), 4 DSSE envelope(s)\n"),
        format!("{name}:1: DSSE envelope, statement v1\n"),
        format!("{name}:2: skipped: blank line\n"),
        format!("{name}:3: skipped: not JSON"),
        format!(
            "{name}:5: DSSE envelope\n  payloadType: https://witness.testifysec.com/policy/v0.1\n  note: `payloadType` is"
        ),
        format!("{name}:7: DSSE envelope, statement v0.1\n"),
    ] {
        assert!(t.contains(&want), "missing {want:?} in\n{t}");
    }
}

#[test]
fn files_that_are_not_in_toto_exit_2_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "plain.json",
            "{\"x\": 1}\n",
            "plain.json: not in-toto metadata: expected a DSSE envelope",
        ),
        ("text.txt", "hello\n", "text.txt: not valid JSON"),
        (
            "nosubject.json",
            &format!(
                "{{\"payloadType\": \"application/vnd.in-toto+json\", \"payload\": \"{}\", \"signatures\": []}}",
                intoto::model::envelope::encode_base64(
                    br#"{"_type": "https://in-toto.io/Statement/v1", "predicateType": "p"}"#
                )
            ),
            "nosubject.json: required field `payload.subject` is missing",
        ),
        (
            "junk.intoto.jsonl",
            "\nnot json\n",
            "junk.intoto.jsonl: no line of the bundle is a DSSE envelope (2 line(s) read; line 2: not JSON",
        ),
    ];
    for (name, contents, message) in cases {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        let out = show(&[&path], &[], false);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(message), "{name}: {stderr}");
    }
    // A readable file and a missing one: the readable one is still shown.
    let good = vector("cosign/custom.intoto.json");
    let missing = dir.path().join("missing.json");
    let out = show(&[&good, &missing], &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("DSSE envelope, statement v0.1"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}
