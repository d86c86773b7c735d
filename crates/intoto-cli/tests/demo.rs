//! `intoto demo`: the untampered chain verifies (with us and with the
//! reference), and both attacks are caught.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

use intoto_test_support::intoto;
use intoto_test_support::{pyref_command, require_pyref};

#[test]
fn the_demo_verifies_the_chain_and_catches_both_attacks() {
    let dir = tempfile::tempdir().unwrap();
    let out = intoto(dir.path()).arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("with alice.pub: PASSED"), "{stdout}");
    assert!(
        stdout.contains("step 'package': materials rule 1 (DISALLOW *) matched 'build/hello'"),
        "{stdout}"
    );
    assert!(
        stdout.contains("inspection 'untar': materials rule"),
        "{stdout}"
    );
    assert!(stdout.contains("both attacks were caught"), "{stdout}");
    for produced in [
        "SLSA provenance v1: built by https://example.com/demo/bob-laptop",
        "tests PASSED: 3 passed, 0 warned, 0 failed; about hello.tar; signed by carol",
        "vulnerability scan by https://example.com/hello-scanner 1.0.0: 0 findings",
        "3 attestations in the bundle; each signature verifies",
    ] {
        assert!(stdout.contains(produced), "{produced}: {stdout}");
    }
}

#[test]
fn the_json_report_lists_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = intoto(dir.path())
        .args(["demo", "--use-dsse", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], Value::Bool(true));
    assert_eq!(report["envelope"], "DSSE");
    let events = report["events"].as_array().unwrap();
    let event = |name: &str| events.iter().find(|e| e["event"] == name).unwrap().clone();
    assert_eq!(event("verify")["passed"], Value::Bool(true));
    assert_eq!(
        event("attestations")["predicateTypes"],
        serde_json::json!([
            "https://slsa.dev/provenance/v1",
            "https://in-toto.io/attestation/test-result/v0.1",
            "https://in-toto.io/attestation/vulns/v0.2"
        ])
    );
    for attack in ["attack-between-steps", "attack-in-transit"] {
        assert_eq!(event(attack)["caught"], Value::Bool(true), "{attack}");
        assert!(
            event(attack)["codes"]
                .as_array()
                .unwrap()
                .contains(&Value::from("rule-disallow-matched"))
        );
    }
}

#[test]
fn the_reference_agrees_with_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("chain");
    intoto(dir.path())
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .success();
    let Some(verify) = require_pyref("in-toto-verify") else {
        return;
    };
    let run = |folder: &str| {
        pyref_command(&verify)
            .current_dir(root.join(folder))
            .args([
                "-l",
                "root.layout",
                "--verification-keys",
                "../keys/alice.pub",
            ])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(
        run("client"),
        Some(0),
        "the reference rejected the untampered demo chain"
    );
    assert_eq!(run("attack-in-transit"), Some(1));
    assert_eq!(run("attack-between-steps/client"), Some(1));
    // Verifying again in the same folder still passes.
    intoto(&root.join("client"))
        .args([
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "../keys/alice.pub",
        ])
        .assert()
        .code(0);
}

#[test]
fn the_demo_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "").unwrap();
    let out = intoto(dir.path())
        .args(["demo", "--dir", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
}
