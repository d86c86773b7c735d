//! The speed floor for recording: the least work that hashes a tree, to
//! compare `intoto run` with. One thread walks the tree (walkdir), a rayon
//! pool reads every regular file through a per-thread buffer and hashes it
//! with SHA-256 (sha2), and the (path, digest) pairs are collected. No
//! excludes, no names, no link, no signature.
//!
//! ```text
//! cargo run --release -p intoto-record --example floor -- <folder>...
//! ```

use std::fs::File;
use std::io::Read as _;
use std::path::PathBuf;

use rayon::iter::{ParallelBridge as _, ParallelIterator as _};
use sha2::{Digest as _, Sha256};
use walkdir::WalkDir;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let roots: Vec<String> = std::env::args().skip(1).collect();
    let hashed: Vec<(PathBuf, u64, [u8; 32])> = roots
        .iter()
        .flat_map(WalkDir::new)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .par_bridge()
        .map_init(
            || vec![0u8; 256 * 1024],
            |buf, entry| -> std::io::Result<(PathBuf, u64, [u8; 32])> {
                let mut file = File::open(entry.path())?;
                let mut hasher = Sha256::new();
                let mut size = 0;
                loop {
                    let n = file.read(buf)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                    size += n as u64;
                }
                Ok((entry.into_path(), size, hasher.finalize().into()))
            },
        )
        .collect::<Result<_, _>>()?;
    let bytes: u64 = hashed.iter().map(|(_, size, _)| size).sum();
    #[allow(clippy::print_stdout)] // An example's output is its point.
    {
        println!("files {} bytes {bytes}", hashed.len());
    }
    Ok(())
}
