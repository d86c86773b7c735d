//! Helpers shared by the test suites: where the committed vectors are, and
//! where the Python reference implementation (`in-toto` 3.1.0 in a venv) is,
//! and GnuPG keyrings in temporary folders.

pub mod gpg;
pub mod pki;
pub mod server;
pub mod workload_api;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `tests/vectors/<rel>`: the committed third-party vectors.
pub fn vector(rel: &str) -> PathBuf {
    workspace_root().join("tests/vectors").join(rel)
}

/// Reads a committed vector file.
///
/// # Panics
///
/// If the file is missing: a test cannot go on without its fixture.
#[allow(clippy::panic)] // A missing fixture is a broken checkout; fail loudly.
pub fn read_vector(rel: &str) -> Vec<u8> {
    let path = vector(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()))
}

/// The Python reference's virtual environment, as `scripts/pyref-venv.sh`
/// creates it: `$INTOTO_PYREF` if set, else `target/pyref`.
pub fn pyref_dir() -> PathBuf {
    match std::env::var_os("INTOTO_PYREF") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target/pyref"),
    }
}

/// A program of the reference's venv (`python`, `in-toto-verify`, ...), or
/// `None` when the venv has not been created.
pub fn pyref_bin(name: &str) -> Option<PathBuf> {
    let path = pyref_dir().join("bin").join(name);
    path.exists().then_some(path)
}

/// Like [`pyref_bin`], but a missing venv fails the test unless
/// `INTOTO_SKIP_PYREF=1` says to skip interoperability tests; returns `None`
/// only in that case.
///
/// # Panics
///
/// If the venv is missing and skipping was not asked for: interoperability
/// is part of the test suite, and `scripts/pyref-venv.sh` creates the venv.
#[allow(clippy::panic)] // Tests must not pass silently without their peer.
pub fn require_pyref(name: &str) -> Option<PathBuf> {
    if let Some(path) = pyref_bin(name) {
        return Some(path);
    }
    if std::env::var("INTOTO_SKIP_PYREF").as_deref() == Ok("1") {
        return None;
    }
    panic!(
        "the Python reference is not installed at {}; run scripts/pyref-venv.sh (or set INTOTO_SKIP_PYREF=1 to skip interoperability tests)",
        pyref_dir().display()
    );
}

/// `intoto` (the binary this workspace builds), run in `dir`, with the log
/// filter of the environment removed so that output is what users see.
///
/// # Panics
///
/// When the binary has not been built (tests of `intoto-cli` build it).
#[allow(clippy::expect_used)] // Test setup.
pub fn intoto(dir: &Path) -> assert_cmd::Command {
    let mut cmd =
        assert_cmd::Command::cargo_bin("intoto").expect("the intoto binary is built for the tests");
    cmd.current_dir(dir).env_remove("INTOTO_LOG");
    cmd
}

/// A program of the reference's venv (`in-toto-run`, ...) run in `dir`, or
/// `None` when interoperability tests are skipped; see [`require_pyref`].
pub fn reference(dir: &Path, program: &str) -> Option<Command> {
    let path = require_pyref(program)?;
    let mut cmd = pyref_command(&path);
    cmd.current_dir(dir);
    Some(cmd)
}

/// Copies a folder with its subfolders.
///
/// # Panics
///
/// When reading or writing fails.
#[allow(clippy::expect_used)] // Test setup.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy's folder");
    for entry in std::fs::read_dir(from).expect("read the folder to copy") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}

/// A `Command` for a program of the reference's venv.
pub fn pyref_command(path: &Path) -> Command {
    let mut cmd = Command::new(path);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

/// Runs the script `tests/python/<script>` with the reference venv's
/// Python in `dir`; `None` when interoperability tests are skipped (see
/// [`require_pyref`]).
///
/// # Panics
///
/// When the interpreter cannot be started.
#[allow(clippy::expect_used)] // Test setup.
pub fn python_script(dir: &Path, script: &str, args: &[&str]) -> Option<std::process::Output> {
    let python = require_pyref("python")?;
    Some(
        pyref_command(&python)
            .current_dir(dir)
            .arg(workspace_root().join("tests/python").join(script))
            .args(args)
            .output()
            .expect("start the reference venv's Python"),
    )
}

/// The reference's program names, which `intoto` stands in for.
pub const REFERENCE_PROGRAMS: [&str; 6] = [
    "in-toto-run",
    "in-toto-record",
    "in-toto-verify",
    "in-toto-sign",
    "in-toto-mock",
    "in-toto-match-products",
];

/// Installs `binary` (the `intoto` binary) in `dir` under each of the
/// reference's program names, as links.
///
/// # Panics
///
/// When a link cannot be made.
#[cfg(unix)]
#[allow(clippy::expect_used)] // Test setup.
pub fn install_under_reference_names(dir: &Path, binary: &Path) {
    for program in REFERENCE_PROGRAMS {
        std::os::unix::fs::symlink(binary, dir.join(program)).expect("link the binary");
    }
}
