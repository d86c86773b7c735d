//! `intoto vsa verify`: a summary made with `intoto attest --type vsa`
//! vouches for its artifact only when every check holds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use intoto_test_support::intoto;

fn setup(dir: &Path) {
    for name in ["verifier", "mallory"] {
        intoto(dir)
            .args(["key", "generate", name])
            .assert()
            .success();
    }
    fs::write(dir.join("app.tar"), "the release\n").unwrap();
    fs::write(dir.join("other.tar"), "something else\n").unwrap();
}

fn vsa(dir: &Path, out: &str, time: &str, result: &str, key: &str, bundle: bool) {
    let predicate = json!({
        "verifier": {"id": "https://verifier.example.com"},
        "timeVerified": time,
        "resourceUri": "pkg:generic/app@1.0",
        "policy": {"uri": "https://example.com/policy.yml", "digest": {"sha256": "ab"}},
        "verificationResult": result,
        "verifiedLevels": ["SLSA_BUILD_LEVEL_3"],
    });
    fs::write(dir.join("vsa-predicate.json"), predicate.to_string()).unwrap();
    intoto(dir)
        .args([
            "attest",
            "--type",
            "vsa",
            "--predicate",
            "vsa-predicate.json",
        ])
        .args(["--subject", "app.tar", "--signing-key", key])
        .args([if bundle { "--bundle" } else { "-o" }, out])
        .assert()
        .success();
}

fn check(dir: &Path, file: &str, extra: &[&str]) -> (i32, String) {
    let out = intoto(dir)
        .args(["vsa", "verify", file, "--verification-keys", "verifier.pub"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_summary_vouches_only_for_its_artifact_when_every_check_holds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    vsa(d, "good.json", &now, "PASSED", "verifier", false);
    let strict = [
        "--subject",
        "app.tar",
        "--verifier-id",
        "https://verifier.example.com",
        "--resource-uri",
        "pkg:generic/app@1.0",
        "--verified-level",
        "SLSA_BUILD_LEVEL_2",
        "--max-age",
        "1h",
    ];
    let (code, out) = check(d, "good.json", &strict);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("the summary vouches for the artifact"),
        "{out}"
    );

    let (code, out) = check(d, "good.json", &["--subject", "other.tar"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not about this artifact"), "{out}");
    let (code, out) = check(
        d,
        "good.json",
        &[
            "--subject",
            "app.tar",
            "--verified-level",
            "SLSA_BUILD_LEVEL_4",
            "--verifier-id",
            "https://other.example",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("level SLSA_BUILD_LEVEL_4"), "{out}");
    assert!(out.contains("verifier.id is"), "{out}");

    vsa(
        d,
        "old.json",
        "2020-01-01T00:00:00Z",
        "PASSED",
        "verifier",
        false,
    );
    let (code, out) = check(d, "old.json", &["--subject", "app.tar", "--max-age", "24h"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not fresh"), "{out}");

    vsa(d, "failed.json", &now, "FAILED", "verifier", false);
    let (code, out) = check(d, "failed.json", &["--subject", "app.tar"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("says FAILED"), "{out}");

    vsa(d, "forged.json", &now, "PASSED", "mallory", false);
    let (code, out) = check(d, "forged.json", &["--subject", "app.tar"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not signed by every key"), "{out}");
}

#[test]
fn in_a_bundle_one_passing_summary_is_enough_and_json_lists_each() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    vsa(d, "r.intoto.jsonl", &now, "FAILED", "verifier", true);
    vsa(d, "r.intoto.jsonl", &now, "PASSED", "verifier", true);
    let digest = {
        let out = intoto(d)
            .args([
                "attest",
                "--type",
                "https://example.com/x/v1",
                "--predicate",
                "-",
            ])
            .args(["--subject", "app.tar", "--signing-key", "verifier"])
            .write_stdin("{\"x\": 1}")
            .output()
            .unwrap();
        let env: Value = serde_json::from_slice(&out.stdout).unwrap();
        let payload =
            intoto::model::envelope::decode_base64(env["payload"].as_str().unwrap()).unwrap();
        let st: Value = serde_json::from_slice(&payload).unwrap();
        st["subject"][0]["digest"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let out = intoto(d)
        .args(["--format", "json", "vsa", "verify", "r.intoto.jsonl"])
        .args([
            "--subject-digest",
            &format!("sha256:{digest}"),
            "-k",
            "verifier.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["summaries"][0]["passed"], false);
    assert_eq!(report["summaries"][0]["at"], ":1");
    assert_eq!(report["summaries"][1]["passed"], true);
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    fs::write(d.join("notes.txt"), "not a summary\n").unwrap();
    for (args, expected) in [
        (
            &["notes.txt", "--subject", "app.tar"][..],
            "neither a DSSE envelope",
        ),
        (
            &["missing.json", "--subject", "app.tar"][..],
            "missing.json",
        ),
        (
            &["notes.txt", "--subject", "nope.tar"][..],
            "--subject nope.tar",
        ),
        (&["notes.txt", "--subject-digest", "abc"][..], "not ALG:HEX"),
        (
            &["notes.txt", "--subject", "app.tar", "--max-age", "soon"][..],
            "not a duration",
        ),
    ] {
        let out = intoto(d)
            .args(["vsa", "verify"])
            .args(args)
            .args(["-k", "verifier.pub"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
