//! `intoto serve` under load and through failures, as a real process on
//! loopback HTTP: a thousand concurrent uploads all land byte for byte; a
//! server killed (SIGKILL) in the middle of a stream of uploads reopens its
//! database (SQLite and PostgreSQL) without repair, with every
//! acknowledged upload there and nothing half-written; a server asked to
//! stop (SIGTERM) while uploads are in flight finishes them and exits 0.
//!
//! The client is a small blocking HTTP/1.1 client over `std::net`, one
//! connection a request, so that a failure is seen exactly as a client
//! would see it. The PostgreSQL test needs the test PostgreSQL
//! (`scripts/postgres.sh start`): without it, it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use intoto::crypto::{KeyType, PrivateKey, sign_metadata};
use intoto::model::{EnvelopeKind, Metadata};
use intoto_test_support::server::{ServerProcess, fresh_postgres_database};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "reliability-token";

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/// One request on its own connection (`Connection: close`): the status and
/// the body, or an error when no complete answer came.
fn http(
    port: u16,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if method == "POST" {
        head.push_str(&format!(
            "Authorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    stream
        .write_all(&request)
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    parse_response(&answer)
}

fn parse_response(answer: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no complete answer ({} bytes)", answer.len()))?;
    let head = std::str::from_utf8(&answer[..end]).map_err(|e| e.to_string())?;
    let rest = &answer[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "content-length" {
            length = value.parse::<usize>().ok();
        } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        if rest.len() < n {
            return Err(format!("answer cut short: {} of {n} bytes", rest.len()));
        }
        rest[..n].to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk cut short")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("chunk cut short".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    http(port, "GET", path, None, b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn get_json(port: u16, path: &str) -> Value {
    let (status, body) = get(port, path);
    assert_eq!(
        status,
        200,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

fn stored_count(port: u16) -> u64 {
    get_json(port, "/healthz")["attestations"].as_u64().unwrap()
}

/// Uploads `body`; the ids (and whether created) the server acknowledged,
/// or why not.
fn upload(port: u16, body: &[u8], content_type: &str) -> Result<Vec<(String, bool)>, String> {
    let (status, answer) = http(port, "POST", "/v1/attestations", Some(content_type), body)?;
    if !(200..300).contains(&status) {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let value: Value = serde_json::from_slice(&answer).map_err(|e| format!("answer: {e}"))?;
    Ok(value["attestations"]
        .as_array()
        .ok_or("no attestations in the answer")?
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap_or_default().to_owned(),
                a["created"] == json!(true),
            )
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

fn sha(bytes: &[u8]) -> String {
    intoto::model::encoding::hex::encode(Sha256::digest(bytes))
}

/// Distinct signed statements, each with a subject of its own.
struct Docs {
    /// The bytes, one line each.
    bytes: Vec<Vec<u8>>,
    /// Each one's subject digest (sha256 hex).
    subjects: Vec<String>,
    /// Index by id.
    by_id: BTreeMap<String, usize>,
}

impl Docs {
    fn new(key: &PrivateKey, tag: &str, n: usize) -> Self {
        let mut docs = Self {
            bytes: Vec::with_capacity(n),
            subjects: Vec::with_capacity(n),
            by_id: BTreeMap::new(),
        };
        for i in 0..n {
            let subject = sha(format!("{tag}/{i}").as_bytes());
            let statement = json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"name": format!("{tag}-{i}.tar.gz"), "digest": {"sha256": subject}}],
                "predicateType": "https://example.com/reliability/v1",
                "predicate": {"tag": tag, "n": i, "padding": "x".repeat(i % 97)},
            });
            let mut md = Metadata::wrap(&statement, EnvelopeKind::Dsse);
            sign_metadata(&mut md, key).unwrap();
            let bytes = md.to_file_string().into_bytes();
            assert!(!bytes.contains(&b'\n'));
            docs.by_id.insert(sha(&bytes), i);
            docs.bytes.push(bytes);
            docs.subjects.push(subject);
        }
        docs
    }
}

/// A folder with a writer's key trusted (`writer.pub`) and a token file.
fn setup(dir: &Path) -> PrivateKey {
    let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
    std::fs::write(dir.join("writer.pub"), key.public_key_pem().unwrap()).unwrap();
    std::fs::write(
        dir.join("tokens"),
        format!("# the test's writer\n{TOKEN}\n"),
    )
    .unwrap();
    key
}

fn start(dir: &Path, database: &str) -> ServerProcess {
    ServerProcess::start(
        dir,
        &[
            "--database",
            database,
            "--trust",
            "writer.pub",
            "--token-file",
            "tokens",
        ],
    )
}

// ---------------------------------------------------------------------------
// A thousand concurrent uploads
// ---------------------------------------------------------------------------

#[test]
fn a_thousand_concurrent_uploads_all_land_byte_exact() {
    const THREADS: usize = 50;
    const EACH: usize = 20;
    let tmp = tempfile::tempdir().unwrap();
    let key = setup(tmp.path());
    let docs = Arc::new(Docs::new(&key, "concurrent", THREADS * EACH));
    let server = start(tmp.path(), "sqlite:store.db");
    let port = server.port;
    let started = Instant::now();
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let docs = Arc::clone(&docs);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut acked = Vec::new();
                let mut failed = Vec::new();
                for i in t * EACH..(t + 1) * EACH {
                    match upload(port, &docs.bytes[i], "application/json") {
                        Ok(ids) => acked.push((i, ids)),
                        Err(e) => failed.push(format!("document {i}: {e}")),
                    }
                }
                (acked, failed)
            })
        })
        .collect();
    let mut acked = Vec::new();
    let mut failed = Vec::new();
    for t in threads {
        let (a, f) = t.join().unwrap();
        acked.extend(a);
        failed.extend(f);
    }
    let upload_time = started.elapsed();
    assert!(
        failed.is_empty(),
        "{} uploads failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert_eq!(acked.len(), THREADS * EACH);
    for (i, ids) in &acked {
        assert_eq!(ids.len(), 1);
        let (id, created) = &ids[0];
        assert_eq!(
            *id,
            sha(&docs.bytes[*i]),
            "the id is the sha256 of the bytes sent"
        );
        assert!(created, "document {i} was new");
        let (status, body) = get(port, &format!("/v1/attestations/{id}"));
        assert_eq!(status, 200, "{id}");
        assert!(
            body == docs.bytes[*i],
            "document {i} comes back byte for byte"
        );
    }
    assert_eq!(stored_count(port), u64::try_from(acked.len()).unwrap());
    // Each is found by its subject.
    for i in (0..THREADS * EACH).step_by(97) {
        let found = get_json(
            port,
            &format!("/v1/attestations?subject=sha256:{}", docs.subjects[i]),
        );
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [sha(&docs.bytes[i])]);
    }
    assert!(
        upload_time < Duration::from_secs(60),
        "1000 uploads took {upload_time:?}"
    );
}

// ---------------------------------------------------------------------------
// A stream of uploads, cut by a crash or a stop
// ---------------------------------------------------------------------------

/// What one upload sends: one document, or a bundle of several.
struct Unit {
    docs: Vec<usize>,
    body: Vec<u8>,
    content_type: &'static str,
}

/// Singles, and every fourth a bundle of five.
fn units(docs: &Docs) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut next = 0;
    while next < docs.bytes.len() {
        let n = if units.len() % 4 == 3 { 5 } else { 1 }.min(docs.bytes.len() - next);
        let members: Vec<usize> = (next..next + n).collect();
        next += n;
        let (body, content_type) = if n == 1 {
            (docs.bytes[members[0]].clone(), "application/json")
        } else {
            let mut body = Vec::new();
            for &m in &members {
                body.extend_from_slice(&docs.bytes[m]);
                body.push(b'\n');
            }
            (body, "application/jsonl")
        };
        units.push(Unit {
            docs: members,
            body,
            content_type,
        });
    }
    units
}

/// Uploads in flight from several threads until the server goes away.
struct Stream {
    /// The units sent (taken by a thread), in order of taking.
    taken: Arc<AtomicUsize>,
    /// Documents acknowledged so far.
    acked_docs: Arc<AtomicUsize>,
    /// Set once the server is being stopped: errors are expected from then.
    stopping: Arc<AtomicBool>,
    /// Uploads sent and not yet answered.
    in_flight: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<(Vec<usize>, Vec<String>)>>,
}

impl Stream {
    fn start(port: u16, units: Arc<Vec<Unit>>, docs: Arc<Docs>, threads: usize) -> Self {
        let taken = Arc::new(AtomicUsize::new(0));
        let acked_docs = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let threads = (0..threads)
            .map(|_| {
                let (taken, acked_docs, stopping) = (
                    Arc::clone(&taken),
                    Arc::clone(&acked_docs),
                    Arc::clone(&stopping),
                );
                let (units, docs) = (Arc::clone(&units), Arc::clone(&docs));
                let in_flight = Arc::clone(&in_flight);
                std::thread::spawn(move || {
                    let mut acked = Vec::new();
                    let mut unexpected = Vec::new();
                    loop {
                        let u = taken.fetch_add(1, Ordering::SeqCst);
                        let Some(unit) = units.get(u) else { break };
                        in_flight.fetch_add(1, Ordering::SeqCst);
                        let answer = upload(port, &unit.body, unit.content_type);
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        match answer {
                            Ok(ids) => {
                                let expected: Vec<String> =
                                    unit.docs.iter().map(|&d| sha(&docs.bytes[d])).collect();
                                let got: Vec<String> = ids.into_iter().map(|(id, _)| id).collect();
                                if got == expected {
                                    acked.push(u);
                                    acked_docs.fetch_add(unit.docs.len(), Ordering::SeqCst);
                                } else {
                                    unexpected.push(format!(
                                        "unit {u}: acknowledged {got:?}, sent {expected:?}"
                                    ));
                                }
                            }
                            Err(e) => {
                                if !stopping.load(Ordering::SeqCst) {
                                    unexpected.push(format!("unit {u} before the stop: {e}"));
                                }
                                break;
                            }
                        }
                    }
                    (acked, unexpected)
                })
            })
            .collect();
        Self {
            taken,
            acked_docs,
            stopping,
            in_flight,
            threads,
        }
    }

    /// Waits until at least `n` documents are acknowledged.
    fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.acked_docs.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "{n} uploads not acknowledged within 60 s"
            );
            assert!(
                !self
                    .threads
                    .iter()
                    .all(std::thread::JoinHandle::is_finished),
                "the uploaders stopped early"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Joins the uploaders once the server is gone: the units acknowledged,
    /// and how many were taken (sent or being sent).
    fn finish(self) -> (BTreeSet<usize>, usize) {
        let mut acked = BTreeSet::new();
        let mut unexpected = Vec::new();
        for t in self.threads {
            let (a, u) = t.join().unwrap();
            acked.extend(a);
            unexpected.extend(u);
        }
        assert!(unexpected.is_empty(), "{unexpected:?}");
        (acked, self.taken.load(Ordering::SeqCst))
    }
}

/// Every acknowledged document is there byte for byte; everything stored
/// is a document sent, whole, findable by its subject; a bundle is there
/// whole or not at all. Returns how many are stored.
fn check_after_restart(
    port: u16,
    docs: &Docs,
    units: &[Unit],
    acked: &BTreeSet<usize>,
    taken: usize,
) -> usize {
    let acked_docs: BTreeSet<usize> = acked
        .iter()
        .flat_map(|&u| units[u].docs.iter().copied())
        .collect();
    for &d in &acked_docs {
        let (status, body) = get(port, &format!("/v1/attestations/{}", sha(&docs.bytes[d])));
        assert_eq!(status, 200, "acknowledged document {d} is gone");
        assert!(body == docs.bytes[d], "acknowledged document {d} changed");
    }
    let count = usize::try_from(stored_count(port)).unwrap();
    assert!(
        count >= acked_docs.len(),
        "{count} stored, {} acknowledged",
        acked_docs.len()
    );

    // Everything stored, page by page.
    let mut stored = Vec::new();
    let mut path = "/v1/attestations?limit=1000".to_owned();
    loop {
        let page = get_json(port, &path);
        for item in page["items"].as_array().unwrap() {
            stored.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/v1/attestations?limit=1000&after={next}"),
            None => break,
        }
    }
    assert_eq!(stored.len(), count, "the listing and the count agree");
    assert_eq!(
        stored.iter().collect::<BTreeSet<_>>().len(),
        count,
        "no id listed twice"
    );
    let mut stored_docs = BTreeSet::new();
    for id in &stored {
        let Some(&d) = docs.by_id.get(id) else {
            panic!("{id} is stored but was never sent")
        };
        let (status, body) = get(port, &format!("/v1/attestations/{id}"));
        assert_eq!(status, 200, "{id} is listed but cannot be fetched");
        assert!(body == docs.bytes[d], "{id} is not the bytes sent");
        let found = get_json(
            port,
            &format!("/v1/attestations?subject=sha256:{}", docs.subjects[d]),
        );
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id.as_str()], "document {d} is found by its subject");
        stored_docs.insert(d);
    }
    for (u, unit) in units.iter().enumerate() {
        let present = unit.docs.iter().filter(|d| stored_docs.contains(d)).count();
        assert!(
            present == 0 || present == unit.docs.len(),
            "upload {u} is half there: {present} of {}",
            unit.docs.len()
        );
        if present > 0 {
            assert!(u < taken, "upload {u} is stored but was never sent");
        }
    }
    count
}

/// Streams uploads into a server on `database`, kills it with SIGKILL after
/// 200 acknowledged documents, restarts it on the same database and
/// checks what is there.
fn survives_a_crash(database: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let key = setup(tmp.path());
    let docs = Arc::new(Docs::new(&key, "crash", 1500));
    let units = Arc::new(units(&docs));
    let mut server = start(tmp.path(), database);
    let stream = Stream::start(server.port, Arc::clone(&units), Arc::clone(&docs), 6);
    stream.wait_for(200);
    stream.stopping.store(true, Ordering::SeqCst);
    let in_flight = stream.in_flight.load(Ordering::SeqCst);
    server.kill9();
    let (acked, taken) = stream.finish();
    assert!(taken < units.len(), "the crash came after the last upload");
    assert!(in_flight > 0, "no upload was in flight at the crash");

    // Opened again without repair.
    let server = start(tmp.path(), database);
    let count = check_after_restart(server.port, &docs, &units, &acked, taken);
    // And it takes uploads again.
    let fresh = Docs::new(&key, "after-crash", 1);
    let ids = upload(server.port, &fresh.bytes[0], "application/json").unwrap();
    assert_eq!(ids, [(sha(&fresh.bytes[0]), true)]);
    assert_eq!(
        usize::try_from(stored_count(server.port)).unwrap(),
        count + 1
    );
}

#[test]
fn a_crash_loses_no_acknowledged_upload_sqlite() {
    survives_a_crash("sqlite:store.db");
}

#[test]
fn a_crash_loses_no_acknowledged_upload_postgres() {
    survives_a_crash(&fresh_postgres_database());
}

#[test]
fn a_stop_finishes_the_uploads_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    let key = setup(tmp.path());
    let docs = Arc::new(Docs::new(&key, "stop", 1500));
    let units = Arc::new(units(&docs));
    let mut server = start(tmp.path(), "sqlite:store.db");
    let stream = Stream::start(server.port, Arc::clone(&units), Arc::clone(&docs), 6);
    stream.wait_for(200);
    stream.stopping.store(true, Ordering::SeqCst);
    let in_flight = stream.in_flight.load(Ordering::SeqCst);
    assert!(server.stop(), "intoto serve exits 0 on SIGTERM");
    let (acked, taken) = stream.finish();
    assert!(in_flight > 0, "no upload was in flight at the stop");
    assert!(taken < units.len(), "the stop came after the last upload");

    let server = start(tmp.path(), "sqlite:store.db");
    let count = check_after_restart(server.port, &docs, &units, &acked, taken);
    // What was in flight was finished and answered: nothing is stored that
    // was not acknowledged.
    let acked_docs: usize = acked.iter().map(|&u| units[u].docs.len()).sum();
    assert_eq!(
        count, acked_docs,
        "stored = acknowledged after a graceful stop"
    );
}
