//! Exact output snapshots: `intoto verify` in text and JSON (a passing
//! chain, a failing rule, each with and without -v) and every `--help`.
//! The expected bytes are files in `tests/snapshots/`; `INTOTO_BLESS=1`
//! rewrites them from the current build.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use intoto_test_support::{intoto, vector};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with the snapshot `name`, or rewrites it under
/// `INTOTO_BLESS=1`.
fn check(name: &str, actual: &[u8]) {
    let path = snapshot_dir().join(name);
    if std::env::var_os("INTOTO_BLESS").is_some_and(|v| v == "1") {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (INTOTO_BLESS=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its snapshot\n--- expected\n{}\n--- actual\n{}",
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(actual)
    );
}

/// The in-toto-golang demo chain in a fresh folder; with `tampered`,
/// foo.tar.gz holds a different foo.py (a valid archive, so the inspection
/// runs and its rules fail).
fn go_demo(tampered: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "demo.layout",
        "alice.pub",
        "foo.tar.gz",
        "write-code.b7d643de.link",
        "package.d3ffd108.link",
    ] {
        fs::copy(vector("in-toto-golang").join(file), dir.path().join(file)).unwrap();
    }
    if tampered {
        fs::copy(
            snapshot_dir().join("tampered-foo.tar.gz"),
            dir.path().join("foo.tar.gz"),
        )
        .unwrap();
    }
    dir
}

fn verify_case(name: &str, tampered: bool, extra: &[&str], code: i32) {
    for (format, ext) in [("text", "txt"), ("json", "json")] {
        let dir = go_demo(tampered);
        let out = intoto(dir.path())
            .args(["verify", "--format", format])
            .args(["-l", "demo.layout", "--verification-keys", "alice.pub"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}.{ext}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check(&format!("verify-{name}.{ext}"), &out.stdout);
    }
}

#[test]
fn verify_passing_chain() {
    verify_case("pass", false, &[], 0);
}

#[test]
fn verify_passing_chain_with_traces() {
    verify_case("pass-v", false, &["-v"], 0);
}

#[test]
fn verify_failing_rule() {
    verify_case("fail-rule", true, &[], 1);
}

#[test]
fn verify_failing_rule_with_traces() {
    verify_case("fail-rule-v", true, &["-v"], 1);
}

#[test]
fn verify_failing_rule_quietly() {
    let dir = go_demo(true);
    let out = intoto(dir.path())
        .args(["-q", "verify", "-l", "demo.layout"])
        .args(["--verification-keys", "alice.pub"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    check("verify-fail-rule-q.txt", &out.stdout);
}

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &[][..],
        &["key"],
        &["key", "generate"],
        &["key", "id"],
        &["key", "layout"],
        &["sign"],
        &["verify"],
        &["run"],
        &["record"],
        &["record", "start"],
        &["record", "stop"],
        &["attest"],
        &["match-products"],
        &["mock"],
        &["vsa"],
        &["vsa", "verify"],
        &["demo"],
        &["show"],
        &["tuf"],
        &["tuf", "init"],
        &["tuf", "add-target"],
        &["tuf", "rotate"],
        &["tuf", "refresh"],
    ] {
        let out = intoto(dir.path())
            .env("COLUMNS", "100")
            .args(command)
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        let name = if command.is_empty() {
            "help-intoto.txt".to_owned()
        } else {
            format!("help-{}.txt", command.join("-"))
        };
        check(&name, &out.stdout);
    }
}
