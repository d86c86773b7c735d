//! `intoto attest` and `run`/`record --attest provenance`: every statement
//! we sign is checked by the in-toto attestation framework's Python package
//! (Statement validation, and the predicate's message type where it has
//! one) and verified by securesystemslib's DSSE `Envelope.verify`; a
//! statement signed in Python verifies with us. Bad input exits 2 with a
//! one-line error and writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use intoto_test_support::{intoto, python_script, vector};

/// Runs tests/python/attestation.py with the reference venv's Python;
/// `None` when interoperability tests are skipped.
fn python(dir: &Path, args: &[&str]) -> Option<String> {
    let out = python_script(dir, "attestation.py", args)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "attestation.py {args:?}: {stdout}");
    Some(stdout)
}

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    for (name, kind) in [("alice", "ed25519"), ("bob", "ecdsa"), ("carol", "rsa")] {
        intoto(&dir)
            .args(["key", "generate", name, "--type", kind])
            .assert()
            .success();
    }
    fs::write(dir.join("app"), "the app\n").unwrap();
    fs::create_dir(dir.join("src")).unwrap();
    fs::write(dir.join("src/main.c"), "int main() { return 0; }\n").unwrap();
    (tmp, dir)
}

fn statement_of(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    let line = text.lines().rfind(|l| !l.trim().is_empty()).unwrap();
    let env: Value = serde_json::from_str(line).unwrap();
    let payload = intoto::model::envelope::decode_base64(env["payload"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[test]
fn generated_predicates_pass_the_frameworks_checks_and_verify_with_securesystemslib() {
    let (_tmp, dir) = workspace();
    let reports = [
        ("test-result", "junit/pytest.xml", true),
        ("vulns", "sarif/trivy-alpine-310.sarif", true),
        ("vulns", "grype/image.json", true),
        ("vulns", "trivy/alpine-310.json", true),
        // The SPDX document describes an image with a digest: its subject.
        ("spdx", "spdx/syft-image.spdx.json", false),
        ("cyclonedx", "cyclonedx/lhc-vdm-editor.cdx.json", true),
    ];
    for (i, (kind, report, subject)) in reports.into_iter().enumerate() {
        let out = dir.join(format!("{i}.intoto.json"));
        let report = vector(&format!("tool-reports/{report}"));
        let mut cmd = intoto(&dir);
        cmd.args(["attest", "--type", kind, "--from"])
            .arg(&report)
            .args(["--signing-key", "alice", "--signing-key", "bob", "-o"])
            .arg(&out);
        if subject {
            cmd.args(["--subject", "app"]);
        }
        if kind == "test-result" {
            cmd.args([
                "--config",
                "src/main.c",
                "--url",
                "https://ci.example.com/run/7",
            ]);
        }
        cmd.assert().success();
        let Some(valid) = python(&dir, &["validate", out.to_str().unwrap()]) else {
            return;
        };
        assert!(valid.starts_with("valid"), "{valid}");
        python(
            &dir,
            &["verify", out.to_str().unwrap(), "alice.pub", "bob.pub"],
        );
        let st = statement_of(&out);
        match kind {
            "test-result" => {
                assert_eq!(st["predicate"]["result"], "FAILED");
                assert_eq!(st["predicate"]["failedTests"].as_array().unwrap().len(), 2);
                assert_eq!(st["predicate"]["configuration"][0]["name"], "src/main.c");
                assert!(valid.contains("known"), "{valid}");
            }
            "spdx" => {
                assert_eq!(st["predicateType"], "https://spdx.dev/Document/v2.3");
                assert_eq!(st["subject"][0]["name"], "user-image-input");
            }
            "vulns" => {
                assert!(
                    !st["predicate"]["scanner"]["result"]
                        .as_array()
                        .unwrap()
                        .is_empty()
                )
            }
            _ => {}
        }
    }
    // The code-review predicate, made from flags.
    intoto(&dir)
        .args(["attest", "--type", "review", "--change", "gitCommit:1A2B3C"])
        .args(["--change-uri", "https://git.example.com/app/pull/7"])
        .args([
            "--reviewer",
            "alice",
            "--reviewer",
            "bob",
            "--approved-by",
            "bob",
        ])
        .args(["--subject-digest", "app=gitCommit:1a2b3c"])
        .args([
            "--signing-key",
            "alice",
            "--signing-key",
            "bob",
            "-o",
            "review.json",
        ])
        .assert()
        .success();
    python(&dir, &["validate", "review.json"]);
    python(&dir, &["verify", "review.json", "alice.pub", "bob.pub"]);
    let st = statement_of(&dir.join("review.json"));
    assert_eq!(st["predicate"]["change"]["digest"]["gitCommit"], "1a2b3c");
    assert_eq!(st["predicate"]["approvals"], serde_json::json!(["bob"]));
    intoto(&dir)
        .args(["attest", "--type", "review", "--change", "gitCommit:1a2b3c"])
        .args(["--reviewer", "alice", "--approved-by", "mallory"])
        .args([
            "--subject",
            "app",
            "--signing-key",
            "alice",
            "-o",
            "bad-review.json",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "`predicate.approvals[0]` is not one of the reviewers",
        ));
    assert!(!dir.join("bad-review.json").exists());
}

#[test]
fn provenance_is_written_beside_the_link_by_run_and_record() {
    let (_tmp, dir) = workspace();
    intoto(&dir)
        .args([
            "run",
            "-n",
            "build",
            "-m",
            "src",
            "-p",
            "app",
            "--signing-key",
            "carol",
        ])
        .args([
            "--attest",
            "provenance",
            "--builder-id",
            "https://ci.example.com/runner/1",
        ])
        .args(["--", "true"])
        .assert()
        .success();
    intoto(&dir)
        .args([
            "record",
            "start",
            "-n",
            "package",
            "-m",
            "app",
            "--signing-key",
            "alice",
        ])
        .assert()
        .success();
    fs::write(dir.join("app.tar"), "packed\n").unwrap();
    intoto(&dir)
        .args([
            "record",
            "stop",
            "-n",
            "package",
            "-p",
            "app.tar",
            "--signing-key",
            "alice",
        ])
        .args([
            "--attest",
            "link,provenance",
            "--builder-id",
            "https://ci.example.com/runner/2",
        ])
        .assert()
        .success();
    let mut found = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !name.ends_with(".provenance.json") {
            continue;
        }
        found += 1;
        let st = statement_of(&path);
        let p = &st["predicate"];
        assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
        assert!(p["runDetails"]["metadata"]["startedOn"].is_string());
        assert!(p["runDetails"]["metadata"]["invocationId"].is_string());
        if name.starts_with("build.") {
            assert_eq!(
                p["buildDefinition"]["externalParameters"]["command"][0],
                "true"
            );
            assert_eq!(
                p["buildDefinition"]["resolvedDependencies"][0]["name"],
                "src/main.c"
            );
            assert_eq!(st["subject"][0]["name"], "app");
            assert_eq!(
                p["runDetails"]["builder"]["id"],
                "https://ci.example.com/runner/1"
            );
        } else {
            assert!(name.starts_with("package."), "{name}");
            assert_eq!(st["subject"][0]["name"], "app.tar");
        }
        if let Some(valid) = python(&dir, &["validate", path.to_str().unwrap()]) {
            assert!(valid.contains("known"), "{valid}");
        }
        let key = if name.starts_with("build.") {
            "carol.pub"
        } else {
            "alice.pub"
        };
        python(&dir, &["verify", path.to_str().unwrap(), key]);
    }
    assert_eq!(found, 2);
    // The link attestation written with it is checked by its predicate type.
    let link = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_str().unwrap().ends_with(".link") && p.to_str().unwrap().contains("package.")
        })
        .unwrap();
    if let Some(valid) = python(&dir, &["validate", link.to_str().unwrap()]) {
        assert!(valid.contains("link/v0.3 known"), "{valid}");
    }
}

#[test]
fn bundles_statements_and_standard_input() {
    let (_tmp, dir) = workspace();
    fs::write(dir.join("p.json"), r#"{"deployedTo": "prod"}"#).unwrap();
    for _ in 0..2 {
        intoto(&dir)
            .args([
                "attest",
                "--type",
                "https://example.com/deploy/v1",
                "--predicate",
                "-",
            ])
            .args(["--subject-digest", "registry.example/app=sha256:ABCD"])
            .args(["--signing-key", "alice", "--bundle", "release.intoto.jsonl"])
            .write_stdin(r#"{"deployedTo": "prod"}"#)
            .assert()
            .success();
    }
    let bundle = fs::read_to_string(dir.join("release.intoto.jsonl")).unwrap();
    assert_eq!(bundle.lines().count(), 2);
    let st = statement_of(&dir.join("release.intoto.jsonl"));
    assert_eq!(st["subject"][0]["digest"]["sha256"], "abcd");
    python(&dir, &["verify", "release.intoto.jsonl", "alice.pub"]);

    // --statement signs the bytes as given; a custom type needs its URI.
    let text = "{\"subject\": [{\"digest\": {\"sha256\": \"ab\"}}],\n \"_type\": \"https://in-toto.io/Statement/v1\", \"predicateType\": \"https://example.com/x/v1\", \"predicate\": {\"k\": 1}}\n";
    fs::write(dir.join("st.json"), text).unwrap();
    intoto(&dir)
        .args([
            "attest",
            "--statement",
            "st.json",
            "--signing-key",
            "bob",
            "-o",
            "st.intoto.json",
        ])
        .assert()
        .success();
    let env: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("st.intoto.json")).unwrap()).unwrap();
    let payload = intoto::model::envelope::decode_base64(env["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload, text.as_bytes());
    python(&dir, &["verify", "st.intoto.json", "bob.pub"]);
    intoto(&dir)
        .args([
            "attest",
            "--type",
            "custom",
            "--predicate",
            "p.json",
            "--subject",
            "app",
        ])
        .args([
            "--signing-key",
            "alice",
            "--predicate-type-uri",
            "https://example.com/c/v1",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "\"payloadType\": \"application/vnd.in-toto+json\"",
        ));
}

#[test]
fn statements_signed_in_python_verify_with_us() {
    let (_tmp, dir) = workspace();
    let st = r#"{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "app", "digest": {"sha256": "ab"}}], "predicateType": "https://in-toto.io/attestation/test-result/v0.1", "predicate": {"result": "PASSED", "configuration": [{"name": "ci.yml", "digest": {"sha256": "cd"}}], "passedTests": ["unit"]}}"#;
    fs::write(dir.join("st.json"), st).unwrap();
    for key in ["alice", "bob", "carol"] {
        let out = format!("py-{key}.json");
        if python(&dir, &["sign", key, "st.json", &out]).is_none() {
            return;
        }
        intoto(&dir)
            .args(["sign", "--verify", "-k", &format!("{key}.pub"), "-f", &out])
            .assert()
            .success();
        let other = if key == "alice" {
            "bob.pub"
        } else {
            "alice.pub"
        };
        intoto(&dir)
            .args(["sign", "--verify", "-k", other, "-f", &out])
            .assert()
            .code(1);
    }
}

#[test]
fn bad_input_exits_2_with_one_line_and_writes_nothing() {
    let (_tmp, dir) = workspace();
    fs::write(dir.join("trunc.json"), r#"{"result": "PASSED", "configur"#).unwrap();
    fs::write(
        dir.join("bad.json"),
        r#"{"result": "OK", "configuration": []}"#,
    )
    .unwrap();
    fs::write(dir.join("prov.json"), r#"{"buildDefinition": {"externalParameters": {}}, "runDetails": {"builder": {"id": "b"}}}"#).unwrap();
    fs::write(
        dir.join("ok.json"),
        r#"{"result": "PASSED", "configuration": []}"#,
    )
    .unwrap();
    fs::write(dir.join("notakey"), "not a key").unwrap();
    fs::write(dir.join("notes.txt"), "my notes\n").unwrap();
    let cases: [(&[&str], &str); 9] = [
        (
            &[
                "--type",
                "test-result",
                "--predicate",
                "trunc.json",
                "--subject",
                "app",
            ],
            "trunc.json: not JSON",
        ),
        (
            &[
                "--type",
                "test-result",
                "--predicate",
                "bad.json",
                "--subject",
                "app",
            ],
            "`predicate.result` must be PASSED, WARNED or FAILED",
        ),
        (
            &[
                "--type",
                "provenance",
                "--predicate",
                "prov.json",
                "--subject",
                "app",
            ],
            "`predicate.buildDefinition.buildType` is missing",
        ),
        (
            &[
                "--type",
                "test-result",
                "--predicate",
                "ok.json",
                "--subject",
                "missing.bin",
            ],
            "subject missing.bin",
        ),
        (
            &["--type", "test-result", "--predicate", "ok.json"],
            "no subjects",
        ),
        (
            &[
                "--type",
                "vuln",
                "--predicate",
                "ok.json",
                "--subject",
                "app",
            ],
            "unknown predicate type \"vuln\"",
        ),
        (
            &["--type", "vulns", "--from", "ok.json", "--subject", "app"],
            "ok.json",
        ),
        (
            &[
                "--type",
                "custom",
                "--predicate",
                "ok.json",
                "--subject",
                "app",
            ],
            "--predicate-type-uri",
        ),
        (
            &[
                "--type",
                "test-result",
                "--from",
                "notes.txt",
                "--subject",
                "app",
            ],
            "notes.txt",
        ),
    ];
    for (args, expected) in cases {
        let out = intoto(&dir)
            .arg("attest")
            .args(args)
            .args(["--signing-key", "alice", "-o", "out.json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        // Usage errors end with clap's pointer to --help.
        let lines = stderr
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
            .count();
        assert_eq!(lines, 1, "{args:?}: {stderr}");
        assert!(!dir.join("out.json").exists(), "{args:?} wrote output");
    }
    // An unreadable key: nothing is written, the bundle is left as it was.
    intoto(&dir)
        .args([
            "attest",
            "--type",
            "test-result",
            "--predicate",
            "ok.json",
            "--subject",
            "app",
        ])
        .args(["--signing-key", "notakey", "--bundle", "notes.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("notakey"));
    // Appending to a file that is not a bundle is refused.
    intoto(&dir)
        .args([
            "attest",
            "--type",
            "test-result",
            "--predicate",
            "ok.json",
            "--subject",
            "app",
        ])
        .args(["--signing-key", "alice", "--bundle", "notes.txt"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a bundle"));
    assert_eq!(
        fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "my notes\n"
    );
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
