//! The progress bar of recording passes (standard error, terminals only)
//! and the `--format json` summary of a recording command, which counts
//! what was hashed.

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use intoto::link::LinkForm;
use intoto::model::Link;
use intoto::record::Progress;

/// Counts what was hashed (for the summary) and draws a progress bar on a
/// terminal while a recording pass is under way (never while the step's
/// command runs).
pub(crate) struct Meter {
    counters: Arc<Counters>,
    /// Whether a bar may be drawn at all.
    draw: bool,
    ticker: Mutex<Option<Ticker>>,
}

#[derive(Default)]
struct Counters {
    found: AtomicU64,
    files: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.found.load(Ordering::Relaxed),
            self.files.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }
}

/// The thread that draws the bar during one pass; dropping `stop` ends it.
struct Ticker {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

/// How long a pass runs before a bar appears, so quick ones do not flicker.
const BAR_DELAY: Duration = Duration::from_millis(400);
/// How often the bar is redrawn.
const BAR_TICK: Duration = Duration::from_millis(100);

impl Meter {
    /// A meter that draws a bar when standard error is a terminal and `quiet`
    /// is not set.
    pub(crate) fn new(quiet: bool) -> Arc<Self> {
        Arc::new(Self {
            counters: Arc::default(),
            draw: !quiet && std::io::stderr().is_terminal(),
            ticker: Mutex::new(None),
        })
    }

    /// Files hashed so far.
    pub(crate) fn files(&self) -> u64 {
        self.counters.files.load(Ordering::Relaxed)
    }

    /// Bytes hashed so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.counters.bytes.load(Ordering::Relaxed)
    }
}

/// Redraws the bar for one pass until `stop` is dropped, then clears it.
fn draw_pass(counters: &Counters, stop: &mpsc::Receiver<()>) {
    let start = Instant::now();
    let (found0, files0, bytes0) = counters.snapshot();
    let mut bar: Option<indicatif::ProgressBar> = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(BAR_TICK) {
        let elapsed = start.elapsed();
        if elapsed < BAR_DELAY {
            continue;
        }
        let (found, files, bytes) = counters.snapshot();
        let bytes = bytes.saturating_sub(bytes0);
        let pb = bar.get_or_insert_with(new_bar);
        pb.set_length(found.saturating_sub(found0));
        pb.set_position(files.saturating_sub(files0));
        // The spinner shows life while one large file keeps the count still.
        pb.tick();
        let rate = bytes as f64 / elapsed.as_secs_f64();
        pb.set_message(format!(
            "{} at {}/s",
            indicatif::HumanBytes(bytes),
            indicatif::HumanBytes(rate as u64)
        ));
    }
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
}

fn new_bar() -> indicatif::ProgressBar {
    let pb =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} hashing {pos}/{len} files, {msg} [{elapsed}] {wide_bar}",
    ) {
        pb.set_style(style);
    }
    pb
}

impl Progress for Meter {
    fn started(&self) {
        if !self.draw {
            return;
        }
        let Ok(mut slot) = self.ticker.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let (stop, rx) = mpsc::channel();
        let counters = Arc::clone(&self.counters);
        let spawned = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || draw_pass(&counters, &rx));
        match spawned {
            Ok(thread) => *slot = Some(Ticker { stop, thread }),
            Err(e) => tracing::debug!(error = %e, "cannot start the progress bar"),
        }
    }

    fn finished(&self) {
        let ticker = self.ticker.lock().ok().and_then(|mut slot| slot.take());
        if let Some(Ticker { stop, thread }) = ticker {
            drop(stop);
            let _ = thread.join();
        }
    }

    fn add_found(&self, n: u64) {
        self.counters.found.fetch_add(n, Ordering::Relaxed);
    }

    fn add_files(&self, n: u64) {
        self.counters.files.fetch_add(n, Ordering::Relaxed);
    }

    fn add_bytes(&self, n: u64) {
        self.counters.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// The `--format json` summary of a recording command.
pub(crate) fn summary(
    step: &str,
    link: &Link,
    path: &Path,
    form: LinkForm,
    meter: &Meter,
    started: Instant,
) -> Value {
    json!({
        "step": step,
        "link": path,
        "form": form.describe(),
        "materials": link.materials.len(),
        "products": link.products.len(),
        "files": meter.files(),
        "bytes": meter.bytes(),
        "seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "return_value": link.return_value(),
    })
}
