//! The store's web page in a real browser: `intoto serve` on loopback with
//! the demo's supply chain uploaded, driven through headless Chromium by
//! chromedriver over the WebDriver protocol (a small blocking client
//! written here). It searches by digest and by a file hashed in the
//! browser, reads an attestation's content, verifies the subject against a
//! configured layout, draws the report, and shows hostile names as text.
//! Screenshots go to `target/screenshots/`.
//!
//! The test fails, never skips, when chromium or chromedriver cannot
//! start: `scripts/setup.sh` installs them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use intoto::model::envelope::decode_base64;
use intoto_test_support::server::ServerProcess;
use intoto_test_support::{intoto, workspace_root};
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long one wait for the page may take (the machine is slow).
const WAIT: Duration = Duration::from_secs(45);
/// How long one HTTP exchange may take (starting Chromium is the slowest).
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

// ---- a minimal HTTP/1.1 client ----------------------------------------

/// One request to `127.0.0.1:port`; the status and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Vec<u8>), String> {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("connect to port {port}: {e}"))?;
    stream
        .set_read_timeout(Some(HTTP_TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(HTTP_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if body.is_some() || method == "POST" {
        request.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            payload.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    // chromedriver says "Connection: close" but may keep the socket open:
    // read the head, then as much body as it announces.
    let mut raw = Vec::new();
    let mut buffer = [0_u8; 16 * 1024];
    let split = loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break split;
        }
        let n = stream
            .read(&mut buffer)
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        if n == 0 {
            return Err(format!(
                "{method} {path}: the connection closed before the end of the headers: {:?}",
                String::from_utf8_lossy(&raw)
            ));
        }
        raw.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("{method} {path}: no status in {head:?}"))?;
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = header("content-length").and_then(|v| v.parse::<usize>().ok());
    let mut body = raw.split_off(split + 4);
    loop {
        let complete = if chunked {
            dechunk(&body).is_ok()
        } else if let Some(length) = length {
            body.len() >= length
        } else {
            false
        };
        if complete {
            break;
        }
        let n = stream
            .read(&mut buffer)
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..n]);
    }
    let _ = stream.shutdown(Shutdown::Both);
    let body = if chunked {
        dechunk(&body).map_err(|e| format!("{method} {path}: {e}"))?
    } else if let Some(length) = length {
        body.get(..length)
            .ok_or_else(|| format!("{method} {path}: body shorter than its Content-Length"))?
            .to_vec()
    } else {
        body
    };
    Ok((status, body))
}

/// A chunked body, joined.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("chunk shorter than its size")?);
        data = data.get(size + 2..).ok_or("chunk without its line end")?;
    }
}

/// A JSON exchange.
fn http_json(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let (status, bytes) = http(port, method, path, body)?;
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{method} {path}: answer {status} is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    Ok((status, value))
}

// ---- a minimal WebDriver client ---------------------------------------

/// chromedriver and one browser session; both end when it is dropped.
struct Browser {
    port: u16,
    session: Option<String>,
    driver: Child,
    log: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless
    /// Chromium session; panics, saying why, when either cannot start.
    fn start(dir: &Path) -> Self {
        for program in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: the web page test needs chromium and chromium-driver (scripts/setup.sh installs them)"
            );
        }
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start: {e}"));
        let mut browser = Self {
            port,
            session: None,
            driver,
            log,
        };
        browser.wait_until_ready();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
            },
        }}});
        let answer = browser
            .command("POST", "/session", Some(&capabilities))
            .unwrap_or_else(|e| {
                panic!(
                    "chromium does not start under chromedriver: {e}{}",
                    browser.log_tail()
                )
            });
        let id = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {answer}"))
            .to_owned();
        browser.session = Some(id);
        browser
            .command(
                "POST",
                &browser.path("/timeouts"),
                Some(&json!({"pageLoad": 60_000, "script": 30_000})),
            )
            .unwrap();
        browser
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!(
                    "{CHROMEDRIVER} exited at once ({status}){}",
                    self.log_tail()
                );
            }
            if let Ok((200, value)) = http_json(self.port, "GET", "/status", None)
                && value["value"]["ready"] == Value::Bool(true)
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{CHROMEDRIVER} is not ready on port {} after 30 s{}",
                self.port,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("\nchromedriver's log ends:\n{tail}")
        }
    }

    fn path(&self, rest: &str) -> String {
        format!(
            "/session/{}{rest}",
            self.session.as_deref().expect("a session")
        )
    }

    /// A WebDriver command; its `value`, or the error it answered.
    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let (status, answer) = http_json(self.port, method, path, body)?;
        if status == 200 {
            Ok(answer["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: {status} {}: {}",
                answer["value"]["error"].as_str().unwrap_or("?"),
                answer["value"]["message"].as_str().unwrap_or("")
            ))
        }
    }

    fn run(&self, method: &str, rest: &str, body: Option<&Value>) -> Value {
        let path = self.path(rest);
        self.command(method, &path, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn goto(&self, url: &str) {
        self.run("POST", "/url", Some(&json!({"url": url})));
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        let found = self.run(
            "POST",
            "/elements",
            Some(&json!({"using": "css selector", "value": css})),
        );
        found
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn find(&self, css: &str) -> Option<String> {
        self.find_all(css).into_iter().next()
    }

    fn element(&self, css: &str) -> String {
        self.find(css)
            .unwrap_or_else(|| panic!("no element {css} on the page:\n{}", self.page_text()))
    }

    fn click(&self, element: &str) {
        self.run(
            "POST",
            &format!("/element/{element}/click"),
            Some(&json!({})),
        );
    }

    fn type_into(&self, element: &str, text: &str) {
        self.run(
            "POST",
            &format!("/element/{element}/value"),
            Some(&json!({"text": text})),
        );
    }

    fn clear(&self, element: &str) {
        self.run(
            "POST",
            &format!("/element/{element}/clear"),
            Some(&json!({})),
        );
    }

    fn text(&self, element: &str) -> String {
        self.run("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.run("GET", &format!("/element/{element}/attribute/{name}"), None)
            .as_str()
            .map(str::to_owned)
    }

    fn property(&self, element: &str, name: &str) -> Value {
        self.run("GET", &format!("/element/{element}/property/{name}"), None)
    }

    fn enabled(&self, element: &str) -> bool {
        self.run("GET", &format!("/element/{element}/enabled"), None) == Value::Bool(true)
    }

    /// Runs `script` in the page; its result.
    fn script(&self, script: &str) -> Value {
        self.run(
            "POST",
            "/execute/sync",
            Some(&json!({"script": script, "args": []})),
        )
    }

    /// The text of `css`, or "" when it is not there.
    fn text_of(&self, css: &str) -> String {
        self.find(css).map(|e| self.text(&e)).unwrap_or_default()
    }

    fn page_text(&self) -> String {
        self.script("return document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Polls `check` until it gives a value, for up to [`WAIT`].
    fn wait_for<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(value) = check() {
                return value;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {} s for {what}; the page says:\n{}",
                    WAIT.as_secs(),
                    self.page_text()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A screenshot of the viewport, written to `path`; its bytes.
    fn screenshot(&self, path: &Path) -> Vec<u8> {
        let encoded = self.run("GET", "/screenshot", None);
        let png =
            decode_base64(encoded.as_str().expect("a base64 screenshot")).expect("valid base64");
        std::fs::create_dir_all(path.parent().expect("a folder")).unwrap();
        std::fs::write(path, &png).unwrap();
        png
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            let _ = http(self.port, "DELETE", &format!("/session/{id}"), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

// ---- fixture ------------------------------------------------------------

/// The demo's chain in a store served on loopback.
struct Fixture {
    /// Declared before the folder so that it stops before the folder goes.
    server: ServerProcess,
    /// `sha256:HEX` of hello.tar.
    tarball_digest: String,
    tarball: PathBuf,
    /// The package link's signer (carol).
    package_keyid: String,
    /// The hostile link's product digest.
    hostile_digest: String,
    _dir: tempfile::TempDir,
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The one file in `dir` named `PREFIX*.link`.
fn link_file(dir: &Path, prefix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".link")
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {prefix}*.link in {}: {found:?}",
        dir.display()
    );
    found.remove(0)
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    intoto(root)
        .args(["demo", "--dir", "d", "-q"])
        .assert()
        .success();
    let client = root.join("d/client");

    // The demo's layout has an inspection, which a server never runs (it
    // fails with inspection-not-run); the same layout without it, signed
    // by the same owner, can pass.
    let mut layout = read_json(&client.join("root.layout"));
    layout["signed"]["inspect"] = json!([]);
    layout["signatures"] = json!([]);
    std::fs::write(client.join("release.layout"), layout.to_string()).unwrap();
    intoto(&client)
        .args([
            "sign",
            "-f",
            "release.layout",
            "-k",
            "../keys/alice",
            "-o",
            "release.layout",
        ])
        .assert()
        .success();

    // A link whose step and artifact names are markup, signed by a
    // functionary: the page must show them as text.
    let hostile = root.join("hostile");
    std::fs::create_dir(&hostile).unwrap();
    std::fs::write(hostile.join("<i>x.txt"), "hostile\n").unwrap();
    intoto(&hostile)
        .args([
            "run",
            "-n",
            "evil<img src=x id=pwn>",
            "-p",
            "<i>x.txt",
            "--signing-key",
            "../d/keys/bob",
            "-x",
        ])
        .assert()
        .success();
    let hostile_link = link_file(&hostile, "evil");
    let hostile_digest = format!(
        "sha256:{}",
        read_json(&hostile_link)["signed"]["products"]["<i>x.txt"]["sha256"]
            .as_str()
            .unwrap()
    );

    let tokens = root.join("tokens");
    std::fs::write(&tokens, "web-page-test-token\n").unwrap();
    let database = format!("sqlite:{}", root.join("store.db").display());
    let server = ServerProcess::start(
        root,
        &[
            "--database",
            &database,
            "--trust",
            "d/client/root.layout",
            "--trust",
            "d/client/release.layout",
            "--trust-owner-key",
            "d/keys/alice.pub",
            "--token-file",
            tokens.to_str().unwrap(),
        ],
    );

    let package = link_file(&client, "package.");
    let mut upload = intoto(root);
    upload.args(["store", "upload"]);
    for step in ["clone.", "build.", "package."] {
        upload.arg(link_file(&client, step));
    }
    upload
        .arg(client.join("hello.intoto.jsonl"))
        .arg(&hostile_link)
        .args([
            "--server",
            &server.url,
            "--token-file",
            tokens.to_str().unwrap(),
        ])
        .assert()
        .success();

    let package_link = read_json(&package);
    let tarball_digest = format!(
        "sha256:{}",
        package_link["signed"]["products"]["hello.tar"]["sha256"]
            .as_str()
            .unwrap()
    );
    let package_keyid = package_link["signatures"][0]["keyid"]
        .as_str()
        .unwrap()
        .to_owned();
    Fixture {
        tarball: client.join("hello.tar"),
        _dir: dir,
        server,
        tarball_digest,
        package_keyid,
        hostile_digest,
    }
}

/// What the API lists for `subject`.
fn api_items(server: &ServerProcess, subject: &str) -> Vec<Value> {
    let (status, page) = http_json(
        server.port,
        "GET",
        &format!("/v1/attestations?subject={subject}"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.get("next").is_none(), "one page: {page}");
    page["items"].as_array().unwrap().clone()
}

fn assert_png(png: &[u8], what: &str) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{what} is not a PNG");
    assert_eq!(&png[12..16], b"IHDR", "{what}: no IHDR chunk first");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 1000 && height >= 500, "{what} is {width}x{height}");
    assert!(
        png.len() > 20_000,
        "{what} is only {} bytes: a blank page?",
        png.len()
    );
}

// ---- the test -----------------------------------------------------------

#[test]
fn the_web_page_searches_reads_and_verifies_in_a_browser() {
    let fx = fixture();
    let server = &fx.server;

    // What the API answers for hello.tar: the package link (whose products
    // include it) and the two statements about it; not clone or build.
    let items = api_items(server, &fx.tarball_digest);
    let mut described: Vec<String> = items
        .iter()
        .map(|i| match i["kind"].as_str().unwrap() {
            "link" => format!("link {}", i["step"].as_str().unwrap()),
            _ => format!("statement {}", i["predicateType"].as_str().unwrap()),
        })
        .collect();
    described.sort();
    assert_eq!(
        described,
        [
            "link package",
            "statement https://in-toto.io/attestation/test-result/v0.1",
            "statement https://in-toto.io/attestation/vulns/v0.2",
        ]
    );
    let mut api_ids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    api_ids.sort();
    let package_id = items
        .iter()
        .find(|i| i["kind"] == "link")
        .and_then(|i| i["id"].as_str())
        .unwrap()
        .to_owned();

    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::start(dir.path());
    let shots = workspace_root().join("target/screenshots");

    // The page, and the store's health in its header.
    browser.goto(&format!("{}/", server.url));
    browser.wait_for("the store's health", || {
        let text = browser.text_of("#health");
        (text.contains("sqlite") && text.contains("7 attestations")).then_some(())
    });

    // Search by a typed digest.
    let digest = browser.element("#digest");
    browser.clear(&digest);
    browser.type_into(&digest, &fx.tarball_digest);
    browser.click(&browser.element("#search"));
    let results = browser.wait_for("three results for hello.tar", || {
        let found = browser.find_all("#results .result");
        (found.len() == 3).then_some(found)
    });
    let mut shown_ids: Vec<String> = results
        .iter()
        .map(|r| browser.attribute(r, "data-id").expect("data-id"))
        .collect();
    shown_ids.sort();
    assert_eq!(shown_ids, api_ids, "the page lists what the API answers");
    let listed = browser.text_of("#results");
    for expected in [
        "package",
        "test-result/v0.1",
        "vulns/v0.2",
        &fx.package_keyid[..8],
    ] {
        assert!(
            listed.contains(expected),
            "{expected:?} in the results:\n{listed}"
        );
    }

    // One attestation's content: the package link, its step and signer.
    browser.click(&browser.element(&format!(".result[data-id=\"{package_id}\"] button")));
    let detail = browser.wait_for("the package link's content", || {
        let text = browser.text_of("#detail");
        (text.contains("package")
            && text.contains(&fx.package_keyid[..8])
            && text.contains("hello.tar"))
        .then_some(text)
    });
    assert!(detail.contains("1 material, 2 products"), "{detail}");
    assert!(detail.contains(&fx.tarball_digest), "{detail}");
    let search_png = browser.screenshot(&shots.join("store-search.png"));
    assert_png(&search_png, "store-search.png");

    // A statement: its payload decoded.
    let statement_id = items
        .iter()
        .find(|i| i["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1")
        .and_then(|i| i["id"].as_str())
        .unwrap();
    browser.click(&browser.element(&format!(".result[data-id=\"{statement_id}\"] button")));
    browser.wait_for("the test result statement's content", || {
        let text = browser.text_of("#detail");
        (text.contains("https://in-toto.io/Statement/v1")
            && text.contains("hello.greets")
            && text.contains("hello.tar"))
        .then_some(())
    });

    // Verification against the demo's layout fails on the server (its
    // inspection is not run there), with that finding...
    let choose = |name: &str| {
        let option = browser
            .find_all("#policy option")
            .into_iter()
            .find(|o| browser.text(o).starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in #policy: {}", browser.text_of("#policy")));
        browser.click(&option);
        let verify = browser.element("#verify");
        browser.wait_for("#verify enabled", || browser.enabled(&verify).then_some(()));
        browser.click(&verify);
    };
    choose("root.layout");
    browser.wait_for("FAILED for root.layout", || {
        browser.text_of("#verdict").contains("FAILED").then_some(())
    });
    let findings = browser.text_of("#findings");
    assert!(findings.contains("inspection 'untar'"), "{findings}");

    // ... and against the layout without the inspection it passes, over
    // the six attestations of the chain, with the report drawn.
    choose("release.layout");
    let verdict = browser.wait_for("PASSED for release.layout", || {
        let text = browser.text_of("#verdict");
        assert!(
            !text.contains("FAILED") || text.contains("root.layout"),
            "{text}"
        );
        (text.contains("PASSED") && text.contains("release.layout")).then_some(text)
    });
    assert!(verdict.contains("evidence: 6 attestations"), "{verdict}");
    assert!(verdict.contains(&fx.tarball_digest), "{verdict}");
    assert!(browser.text_of("#findings").contains("No findings"));
    let title = browser.wait_for("the report in #report-frame", || {
        browser.find("#report-frame")?;
        let title = browser.script(
            "const f = document.getElementById('report-frame'); \
             const d = f && f.contentDocument; \
             return d && d.readyState === 'complete' && d.adoptedStyleSheets.length > 0 ? d.title : null",
        );
        title.as_str().map(str::to_owned)
    });
    assert!(title.starts_with("VERIFIED"), "{title}");
    let frame = browser.element("#report-frame");
    let sandbox = browser.attribute(&frame, "sandbox").unwrap_or_default();
    assert!(
        !sandbox.contains("allow-scripts"),
        "the report frame runs no script: {sandbox:?}"
    );
    let graph = browser.script(
        "const d = document.getElementById('report-frame').contentDocument; \
         return [d.querySelectorAll('svg .node').length, d.body.innerText.includes('package')]",
    );
    assert_eq!(graph, json!([3, true]), "the graph draws the three steps");
    let verify_png = browser.screenshot(&shots.join("store-verify.png"));
    assert_png(&verify_png, "store-verify.png");

    // A digest the store knows nothing of: an empty state, no results.
    let unknown = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let digest = browser.element("#digest");
    browser.clear(&digest);
    browser.type_into(&digest, &unknown);
    browser.click(&browser.element("#search"));
    browser.wait_for("the empty state", || {
        let text = browser.text_of("#results");
        (text.contains("no attestation") && text.contains(&unknown)).then_some(())
    });
    assert!(browser.find_all("#results .result").is_empty());
    assert!(
        browser.find("#verification:not([hidden])").is_none(),
        "the verdict of another subject is not shown"
    );

    // A file hashed in the browser is searched as a subject.
    let tarball = fx.tarball.canonicalize().unwrap();
    browser.type_into(&browser.element("#file"), tarball.to_str().unwrap());
    browser.wait_for("the file's digest", || {
        (browser.text_of("#computed-digest") == fx.tarball_digest).then_some(())
    });
    browser.wait_for("three results for the file", || {
        (browser.find_all("#results .result").len() == 3).then_some(())
    });
    assert_eq!(
        browser.property(&browser.element("#digest"), "value"),
        json!(fx.tarball_digest),
        "the file's digest is the one searched"
    );

    // Hostile names are text: no element is made of them.
    browser.goto(&format!("{}/?subject={}", server.url, fx.hostile_digest));
    let hostile = browser.wait_for("the hostile link from the URL's subject", || {
        let found = browser.find_all("#results .result");
        (found.len() == 1).then(|| found[0].clone())
    });
    browser.click(&browser.element("#results .result button"));
    browser.wait_for("the hostile link's content", || {
        let text = browser.text_of("#detail");
        (text.contains("evil<img src=x id=pwn>") && text.contains("<i>x.txt")).then_some(())
    });
    assert!(browser.text(&hostile).contains("evil<img src=x id=pwn>"));
    assert_eq!(
        browser.script("return [document.getElementById('pwn'), document.querySelectorAll('img, #detail i').length]"),
        json!([null, 0])
    );
}
