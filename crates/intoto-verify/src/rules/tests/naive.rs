//! The rule engine against a direct port of the reference's loop (full
//! scans everywhere), on examples and on generated rule lists.

use super::*;

// A direct port of the reference's loop, with full scans everywhere, to
// check the engine's lookups and prefix scans against.
fn naive(
    item: &Link,
    t: ArtifactType,
    rules: &[ArtifactRule],
    links: &BTreeMap<String, Link>,
) -> Result<Vec<BTreeSet<String>>, (usize, &'static str)> {
    let source = match t {
        Materials => &item.materials,
        Products => &item.products,
    };
    let mut queue: BTreeSet<String> = source.keys().cloned().collect();
    let mut queues = Vec::new();
    let join = |a: &str, b: &str| -> String {
        let joined = if b.starts_with('/') {
            b.to_owned()
        } else if a.is_empty() || a.ends_with('/') {
            format!("{a}{b}")
        } else {
            format!("{a}/{b}")
        };
        joined.replace('\\', "/")
    };
    for (i, rule) in rules.iter().enumerate() {
        let pattern = ArtifactPattern::new(rule.pattern());
        let filtered: BTreeSet<String> = queue
            .iter()
            .filter(|n| pattern.matches(n))
            .cloned()
            .collect();
        let (mats, prods) = (&item.materials, &item.products);
        let consumed: BTreeSet<String> = match rule {
            ArtifactRule::Match(m) => {
                let mut consumed = BTreeSet::new();
                if let Some(dest_link) = links.get(&m.dest_step) {
                    let dest = match m.dest_type {
                        Materials => &dest_link.materials,
                        Products => &dest_link.products,
                    };
                    let paths: Vec<String> = if m.source_prefix.is_empty() {
                        queue.iter().cloned().collect()
                    } else {
                        let norm = join(&m.source_prefix, "");
                        queue
                            .iter()
                            .filter_map(|n| n.strip_prefix(norm.as_str()).map(str::to_owned))
                            .collect()
                    };
                    for path in paths.iter().filter(|p| pattern.matches(p)) {
                        let full_source = if m.source_prefix.is_empty() {
                            path.clone()
                        } else {
                            join(&m.source_prefix, path)
                        };
                        let full_dest = if m.dest_prefix.is_empty() {
                            path.clone()
                        } else {
                            join(&m.dest_prefix, path)
                        };
                        let Some(src) = source.get(&full_source) else {
                            return Err((i, "rule-match-source-unresolved"));
                        };
                        if dest.get(&full_dest) == Some(src) {
                            consumed.insert(full_source);
                        }
                    }
                }
                consumed
            }
            ArtifactRule::Create(_) => filtered
                .into_iter()
                .filter(|n| prods.contains_key(n) && !mats.contains_key(n))
                .collect(),
            ArtifactRule::Delete(_) => filtered
                .into_iter()
                .filter(|n| mats.contains_key(n) && !prods.contains_key(n))
                .collect(),
            ArtifactRule::Modify(_) => filtered
                .into_iter()
                .filter(|n| matches!((mats.get(n), prods.get(n)), (Some(a), Some(b)) if a != b))
                .collect(),
            ArtifactRule::Allow(_) => filtered,
            ArtifactRule::Disallow(_) => {
                if !filtered.is_empty() {
                    return Err((i, "rule-disallow-matched"));
                }
                BTreeSet::new()
            }
            ArtifactRule::Require(name) => {
                if !queue.contains(name) {
                    return Err((i, "rule-require-missing"));
                }
                BTreeSet::new()
            }
        };
        queue.retain(|n| !consumed.contains(n));
        queues.push(queue.clone());
    }
    Ok(queues)
}

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("ab".to_owned()),
        Just("src/a.py".to_owned()),
        Just("src/b".to_owned()),
        Just("lib//z".to_owned()),
        Just("/z".to_owned()),
        Just("lib/a\\b".to_owned()),
        Just("lib/a/b".to_owned()),
        Just("dst/a.py".to_owned()),
        Just("[x]".to_owned()),
        Just("src".to_owned()),
        "[a-c/\\\\.]{0,4}",
    ]
}

fn pattern_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        Just("src/*".to_owned()),
        Just("*.py".to_owned()),
        Just("a".to_owned()),
        Just("src/a.py".to_owned()),
        Just("a*b".to_owned()),
        Just("[!a]*".to_owned()),
        "[a-c/*?\\[\\]!.]{0,4}",
    ]
}

fn rule_strategy() -> impl Strategy<Value = Vec<String>> {
    let prefix = prop_oneof![
        Just(String::new()),
        Just("src".to_owned()),
        Just("lib/".to_owned()),
        Just("lib".to_owned()),
        Just("dst".to_owned()),
        "[a-c/\\\\]{1,3}"
    ];
    let step = prop_oneof![
        Just("item".to_owned()),
        Just("other".to_owned()),
        Just("none".to_owned())
    ];
    let kind = prop_oneof![
        Just("CREATE"),
        Just("DELETE"),
        Just("MODIFY"),
        Just("ALLOW"),
        Just("DISALLOW"),
        Just("REQUIRE")
    ];
    prop_oneof![
        (kind, pattern_strategy()).prop_map(|(k, p)| vec![k.to_owned(), p]),
        (
            pattern_strategy(),
            prefix.clone(),
            any::<bool>(),
            prefix,
            step
        )
            .prop_map(|(p, s, mats, d, from)| {
                let mut w = vec!["MATCH".to_owned(), p];
                if !s.is_empty() {
                    w.extend(["IN".to_owned(), s]);
                }
                w.extend([
                    "WITH".to_owned(),
                    if mats { "MATERIALS" } else { "PRODUCTS" }.to_owned(),
                ]);
                if !d.is_empty() {
                    w.extend(["IN".to_owned(), d]);
                }
                w.extend(["FROM".to_owned(), from]);
                w
            }),
    ]
}

fn artifacts_strategy() -> impl Strategy<Value = BTreeMap<String, DigestSet>> {
    prop::collection::btree_map(
        name_strategy(),
        prop_oneof![Just("aa"), Just("bb")].prop_map(digest),
        0..7,
    )
}

/// Runs the engine and the naive port on the same input and compares the
/// queue after every rule, or the failing rule and code.
fn agree_with_naive(
    im: BTreeMap<String, DigestSet>,
    ip: BTreeMap<String, DigestSet>,
    om: BTreeMap<String, DigestSet>,
    op: BTreeMap<String, DigestSet>,
    words: &[Vec<String>],
    products: bool,
) -> Result<(), TestCaseError> {
    let mut item = Link::new("item");
    item.materials = im;
    item.products = ip;
    let mut other = Link::new("other");
    other.materials = om;
    other.products = op;
    let all = links(&[&item, &other]);
    let rules: Vec<ArtifactRule> = words
        .iter()
        .map(|w| ArtifactRule::parse(w).unwrap())
        .collect();
    let t = if products { Products } else { Materials };
    let got = verify_item_rules("item", &rules, t, &item, &all);
    match (naive(&item, t, &rules, &all), got) {
        (Ok(queues), Ok(trace)) => {
            let initial: BTreeSet<String> = match t {
                Materials => &item.materials,
                Products => &item.products,
            }
            .keys()
            .cloned()
            .collect();
            let mut queue = initial;
            for (step, want) in trace.steps.iter().zip(&queues) {
                for c in &step.consumed {
                    prop_assert!(queue.remove(c), "consumed {c:?} twice or never queued");
                }
                prop_assert_eq!(&queue, want);
            }
            prop_assert_eq!(trace.remaining, queue.into_iter().collect::<Vec<_>>());
        }
        (Err((i, code)), Err(v)) => {
            prop_assert_eq!(v.rule_index, i);
            prop_assert_eq!(v.code(), code);
            let _ = v.to_string();
        }
        (want, got) => prop_assert!(false, "naive {want:?}, engine {got:?}"),
    }
    Ok(())
}

/// Large lists of similar names, so that lookups use sorted vectors.
fn large_artifacts_strategy() -> impl Strategy<Value = BTreeMap<String, DigestSet>> {
    let name = prop_oneof![
        "[ab]{1,2}/[a-c]{0,3}(\\.py)?",
        "(src|lib|dst)/[ab]{1,2}/[a-c]{0,2}",
        "/?[a-c]{1,3}",
        // A backslash sorts after `/` but becomes `/` under a destination
        // prefix, so destination lookups come out of order.
        "[ab]{1,2}[/\\\\][a-c]{0,2}",
    ];
    prop::collection::btree_map(
        name,
        prop_oneof![Just("aa"), Just("bb")].prop_map(digest),
        0..160,
    )
}

proptest! {
    #[test]
    fn engine_agrees_with_a_naive_port(
        im in artifacts_strategy(), ip in artifacts_strategy(),
        om in artifacts_strategy(), op in artifacts_strategy(),
        words in prop::collection::vec(rule_strategy(), 0..6),
        products in any::<bool>(),
    ) {
        agree_with_naive(im, ip, om, op, &words, products)?;
    }

    #[test]
    fn engine_agrees_with_a_naive_port_on_large_lists(
        im in large_artifacts_strategy(), ip in large_artifacts_strategy(),
        om in large_artifacts_strategy(), op in large_artifacts_strategy(),
        words in prop::collection::vec(rule_strategy(), 0..6),
        products in any::<bool>(),
    ) {
        agree_with_naive(im, ip, om, op, &words, products)?;
    }

    #[test]
    fn engine_never_panics(
        names in prop::collection::btree_map(any::<String>(), Just(digest("aa")), 0..5),
        words in prop::collection::vec(prop::collection::vec(any::<String>(), 2..3), 0..4),
        prefix in any::<String>(),
        pattern in any::<String>(),
    ) {
        let mut item = Link::new("item");
        item.materials = names.clone();
        item.products = names;
        let all = links(&[&item]);
        let mut rules: Vec<ArtifactRule> = words.iter().filter_map(|w| {
            let mut w = w.clone();
            w[0] = ["ALLOW", "CREATE", "MODIFY", "DELETE"][w[1].len() % 4].to_owned();
            ArtifactRule::parse(&w).ok()
        }).collect();
        rules.extend(ArtifactRule::parse(&["MATCH", &pattern, "IN", &prefix, "WITH", "PRODUCTS", "IN", &prefix, "FROM", "item"]));
        rules.extend(ArtifactRule::parse(&["DISALLOW", &pattern]));
        if let Err(v) = verify_item_rules("item", &rules, Materials, &item, &all) {
            let _ = v.to_string();
            let _ = v.trace.to_string();
        }
    }
}
