//! in-toto 3.1.0's own command-line tests (`tests/test_in_toto_*.py` of its
//! sdist, which `scripts/setup.sh` unpacks into `target/pyref-sdist`), run
//! against `intoto` installed under the reference's program names by
//! `tests/reference-cli/harness.py`: all 41 must pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use intoto_test_support::{
    install_under_reference_names, pyref_command, require_pyref, workspace_root,
};

#[test]
fn the_reference_cli_tests_pass_against_intoto() {
    let Some(python) = require_pyref("python") else {
        return;
    };
    let root = workspace_root();
    let sdist = root.join("target/pyref-sdist/in_toto-3.1.0");
    assert!(
        sdist.join("tests").is_dir(),
        "the reference's sdist is not unpacked at {}; run scripts/setup.sh",
        sdist.display()
    );
    intoto_test_support::gpg::require_gpg();
    let bin = tempfile::tempdir().expect("temporary folder");
    install_under_reference_names(bin.path(), Path::new(env!("CARGO_BIN_EXE_intoto")));
    let report = bin.path().join("report.json");
    let out = pyref_command(&python)
        .arg(root.join("tests/reference-cli/harness.py"))
        .arg("--bin-dir")
        .arg(bin.path())
        .arg("--sdist")
        .arg(&sdist)
        .arg("--json")
        .arg(&report)
        .env_remove("INTOTO_LOG")
        .output()
        .expect("run the harness");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("reference CLI tests: 41 passed, 0 failed"),
        "the reference's CLI tests failed against intoto:\n{stdout}\n{stderr}"
    );
}

#[test]
fn the_harness_passes_the_reference_itself() {
    // The harness is only a fair judge if the reference passes it too.
    let Some(python) = require_pyref("python") else {
        return;
    };
    let root = workspace_root();
    let sdist = root.join("target/pyref-sdist/in_toto-3.1.0");
    let bin = python.parent().expect("venv bin folder").to_owned();
    let out = pyref_command(&python)
        .arg(root.join("tests/reference-cli/harness.py"))
        .arg("--bin-dir")
        .arg(&bin)
        .arg("--sdist")
        .arg(&sdist)
        .output()
        .expect("run the harness");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("41 passed, 0 failed"),
        "the harness fails the reference itself:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
