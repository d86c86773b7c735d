//! Any bytes as a link or layout file on disk, read as the command line and
//! the verifier read them (regular files only, of bounded size), then
//! parsed as metadata: no panic, the bytes read are the bytes written, a
//! limit below the file's size refuses it, and every reading path agrees.

#![no_main]

use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

use intoto::fs::{FileError, MAX_METADATA_BYTES};
use intoto::verify::{DirLinkSource, LinkSource};
use intoto_model::Metadata;

/// One folder for the whole run; each input overwrites the same file.
fn folder() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().to_owned();
        (dir, path)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let dir = folder();
    let file = "build.0123abcd.link";
    let path = dir.join(file);
    std::fs::write(&path, data).expect("the input is written");
    let len = data.len() as u64;

    // The bounded read gives back the bytes, and refuses them under a
    // limit one byte too small.
    let bytes = intoto::fs::read(&path, len).expect("a regular file within its limit reads");
    assert_eq!(bytes, data);
    if let Some(smaller) = len.checked_sub(1) {
        match intoto::fs::read(&path, smaller) {
            Err(FileError::Read {
                path: named,
                source,
            }) => {
                assert_eq!(named, path);
                assert_eq!(source.kind(), ErrorKind::FileTooLarge, "{source}");
            }
            other => panic!("a file over the limit was read: {other:?}"),
        }
    }

    // As the command line reads metadata files.
    let parsed = intoto::fs::read_metadata(&path);
    let direct = Metadata::from_slice(data);
    match (&parsed, &direct) {
        (Ok(a), Ok(b)) => assert_eq!(a.signed_bytes().ok(), b.signed_bytes().ok()),
        (Err(FileError::Metadata { path: named, .. }), Err(_)) => assert_eq!(named, &path),
        _ => panic!("reading the file and parsing its bytes disagree: {parsed:?} / {direct:?}"),
    }
    if let Ok(md) = parsed {
        let _ = md.payload();
        let _ = md.to_file_string();
    }

    // As the verifier reads link files from the link folder.
    let source = DirLinkSource::new(dir);
    let read = source
        .read(&[], file)
        .expect("the link folder's file reads");
    assert_eq!(read.as_deref(), Some(data));
    assert_eq!(source.read(&[], "missing.0123abcd.link").ok(), Some(None));
    if let Err(why) = intoto_verify::internal::link_file_readings_agree(data) {
        panic!("{why}");
    }
    assert!(len <= MAX_METADATA_BYTES);
});
