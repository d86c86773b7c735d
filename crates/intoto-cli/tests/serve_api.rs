//! `intoto serve` over real HTTP on loopback: who may write, what a
//! hostile request gets (a 4xx, never a 5xx), queries, the exact bytes
//! back, the Archivista routes, verification over stored evidence (layouts
//! and policies, `POST /v1/verify` and `intoto verify --store`), the
//! admission webhook with real AdmissionReview JSON, and TLS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use intoto_server::client::{Client, ClientError};
use intoto_test_support::intoto;
use intoto_test_support::server::ServerProcess;
use serde_json::{Value, json};

/// The demo's supply chain (a layout and three links) in `dir/d`.
fn demo(dir: &Path) -> PathBuf {
    intoto(dir)
        .args(["demo", "--dir", "d", "-q"])
        .assert()
        .success();
    std::fs::write(dir.join("tokens"), "# CI\nci-token\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("ci.token"), "ci-token\n").unwrap_or_else(|e| panic!("{e}"));
    dir.join("d")
}

/// The release story: a signed policy and its attestations in `dir/p`.
fn release(dir: &Path) -> PathBuf {
    intoto(dir)
        .args(["demo", "--policy", "--dir", "p", "-q"])
        .assert()
        .success();
    std::fs::write(dir.join("tokens"), "ci-token\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("ci.token"), "ci-token\n").unwrap_or_else(|e| panic!("{e}"));
    dir.join("p")
}

/// The demo's link for `step` (its keys, hence keyids, are new each run).
fn link(d: &Path, step: &str) -> PathBuf {
    std::fs::read_dir(d.join("client"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(&format!("{step}."))
                && name.ends_with(".link")
                && name.len() == step.len() + 14
        })
        .unwrap_or_else(|| panic!("no {step} link"))
}

fn rel(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn client(server: &ServerProcess, token: Option<&str>) -> Client {
    Client::new(&server.url, token.map(str::to_owned), None).unwrap_or_else(|e| panic!("{e}"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest as _;
    intoto::model::encoding::hex::encode(sha2::Sha256::digest(read(path)))
}

/// The status of a refused request.
fn status(result: Result<(hyper::StatusCode, Vec<u8>), ClientError>) -> u16 {
    match result {
        Ok((status, _)) => status.as_u16(),
        Err(ClientError::Status { status, .. }) => status.as_u16(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn writes_need_a_token_and_a_trusted_valid_signature() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = demo(tmp.path());
    let server = ServerProcess::start(
        tmp.path(),
        &[
            "--database",
            "sqlite:store.db",
            "--trust",
            "d/keys/carol.pub",
            "--token-file",
            "tokens",
        ],
    );
    let rt = rt();
    let package = read(&link(&d, "package"));
    let build = read(&link(&d, "build"));
    let post = |c: &Client, body: Vec<u8>, ct: &str| {
        status(rt.block_on(c.send(hyper::Method::POST, "/v1/attestations", Some(ct), body)))
    };
    // No token, a wrong token: refused, nothing stored.
    assert_eq!(
        post(&client(&server, None), package.clone(), "application/json"),
        401
    );
    assert_eq!(
        post(
            &client(&server, Some("guess")),
            package.clone(),
            "application/json"
        ),
        401
    );
    let ci = client(&server, Some("ci-token"));
    // Signed by bob, whom the store does not trust.
    assert_eq!(post(&ci, build, "application/json"), 403);
    // Tampered after signing: a product's digest changed.
    let text = String::from_utf8(package.clone()).unwrap_or_else(|e| panic!("{e}"));
    let sha = sha256_of(&d.join("client/hello.tar"));
    let tampered = text.replacen(&sha, &"0".repeat(64), 1);
    assert_ne!(tampered, text);
    assert_eq!(post(&ci, tampered.into_bytes(), "application/json"), 422);
    // Unsigned.
    let mut unsigned: Value = serde_json::from_slice(&package).unwrap_or_else(|e| panic!("{e}"));
    unsigned["signatures"] = json!([]);
    assert_eq!(
        post(&ci, unsigned.to_string().into_bytes(), "application/json"),
        400
    );
    // Carol's link: stored, then the same bytes again: idempotent.
    let first = rt
        .block_on(ci.upload(package.clone(), "application/json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let item = &first["attestations"][0];
    assert_eq!(item["created"], json!(true));
    assert_eq!(item["step"], json!("package"));
    let again = rt
        .block_on(ci.upload(package.clone(), "application/json"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again["attestations"][0]["created"], json!(false));
    assert_eq!(again["attestations"][0]["id"], item["id"]);
    let health = rt
        .block_on(ci.get_json("/healthz"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["attestations"], json!(1));
    // The id is the sha256 of the bytes, which come back exactly.
    use sha2::Digest as _;
    let id = intoto::model::encoding::hex::encode(sha2::Sha256::digest(&package));
    assert_eq!(item["id"], json!(id));
    let (_, bytes) = rt
        .block_on(ci.send(
            hyper::Method::GET,
            &format!("/v1/attestations/{id}"),
            None,
            Vec::new(),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bytes, package);
}

#[test]
fn hostile_requests_get_a_4xx_and_the_server_stays_up() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = demo(tmp.path());
    let server = ServerProcess::start(
        tmp.path(),
        &[
            "--database",
            "sqlite:store.db",
            "--trust",
            "d/keys/carol.pub",
            "--token-file",
            "tokens",
            "--body-limit",
            "4000000",
        ],
    );
    let rt = rt();
    let ci = client(&server, Some("ci-token"));
    let send = |method: hyper::Method, path: &str, ct: Option<&str>, body: Vec<u8>| {
        status(rt.block_on(ci.send(method, path, ct, body)))
    };
    use hyper::Method;
    let too_large = vec![b' '; 5_000_000];
    assert_eq!(
        send(
            Method::POST,
            "/v1/attestations",
            Some("application/json"),
            too_large
        ),
        413
    );
    assert_eq!(
        send(
            Method::POST,
            "/v1/attestations",
            Some("application/json"),
            b"{\"payload\": [".to_vec()
        ),
        400
    );
    let million: Vec<u8> = b"{}\n".repeat(1_000_000);
    let code = send(
        Method::POST,
        "/v1/attestations",
        Some("application/jsonl"),
        million,
    );
    assert!((400..500).contains(&code), "{code}");
    let blank: Vec<u8> = b"\n".repeat(1_000_000);
    assert_eq!(
        send(
            Method::POST,
            "/v1/attestations",
            Some("application/jsonl"),
            blank
        ),
        400
    );
    let link = read(&link(&d, "package"));
    assert_eq!(
        send(
            Method::POST,
            "/v1/attestations",
            Some("text/plain"),
            link.clone()
        ),
        415
    );
    assert_eq!(send(Method::POST, "/v1/attestations", None, link), 415);
    for path in [
        "/v1/attestations?subject=sha256:'%20OR%201=1--",
        "/v1/attestations?subject=%27;DROP%20TABLE%20attestations;--",
        "/v1/attestations?subject=sha256:ab&material=sha256:cd",
        "/v1/attestations?limit=-1",
        "/v1/attestations?subjekt=sha256:ab",
        "/v1/attestations/..%2F..%2Fetc%2Fpasswd",
        "/v1/attestations/%2e%2e",
        "/download/..%2F..%2Fstore.db",
        "/v1/evidence?subject=../../x",
    ] {
        let code = send(Method::GET, path, None, Vec::new());
        assert!((400..500).contains(&code), "{path}: {code}");
    }
    // An SQL-looking filter value is a value, not SQL.
    let page = rt
        .block_on(ci.get_json("/v1/attestations?step=%27%20OR%201%3D1%20--"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page["items"], json!([]));
    assert_eq!(
        send(
            Method::POST,
            "/v1/verify",
            Some("application/json"),
            b"[]".to_vec()
        ),
        422
    );
    assert_eq!(
        send(
            Method::POST,
            "/v1/verify",
            Some("text/plain"),
            b"{}".to_vec()
        ),
        415
    );
    assert_eq!(send(Method::GET, "/no/such/route", None, Vec::new()), 404);
    let health = rt
        .block_on(ci.get_json("/healthz"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["status"], json!("ok"));
    assert_eq!(health["attestations"], json!(0));
}

#[test]
fn queries_evidence_archivista_and_verification_of_a_layout() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = demo(tmp.path());
    let server = ServerProcess::start(
        tmp.path(),
        &[
            "--database",
            "sqlite:store.db",
            "--trust",
            "d/client/root.layout",
            "--trust-owner-key",
            "d/keys/alice.pub",
            "--token-file",
            "tokens",
        ],
    );
    let rt = rt();
    let ci = client(&server, Some("ci-token"));
    // clone and build through the CLI; package through Archivista's route.
    intoto(tmp.path())
        .args([
            "store",
            "upload",
            &rel(tmp.path(), &link(&d, "clone")),
            &rel(tmp.path(), &link(&d, "build")),
        ])
        .args(["--server", &server.url, "--token-file", "ci.token"])
        .assert()
        .success()
        .stdout(predicates::str::contains("stored"));
    let package = read(&link(&d, "package"));
    let (_, answer) = rt
        .block_on(ci.send(
            hyper::Method::POST,
            "/upload",
            Some("application/json"),
            package.clone(),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let answer: Value = serde_json::from_slice(&answer).unwrap_or_else(|e| panic!("{e}"));
    let gitoid = answer["gitoid"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    assert_eq!(gitoid, intoto_store::gitoid(&package));
    let (_, back) = rt
        .block_on(ci.send(
            hyper::Method::GET,
            &format!("/download/{gitoid}"),
            None,
            Vec::new(),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, package);

    let tar = sha256_of(&d.join("client/hello.tar"));
    let page = rt
        .block_on(ci.get_json(&format!(
            "/v1/attestations?subject=sha256:{}",
            tar.to_ascii_uppercase()
        )))
        .unwrap_or_else(|e| panic!("{e}"));
    let steps: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["step"].as_str())
        .collect();
    assert_eq!(steps, ["package"]);
    let evidence = rt
        .block_on(ci.get_json(&format!("/v1/evidence?subject=sha256:{tar}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut steps: Vec<&str> = evidence["attestations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["meta"]["step"].as_str())
        .collect();
    steps.sort_unstable();
    assert_eq!(steps, ["build", "clone", "package"]);

    // The configured layout, by id, over the stored evidence.
    let policies = rt
        .block_on(ci.get_json("/v1/policies"))
        .unwrap_or_else(|e| panic!("{e}"));
    let id = policies["policies"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let verify = |body: Value| {
        let (_, answer) = rt
            .block_on(ci.send(
                hyper::Method::POST,
                "/v1/verify",
                Some("application/json"),
                body.to_string().into_bytes(),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice::<Value>(&answer).unwrap_or_else(|e| panic!("{e}"))
    };
    let answer =
        verify(json!({"policy": {"id": id}, "subject": format!("sha256:{tar}"), "html": true}));
    assert_eq!(answer["kind"], json!("layout"));
    assert_eq!(answer["evidence"]["count"], json!(3));
    // The layout's inspection (untar) is not run on a server: it fails, saying so.
    assert_eq!(answer["passed"], json!(false));
    let text = answer["report"].to_string();
    assert!(text.contains("inspection-not-run"), "{text}");
    assert!(
        answer["html"].as_str().unwrap_or_default().contains("<svg"),
        "no graph"
    );
    // An artifact nobody attested: no evidence.
    let none =
        verify(json!({"policy": {"id": id}, "subject": format!("sha256:{}", "1".repeat(64))}));
    assert_eq!(none["evidence"]["count"], json!(0));
    assert_eq!(none["passed"], json!(false));

    // The CLI runs the inspection locally, with the links from the store.
    let client_dir = d.join("client");
    intoto(&client_dir)
        .args([
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "../keys/alice.pub",
        ])
        .args(["--store", &server.url, "--subject", "hello.tar"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("verified"));
    std::fs::write(client_dir.join("other.tar"), b"not the release")
        .unwrap_or_else(|e| panic!("{e}"));
    intoto(&client_dir)
        .args([
            "verify",
            "-l",
            "root.layout",
            "--verification-keys",
            "../keys/alice.pub",
        ])
        .args(["--store", &server.url, "--subject", "other.tar"])
        .assert()
        .code(1);
    intoto(tmp.path())
        .args([
            "store",
            "query",
            "--subject",
            &format!("sha256:{tar}"),
            "--server",
            &server.url,
            "--format",
            "json",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"package\""));
}

fn params(p: &Path) -> Vec<String> {
    let params: Value = serde_json::from_slice(&read(&p.join("policy/params.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    params
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect()
}

#[test]
fn policies_summaries_and_admission_over_stored_attestations() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = release(tmp.path());
    let mut args: Vec<String> = [
        "--database",
        "sqlite:store.db",
        "--trust",
        "p/policy/release.yml.dsse.json",
        "--trust-owner-key",
        "p/keys/olga.pub",
        "--token-file",
        "tokens",
        "--vsa-key",
        "p/keys/gate",
        "--admission-policy",
        "p/policy/release.yml.dsse.json",
        "--admission-owner-key",
        "p/keys/olga.pub",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for param in params(&p) {
        args.push("--admission-param".into());
        args.push(param);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProcess::start(tmp.path(), &refs);
    let mut upload = intoto(tmp.path());
    upload.args([
        "store",
        "upload",
        "--server",
        &server.url,
        "--token-file",
        "ci.token",
    ]);
    for entry in std::fs::read_dir(p.join("attestations")).unwrap_or_else(|e| panic!("{e}")) {
        upload.arg(entry.unwrap_or_else(|e| panic!("{e}")).path());
    }
    upload.assert().success();
    let rt = rt();
    let ci = client(&server, Some("ci-token"));
    let tar = sha256_of(&p.join("work/dist/hello-1.4.2.tar"));
    let parameters: Value = serde_json::from_slice(&read(&p.join("policy/params.json")))
        .unwrap_or_else(|e| panic!("{e}"));
    let policies = rt
        .block_on(ci.get_json("/v1/policies"))
        .unwrap_or_else(|e| panic!("{e}"));
    let id = policies["policies"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let body = json!({
        "policy": {"id": id}, "subject": format!("sha256:{tar}"), "parameters": parameters,
        "vsa": {"resourceUri": "pkg:generic/hello@1.4.2"},
    });
    let (_, answer) = rt
        .block_on(ci.send(
            hyper::Method::POST,
            "/v1/verify",
            Some("application/json"),
            body.to_string().into_bytes(),
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let answer: Value = serde_json::from_slice(&answer).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer["passed"], json!(true), "{answer}");
    assert_eq!(answer["kind"], json!("policy"));
    // The summary verifies with the gate's key, and says PASSED for the tarball.
    std::fs::write(tmp.path().join("vsa.json"), answer["vsa"].to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    intoto(tmp.path())
        .args(["show", "vsa.json"])
        .assert()
        .success()
        .stdout(predicates::str::contains("PASSED"));

    // The CLI, over the same store.
    intoto(&p)
        .args([
            "verify",
            "-l",
            "policy/release.yml.dsse.json",
            "--verification-keys",
            "keys/olga.pub",
        ])
        .args([
            "--store",
            &server.url,
            "--subject",
            "work/dist/hello-1.4.2.tar",
            "--substitute-parameters",
            "policy/params.json",
        ])
        .assert()
        .code(0);

    // Admission: real AdmissionReview JSON for a Deployment.
    let review = |image: &str| {
        json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
                "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
                "name": "hello", "namespace": "shop", "operation": "CREATE",
                "userInfo": {"username": "system:serviceaccount:ci:deployer"},
                "object": {
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "hello", "namespace": "shop"},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "hello"}},
                        "template": {"metadata": {"labels": {"app": "hello"}},
                            "spec": {"containers": [{"name": "hello", "image": image}]}}}
                },
                "oldObject": null, "dryRun": false
            }
        })
    };
    let admit = |image: &str| {
        let (code, answer) = rt
            .block_on(ci.send(
                hyper::Method::POST,
                "/v1/admission",
                Some("application/json"),
                review(image).to_string().into_bytes(),
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code.as_u16(), 200);
        let answer: Value = serde_json::from_slice(&answer).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            answer["response"]["uid"],
            json!("705ab4f5-6393-11e8-b7cc-42010a800002")
        );
        answer["response"].clone()
    };
    let allowed = admit(&format!("registry.example/hello@sha256:{tar}"));
    assert_eq!(allowed["allowed"], json!(true), "{allowed}");
    let denied = admit(&format!("registry.example/hello@sha256:{}", "2".repeat(64)));
    assert_eq!(denied["allowed"], json!(false));
    assert!(
        denied["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("registry.example/hello"),
        "{denied}"
    );
    let tagged = admit("registry.example/hello:1.4.2");
    assert_eq!(tagged["allowed"], json!(false));
    assert!(
        tagged["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("digest"),
        "{tagged}"
    );
}

#[test]
fn tls_with_rustls() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = demo(tmp.path());
    // A CA, and a server certificate for 127.0.0.1 it issued.
    std::fs::write(
        tmp.path().join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let script = "set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=intoto-test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr -subj /CN=localhost 2>/dev/null
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 2 -extfile ext.cnf 2>/dev/null";
    let ok = std::process::Command::new("sh")
        .current_dir(tmp.path())
        .args(["-c", script])
        .status()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(ok.success());
    let server = ServerProcess::start(
        tmp.path(),
        &[
            "--database",
            "sqlite:store.db",
            "--trust",
            "d/keys/carol.pub",
            "--token-file",
            "tokens",
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    intoto(tmp.path())
        .args([
            "store",
            "upload",
            &rel(tmp.path(), &link(&d, "package")),
            "--server",
            &server.url,
        ])
        .args(["--token-file", "ci.token", "--ca-cert", "ca.crt"])
        .assert()
        .success();
    // Without the CA, the certificate is not trusted.
    intoto(tmp.path())
        .args([
            "store",
            "query",
            "--subject-file",
            "d/client/hello.tar",
            "--server",
            &server.url,
        ])
        .assert()
        .code(2);
    let _ = d;
}
