//! Repository rules that no compiler checks: the crate dependency graph
//! follows the layering in ARCHITECTURE.md (read from `cargo metadata`, every
//! kind of dependency), and every Rust file opens with a `//!` comment saying
//! what it is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use intoto_test_support::workspace_root;
use serde_json::Value;

/// Which workspace crates each crate may depend on, whatever the kind of
/// dependency (normal, dev, build): `model ← crypto ← {verify, record} ←
/// intoto ← store ← server ← cli` (the cli also on intoto and store, the
/// server on intoto).
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
    ("intoto-store", &["intoto"]),
    ("intoto-server", &["intoto", "intoto-store"]),
    ("intoto-tuf", &["intoto"]),
    ("intoto-spiffe", &["intoto-crypto"]),
    (
        "intoto-sigstore",
        &["intoto-model", "intoto-crypto", "intoto-verify"],
    ),
    (
        "intoto-cli",
        &[
            "intoto",
            "intoto-store",
            "intoto-server",
            "intoto-tuf",
            "intoto-spiffe",
            "intoto-sigstore",
        ],
    ),
    ("intoto-test-support", &[]),
];

/// The test fixtures: any crate may have them as a dev-dependency, none as
/// anything else.
const TEST_SUPPORT: &str = "intoto-test-support";

/// A dependency of one workspace crate on another.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    from: String,
    to: String,
    /// `normal`, `dev` or `build`.
    kind: String,
}

/// A workspace member: its name and the folder of its manifest.
struct Member {
    name: String,
    dir: PathBuf,
}

/// The workspace members and the dependencies among them, as `cargo
/// metadata` reports them.
fn workspace_graph() -> (Vec<Member>, Vec<Edge>) {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let ids: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages: Vec<&Value> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| ids.contains(&id)))
        .collect();
    let members: Vec<Member> = packages
        .iter()
        .map(|p| Member {
            name: p["name"].as_str().expect("package name").to_owned(),
            dir: Path::new(p["manifest_path"].as_str().expect("manifest_path"))
                .parent()
                .expect("manifest folder")
                .to_path_buf(),
        })
        .collect();
    let mut edges = Vec::new();
    for package in &packages {
        let from = package["name"].as_str().expect("package name");
        for dep in package["dependencies"].as_array().expect("dependencies") {
            let to = dep["name"].as_str().expect("dependency name");
            if members.iter().any(|m| m.name == to) {
                edges.push(Edge {
                    from: from.to_owned(),
                    to: to.to_owned(),
                    kind: dep["kind"].as_str().unwrap_or("normal").to_owned(),
                });
            }
        }
    }
    (members, edges)
}

/// What is wrong with `edges` among crates named `members`, one message
/// per bad edge or unknown crate.
fn layering_errors(members: &[&str], edges: &[Edge]) -> Vec<String> {
    let layers = "model ← crypto ← {verify, record} ← intoto ← cli, test-support only as a dev-dependency; see ARCHITECTURE.md";
    let mut errors = Vec::new();
    for member in members {
        if !ALLOWED.iter().any(|(name, _)| name == member) {
            errors.push(format!(
                "{member} is not in the layering table of tidy.rs and ARCHITECTURE.md"
            ));
        }
    }
    for Edge { from, to, kind } in edges {
        let allowed = if to == TEST_SUPPORT {
            kind == "dev" && from != TEST_SUPPORT
        } else {
            ALLOWED
                .iter()
                .find(|(name, _)| name == from)
                .is_some_and(|(_, deps)| deps.contains(&to.as_str()))
        };
        if !allowed {
            errors.push(format!(
                "bad dependency edge: {from} → {to} ({kind} dependency); allowed: {layers}"
            ));
        }
    }
    errors
}

#[test]
fn crates_depend_only_along_the_allowed_edges() {
    let (members, edges) = workspace_graph();
    for member in &members {
        assert_eq!(
            member.dir.file_name().and_then(|n| n.to_str()),
            Some(member.name.as_str()),
            "crate in {} must be named after its folder",
            member.dir.display()
        );
    }
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert!(names.len() >= 7, "workspace members: {names:?}");
    let errors = layering_errors(&names, &edges);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The check sees every kind of dependency, the fixtures included.
    assert!(
        edges
            .iter()
            .any(|e| e.to == TEST_SUPPORT && e.kind == "dev")
    );
}

#[test]
fn the_layering_check_names_each_bad_edge() {
    let edge = |from: &str, to: &str, kind: &str| Edge {
        from: from.into(),
        to: to.into(),
        kind: kind.into(),
    };
    let errors = layering_errors(
        &["intoto-model", "intoto-crypto", "intoto-extra"],
        &[
            edge("intoto-crypto", "intoto-model", "normal"),
            edge("intoto-crypto", TEST_SUPPORT, "dev"),
            edge("intoto-model", "intoto-crypto", "dev"),
            edge("intoto-verify", "intoto-record", "build"),
            edge("intoto-record", TEST_SUPPORT, "normal"),
            edge(TEST_SUPPORT, TEST_SUPPORT, "dev"),
        ],
    );
    assert_eq!(errors.len(), 5, "{errors:#?}");
    assert!(errors[0].contains("intoto-extra is not in the layering table"));
    assert!(errors[1].starts_with("bad dependency edge: intoto-model → intoto-crypto (dev"));
    assert!(errors[2].starts_with("bad dependency edge: intoto-verify → intoto-record (build"));
    assert!(
        errors[3].starts_with("bad dependency edge: intoto-record → intoto-test-support (normal")
    );
    assert!(errors[4].contains("intoto-test-support → intoto-test-support"));
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
