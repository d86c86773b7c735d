//! Progress reporting hooks, so a front end can draw a progress bar while
//! artifacts are hashed. The library itself never prints.

/// Receives progress while artifacts are recorded.
///
/// Methods are called from several hashing threads at once, so implement
/// them with atomics or other cheap synchronisation. All methods default to
/// doing nothing.
pub trait Progress: Send + Sync {
    /// A recording pass begins: one [`record_artifacts`](crate::record_artifacts)
    /// call, such as a step's materials or its products. A front end can show
    /// its progress bar from here until [`finished`](Self::finished), and keep
    /// the terminal free while the step's command runs.
    fn started(&self) {}

    /// The pass announced by [`started`](Self::started) is over, whether it
    /// succeeded or failed.
    fn finished(&self) {}

    /// The walk found `n` more files to hash (a few may still turn out to be
    /// excluded by a pattern or to be symlinks to folders).
    fn add_found(&self, n: u64) {
        let _ = n;
    }

    /// `n` more files were completely hashed.
    fn add_files(&self, n: u64) {
        let _ = n;
    }

    /// `n` more bytes were read and hashed (called once per chunk read).
    fn add_bytes(&self, n: u64) {
        let _ = n;
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A [`Progress`] that counts, for tests and simple summaries.
#[derive(Debug, Default)]
pub struct Counter {
    /// Files found.
    pub found: std::sync::atomic::AtomicU64,
    /// Files hashed.
    pub files: std::sync::atomic::AtomicU64,
    /// Bytes hashed.
    pub bytes: std::sync::atomic::AtomicU64,
}

impl Progress for Counter {
    fn add_found(&self, n: u64) {
        self.found
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn add_files(&self, n: u64) {
        self.files
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn add_bytes(&self, n: u64) {
        self.bytes
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
}
