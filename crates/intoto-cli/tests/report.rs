//! `intoto verify --report`: the HTML picture of a verification, of the
//! demo's chain untampered and tampered between steps, rendered by headless
//! Chromium (a screenshot and the DOM it built). Chromium is required: the
//! tests fail when it cannot be started (`scripts/setup.sh` installs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use intoto_test_support::intoto;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// The demo's folders (`client`, `attack-between-steps/client`, `keys`)
/// in a fresh temporary folder.
fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("chain");
    intoto(dir.path())
        .args(["demo", "--dir"])
        .arg(&root)
        .assert()
        .success();
    (dir, root)
}

/// `intoto verify --report <report>` in `client`; its exit status and
/// standard output.
fn verify(client: &Path, key: &Path, report: &Path) -> (Option<i32>, String) {
    let out = intoto(client)
        .args(["verify", "-l", "root.layout", "--verification-keys"])
        .arg(key)
        .arg("--report")
        .arg(report)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs Chromium headless on `page` with `mode` (`--screenshot=<png>` or
/// `--dump-dom`); its standard output. Panics when Chromium cannot be
/// started, fails, or runs longer than a minute (it is then killed with
/// everything it started).
fn chromium(page: &Path, mode: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a timeout ends all it started.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {CHROMIUM} ({e}); scripts/setup.sh installs Debian's chromium")
        });
    // Read both pipes while waiting: the DOM can be larger than a pipe holds.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            panic!("{CHROMIUM} {mode} did not finish within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().unwrap().unwrap();
    let stderr = err.join().unwrap().unwrap_or_default();
    assert!(status.success(), "{CHROMIUM} {mode}: {status}\n{stderr}");
    stdout
}

/// Renders `page` to a screenshot and checks it is a real picture: a PNG of
/// the window's size, much larger than a blank page compresses to.
fn assert_screenshot(page: &Path) {
    let png = page.with_extension("png");
    chromium(page, &format!("--screenshot={}", png.display()));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 1000));
    assert!(
        bytes.len() > 40_000,
        "the screenshot is only {} bytes: is the page blank?",
        bytes.len()
    );
}

/// The DOM Chromium built from `page`.
fn dom(page: &Path) -> String {
    let dom = chromium(page, "--dump-dom");
    assert!(dom.contains("</html>"), "{dom}");
    dom
}

/// Where the graph's node `name` starts in the DOM, and its opening tag.
fn node<'d>(dom: &'d str, name: &str) -> (usize, &'d str) {
    let wanted = format!("data-node=\"{name}\"");
    dom.match_indices("<g class=\"node ")
        .map(|(at, _)| (at, dom[at..].split('>').next().unwrap()))
        .find(|(_, tag)| tag.contains(&wanted))
        .unwrap_or_else(|| panic!("no node {name} in the graph: {dom}"))
}

/// The element of the DOM that starts at `at` and ends with the first
/// `end` after it.
fn element<'d>(dom: &'d str, at: usize, end: &str) -> &'d str {
    let rest = &dom[at..];
    &rest[..rest.find(end).unwrap()]
}

#[test]
fn a_tampered_chain_is_drawn_with_the_failing_step_rule_and_artifact() {
    let (dir, root) = demo();
    let report = dir.path().join("report.html");
    let (code, stdout) = verify(
        &root.join("attack-between-steps/client"),
        &root.join("keys/alice.pub"),
        &report,
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("verification failed"), "{stdout}");

    assert_screenshot(&report);
    let dom = dom(&report);
    assert!(dom.contains("data-verdict=\"failed\""));
    let (package, tag) = node(&dom, "package");
    assert!(tag.contains("data-status=\"failed\""), "{tag}");
    for passed in ["clone", "build"] {
        assert!(
            node(&dom, passed).1.contains("data-status=\"passed\""),
            "{passed}"
        );
    }
    // The inspection never ran: verification stopped at the step rules.
    assert!(
        node(&dom, "untar")
            .1
            .contains("data-status=\"not-reached\"")
    );

    // Under the failing step, in the graph: the rule and the artifact, with
    // the digest it has and the one build produced.
    let drawn = element(&dom, package, "</g>");
    assert!(drawn.contains("rule-disallow-matched"), "{drawn}");
    assert!(drawn.contains(">rule: DISALLOW *</text>"), "{drawn}");
    assert!(drawn.contains("build/hello sha256:"), "{drawn}");
    assert!(drawn.contains("products of 'build' have"), "{drawn}");
    // The flow from build that did not carry build/hello is marked.
    let flow = dom.find("data-from=\"build\" data-to=\"package\"").unwrap();
    let flow = &dom[dom[..flow].rfind("<path").unwrap()..flow];
    assert!(flow.contains("class=\"edge failed\""), "{flow}");
    // And in full in the step's details.
    let details = dom
        .find("data-node=\"package\" data-kind=\"step\" data-status=\"failed\">\n<h3>")
        .unwrap();
    let details = element(&dom, details, "</article>");
    assert!(details.contains("<code>DISALLOW *</code>"), "{details}");
    assert!(details.contains("<code>build/hello sha256:"), "{details}");
    assert!(!dom.contains("<script"));
}

#[test]
fn a_passing_chain_is_drawn_passed() {
    let (dir, root) = demo();
    let report = dir.path().join("report.html");
    let (code, stdout) = verify(&root.join("client"), &root.join("keys/alice.pub"), &report);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("verified:"), "{stdout}");

    assert_screenshot(&report);
    let dom = dom(&report);
    assert!(dom.contains("data-verdict=\"passed\""));
    for name in ["clone", "build", "package", "untar"] {
        assert!(
            node(&dom, name).1.contains("data-status=\"passed\""),
            "{name}"
        );
    }
    assert!(!dom.contains("data-status=\"failed\""));
    assert!(!dom.contains("class=\"edge failed\""));
    // Each flow is labelled with its pattern and the source's artifacts.
    assert!(dom.contains(">build/hello</text>"), "{dom}");
    assert!(dom.contains(">PRODUCTS</text>"), "{dom}");
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_and_leaves_nothing_behind() {
    let (dir, root) = demo();
    let client = root.join("attack-between-steps/client");
    let missing = dir.path().join("no-such-folder/report.html");
    let out = intoto(&client)
        .args(["verify", "-l", "root.layout", "--verification-keys"])
        .arg(root.join("keys/alice.pub"))
        .arg("--report")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The verdict is printed all the same.
    assert!(String::from_utf8_lossy(&out.stdout).contains("verification failed"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the report"));

    // An existing report is replaced whole, and no temporary file is left.
    let report = dir.path().join("report.html");
    std::fs::write(&report, "old").unwrap();
    let (code, _) = verify(&client, &root.join("keys/alice.pub"), &report);
    assert_eq!(code, Some(1));
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_policy_verification_is_drawn_with_the_failing_step_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    intoto_test_support::copy_dir(
        &intoto_test_support::vector("attestation-verifier"),
        dir.path(),
    );
    // The build's provenance names another dependency than clone made.
    let path = dir.path().join("test-data/build.fe1c6281.json");
    let mut envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let payload =
        intoto::model::envelope::decode_base64(envelope["payload"].as_str().unwrap()).unwrap();
    let mut statement: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    statement["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example.com".into();
    envelope["payload"] =
        intoto::model::envelope::encode_base64(statement.to_string().as_bytes()).into();
    std::fs::write(&path, envelope.to_string()).unwrap();
    let report = dir.path().join("policy-report.html");
    let out = intoto(dir.path())
        .args([
            "verify",
            "-l",
            "layouts/layout.yml",
            "-a",
            "test-data",
            "--report",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));

    assert_screenshot(&report);
    let dom = dom(&report);
    assert!(dom.contains("data-verdict=\"failed\""), "{dom}");
    // The tampered provenance no longer verifies: build has no counted
    // attestation, and is the failed step; clone and test passed.
    assert!(
        node(&dom, "build").1.contains("data-status=\"failed\""),
        "{dom}"
    );
    for name in ["clone", "test"] {
        assert!(
            node(&dom, name).1.contains("data-status=\"passed\""),
            "{name}"
        );
    }
    assert!(dom.contains("threshold-not-met"), "{dom}");
    assert!(dom.contains("https://slsa.dev/provenance/v1"), "{dom}");
}
