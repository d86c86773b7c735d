//! Copying a target file while checking its bytes, for the publisher
//! (into the targets folder) and the client (into `--download-to`): the
//! bytes written are the bytes hashed, and the copy appears under its
//! name only when they match the targets entry.

use std::path::Path;

use sha2::Digest as _;

use crate::TufError;

/// Copies `from` to `to` through a pending file, hashing what it copies
/// (reading stops once past `length` bytes). The copy is committed only
/// when exactly `length` bytes with SHA-256 `sha256` were copied:
/// `Ok(false)` when they differ, with nothing written.
///
/// # Errors
///
/// [`TufError::Io`] when a file cannot be read or written.
pub(crate) fn copy_checked(
    from: &Path,
    to: &Path,
    length: u64,
    sha256: &[u8],
) -> Result<bool, TufError> {
    let pending = intoto::fs::PendingFile::create(to).map_err(|e| TufError::io(to, e))?;
    let mut source = std::fs::File::open(from).map_err(|e| TufError::io(from, e))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let n = std::io::Read::read(&mut source, &mut buffer).map_err(|e| TufError::io(from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        pending
            .write_at(offset, &buffer[..n])
            .map_err(|e| TufError::io(to, e))?;
        offset += n as u64;
        if offset > length {
            break;
        }
    }
    if offset != length || hasher.finalize().as_slice() != sha256 {
        return Ok(false);
    }
    pending.commit().map_err(|e| TufError::io(to, e))?;
    Ok(true)
}
