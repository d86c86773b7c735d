//! Opening the files we read as data (metadata, keys, artifacts): regular
//! files only, opened without blocking, and of bounded size.
//!
//! A plain `open` of a FIFO blocks until a writer comes, and a symlink to
//! `/dev/zero` reads forever; checking the path first (`stat`) leaves a race
//! in which the file is swapped. So the file is opened with `O_NONBLOCK`
//! (which does nothing to regular files) and the *open descriptor* is
//! checked with `fstat`.

use std::fs::{File, Metadata};
use std::io::{self, Read as _};
use std::path::Path;

/// Opens `path` for reading if it is a regular file (symlinks to regular
/// files are followed), without blocking on anything else.
///
/// # Errors
///
/// The open error, or [`io::ErrorKind::InvalidInput`] naming what the file
/// is when it is not a regular file.
pub fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        options.custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(describe(&meta)));
    }
    Ok((file, meta))
}

/// A regular file opened to be hashed, read straight through the system
/// calls (no C library wrappers): recording opens, checks and reads each
/// of a tree's files, so the cost of each call counts.
#[cfg(unix)]
pub(crate) struct Artifact(std::os::fd::OwnedFd);

#[cfg(unix)]
impl std::io::Read for Artifact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(&self.0, buf)?)
    }
}

/// Opens `path` as [`open_regular`] does (regular files only, without
/// blocking), for hashing; with its size from `fstat` on the descriptor.
///
/// # Errors
///
/// As [`open_regular`].
#[cfg(unix)]
pub(crate) fn open_artifact(path: &Path) -> io::Result<(Artifact, u64)> {
    use rustix::fs::{FileType, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    let stat = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok((Artifact(fd), u64::try_from(stat.st_size).unwrap_or(0))),
        other => Err(not_regular(describe_type(other))),
    }
}

/// Opens `path` as [`open_regular`] does, with its size.
///
/// # Errors
///
/// As [`open_regular`].
#[cfg(not(unix))]
pub(crate) fn open_artifact(path: &Path) -> io::Result<(File, u64)> {
    open_regular(path).map(|(file, meta)| (file, meta.len()))
}

fn not_regular(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file (it is {what})"),
    )
}

/// What a file that is not a regular file is, in words.
#[cfg(unix)]
fn describe(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::MetadataExt as _;
    describe_type(rustix::fs::FileType::from_raw_mode(meta.mode()))
}

/// What a file that is not a regular file is, in words.
#[cfg(not(unix))]
fn describe(meta: &Metadata) -> &'static str {
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// What a file of type `t` that is not a regular file is, in words.
#[cfg(unix)]
fn describe_type(t: rustix::fs::FileType) -> &'static str {
    use rustix::fs::FileType;
    match t {
        FileType::Directory => "a folder",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice | FileType::BlockDevice => "a device",
        _ => "not a regular file",
    }
}

/// Reads the whole regular file at `path`, refusing one larger than
/// `limit` bytes (also one that grows past it while being read).
///
/// # Errors
///
/// As [`open_regular`], read errors, or [`io::ErrorKind::FileTooLarge`].
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular(path)?;
    let too_large = |size: u64| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "{} is over the limit of {} for this kind of file",
                human(size),
                human(limit)
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// A size in bytes, KiB, MiB or GiB.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024 && value.is_multiple_of(1024) && unit + 1 < UNITS.len() {
        value /= 1024;
        unit += 1;
    }
    if unit == 0 && bytes >= 1024 {
        return format!("{bytes} bytes ({} MiB)", bytes >> 20);
    }
    format!("{value} {}", UNITS[unit])
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn fifos_and_devices_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.link");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let zero = dir.path().join("zero.link");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let started = Instant::now();
        for (path, what) in [(&fifo, "a FIFO"), (&zero, "a device")] {
            let err = read_bounded(path, 1 << 20).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(what), "{err}");
        }
        let err = read_bounded(dir.path(), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("a folder"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn sizes_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 2048]).unwrap();
        assert_eq!(read_bounded(&path, 2048).unwrap().len(), 2048);
        let err = read_bounded(&path, 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            err.to_string(),
            "2 KiB is over the limit of 1 KiB for this kind of file"
        );
    }
}
