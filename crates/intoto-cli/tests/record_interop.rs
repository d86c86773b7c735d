//! `intoto run`, `intoto record`, `intoto match-products` against the Python
//! reference (in-toto 3.1.0 in `target/pyref`): a supply chain recorded by
//! intoto is verified by `in-toto-verify` (and a tampered one rejected), and
//! intoto writes the same links as `in-toto-run` and `in-toto-record` for the
//! same tree, flags and key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The steps run POSIX tools (sh, tar, false) as their commands.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use intoto_test_support::require_pyref;
use intoto_test_support::{intoto, reference as py};

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn generate(dir: &Path, name: &str, key_type: &str) -> String {
    intoto(dir)
        .args(["key", "generate", name, "--type", key_type])
        .assert()
        .success();
    let out = intoto(dir)
        .args(["key", "id", &format!("{name}.pub")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn write(path: &Path, content: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// A tree with what matters when recording: nesting, dotfiles, `.git`, a link
/// file, a symlink to a file and one to a folder, spaces, unicode, CRLF.
fn build_tree(root: &Path) {
    for (name, content) in [
        ("a.txt", &b"alpha\n"[..]),
        ("empty", b""),
        ("crlf.txt", b"one\r\ntwo\rthree\n"),
        (".hidden", b"dot\n"),
        (".git/HEAD", b"ref: refs/heads/main\n"),
        ("old.abcdef12.link", b"{}"),
        ("module.pyc", b"\x00"),
        ("d/b.txt", b"beta\n"),
        ("d/e/c.bin", &[0, 255, 13, 10]),
        ("with space/ü.txt", "ü\n".as_bytes()),
    ] {
        write(&root.join(name), content);
    }
    std::os::unix::fs::symlink("a.txt", root.join("link-to-a")).unwrap();
    std::os::unix::fs::symlink("d", root.join("link-to-d")).unwrap();
}

/// The JSON document a link file holds (the payload of a DSSE envelope).
fn payload(path: &Path) -> Value {
    let v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    match v.get("payload").and_then(Value::as_str) {
        Some(p) => {
            serde_json::from_slice(&intoto::model::envelope::decode_base64(p).unwrap()).unwrap()
        }
        None => v["signed"].clone(),
    }
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "expected one file in {}: {files:?}",
        dir.display()
    );
    files.into_iter().next().unwrap()
}

struct Keys {
    alice: String,
    bob: String,
    carol: String,
}

/// Keys for a layout owner and three functionaries, one of each key type.
fn keys(dir: &Path) -> Keys {
    generate(dir, "owner", "ed25519");
    Keys {
        alice: generate(dir, "alice", "ed25519"),
        bob: generate(dir, "bob", "rsa"),
        carol: generate(dir, "carol", "ecdsa"),
    }
}

/// Signs a three-step layout with `intoto sign`: write-code (alice) creates
/// foo.py, package (bob) turns it into foo.tar, test (carol) uses foo.tar.
fn write_layout(dir: &Path, keys: &Keys) {
    let out = intoto(dir)
        .args(["key", "layout", "alice.pub", "bob.pub", "carol.pub"])
        .output()
        .unwrap();
    ok(&out, "intoto key layout");
    let key_dicts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = |name: &str, keyid: &str, materials: Value, products: Value| {
        json!({"_type": "step", "name": name, "threshold": 1, "pubkeys": [keyid],
               "expected_materials": materials, "expected_products": products, "expected_command": []})
    };
    let layout = json!({"signed": {
        "_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "", "keys": key_dicts,
        "steps": [
            step("write-code", &keys.alice, json!([]), json!([["CREATE", "foo.py"], ["DISALLOW", "*"]])),
            step("package", &keys.bob,
                 json!([["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"], ["DISALLOW", "*"]]),
                 json!([["CREATE", "foo.tar"], ["DISALLOW", "*"]])),
            step("test", &keys.carol,
                 json!([["MATCH", "foo.tar", "WITH", "PRODUCTS", "FROM", "package"], ["DISALLOW", "*"]]),
                 json!([])),
        ],
        "inspect": []}, "signatures": []});
    fs::write(dir.join("unsigned.layout"), layout.to_string()).unwrap();
    intoto(dir)
        .args([
            "sign",
            "-f",
            "unsigned.layout",
            "-k",
            "owner",
            "-o",
            "root.layout",
        ])
        .assert()
        .success();
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tamper {
    Nothing,
    /// foo.py changes between write-code and package.
    ProductBetweenSteps,
    /// The write-code link's recorded digest is edited after signing.
    Link,
}

/// Records the chain with intoto in `<dir>/<scenario>/work`, links in
/// `<dir>/<scenario>/links`; returns the links folder.
fn record_chain(dir: &Path, scenario: &str, dsse: bool, tamper: Tamper) -> PathBuf {
    let base = dir.join(scenario);
    let work = base.join("work");
    let links = base.join("links");
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&links).unwrap();
    let envelope: &[&str] = if dsse { &["--use-dsse"] } else { &[] };
    let key = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let links_arg = links.to_str().unwrap();

    intoto(&work)
        .args([
            "run",
            "-n",
            "write-code",
            "--signing-key",
            &key("alice"),
            "-p",
            "foo.py",
            "-d",
            links_arg,
        ])
        .args(envelope)
        .args(["--", "sh", "-c", "echo 'print(1)' > foo.py"])
        .assert()
        .success();
    if tamper == Tamper::ProductBetweenSteps {
        fs::write(work.join("foo.py"), "print('evil')\n").unwrap();
    }
    intoto(&work)
        .args([
            "record",
            "start",
            "-n",
            "package",
            "--signing-key",
            &key("bob"),
            "-m",
            "foo.py",
        ])
        .args(envelope)
        .assert()
        .success();
    let out = Command::new("tar")
        .args(["cf", "foo.tar", "foo.py"])
        .current_dir(&work)
        .output()
        .unwrap();
    ok(&out, "tar");
    intoto(&work)
        .args([
            "record",
            "stop",
            "-n",
            "package",
            "--signing-key",
            &key("bob"),
            "-p",
            "foo.tar",
            "-d",
            links_arg,
        ])
        .assert()
        .success();
    intoto(&work)
        .args([
            "run",
            "-n",
            "test",
            "--signing-key",
            &key("carol"),
            "-m",
            "foo.tar",
            "-s",
            "-d",
            links_arg,
        ])
        .args(envelope)
        .args(["--", "tar", "tf", "foo.tar"])
        .assert()
        .success()
        .stdout("foo.py\n");

    let names: Vec<String> = fs::read_dir(&links)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in &names {
        let text = fs::read_to_string(links.join(name)).unwrap();
        assert_eq!(
            text.contains("\"payload\""),
            dsse,
            "{name} has the wrong envelope"
        );
    }
    assert!(
        fs::read_dir(&work).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("unfinished")),
        "record stop left the unfinished link"
    );

    if tamper == Tamper::Link {
        let path = fs::read_dir(&links)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("write-code.")
            })
            .unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let mut v: Value = serde_json::from_str(&text).unwrap();
        let evil = "0".repeat(64);
        if dsse {
            let mut inner = payload(&path);
            inner["products"]["foo.py"]["sha256"] = json!(evil);
            v["payload"] = json!(intoto::model::envelope::encode_base64(
                inner.to_string().as_bytes()
            ));
        } else {
            v["signed"]["products"]["foo.py"]["sha256"] = json!(evil);
        }
        fs::write(&path, v.to_string()).unwrap();
    }
    links
}

fn reference_verifies(dir: &Path, links: &Path) -> Option<Output> {
    let mut cmd = py(dir, "in-toto-verify")?;
    let out = cmd
        .args([
            "--layout",
            "root.layout",
            "--verification-keys",
            "owner.pub",
            "--link-dir",
        ])
        .arg(links)
        .output()
        .unwrap();
    Some(out)
}

#[test]
fn the_reference_verifies_a_chain_recorded_by_intoto_and_rejects_tampering() {
    if require_pyref("in-toto-verify").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = keys(d);
    write_layout(d, &keys);
    for dsse in [false, true] {
        for tamper in [Tamper::Nothing, Tamper::ProductBetweenSteps, Tamper::Link] {
            let scenario = format!("{tamper:?}-{dsse}");
            let links = record_chain(d, &scenario, dsse, tamper);
            let out = reference_verifies(d, &links).unwrap();
            let log = String::from_utf8_lossy(&out.stderr);
            if tamper == Tamper::Nothing {
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "in-toto-verify rejected {scenario}: {log}"
                );
            } else {
                assert_eq!(
                    out.status.code(),
                    Some(1),
                    "in-toto-verify accepted {scenario}: {log}"
                );
                let expected = match tamper {
                    Tamper::Link => "validly signed",
                    _ => "DISALLOW",
                };
                assert!(
                    log.contains(expected),
                    "{scenario}: unexpected failure: {log}"
                );
            }
        }
    }
}

/// Flags of `in-toto-run` exercised against the reference (besides
/// `--signing-key` and `-d`).
const RUN_FLAGS: &[&[&str]] = &[
    &["-m", ".", "-p", "."],
    &["-m", ".", "-p", ".", "-s"],
    &["-m", ".", "--exclude", "*.txt", "d/e", "-p", "d"],
    &[
        "-m",
        "a.txt",
        "missing",
        "-p",
        "d",
        "link-to-d",
        "--lstrip-paths",
        "d/",
    ],
    &["--base-path", "d", "-m", ".", "-p", "e", "b.txt"],
    &["-x", "-m", ".", "-p", "with space"],
    &["--use-dsse", "-m", ".", "-p", ".", "-s"],
    &[
        "-m",
        "dir:d",
        "file:a.txt",
        "-p",
        "./d/../a.txt",
        "crlf.txt",
    ],
];

/// Runs `in-toto-run` and `intoto run` with the same flags on the same tree;
/// returns both link files and exit codes.
fn run_both(
    dir: &Path,
    key: &str,
    flags: &[&str],
    command: &[&str],
) -> Option<((PathBuf, i32), (PathBuf, i32))> {
    let tree = dir.join("tree");
    let theirs = dir.join("theirs");
    let ours = dir.join("ours");
    for d in [&theirs, &ours] {
        let _ = fs::remove_dir_all(d);
        fs::create_dir_all(d).unwrap();
    }
    let key = dir.join(key);
    let common = |out: &Path| -> Vec<String> {
        let mut v = vec![
            "-n".to_owned(),
            "step".to_owned(),
            "--signing-key".to_owned(),
        ];
        v.push(key.to_str().unwrap().to_owned());
        v.extend(["-d".to_owned(), out.to_str().unwrap().to_owned()]);
        v.extend(flags.iter().map(|s| (*s).to_owned()));
        v.push("--".to_owned());
        v.extend(command.iter().map(|s| (*s).to_owned()));
        v
    };
    let out = py(&tree, "in-toto-run")?
        .args(common(&theirs))
        .output()
        .unwrap();
    let their_code = out.status.code().unwrap();
    let out = intoto(&tree)
        .arg("run")
        .args(common(&ours))
        .output()
        .unwrap();
    let our_code = out.status.code().unwrap();
    Some((
        (only_file(&theirs), their_code),
        (only_file(&ours), our_code),
    ))
}

#[test]
fn run_writes_the_same_link_as_in_toto_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    build_tree(&d.join("tree"));
    generate(d, "ed", "ed25519");
    generate(d, "rsa", "rsa");
    generate(d, "ec", "ecdsa");
    let command = ["sh", "-c", "echo out; printf 'err\\r\\n' >&2; exit 3"];
    for flags in RUN_FLAGS {
        let Some(((theirs, their_code), (ours, our_code))) = run_both(d, "ed", flags, &command)
        else {
            return;
        };
        assert_eq!(our_code, their_code, "exit code for {flags:?}");
        assert_eq!(our_code, if flags.contains(&"-x") { 0 } else { 3 });
        assert_eq!(
            ours.file_name(),
            theirs.file_name(),
            "file name for {flags:?}"
        );
        // ed25519 signatures are deterministic: the whole file is the same.
        assert_eq!(
            fs::read_to_string(&ours).unwrap(),
            fs::read_to_string(&theirs).unwrap(),
            "link for {flags:?}"
        );
    }
    // RSA-PSS and ECDSA signatures are randomised: compare what was recorded.
    for key in ["rsa", "ec"] {
        for flags in [RUN_FLAGS[1], RUN_FLAGS[6]] {
            let Some(((theirs, _), (ours, _))) = run_both(d, key, flags, &command) else {
                return;
            };
            assert_eq!(
                ours.file_name(),
                theirs.file_name(),
                "file name for {key} {flags:?}"
            );
            let (ours, theirs) = (payload(&ours), payload(&theirs));
            for field in [
                "materials",
                "products",
                "byproducts",
                "command",
                "name",
                "environment",
            ] {
                assert_eq!(ours[field], theirs[field], "{field} for {key} {flags:?}");
            }
            assert_eq!(ours, theirs);
        }
    }
}

#[test]
fn run_exit_codes_match_in_toto_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    build_tree(&d.join("tree"));
    generate(d, "ed", "ed25519");
    let cases: &[(&[&str], &[&str], i32)] = &[
        (&[], &["sh", "-c", "exit 3"], 3),
        (&[], &["sh", "-c", "kill -9 $$"], 247),
        (&[], &["false"], 1),
    ];
    for (flags, command, code) in cases {
        let Some(((_, theirs), (_, ours))) = run_both(d, "ed", flags, command) else {
            return;
        };
        assert_eq!((ours, theirs), (*code, *code), "{command:?}");
    }
    // Neither writes a link when the command cannot be run or times out.
    for (flags, command) in [
        (&[][..], &["intoto-no-such-command"][..]),
        (&["--run-timeout", "1"], &["sleep", "5"]),
    ] {
        let tree = d.join("tree");
        let mut args = vec!["-n", "step", "--signing-key", "../ed", "-d", ".."];
        args.extend(flags);
        args.push("--");
        args.extend(command);
        let Some(mut cmd) = py(&tree, "in-toto-run") else {
            return;
        };
        let theirs = cmd.args(&args).output().unwrap();
        let ours = intoto(&tree).arg("run").args(&args).output().unwrap();
        assert_eq!(theirs.status.code(), Some(1), "{command:?}");
        assert_eq!(ours.status.code(), Some(1), "{command:?}");
        let stderr = String::from_utf8_lossy(&ours.stderr);
        assert!(
            stderr.contains(command[0]) && stderr.contains("\"step\""),
            "{stderr}"
        );
        assert!(
            !fs::read_dir(d).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".link")),
            "a link was written for {command:?}"
        );
    }
}

#[test]
fn record_writes_the_same_links_as_in_toto_record_and_mixes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("tree");
    build_tree(&tree);
    generate(d, "ed", "ed25519");
    for envelope in [&[][..], &["--use-dsse"][..]] {
        let mut files = Vec::new();
        for (who, out) in [("theirs", d.join("theirs")), ("ours", d.join("ours"))] {
            let _ = fs::remove_dir_all(&out);
            fs::create_dir_all(&out).unwrap();
            let start = [
                "start",
                "-n",
                "edit",
                "--signing-key",
                "../ed",
                "-m",
                ".",
                "--exclude",
                "d",
            ];
            let stop = [
                "stop",
                "-n",
                "edit",
                "--signing-key",
                "../ed",
                "-p",
                ".",
                "-d",
                out.to_str().unwrap(),
            ];
            if who == "theirs" {
                let Some(mut cmd) = py(&tree, "in-toto-record") else {
                    return;
                };
                ok(
                    &cmd.args(start).args(envelope).output().unwrap(),
                    "in-toto-record start",
                );
            } else {
                intoto(&tree)
                    .arg("record")
                    .args(start)
                    .args(envelope)
                    .assert()
                    .success();
            }
            let unfinished = fs::read_dir(&tree)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".link-unfinished"))
                .unwrap();
            let unfinished_text = fs::read_to_string(&unfinished).unwrap();
            write(&tree.join("made.txt"), b"made\n");
            if who == "theirs" {
                ok(
                    &py(&tree, "in-toto-record")
                        .unwrap()
                        .args(stop)
                        .output()
                        .unwrap(),
                    "in-toto-record stop",
                );
            } else {
                intoto(&tree).arg("record").args(stop).assert().success();
            }
            fs::remove_file(tree.join("made.txt")).unwrap();
            assert!(
                !unfinished.exists(),
                "{who}: the unfinished link is still there"
            );
            files.push((
                unfinished.file_name().unwrap().to_owned(),
                unfinished_text,
                only_file(&out),
            ));
        }
        let (theirs, ours) = (&files[0], &files[1]);
        assert_eq!(ours.0, theirs.0, "unfinished file name");
        assert_eq!(ours.1, theirs.1, "unfinished link {envelope:?}");
        assert_eq!(ours.2.file_name(), theirs.2.file_name(), "link file name");
        assert_eq!(
            fs::read_to_string(&ours.2).unwrap(),
            fs::read_to_string(&theirs.2).unwrap(),
            "link {envelope:?}"
        );
    }

    // Either side can stop what the other started.
    let out = d.join("mixed");
    fs::create_dir_all(&out).unwrap();
    let out_arg = out.to_str().unwrap();
    intoto(&tree)
        .args([
            "record",
            "start",
            "-n",
            "one",
            "--signing-key",
            "../ed",
            "-m",
            "a.txt",
            "--use-dsse",
        ])
        .assert()
        .success();
    let Some(mut cmd) = py(&tree, "in-toto-record") else {
        return;
    };
    ok(
        &cmd.args([
            "stop",
            "-n",
            "one",
            "--signing-key",
            "../ed",
            "-p",
            "a.txt",
            "-d",
            out_arg,
        ])
        .output()
        .unwrap(),
        "in-toto-record stop after intoto record start",
    );
    ok(
        &py(&tree, "in-toto-record")
            .unwrap()
            .args([
                "start",
                "-n",
                "two",
                "--signing-key",
                "../ed",
                "-m",
                "a.txt",
            ])
            .output()
            .unwrap(),
        "in-toto-record start",
    );
    intoto(&tree)
        .args([
            "record",
            "stop",
            "-n",
            "two",
            "--signing-key",
            "../ed",
            "-p",
            "a.txt",
            "-d",
            out_arg,
        ])
        .assert()
        .success();
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names[0].starts_with("one.") && names[1].starts_with("two."),
        "{names:?}"
    );
    assert!(
        fs::read_to_string(out.join(&names[0]))
            .unwrap()
            .contains("\"payload\"")
    );
}

#[test]
fn invoked_as_in_toto_run_it_takes_the_references_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    build_tree(&d.join("tree"));
    generate(d, "ed", "ed25519");
    if require_pyref("in-toto-run").is_none() {
        return;
    }
    let alias = d.join("in-toto-run");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("intoto"), &alias).unwrap();
    let args = [
        "-n",
        "alias",
        "--signing-key",
        "../ed",
        "-m",
        ".",
        "-d",
        "..",
        "-v",
        "--",
        "true",
    ];
    let out = Command::new(&alias)
        .args(args)
        .current_dir(d.join("tree"))
        .output()
        .unwrap();
    ok(&out, "in-toto-run alias");
    let link = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("alias.")
        })
        .unwrap();
    let ours = fs::read_to_string(&link).unwrap();
    fs::remove_file(&link).unwrap();
    ok(
        &py(&d.join("tree"), "in-toto-run")
            .unwrap()
            .args(args)
            .output()
            .unwrap(),
        "in-toto-run",
    );
    assert_eq!(ours, fs::read_to_string(&link).unwrap());
}

#[test]
fn match_products_agrees_with_the_reference_and_also_reads_dsse_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("tree");
    build_tree(&tree);
    // Both record with symlinked folders followed and match without: such a
    // folder's files are "only in products" for both (checked below).
    fs::remove_file(tree.join("link-to-d")).unwrap();
    generate(d, "ed", "ed25519");
    for envelope in [&[][..], &["--use-dsse"][..]] {
        intoto(&tree)
            .args([
                "run",
                "-n",
                "build",
                "--signing-key",
                "../ed",
                "-p",
                ".",
                "-d",
                "..",
                "-x",
            ])
            .args(envelope)
            .assert()
            .success();
        let link = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("build.")
            })
            .unwrap();
        let link_arg = link.to_str().unwrap().to_owned();
        for (change, expected) in [(false, 0), (true, 1)] {
            if change {
                fs::write(tree.join("a.txt"), "changed\n").unwrap();
            }
            let ours = intoto(&tree)
                .args(["match-products", "-l", &link_arg])
                .output()
                .unwrap();
            assert_eq!(
                ours.status.code(),
                Some(expected),
                "{envelope:?} changed: {change}"
            );
            let Some(mut cmd) = py(&tree, "in-toto-match-products") else {
                return;
            };
            let theirs = cmd.args(["-l", &link_arg]).output().unwrap();
            if envelope.is_empty() {
                assert_eq!(
                    theirs.status.code(),
                    Some(expected),
                    "the reference, changed: {change}"
                );
            } else {
                // The reference cannot read DSSE links here (AttributeError).
                assert!(!theirs.status.success());
            }
        }
        fs::write(tree.join("a.txt"), "alpha\n").unwrap();
        fs::remove_file(&link).unwrap();
    }

    std::os::unix::fs::symlink("d", tree.join("link-to-d")).unwrap();
    intoto(&tree)
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../ed",
            "-p",
            ".",
            "-d",
            "..",
            "-x",
        ])
        .assert()
        .success();
    let link = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("build.")
        })
        .unwrap();
    let ours = intoto(&tree)
        .args(["match-products", "-v", "-l"])
        .arg(&link)
        .output()
        .unwrap();
    let Some(mut cmd) = py(&tree, "in-toto-match-products") else {
        return;
    };
    let theirs = cmd.args(["-v", "-l"]).arg(&link).output().unwrap();
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(theirs.status.code(), Some(1));
    let sorted = |out: &Output| {
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert!(sorted(&ours).contains(&"Only in products: link-to-d/b.txt".to_owned()));
}

#[test]
fn mock_writes_the_same_link_as_in_toto_mock() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    build_tree(&tree);
    for envelope in [&[][..], &["--use-dsse"][..]] {
        let command = ["--", "sh", "-c", "echo out; echo err >&2; exit 2"];
        let Some(mut cmd) = py(&tree, "in-toto-mock") else {
            return;
        };
        let theirs = cmd
            .args(["-n", "try"])
            .args(envelope)
            .args(command)
            .output()
            .unwrap();
        ok(&theirs, "in-toto-mock");
        let their_text = fs::read_to_string(tree.join("try.link")).unwrap();
        let ours = intoto(&tree)
            .args(["mock", "-n", "try"])
            .args(envelope)
            .args(command)
            .output()
            .unwrap();
        ok(&ours, "intoto mock");
        assert_eq!(ours.stdout, theirs.stdout, "the command's output is shown");
        assert_eq!(
            fs::read_to_string(tree.join("try.link")).unwrap(),
            their_text,
            "{envelope:?}"
        );
    }
}
