//! `intoto sign` and `intoto key`, on their own and against the Python
//! reference (`in-toto-sign` 3.1.0) in both directions.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use intoto_test_support::{intoto, reference as py};
use intoto_test_support::{pyref_command, require_pyref};

fn keyid(dir: &Path, pubkey: &str) -> String {
    let out = intoto(dir).args(["key", "id", pubkey]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn generate(dir: &Path, name: &str, key_type: &str) -> String {
    intoto(dir)
        .args(["key", "generate", name, "--type", key_type])
        .assert()
        .success();
    keyid(dir, &format!("{name}.pub"))
}

/// An unsigned link written by the reference's `in-toto-mock`.
fn mock_link(dir: &Path, name: &str, dsse: bool) -> Option<PathBuf> {
    let mut cmd = py(dir, "in-toto-mock")?;
    cmd.args(["-n", name]);
    if dsse {
        cmd.arg("--use-dsse");
    }
    let out = cmd.args(["--", "echo", "hello"]).output().unwrap();
    assert!(
        out.status.success(),
        "in-toto-mock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir.join(format!("{name}.link")))
}

fn tamper(path: &Path) -> PathBuf {
    let text = fs::read_to_string(path).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    if let Some(signed) = v.get_mut("signed") {
        signed["name"] = json!("evil");
    } else {
        let payload = v["payload"].as_str().unwrap();
        let bytes = intoto::model::envelope::decode_base64(payload).unwrap();
        let mut inner: Value = serde_json::from_slice(&bytes).unwrap();
        inner["name"] = json!("evil");
        v["payload"] = json!(intoto::model::envelope::encode_base64(
            inner.to_string().as_bytes()
        ));
    }
    let out = path.with_extension("tampered");
    fs::write(&out, v.to_string()).unwrap();
    out
}

#[test]
fn the_reference_verifies_links_we_sign_with_every_key_type_and_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, key_type) in [
        ("ed", "ed25519"),
        ("rsa", "rsa"),
        ("ec", "ecdsa"),
        ("ec384", "ecdsa-p384"),
    ] {
        let id = generate(d, name, key_type);
        for dsse in [false, true] {
            let step = format!("step-{name}-{dsse}");
            let Some(link) = mock_link(d, &step, dsse) else {
                return;
            };
            intoto(d)
                .args(["sign", "-f", link.to_str().unwrap(), "-k", name])
                .assert()
                .success();
            let signed = d.join(format!("{step}.{}.link", &id[..8]));
            assert!(signed.exists(), "{} missing", signed.display());
            let text = fs::read_to_string(&signed).unwrap();
            assert_eq!(text.contains("\"payload\""), dsse, "envelope kind kept");
            let pubkey = format!("{name}.pub");
            let status = py(d, "in-toto-sign")
                .unwrap()
                .args(["-f", signed.to_str().unwrap(), "-k", &pubkey, "--verify"])
                .status()
                .unwrap();
            assert_eq!(
                status.code(),
                Some(0),
                "reference rejected our {key_type} {step}"
            );
            let bad = tamper(&signed);
            let status = py(d, "in-toto-sign")
                .unwrap()
                .args(["-f", bad.to_str().unwrap(), "-k", &pubkey, "--verify"])
                .status()
                .unwrap();
            assert_eq!(
                status.code(),
                Some(1),
                "reference accepted a tampered {key_type} {step}"
            );
        }
    }
}

#[test]
fn we_verify_links_the_reference_signs_with_our_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, key_type) in [("ed", "ed25519"), ("rsa", "rsa"), ("ec", "ecdsa")] {
        generate(d, name, key_type);
        for dsse in [false, true] {
            let step = format!("ref-{name}-{dsse}");
            let Some(link) = mock_link(d, &step, dsse) else {
                return;
            };
            let out = py(d, "in-toto-sign")
                .unwrap()
                .args([
                    "-f",
                    link.to_str().unwrap(),
                    "-k",
                    name,
                    "-o",
                    "signed.link",
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "in-toto-sign: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let pubkey = format!("{name}.pub");
            intoto(d)
                .args(["sign", "-f", "signed.link", "-k", &pubkey, "--verify"])
                .assert()
                .code(0);
            let bad = tamper(&d.join("signed.link"));
            intoto(d)
                .args([
                    "sign",
                    "-f",
                    bad.to_str().unwrap(),
                    "-k",
                    &pubkey,
                    "--verify",
                ])
                .assert()
                .code(1);
        }
    }
}

#[test]
fn layouts_signed_by_several_keys_verify_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d, "alice", "ed25519");
    generate(d, "carol", "rsa");
    let bob = generate(d, "bob", "ecdsa");
    let keys = intoto(d)
        .args(["key", "layout", "bob.pub"])
        .output()
        .unwrap();
    let keys: Value = serde_json::from_slice(&keys.stdout).unwrap();
    let layout = json!({"signed": {
        "_type": "layout", "expires": "2035-01-01T00:00:00Z", "readme": "", "keys": keys,
        "steps": [{"_type": "step", "name": "build", "threshold": 1, "pubkeys": [bob],
                   "expected_materials": [], "expected_products": [["CREATE", "*"]], "expected_command": []}],
        "inspect": []}, "signatures": []});
    fs::write(d.join("unsigned.layout"), layout.to_string()).unwrap();
    intoto(d)
        .args([
            "sign",
            "-f",
            "unsigned.layout",
            "-k",
            "alice",
            "carol",
            "-o",
            "root.layout",
        ])
        .assert()
        .success();
    let Some(mut check) = py(d, "in-toto-sign") else {
        return;
    };
    let status = check
        .args([
            "-f",
            "root.layout",
            "-k",
            "alice.pub",
            "carol.pub",
            "--verify",
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    // Append a third signature made by the reference, then verify all three.
    let status = py(d, "in-toto-sign")
        .unwrap()
        .args(["-f", "root.layout", "-k", "bob", "-a"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    intoto(d)
        .args([
            "sign",
            "-f",
            "root.layout",
            "-k",
            "alice.pub",
            "carol.pub",
            "bob.pub",
            "--verify",
        ])
        .assert()
        .code(0);
    // Replacing (the default) leaves one signature.
    intoto(d)
        .args(["sign", "-f", "root.layout", "-k", "alice"])
        .assert()
        .success();
    intoto(d)
        .args(["sign", "-f", "root.layout", "-k", "carol.pub", "--verify"])
        .assert()
        .code(1);
}

#[test]
fn keys_generated_by_us_sign_with_the_reference_and_reference_keys_sign_with_us() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Our encrypted PKCS#8 key, used by the reference.
    intoto(d)
        .args(["key", "generate", "enc", "--type", "ecdsa", "-P", "s3cret"])
        .assert()
        .success();
    let Some(link) = mock_link(d, "x", false) else {
        return;
    };
    let out = py(d, "in-toto-sign")
        .unwrap()
        .args([
            "-f",
            link.to_str().unwrap(),
            "-k",
            "enc",
            "-p",
            "-o",
            "x.signed",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(b"s3cret\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    intoto(d)
        .args(["sign", "-f", "x.signed", "-k", "enc.pub", "--verify"])
        .assert()
        .code(0);
    // Keys written by pyca/cryptography in PKCS#8 (encrypted), PKCS#1 and SEC1.
    let python = require_pyref("python").unwrap();
    let status = pyref_command(&python)
        .current_dir(d)
        .args([
            "-c",
            r#"
from cryptography.hazmat.primitives.asymmetric import rsa, ec
from cryptography.hazmat.primitives import serialization as s
k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
open("py-rsa1", "wb").write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()))
open("py-rsa1.pub", "wb").write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
e = ec.generate_private_key(ec.SECP384R1())
open("py-sec1", "wb").write(e.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()))
open("py-sec1.pub", "wb").write(e.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))
open("py-enc", "wb").write(e.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.BestAvailableEncryption(b"pw")))
"#,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    for (key, public, password) in [
        ("py-rsa1", "py-rsa1.pub", None),
        ("py-sec1", "py-sec1.pub", None),
        ("py-enc", "py-sec1.pub", Some("pw")),
    ] {
        let mut cmd = intoto(d);
        cmd.args([
            "sign",
            "-f",
            link.to_str().unwrap(),
            "-k",
            key,
            "-o",
            "y.signed",
        ]);
        if let Some(pw) = password {
            cmd.arg("-p").write_stdin(format!("{pw}\n"));
        }
        cmd.assert().success();
        let status = py(d, "in-toto-sign")
            .unwrap()
            .args(["-f", "y.signed", "-k", public, "--verify"])
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{key}");
    }
}

#[test]
fn usage_and_input_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d, "a", "ed25519");
    generate(d, "b", "ed25519");
    let link = json!({"signed": {"_type": "link", "name": "x", "command": [], "materials": {}, "products": {},
        "byproducts": {}, "environment": {}}, "signatures": []});
    fs::write(d.join("x.link"), link.to_string()).unwrap();
    fs::write(d.join("garbage"), "{not json").unwrap();
    for (args, needle) in [
        (
            vec!["sign", "-f", "x.link", "-k", "a", "b"],
            "single functionary",
        ),
        (
            vec!["sign", "-f", "x.link", "-k", "a", "-a"],
            "--append is for layouts only",
        ),
        (
            vec!["sign", "-f", "missing.link", "-k", "a"],
            "cannot read missing.link",
        ),
        (
            vec!["sign", "-f", "garbage", "-k", "a"],
            "garbage: invalid metadata: not valid JSON",
        ),
        (
            vec!["sign", "-f", "x.link", "-k", "x.link"],
            "x.link: invalid key",
        ),
        (
            vec!["sign", "-f", "x.link", "-k", "a.pub", "--verify", "-o", "y"],
            "cannot be used with",
        ),
    ] {
        let out = intoto(d).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    // An encrypted key without a password says how to give one.
    intoto(d)
        .args(["key", "generate", "enc", "-P", "pw"])
        .assert()
        .success();
    let out = intoto(d)
        .args(["sign", "-f", "x.link", "-k", "enc"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("encrypted; give its password"));
}

#[test]
fn json_output_reports_the_verification_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = generate(d, "a", "ed25519");
    generate(d, "b", "ed25519");
    let link = json!({"signed": {"_type": "link", "name": "x", "command": [], "materials": {}, "products": {},
        "byproducts": {}, "environment": {}}, "signatures": []});
    fs::write(d.join("x.link"), link.to_string()).unwrap();
    let out = intoto(d)
        .args(["sign", "-f", "x.link", "-k", "a", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["keyids"][0], json!(a));
    let signed = format!("x.{}.link", &a[..8]);
    let out = intoto(d)
        .args([
            "sign", "-f", &signed, "-k", "a.pub", "b.pub", "--verify", "--format", "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verified"], json!(false));
    assert_eq!(report["keys"][0]["verified"], json!(true));
    assert_eq!(report["keys"][1]["verified"], json!(false));
}

#[test]
fn a_layout_without_expiry_gets_one_month_when_signed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d, "a", "ed25519");
    let layout = json!({"signed": {"_type": "layout", "readme": "", "keys": {}, "steps": [], "inspect": []},
        "signatures": []});
    fs::write(d.join("t.layout"), layout.to_string()).unwrap();
    intoto(d)
        .args(["sign", "-f", "t.layout", "-k", "a"])
        .assert()
        .success();
    let v: Value = serde_json::from_str(&fs::read_to_string(d.join("t.layout")).unwrap()).unwrap();
    let expires = v["signed"]["expires"].as_str().unwrap();
    assert!(intoto::model::Expires::parse(expires).is_ok());
    intoto(d)
        .args(["sign", "-f", "t.layout", "-k", "a.pub", "--verify"])
        .assert()
        .code(0);
}
