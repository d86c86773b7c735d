//! Differential tests: record the same trees with this crate and with the
//! Python reference (`record_artifacts_as_dict`, `in_toto_run`) and compare.

// Test helpers outside `#[test]` functions fail tests by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use intoto_record::{
    Error, RecordOptions, RunOptions, StepOptions, Streams, record_artifacts, run_step,
};
use serde_json::{Value, json};

use common::{build_tree, reference, relative_from_cwd, run_reference};

const RECORD_SCRIPT: &str = r#"
import json, sys
from in_toto.runlib import record_artifacts_as_dict
a = json.loads(sys.argv[1])
try:
    r = {"ok": record_artifacts_as_dict(
        a["artifacts"],
        exclude_patterns=a.get("exclude"),
        base_path=a.get("base"),
        follow_symlink_dirs=a.get("follow", True),
        normalize_line_endings=a.get("normalize", False),
        lstrip_paths=a.get("lstrip"),
    )}
except Exception as e:
    r = {"error": type(e).__name__, "message": str(e)}
with open(sys.argv[2], "w") as f:
    json.dump(r, f)
"#;

/// One recording, described once and run on both sides.
#[derive(Default, Clone)]
struct Case {
    artifacts: Vec<String>,
    exclude: Vec<String>,
    base: Option<String>,
    lstrip: Vec<String>,
    follow: Option<bool>,
    normalize: bool,
}

impl Case {
    fn new<S: Into<String>>(artifacts: impl IntoIterator<Item = S>) -> Self {
        Self {
            artifacts: artifacts.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
    fn exclude(mut self, p: &[&str]) -> Self {
        self.exclude = p.iter().map(|s| s.to_string()).collect();
        self
    }
    fn base(mut self, b: &Path) -> Self {
        self.base = Some(b.to_str().unwrap().to_owned());
        self
    }
    fn lstrip(mut self, p: &[&str]) -> Self {
        self.lstrip = p.iter().map(|s| s.to_string()).collect();
        self
    }
    fn follow(mut self, f: bool) -> Self {
        self.follow = Some(f);
        self
    }
    fn normalize(mut self) -> Self {
        self.normalize = true;
        self
    }

    fn ours(&self) -> Result<Value, Error> {
        let mut options = RecordOptions::new()
            .exclude_patterns(self.exclude.clone())
            .lstrip_paths(self.lstrip.clone())
            .follow_symlink_dirs(self.follow.unwrap_or(true))
            .normalize_line_endings(self.normalize);
        if let Some(base) = &self.base {
            options = options.base_path(base);
        }
        let artifacts = record_artifacts(&self.artifacts, &options)?;
        Ok(Value::Object(
            artifacts
                .iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        ))
    }

    fn reference(&self, python: &Path) -> Value {
        let mut args = json!({
            "artifacts": self.artifacts,
            "follow": self.follow.unwrap_or(true),
            "normalize": self.normalize,
        });
        if !self.exclude.is_empty() {
            args["exclude"] = json!(self.exclude);
        }
        if !self.lstrip.is_empty() {
            args["lstrip"] = json!(self.lstrip);
        }
        if let Some(base) = &self.base {
            args["base"] = json!(base);
        }
        run_reference(python, RECORD_SCRIPT, &args)
    }

    /// Asserts both sides agree; returns the reference's answer.
    fn check(&self, python: &Path) -> Value {
        let theirs = self.reference(python);
        match (self.ours(), theirs.get("ok")) {
            (Ok(ours), Some(expected)) => {
                assert_eq!(&ours, expected, "artifacts differ for {:?}", self.artifacts);
                assert!(
                    !ours.as_object().unwrap().is_empty() || self.expect_empty(),
                    "nothing recorded for {:?}",
                    self.artifacts
                );
            }
            (Err(e), None) => {
                let kind = theirs["error"].as_str().unwrap();
                let agree = match &e {
                    Error::DuplicateArtifactName { .. }
                    | Error::OverlappingLstripPrefixes { .. } => kind == "PrefixError",
                    Error::NotADirectory { .. } => kind == "ValueError",
                    Error::ExcludePattern { .. } => {
                        kind == "GitIgnorePatternError" || kind == "error"
                    }
                    Error::BasePath { .. } => {
                        kind == "FileNotFoundError" || kind == "NotADirectoryError"
                    }
                    _ => false,
                };
                assert!(agree, "we failed with {e:?}, the reference with {theirs}");
            }
            (Ok(ours), None) => panic!("we recorded {ours}, the reference failed: {theirs}"),
            (Err(e), Some(_)) => panic!("we failed with {e}, the reference recorded {theirs}"),
        }
        theirs
    }

    fn expect_empty(&self) -> bool {
        self.artifacts.iter().any(|a| a.contains("missing"))
            || self.exclude.iter().any(|p| p == "*")
    }
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build_tree(dir.path());
    dir
}

#[test]
fn whole_tree_with_default_options() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let got = Case::new(["."]).base(dir.path()).check(&py);
    // Spot-check the interesting names so that agreement is not vacuous.
    let names = got["ok"].as_object().unwrap();
    for name in [
        "a.txt",
        ".hidden",
        ".config/settings",
        "link-to-a",
        "link-to-d1/d2/c.txt",
        "d1/up-link",
        "d1/link-to-sub/inner/x.txt",
        "résumé.txt",
        "with space/file name.txt",
        "back/slash",
        "empty",
    ] {
        assert!(names.contains_key(name), "{name} missing");
    }
    for name in [
        "broken-link",
        ".git/HEAD",
        "step.abcdef12.link",
        "module.pyc",
        "notes.txt~",
        "d1/.git/config",
    ] {
        assert!(!names.contains_key(name), "{name} recorded");
    }
}

#[test]
fn follow_symlink_dirs_off() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let got = Case::new(["."]).base(dir.path()).follow(false).check(&py);
    let names = got["ok"].as_object().unwrap();
    assert!(names.contains_key("link-to-a"));
    assert!(!names.keys().any(|k| k.starts_with("link-to-d1")));
}

#[test]
fn explicit_paths_normalisation_and_missing_paths() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    Case::new([
        "./a.txt",
        "d1/../empty",
        "d1//d2/",
        "missing-file",
        "broken-link",
        "link-to-a",
        "link-to-d1",
        "empty-dir",
        "file:a.txt",
        "file:./d1/d2",
        "http://example/x",
    ])
    .base(dir.path())
    .check(&py);
}

#[test]
fn paths_relative_to_cwd_and_absolute() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let rel = relative_from_cwd(dir.path());
    let abs = dir.path().to_str().unwrap().to_owned();
    Case::new([
        format!("{rel}/d1"),
        format!("{abs}/sub"),
        format!("{abs}/a.txt"),
    ])
    .check(&py);
}

#[test]
fn exclude_patterns() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let cases: &[&[&str]] = &[
        &["*.txt"],
        &["*.txt", "!keep.txt"],
        &["keep/", "!keep/keep.txt"],
        &["d1"],
        &["d2/"],
        &["/d1/d2"],
        &["**/c.txt"],
        &["d1/**/deep.bin"],
        &[""],
        &["*"],
        &["link-to-*"],
        &["[a-c]*"],
        &["sub", "!sub/base.txt"],
    ];
    for patterns in cases {
        Case::new(["."])
            .base(dir.path())
            .exclude(patterns)
            .check(&py);
        Case::new(["a.txt", "d1", "keep", "sub/base.txt"])
            .base(dir.path())
            .exclude(patterns)
            .check(&py);
    }
    // Invalid patterns fail on both sides.
    Case::new(["."])
        .base(dir.path())
        .exclude(&["[z-a]"])
        .check(&py);
    Case::new(["."])
        .base(dir.path())
        .exclude(&["bad\\"])
        .check(&py);
}

#[test]
fn base_path() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    Case::new(["."]).base(&dir.path().join("sub")).check(&py);
    Case::new(["inner", "base.txt", "../a.txt", "../d1"])
        .base(&dir.path().join("sub"))
        .check(&py);
    Case::new(["."])
        .base(&dir.path().join("link-to-d1"))
        .check(&py);
    // A base path that does not exist or is a file.
    Case::new(["."])
        .base(&dir.path().join("missing"))
        .check(&py);
    Case::new(["."]).base(&dir.path().join("a.txt")).check(&py);
}

#[test]
fn lstrip_paths() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    Case::new(["d1", "a.txt"])
        .base(dir.path())
        .lstrip(&["d1/"])
        .check(&py);
    Case::new(["d1", "sub"])
        .base(dir.path())
        .lstrip(&["d1/", "sub/"])
        .check(&py);
    // Plain string prefixes: "d" strips "d1/..." to "1/...".
    Case::new(["d1"]).base(dir.path()).lstrip(&["d"]).check(&py);
    Case::new(["file:d1"])
        .base(dir.path())
        .lstrip(&["d1/d2/"])
        .check(&py);
    // Overlapping prefixes.
    Case::new(["d1"])
        .base(dir.path())
        .lstrip(&["d1/", "d1/d2/"])
        .check(&py);
    // Collisions after stripping, and the same path twice.
    let got = Case::new(["d1/b.txt", "keep/keep.txt", "keep"])
        .base(dir.path())
        .lstrip(&["d1/", "keep/"])
        .check(&py);
    assert_eq!(got["error"], "PrefixError", "{got}");
    Case::new(["a.txt", "a.txt"])
        .base(dir.path())
        .lstrip(&["x"])
        .check(&py);
    // The reference's check compares unprefixed names, so a `file:` name
    // never collides with a later plain one, but a plain one with a later
    // `file:` one does.
    let got = Case::new(["file:d1/b.txt", "keep/b.txt"])
        .base(dir.path())
        .lstrip(&["d1/", "keep/"])
        .check(&py);
    assert_eq!(got["ok"].as_object().map(|m| m.len()), Some(2), "{got}");
    let got = Case::new(["keep/b.txt", "file:d1/b.txt"])
        .base(dir.path())
        .lstrip(&["d1/", "keep/"])
        .check(&py);
    assert_eq!(got["error"], "PrefixError", "{got}");
}

#[test]
fn line_ending_normalisation() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    Case::new(["crlf.txt", "d1"])
        .base(dir.path())
        .normalize()
        .check(&py);
}

#[test]
fn dir_resolver() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let rel = relative_from_cwd(dir.path());
    let abs = dir.path().to_str().unwrap().to_owned();
    Case::new([format!("dir:{rel}/d1"), format!("dir:{abs}/sub")]).check(&py);
    Case::new([format!("dir:{abs}/empty-dir")]).check(&py);
    Case::new([format!("dir:{abs}")]).check(&py);
    Case::new([format!("dir:{abs}")])
        .exclude(&["*.txt"])
        .check(&py);
    Case::new([format!("dir:{abs}/")])
        .follow(false)
        .normalize()
        .check(&py);
    // `dir:` ignores the base path, the file resolver uses it.
    Case::new([format!("dir:{rel}/d1"), "a.txt".to_owned()])
        .base(&dir.path().join("."))
        .lstrip(&[&format!("{rel}/")])
        .check(&py);
    // A missing directory or a file is an error.
    Case::new([format!("dir:{abs}/missing")]).check(&py);
    Case::new([format!("dir:{abs}/a.txt")]).check(&py);
    // Colliding names after lstrip.
    Case::new([format!("dir:{abs}/d1/d2"), format!("dir:{abs}/sub/d2")])
        .lstrip(&[&format!("{abs}/d1/"), &format!("{abs}/sub/")])
        .check(&py);
}

#[test]
fn resolver_vectors_match_the_reference_tests() {
    // From the reference's tests/test_directory_resolver.py and the OSTree vectors.
    let vectors = intoto_test_support::vector("in-toto-python/resolver");
    assert!(
        vectors.is_dir(),
        "the committed vectors are missing: {}",
        vectors.display()
    );
    let dir = format!("dir:{}", vectors.join("dir_resolver").display());
    let normalize = RecordOptions::new().normalize_line_endings(true);
    let got = record_artifacts(&[&dir], &normalize).unwrap();
    assert_eq!(
        got[&dir].get("sha256"),
        Some("ecdbcdc6bd5d2966ad1f7595874fcd6f505abd3feaa97e27bae74bcb78c38e54")
    );
    let got =
        record_artifacts(&[&dir], &normalize.clone().exclude_patterns(["README.md"])).unwrap();
    assert_eq!(
        got[&dir].get("sha256"),
        Some("c272da5259699b7bdda998e5c88dd2c5769e6c1cdbb538511f9bd46a0ad527e2")
    );
    let ostree = RecordOptions::new().base_path(vectors.join("ostree_repo"));
    let got = record_artifacts(&["ostree:test-branch"], &ostree).unwrap();
    assert_eq!(
        got["ostree:test-branch"].get("sha256"),
        Some("cf3e103a6aed64aec261e2161d1026aa26349d422d238b1ad9e2e2a7eeed8591")
    );
    let err = record_artifacts(&["ostree:no-such-branch"], &ostree).unwrap_err();
    assert!(matches!(err, Error::OstreeRef { .. }));
}

const RUN_SCRIPT: &str = r#"
import json, sys, attr
from in_toto.runlib import in_toto_run
a = json.loads(sys.argv[1])
try:
    md = in_toto_run(a["name"], a["materials"], a["products"], a["command"],
                     record_streams=a["record_streams"], base_path=a.get("base"))
    r = {"ok": attr.asdict(md.signed)}
except Exception as e:
    r = {"error": type(e).__name__, "message": str(e)}
with open(sys.argv[2], "w") as f:
    json.dump(r, f)
"#;

#[test]
fn run_step_matches_in_toto_run() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let base = dir.path().to_str().unwrap().to_owned();
    let new_file = dir.path().join("sub/new.txt");
    let commands: Vec<Vec<String>> = vec![
        vec![
            "sh".into(),
            "-c".into(),
            "echo out; echo err >&2; exit 3".into(),
        ],
        vec!["printf".into(), "a\r\nb\rc".into()],
        vec!["true".into()],
        vec![
            "sh".into(),
            "-c".into(),
            format!("echo made > '{}'", new_file.display()),
        ],
        vec![
            "sh".into(),
            "-c".into(),
            "printf 'caf\\303\\251 \\342\\234\\223\\n'".into(),
        ],
        vec![],
    ];
    for command in commands {
        for record_streams in [false, true] {
            let _ = std::fs::remove_file(&new_file);
            let args = json!({
                "name": "step", "materials": ["sub"], "products": ["sub"],
                "command": command, "record_streams": record_streams, "base": base,
            });
            let theirs = run_reference(&py, RUN_SCRIPT, &args);
            let _ = std::fs::remove_file(&new_file);
            let streams = if record_streams {
                Streams::Capture
            } else {
                Streams::Discard
            };
            let options = StepOptions::new()
                .materials(["sub"])
                .products(["sub"])
                .artifacts(RecordOptions::new().base_path(&base))
                .run(RunOptions::new(command.clone()).streams(streams));
            let record = run_step("step", &options).unwrap();
            let expected = &theirs["ok"];
            assert_eq!(
                &record.link.to_value(),
                expected,
                "link for {command:?} (-s: {record_streams})"
            );
            assert_eq!(
                record.return_value.map(i64::from),
                expected["byproducts"]["return-value"].as_i64()
            );
        }
    }
}

const MATCH_SCRIPT: &str = r#"
import json, sys
from in_toto.models.link import Link
from in_toto.runlib import in_toto_match_products
a = json.loads(sys.argv[1])
try:
    only, notin, differ = in_toto_match_products(
        Link.read(a["link"]), paths=a["paths"],
        exclude_patterns=a.get("exclude"), lstrip_paths=a.get("lstrip"))
    r = {"ok": [sorted(only), sorted(notin), sorted(differ)]}
except Exception as e:
    r = {"error": type(e).__name__, "message": str(e)}
with open(sys.argv[2], "w") as f:
    json.dump(r, f)
"#;

#[test]
fn match_products_matches_the_reference() {
    let Some(py) = reference() else {
        return;
    };
    let dir = tree();
    let abs = dir.path().to_str().unwrap().to_owned();
    let options = RecordOptions::new().base_path(dir.path());
    let record = run_step(
        "build",
        &StepOptions::new().products(["."]).artifacts(options),
    )
    .unwrap();
    // Change the tree: one file edited, one removed, one added.
    std::fs::write(dir.path().join("a.txt"), "changed\n").unwrap();
    std::fs::remove_file(dir.path().join("d1/b.txt")).unwrap();
    std::fs::write(dir.path().join("added.txt"), "new\n").unwrap();

    let prefix = format!("{abs}/");
    for exclude in [vec![], vec!["*.txt".to_owned()]] {
        let args = json!({
            "link": record.link.to_value(),
            "paths": [abs],
            "lstrip": [prefix],
            "exclude": if exclude.is_empty() { Value::Null } else { json!(exclude) },
        });
        let theirs = run_reference(&py, MATCH_SCRIPT, &args);
        let ours = intoto_record::match_products(
            &record.link,
            &[&abs],
            &RecordOptions::new()
                .follow_symlink_dirs(false)
                .lstrip_paths([prefix.clone()])
                .exclude_patterns(exclude.clone()),
        )
        .unwrap();
        let ours = json!([ours.only_in_products, ours.not_in_products, ours.differ]);
        assert_eq!(ours, theirs["ok"], "exclude {exclude:?}");
        assert_ne!(ours, json!([[], [], []]));
    }
}
