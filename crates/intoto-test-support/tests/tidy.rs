//! Repository rules that no compiler checks: the crate dependency graph
//! follows the layering in ARCHITECTURE.md, and every Rust file opens with a
//! `//!` comment saying what it is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use intoto_test_support::workspace_root;

/// Which workspace crates each crate may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("intoto-model", &[]),
    ("intoto-crypto", &["intoto-model"]),
    ("intoto-verify", &["intoto-model", "intoto-crypto"]),
    ("intoto-record", &["intoto-model", "intoto-crypto"]),
    (
        "intoto",
        &[
            "intoto-model",
            "intoto-crypto",
            "intoto-verify",
            "intoto-record",
        ],
    ),
    ("intoto-cli", &["intoto"]),
    ("intoto-test-support", &[]),
];

/// The `intoto*` names in a manifest's `[dependencies]` table.
fn workspace_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps
            && let Some((name, _)) = line.split_once('=')
            && name.trim().starts_with("intoto")
        {
            deps.push(name.trim().to_owned());
        }
    }
    deps
}

#[test]
fn crates_depend_only_along_the_allowed_edges() {
    let crates = workspace_root().join("crates");
    let mut seen = Vec::new();
    for entry in fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "crate in {} must be named after its folder",
            dir.display()
        );
        let allowed = ALLOWED
            .iter()
            .find(|(krate, _)| *krate == name)
            .unwrap_or_else(|| {
                panic!("{name} is not in the layering table of tidy.rs and ARCHITECTURE.md")
            })
            .1;
        for dep in workspace_dependencies(&manifest) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{name} must not depend on {dep} (see ARCHITECTURE.md)"
            );
        }
        seen.push(name);
    }
    assert!(seen.len() >= 7);
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_comment() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "fuzz/fuzz_targets"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(!files.is_empty());
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} must open with a `//!` comment saying what it is",
            file.display()
        );
    }
}
