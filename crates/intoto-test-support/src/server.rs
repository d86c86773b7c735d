//! `intoto serve` as a real process on loopback for tests, and the
//! PostgreSQL server `scripts/postgres.sh` starts: tests that need it
//! fail, never skip, when it is not there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running `intoto serve`.
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT` (or `https://localhost:PORT` with TLS).
    pub url: String,
    /// The port.
    pub port: u16,
    child: Child,
}

impl ServerProcess {
    /// Starts `intoto serve --listen 127.0.0.1:0 ARGS...` in `dir` and
    /// waits (up to 60 s) for it to say where it listens.
    ///
    /// # Panics
    ///
    /// When it does not start.
    #[allow(clippy::expect_used, clippy::panic)] // Test setup.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        let binary = assert_cmd::cargo::cargo_bin("intoto");
        let mut child = Command::new(binary)
            .current_dir(dir)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("INTOTO_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("intoto serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("intoto serve {args:?} did not start within 60 s");
            }
        };
        // "intoto serve: listening on http://127.0.0.1:PORT/ (...)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url}"));
        Self { url, port, child }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with SIGKILL, as a crash would, and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks it to stop (SIGTERM) and waits up to 30 s for it to exit;
    /// returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill9();
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL of the PostgreSQL server the test command started
/// (`INTOTO_TEST_POSTGRES`, else the file `scripts/postgres.sh start`
/// writes: `target/postgres/url`).
///
/// # Panics
///
/// When there is none: the test fails, saying how to start one.
#[allow(clippy::panic)] // Test setup.
pub fn postgres_url() -> String {
    if let Ok(url) = std::env::var("INTOTO_TEST_POSTGRES") {
        return url;
    }
    let file = crate::workspace_root().join("target/postgres/url");
    match std::fs::read_to_string(&file) {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => panic!(
            "no PostgreSQL for the store tests: run scripts/postgres.sh start (scripts/test.sh does), or set INTOTO_TEST_POSTGRES"
        ),
    }
}

/// A new, empty database on the test PostgreSQL server; its URL.
///
/// # Panics
///
/// When it cannot be created.
#[allow(clippy::panic)] // Test setup.
pub fn fresh_postgres_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let base = postgres_url();
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let status = Command::new("psql")
        .arg(&base)
        .args([
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            &format!("CREATE DATABASE {name}"),
        ])
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("cannot create database {name} on {base}: {other:?}"),
    }
    let (prefix, _) = base.rsplit_once('/').unwrap_or((&base, ""));
    format!("{prefix}/{name}")
}

/// A file path in `dir` (convenience for tests building server arguments).
pub fn path_arg(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
