//! Helpers shared by the integration tests: the reference interpreter and
//! test trees.

// Each test binary uses a different part of this module; helpers fail tests
// by panicking.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The Python interpreter of the reference's venv (in-toto 3.1.0, made by
/// `scripts/pyref-venv.sh` in `target/pyref`, or `$INTOTO_PYREF`). A missing
/// venv fails the test, unless `INTOTO_SKIP_PYREF=1` asks to skip
/// comparisons with the reference; then this is `None`.
pub fn reference() -> Option<PathBuf> {
    intoto_test_support::require_pyref("python")
}

/// Runs `script` with the reference interpreter in the current directory,
/// passing `args` as JSON in `argv[1]` and a result file in `argv[2]`;
/// returns the JSON the script wrote to the result file.
pub fn run_reference(python: &Path, script: &str, args: &Value) -> Value {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("result.json");
    // Output is captured: with `record_streams` the reference duplicates the
    // command's output to its own.
    let output = intoto_test_support::pyref_command(python)
        .arg("-c")
        .arg(script)
        .arg(args.to_string())
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "reference script failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap()
}

/// `os.path.relpath(target)` from the current directory, for both absolute
/// paths: enough `..` to reach `/`, then the target.
pub fn relative_from_cwd(target: &Path) -> String {
    let cwd = std::env::current_dir().unwrap();
    let ups = cwd.components().count() - 1;
    let target = target.to_str().unwrap().trim_start_matches('/');
    format!("{}{target}", "../".repeat(ups))
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A tree with the cases that matter for recording: nested directories,
/// dotfiles, `.git`, link files, symlinks to files and directories, a broken
/// symlink, unicode, spaces, a backslash, empty files, CRLF content.
pub fn build_tree(root: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("a.txt", b"alpha\n"),
        ("empty", b""),
        ("crlf.txt", b"one\r\ntwo\rthree\n\r"),
        (".hidden", b"dot\n"),
        (".config/settings", b"x=1\n"),
        (".git/HEAD", b"ref: refs/heads/main\n"),
        (".git/objects/ab/cdef", b"blob"),
        ("step.abcdef12.link", b"{}"),
        (".step.abcdef12.link-unfinished", b"{}"),
        ("module.pyc", b"\x00\x01"),
        ("notes.txt~", b"old"),
        ("d1/b.txt", b"beta\n"),
        ("d1/d2/c.txt", b"gamma\n"),
        ("d1/d2/d3/deep.bin", &[0u8, 255, 13, 10, 13]),
        ("d1/d2/empty-dir-sibling", b""),
        ("d1/.git/config", b"[core]\n"),
        ("keep/keep.txt", b"keep\n"),
        ("keep/drop.txt", b"drop\n"),
        ("keep/b.txt", b"other beta\n"),
        ("résumé.txt", b"unicode\n"),
        ("日本語/ファイル", b"nihongo\n"),
        ("with space/file name.txt", b"spaces\n"),
        ("back\\slash", b"backslash\n"),
        ("sub/base.txt", b"in base\n"),
        ("sub/inner/x.txt", b"x\n"),
    ];
    for (name, content) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    fs::create_dir_all(root.join("empty-dir")).unwrap();
    #[cfg(unix)]
    {
        symlink("a.txt", &root.join("link-to-a"));
        symlink("d1", &root.join("link-to-d1"));
        symlink("nowhere", &root.join("broken-link"));
        symlink("../a.txt", &root.join("d1/up-link"));
        symlink("../sub", &root.join("d1/link-to-sub"));
    }
}
