//! `intoto` under the reference's program names against the reference
//! itself: the same commands, in two copies of the same folder, must give
//! the same standard output, standard error and exit code.
//!
//! The flow is in-toto's demo: Bob clones a project and updates its
//! version (in-toto-run, in-toto-record), Carl packages it, Alice's layout
//! is verified; then the package is tampered with and caught, links go
//! missing, keys are wrong, and programs get wrong arguments.
//!
//! One difference is normalised: the reference prints its artifact queues
//! (Python sets) in an order that changes from run to run, intoto sorts
//! them, so lists in brackets are compared as sets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use intoto_test_support::{install_under_reference_names, intoto, pyref_command, require_pyref};

/// One side: a folder and the folder its `in-toto-*` programs are in.
struct World {
    dir: PathBuf,
    bin: PathBuf,
    reference: bool,
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl World {
    fn run(&self, sub: &str, program: &str, args: &[&str]) -> Outcome {
        let path = self.bin.join(program);
        let mut cmd = if self.reference {
            pyref_command(&path)
        } else {
            Command::new(&path)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.join(sub))
            .env("COLUMNS", "80")
            .env_remove("INTOTO_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("run the program");
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: normalise(&String::from_utf8_lossy(&out.stderr)),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }
}

/// Sorts the items of every `[...]` list that ends a line.
fn normalise(text: &str) -> String {
    text.split('\n')
        .map(|line| match line.rfind('[') {
            Some(at) if line.ends_with(']') && !line[at..].contains("Errno") => {
                let inner = &line[at + 1..line.len() - 1];
                let mut items: Vec<&str> = if inner.is_empty() {
                    Vec::new()
                } else {
                    inner.split(", ").collect()
                };
                items.sort_unstable();
                format!("{}[{}]", &line[..at], items.join(", "))
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

struct Both {
    ours: World,
    theirs: World,
    _tmp: tempfile::TempDir,
}

impl Both {
    /// Runs `program args` on both sides and requires the same outcome.
    #[track_caller]
    fn same(&self, what: &str, program: &str, args: &[&str]) -> Outcome {
        self.same_in(".", what, program, args)
    }

    /// [`Self::same`] in the subfolder `sub` of each side.
    #[track_caller]
    fn same_in(&self, sub: &str, what: &str, program: &str, args: &[&str]) -> Outcome {
        let theirs = self.theirs.run(sub, program, args);
        let ours = self.ours.run(sub, program, args);
        assert_eq!(
            ours,
            theirs,
            "{what}: `{program} {}` differs (left: intoto, right: the reference)",
            args.join(" ")
        );
        theirs
    }

    /// The same change to both folders.
    fn each(&self, change: impl Fn(&World)) {
        change(&self.ours);
        change(&self.theirs);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write a file");
}

fn keyid(dir: &Path, public: &str) -> String {
    let out = intoto(dir)
        .args(["key", "id", public])
        .output()
        .expect("run intoto key id");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("a keyid")
        .to_owned()
}

fn keys_json(dir: &Path, public: &[&str]) -> String {
    let out = intoto(dir)
        .args(["key", "layout"])
        .args(public)
        .output()
        .expect("run intoto key layout");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The demo's layout: clone, update-version and package, and an untar
/// inspection that checks the package holds what Bob's update produced.
fn layout(dir: &Path) -> String {
    let bob = keyid(dir, "bob.pub");
    let carl = keyid(dir, "carl.pub");
    format!(
        r#"{{"signatures": [], "signed": {{
  "_type": "layout",
  "expires": "2099-01-01T00:00:00Z",
  "readme": "",
  "keys": {keys},
  "steps": [
    {{"_type": "step", "name": "clone", "threshold": 1, "pubkeys": ["{bob}"],
      "expected_command": ["sh", "-c", "mkdir -p demo-project && echo v0 > demo-project/foo.py"],
      "expected_materials": [],
      "expected_products": [["CREATE", "demo-project/foo.py"], ["DISALLOW", "*"]]}},
    {{"_type": "step", "name": "update-version", "threshold": 1, "pubkeys": ["{bob}"],
      "expected_command": [],
      "expected_materials": [["MATCH", "demo-project/*", "WITH", "PRODUCTS", "FROM", "clone"], ["DISALLOW", "*"]],
      "expected_products": [["MODIFY", "demo-project/foo.py"], ["DISALLOW", "*"]]}},
    {{"_type": "step", "name": "package", "threshold": 1, "pubkeys": ["{carl}"],
      "expected_command": ["tar", "--mtime=2020-01-01", "--owner=0", "--group=0", "-czf", "demo-project.tar.gz", "demo-project"],
      "expected_materials": [["MATCH", "demo-project/*", "WITH", "PRODUCTS", "FROM", "update-version"], ["DISALLOW", "*"]],
      "expected_products": [["CREATE", "demo-project.tar.gz"], ["DISALLOW", "*"]]}}
  ],
  "inspect": [
    {{"_type": "inspection", "name": "untar", "run": ["tar", "xzf", "demo-project.tar.gz"],
      "expected_materials": [["MATCH", "demo-project.tar.gz", "WITH", "PRODUCTS", "FROM", "package"],
        ["ALLOW", "alice.pub"], ["ALLOW", "root.layout"], ["ALLOW", "*.link"], ["DISALLOW", "*"]],
      "expected_products": [["MATCH", "demo-project/foo.py", "WITH", "PRODUCTS", "FROM", "update-version"],
        ["ALLOW", "demo-project.tar.gz"], ["ALLOW", "alice.pub"], ["ALLOW", "root.layout"],
        ["ALLOW", "*.link"], ["DISALLOW", "*"]]}}
  ]
}}}}"#,
        keys = keys_json(dir, &["bob.pub", "carl.pub"]),
    )
}

/// A layout without steps, with an inspection that runs `run` if given.
fn small_layout(expires: &str, run: &[&str]) -> String {
    let inspect = if run.is_empty() {
        String::new()
    } else {
        format!(
            r#"{{"_type": "inspection", "name": "check", "run": {}, "expected_materials": [], "expected_products": []}}"#,
            serde_json::to_string(run).expect("json")
        )
    };
    format!(
        r#"{{"signatures": [], "signed": {{"_type": "layout", "expires": "{expires}", "readme": "",
  "keys": {{}}, "steps": [], "inspect": [{inspect}]}}}}"#
    )
}

fn setup() -> Option<Both> {
    let python = require_pyref("python")?;
    let tmp = tempfile::tempdir().expect("temporary folder");
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).expect("bin folder");
    install_under_reference_names(&bin, Path::new(env!("CARGO_BIN_EXE_intoto")));
    let keys = tmp.path().join("keys");
    std::fs::create_dir(&keys).expect("keys folder");
    for name in ["alice", "bob", "carl"] {
        intoto(&keys)
            .args(["key", "generate", name])
            .assert()
            .success();
    }
    write(&keys.join("root.layout.unsigned"), &layout(&keys));
    write(
        &keys.join("expired.layout.unsigned"),
        &small_layout("2001-01-01T00:00:00Z", &[]),
    );
    write(
        &keys.join("inspect.layout.unsigned"),
        &small_layout("2099-01-01T00:00:00Z", &["false"]),
    );
    let make = |name: &str, bin: PathBuf, reference: bool| {
        let dir = tmp.path().join(name);
        intoto_test_support::copy_dir(&keys, &dir);
        World {
            dir,
            bin,
            reference,
        }
    };
    let ours = make("ours", bin, false);
    let theirs = make(
        "theirs",
        python.parent().expect("venv bin").to_owned(),
        true,
    );
    Some(Both {
        ours,
        theirs,
        _tmp: tmp,
    })
}

#[test]
fn the_demo_supply_chain_reads_the_same_as_with_the_reference() {
    let Some(both) = setup() else {
        return;
    };
    // Alice signs the layout.
    both.same(
        "sign the layout",
        "in-toto-sign",
        &[
            "-f",
            "root.layout.unsigned",
            "-k",
            "alice",
            "-o",
            "root.layout",
        ],
    );
    // Bob clones (options after the command, as argparse allows).
    let clone = "mkdir -p demo-project && echo v0 > demo-project/foo.py";
    both.same(
        "clone",
        "in-toto-run",
        &[
            "-n",
            "clone",
            "--signing-key",
            "bob",
            "-p",
            "demo-project",
            "--",
            "sh",
            "-c",
            clone,
        ],
    );
    // Bob updates the version in two parts.
    both.same(
        "record start",
        "in-toto-record",
        &[
            "start",
            "-n",
            "update-version",
            "--signing-key",
            "bob",
            "-m",
            "demo-project",
        ],
    );
    both.each(|w| write(&w.path("demo-project/foo.py"), "v1\n"));
    both.same(
        "record stop",
        "in-toto-record",
        &[
            "stop",
            "-n",
            "update-version",
            "--signing-key",
            "bob",
            "-p",
            "demo-project",
        ],
    );
    // Carl packages.
    let package = [
        "-n",
        "package",
        "--signing-key",
        "carl",
        "-m",
        "demo-project",
        "-p",
        "demo-project.tar.gz",
        "--",
        "tar",
        "--mtime=2020-01-01",
        "--owner=0",
        "--group=0",
        "-czf",
        "demo-project.tar.gz",
        "demo-project",
    ];
    both.same("package", "in-toto-run", &package);
    // The final product is verified in a folder of its own.
    both.each(|w| {
        let final_dir = w.path("final");
        std::fs::create_dir(&final_dir).expect("final folder");
        for entry in std::fs::read_dir(&w.dir).expect("read folder") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".link")
                || name == "root.layout"
                || name == "alice.pub"
                || name == "demo-project.tar.gz"
            {
                std::fs::copy(w.path(&name), final_dir.join(&*name)).expect("copy");
            }
        }
    });
    let verify = [
        "--layout",
        "root.layout",
        "--verification-keys",
        "alice.pub",
    ];
    let ok = both.same_in("final", "verify", "in-toto-verify", &verify);
    assert_eq!(
        (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
        (Some(0), "", "")
    );
    both.same_in("final", "verify, quiet", "in-toto-verify", &quiet(&verify));

    // Carl slips a change into the project before he packages it: the
    // inspection finds that the package does not hold Bob's update.
    both.each(|w| {
        let _ = std::fs::remove_dir_all(w.path("final/demo-project"));
        write(&w.path("demo-project/foo.py"), "v1\nsomething evil\n");
    });
    both.same("package the tampered project", "in-toto-run", &package);
    both.each(|w| {
        for entry in std::fs::read_dir(&w.dir).expect("read folder") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            if name.starts_with("package.") || name == "demo-project.tar.gz" {
                std::fs::copy(w.path(&name), w.path("final").join(&*name)).expect("copy");
            }
        }
    });
    let caught = both.same_in(
        "final",
        "verify the tampered package",
        "in-toto-verify",
        &verify,
    );
    assert_eq!(caught.code, Some(1));
    assert!(
        caught.stderr.starts_with(
            "(in-toto-verify) RuleVerificationError: 'DISALLOW *' matched the following artifacts: ['demo-project/foo.py']"
        ),
        "{}",
        caught.stderr
    );
    let silent = both.same_in("final", "quietly", "in-toto-verify", &quiet(&verify));
    assert_eq!((silent.code, silent.stderr.as_str()), (Some(1), ""));
}

/// `args` and `-q`.
fn quiet<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.push("-q");
    v
}

#[test]
fn failures_read_the_same_as_with_the_reference() {
    let Some(both) = setup() else {
        return;
    };
    for name in ["root", "expired", "inspect"] {
        let unsigned = format!("{name}.layout.unsigned");
        let signed = format!("{name}.layout");
        both.same(
            "sign",
            "in-toto-sign",
            &["-f", &unsigned, "-k", "alice", "-o", &signed],
        );
    }
    let cases: &[(&str, &[&str])] = &[
        (
            "no links",
            &["-l", "root.layout", "--verification-keys", "alice.pub"],
        ),
        (
            "the wrong key",
            &["-l", "root.layout", "--verification-keys", "bob.pub"],
        ),
        (
            "no layout",
            &["-l", "missing.layout", "--verification-keys", "alice.pub"],
        ),
        (
            "no key file",
            &["-l", "root.layout", "--verification-keys", "missing.pub"],
        ),
        (
            "an expired layout",
            &["-l", "expired.layout", "--verification-keys", "alice.pub"],
        ),
        (
            "a failing inspection",
            &["-l", "inspect.layout", "--verification-keys", "alice.pub"],
        ),
    ];
    for (what, args) in cases {
        let out = both.same(what, "in-toto-verify", args);
        assert_eq!(out.code, Some(1), "{what}: {out:?}");
        assert!(
            out.stderr.starts_with("(in-toto-verify) "),
            "{what}: {out:?}"
        );
    }
    let out = both.same(
        "a missing signing key",
        "in-toto-run",
        &["-n", "clone", "--signing-key", "nobody", "--", "true"],
    );
    assert_eq!(out.code, Some(1));
    let out = both.same(
        "a failing command",
        "in-toto-run",
        &[
            "-n",
            "clone",
            "--signing-key",
            "bob",
            "--",
            "sh",
            "-c",
            "exit 3",
        ],
    );
    assert_eq!(out.code, Some(3));
    let out = both.same(
        "stop without start",
        "in-toto-record",
        &["stop", "-n", "never-started", "--signing-key", "bob"],
    );
    assert_eq!(out.code, Some(1));
}

#[test]
fn usage_errors_read_the_same_as_with_the_reference() {
    let Some(both) = setup() else {
        return;
    };
    let cases: &[(&str, &[&str])] = &[
        ("in-toto-run", &[]),
        ("in-toto-run", &["--bogus"]),
        ("in-toto-run", &["-n", "x"]),
        ("in-toto-run", &["-n", "x", "--signing-key", "bob"]),
        (
            "in-toto-run",
            &["-n", "x", "--signing-key", "bob", "ls", "-l"],
        ),
        (
            "in-toto-run",
            &["-n", "x", "-p", "out.txt", "--key", "carl", "--", "true"],
        ),
        ("in-toto-run", &["--s=1"]),
        ("in-toto-run", &["-n", "x", "-vz"]),
        ("in-toto-run", &["-n", "x", "--run-timeout", "soon"]),
        ("in-toto-run", &["-n"]),
        ("in-toto-run", &["--help"]),
        ("in-toto-record", &[]),
        ("in-toto-record", &["x"]),
        ("in-toto-record", &["start"]),
        ("in-toto-record", &["start", "-n", "s"]),
        (
            "in-toto-record",
            &["stop", "-n", "s", "--signing-key", "bob", "--bogus"],
        ),
        ("in-toto-record", &["stop", "--help"]),
        ("in-toto-verify", &[]),
        ("in-toto-verify", &["-l", "root.layout"]),
        (
            "in-toto-verify",
            &["-l", "x", "--verification-keys", "k", "-v", "-q"],
        ),
        ("in-toto-verify", &["-l", "x", "--verification-keys"]),
        ("in-toto-verify", &["-h"]),
        ("in-toto-sign", &[]),
        ("in-toto-sign", &["-f", "root.layout.unsigned"]),
        (
            "in-toto-sign",
            &["-f", "x", "-k", "alice", "--verify", "-a"],
        ),
        ("in-toto-sign", &["-f", "x", "--gpg", "--verify"]),
        ("in-toto-sign", &["--help"]),
        ("in-toto-mock", &[]),
        ("in-toto-mock", &["--name"]),
        ("in-toto-mock", &["--help"]),
        ("in-toto-match-products", &[]),
        ("in-toto-match-products", &["-l"]),
        ("in-toto-match-products", &["--help"]),
    ];
    for (program, args) in cases {
        let out = both.same("usage", program, args);
        let help = args.iter().any(|a| *a == "-h" || *a == "--help");
        assert_eq!(
            out.code,
            Some(if help { 0 } else { 2 }),
            "{program} {args:?}: {out:?}"
        );
    }
}
