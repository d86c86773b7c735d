//! Distribution over TUF (ITE-2): a repository published with `intoto tuf`,
//! served over loopback HTTP by the test, verified by `intoto verify
//! --tuf-repo` from a client that holds only `root.json`; and the attacks
//! on distribution, each caught with nothing placed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use intoto_test_support::{copy_dir, intoto, python_script};

/// A static file server on loopback, serving whatever folder it is
/// pointed at (the tests swap folders to play the attacker).
struct FileServer {
    root: Arc<Mutex<PathBuf>>,
    url: String,
}

impl FileServer {
    fn start(root: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let root = Arc::new(Mutex::new(root.to_owned()));
        let serving = Arc::clone(&root);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let base = serving.lock().unwrap().clone();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = request_line.split(' ').nth(1).unwrap_or("/");
                let relative = path.trim_start_matches('/');
                let file = base.join(relative);
                let response = if relative.split('/').any(|p| p == "..") {
                    None
                } else {
                    std::fs::read(&file).ok()
                };
                let _ = match response {
                    Some(body) => stream
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| stream.write_all(&body)),
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            }
        });
        Self { root, url }
    }

    fn serve(&self, root: &Path) {
        *self.root.lock().unwrap() = root.to_owned();
    }
}

/// `intoto tuf init` of `repo` with the fixture's role keys.
const INIT: [&str; 14] = [
    "tuf",
    "init",
    "--repo",
    "repo",
    "--root-key",
    "tuf-root",
    "--targets-key",
    "tuf-targets",
    "--snapshot-key",
    "tuf-snapshot",
    "--timestamp-key",
    "tuf-timestamp",
    "--packages-key",
    "tuf-packages",
];

/// `intoto tuf add-target` of `package` (as `name`, when given) with
/// `layout` and `links`, signed by the online keys, then `extra`.
fn add_target_args<'a>(
    package: &'a str,
    name: Option<&'a str>,
    layout: &'a str,
    links: &'a [String],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["tuf", "add-target", "--repo", "repo", "--target", package];
    if let Some(name) = name {
        args.extend(["--name", name]);
    }
    args.extend(["--in-toto", layout]);
    args.extend(links.iter().map(String::as_str));
    args.extend([
        "--key",
        "tuf-packages",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    args.extend(extra);
    args
}

/// A demo supply chain, TUF role keys and a repository with `hello.tar`.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Self { dir };
        fixture.ok(&["demo", "--dir", "chain"]);
        for role in [
            "root",
            "targets",
            "snapshot",
            "timestamp",
            "packages",
            "targets-2",
        ] {
            fixture.ok(&["key", "generate", &format!("tuf-{role}")]);
        }
        fixture.ok(&INIT);
        fixture
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn run(&self, args: &[&str]) -> Output {
        intoto(self.dir.path()).args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The demo's links (one per step).
    fn links(&self) -> Vec<String> {
        let mut links: Vec<String> = std::fs::read_dir(self.path("chain/client"))
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                (name.ends_with(".link") && name != "untar.link")
                    .then(|| format!("chain/client/{name}"))
            })
            .collect();
        links.sort();
        assert_eq!(links.len(), 3, "{links:?}");
        links
    }

    /// Publishes `package` as `name` with `layout` and `links`.
    fn publish(&self, package: &str, name: &str, layout: &str, links: &[String], extra: &[&str]) {
        self.ok(&add_target_args(package, Some(name), layout, links, extra));
    }

    fn publish_hello(&self) {
        let links = self.links();
        self.publish(
            "chain/client/hello.tar",
            "hello.tar",
            "chain/client/root.layout",
            &links,
            &[
                "--layout-key",
                "chain/keys/alice.pub",
                "--key",
                "tuf-targets",
            ],
        );
    }

    /// The client: only `root.json` (the first), its own metadata folder.
    fn client(&self, repo: &str, target: &str, out: &str) -> Output {
        intoto(self.dir.path())
            .args([
                "verify",
                "--tuf-repo",
                repo,
                "--tuf-root",
                "client-root.json",
                "--target",
                target,
                "--download-to",
                out,
                "--tuf-metadata-dir",
                "client-metadata",
            ])
            .output()
            .unwrap()
    }

    fn trust_first_root(&self) {
        std::fs::copy(
            self.path("repo/metadata/1.root.json"),
            self.path("client-root.json"),
        )
        .unwrap();
    }

    /// A target file in the repository (consistent snapshot name, so
    /// `<sha256>.<target name>`) whose name ends with `tail`.
    fn stored_target(&self, tail: &str) -> PathBuf {
        find(&self.path("repo/targets"), &|p: &Path| {
            p.to_string_lossy().ends_with(tail)
        })
        .unwrap_or_else(|| panic!("no stored target ending with {tail}"))
    }

    fn assert_nothing_placed(&self, out: &str) {
        let dir = self.path(out);
        let entries: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(entries.is_empty(), "{} holds {entries:?}", dir.display());
    }
}

fn find(dir: &Path, pred: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find(&path, pred) {
                return Some(found);
            }
        } else if pred(&path) {
            return Some(path);
        }
    }
    None
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_refused(out: &Output, expect: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    let all = text(out);
    assert!(all.contains(expect), "expected {expect:?} in:\n{all}");
}

#[test]
fn a_client_holding_only_root_json_verifies_and_places_the_package_over_http() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("passed all checks"), "{stdout}");
    assert!(stdout.contains("placed at out/hello.tar"), "{stdout}");
    assert_eq!(
        std::fs::read(f.path("out/hello.tar")).unwrap(),
        std::fs::read(f.path("chain/client/hello.tar")).unwrap()
    );
    // Only the package is placed: no staging folder, no inspection output.
    let placed: Vec<_> = std::fs::read_dir(f.path("out")).unwrap().collect();
    assert_eq!(placed.len(), 1);

    // JSON: the verification report with the TUF versions trusted.
    let out = intoto(f.dir.path())
        .args([
            "--format",
            "json",
            "verify",
            "--tuf-repo",
            &server.url,
            "--tuf-root",
            "client-root.json",
            "--target",
            "hello.tar",
            "--tuf-metadata-dir",
            "client-metadata",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tuf"]["target"], "hello.tar");
    assert_eq!(report["tuf"]["timestamp"], 2);
}

#[test]
fn an_unreachable_repository_is_an_error_not_a_verdict() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    // Nothing listens on this port (bound, then closed).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = f.client(&format!("http://127.0.0.1:{port}/"), "hello.tar", "out");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot reach http://127.0.0.1:"),
        "{}",
        text(&out)
    );
    f.assert_nothing_placed("out");
    // The package's file is missing on the server: not reached either.
    copy_dir(&f.path("repo"), &f.path("mirror"));
    std::fs::remove_file(
        f.path("mirror").join(
            f.stored_target(".hello.tar")
                .strip_prefix(f.path("repo"))
                .unwrap(),
        ),
    )
    .unwrap();
    let server = FileServer::start(&f.path("mirror"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot reach target \"hello.tar\""),
        "{}",
        text(&out)
    );
    f.assert_nothing_placed("out");
}

#[test]
fn a_folder_repository_works_too_and_unknown_targets_are_refused() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    let out = f.client("repo", "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = f.client("repo", "nothing.tar", "out2");
    assert_refused(
        &out,
        "target \"nothing.tar\" is not in the repository's targets metadata",
    );
    f.assert_nothing_placed("out2");
}

#[test]
fn a_rolled_back_repository_is_refused() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    copy_dir(&f.path("repo"), &f.path("old-repo"));
    f.publish(
        "chain/client/hello.tar",
        "again/hello.tar",
        "chain/client/root.layout",
        &f.links(),
        &[],
    );
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The attacker serves the older, validly signed repository: the
    // client remembers timestamp v3 and refuses v2.
    server.serve(&f.path("old-repo"));
    let out = f.client(&server.url, "hello.tar", "out-rollback");
    assert_refused(
        &out,
        "Found version 2 of timestamp metadata when we had previously fetched version 3",
    );
    f.assert_nothing_placed("out-rollback");

    // The current timestamp with the previous snapshot under the current
    // snapshot's name: it does not match what the timestamp says.
    copy_dir(&f.path("repo"), &f.path("mixed-repo"));
    let mixed = f.path("mixed-repo/metadata");
    std::fs::copy(mixed.join("2.snapshot.json"), mixed.join("3.snapshot.json")).unwrap();
    server.serve(&f.path("mixed-repo"));
    let out = f.client(&server.url, "hello.tar", "out-snapshot");
    assert_refused(&out, "3.snapshot.json: calculated");
    f.assert_nothing_placed("out-snapshot");
}

#[test]
fn a_frozen_repository_is_refused_once_its_timestamp_expires() {
    let f = Fixture::new();
    let server = FileServer::start(&f.path("repo"));
    let links = f.links();
    f.publish(
        "chain/client/hello.tar",
        "hello.tar",
        "chain/client/root.layout",
        &links,
        &[
            "--layout-key",
            "chain/keys/alice.pub",
            "--key",
            "tuf-targets",
            "--timestamp-expires",
            "2s",
        ],
    );
    f.trust_first_root();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_refused(&out, "timestamp metadata is expired");
    f.assert_nothing_placed("out");
    // A refresh re-signs the online roles: the repository is current again.
    let out = f.ok(&[
        "tuf",
        "refresh",
        "--repo",
        "repo",
        "--packages",
        "--key",
        "tuf-packages",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    assert!(out.contains("snapshot v3, timestamp v3"), "{out}");
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_tampered_layout_target_is_refused() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    let layout = f.stored_target(".root.layout");
    let mut bytes = std::fs::read(&layout).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&layout, bytes).unwrap();
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_refused(&out, "does not match its targets metadata");
    f.assert_nothing_placed("out");
}

#[test]
fn a_link_missing_from_custom_in_toto_fails_verification() {
    let f = Fixture::new();
    let mut links = f.links();
    // The package step's link is left out of the package's list (it is
    // still published for another package).
    let package_link = links.iter().position(|l| l.contains("package.")).unwrap();
    let dropped = links.remove(package_link);
    f.publish(
        "chain/client/hello.tar",
        "hello.tar",
        "chain/client/root.layout",
        &links,
        &[
            "--layout-key",
            "chain/keys/alice.pub",
            "--key",
            "tuf-targets",
        ],
    );
    f.publish(
        "chain/client/root.layout",
        "unrelated.bin",
        "chain/client/root.layout",
        &[dropped],
        &[],
    );
    f.trust_first_root();
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("step 'package'"), "{all}");
    assert!(all.contains("threshold"), "{all}");
    assert!(all.contains("nothing was placed"), "{all}");
    f.assert_nothing_placed("out");
}

#[test]
fn a_swapped_package_is_refused_by_tuf_or_by_in_toto() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    // In transit or on the mirror: the bytes no longer match TUF.
    copy_dir(&f.path("repo"), &f.path("mirror"));
    let stored = f.stored_target(".hello.tar");
    let on_mirror = f
        .path("mirror")
        .join(stored.strip_prefix(f.path("repo")).unwrap());
    std::fs::copy(f.path("chain/evil/hello.tar"), &on_mirror).unwrap();
    let server = FileServer::start(&f.path("mirror"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_refused(&out, "does not match its targets metadata");
    f.assert_nothing_placed("out");

    // With the online packages key: the evil package is signed into TUF
    // with the genuine links. TUF accepts it; in-toto does not.
    f.publish(
        "chain/evil/hello.tar",
        "hello.tar",
        "chain/client/root.layout",
        &f.links(),
        &[],
    );
    server.serve(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out-evil");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("untar"), "{all}");
    assert!(all.contains("nothing was placed"), "{all}");
    f.assert_nothing_placed("out-evil");
}

#[test]
fn old_targets_metadata_mixed_with_new_is_refused() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    // A second layout (signed again, so other bytes) for the next release.
    f.ok(&[
        "sign",
        "-f",
        "chain/client/root.layout",
        "-k",
        "chain/keys/alice",
        "-o",
        "root-2.layout",
    ]);
    f.publish(
        "chain/client/hello.tar",
        "1.1/hello.tar",
        "root-2.layout",
        &f.links(),
        &[
            "--layout-key",
            "chain/keys/alice.pub",
            "--key",
            "tuf-targets",
        ],
    );
    // The mirror serves the old top-level targets (without the new layout)
    // under the new version's name.
    copy_dir(&f.path("repo"), &f.path("mirror"));
    let meta = f.path("mirror/metadata");
    std::fs::copy(meta.join("2.targets.json"), meta.join("3.targets.json")).unwrap();
    let server = FileServer::start(&f.path("mirror"));
    let out = f.client(&server.url, "1.1/hello.tar", "out");
    assert_refused(&out, "3.targets.json: calculated");
    f.assert_nothing_placed("out");

    // The old package keeps the layout it was made with.
    server.serve(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out-old");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = f.client(&server.url, "1.1/hello.tar", "out-new");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_rotated_layout_key_is_accepted_after_a_root_update() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    let server = FileServer::start(&f.path("repo"));
    assert_eq!(
        f.client(&server.url, "hello.tar", "out").status.code(),
        Some(0)
    );

    // The targets key is rotated (root v2, signed by the old and new root
    // keys), and a new layout key signs the next layout.
    f.ok(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "targets",
        "--new-key",
        "tuf-targets-2",
        "--key",
        "tuf-root",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    f.ok(&["key", "generate", "alice-2"]);
    f.ok(&[
        "sign",
        "-f",
        "chain/client/root.layout",
        "-k",
        "alice-2",
        "-o",
        "root-2.layout",
    ]);
    f.publish(
        "chain/client/hello.tar",
        "1.1/hello.tar",
        "root-2.layout",
        &f.links(),
        &["--layout-key", "alice-2.pub", "--key", "tuf-targets-2"],
    );
    let out = f.client(&server.url, "1.1/hello.tar", "out-new");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("root v2"),
        "{}",
        text(&out)
    );
    // The old package still verifies with the old layout and key.
    let out = f.client(&server.url, "hello.tar", "out-old");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The old targets key can no longer publish a layout.
    f.ok(&[
        "sign",
        "-f",
        "chain/client/root.layout",
        "-k",
        "chain/keys/alice",
        "-o",
        "root-3.layout",
    ]);
    let links = f.links();
    let out = f.run(&add_target_args(
        "chain/client/hello.tar",
        Some("1.2/hello.tar"),
        "root-3.layout",
        &links,
        &[
            "--layout-key",
            "chain/keys/alice.pub",
            "--key",
            "tuf-targets",
        ],
    ));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot sign the targets metadata"),
        "{}",
        text(&out)
    );
}

#[test]
fn publishing_errors_name_what_to_do() {
    let f = Fixture::new();
    let links = f.links();
    // A new layout without its keys.
    let mut args = add_target_args(
        "chain/client/hello.tar",
        None,
        "chain/client/root.layout",
        &links,
        &[],
    );
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--layout-key"), "{}", text(&out));
    // A new layout without the targets key.
    args.extend(["--layout-key", "chain/keys/alice.pub"]);
    let out = f.run(&args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("give the role's key with --key"),
        "{}",
        text(&out)
    );
    // Nothing was published: the repository still verifies nothing.
    f.trust_first_root();
    let out = f.client("repo", "hello.tar", "out");
    assert_refused(&out, "is not in the repository's targets metadata");
    // A repository is not made twice.
    let out = f.run(&INIT);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("already holds a repository"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_policy_over_attestations_is_distributed_and_verified_the_same_way() {
    let f = Fixture::new();
    f.ok(&["demo", "--policy", "--dir", "release"]);
    let attestations = |dir: &str| -> Vec<String> {
        let mut files: Vec<String> = std::fs::read_dir(f.path(dir))
            .unwrap()
            .map(|e| format!("{dir}/{}", e.unwrap().file_name().into_string().unwrap()))
            .collect();
        files.sort();
        files
    };
    let publish = |package: &str, name: &str, dir: &str| {
        let mut args = vec![
            "tuf",
            "add-target",
            "--repo",
            "repo",
            "--target",
            package,
            "--name",
            name,
            "--layout",
            "release/policy/release.yml.dsse.json",
            "--layout-key",
            "release/keys/olga.pub",
            "--key",
            "tuf-packages",
            "--key",
            "tuf-snapshot",
            "--key",
            "tuf-timestamp",
            "--key",
            "tuf-targets",
            "--in-toto",
        ];
        let files = attestations(dir);
        args.extend(files.iter().map(String::as_str));
        f.ok(&args);
    };
    publish(
        "release/work/dist/hello-1.4.2.tar",
        "1.4.2/hello-1.4.2.tar",
        "release/attestations",
    );
    publish(
        "release/attack-critical-vulnerability/work/dist/hello-1.4.2.tar",
        "1.4.2-bad/hello-1.4.2.tar",
        "release/attack-critical-vulnerability/attestations",
    );
    f.trust_first_root();
    let verify = |target: &str, out: &str| {
        intoto(f.dir.path())
            .args([
                "verify",
                "--tuf-repo",
                "repo",
                "--tuf-root",
                "client-root.json",
                "--target",
                target,
                "--download-to",
                out,
                "--tuf-metadata-dir",
                "client-metadata",
                "--substitute-parameters",
                "release/policy/params.json",
            ])
            .output()
            .unwrap()
    };
    let out = verify("1.4.2/hello-1.4.2.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(f.path("out/hello-1.4.2.tar").is_file());
    let out = verify("1.4.2-bad/hello-1.4.2.tar", "out-bad");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nothing was placed"), "{}", text(&out));
    f.assert_nothing_placed("out-bad");
}

#[test]
fn a_mirror_hiding_newer_roots_cannot_bring_back_revoked_keys() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    // The online keys leak; the attacker keeps a copy of the repository.
    copy_dir(&f.path("repo"), &f.path("attacker"));
    // The owner rotates the timestamp and snapshot keys (roots v2, v3).
    f.ok(&["key", "generate", "tuf-timestamp-2"]);
    f.ok(&["key", "generate", "tuf-snapshot-2"]);
    f.ok(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "timestamp",
        "--new-key",
        "tuf-timestamp-2",
        "--key",
        "tuf-root",
        "--key",
        "tuf-snapshot",
    ]);
    f.ok(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "snapshot",
        "--new-key",
        "tuf-snapshot-2",
        "--key",
        "tuf-root",
        "--key",
        "tuf-timestamp-2",
    ]);
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("root v3"),
        "{}",
        text(&out)
    );
    // With the revoked keys the attacker publishes past the repository's
    // versions, on a mirror that has no 2.root.json or 3.root.json.
    let attacker = Fixture {
        dir: tempfile::tempdir_in(f.dir.path()).unwrap(),
    };
    for file in ["tuf-packages", "tuf-snapshot", "tuf-timestamp"] {
        std::fs::copy(f.path(file), attacker.path(file)).unwrap();
    }
    copy_dir(&f.path("attacker"), &attacker.path("repo"));
    copy_dir(&f.path("chain"), &attacker.path("chain"));
    for _ in 0..3 {
        attacker.publish(
            "chain/client/hello.tar",
            "evil/hello.tar",
            "chain/client/root.layout",
            &attacker.links(),
            &[],
        );
    }
    server.serve(&attacker.path("repo"));
    // The client starts from root v3, trusted last time: the revoked
    // keys' timestamp does not verify.
    let out = f.client(&server.url, "evil/hello.tar", "out-hidden");
    assert_refused(&out, "cannot be trusted");
    f.assert_nothing_placed("out-hidden");
}

#[test]
fn new_root_keys_take_over_and_a_rotation_without_the_root_keys_writes_nothing() {
    let f = Fixture::new();
    f.publish_hello();
    f.trust_first_root();
    f.ok(&["key", "generate", "tuf-root-2"]);
    // Without the current root key: refused before anything is written.
    let out = f.run(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "root",
        "--new-key",
        "tuf-root-2",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("current root keys"), "{}", text(&out));
    assert!(!f.path("repo/metadata/2.root.json").exists());
    // With it: root v2 is signed by the old and the new root key; clients
    // holding root v1 follow, and the new key alone signs root v3.
    f.ok(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "root",
        "--new-key",
        "tuf-root-2",
        "--key",
        "tuf-root",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    f.ok(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "targets",
        "--new-key",
        "tuf-targets-2",
        "--key",
        "tuf-root-2",
        "--key",
        "tuf-snapshot",
        "--key",
        "tuf-timestamp",
    ]);
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("root v3"),
        "{}",
        text(&out)
    );
    // The old root key alone can no longer make a root.
    let out = f.run(&[
        "tuf",
        "rotate",
        "--repo",
        "repo",
        "--role",
        "snapshot",
        "--new-key",
        "tuf-snapshot",
        "--key",
        "tuf-root",
        "--key",
        "tuf-timestamp",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn target_names_cannot_leave_the_repository() {
    let f = Fixture::new();
    let links = f.links();
    for name in ["x/../../../escaped.tar", "/abs/hello.tar", "a//hello.tar"] {
        let out = f.run(&add_target_args(
            "chain/client/hello.tar",
            Some(name),
            "chain/client/root.layout",
            &links,
            &[
                "--layout-key",
                "chain/keys/alice.pub",
                "--key",
                "tuf-targets",
            ],
        ));
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert!(
            text(&out).contains("is not a file name"),
            "{name}: {}",
            text(&out)
        );
    }
    assert!(!f.path("escaped.tar").exists());
    assert!(find(f.dir.path(), &|p: &Path| p.ends_with("escaped.tar")).is_none());
}

/// A layout with one step and no inspection: in-toto alone does not tie
/// the delivered file to the links, the client does.
#[test]
fn a_package_that_is_not_the_last_steps_product_is_refused() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path("build")).unwrap();
    std::fs::write(f.path("build/app.bin"), b"the real build").unwrap();
    std::fs::create_dir_all(f.path("evil")).unwrap();
    std::fs::write(f.path("evil/app.bin"), b"something else").unwrap();
    f.ok(&["key", "generate", "owner"]);
    f.ok(&["key", "generate", "builder"]);
    let keys: serde_json::Value =
        serde_json::from_str(&f.ok(&["key", "layout", "builder.pub"])).unwrap();
    let keyid = keys.as_object().unwrap().keys().next().unwrap().clone();
    let layout = serde_json::json!({"signed": {
        "_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "", "keys": keys,
        "inspect": [], "steps": [{"_type": "step", "name": "build", "threshold": 1,
        "pubkeys": [keyid], "expected_command": [], "expected_materials": [],
        "expected_products": [["CREATE", "app.bin"], ["DISALLOW", "*"]]}]}, "signatures": []});
    std::fs::write(f.path("unsigned.layout"), layout.to_string()).unwrap();
    f.ok(&[
        "sign",
        "-f",
        "unsigned.layout",
        "-k",
        "owner",
        "-o",
        "app.layout",
    ]);
    intoto(&f.path("build"))
        .args([
            "run",
            "-n",
            "build",
            "--signing-key",
            "../builder",
            "--products",
            "app.bin",
            "-d",
            "..",
            "--",
            "true",
        ])
        .assert()
        .success();
    let link = format!("build.{}.link", &keyid[..8]);
    f.publish(
        "build/app.bin",
        "app.bin",
        "app.layout",
        std::slice::from_ref(&link),
        &["--layout-key", "owner.pub", "--key", "tuf-targets"],
    );
    f.trust_first_root();
    let server = FileServer::start(&f.path("repo"));
    let out = f.client(&server.url, "app.bin", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The online key signs another file in with the genuine link.
    f.publish("evil/app.bin", "app.bin", "app.layout", &[link], &[]);
    let out = f.client(&server.url, "app.bin", "out-evil");
    assert_refused(
        &out,
        "the package is not a product of the supply chain's last step",
    );
    f.assert_nothing_placed("out-evil");
}

/// Runs tests/python/tuf_interop.py (python-tuf) in `dir`; `None` when
/// interoperability tests are skipped.
fn python_tuf(dir: &Path, args: &[&str]) -> Option<String> {
    let out = python_script(dir, "tuf_interop.py", args)?;
    assert!(
        out.status.success(),
        "tuf_interop.py {args:?}: {}",
        text(&out)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest as _;
    intoto::model::encoding::hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn python_tuf_reads_the_repository_we_publish() {
    let f = Fixture::new();
    f.publish_hello();
    let server = FileServer::start(&f.path("repo"));
    std::fs::create_dir_all(f.path("py-out")).unwrap();
    let Some(out) = python_tuf(
        f.dir.path(),
        &[
            "download",
            &server.url,
            "repo/metadata/1.root.json",
            "hello.tar",
            "py-out",
        ],
    ) else {
        return;
    };
    let got: std::collections::BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        got["hello.tar"],
        sha256_hex(&f.path("chain/client/hello.tar"))
    );
    let layout = sha256_hex(&f.path("chain/client/root.layout"));
    assert!(
        got.iter()
            .any(|(name, digest)| name.ends_with("/root.layout") && *digest == layout),
        "{got:?}"
    );
    for link in f.links() {
        let digest = sha256_hex(&f.path(&link));
        let file = link.rsplit('/').next().unwrap().to_owned();
        assert!(
            got.iter().any(|(n, d)| n.ends_with(&file) && *d == digest),
            "{file} not downloaded by python-tuf: {got:?}"
        );
    }
    // The layout key, from the layout target's custom.in-toto.
    let key = sha256_hex(&f.path("chain/keys/alice.pub"));
    assert!(got.values().any(|d| *d == key), "{got:?}");
}

#[test]
fn we_verify_a_repository_python_tuf_publishes() {
    let f = Fixture::new();
    let links = f.links();
    let mut args = vec![
        "publish",
        "py-repo",
        "chain/client/hello.tar",
        "chain/client/root.layout",
        "chain/keys/alice.pub",
    ];
    args.extend(links.iter().map(String::as_str));
    if python_tuf(f.dir.path(), &args).is_none() {
        return;
    }
    std::fs::copy(
        f.path("py-repo/metadata/1.root.json"),
        f.path("client-root.json"),
    )
    .unwrap();
    let server = FileServer::start(&f.path("py-repo"));
    let out = f.client(&server.url, "hello.tar", "out");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        sha256_hex(&f.path("out/hello.tar")),
        sha256_hex(&f.path("chain/client/hello.tar"))
    );
    // A link changed in python-tuf's targets folder is refused.
    let link = find(&f.path("py-repo/targets"), &|p: &Path| {
        p.to_string_lossy().ends_with(".link")
    })
    .unwrap();
    let mut bytes = std::fs::read(&link).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&link, bytes).unwrap();
    let out = f.client(&server.url, "hello.tar", "out-tampered");
    assert_refused(&out, "does not match its targets metadata");
    f.assert_nothing_placed("out-tampered");
}
