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

/// The three releases `demo --policy` must stop: their event, the code of
/// the finding, and what the finding's line says.
const STOPS: [(&str, &str, &[&str]); 3] = [
    (
        "attack-critical-vulnerability",
        "attribute-failed",
        &[
            "error[attribute-failed]: step 'scan': https://in-toto.io/attestation/vulns/v0.2 attestation attack-critical-vulnerability/attestations/hello-1.4.2.intoto.jsonl:",
            "does not hold: it evaluated to false (predicate.scanner.result = [",
            "\"id\": \"CVE-2022-37434\"",
            ") — no CRITICAL vulnerability may ship",
        ],
    ),
    (
        "attack-unreviewed-commit",
        "rule-disallow-matched",
        &[
            "error[rule-disallow-matched]: attack-unreviewed-commit/attestations/build.",
            "step 'build': materials rule 1 (DISALLOW *) matched 'src/hello.c' (sha256:",
            "rule 0 (MATCH src/* WITH MATERIALS FROM review) selected it but its digests differ from those of 'src/hello.c' among the materials of 'review' (sha256:",
        ],
    ),
    (
        "attack-wrong-builder",
        "attribute-failed",
        &[
            "error[attribute-failed]: step 'build': https://slsa.dev/provenance/v1 attestation attack-wrong-builder/attestations/build.",
            "`predicate.runDetails.builder.id == 'https://ci.example.com/hosted-runner'` does not hold: it evaluated to false (predicate.runDetails.builder.id = \"https://ci.example.com/self-hosted/runner-7\") — the release must be built by the hosted builder",
        ],
    ),
];

#[test]
fn the_policy_demo_releases_and_stops_three_releases_that_must_not_ship() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("release");
    let out = intoto(dir.path())
        .args(["demo", "--policy", "--dir"])
        .arg(&root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for made in [
        "-> code review by alice, bob: approved by alice, bob; about src/build.sh, src/hello.c, src/test.sh; signed by alice and bob",
        "-> SLSA provenance v1: built by https://ci.example.com/hosted-runner",
        "-> tests PASSED: 3 passed, 0 warned, 0 failed; about dist/hello-1.4.2.tar; signed by ci",
        "-> vulnerability scan by https://github.com/anchore/grype 0.87.0: 0 findings (0 critical, 0 high)",
        "-> SPDX SPDX-2.3 document \"hello-1.4.2\": 2 packages; about dist/hello-1.4.2.tar; signed by scanner",
        "-> release pkg:generic/hello@1.4.2; about dist/hello-1.4.2.tar; signed by rita",
        "$ intoto run -n build -m src -p dist/hello-1.4.2.tar --attest provenance --builder-id https://ci.example.com/hosted-runner",
        "$ intoto attest --type test-result --from junit.xml --subject dist/hello-1.4.2.tar",
    ] {
        assert!(stdout.contains(made), "{made}: {stdout}");
    }
    for outcome in [
        "signs a summary: PASSED",
        "verified: the supply chain of policy/release.yml.dsse.json passed all checks",
        "wrote the verification summary (PASSED) to hello-1.4.2.vsa.json",
        "hello-1.4.2.vsa.json: the summary vouches for the artifact",
        "the three releases that must not ship were stopped",
    ] {
        assert!(stdout.contains(outcome), "{outcome}: {stdout}");
    }
    for (name, code, finding) in STOPS {
        let (_, story) = stdout.split_once(&format!("(in {name}/)")).unwrap();
        let story = story.split("\n\n").next().unwrap();
        for part in finding {
            assert!(story.contains(part), "{name}: {part}: {story}");
        }
        // The finding is the only error.
        assert_eq!(story.matches("error[").count(), 1, "{name}: {story}");
        assert!(
            story.lines().any(
                |l| l.starts_with("   => stopped by the ") && l.ends_with(&format!("({code})"))
            ),
            "{name}: {story}"
        );
    }

    // The folder is left to try the commands by hand: the release verifies
    // again, and not for another version or with another owner's key.
    let verify = |extra: &[&str], key: &str| {
        intoto(&root)
            .args(["verify", "-l", "policy/release.yml.dsse.json"])
            .args(["--verification-keys", key, "-a", "attestations"])
            .args(["--substitute-parameters", "policy/params.json"])
            .args(["--subject", "work/dist/hello-1.4.2.tar"])
            .args(extra)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(verify(&[], "keys/olga.pub"), Some(0));
    assert_eq!(
        verify(&["--param", "version=1.4.3"], "keys/olga.pub"),
        Some(1)
    );
    assert_eq!(verify(&[], "keys/alice.pub"), Some(1));
    // The summary vouches for the released package, not for another build.
    let vsa = |package: &str| {
        intoto(&root)
            .args([
                "vsa",
                "verify",
                "hello-1.4.2.vsa.json",
                "--subject",
                package,
            ])
            .args(["--verification-keys", "keys/gate.pub"])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(vsa("work/dist/hello-1.4.2.tar"), Some(0));
    assert_eq!(
        vsa("attack-unreviewed-commit/work/dist/hello-1.4.2.tar"),
        Some(1)
    );
}

#[test]
fn the_policy_demo_json_report_names_each_stop_and_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = intoto(dir.path())
        .args(["demo", "--policy", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], Value::Bool(true));
    assert_eq!(report["demo"], "policy");
    let events = report["events"].as_array().unwrap();
    let event = |name: &str| events.iter().find(|e| e["event"] == name).unwrap().clone();
    assert_eq!(event("verify")["passed"], Value::Bool(true));
    assert_eq!(event("verify")["codes"], serde_json::json!([]));
    assert_eq!(event("vsa")["verified"], Value::Bool(true));
    let made: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| {
            e["event"] == "attestation" && e["file"].as_str().unwrap().starts_with("attestations/")
        })
        .map(|e| {
            (
                e["step"].as_str().unwrap(),
                e["predicateType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        made,
        [
            (
                "review",
                "https://example.invalid/intoto/attestation/review/v0.1"
            ),
            ("build", "https://slsa.dev/provenance/v1"),
            ("test", "https://in-toto.io/attestation/test-result/v0.1"),
            ("scan", "https://in-toto.io/attestation/vulns/v0.2"),
            ("sbom", "https://spdx.dev/Document/v2.3"),
            ("release", "https://in-toto.io/attestation/release/v0.1"),
        ]
    );
    for (name, code, finding) in STOPS {
        assert_eq!(event(name)["caught"], Value::Bool(true), "{name}");
        assert_eq!(event(name)["codes"], serde_json::json!([code]), "{name}");
        let line = event(name)["findings"][0].as_str().unwrap().to_owned();
        assert!(line.starts_with(finding[0]), "{name}: {line}");
    }
    // The release demo has no legacy links to write as DSSE.
    let out = intoto(dir.path())
        .args(["demo", "--policy", "--use-dsse"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
