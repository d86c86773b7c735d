//! Records a directory (or any artifact URIs) and prints how many files and
//! bytes were hashed and how long it took, to measure recording speed.
//!
//! ```text
//! cargo run --release -p intoto-record --example hash_tree -- <path>... [--sha512] [--json]
//! ```

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use intoto_record::{Counter, DigestAlgorithm, RecordOptions, record_artifacts};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut uris = Vec::new();
    let mut algorithms = vec![DigestAlgorithm::Sha256];
    let mut json = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--sha512" => algorithms.push(DigestAlgorithm::Sha512),
            "--json" => json = true,
            _ => uris.push(arg),
        }
    }
    if uris.is_empty() {
        uris.push(".".to_owned());
    }
    let counter = Arc::new(Counter::default());
    let options = RecordOptions::new()
        .algorithms(algorithms)
        .progress(counter.clone());
    let started = Instant::now();
    let artifacts = record_artifacts(&uris, &options)?;
    let seconds = started.elapsed().as_secs_f64();
    let files = counter.files.load(Ordering::Relaxed);
    let bytes = counter.bytes.load(Ordering::Relaxed);
    #[allow(clippy::print_stdout)] // An example's output is its point.
    {
        if json {
            let value: serde_json::Map<String, serde_json::Value> = artifacts
                .iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect();
            println!("{}", serde_json::Value::Object(value));
        }
        println!(
            "files {files} artifacts {} bytes {bytes} seconds {seconds:.3} MiB/s {:.1} files/s {:.0}",
            artifacts.len(),
            bytes as f64 / 1048576.0 / seconds,
            files as f64 / seconds
        );
    }
    Ok(())
}
