//! Bugs that held under both the `intoto` names and the reference's: unknown
//! flags were taken as the command or as products, and `sign -a` changed a
//! DSSE layout's payload under an existing signature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::{Value, json};

use intoto::model::envelope::encode_base64;
use intoto_test_support::{install_under_reference_names, intoto};

/// `program` (a reference program name) in `dir`, where intoto is
/// installed under those names.
fn reference_name(dir: &Path, program: &str) -> assert_cmd::Command {
    if !dir.join(program).exists() {
        install_under_reference_names(dir, Path::new(env!("CARGO_BIN_EXE_intoto")));
    }
    let mut cmd = assert_cmd::Command::new(dir.join(program));
    cmd.current_dir(dir).env_remove("INTOTO_LOG");
    cmd
}

fn links_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".link"))
        .collect();
    names.sort();
    names
}

#[test]
fn unknown_flags_are_usage_errors_under_both_names() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    intoto(d)
        .args(["key", "generate", "carl"])
        .assert()
        .success();
    // `--key` is not an option of run: before, `carl` (the private key)
    // was recorded as a product and the step ran.
    let key_as_product = [
        "-n",
        "x",
        "--signing-key",
        "carl",
        "-p",
        "out.txt",
        "--key",
        "carl",
        "--",
        "true",
    ];
    // `-l` is not an option of run: before, `ls -l` ran without `--`.
    let flag_in_command = ["-n", "x", "--signing-key", "carl", "ls", "-l"];
    for args in [&key_as_product[..], &flag_in_command[..]] {
        intoto(d).arg("run").args(args).assert().code(2);
        reference_name(d, "in-toto-run")
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "in-toto-run: error: unrecognized arguments:",
            ));
    }
    assert!(
        links_in(d).is_empty(),
        "nothing is recorded: {:?}",
        links_in(d)
    );
    // With `--`, flags belong to the command.
    intoto(d)
        .args(["run", "-n", "x", "--signing-key", "carl", "--", "ls", "-l"])
        .assert()
        .success();
}

fn dsse_layout_without_expires(dir: &Path) -> Value {
    let layout = json!({
        "_type": "layout",
        "readme": "",
        "keys": {},
        "steps": [],
        "inspect": [],
    });
    let payload = serde_json::to_vec(&layout).unwrap();
    let envelope = json!({
        "payload": encode_base64(&payload),
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [],
    });
    std::fs::write(dir.join("root.layout.unsigned"), envelope.to_string()).unwrap();
    envelope
}

#[test]
fn signing_a_dsse_layout_never_changes_its_payload() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for name in ["alice", "bob"] {
        intoto(d).args(["key", "generate", name]).assert().success();
    }
    let unsigned = dsse_layout_without_expires(d);
    intoto(d)
        .args([
            "sign",
            "-f",
            "root.layout.unsigned",
            "-k",
            "alice",
            "-o",
            "root.layout",
        ])
        .assert()
        .success();
    // Bob adds his signature under the same name, as the reference's
    // `in-toto-sign -a` does: Alice's must stay valid.
    reference_name(d, "in-toto-sign")
        .args(["-f", "root.layout", "-k", "bob", "-a", "-o", "root.layout"])
        .assert()
        .success();
    let signed: Value =
        serde_json::from_slice(&std::fs::read(d.join("root.layout")).unwrap()).unwrap();
    assert_eq!(
        signed["payload"], unsigned["payload"],
        "the payload is what was given"
    );
    assert_eq!(signed["signatures"].as_array().unwrap().len(), 2);
    intoto(d)
        .args([
            "sign",
            "-f",
            "root.layout",
            "--verify",
            "-k",
            "alice.pub",
            "bob.pub",
        ])
        .assert()
        .success();
}
