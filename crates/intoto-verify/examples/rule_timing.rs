//! Times the rule engine on 100,000 artifacts; not a test, no assertions.
//!
//! ```text
//! cargo run --release -p intoto-verify --example rule_timing
//! ```
//!
//! Measured on the 2-core development machine while other builds ran (load
//! about 3), best of three, 100,000 artifacts:
//!
//! ```text
//!  8 ms  ALLOW *
//! 27 ms  MATCH * WITH PRODUCTS FROM checkout, DISALLOW *
//! 27 ms  MATCH * IN src WITH PRODUCTS IN src FROM checkout, DISALLOW *
//! 61 ms  CREATE target/*.o, MODIFY *.rs, MATCH * WITH MATERIALS FROM build, DISALLOW *
//! 10 ms  ALLOW src/d[0-4]*/*[13579].rs (regex), ALLOW *
//!  7 ms  1,000 literal ALLOWs, ALLOW *
//! 47 ms  DISALLOW * failing on all 100,000 (violation with near misses)
//! ```
//!
//! The reference (in-toto 3.1.0) takes 38 ms and 98 ms for the first two on
//! the same machine. Most of the MATCH time is comparing digest sets, each
//! its own `BTreeMap` allocation.

// An example that measures and prints: it reads the clock and writes to
// stdout, which the library itself never does.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_macros,
    clippy::print_stdout
)]

use std::collections::BTreeMap;
use std::time::Instant;

use intoto_model::{ArtifactRule, ArtifactType, DigestSet, Link};
use intoto_verify::verify_item_rules;

const ARTIFACTS: usize = 100_000;

fn digest(i: usize) -> DigestSet {
    DigestSet::from_iter([("sha256".to_owned(), format!("{i:064x}"))])
}

fn rules(list: &[&[&str]]) -> Vec<ArtifactRule> {
    list.iter()
        .filter_map(|words| ArtifactRule::parse(words).ok())
        .collect()
}

fn main() {
    // `checkout` produced src/<dir>/<file>; `build` consumed them as
    // materials and produced objects, with a few files changed.
    let mut checkout = Link::new("checkout");
    let mut build = Link::new("build");
    for i in 0..ARTIFACTS {
        let name = format!("src/d{:03}/file{i:06}.rs", i % 997);
        checkout.products.insert(name.clone(), digest(i));
        build.materials.insert(name.clone(), digest(i));
        let changed = if i % 10 == 0 {
            digest(i + 1)
        } else {
            digest(i)
        };
        build.products.insert(name, changed);
        if i % 2 == 0 {
            build
                .products
                .insert(format!("target/obj{i:06}.o"), digest(i));
        }
    }
    let links = BTreeMap::from([
        ("checkout".to_owned(), checkout),
        ("build".to_owned(), build.clone()),
    ]);
    let literal_allows: Vec<String> = (0..1_000)
        .map(|i| format!("src/d{:03}/file{i:06}.rs", i % 997))
        .collect();
    let mut many_literals: Vec<Vec<&str>> = literal_allows
        .iter()
        .map(|n| vec!["ALLOW", n.as_str()])
        .collect();
    many_literals.push(vec!["ALLOW", "*"]);
    let many_literals: Vec<&[&str]> = many_literals.iter().map(Vec::as_slice).collect();

    let cases: Vec<(&str, ArtifactType, Vec<ArtifactRule>)> = vec![
        (
            "ALLOW *",
            ArtifactType::Materials,
            rules(&[&["ALLOW", "*"]]),
        ),
        (
            "MATCH * WITH PRODUCTS FROM checkout, DISALLOW *",
            ArtifactType::Materials,
            rules(&[
                &["MATCH", "*", "WITH", "PRODUCTS", "FROM", "checkout"],
                &["DISALLOW", "*"],
            ]),
        ),
        (
            "MATCH * IN src WITH PRODUCTS IN src FROM checkout, DISALLOW *",
            ArtifactType::Materials,
            rules(&[
                &[
                    "MATCH", "*", "IN", "src", "WITH", "PRODUCTS", "IN", "src", "FROM", "checkout",
                ],
                &["DISALLOW", "*"],
            ]),
        ),
        (
            "CREATE target/*.o, MODIFY *.rs, MATCH * WITH MATERIALS FROM build, DISALLOW *",
            ArtifactType::Products,
            rules(&[
                &["CREATE", "target/*.o"],
                &["MODIFY", "*.rs"],
                &["MATCH", "*", "WITH", "MATERIALS", "FROM", "build"],
                &["DISALLOW", "*"],
            ]),
        ),
        (
            "ALLOW src/d[0-4]*/*[13579].rs (regex), ALLOW *",
            ArtifactType::Materials,
            rules(&[&["ALLOW", "src/d[0-4]*/*[13579].rs"], &["ALLOW", "*"]]),
        ),
        (
            "1,000 literal ALLOWs, ALLOW *",
            ArtifactType::Materials,
            rules(&many_literals),
        ),
        (
            "DISALLOW * failing on all 100,000 (violation with near misses)",
            ArtifactType::Materials,
            rules(&[
                &["MATCH", "*.md", "WITH", "PRODUCTS", "FROM", "checkout"],
                &["DISALLOW", "*"],
            ]),
        ),
    ];

    println!("{ARTIFACTS} artifacts per list");
    for (label, artifact_type, list) in &cases {
        // Best of three.
        let mut best = f64::INFINITY;
        let mut verdict = String::new();
        for _ in 0..3 {
            let start = Instant::now();
            let result = verify_item_rules("build", list, *artifact_type, &build, &links);
            best = best.min(start.elapsed().as_secs_f64() * 1000.0);
            verdict = match result {
                Ok(trace) => format!("pass, {} left", trace.remaining.len()),
                Err(v) => format!("{} at rule {}", v.code(), v.rule_index),
            };
        }
        println!("{best:8.2} ms  {label}  [{verdict}]");
    }
}
