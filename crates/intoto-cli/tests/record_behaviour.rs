//! `intoto run`, `record`, `match-products` and `mock` on their own: what
//! goes beyond the reference (`--attest`, `--hash`, `--format json`, ITE-4
//! URIs), and bad input and faults (missing paths, bad keys and passwords,
//! commands that cannot run, unwritable folders, a full disk), which must end
//! with a clear message, the documented exit status and no stray files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The steps run POSIX tools, and the faults are made with Unix permissions
// and resource limits.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use intoto::crypto::{KeyIdForm, check_signature};
use intoto::model::{Metadata, Payload};
use intoto_test_support::intoto;

/// `intoto <args>` with writes to regular files limited to `max_bytes` (and
/// the signal that would kill it ignored), so that writing a link fails as
/// on a full disk. Standard output and error are pipes, which the limit does
/// not touch.
fn intoto_on_full_disk(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin("intoto"))
        .args(args)
        .current_dir(dir)
        .env_remove("INTOTO_LOG")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A project folder `work` with two files, next to keys `alice` (ed25519),
/// `bob` (ed25519) and `enc` (ecdsa, password `secret`).
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, extra) in [
        ("alice", &[][..]),
        ("bob", &[][..]),
        ("enc", &["--type", "ecdsa", "-P", "secret"][..]),
    ] {
        intoto(d)
            .args(["key", "generate", name])
            .args(extra)
            .assert()
            .success();
    }
    let work = d.join("work");
    fs::create_dir_all(work.join("src")).unwrap();
    fs::write(work.join("src/main.c"), "int main() { return 0; }\n").unwrap();
    fs::write(work.join("hello.txt"), "hello\n").unwrap();
    (dir, work)
}

/// Every file name in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn link_files(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.contains(".link") || n.contains(".intoto"))
        .collect()
}

fn read_md(path: &Path) -> Metadata {
    intoto::fs::read_metadata(path).unwrap()
}

fn public_key(dir: &Path, name: &str) -> intoto::crypto::PublicKey {
    intoto::fs::read_public_key(&dir.join(format!("{name}.pub")), KeyIdForm::Modern).unwrap()
}

fn find_link(dir: &Path, step: &str) -> PathBuf {
    let name = names(dir)
        .into_iter()
        .find(|n| n.starts_with(&format!("{step}.")) && n.ends_with(".link"))
        .unwrap_or_else(|| panic!("no link for {step} in {}: {:?}", dir.display(), names(dir)));
    dir.join(name)
}

const HELLO_SHA256: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

#[test]
fn attest_writes_a_signed_link_statement_in_dsse() {
    let (dir, work) = setup();
    intoto(&work)
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-m",
            "src",
            "-p",
            "hello.txt",
            "--attest",
        ])
        .args(["--", "true"])
        .assert()
        .success();
    let path = find_link(&work, "build");
    let md = read_md(&path);
    assert_eq!(md.kind(), intoto::model::EnvelopeKind::Dsse);
    check_signature(&md, &public_key(dir.path(), "alice")).unwrap();
    let Payload::Statement(statement) = md.payload().unwrap() else {
        panic!("not a statement")
    };
    assert_eq!(
        statement.predicate_type,
        "https://in-toto.io/attestation/link/v0.3"
    );
    assert_eq!(statement.subject.len(), 1);
    assert_eq!(statement.subject[0].name.as_deref(), Some("hello.txt"));
    let link = statement.to_link().unwrap();
    assert_eq!(link.name, "build");
    assert_eq!(link.command, ["true"]);
    assert!(link.materials.contains_key("src/main.c"));
    assert_eq!(link.products["hello.txt"].get("sha256"), Some(HELLO_SHA256));

    // match-products reads attestations too.
    intoto(&work)
        .args(["match-products", "-l"])
        .arg(&path)
        .args(["-p", "hello.txt"])
        .assert()
        .code(0);

    // Record start/stop: the unfinished link is a DSSE link, the final one a statement.
    intoto(&work)
        .args([
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-m",
            "src",
            "--attest",
        ])
        .assert()
        .success();
    let unfinished = names(&work)
        .into_iter()
        .find(|n| n.ends_with("link-unfinished"))
        .unwrap();
    assert!(matches!(
        read_md(&work.join(&unfinished)).payload().unwrap(),
        Payload::Link(_)
    ));
    intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            "hello.txt",
            "--attest",
        ])
        .assert()
        .success();
    assert!(matches!(
        read_md(&find_link(&work, "edit")).payload().unwrap(),
        Payload::Statement(_)
    ));
    assert!(!work.join(&unfinished).exists());
}

#[test]
fn attest_without_products_is_refused_before_anything_runs() {
    let (_dir, work) = setup();
    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-m",
            "src",
            "--attest",
        ])
        .args(["--", "touch", "ran"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--attest needs products"),
        "{}",
        stderr(&out)
    );
    assert!(!work.join("ran").exists());
    // Products that turn out empty: nothing is written either.
    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-p",
            "missing",
            "--attest",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("step \"build\" recorded no products"),
        "{}",
        stderr(&out)
    );
    assert!(link_files(&work).is_empty(), "{:?}", names(&work));
}

#[test]
fn hash_records_every_requested_digest() {
    let (_dir, work) = setup();
    fs::write(work.join("empty"), "").unwrap();
    intoto(&work)
        .args([
            "run",
            "-n",
            "h",
            "--signing-key",
            "../alice",
            "-p",
            "hello.txt",
            "empty",
            "dir:src",
        ])
        .args(["--hash", "sha256,sha512", "--hash", "blake3", "-x"])
        .assert()
        .success();
    let Payload::Link(link) = read_md(&find_link(&work, "h")).payload().unwrap() else {
        panic!()
    };
    let digests = &link.products["hello.txt"];
    assert_eq!(digests.get("sha256"), Some(HELLO_SHA256));
    assert_eq!(
        digests.get("sha512").map(|s| &s[..16]),
        Some("e7c22b994c59d9cf")
    );
    assert_eq!(digests.get("blake3").map(str::len), Some(64));
    // The BLAKE3 test vector for empty input.
    assert_eq!(
        link.products["empty"].get("blake3"),
        Some("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
    );
    assert_eq!(
        link.products["dir:src"].len(),
        3,
        "dir: URIs get every digest too"
    );

    // match-products hashes with the link's algorithms.
    let path = find_link(&work, "h");
    intoto(&work)
        .args(["match-products", "-l"])
        .arg(&path)
        .args(["-p", "hello.txt", "empty", "dir:src"])
        .assert()
        .code(0);

    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "h",
            "--signing-key",
            "../alice",
            "--hash",
            "md5",
            "-x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown digest \"md5\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_summary_and_exit_status_of_the_command() {
    let (_dir, work) = setup();
    let out = intoto(&work)
        .args([
            "--format",
            "json",
            "run",
            "-n",
            "s",
            "--signing-key",
            "../alice",
            "-m",
            ".",
            "-p",
            "hello.txt",
        ])
        .args(["--", "sh", "-c", "exit 4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["step"], "s");
    assert_eq!(summary["return_value"], 4);
    assert_eq!(summary["materials"], 2);
    assert_eq!(summary["products"], 1);
    assert_eq!(summary["files"], 3);
    assert_eq!(summary["bytes"], 25 + 6 + 6);
    assert_eq!(summary["form"], "link");
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
    let link = work.join(summary["link"].as_str().unwrap());
    let Payload::Link(recorded) = read_md(&link).payload().unwrap() else {
        panic!()
    };
    assert_eq!(recorded.return_value(), Some(4));

    // Without -s, the command's output is not shown (as in the reference); with it, it is.
    intoto(&work)
        .args([
            "run",
            "-n",
            "quiet",
            "--signing-key",
            "../alice",
            "--",
            "echo",
            "hidden",
        ])
        .assert()
        .success()
        .stdout("");
    intoto(&work)
        .args([
            "run",
            "-n",
            "loud",
            "--signing-key",
            "../alice",
            "-s",
            "--",
            "echo",
            "shown",
        ])
        .assert()
        .success()
        .stdout("shown\n");
    let Payload::Link(loud) = read_md(&find_link(&work, "loud")).payload().unwrap() else {
        panic!()
    };
    assert_eq!(loud.stdout(), Some("shown\n"));
}

#[test]
fn missing_paths_are_skipped_with_a_warning() {
    let (_dir, work) = setup();
    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "m",
            "--signing-key",
            "../alice",
            "-m",
            "hello.txt",
            "nothing-here",
            "-x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("nothing-here does not exist"),
        "{}",
        stderr(&out)
    );
    let Payload::Link(link) = read_md(&find_link(&work, "m")).payload().unwrap() else {
        panic!()
    };
    assert_eq!(link.materials.keys().collect::<Vec<_>>(), ["hello.txt"]);
    // -q keeps it quiet.
    intoto(&work)
        .args([
            "-q",
            "run",
            "-n",
            "m",
            "--signing-key",
            "../alice",
            "-m",
            "nothing-here",
            "-x",
        ])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn unreadable_files_fail_the_step_and_name_the_file() {
    let (_dir, work) = setup();
    let secret = work.join("src/secret");
    fs::write(&secret, "x").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads files whatever their permissions; reading /proc/self/mem
    // at offset 0 fails for everyone.
    let (path, shown) = if fs::read(&secret).is_err() {
        ("src", "src/secret")
    } else {
        ("/proc/self/mem", "/proc/self/mem")
    };
    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "r",
            "--signing-key",
            "../alice",
            "-m",
            path,
            "-x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot record materials of step \"r\": cannot read {shown}"
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(link_files(&work).is_empty());
}

#[test]
fn bad_keys_and_passwords_fail_before_the_command_runs() {
    let (dir, work) = setup();
    fs::write(dir.path().join("garbage"), "not a key").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--signing-key", "../garbage"], "../garbage: invalid key"),
        (&["--signing-key", "../nope"], "cannot read ../nope"),
        (&["--signing-key", "../enc"], "the private key is encrypted"),
        (
            &["--signing-key", "../enc", "-P", "wrong"],
            "wrong password",
        ),
        (
            &["--signing-key", "../alice.pub"],
            "../alice.pub: invalid key",
        ),
    ];
    for (key_args, message) in cases {
        let out = intoto(&work)
            .args(["run", "-n", "k", "-p", "."])
            .args(*key_args)
            .args(["--", "touch", "ran"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{key_args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{key_args:?}: {}",
            stderr(&out)
        );
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert!(
            !work.join("ran").exists(),
            "the command ran with {key_args:?}"
        );
        assert!(link_files(&work).is_empty());
    }
    // The right password works, given or piped to the prompt.
    intoto(&work)
        .args([
            "run",
            "-n",
            "k",
            "--signing-key",
            "../enc",
            "-P",
            "secret",
            "-x",
        ])
        .assert()
        .success();
    intoto(&work)
        .args(["run", "-n", "k2", "--signing-key", "../enc", "-P", "-x"])
        .write_stdin("secret\n")
        .assert()
        .success();
    // A key is required, as in the reference (a usage error).
    intoto(&work)
        .args(["run", "-n", "k", "-x"])
        .assert()
        .code(2);
}

#[test]
fn commands_that_cannot_run_exit_1_and_write_nothing() {
    let (_dir, work) = setup();
    fs::write(work.join("not-executable"), "#!/bin/sh\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--", "intoto-no-such-command"],
            "command not found: \"intoto-no-such-command\"",
        ),
        (
            &["--", "./not-executable"],
            "cannot start \"./not-executable\"",
        ),
        (
            &["--run-timeout", "1", "--", "sleep", "10"],
            "\"sleep\" timed out after 1 s",
        ),
    ];
    for (args, message) in cases {
        let out = intoto(&work)
            .args(["run", "-n", "c", "--signing-key", "../alice", "-m", "."])
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(message) && err.contains("step \"c\""),
            "{args:?}: {err}"
        );
        assert!(link_files(&work).is_empty(), "{:?}", names(&work));
    }
    // No command at all is a usage error.
    let out = intoto(&work)
        .args(["run", "-n", "c", "--signing-key", "../alice"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no command given for step \"c\""));
    // mock: the same for a command that cannot run, but a failing command is fine.
    intoto(&work)
        .args(["mock", "-n", "m", "--", "intoto-no-such-command"])
        .assert()
        .code(1);
    assert!(!work.join("m.link").exists());
}

/// A folder nobody may write to. Root ignores permission bits, so then a
/// folder of procfs stands in (no one can create files there).
fn read_only_dir(parent: &Path) -> PathBuf {
    let dir = parent.join("read-only");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(dir.join("probe"), "x").is_ok() {
        return PathBuf::from("/proc/self");
    }
    dir
}

#[test]
fn an_unwritable_metadata_directory_fails_before_the_command_runs() {
    let (dir, work) = setup();
    let ro = read_only_dir(dir.path());
    for (args, command) in [
        (
            vec!["run", "-n", "build", "-m", "."],
            vec!["--", "touch", "ran"],
        ),
        (vec!["record", "stop", "-n", "build", "-p", "."], vec![]),
    ] {
        if args[0] == "record" {
            intoto(&work)
                .args([
                    "record",
                    "start",
                    "-n",
                    "build",
                    "--signing-key",
                    "../alice",
                    "-m",
                    ".",
                ])
                .assert()
                .success();
        }
        let out = intoto(&work)
            .args(&args)
            .args(["--signing-key", "../alice", "-d"])
            .arg(&ro)
            .args(command)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("metadata directory {}", ro.display()))
                && err.contains("step \"build\""),
            "{err}"
        );
        assert!(!work.join("ran").exists(), "the command ran");
    }
    // The unfinished link is still there for another try.
    assert_eq!(link_files(&work).len(), 1, "{:?}", names(&work));
    let out = intoto(&work)
        .args([
            "run",
            "-n",
            "x",
            "--signing-key",
            "../alice",
            "-d",
            "hello.txt",
            "-x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}

#[test]
fn a_full_disk_leaves_no_half_written_or_stray_files() {
    let (dir, work) = setup();
    let ro = dir.path().join("links");
    fs::create_dir_all(&ro).unwrap();
    // run: no link, nothing else either; an older link stays as it was.
    let out = intoto_on_full_disk(
        &work,
        &[
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-m",
            ".",
            "-x",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot write the link of step \"build\""),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(link_files(&work).is_empty(), "{:?}", names(&work));
    intoto(&work)
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-m",
            ".",
            "-x",
        ])
        .assert()
        .success();
    let old = find_link(&work, "build");
    let before = fs::read(&old).unwrap();
    let out = intoto_on_full_disk(
        &work,
        &[
            "run",
            "-n",
            "build",
            "--signing-key",
            "../alice",
            "-m",
            "src",
            "-x",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read(&old).unwrap(), before);
    assert_eq!(link_files(&work).len(), 1, "{:?}", names(&work));
    fs::remove_file(&old).unwrap();

    // record start: no unfinished link.
    let out = intoto_on_full_disk(
        &work,
        &[
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-m",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot write the unfinished link of step \"edit\""),
        "{}",
        stderr(&out)
    );
    assert!(link_files(&work).is_empty(), "{:?}", names(&work));

    // record stop: no link, and the unfinished link is kept for another try.
    intoto(&work)
        .args([
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-m",
            ".",
        ])
        .assert()
        .success();
    let unfinished = link_files(&work);
    assert_eq!(unfinished.len(), 1);
    let out = intoto_on_full_disk(
        &work,
        &[
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot write the link of step \"edit\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(link_files(&work), unfinished);
    intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            ".",
        ])
        .assert()
        .success();
    let after = link_files(&work);
    assert_eq!(after.len(), 1);
    assert!(
        after[0].starts_with("edit.") && after[0].ends_with(".link"),
        "{after:?}"
    );

    // mock too.
    let out = intoto_on_full_disk(&work, &["mock", "-n", "try", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!work.join("try.link").exists());
    assert_eq!(link_files(&work), after);
}

#[test]
fn record_stop_checks_the_unfinished_link_and_keeps_its_envelope() {
    let (dir, work) = setup();
    // No unfinished link.
    let out = intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no unfinished link for step \"edit\""),
        "{}",
        stderr(&out)
    );

    // Signed by another key, under this key's file name: exit 1, nothing changes.
    intoto(&work)
        .args([
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "../bob",
            "-m",
            ".",
        ])
        .assert()
        .success();
    let bobs = link_files(&work).pop().unwrap();
    let alice_id = public_key(dir.path(), "alice").keyid().short().to_owned();
    let forged = format!(".edit.{alice_id}.link-unfinished");
    fs::rename(work.join(&bobs), work.join(&forged)).unwrap();
    let out = intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            ".",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not signed by"),
        "{}",
        stderr(&out)
    );
    assert_eq!(link_files(&work), std::slice::from_ref(&forged));

    // Tampered materials: exit 1.
    fs::remove_file(work.join(&forged)).unwrap();
    intoto(&work)
        .args([
            "record",
            "start",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-m",
            ".",
            "--use-dsse",
        ])
        .assert()
        .success();
    let unfinished = work.join(link_files(&work).pop().unwrap());
    let original = fs::read(&unfinished).unwrap();
    let mut v: Value = serde_json::from_slice(&original).unwrap();
    let mut inner: Value = serde_json::from_slice(
        &intoto::model::envelope::decode_base64(v["payload"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    inner["materials"]["hello.txt"]["sha256"] = Value::String("0".repeat(64));
    v["payload"] = Value::String(intoto::model::envelope::encode_base64(
        inner.to_string().as_bytes(),
    ));
    fs::write(&unfinished, v.to_string()).unwrap();
    intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            ".",
        ])
        .assert()
        .code(1);

    // Intact: a DSSE link, as the unfinished one (--use-dsse on stop is not needed).
    fs::write(&unfinished, &original).unwrap();
    let out = intoto(&work)
        .args([
            "--format",
            "json",
            "record",
            "stop",
            "-n",
            "edit",
            "--signing-key",
            "../alice",
            "-p",
            "hello.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["form"], "DSSE link");
    assert_eq!(summary["products"], 1);
    let md = read_md(&work.join(summary["link"].as_str().unwrap()));
    assert_eq!(md.kind(), intoto::model::EnvelopeKind::Dsse);
    check_signature(&md, &public_key(dir.path(), "alice")).unwrap();
    assert!(!unfinished.exists());
}

#[test]
fn bad_recording_options_are_input_errors() {
    let (_dir, work) = setup();
    fs::create_dir_all(work.join("other/src")).unwrap();
    fs::write(work.join("other/src/main.c"), "x").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["-m", "src", "other/src", "--lstrip-paths", "other/"],
            "left-stripping gives two artifacts the name",
        ),
        (&["-m", "src", "--lstrip-paths", "sr", "src"], "overlap"),
        (
            &["-m", "src", "--exclude", "[z-a]"],
            "invalid exclude pattern",
        ),
        (
            &["-m", "src", "--base-path", "nowhere"],
            "cannot use base path nowhere",
        ),
        (&["-m", "dir:hello.txt"], "is not a directory"),
    ];
    for (args, message) in cases {
        let out = intoto(&work)
            .args(["run", "-n", "o", "--signing-key", "../alice", "-x"])
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(message) && err.contains("step \"o\""),
            "{args:?}: {err}"
        );
        assert!(link_files(&work).is_empty());
    }
}

#[test]
fn match_products_reports_differences_and_input_errors() {
    let (_dir, work) = setup();
    intoto(&work)
        .args([
            "run",
            "-n",
            "b",
            "--signing-key",
            "../alice",
            "-p",
            ".",
            "--use-dsse",
            "-x",
        ])
        .assert()
        .success();
    let link = find_link(&work, "b");
    intoto(&work)
        .args(["match-products", "-l"])
        .arg(&link)
        .assert()
        .code(0)
        .stdout("");
    fs::write(work.join("hello.txt"), "changed\n").unwrap();
    fs::write(work.join("new.txt"), "new\n").unwrap();
    fs::remove_file(work.join("src/main.c")).unwrap();
    intoto(&work)
        .args(["match-products", "-v", "-l"])
        .arg(&link)
        .assert()
        .code(1)
        .stdout(
            "Local artifacts don't match products in passed link.\n\
             Only in products: src/main.c\n\
             Not in products: new.txt\n\
             Hashes differ: hello.txt\n",
        );
    let out = intoto(&work)
        .args([
            "--format",
            "json",
            "match-products",
            "-e",
            "*.txt",
            "*.link",
            "-l",
        ])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["match"], false);
    assert_eq!(
        v["only_in_products"],
        serde_json::json!(["hello.txt", "src/main.c"])
    );
    assert_eq!(v["not_in_products"], serde_json::json!([]));
    let out = intoto(&work)
        .args(["match-products", "-l", "missing.link"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read missing.link"));
}

#[test]
fn mock_writes_an_unsigned_link_with_the_streams() {
    let (_dir, work) = setup();
    let out = intoto(&work)
        .args([
            "mock",
            "-n",
            "try",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 5",
        ])
        .output()
        .unwrap();
    // As in-toto-mock: the command's status does not matter, its output is shown.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert!(stderr(&out).contains("err\n"));
    assert!(
        stderr(&out).contains("wrote unsigned link try.link"),
        "{}",
        stderr(&out)
    );
    let md = read_md(&work.join("try.link"));
    assert!(md.signatures().is_empty());
    assert_eq!(md.kind(), intoto::model::EnvelopeKind::Legacy);
    let Payload::Link(link) = md.payload().unwrap() else {
        panic!()
    };
    assert_eq!(
        (link.stdout(), link.stderr(), link.return_value()),
        (Some("out\n"), Some("err\n"), Some(5))
    );
    assert!(link.materials.contains_key("hello.txt") && link.products.contains_key("src/main.c"));
    intoto(&work)
        .args(["-q", "mock", "-n", "try2", "--use-dsse", "--", "true"])
        .assert()
        .success()
        .stderr("");
    assert_eq!(
        read_md(&work.join("try2.link")).kind(),
        intoto::model::EnvelopeKind::Dsse
    );
    // A command is required.
    intoto(&work).args(["mock", "-n", "try3"]).assert().code(2);
}
