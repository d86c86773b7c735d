//! The store's speed, for `benches/store.sh`: verified ingest (each upload's
//! signature checked, then stored through the group-committing writer, 64
//! at a time) and lookups by subject digest (p50, p99) once the store holds
//! a given number of attestations.
//!
//! `cargo run --release -p intoto-store --example store_bench -- URL INGEST TOTAL`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::sync::Arc;
use std::time::Instant;

use intoto::crypto::{KeyType, PrivateKey, sign_metadata};
use intoto::model::{DigestSet, EnvelopeKind, Link, Metadata};
use intoto_store::backend::DigestRef;
use intoto_store::{Artifact, Indexed, Query, Trust, UploadFormat, verify_upload};
use sha2::{Digest, Sha256};

fn digest(n: u64, salt: &str) -> String {
    intoto::model::encoding::hex::encode(Sha256::digest(format!("{salt}{n}").as_bytes()))
}

fn signed_link(key: &PrivateKey, n: u64) -> Vec<u8> {
    let mut link = Link::new("build");
    let mut set = DigestSet::new();
    set.insert("sha256", digest(n, "product"));
    link.products.insert(format!("dist/app-{n}.tar"), set);
    let mut md = Metadata::wrap(&link.to_value(), EnvelopeKind::Legacy);
    sign_metadata(&mut md, key).unwrap();
    md.to_file_string().into_bytes()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "sqlite:/tmp/bench.db".into());
    let ingest: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let total: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let store = intoto_store::open(&url).await.unwrap();
    let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
    let mut trust = Trust::new();
    trust.add_key(key.public_key().clone());
    let trust = Arc::new(trust);
    let uploads: Vec<Vec<u8>> = (0..ingest).map(|n| signed_link(&key, n)).collect();

    // Verified ingest: 64 uploaders at a time.
    let start = Instant::now();
    let queue = Arc::new(std::sync::Mutex::new(uploads));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (queue, trust, store) = (queue.clone(), trust.clone(), store.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    break;
                };
                let trust = trust.clone();
                let accepted = tokio::task::spawn_blocking(move || {
                    verify_upload(&body, UploadFormat::Document, &trust, 0).unwrap()
                })
                .await
                .unwrap();
                store.put(accepted).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} ingest: {ingest} verified uploads in {secs:.2} s = {:.0}/s",
        store.backend(),
        ingest as f64 / secs
    );

    // Fill to `total` (index rows as a link with one product; no signature
    // check: the lookup is what is measured), 2,000 a transaction.
    let have = store.count().await.unwrap();
    let mut n = have;
    let fill = Instant::now();
    while n < total {
        let batch: Vec<_> = (n..(n + 2000).min(total))
            .map(|i| {
                let bytes = format!("{{\"filler\":{i}}}").into_bytes();
                intoto_store::Accepted {
                    id: intoto_store::AttestationId::of(&bytes),
                    gitoid: intoto_store::gitoid(&bytes),
                    bytes,
                    indexed: Indexed {
                        kind: "link",
                        envelope: "legacy",
                        payload_type: None,
                        predicate_type: None,
                        step: Some("build".into()),
                        signers: vec![key.public_key().keyid().as_str().to_owned()],
                        subjects: vec![Artifact {
                            algorithm: "sha256".into(),
                            digest: digest(i, "filler"),
                            name: None,
                        }],
                        materials: vec![Artifact {
                            algorithm: "sha256".into(),
                            digest: digest(i, "source"),
                            name: None,
                        }],
                    },
                }
            })
            .collect();
        n += batch.len() as u64;
        store.put(batch).await.unwrap();
    }
    let count = store.count().await.unwrap();
    println!(
        "{} filled to {count} attestations in {:.1} s",
        store.backend(),
        fill.elapsed().as_secs_f64()
    );

    // Lookups by subject digest: 2,000 random ones, one at a time.
    let mut times = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = x % total.max(1);
        let subject = if i < ingest {
            digest(i, "product")
        } else {
            digest(i, "filler")
        };
        let query = Query {
            subject: Some(DigestRef {
                algorithm: "sha256".into(),
                digest: subject,
            }),
            limit: 100,
            ..Query::default()
        };
        let t = Instant::now();
        let page = store.find(&query).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(page.items.len() <= 1 || i < ingest);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{} lookup by subject at {count}: p50 {:.3} ms, p99 {:.3} ms",
        store.backend(),
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}
