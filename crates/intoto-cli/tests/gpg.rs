//! GnuPG keys on the command line (`--gpg`, `--gpg-home` on sign, run, record,
//! verify and key layout): signing with and verifying against keyrings,
//! in both directions with the reference's `in-toto-sign --gpg`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use intoto_test_support::gpg::GpgHome;
use intoto_test_support::intoto;
use intoto_test_support::{pyref_command, require_pyref};

/// The committed RSA keyring's key with signing subkeys, and its DSA default key.
const RSA_KEY: &str = "8288ef560ed3795f9df2c0db56193089b285da58";
const DSA_KEY: &str = "c242a830daaf1c2bef604a9ef033a3a3e267b3b1";

fn py_sign(dir: &Path, args: &[&str]) -> Option<i32> {
    let program = require_pyref("in-toto-sign")?;
    Some(
        pyref_command(&program)
            .current_dir(dir)
            .args(args)
            .status()
            .unwrap()
            .code()
            .unwrap_or(-1),
    )
}

fn write_link(dir: &Path, dsse: bool) {
    let payload = r#"{"_type": "link", "name": "build", "command": [], "materials": {}, "products": {"a": {"sha256": "00"}}, "byproducts": {}, "environment": {}}"#;
    let text = if dsse {
        format!(
            r#"{{"payload": "{}", "payloadType": "application/vnd.in-toto+json", "signatures": []}}"#,
            intoto::model::envelope::encode_base64(payload.as_bytes())
        )
    } else {
        format!(r#"{{"signed": {payload}, "signatures": []}}"#)
    };
    std::fs::write(dir.join("build.link"), text).unwrap();
}

#[test]
fn the_reference_verifies_what_we_sign_with_gpg_and_we_verify_what_it_signs() {
    let home = GpgHome::copy("rsa");
    let h = home.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_link(d, false);
    intoto(d)
        .args([
            "sign",
            "-f",
            "build.link",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
            "-o",
            "ours.link",
        ])
        .assert()
        .success();
    let Some(code) = py_sign(
        d,
        &[
            "-f",
            "ours.link",
            "--verify",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ],
    ) else {
        return;
    };
    assert_eq!(code, 0, "the reference rejected our GnuPG signature");
    assert_eq!(
        py_sign(
            d,
            &[
                "-f",
                "build.link",
                "--gpg",
                RSA_KEY,
                "--gpg-home",
                h,
                "-o",
                "theirs.link"
            ]
        ),
        Some(0)
    );
    intoto(d)
        .args([
            "sign",
            "-f",
            "theirs.link",
            "--verify",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ])
        .assert()
        .code(0);
    // A signature by another key does not verify.
    let other = GpgHome::copy("dsa");
    intoto(d)
        .args([
            "sign",
            "-f",
            "theirs.link",
            "--verify",
            "--gpg",
            DSA_KEY,
            "--gpg-home",
            other.path().to_str().unwrap(),
        ])
        .assert()
        .code(1);
}

#[test]
fn the_default_key_signs_when_no_keyid_is_given() {
    let home = GpgHome::copy("dsa");
    let h = home.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_link(d, false);
    intoto(d)
        .args(["sign", "-f", "build.link", "--gpg", "--gpg-home", h])
        .assert()
        .success();
    let signed = format!("build.{}.link", &DSA_KEY[..8]);
    assert!(d.join(&signed).exists(), "{signed} missing");
    intoto(d)
        .args([
            "sign",
            "-f",
            &signed,
            "--verify",
            "--gpg",
            DSA_KEY,
            "--gpg-home",
            h,
        ])
        .assert()
        .code(0);
}

#[test]
fn gpg_signatures_cannot_go_into_dsse_and_verification_needs_keyids() {
    let home = GpgHome::copy("rsa");
    let h = home.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_link(d, true);
    let out = intoto(d)
        .args([
            "sign",
            "-f",
            "build.link",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot carry OpenPGP signatures"));
    let out = intoto(d)
        .args(["sign", "-f", "build.link", "--verify", "--gpg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give at least one keyid"));
    // Verifying a DSSE file with GnuPG keys is an input error (exit 2), as
    // in the reference, not a failed verification.
    let out = intoto(d)
        .args([
            "sign",
            "-f",
            "build.link",
            "--verify",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot carry OpenPGP signatures"));
}

#[test]
fn layouts_signed_with_gpg_verify_with_keys_from_the_keyring() {
    let home = GpgHome::copy("rsa");
    let h = home.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let layout = r#"{"signed": {"_type": "layout", "expires": "2035-01-01T00:00:00Z", "readme": "",
        "keys": {}, "steps": [], "inspect": []}, "signatures": []}"#;
    std::fs::write(d.join("root.layout"), layout).unwrap();
    intoto(d)
        .args([
            "sign",
            "-f",
            "root.layout",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ])
        .assert()
        .success();
    intoto(d)
        .args([
            "verify",
            "-l",
            "root.layout",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            h,
        ])
        .assert()
        .code(0);
    let Some(program) = require_pyref("in-toto-verify") else {
        return;
    };
    let status = pyref_command(&program)
        .current_dir(d)
        .args(["-l", "root.layout", "--gpg", RSA_KEY, "--gpg-home", h])
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "the reference rejected a layout we signed with gpg"
    );
    // A key that did not sign fails verification.
    let other = GpgHome::copy("dsa");
    intoto(d)
        .args([
            "verify",
            "-l",
            "root.layout",
            "--gpg",
            DSA_KEY,
            "--gpg-home",
            other.path().to_str().unwrap(),
        ])
        .assert()
        .code(1);
}

/// A supply chain whose links are signed with GnuPG keys by `intoto run` and
/// `intoto record` verifies with us and with the reference; a tampered
/// product is caught by both.
#[test]
fn a_chain_recorded_with_gpg_keys_verifies_with_us_and_the_reference() {
    let rsa = GpgHome::copy("rsa");
    let dsa = GpgHome::copy("dsa");
    let (rsa_home, dsa_home) = (rsa.path().to_str().unwrap(), dsa.path().to_str().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    intoto(d)
        .args(["key", "generate", "alice"])
        .assert()
        .success();
    let keys = |id: &str, home: &str| -> serde_json::Value {
        let out = intoto(d)
            .args(["key", "layout", "--gpg", id, "--gpg-home", home])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mut all_keys = keys(RSA_KEY, rsa_home);
    all_keys
        .as_object_mut()
        .unwrap()
        .extend(keys(DSA_KEY, dsa_home).as_object().unwrap().clone());
    let layout = serde_json::json!({"signed": {
        "_type": "layout", "expires": "2035-01-01T00:00:00Z", "readme": "", "keys": all_keys,
        "steps": [
            {"_type": "step", "name": "write", "threshold": 1, "pubkeys": [RSA_KEY], "expected_command": [],
             "expected_materials": [], "expected_products": [["CREATE", "foo.txt"], ["DISALLOW", "*"]]},
            {"_type": "step", "name": "review", "threshold": 1, "pubkeys": [DSA_KEY], "expected_command": [],
             "expected_materials": [["MATCH", "foo.txt", "WITH", "PRODUCTS", "FROM", "write"], ["DISALLOW", "*"]],
             "expected_products": [["MATCH", "foo.txt", "WITH", "PRODUCTS", "FROM", "write"], ["DISALLOW", "*"]]}],
        "inspect": []}, "signatures": []});
    std::fs::write(d.join("root.layout"), layout.to_string()).unwrap();
    intoto(d)
        .args(["sign", "-f", "root.layout", "-k", "alice"])
        .assert()
        .success();
    intoto(d)
        .args([
            "run",
            "-n",
            "write",
            "--gpg",
            RSA_KEY,
            "--gpg-home",
            rsa_home,
            "-p",
            "foo.txt",
            "--",
            "sh",
            "-c",
            "echo hi > foo.txt",
        ])
        .assert()
        .success();
    intoto(d)
        .args([
            "record",
            "start",
            "-n",
            "review",
            "--gpg",
            "--gpg-home",
            dsa_home,
            "-m",
            "foo.txt",
        ])
        .assert()
        .success();
    intoto(d)
        .args([
            "record",
            "stop",
            "-n",
            "review",
            "--gpg",
            "--gpg-home",
            dsa_home,
            "-p",
            "foo.txt",
        ])
        .assert()
        .success();
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-unfinished"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let ours = |d: &Path| {
        intoto(d)
            .args([
                "verify",
                "-l",
                "root.layout",
                "--verification-keys",
                "alice.pub",
            ])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(ours(d), Some(0));
    let Some(program) = require_pyref("in-toto-verify") else {
        return;
    };
    let theirs = |d: &Path| {
        pyref_command(&program)
            .current_dir(d)
            .args(["-l", "root.layout", "--verification-keys", "alice.pub"])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(
        theirs(d),
        Some(0),
        "the reference rejected a chain signed with GnuPG keys by us"
    );
    // Change the product between the steps: re-record review over a new foo.txt.
    std::fs::write(d.join("foo.txt"), "evil\n").unwrap();
    intoto(d)
        .args([
            "run",
            "-n",
            "review",
            "--gpg",
            "--gpg-home",
            dsa_home,
            "-m",
            "foo.txt",
            "-p",
            "foo.txt",
            "--",
            "true",
        ])
        .assert()
        .success();
    assert_eq!(ours(d), Some(1));
    assert_eq!(theirs(d), Some(1));
}
