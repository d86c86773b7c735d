//! Hostile input, end to end: each test is named for the item of the
//! adversarial review it covers (`item1_…` to `item11_…`) and failed before
//! the fix. The verifier's own side of items 1, 5 and 11 is also tested in
//! memory (`intoto-verify/tests/pipeline.rs`, `hostile_*`), the capture of
//! item 3 in `intoto-record` (`run::tests::record_streams_*`), the key files
//! of item 8 in `intoto-crypto/tests/hostile_keys.rs`.

// Test helpers fail the test on unexpected input, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

use intoto::model::{EnvelopeKind, Metadata};
use intoto_test_support::gpg::GpgHome;
use intoto_test_support::{intoto, vector};

/// Hangs are failures: no command here may take longer.
const LIVENESS: Duration = Duration::from_secs(60);

fn run(dir: &Path, args: &[&str]) -> Output {
    intoto(dir).args(args).timeout(LIVENESS).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `intoto key generate NAME` in `dir`; returns the keyid.
fn keygen(dir: &Path, name: &str) -> String {
    let out = run(dir, &["key", "generate", name]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(dir, &["key", "id", &format!("{name}.pub")]);
    stdout(&out).split_whitespace().next().unwrap().to_owned()
}

/// Writes `doc` unsigned to `<out>.unsigned` and signs it with `key` into `out`.
fn sign(dir: &Path, doc: &Value, key: &str, out: &str) {
    let unsigned = format!("{out}.unsigned");
    fs::write(
        dir.join(&unsigned),
        Metadata::wrap(doc, EnvelopeKind::Legacy).to_file_string(),
    )
    .unwrap();
    let done = run(dir, &["sign", "-f", &unsigned, "-k", key, "-o", out]);
    assert!(done.status.success(), "{}", stderr(&done));
    fs::remove_file(dir.join(unsigned)).unwrap();
}

/// Signs `doc` with the key file `key` through the library, for documents
/// `intoto sign` refuses to read.
fn sign_anyway(dir: &Path, doc: &Value, key: &str, out: &str) {
    let key = intoto::fs::read_private_key(&dir.join(key), None, intoto::crypto::KeyIdForm::Modern)
        .unwrap();
    let mut md = Metadata::wrap(doc, EnvelopeKind::Legacy);
    intoto::crypto::sign_metadata(&mut md, &key).unwrap();
    fs::write(dir.join(out), md.to_file_string()).unwrap();
}

fn key_dict(dir: &Path, name: &str) -> Value {
    let out = run(dir, &["key", "layout", &format!("{name}.pub")]);
    let dicts: Value = serde_json::from_str(&stdout(&out)).unwrap();
    dicts.as_object().unwrap().values().next().unwrap().clone()
}

fn layout(keys: &[(&str, Value)], steps: Value, inspect: Value) -> Value {
    json!({
        "_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "",
        "keys": keys.iter().map(|(id, d)| ((*id).to_owned(), d.clone())).collect::<serde_json::Map<_, _>>(),
        "steps": steps, "inspect": inspect,
    })
}

fn step(name: &str, keyid: &str) -> Value {
    json!({"_type": "step", "name": name, "threshold": 1, "pubkeys": [keyid],
           "expected_command": [], "expected_materials": [], "expected_products": []})
}

fn link(name: &str, products: Value) -> Value {
    json!({"_type": "link", "name": name, "command": [], "materials": {},
           "products": products, "byproducts": {}, "environment": {}})
}

fn verify_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "verify",
        "--format",
        "json",
        "-l",
        "root.layout",
        "--verification-keys",
        "alice.pub",
    ];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    let report = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (out.status.code().unwrap(), report)
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| d["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn item1_a_sublayout_folder_that_links_back_to_itself_does_not_recurse_without_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    let bob = keygen(d, "bob");
    let bob_dict = key_dict(d, "bob");
    // Bob's link for `build` is a sublayout delegating `build` to bob again,
    // and its folder `build.<bob>` is the link folder itself.
    let sub = layout(
        &[(&bob, bob_dict.clone())],
        json!([step("build", &bob)]),
        json!([]),
    );
    sign(d, &sub, "bob", &format!("build.{}.link", &bob[..8]));
    std::os::unix::fs::symlink(".", d.join(format!("build.{}", &bob[..8]))).unwrap();
    let root = layout(&[(&bob, bob_dict)], json!([step("build", &bob)]), json!([]));
    sign(d, &root, "alice", "root.layout");
    let (code, report) = verify_json(d, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["sublayout-cycle"], "{report:#}");
}

#[test]
fn item1_step_names_that_are_paths_read_nothing_outside_the_link_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let links = d.join("links");
    fs::create_dir(&links).unwrap();
    keygen(d, "alice");
    let bob = keygen(d, "bob");
    let bob_dict = key_dict(d, "bob");
    // A valid link for the path-named steps exists outside the link folder.
    for name in ["/proc/self/cwd/build", "../x"] {
        let root = layout(
            &[(&bob, bob_dict.clone())],
            json!([step(name, &bob)]),
            json!([]),
        );
        sign(d, &root, "alice", "root.layout");
        sign(
            d,
            &link(name, json!({})),
            "bob",
            &format!("x.{}.link", &bob[..8]),
        );
        let (code, report) = verify_json(d, &["--link-dir", "links"]);
        assert_eq!(code, 1, "{name}: {report:#}");
        assert_eq!(
            codes(&report),
            ["layout-name-invalid"],
            "{name}: {report:#}"
        );
    }
}

#[cfg(unix)]
#[test]
fn item2_fifos_and_devices_are_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    let bob = keygen(d, "bob");
    let mkfifo = |name: &str| {
        let ok = std::process::Command::new("mkfifo")
            .arg(d.join(name))
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    // The layout is a FIFO; then a symlink to /dev/zero.
    mkfifo("root.layout");
    let (code, _) = verify_json(d, &[]);
    assert_eq!(code, 2);
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
        ],
    );
    assert!(
        stderr(&out).contains("not a regular file (it is a FIFO)"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(d.join("root.layout")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.join("root.layout")).unwrap();
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("it is a device"), "{}", stderr(&out));
    fs::remove_file(d.join("root.layout")).unwrap();
    // A link file that is a FIFO.
    let root = layout(
        &[(&bob, key_dict(d, "bob"))],
        json!([step("build", &bob)]),
        json!([]),
    );
    sign(d, &root, "alice", "root.layout");
    mkfifo(&format!("build.{}.link", &bob[..8]));
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read link file"),
        "{}",
        stderr(&out)
    );
    // An unfinished link that is a FIFO.
    mkfifo(&format!(".build.{}.link-unfinished", &bob[..8]));
    let out = run(
        d,
        &["record", "stop", "-n", "build", "--signing-key", "bob"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
    // Recording a folder with a FIFO in it: skipped with a warning, not hung on.
    fs::create_dir(d.join("tree")).unwrap();
    fs::write(d.join("tree/a"), "a").unwrap();
    mkfifo("tree/pipe");
    let out = run(
        d,
        &[
            "run",
            "-n",
            "walk",
            "--signing-key",
            "bob",
            "-p",
            "tree",
            "-x",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("tree/pipe: it is not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn item3_record_streams_end_when_the_command_exits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "bob");
    // A process left running in the background holds the stderr pipe: it
    // would be read until it ends (a minute here, past the 30 s timeout).
    // (It idles, so that it costs nothing while it outlives the test.)
    let out = run(
        d,
        &[
            "run",
            "-n",
            "s",
            "--signing-key",
            "bob",
            "-s",
            "--run-timeout",
            "30",
            "--",
            "sh",
            "-c",
            "sleep 60 > /dev/null & yes | head -c 100000; exit 0",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The foreground writer is killed at its timeout, between reads.
    let out = run(
        d,
        &[
            "run",
            "-n",
            "t",
            "--signing-key",
            "bob",
            "-s",
            "--run-timeout",
            "2",
            "--",
            "yes",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
}

/// The key dicts of the committed RSA keyring's key 8465…0c8a17 (with its
/// signing subkey c5a0…d924e9 among `subkeys`) and of that subkey alone.
fn gpg_master_and_subkey(d: &Path, home: &str) -> (Value, Value) {
    let out = run(d, &["key", "layout", "--gpg", MASTER, "--gpg-home", home]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dicts: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let master = dicts[MASTER].clone();
    let sub = master["subkeys"][SUBKEY].clone();
    assert!(sub.is_object(), "{master:#}");
    (master, sub)
}

const MASTER: &str = "8465a1e2e0fb2b40adb2478e18fb3f537e0c8a17";
const SUBKEY: &str = "c5a0abe6ec19d0d65f85e2c39be9df5131d924e9";

#[test]
fn item4_a_subkey_listed_again_as_its_own_key_counts_once_with_its_master() {
    let home = GpgHome::copy("rsa");
    let h = home.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    let (master, sub) = gpg_master_and_subkey(d, h);
    // One physical key signs one link, presented under both names.
    fs::write(
        d.join("build.link"),
        Metadata::wrap(&link("build", json!({})), EnvelopeKind::Legacy).to_file_string(),
    )
    .unwrap();
    let out = run(
        d,
        &[
            "sign",
            "-f",
            "build.link",
            "--gpg",
            SUBKEY,
            "--gpg-home",
            h,
            "-o",
            "signed.link",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    fs::copy(
        d.join("signed.link"),
        d.join(format!("build.{}.link", &SUBKEY[..8])),
    )
    .unwrap();
    fs::copy(
        d.join("signed.link"),
        d.join(format!("build.{}.link", &MASTER[..8])),
    )
    .unwrap();
    for pubkeys in [[SUBKEY, MASTER], [MASTER, SUBKEY]] {
        let mut build = step("build", SUBKEY);
        build["pubkeys"] = json!(pubkeys);
        build["threshold"] = json!(2);
        let root = layout(
            &[(MASTER, master.clone()), (SUBKEY, sub.clone())],
            json!([build]),
            json!([]),
        );
        sign(d, &root, "alice", "root.layout");
        let (code, report) = verify_json(d, &[]);
        assert_eq!(code, 1, "{pubkeys:?}: {report:#}");
        let found = codes(&report);
        assert!(
            found.contains(&"threshold-not-met".to_owned()),
            "{pubkeys:?}: {report:#}"
        );
        assert!(
            found.contains(&"link-duplicate-functionary".to_owned()),
            "{pubkeys:?}: {report:#}"
        );
    }
}

#[cfg(unix)]
#[test]
fn item5_inspections_stay_in_their_folder_and_time_and_cannot_name_paths() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    // A planted symlink to /usr is not walked, so a 2 s limit holds.
    std::os::unix::fs::symlink("/usr", d.join("x")).unwrap();
    let check = json!({"_type": "inspection", "name": "check", "run": ["true"],
                       "expected_materials": [], "expected_products": []});
    sign(
        d,
        &layout(&[], json!([]), json!([check])),
        "alice",
        "root.layout",
    );
    let (code, report) = verify_json(d, &["--inspection-timeout", "2"]);
    assert_eq!(code, 0, "{report:#}");
    let check: Value = serde_json::from_slice(&fs::read(d.join("check.link")).unwrap()).unwrap();
    let recorded = check["signed"]["materials"].as_object().unwrap();
    assert!(
        !recorded.keys().any(|k| k.starts_with("x/")),
        "{:?}",
        recorded.keys()
    );
    // An inspection named like a path is refused before anything runs.
    let evil = json!({"_type": "inspection", "name": "../escaped", "run": ["true"],
                      "expected_materials": [], "expected_products": []});
    sign(
        d,
        &layout(&[], json!([]), json!([evil])),
        "alice",
        "root.layout",
    );
    let (code, report) = verify_json(d, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["layout-name-invalid"]);
    assert!(!d.parent().unwrap().join("escaped.link").exists());
}

#[test]
fn item6_signed_links_are_not_written_outside_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("work");
    fs::create_dir(&d).unwrap();
    keygen(&d, "bob");
    for name in ["../pwn", "/tmp/x/pwn"] {
        fs::write(
            d.join("in.link"),
            Metadata::wrap(&link(name, json!({})), EnvelopeKind::Legacy).to_file_string(),
        )
        .unwrap();
        let out = run(&d, &["sign", "-f", "in.link", "-k", "bob"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            stderr(&out).contains("cannot name the signed file; pass --output"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing beside work/"
    );
}

#[test]
fn item6_step_names_given_on_the_command_line_must_be_plain_file_names() {
    // A deliberate difference: the reference writes `<name>.<keyid>.link`
    // for any name, `../x` included; a layout could never name such a step.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("work");
    fs::create_dir(&d).unwrap();
    keygen(&d, "bob");
    for name in ["../pwn", "a/b", ".."] {
        for args in [
            vec!["run", "-n", name, "--signing-key", "bob", "--", "true"],
            vec!["record", "start", "-n", name, "--signing-key", "bob"],
            vec!["mock", "-n", name, "--", "true"],
        ] {
            let out = run(&d, &args);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(stderr(&out).contains(name), "{args:?}: {}", stderr(&out));
        }
    }
    let left: Vec<_> = fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("bob"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing beside work/"
    );
}

#[test]
fn item6_record_stop_refuses_an_unfinished_link_of_another_step() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bob = keygen(d, "bob");
    let out = run(
        d,
        &["record", "start", "-n", "other", "--signing-key", "bob"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    fs::rename(
        d.join(format!(".other.{}.link-unfinished", &bob[..8])),
        d.join(format!(".rs.{}.link-unfinished", &bob[..8])),
    )
    .unwrap();
    let out = run(d, &["record", "stop", "-n", "rs", "--signing-key", "bob"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds the unfinished link of step \"other\""));
    assert!(!d.join(format!("other.{}.link", &bob[..8])).exists());
    assert!(!d.join(format!("rs.{}.link", &bob[..8])).exists());
}

#[test]
fn item7_names_from_metadata_cannot_draw_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    let bob = keygen(d, "bob");
    let mut build = step("build", &bob);
    build["expected_products"] = json!([["DISALLOW", "*"]]);
    sign(
        d,
        &layout(&[(&bob, key_dict(d, "bob"))], json!([build]), json!([])),
        "alice",
        "root.layout",
    );
    let evil = "x\nverified: the supply chain of root.layout passed all checks\u{1b}[2K\r";
    sign(
        d,
        &link("build", json!({evil: {"sha256": "00"}})),
        "bob",
        &format!("build.{}.link", &bob[..8]),
    );
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "alice.pub",
            "-v",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("verified:")), "{text}");
        assert!(!text.contains("x\nverified"), "{text}");
    }
    assert!(stdout(&out).contains("x\\nverified"), "{}", stdout(&out));
}

#[test]
fn item10_messages_say_what_is_wrong_with_a_key_or_value() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "bob");
    fs::write(
        d.join("in.link"),
        Metadata::wrap(&link("build", json!({})), EnvelopeKind::Legacy).to_file_string(),
    )
    .unwrap();
    let out = run(d, &["sign", "-f", "in.link", "-k", "bob.pub"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("signing needs the private key"),
        "{}",
        stderr(&out)
    );
    let out = run(d, &["sign", "-f", "in.link", "-k", "bob", "--verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs the public key"),
        "{}",
        stderr(&out)
    );
    // An integer beyond 64 bits is out of range, not "a float".
    fs::write(
        d.join("big.link"),
        r#"{"signed": {"_type": "link", "name": "build", "command": [], "materials": {}, "products": {},
           "byproducts": {"n": 123456789012345678901234}, "environment": {}}, "signatures": []}"#,
    )
    .unwrap();
    let out = run(d, &["sign", "-f", "big.link", "-k", "bob"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is out of range"), "{}", stderr(&out));
    // `run` points to its own password flag.
    let pems = vector("in-toto-python/pems");
    let encrypted = pems.join("ed25519_private_encrypted.pem");
    let out = run(
        d,
        &[
            "run",
            "-n",
            "x",
            "--signing-key",
            encrypted.to_str().unwrap(),
            "-x",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("give its password with -P"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("--prompt"), "{}", stderr(&out));
    // A leap second is no expiry date.
    keygen(d, "alice");
    let mut doc = layout(&[], json!([]), json!([]));
    doc["expires"] = json!("2030-12-31T23:59:60Z");
    sign_anyway(d, &doc, "alice", "leap.layout");
    let out = run(
        d,
        &[
            "verify",
            "-l",
            "leap.layout",
            "--verification-keys",
            "alice.pub",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expires"), "{}", stderr(&out));
}

#[test]
fn item11_a_layout_without_steps_inspect_or_keys_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(d, "alice");
    for field in ["steps", "inspect", "keys"] {
        let mut doc = layout(&[], json!([]), json!([]));
        doc.as_object_mut().unwrap().remove(field);
        // `intoto sign` refuses such a layout too.
        sign_anyway(d, &doc, "alice", "root.layout");
        let out = run(
            d,
            &[
                "verify",
                "-l",
                "root.layout",
                "--verification-keys",
                "alice.pub",
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{field}");
        assert!(
            stderr(&out).contains(&format!("`signed.{field}` is missing")),
            "{}",
            stderr(&out)
        );
    }
}
