//! Running a step's command as the reference's `execute_link` does: an argv
//! (no shell), a timeout after which the command is killed, the return value,
//! and optionally its standard output and error, duplicated to this
//! process's streams while they are captured.
//!
//! Captured output goes through pipes that are read, without blocking,
//! between looks at the command: the timeout is checked between reads, the
//! bytes kept are capped ([`DEFAULT_CAPTURE_LIMIT`]; more is counted and
//! marked, not kept), and when the command exits what is left in the pipes
//! is read once and they are closed. A background process that inherited
//! them (`sh -c 'yes & exit 0'`) then gets `SIGPIPE` instead of keeping us
//! reading, or filling the memory, for ever.

#[cfg(not(unix))]
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::error::Error;
use crate::hash::LineEndings;

/// The reference's default timeout (`in_toto.settings.LINK_CMD_EXEC_TIMEOUT`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest pause between two looks at a running command.
const MAX_POLL: Duration = Duration::from_millis(25);

/// The most output kept per stream, by default: beyond it the recorded text
/// ends with a note of how much was left out.
pub const DEFAULT_CAPTURE_LIMIT: usize = 16 << 20;

/// The most read from one stream between two looks at the command (and at
/// the clock), and the most read from a pipe after the command exited.
const READ_BUDGET: usize = 1 << 20;

/// What happens to the command's standard output and standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Streams {
    /// Discarded and recorded as empty strings: the reference without
    /// `--record-streams`.
    #[default]
    Discard,
    /// Shown on this process's stdout and stderr as they are written, and
    /// recorded: the reference with `--record-streams`.
    Record,
    /// Recorded without being shown.
    Capture,
    /// Shown but not recorded (recorded as empty strings).
    Inherit,
}

impl Streams {
    fn captures(self) -> bool {
        matches!(self, Self::Record | Self::Capture)
    }
}

/// What a timeout kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KillScope {
    /// Only the command's process (SIGKILL), as the reference does; processes
    /// it started keep running.
    #[default]
    Process,
    /// The command's whole process group. The command is started in a new
    /// process group, so it no longer gets the terminal's Ctrl-C and cannot
    /// read from the terminal; do not use this for interactive commands.
    #[cfg(unix)]
    ProcessGroup,
}

/// How to run a command.
#[derive(Debug, Clone)]
pub struct RunOptions {
    command: Vec<String>,
    working_dir: Option<PathBuf>,
    streams: Streams,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    kill_scope: KillScope,
    capture_limit: usize,
}

impl RunOptions {
    /// Runs `command` (`argv[0]` is looked up on `PATH` unless it contains a
    /// `/`) in the current directory, output discarded, with the reference's
    /// 10 second timeout.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            working_dir: None,
            streams: Streams::Discard,
            timeout: Some(DEFAULT_TIMEOUT),
            deadline: None,
            kill_scope: KillScope::Process,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
        }
    }

    /// Also kills the command at `deadline`, whatever its timeout (for a
    /// time limit shared with recording artifacts).
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The most bytes of each stream kept when capturing (default
    /// [`DEFAULT_CAPTURE_LIMIT`]).
    pub fn capture_limit(mut self, bytes: usize) -> Self {
        self.capture_limit = bytes;
        self
    }

    /// The directory to run the command in (default: the current directory).
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// What to do with the command's output (default [`Streams::Discard`]).
    pub fn streams(mut self, streams: Streams) -> Self {
        self.streams = streams;
        self
    }

    /// Kills the command after `timeout` (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets the command run as long as it takes.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// What a timeout kills (default [`KillScope::Process`]).
    pub fn kill_scope(mut self, scope: KillScope) -> Self {
        self.kill_scope = scope;
        self
    }

    /// The command, as the link's `command` records it.
    pub fn command(&self) -> &[String] {
        &self.command
    }

    /// The working directory, if one was set.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.working_dir.as_deref()
    }

    /// Runs the command; see [`run`].
    ///
    /// # Errors
    ///
    /// As [`run`].
    pub fn run(&self) -> Result<RunOutcome, Error> {
        run(self)
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOutcome {
    /// The exit code, or minus the signal number if a signal ended it (as
    /// Python's `returncode`).
    pub return_value: i32,
    /// Standard output, decoded as UTF-8 (invalid bytes become U+FFFD) with
    /// CRLF and CR turned into LF; empty unless captured.
    pub stdout: String,
    /// Standard error, decoded like `stdout`.
    pub stderr: String,
}

impl RunOutcome {
    /// The link's byproducts as the reference writes them:
    /// `{"return-value": N, "stderr": "...", "stdout": "..."}`.
    pub fn byproducts(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("stdout".into(), Value::String(self.stdout.clone()));
        map.insert("stderr".into(), Value::String(self.stderr.clone()));
        map.insert("return-value".into(), Value::from(self.return_value));
        map
    }
}

/// Runs the command described by `options` and waits for it.
///
/// # Errors
///
/// - [`Error::EmptyCommand`] if there is no `argv[0]`;
/// - [`Error::WorkingDir`] if the working directory is not a directory;
/// - [`Error::CommandNotFound`] if `argv[0]` does not exist;
/// - [`Error::Spawn`] if it cannot be started otherwise;
/// - [`Error::Timeout`] if it ran out of time (it has been killed);
/// - [`Error::Wait`] if waiting for it or reading its output failed.
pub fn run(options: &RunOptions) -> Result<RunOutcome, Error> {
    let Some((program, args)) = options.command.split_first() else {
        return Err(Error::EmptyCommand);
    };
    let wait_err = |source| Error::Wait {
        program: program.clone(),
        source,
    };
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = &options.working_dir {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::WorkingDir {
                    program: program.clone(),
                    dir: dir.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        "not a directory",
                    ),
                });
            }
            Err(source) => {
                return Err(Error::WorkingDir {
                    program: program.clone(),
                    dir: dir.clone(),
                    source,
                });
            }
        }
        command.current_dir(dir);
    }
    #[cfg(unix)]
    if options.kill_scope == KillScope::ProcessGroup {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }

    let mut capture = if options.streams.captures() {
        let tee = options.streams == Streams::Record;
        let limit = options.capture_limit;
        let (out_writer, out) = Captured::new(tee, Target::Stdout, limit).map_err(wait_err)?;
        let (err_writer, err) = Captured::new(tee, Target::Stderr, limit).map_err(wait_err)?;
        command.stdout(out_writer).stderr(err_writer);
        Some((out, err))
    } else if options.streams == Streams::Inherit {
        command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        None
    } else {
        command.stdout(Stdio::null()).stderr(Stdio::null());
        None
    };

    tracing::debug!(command = ?options.command, "running command");
    let mut child = command.spawn().map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::CommandNotFound {
                program: program.clone(),
            }
        } else {
            Error::Spawn {
                program: program.clone(),
                source,
            }
        }
    })?;
    // Close our copies of the command's output pipes, so that they end when
    // the command's copies do.
    drop(command);

    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(wait_err)? {
            break status;
        }
        let mut busy = false;
        if let Some((out, err)) = capture.as_mut() {
            busy |= out.pump(READ_BUDGET).map_err(wait_err)?;
            busy |= err.pump(READ_BUDGET).map_err(wait_err)?;
        }
        let timed_out = options.timeout.is_some_and(|t| started.elapsed() > t);
        let past_deadline = options.deadline.is_some_and(|d| Instant::now() > d);
        if timed_out || past_deadline {
            kill(&mut child, options.kill_scope);
            return Err(Error::Timeout {
                program: program.clone(),
                timeout: started
                    .elapsed()
                    .min(options.timeout.unwrap_or(Duration::MAX)),
            });
        }
        if busy {
            pause = Duration::from_millis(1);
        } else {
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_POLL);
        }
    };
    let (stdout, stderr) = match capture {
        Some((mut out, mut err)) => {
            // What the command wrote before it exited is in the pipes: read
            // it (but no more than a budget, in case a background process
            // keeps writing), then close them.
            out.pump(READ_BUDGET).map_err(wait_err)?;
            err.pump(READ_BUDGET).map_err(wait_err)?;
            (out.into_text(), err.into_text())
        }
        None => (String::new(), String::new()),
    };
    let return_value = return_value(status);
    tracing::debug!(return_value, "command finished");
    Ok(RunOutcome {
        return_value,
        stdout,
        stderr,
    })
}

fn kill(child: &mut Child, scope: KillScope) {
    match scope {
        KillScope::Process => {}
        #[cfg(unix)]
        KillScope::ProcessGroup => {
            let pid = rustix::process::Pid::from_child(child);
            if let Err(e) = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL)
            {
                tracing::debug!(error = %e, "cannot kill the process group");
            }
        }
    }
    if let Err(e) = child.kill() {
        tracing::debug!(error = %e, "cannot kill the command");
    }
    if let Err(e) = child.wait() {
        tracing::debug!(error = %e, "cannot reap the killed command");
    }
}

/// Python's `Popen.returncode`: the exit code, or `-signal`.
fn return_value(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return -signal;
        }
    }
    -1
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Stdout,
    Stderr,
}

/// One captured stream: a pipe the command writes and we read without
/// blocking, keeping at most `limit` bytes.
struct Captured {
    reader: Reader,
    bytes: Vec<u8>,
    limit: usize,
    /// Bytes read beyond `limit`, not kept.
    dropped: u64,
    /// Whether the command's end of the pipe is closed.
    closed: bool,
    target: Target,
    /// Whether what is read is also shown on our stream of the same name.
    tee: bool,
    chunk: Vec<u8>,
}

#[cfg(unix)]
type Reader = std::io::PipeReader;
#[cfg(not(unix))]
type Reader = File;

impl Captured {
    /// The command's end (for `Command::stdout`/`stderr`) and ours.
    #[cfg(unix)]
    fn new(tee: bool, target: Target, limit: usize) -> std::io::Result<(Stdio, Self)> {
        let (reader, writer) = std::io::pipe()?;
        let flags = rustix::fs::fcntl_getfl(&reader)?;
        rustix::fs::fcntl_setfl(&reader, flags | rustix::fs::OFlags::NONBLOCK)?;
        Ok((writer.into(), Self::with_reader(reader, tee, target, limit)))
    }

    /// Where pipes cannot be read without blocking, a temporary file the
    /// command writes and we read; a background writer can outlive us there.
    #[cfg(not(unix))]
    fn new(tee: bool, target: Target, limit: usize) -> std::io::Result<(Stdio, Self)> {
        let file = tempfile::NamedTempFile::new()?;
        let writer = file.as_file().try_clone()?;
        let reader = file.reopen()?;
        file.close()?;
        Ok((writer.into(), Self::with_reader(reader, tee, target, limit)))
    }

    fn with_reader(reader: Reader, tee: bool, target: Target, limit: usize) -> Self {
        Self {
            reader,
            bytes: Vec::new(),
            limit,
            dropped: 0,
            closed: false,
            target,
            tee,
            chunk: vec![0; 64 * 1024],
        }
    }

    /// Reads what the command wrote since the last call, at most `budget`
    /// bytes, and shows it. Returns whether anything was read.
    fn pump(&mut self, budget: usize) -> std::io::Result<bool> {
        let mut read = 0;
        while !self.closed && read < budget {
            let n = match self.reader.read(&mut self.chunk) {
                Ok(0) => {
                    self.closed = cfg!(unix);
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            };
            read += n;
            let data = &self.chunk[..n];
            let room = self.limit.saturating_sub(self.bytes.len());
            let kept = &data[..n.min(room)];
            self.bytes.extend_from_slice(kept);
            self.dropped += (n - kept.len()) as u64;
            let shown = match (self.tee, self.target) {
                (false, _) => Ok(()),
                (true, Target::Stdout) => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(data).and_then(|()| out.flush())
                }
                (true, Target::Stderr) => {
                    let mut err = std::io::stderr().lock();
                    err.write_all(data).and_then(|()| err.flush())
                }
            };
            if let Err(e) = shown {
                // A closed terminal must not fail the step; stop showing.
                tracing::debug!(error = %e, "cannot duplicate the command's output");
                self.tee = false;
            }
        }
        Ok(read > 0)
    }

    /// The captured text as the reference reads it: a text-mode file, so
    /// universal newlines; invalid UTF-8 is replaced rather than fatal. Output
    /// beyond the limit ends in a note of how much was left out.
    fn into_text(self) -> String {
        let mut normalized = Vec::new();
        let mut le = LineEndings::default();
        le.feed(&self.bytes, &mut normalized);
        let mut tail = Vec::new();
        le.finish(&mut tail);
        normalized.extend_from_slice(&tail);
        let mut text = String::from_utf8_lossy(&normalized).into_owned();
        if self.dropped > 0 {
            tracing::warn!(
                "the command wrote more than {} bytes to standard {}; the link records the first {} and a note",
                self.limit,
                match self.target {
                    Target::Stdout => "output",
                    Target::Stderr => "error",
                },
                self.limit
            );
            text.push_str(&format!(
                "\n[intoto: output truncated: {} more bytes were not recorded]\n",
                self.dropped
            ));
        }
        text
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> RunOptions {
        RunOptions::new(["sh", "-c", script])
    }

    #[test]
    fn captures_streams_and_return_value() {
        let out = sh("printf 'a\\r\\nb\\rc\\n'; echo err >&2; exit 3")
            .streams(Streams::Capture)
            .run()
            .unwrap();
        assert_eq!(out.return_value, 3);
        assert_eq!(out.stdout, "a\nb\nc\n");
        assert_eq!(out.stderr, "err\n");
    }

    #[test]
    fn discards_streams_by_default() {
        let out = sh("echo out; exit 1").run().unwrap();
        assert_eq!((out.return_value, out.stdout.as_str()), (1, ""));
    }

    #[test]
    fn signal_gives_negative_return_value() {
        let out = sh("kill -9 $$").run().unwrap();
        assert_eq!(out.return_value, -9);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let out = sh("printf 'a\\377\\n'")
            .streams(Streams::Capture)
            .run()
            .unwrap();
        assert_eq!(out.stdout, "a\u{fffd}\n");
    }

    #[test]
    fn missing_command_is_named() {
        let err = RunOptions::new(["intoto-no-such-command-xyz"])
            .run()
            .unwrap_err();
        assert!(
            matches!(err, Error::CommandNotFound { ref program } if program == "intoto-no-such-command-xyz")
        );
        assert!(matches!(
            RunOptions::new(Vec::<String>::new()).run(),
            Err(Error::EmptyCommand)
        ));
    }

    #[test]
    fn timeout_kills_the_command() {
        let started = Instant::now();
        let err = sh("sleep 5")
            .timeout(Duration::from_millis(200))
            .streams(Streams::Capture)
            .run()
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }));
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn timeout_can_kill_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        let script = format!("(sleep 1; touch '{}') & sleep 5", marker.display());
        let err = sh(&script)
            .timeout(Duration::from_millis(200))
            .kill_scope(KillScope::ProcessGroup)
            .run()
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }));
        std::thread::sleep(Duration::from_millis(1500));
        assert!(
            !marker.exists(),
            "a process of the group outlived the timeout"
        );
    }

    #[test]
    fn background_children_do_not_hold_us() {
        let started = Instant::now();
        let out = sh("sleep 3 & echo done")
            .streams(Streams::Capture)
            .run()
            .unwrap();
        assert_eq!(out.stdout, "done\n");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn record_streams_stop_when_the_command_exits_despite_a_background_writer() {
        // `yes` left behind writes for ever; capture must end with the
        // command, and `yes` must not keep the pipe (it gets SIGPIPE).
        let started = Instant::now();
        let out = sh("yes & echo started")
            .streams(Streams::Capture)
            .run()
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(
            out.stdout.len() <= DEFAULT_CAPTURE_LIMIT + 200,
            "{}",
            out.stdout.len()
        );
        assert!(out.stdout.contains("started"));
    }

    #[test]
    fn record_streams_timeout_is_checked_between_reads() {
        let started = Instant::now();
        let err = sh("exec yes")
            .streams(Streams::Capture)
            .timeout(Duration::from_secs(1))
            .run()
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn record_streams_are_capped_with_a_note() {
        let out = sh("i=0; while [ $i -lt 3000 ]; do echo 0123456789; i=$((i+1)); done")
            .streams(Streams::Capture)
            .capture_limit(1000)
            .run()
            .unwrap();
        assert!(out.stdout.starts_with("0123456789\n"));
        assert!(
            out.stdout
                .ends_with("\n[intoto: output truncated: 32000 more bytes were not recorded]\n"),
            "{:?}",
            &out.stdout[out.stdout.len() - 80..]
        );
        assert_eq!(
            out.stdout.len(),
            1000 + "\n[intoto: output truncated: 32000 more bytes were not recorded]\n".len()
        );
    }

    #[test]
    fn a_deadline_kills_like_a_timeout() {
        let err = sh("sleep 5")
            .deadline(Instant::now() + Duration::from_millis(200))
            .run()
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }));
    }

    #[test]
    fn working_dir_is_used_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let out = RunOptions::new(["pwd"])
            .working_dir(dir.path())
            .streams(Streams::Capture)
            .run()
            .unwrap();
        let expected = dir.path().canonicalize().unwrap();
        assert_eq!(out.stdout.trim_end(), expected.to_str().unwrap());
        let err = RunOptions::new(["pwd"])
            .working_dir(dir.path().join("missing"))
            .run()
            .unwrap_err();
        assert!(matches!(err, Error::WorkingDir { .. }));
    }
}
