//! Streaming file digests: one read of each file feeds every requested
//! algorithm, through a caller-owned buffer, with optional line-ending
//! normalisation exactly as the reference's `_hash_file` does it.

use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Instant;

use intoto_model::DigestSet;
use intoto_model::encoding::hex;
use sha2::Digest;

use crate::error::Error;
use crate::progress::Progress;

/// Size of the read buffer each worker thread reuses: big enough that large
/// files take few system calls, small enough to stay in cache.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// The digest algorithms are the model's ([`DigestAlgorithm`]); this crate
/// computes every one of them, blake3 with the `blake3` feature only.
pub use intoto_model::DigestAlgorithm;

/// Whether this build can compute `algorithm` (blake3 needs the `blake3`
/// feature).
pub fn can_compute(algorithm: DigestAlgorithm) -> bool {
    Hasher::new(algorithm).is_some()
}

/// One running digest.
#[derive(Clone)]
enum Hasher {
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    #[cfg(feature = "blake3")]
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    /// `None` for an algorithm this build cannot compute.
    fn new(algorithm: DigestAlgorithm) -> Option<Self> {
        Some(match algorithm {
            DigestAlgorithm::Sha224 => Self::Sha224(sha2::Sha224::new()),
            DigestAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Sha384 => Self::Sha384(sha2::Sha384::new()),
            DigestAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
            #[cfg(feature = "blake3")]
            DigestAlgorithm::Blake3 => Self::Blake3(Box::new(blake3::Hasher::new())),
            _ => return None,
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha224(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Sha512(h) => h.update(data),
            #[cfg(feature = "blake3")]
            Self::Blake3(h) => {
                h.update(data);
            }
        }
    }

    fn finalize_hex(self) -> String {
        match self {
            Self::Sha224(h) => hex::encode(h.finalize()),
            Self::Sha256(h) => hex::encode(h.finalize()),
            Self::Sha384(h) => hex::encode(h.finalize()),
            Self::Sha512(h) => hex::encode(h.finalize()),
            #[cfg(feature = "blake3")]
            Self::Blake3(h) => hex::encode(h.finalize().as_bytes()),
        }
    }
}

/// Several digests computed over the same bytes. The first algorithm is kept
/// inline, so the usual single digest costs no allocation per file.
/// Algorithms this build cannot compute are left out (recording refuses
/// them before it hashes: [`can_compute`]).
pub(crate) struct MultiHasher {
    first: (DigestAlgorithm, Hasher),
    rest: Vec<(DigestAlgorithm, Hasher)>,
}

impl MultiHasher {
    pub(crate) fn new(algorithms: &[DigestAlgorithm]) -> Self {
        let mut hashers = algorithms
            .iter()
            .filter_map(|&a| Some((a, Hasher::new(a)?)));
        let first = hashers
            .next()
            .unwrap_or_else(|| (DigestAlgorithm::Sha256, Hasher::Sha256(sha2::Sha256::new())));
        Self {
            first,
            rest: hashers.collect(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        self.first.1.update(data);
        for (_, h) in &mut self.rest {
            h.update(data);
        }
    }

    pub(crate) fn finish(self) -> DigestSet {
        let mut set = DigestSet::new();
        set.insert(self.first.0.name(), self.first.1.finalize_hex());
        for (a, h) in self.rest {
            set.insert(a.name(), h.finalize_hex());
        }
        set
    }
}

/// Rewrites CRLF and lone CR to LF across chunk boundaries, which is what
/// the reference's `_hash_file(normalize_line_endings=True)` amounts to
/// (it replaces `\r\n` then `\r`, reading on while a chunk ends in `\r`).
#[derive(Debug, Default)]
pub(crate) struct LineEndings {
    pending_cr: bool,
}

impl LineEndings {
    /// Feeds `data`, writing the normalised bytes to `out` (cleared first).
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let mut rest = data;
        if self.pending_cr {
            self.pending_cr = false;
            match rest.first() {
                None => {
                    self.pending_cr = true;
                    return;
                }
                // CRLF: the LF below stands for both.
                Some(b'\n') => {}
                Some(_) => out.push(b'\n'),
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\r') {
            out.extend_from_slice(&rest[..pos]);
            match rest.get(pos + 1) {
                None => {
                    self.pending_cr = true;
                    return;
                }
                Some(b'\n') => {}
                Some(_) => out.push(b'\n'),
            }
            rest = &rest[pos + 1..];
        }
        out.extend_from_slice(rest);
    }

    /// Flushes a CR left at the very end of the input.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        out.clear();
        if std::mem::take(&mut self.pending_cr) {
            out.push(b'\n');
        }
    }
}

/// Progress is reported in batches of at least this many bytes or files, so
/// that hashing threads do not fight over the counters' cache line for every
/// small file.
const PROGRESS_BYTES: u64 = 1 << 20;
const PROGRESS_FILES: u64 = 64;

/// Reusable per-thread state for hashing files.
pub(crate) struct Scratch {
    buf: Vec<u8>,
    normalized: Vec<u8>,
    pending_bytes: u64,
    pending_files: u64,
    deadline: Option<Instant>,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self {
            buf: vec![0; CHUNK_SIZE],
            normalized: Vec::new(),
            pending_bytes: 0,
            pending_files: 0,
            deadline: None,
        }
    }

    /// Gives up reading once `deadline` has passed.
    pub(crate) fn deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Whether the deadline has passed.
    pub(crate) fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() > d)
    }

    fn add_bytes(&mut self, n: u64, progress: &dyn Progress) {
        self.pending_bytes += n;
        if self.pending_bytes >= PROGRESS_BYTES {
            progress.add_bytes(std::mem::take(&mut self.pending_bytes));
        }
    }

    /// Counts a hashed file.
    pub(crate) fn add_file(&mut self, progress: &dyn Progress) {
        self.pending_files += 1;
        if self.pending_files >= PROGRESS_FILES {
            progress.add_files(std::mem::take(&mut self.pending_files));
        }
    }

    /// Reports what is still pending.
    pub(crate) fn flush(&mut self, progress: &dyn Progress) {
        if self.pending_bytes > 0 {
            progress.add_bytes(std::mem::take(&mut self.pending_bytes));
        }
        if self.pending_files > 0 {
            progress.add_files(std::mem::take(&mut self.pending_files));
        }
    }
}

/// Hashes the file at `path` with every algorithm in `algorithms`.
pub(crate) fn hash_file(
    path: &Path,
    algorithms: &[DigestAlgorithm],
    normalize_line_endings: bool,
    scratch: &mut Scratch,
    progress: &dyn Progress,
) -> Result<DigestSet, Error> {
    let read_err = |source| Error::ReadArtifact {
        path: path.to_owned(),
        source,
    };
    // Regular files only, and without blocking: a file swapped for a FIFO
    // after the walk saw it must not hang the recording.
    let (mut file, size) = crate::file::open_artifact(path).map_err(read_err)?;
    hash_reader(
        &mut file,
        Some(size),
        algorithms,
        normalize_line_endings,
        scratch,
        progress,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::TimedOut => Error::OutOfTime {
            path: path.to_owned(),
        },
        _ => read_err(e),
    })
}

/// Hashes everything `reader` yields.
///
/// `size` is the length of the regular file `reader` reads, from `fstat`
/// on its descriptor: a read that comes back short exactly at that length
/// has met the end of the file, and the read that would return 0 to say so
/// is not made (one system call less per small file). A file that grew
/// since is read on to its end, as without `size`.
pub(crate) fn hash_reader(
    reader: &mut dyn Read,
    size: Option<u64>,
    algorithms: &[DigestAlgorithm],
    normalize_line_endings: bool,
    scratch: &mut Scratch,
    progress: &dyn Progress,
) -> std::io::Result<DigestSet> {
    let mut hasher = MultiHasher::new(algorithms);
    let mut endings = normalize_line_endings.then(LineEndings::default);
    let mut total = 0_u64;
    loop {
        if scratch.out_of_time() {
            return Err(std::io::Error::new(ErrorKind::TimedOut, "out of time"));
        }
        let n = match reader.read(&mut scratch.buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let data = &scratch.buf[..n];
        match endings.as_mut() {
            Some(le) => {
                le.feed(data, &mut scratch.normalized);
                hasher.update(&scratch.normalized);
            }
            None => hasher.update(data),
        }
        scratch.add_bytes(n as u64, progress);
        total += n as u64;
        if n < scratch.buf.len() && size == Some(total) {
            break;
        }
    }
    if let Some(le) = endings.as_mut() {
        le.finish(&mut scratch.normalized);
        hasher.update(&scratch.normalized);
    }
    Ok(hasher.finish())
}

/// Hashes an in-memory byte string with every algorithm in `algorithms`.
pub fn hash_bytes(data: &[u8], algorithms: &[DigestAlgorithm]) -> DigestSet {
    let mut hasher = MultiHasher::new(algorithms);
    hasher.update(data);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn python_normalize(data: &[u8]) -> Vec<u8> {
        // The reference's rule on the whole input: replace CRLF, then CR.
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            if data[i] == b'\r' {
                if data.get(i + 1) == Some(&b'\n') {
                    i += 1;
                    continue;
                }
                out.push(b'\n');
            } else {
                out.push(data[i]);
            }
            i += 1;
        }
        out
    }

    fn normalize_in_chunks(data: &[u8], chunk: usize) -> Vec<u8> {
        let mut le = LineEndings::default();
        let mut all = Vec::new();
        let mut out = Vec::new();
        for part in data.chunks(chunk.max(1)) {
            le.feed(part, &mut out);
            all.extend_from_slice(&out);
        }
        le.finish(&mut out);
        all.extend_from_slice(&out);
        all
    }

    #[test]
    fn line_endings_match_the_reference_at_any_chunking() {
        let inputs: [&[u8]; 6] = [
            b"a\r\nb\rc\n",
            b"\r\r\n\r",
            b"\r",
            b"x\r\r\r\ny",
            b"",
            b"no newline",
        ];
        for input in inputs {
            for chunk in 1..=4 {
                assert_eq!(
                    normalize_in_chunks(input, chunk),
                    python_normalize(input),
                    "{input:?} in chunks of {chunk}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn line_endings_are_chunking_independent(
            data in proptest::collection::vec(proptest::sample::select(vec![b'\r', b'\n', b'a']), 0..64),
            chunk in 1usize..9,
        ) {
            proptest::prop_assert_eq!(normalize_in_chunks(&data, chunk), python_normalize(&data));
        }
    }

    #[cfg(unix)]
    #[test]
    fn hashing_a_fifo_is_an_error_not_a_wait() {
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // On another thread, so that a hang shows as a timeout: a blocking
        // open of a FIFO without a writer never returns.
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let opened = crate::file::open_regular(&path).map(|_| ());
            let hashed = hash_file(
                &path,
                &[DigestAlgorithm::Sha256],
                false,
                &mut Scratch::new(),
                &NoProgress,
            );
            let _ = tx.send((opened, hashed));
        });
        let (opened, hashed) = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("hashing a FIFO is still waiting after 5 s");
        let err = opened.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a FIFO"), "{err}");
        match hashed {
            Err(Error::ReadArtifact { path, source }) => {
                assert_eq!(path, fifo);
                assert_eq!(source.kind(), ErrorKind::InvalidInput);
                assert!(source.to_string().contains("a FIFO"), "{source}");
            }
            other => panic!("expected Error::ReadArtifact, got {other:?}"),
        }
    }

    /// Hands out its bytes `step` at a time, counting the reads.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        reads: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.reads += 1;
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_known_size_saves_the_last_read_and_nothing_else() {
        let data = vec![7_u8; CHUNK_SIZE + 10];
        let want = hash_bytes(&data, &[DigestAlgorithm::Sha256]);
        let hash = |data: &[u8], size: Option<u64>, step: usize| {
            let mut reader = Trickle {
                data,
                step,
                reads: 0,
            };
            let set = hash_reader(
                &mut reader,
                size,
                &[DigestAlgorithm::Sha256],
                false,
                &mut Scratch::new(),
                &NoProgress,
            )
            .unwrap();
            (set, reader.reads)
        };
        let len = data.len() as u64;
        // Two chunks, then the read that says the file has ended.
        assert_eq!(hash(&data, None, usize::MAX), (want.clone(), 3));
        // The second chunk comes back short at the known size: the end.
        assert_eq!(hash(&data, Some(len), usize::MAX), (want.clone(), 2));
        // Short reads before the known size do not end it.
        assert_eq!(hash(&data, Some(len), 1000).0, want);
        // A file that grew since its size was taken is read to its end.
        assert_eq!(hash(&data, Some(10), usize::MAX), (want.clone(), 3));
        // A size that is a whole number of chunks needs the last read.
        let exact = vec![1_u8; CHUNK_SIZE];
        assert_eq!(hash(&exact, Some(CHUNK_SIZE as u64), usize::MAX).1, 2);
    }

    #[test]
    fn known_digests() {
        let mut scratch = Scratch::new();
        let set = hash_reader(
            &mut &b"abc"[..],
            None,
            &[DigestAlgorithm::Sha256, DigestAlgorithm::Sha512],
            false,
            &mut scratch,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(
            set.get("sha256"),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            set.get("sha512").map(|s| &s[..16]),
            Some("ddaf35a193617aba")
        );
        assert_eq!(
            hash_bytes(b"", &[DigestAlgorithm::Sha256]).get("sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }
}
