//! The specification's example supply chains (Debian, Seattle,
//! PolyPasswordHasher): historical and expired, and their signatures predate
//! today's canonical JSON, so they are re-signed with test keys (layout keys
//! replaced, links renamed for the new keyid) and then verified by us and by
//! the reference, which must agree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use intoto_test_support::{intoto, reference, vector};

fn keyid(dir: &Path, pubkey: &str) -> String {
    let out = intoto(dir).args(["key", "id", pubkey]).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Re-signs example `name` into `dir`: the owner signs the layout, whose
/// steps are all the functionary's, and the functionary signs every link.
fn resign(name: &str, dir: &Path) {
    intoto(dir)
        .args(["key", "generate", "owner"])
        .assert()
        .success();
    intoto(dir)
        .args(["key", "generate", "functionary"])
        .assert()
        .success();
    let fid = keyid(dir, "functionary.pub");
    let keys: Value = serde_json::from_slice(
        &intoto(dir)
            .args(["key", "layout", "functionary.pub"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let src = vector(&format!("in-toto-spec-examples/{name}"));
    let mut layout: Value =
        serde_json::from_slice(&fs::read(src.join("root.layout")).unwrap()).unwrap();
    let signed = &mut layout["signed"];
    signed["keys"] = keys;
    signed["expires"] = json!("2035-01-01T00:00:00Z");
    for step in signed["steps"].as_array_mut().unwrap() {
        step["pubkeys"] = json!([fid]);
    }
    layout["signatures"] = json!([]);
    fs::write(dir.join("root.layout"), layout.to_string()).unwrap();
    intoto(dir)
        .args(["sign", "-f", "root.layout", "-k", "owner"])
        .assert()
        .success();
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "link") {
            continue;
        }
        let mut link: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        link["signatures"] = json!([]);
        fs::write(dir.join("unsigned.link"), link.to_string()).unwrap();
        intoto(dir)
            .args(["sign", "-f", "unsigned.link", "-k", "functionary"])
            .assert()
            .success();
    }
    fs::remove_file(dir.join("unsigned.link")).unwrap();
}

/// Our verdict (passed, and the codes of the errors) and the reference's exit code.
fn verdicts(dir: &Path) -> ((bool, Vec<String>), Option<i32>) {
    let out = intoto(dir)
        .args([
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "owner.pub",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let passed = report["verified"].as_bool().unwrap();
    assert_eq!(out.status.code(), Some(if passed { 0 } else { 1 }));
    let codes = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    let theirs = reference(dir, "in-toto-verify").map(|mut cmd| {
        cmd.args(["-l", "root.layout", "--verification-keys", "owner.pub"])
            .output()
            .unwrap()
            .status
            .code()
            .unwrap_or(-1)
    });
    ((passed, codes), theirs)
}

#[test]
fn the_resigned_debian_example_verifies_with_us_and_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    resign("debian", dir.path());
    let ((passed, codes), theirs) = verdicts(dir.path());
    assert!(passed, "{codes:?}");
    if let Some(code) = theirs {
        assert_eq!(code, 0, "the reference disagrees");
    }
}

/// Their inspections unpack release tarballs that the examples do not
/// include, so both implementations fail them, after every step passed.
#[test]
fn the_resigned_examples_with_inspections_fail_only_at_the_missing_tarball() {
    for name in ["seattle", "polypasswordhasher"] {
        let dir = tempfile::tempdir().unwrap();
        resign(name, dir.path());
        let ((passed, codes), theirs) = verdicts(dir.path());
        assert!(!passed, "{name}");
        assert_eq!(codes, ["inspection-failed"], "{name}");
        if let Some(code) = theirs {
            assert_eq!(code, 1, "{name}: the reference disagrees");
        }
    }
}
