//! Behaviour of this crate that has no reference counterpart, or where it
//! deliberately differs: symlink loops, names that are not UTF-8, special
//! files, progress, extra digests, whole-step helpers.

// Test helpers outside `#[test]` functions fail tests by panicking, and
// report skipped comparisons on stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::fs;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use intoto_record::{
    Counter, DigestAlgorithm, Error, Phase, RecordOptions, RunOptions, StartOptions, StepOptions,
    StopOptions, Streams, record_artifacts, record_start, record_stop, run_step,
};

#[cfg(unix)]
#[test]
fn symlink_loops_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("a/b")).unwrap();
    fs::write(dir.path().join("a/b/f"), "f").unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("a/b/up")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
    let got = record_artifacts(&["."], &RecordOptions::new().base_path(dir.path())).unwrap();
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    // `self` points to the walk's root and `a/b/up` to `a`: neither is entered
    // again, so each file is recorded once.
    assert_eq!(names, ["a/b/f"]);
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_an_error_unless_excluded() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.txt");
    fs::write(dir.path().join(name), "x").unwrap();
    let options = RecordOptions::new().base_path(dir.path());
    let err = record_artifacts(&["."], &options).unwrap_err();
    assert!(matches!(err, Error::NonUtf8Path { .. }), "{err:?}");
    let excluded = options.exclude_patterns(["*.txt"]);
    assert!(record_artifacts(&["."], &excluded).unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn fifos_are_skipped_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f"), "f").unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe"))
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo unavailable");
        return;
    }
    let options = RecordOptions::new().base_path(dir.path());
    let got = record_artifacts(&[".", "pipe"], &options).unwrap();
    assert_eq!(got.keys().collect::<Vec<_>>(), ["f"]);
}

#[test]
fn progress_counts_files_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    common::build_tree(dir.path());
    let counter = Arc::new(Counter::default());
    let options = RecordOptions::new()
        .base_path(dir.path())
        .progress(counter.clone());
    let got = record_artifacts(&["d1"], &options).unwrap();
    assert_eq!(counter.files.load(Ordering::Relaxed), got.len() as u64);
    assert!(counter.bytes.load(Ordering::Relaxed) > 0);
}

#[test]
fn extra_algorithms_are_recorded_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("abc"), "abc").unwrap();
    let options = RecordOptions::new().base_path(dir.path()).algorithms([
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha512,
    ]);
    let got = record_artifacts(&["abc"], &options).unwrap();
    let set = &got["abc"];
    assert_eq!(set.len(), 2);
    assert_eq!(
        set.get("sha256"),
        Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert!(
        set.get("sha512")
            .is_some_and(|h| h.starts_with("ddaf35a193617aba"))
    );
}

#[test]
fn every_sha2_digest_of_the_model_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("abc"), "abc").unwrap();
    let options = RecordOptions::new()
        .base_path(dir.path())
        .algorithms([DigestAlgorithm::Sha224, DigestAlgorithm::Sha384]);
    let got = record_artifacts(&["abc"], &options).unwrap();
    assert_eq!(
        got["abc"].get("sha224"),
        Some("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
    );
    assert_eq!(
        got["abc"].get("sha384"),
        Some(
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        )
    );
}

#[cfg(not(feature = "blake3"))]
#[test]
fn blake3_needs_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let options = RecordOptions::new()
        .base_path(dir.path())
        .algorithms([DigestAlgorithm::Blake3]);
    let err = record_artifacts(&["."], &options).unwrap_err();
    assert!(matches!(err, Error::UnsupportedDigest { .. }), "{err}");
}

#[cfg(feature = "blake3")]
#[test]
fn blake3_digest() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("abc"), "abc").unwrap();
    let options = RecordOptions::new()
        .base_path(dir.path())
        .algorithms([DigestAlgorithm::Blake3]);
    let got = record_artifacts(&["abc"], &options).unwrap();
    assert_eq!(
        got["abc"].get("blake3"),
        Some("6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")
    );
}

#[test]
fn large_files_stream_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    // Three chunks and a bit, with a CR right at a chunk boundary.
    let mut data = vec![b'x'; 3 * 256 * 1024 + 17];
    data[256 * 1024 - 1] = b'\r';
    data[256 * 1024] = b'\n';
    fs::write(dir.path().join("big"), &data).unwrap();
    let options = RecordOptions::new().base_path(dir.path());
    let plain = record_artifacts(&["big"], &options).unwrap();
    let expected = {
        use sha2::Digest;
        intoto_model::encoding::hex::encode(sha2::Sha256::digest(&data))
    };
    assert_eq!(plain["big"].get("sha256"), Some(expected.as_str()));
    let normalized = record_artifacts(&["big"], &options.normalize_line_endings(true)).unwrap();
    let expected = {
        use sha2::Digest;
        let mut n = data.clone();
        n.remove(256 * 1024 - 1);
        intoto_model::encoding::hex::encode(sha2::Sha256::digest(&n))
    };
    assert_eq!(normalized["big"].get("sha256"), Some(expected.as_str()));
}

#[test]
fn record_start_then_stop() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("in.txt"), "in").unwrap();
    let artifacts = RecordOptions::new().base_path(dir.path());
    let start = record_start(
        "edit",
        &StartOptions::new(["in.txt"]).artifacts(artifacts.clone()),
    )
    .unwrap();
    assert_eq!(start.name, "edit");
    assert_eq!(start.materials.len(), 1);
    assert!(start.products.is_empty() && start.command.is_empty() && start.byproducts.is_empty());

    fs::write(dir.path().join("out.txt"), "out").unwrap();
    let done = record_stop(
        start.clone(),
        &StopOptions::new(["."])
            .artifacts(artifacts.clone())
            .command(["vi", "out.txt"]),
    )
    .unwrap();
    assert_eq!(done.materials, start.materials);
    assert_eq!(done.products.len(), 2);
    assert_eq!(done.command, ["vi", "out.txt"]);
    assert!(done.byproducts.is_empty());

    // Empty overrides keep what the preliminary link had.
    let kept = record_stop(
        done.clone(),
        &StopOptions::new(["in.txt"]).artifacts(artifacts),
    )
    .unwrap();
    assert_eq!(kept.command, done.command);
    assert_eq!(kept.products.len(), 1);
}

#[test]
fn step_errors_name_the_step_and_phase() {
    let options = StepOptions::new()
        .materials(["dir:/definitely/not/here"])
        .run(RunOptions::new(["true"]));
    let err = run_step("build", &options).unwrap_err();
    assert!(
        matches!(&err, Error::Step { step, phase: Phase::Materials, source } if step == "build"
            && matches!(**source, Error::NotADirectory { .. })),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "cannot record materials of step \"build\"");

    let options = StepOptions::new().run(RunOptions::new(["intoto-no-such-command"]));
    let err = run_step("build", &options).unwrap_err();
    assert!(matches!(
        err,
        Error::Step {
            phase: Phase::Command,
            ..
        }
    ));
    assert_eq!(err.to_string(), "cannot run the command of step \"build\"");
}

#[test]
fn no_command_gives_empty_command_and_byproducts() {
    let record = run_step(
        "review",
        &StepOptions::new().run(RunOptions::new(Vec::<String>::new())),
    )
    .unwrap();
    assert!(record.link.command.is_empty() && record.link.byproducts.is_empty());
    assert_eq!(record.return_value, None);
}

#[test]
fn environment_records_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let record = run_step(
        "s",
        &StepOptions::new()
            .run(
                RunOptions::new(["true"])
                    .working_dir(dir.path())
                    .streams(Streams::Capture),
            )
            .record_environment(true),
    )
    .unwrap();
    assert_eq!(
        record.link.environment["workdir"],
        dir.path().to_str().unwrap()
    );
}

#[test]
fn mock_records_the_current_directory_both_times() {
    // The current directory of the test is the crate: small, and unchanged
    // by `true`.
    let record = intoto_record::mock("mock", ["true"]).unwrap();
    assert_eq!(record.link.materials, record.link.products);
    assert!(record.link.materials.contains_key("Cargo.toml"));
    assert_eq!(record.link.command, ["true"]);
    assert_eq!(record.link.byproducts["return-value"], 0);
    assert_eq!(record.link.byproducts["stdout"], "");
    assert_eq!(intoto_record::mock_file_name("mock"), "mock.link");
}

/// Builds, under `root`, the folder `deep` holding a chain of nested folders
/// whose full path is longer than `PATH_MAX` (4096 bytes on Linux), with a
/// regular file at the bottom. Made relative to open folder descriptors,
/// since the full path is too long for calls that take a path. Returns the
/// number of bytes of the bottom file's path below `root`.
#[cfg(unix)]
fn build_deeper_than_path_max(root: &std::path::Path) -> usize {
    use rustix::fs::{Mode, OFlags, mkdirat, openat};
    use std::io::Write as _;
    let name = "d".repeat(200);
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = rustix::fs::open(root, dir_flags, Mode::empty()).unwrap();
    mkdirat(&fd, "deep", Mode::from_raw_mode(0o755)).unwrap();
    fd = openat(&fd, "deep", dir_flags, Mode::empty()).unwrap();
    let mut below = "deep".len();
    // 25 levels of 201 bytes: over 5000 bytes.
    for _ in 0..25 {
        mkdirat(&fd, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        fd = openat(&fd, name.as_str(), dir_flags, Mode::empty()).unwrap();
        below += 1 + name.len();
    }
    let file = openat(
        &fd,
        "bottom.txt",
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .unwrap();
    std::fs::File::from(file).write_all(b"deep\n").unwrap();
    below + "/bottom.txt".len()
}

#[cfg(unix)]
#[test]
fn item9_a_file_deeper_than_path_max_is_an_error_not_left_out() {
    const PATH_MAX: usize = 4096;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("shallow.txt"), "shallow\n").unwrap();
    let below = build_deeper_than_path_max(dir.path());
    assert!(below > PATH_MAX, "the tree is only {below} bytes deep");

    // Recording the materials of the folder: the deep file cannot be
    // reached by its path, and that is an error naming where, not a link
    // that silently leaves it out.
    let options = RecordOptions::new().base_path(dir.path());
    let err = record_artifacts(&["."], &options).unwrap_err();
    let Error::Unreadable { path, source } = &err else {
        panic!("expected Error::Unreadable, got {err:?}");
    };
    assert!(
        path.starts_with(dir.path().join("deep")),
        "{} is not in the deep folder",
        path.display()
    );
    // The path named is the one too long for the system.
    assert!(
        path.as_os_str().len() >= PATH_MAX,
        "{} bytes: {}",
        path.as_os_str().len(),
        source
    );
    assert_eq!(
        source.raw_os_error(),
        Some(rustix::io::Errno::NAMETOOLONG.raw_os_error())
    );
    let message = err.to_string();
    assert!(message.contains(&*path.to_string_lossy()), "{message}");
    assert!(message.contains("exclude it"), "{message}");

    // The same through a step's materials.
    let start = record_start("deep", &StartOptions::new(["."]).artifacts(options.clone()));
    assert!(
        matches!(
            start,
            Err(Error::Step { phase: Phase::Materials, ref source, .. })
                if matches!(**source, Error::Unreadable { .. })
        ),
        "{start:?}"
    );

    // Excluded, the deep folder is not entered and the rest is recorded.
    let excluded = options.exclude_patterns(["deep/"]);
    let got = record_artifacts(&["."], &excluded).unwrap();
    assert_eq!(got.keys().collect::<Vec<_>>(), ["shallow.txt"]);

    // `remove_dir_all` works relative to open folders on Linux, so it
    // removes the deep tree too.
    let root = dir.path().to_owned();
    fs::remove_dir_all(root.join("deep")).unwrap();
    dir.close().unwrap();
    assert!(!root.exists());
}
