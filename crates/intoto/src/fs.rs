//! Reading and writing metadata and keys, with the path in every error, and
//! writes that never leave a half-written file behind.

use std::fs;
use std::path::{Path, PathBuf};

use intoto_crypto::{KeyError, KeyIdForm, PrivateKey, PublicKey};
use intoto_model::{DigestAlgorithm, DigestSet, Metadata, ModelError};

/// A file that could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Reading failed.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid metadata.
    #[error("{}: invalid metadata", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ModelError,
    },
    /// The file is not a usable key.
    #[error("{}: invalid key", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: KeyError,
    },
    /// Writing failed; the destination is unchanged.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The largest metadata file read (links of a million artifacts are about
/// 200 MB): anything larger is refused before it is read.
pub const MAX_METADATA_BYTES: u64 = 1 << 30;

/// The largest key file read.
pub const MAX_KEY_BYTES: u64 = 1 << 20;

/// Reads metadata (legacy or DSSE) from a file.
///
/// # Errors
///
/// [`FileError::Read`] or [`FileError::Metadata`], naming the file.
pub fn read_metadata(path: &Path) -> Result<Metadata, FileError> {
    let bytes = read(path, MAX_METADATA_BYTES)?;
    Metadata::from_slice(&bytes).map_err(|source| FileError::Metadata {
        path: path.to_owned(),
        source,
    })
}

/// Writes metadata as the reference lays it out (legacy indented by one
/// space, DSSE on one line), atomically.
///
/// # Errors
///
/// [`FileError::Write`]; the destination is then unchanged.
pub fn write_metadata(path: &Path, md: &Metadata) -> Result<(), FileError> {
    write_atomic(path, md.to_file_string().as_bytes())
}

/// Writes `bytes` to `path` through a temporary file in the same folder that
/// is synced and renamed into place, so readers see the old file or the new
/// one, never a part.
///
/// # Errors
///
/// [`FileError::Write`]; the destination is then unchanged.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    // Metadata is public: readable by all, like a file created under the
    // usual umask, unless the file it replaces had other permissions.
    write_with_mode(path, bytes, 0o644)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FileError> {
    let file = PendingFile::create(path)?;
    file.write_at(0, bytes)?;
    file.commit_with_mode(mode)
}

/// A file being written in place of `path`: a temporary file in the same
/// folder, written at any offsets, then synced and renamed into place by
/// [`PendingFile::commit`]. Dropped without a commit, it leaves nothing
/// behind and `path` untouched.
///
/// Writing at offsets lets a file whose head is only known last (a link's
/// signature) be laid out while the head is still being computed.
#[derive(Debug)]
pub struct PendingFile {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl PendingFile {
    /// Starts a file that will replace `path`.
    ///
    /// # Errors
    ///
    /// [`FileError::Write`] if the temporary file cannot be created.
    pub fn create(path: &Path) -> Result<Self, FileError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".intoto-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|source| FileError::Write {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
        })
    }

    fn err(&self, source: std::io::Error) -> FileError {
        FileError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes `bytes` at `offset`.
    ///
    /// # Errors
    ///
    /// [`FileError::Write`] naming the destination.
    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<(), FileError> {
        write_all_at(self.tmp.as_file(), bytes, offset).map_err(|e| self.err(e))
    }

    /// Flushes what has been written so far to the disk, so that the final
    /// sync in [`PendingFile::commit`] has little left to do.
    ///
    /// # Errors
    ///
    /// [`FileError::Write`] naming the destination.
    pub fn flush_data(&self) -> Result<(), FileError> {
        self.tmp.as_file().sync_data().map_err(|e| self.err(e))
    }

    /// Syncs the file and renames it into place, readable by all (or with
    /// the permissions of the file it replaces).
    ///
    /// # Errors
    ///
    /// [`FileError::Write`]; the destination is then unchanged.
    pub fn commit(self) -> Result<(), FileError> {
        self.commit_with_mode(0o644)
    }

    fn commit_with_mode(self, mode: u32) -> Result<(), FileError> {
        set_mode(self.tmp.as_file(), &self.path, mode).map_err(|e| self.err(e))?;
        self.tmp.as_file().sync_all().map_err(|e| self.err(e))?;
        let Self { path, tmp } = self;
        tmp.persist(&path).map_err(|e| FileError::Write {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn write_all_at(mut file: &fs::File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek as _, SeekFrom, Write as _};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

/// Writes a private key file readable only by its owner, atomically.
///
/// # Errors
///
/// [`FileError::Write`]; the destination is then unchanged.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_with_mode(path, bytes, 0o600)
}

/// Sets the new file's permissions: `mode`, or for public files the
/// permission bits of the regular file it replaces, never with setuid,
/// setgid, sticky or world-writable bits (the rename replaces a symlink at
/// `dest`, so a symlink's target is not looked at).
#[cfg(unix)]
fn set_mode(file: &fs::File, dest: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = match fs::symlink_metadata(dest) {
        Ok(existing) if mode != 0o600 && existing.is_file() => {
            existing.permissions().mode() & 0o775
        }
        _ => mode,
    };
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _dest: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Reads a private key file (PEM or securesystemslib JSON).
///
/// # Errors
///
/// [`FileError::Read`] or [`FileError::Key`] (for example
/// [`KeyError::PasswordRequired`]), naming the file.
pub fn read_private_key(
    path: &Path,
    password: Option<&[u8]>,
    form: KeyIdForm,
) -> Result<PrivateKey, FileError> {
    let bytes = read(path, MAX_KEY_BYTES)?;
    PrivateKey::from_file_contents(&bytes, password, form).map_err(|source| FileError::Key {
        path: path.to_owned(),
        source,
    })
}

/// Reads a public key file (PEM or securesystemslib JSON).
///
/// # Errors
///
/// [`FileError::Read`] or [`FileError::Key`], naming the file.
pub fn read_public_key(path: &Path, form: KeyIdForm) -> Result<PublicKey, FileError> {
    let bytes = read(path, MAX_KEY_BYTES)?;
    PublicKey::from_file_contents(&bytes, form).map_err(|source| FileError::Key {
        path: path.to_owned(),
        source,
    })
}

/// The sha256 and sha512 of the regular file at `path`, streamed.
///
/// # Errors
///
/// [`FileError::Read`] naming the file.
pub fn hash_file(path: &Path) -> Result<DigestSet, FileError> {
    let read_error = |source| FileError::Read {
        path: path.to_owned(),
        source,
    };
    if !path.is_file() {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let name = path.display().to_string();
    let found = intoto_record::RecordOptions::new()
        .algorithms([DigestAlgorithm::Sha256, DigestAlgorithm::Sha512])
        .record(&[name.as_str()])
        .map_err(|e| read_error(std::io::Error::other(e.to_string())))?;
    found
        .into_values()
        .next()
        .ok_or_else(|| read_error(std::io::Error::other("nothing was hashed")))
}

/// Reads the regular file at `path`, of at most `limit` bytes, without
/// blocking on FIFOs or reading devices (see [`intoto_record::file`]).
///
/// # Errors
///
/// [`FileError::Read`] naming the file.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    intoto_record::file::read_bounded(path, limit).map_err(|source| FileError::Read {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.link");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn metadata_is_world_readable_and_private_keys_are_not() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let public = dir.path().join("a.link");
        let private = dir.path().join("key");
        write_atomic(&public, b"x").unwrap();
        write_private(&private, b"x").unwrap();
        assert_eq!(
            fs::metadata(&public).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(
            fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[cfg(unix)]
    #[test]
    fn replacing_a_file_never_copies_setuid_or_world_writable_bits() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777;
        // A file with dangerous bits is replaced by one without them.
        let path = dir.path().join("x.link");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o6777)).unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(mode(&path), 0o775);
        // A symlink at the destination is replaced; its target's bits are
        // not copied, and the target is left alone.
        let target = dir.path().join("target");
        fs::write(&target, b"t").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o4755)).unwrap();
        let link = dir.path().join("y.link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(mode(&link), 0o644);
        assert_eq!(fs::read(&target).unwrap(), b"t");
        // An owner's restrictive mode is kept.
        let private = dir.path().join("z.link");
        fs::write(&private, b"old").unwrap();
        fs::set_permissions(&private, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&private, b"new").unwrap();
        assert_eq!(mode(&private), 0o640);
    }

    #[test]
    fn a_pending_file_is_laid_out_at_offsets_and_vanishes_unless_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.link");
        let file = PendingFile::create(&path).unwrap();
        file.write_at(3, b"tail").unwrap();
        file.flush_data().unwrap();
        file.write_at(0, b"hd:").unwrap();
        file.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"hd:tail");
        let abandoned = PendingFile::create(&dir.path().join("y.link")).unwrap();
        abandoned.write_at(0, b"half").unwrap();
        drop(abandoned);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_to_a_missing_folder_names_the_file() {
        let err = write_atomic(Path::new("/nonexistent/dir/x.link"), b"x").unwrap_err();
        assert_eq!(err.to_string(), "cannot write /nonexistent/dir/x.link");
    }
}
