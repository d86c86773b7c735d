//! `intoto verify` on the committed third-party chains (in-toto-golang and
//! in-toto Python vectors), tampered copies of them, the command line, and
//! the Python reference's verdict on the same inputs.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use intoto::model::{EnvelopeKind, Metadata};
use intoto_test_support::{copy_dir, intoto};
use intoto_test_support::{pyref_command, require_pyref, vector};

/// Copies `files` of the vector folder `from` into `to`.
fn copy(from: &str, files: &[&str], to: &Path) {
    for file in files {
        fs::copy(vector(from).join(file), to.join(file))
            .unwrap_or_else(|e| panic!("{from}/{file}: {e}"));
    }
}

/// The outcome of `intoto verify --format json`: exit code and report.
struct Outcome {
    code: i32,
    report: Value,
}

impl Outcome {
    fn codes(&self) -> Vec<String> {
        self.report["diagnostics"]
            .as_array()
            .map(|ds| {
                ds.iter()
                    .map(|d| d["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn errors(&self) -> Vec<String> {
        self.report["diagnostics"]
            .as_array()
            .map(|ds| {
                ds.iter()
                    .filter(|d| d["severity"] == "error")
                    .map(|d| d["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn first(&self, code: &str) -> Value {
        self.report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {:#}", self.report))
    }
}

fn verify(dir: &Path, layout: &str, key: &str) -> Outcome {
    let out = intoto(dir)
        .args([
            "verify",
            "--format",
            "json",
            "-l",
            layout,
            "--verification-keys",
            key,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code().unwrap();
    assert_eq!(code == 0, report["verified"] == true, "{report:#}");
    Outcome { code, report }
}

/// The reference's exit code for the same verification, in a copy of `dir`
/// (inspections write files); `None` when it is not installed and skipping
/// was asked for.
fn py_verify(dir: &Path, layout: &str, key: &str) -> Option<i32> {
    let program = require_pyref("in-toto-verify")?;
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let out = pyref_command(&program)
        .current_dir(copy.path())
        .args(["-l", layout, "--verification-keys", key])
        .output()
        .unwrap();
    Some(out.status.code().unwrap())
}

/// Writes `doc` (a layout, with `expires` set) as unsigned metadata of
/// `kind` and signs it with `key` into `out`.
fn sign_layout(dir: &Path, mut doc: Value, kind: EnvelopeKind, key: &str, legacy: bool, out: &str) {
    if doc.get("expires").is_none() {
        doc["expires"] = json!("2099-01-01T00:00:00Z");
    }
    let md = Metadata::wrap(&doc, kind);
    let unsigned = dir.join(format!("{out}.unsigned"));
    fs::write(&unsigned, md.to_file_string()).unwrap();
    let mut cmd = intoto(dir);
    cmd.args([
        "sign",
        "-f",
        unsigned.to_str().unwrap(),
        "-k",
        key,
        "-o",
        out,
    ]);
    if legacy {
        cmd.arg("--legacy-keyid");
    }
    cmd.assert().success();
    fs::remove_file(unsigned).unwrap();
}

/// The document inside a metadata file.
fn payload(path: &Path) -> Value {
    Metadata::from_slice(&fs::read(path).unwrap())
        .unwrap()
        .payload_value()
        .unwrap()
}

const GO: &str = "in-toto-golang";
const GO_DEMO: &[&str] = &[
    "demo.layout",
    "demo.dsse.layout",
    "alice.pub",
    "alice",
    "dan",
    "carol.pub",
    "foo.tar.gz",
    "write-code.b7d643de.link",
    "package.d3ffd108.link",
];

fn go_demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(GO, GO_DEMO, dir.path());
    dir
}

#[test]
fn the_go_demo_chains_verify() {
    // Legacy and DSSE layouts of in-toto-golang (valid until 2030), with
    // their links and the `untar` inspection run on foo.tar.gz. The legacy
    // layout carries in-toto-golang's ITE-7 fields `rootcas` and
    // `intermediatecas`: they are signed, so they verify.
    for layout in ["demo.layout", "demo.dsse.layout"] {
        let dir = go_demo();
        let outcome = verify(dir.path(), layout, "alice.pub");
        assert_eq!(outcome.code, 0, "{layout}: {:#}", outcome.report);
        assert!(
            outcome.codes().is_empty(),
            "{layout}: {:?}",
            outcome.codes()
        );
        // The inspection's link is written, as the reference does.
        assert!(dir.path().join("untar.link").is_file());
    }
    let demo = payload(&vector(GO).join("demo.layout"));
    assert!(
        demo.get("rootcas").is_some(),
        "the vector still has its extra fields"
    );
}

#[test]
fn the_go_dsse_only_chain_verifies() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        GO,
        &[
            "dsse-only.root.layout",
            "alice.pub",
            "clone-dsse.776a00e2.link",
            "update-version-dsse.776a00e2.link",
            "package-dsse.2f89b927.link",
        ],
        dir.path(),
    );
    let outcome = verify(dir.path(), "dsse-only.root.layout", "alice.pub");
    assert_eq!(outcome.code, 0, "{:#}", outcome.report);
}

#[test]
fn the_go_sublayout_chain_verifies_once_re_signed() {
    // super.layout expired in 2021 and is unsigned; give it a new expiry and
    // sign it with the same owner key (alice, legacy keyid). Its step
    // `sub_layout` is delegated to sub_layout.70ca5750.link, whose links are
    // in sub_layout.70ca5750/.
    let dir = go_demo();
    let d = dir.path();
    copy(GO, &["sub_layout.70ca5750.link"], d);
    let mut doc = payload(&vector(GO).join("super.layout"));
    doc["expires"] = json!("2099-01-01T00:00:00Z");
    sign_layout(d, doc, EnvelopeKind::Legacy, "alice", true, "super.layout");
    fs::create_dir(d.join("sub_layout.70ca5750")).unwrap();
    for link in ["write-code.b7d643de.link", "package.d3ffd108.link"] {
        fs::rename(d.join(link), d.join("sub_layout.70ca5750").join(link)).unwrap();
    }
    let outcome = verify(d, "super.layout", "alice.pub");
    assert_eq!(outcome.code, 0, "{:#}", outcome.report);
    // The summary link's command (the last sub-step's) differs from the
    // super-layout's expected command: a warning, as in the reference.
    assert_eq!(outcome.codes(), ["command-mismatch"]);

    // A sublayout link tampered with is reported inside the sublayout.
    let sub = d.join("sub_layout.70ca5750").join("package.d3ffd108.link");
    let text = fs::read_to_string(&sub).unwrap().replace("tar", "TAR");
    fs::write(&sub, text).unwrap();
    let outcome = verify(d, "super.layout", "alice.pub");
    assert_eq!(outcome.errors(), ["threshold-not-met"]);
    let d = outcome.first("threshold-not-met");
    assert_eq!(d["subject"]["sublayout"], json!(["sub_layout.70ca5750"]));
}

/// The Python demo layout (unsigned, no expiry), signed by its owner alice.
/// Its inspection runs a script of the Python repository; plain `tar` does
/// the same.
fn python_demo(folder: &str, kind: EnvelopeKind) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&vector(&format!("in-toto-python/{folder}")), dir.path());
    copy(
        "in-toto-python/demo_files",
        &["alice", "alice.pub", "foo.tar.gz"],
        dir.path(),
    );
    let mut doc = payload(&dir.path().join("demo.layout.template"));
    doc["inspect"][0]["run"] = json!(["tar", "xfz", "foo.tar.gz"]);
    sign_layout(dir.path(), doc, kind, "alice", false, "root.layout");
    dir
}

#[test]
fn the_python_demo_chains_verify_here_and_in_the_reference() {
    for (folder, kind) in [
        ("demo_files", EnvelopeKind::Legacy),
        ("demo_dsse_files", EnvelopeKind::Dsse),
        ("demo_files_gpg", EnvelopeKind::Legacy),
    ] {
        let dir = python_demo(folder, kind);
        if let Some(code) = py_verify(dir.path(), "root.layout", "alice.pub") {
            assert_eq!(code, 0, "the reference on {folder}");
        }
        let outcome = verify(dir.path(), "root.layout", "alice.pub");
        assert_eq!(outcome.code, 0, "{folder}: {:#}", outcome.report);
    }
}

#[test]
fn a_product_changed_and_re_signed_fails_the_next_step_rules() {
    // dan (the write-code functionary) re-signs a link whose foo.py differs
    // from what `package` packed.
    let dir = go_demo();
    let d = dir.path();
    let mut link = payload(&d.join("write-code.b7d643de.link"));
    link["products"]["foo.py"]["sha256"] = json!("0".repeat(64));
    fs::write(
        d.join("write-code.unsigned"),
        Metadata::wrap(&link, EnvelopeKind::Legacy).to_file_string(),
    )
    .unwrap();
    intoto(d)
        .args([
            "sign",
            "-f",
            "write-code.unsigned",
            "-k",
            "dan",
            "--legacy-keyid",
            "-o",
            "write-code.b7d643de.link",
        ])
        .assert()
        .success();
    let outcome = verify(d, "demo.layout", "alice.pub");
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.errors(), ["rule-disallow-matched"]);
    let diag = outcome.first("rule-disallow-matched");
    let subject = &diag["subject"];
    assert_eq!(subject["item"], "package");
    assert_eq!(subject["link_file"], "package.d3ffd108.link");
    assert_eq!(
        subject["rule"],
        json!({"artifact_type": "materials", "index": 1, "text": "DISALLOW *"})
    );
    assert_eq!(subject["artifacts"][0]["path"], "foo.py");
    assert_eq!(
        subject["artifacts"][0]["compared_with"]["location"],
        "products of 'write-code'"
    );
    assert_eq!(
        subject["artifacts"][0]["compared_with"]["digests"]["sha256"],
        "0".repeat(64)
    );
    assert!(
        !d.join("untar.link").exists(),
        "no inspection runs on a failed chain"
    );
}

#[test]
fn a_product_changed_without_re_signing_does_not_count() {
    let dir = go_demo();
    let path = dir.path().join("package.d3ffd108.link");
    let text = fs::read_to_string(&path).unwrap();
    let changed = text.replacen("52947cb7", "52947cb8", 1);
    assert_ne!(text, changed);
    fs::write(&path, changed).unwrap();
    let outcome = verify(dir.path(), "demo.layout", "alice.pub");
    assert_eq!(
        outcome.codes(),
        ["link-signature-invalid", "threshold-not-met"]
    );
    assert_eq!(
        outcome.first("link-signature-invalid")["severity"],
        "warning"
    );
}

#[test]
fn a_removed_link_misses_the_threshold() {
    let dir = go_demo();
    fs::remove_file(dir.path().join("write-code.b7d643de.link")).unwrap();
    let outcome = verify(dir.path(), "demo.layout", "alice.pub");
    assert_eq!(outcome.errors(), ["threshold-not-met"]);
    let d = outcome.first("threshold-not-met");
    assert_eq!(d["subject"]["item"], "write-code");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("missing: write-code.b7d643de.link")
    );
}

#[test]
fn a_layout_checked_with_the_wrong_key_fails() {
    let dir = go_demo();
    let outcome = verify(dir.path(), "demo.layout", "carol.pub");
    assert_eq!(outcome.errors(), ["layout-signature-missing"]);
}

#[test]
fn an_expired_layout_fails() {
    let dir = go_demo();
    let mut doc = payload(&dir.path().join("demo.layout"));
    doc["expires"] = json!("2020-01-01T00:00:00Z");
    sign_layout(
        dir.path(),
        doc,
        EnvelopeKind::Legacy,
        "alice",
        true,
        "expired.layout",
    );
    let outcome = verify(dir.path(), "expired.layout", "alice.pub");
    assert_eq!(outcome.errors(), ["layout-expired"]);
    // And the original expiry is honoured on the vector itself.
    let outcome = verify(dir.path(), "demo.layout", "alice.pub");
    assert_eq!(outcome.code, 0);
}

#[test]
fn a_tampered_final_product_fails_the_inspection_rules() {
    let dir = go_demo();
    let d = dir.path();
    // A valid tarball of another foo.py.
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join("foo.py"), "print('evil')\n").unwrap();
    let status = std::process::Command::new("tar")
        .current_dir(other.path())
        .args(["czf", d.join("foo.tar.gz").to_str().unwrap(), "foo.py"])
        .status()
        .unwrap();
    assert!(status.success());
    let outcome = verify(d, "demo.layout", "alice.pub");
    // The tarball is not the one `package` made, and neither is what it
    // holds: both of the inspection's rule lists fail.
    assert_eq!(
        outcome.errors(),
        ["rule-disallow-matched", "rule-disallow-matched"]
    );
    let diag = outcome.first("rule-disallow-matched");
    assert_eq!(diag["subject"]["item"], "untar");
    assert_eq!(diag["subject"]["item_kind"], "inspection");
    assert_eq!(diag["subject"]["artifacts"][0]["path"], "foo.tar.gz");
}

#[test]
fn text_output_explains_and_says_what_to_do() {
    let dir = go_demo();
    fs::remove_file(dir.path().join("write-code.b7d643de.link")).unwrap();
    let out = intoto(dir.path())
        .args([
            "verify",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("error[threshold-not-met]: step 'write-code' needs links from 1 distinct authorized functionary, found 0 valid; missing: write-code.b7d643de.link\n  help: "),
        "{text}"
    );
    assert!(text.ends_with("verification failed: 1 error\n"), "{text}");
}

#[test]
fn verbose_output_has_the_rule_trace_and_quiet_output_nothing() {
    let dir = go_demo();
    let out = intoto(dir.path())
        .args([
            "verify",
            "-v",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("materials of step 'package': 1 queued\n  rule 0 (MATCH foo.py WITH PRODUCTS FROM write-code): consumed 1: 'foo.py'\n  rule 1 (DISALLOW *): consumed nothing\n"),
        "{text}"
    );
    assert!(text.contains("materials of inspection 'untar'"), "{text}");
    let out = intoto(dir.path())
        .args([
            "verify",
            "-q",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn parameters_come_from_the_command_line() {
    let dir = go_demo();
    let mut doc = payload(&dir.path().join("demo.layout"));
    doc["steps"][1]["expected_materials"][0][1] = json!("{source}");
    doc["inspect"][0]["run"] = json!(["tar", "{mode}", "foo.tar.gz"]);
    sign_layout(
        dir.path(),
        doc,
        EnvelopeKind::Legacy,
        "alice",
        true,
        "params.layout",
    );
    let base = [
        "verify",
        "--format",
        "json",
        "-l",
        "params.layout",
        "--verification-keys",
        "alice.pub",
    ];
    intoto(dir.path())
        .args(base)
        .args(["--param", "source=foo.py", "--param", "mode=xfz"])
        .assert()
        .success();
    // Without parameters the braces are literal: `{source}` matches nothing.
    let out = intoto(dir.path()).args(base).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = intoto(dir.path())
        .args(base)
        .args(["--param", "source=foo.py"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["code"], "parameter-missing");
    assert_eq!(report["diagnostics"][0]["subject"]["parameter"], "mode");
    // A malformed --param is a usage error.
    intoto(dir.path())
        .args(base)
        .args(["--param", "no-equals"])
        .assert()
        .code(2);
    intoto(dir.path())
        .args(base)
        .args(["--param", "a b=c"])
        .assert()
        .code(2);
}

#[test]
fn input_errors_exit_2() {
    let dir = go_demo();
    let d = dir.path();
    // Missing flags, as the reference.
    intoto(d)
        .args(["verify", "-l", "demo.layout"])
        .assert()
        .code(2);
    intoto(d)
        .args(["verify", "--verification-keys", "alice.pub"])
        .assert()
        .code(2);
    // Unreadable inputs.
    let out = intoto(d)
        .args([
            "verify",
            "-l",
            "nope.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.layout"));
    intoto(d)
        .args([
            "verify",
            "-l",
            "demo.layout",
            "--verification-keys",
            "nope.pub",
        ])
        .assert()
        .code(2);
    // A link (signed by the owner) given as the layout.
    intoto(d)
        .args([
            "sign",
            "-f",
            "package.d3ffd108.link",
            "-k",
            "alice",
            "-o",
            "signed-by-alice.link",
        ])
        .assert()
        .success();
    let out = intoto(d)
        .args([
            "verify",
            "-l",
            "signed-by-alice.link",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds a link, not a layout"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A link file that exists but cannot be read.
    fs::remove_file(d.join("package.d3ffd108.link")).unwrap();
    fs::create_dir(d.join("package.d3ffd108.link")).unwrap();
    let out = intoto(d)
        .args([
            "verify",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read link file package.d3ffd108.link")
    );
}

#[test]
fn links_are_read_from_the_link_dir() {
    let dir = go_demo();
    let d = dir.path();
    fs::create_dir(d.join("links")).unwrap();
    for link in ["write-code.b7d643de.link", "package.d3ffd108.link"] {
        fs::rename(d.join(link), d.join("links").join(link)).unwrap();
    }
    intoto(d)
        .args([
            "verify",
            "-l",
            "demo.layout",
            "--verification-keys",
            "alice.pub",
            "--link-dir",
            "links",
        ])
        .assert()
        .success();
}

#[test]
fn an_inspection_that_runs_too_long_is_killed() {
    // With the processes it started: the reference kills only the command.
    let dir = go_demo();
    let mut doc = payload(&dir.path().join("demo.layout"));
    doc["inspect"][0]["run"] = json!(["sh", "-c", "sleep 30 & echo $! > child.pid; wait"]);
    sign_layout(
        dir.path(),
        doc,
        EnvelopeKind::Legacy,
        "alice",
        true,
        "slow.layout",
    );
    let started = std::time::Instant::now();
    let out = intoto(dir.path())
        .args([
            "verify",
            "--format",
            "json",
            "-l",
            "slow.layout",
            "--verification-keys",
            "alice.pub",
            "--inspection-timeout",
            "1",
        ])
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["code"], "inspection-not-run");
    let pid = fs::read_to_string(dir.path().join("child.pid")).unwrap();
    let stat = Path::new("/proc").join(pid.trim()).join("stat");
    let alive = |stat: &Path| {
        // Gone, or a zombie waiting for its parent to reap it.
        fs::read_to_string(stat).is_ok_and(|s| !s.contains(") Z "))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive(&stat) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!alive(&stat), "the inspection's child process still runs");
}

#[test]
fn help_shows_examples_and_the_reference_flags() {
    let out = intoto(Path::new("."))
        .args(["verify", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "--layout <PATH>",
        "--verification-keys <PATH>...",
        "--link-dir <PATH>",
        "--inspection-timeout <SECONDS>",
        "--param <NAME=VALUE>",
        "intoto verify --layout root.layout --verification-keys alice.pub",
        "Exit status: 0 verified; 1 verification failed; 2 usage error",
    ] {
        assert!(help.contains(expected), "{expected}: {help}");
    }
    // Invoked as the reference's program name.
    let dir = go_demo();
    let link = dir.path().join("in-toto-verify");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("intoto"), &link).unwrap();
    let status = std::process::Command::new(&link)
        .current_dir(dir.path())
        .args(["-l", "demo.layout", "--verification-keys", "alice.pub"])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn the_reference_cannot_verify_the_go_layout_with_extra_fields() {
    // The documented difference behind `the_go_demo_chains_verify`: the
    // reference re-serialises its model, which drops `rootcas` and
    // `intermediatecas`, and so cannot verify the owner's signature on the
    // legacy layout even with the key under the keyid the layout uses. The
    // DSSE layout (signed over its payload bytes) is the control.
    let Some(python) = require_pyref("python") else {
        return;
    };
    let script = r#"
import sys
from in_toto.models.metadata import Metadata
from in_toto.models._signer import load_public_key_from_file
key = load_public_key_from_file(sys.argv[2])
layout = Metadata.load(sys.argv[1])
sigs = layout.signatures
first = sigs[0] if isinstance(sigs, list) else list(sigs.values())[0]
key["keyid"] = first["keyid"] if isinstance(first, dict) else first.keyid
try:
    layout.verify_signature(key)
    print("verified")
except Exception as e:
    print(type(e).__name__)
"#;
    let said = |layout: &str| {
        let out = pyref_command(&python)
            .args(["-c", script])
            .arg(vector(GO).join(layout))
            .arg(vector(GO).join("alice.pub"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(said("demo.layout"), "SignatureVerificationError");
    assert_eq!(said("demo.dsse.layout"), "verified");
}

#[test]
fn openpgp_subkeys_sign_for_their_main_key_and_count_once() {
    // Joan's key 8465A1E2… has the signing subkey C5A0ABE6…. A link signed
    // by the subkey is found as `build.c5a0abe6.link` and counts for the
    // main key; with the main key's own link too, they are one functionary.
    let home = intoto_test_support::gpg::GpgHome::copy("rsa");
    let main = "8465A1E2E0FB2B40ADB2478E18FB3F537E0C8A17";
    let sub = "C5A0ABE6EC19D0D65F85E2C39BE9DF5131D924E9";
    let dict = intoto::gpg::Gpg::new()
        .with_homedir(home.path())
        .export_pubkey(main)
        .unwrap();
    let keyid = main.to_lowercase();
    assert!(dict.as_map()["subkeys"].get(sub.to_lowercase()).is_some());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    intoto(d)
        .args(["key", "generate", "owner", "--type", "ed25519"])
        .assert()
        .success();
    let layout = |threshold: i64| {
        json!({
            "_type": "layout", "readme": "", "keys": {&keyid: dict.to_value()},
            "steps": [{"_type": "step", "name": "build", "threshold": threshold, "pubkeys": [&keyid],
                       "expected_command": [], "expected_materials": [],
                       "expected_products": [["ALLOW", "app"], ["DISALLOW", "*"]]}],
            "inspect": []
        })
    };
    sign_layout(
        d,
        layout(1),
        EnvelopeKind::Legacy,
        "owner",
        false,
        "one.layout",
    );
    sign_layout(
        d,
        layout(2),
        EnvelopeKind::Legacy,
        "owner",
        false,
        "two.layout",
    );
    let link = json!({"_type": "link", "name": "build", "command": [], "materials": {},
                      "products": {"app": {"sha256": "ab".repeat(32)}}, "byproducts": {}, "environment": {}});
    fs::write(
        d.join("build.unsigned"),
        Metadata::wrap(&link, EnvelopeKind::Legacy).to_file_string(),
    )
    .unwrap();
    let gpg_home = home.path().to_str().unwrap();
    for signer in [sub.to_owned(), format!("{main}!")] {
        intoto(d)
            .args([
                "sign",
                "-f",
                "build.unsigned",
                "--gpg",
                &signer,
                "--gpg-home",
                gpg_home,
            ])
            .assert()
            .success();
    }
    assert!(d.join("build.c5a0abe6.link").is_file() && d.join("build.8465a1e2.link").is_file());

    fs::rename(d.join("build.8465a1e2.link"), d.join("main.bak")).unwrap();
    let outcome = verify(d, "one.layout", "owner.pub");
    assert_eq!(outcome.code, 0, "{:#}", outcome.report);
    if let Some(code) = py_verify(d, "one.layout", "owner.pub") {
        assert_eq!(code, 0, "the reference");
    }

    fs::rename(d.join("main.bak"), d.join("build.8465a1e2.link")).unwrap();
    let outcome = verify(d, "two.layout", "owner.pub");
    assert_eq!(
        outcome.codes(),
        ["link-duplicate-functionary", "threshold-not-met"]
    );
    if let Some(code) = py_verify(d, "two.layout", "owner.pub") {
        assert_eq!(code, 1, "the reference");
    }
}
