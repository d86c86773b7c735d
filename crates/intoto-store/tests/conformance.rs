//! The store's conformance suite: one set of checks (each an async function
//! taking an `Arc<dyn Store>`) run against both backends, SQLite on a
//! temporary file and PostgreSQL on a fresh database per test (the test
//! PostgreSQL `scripts/postgres.sh start` runs: without it these tests
//! fail, they never skip). Beside it, upload verification without a
//! database: unsigned, unknown key, tampered, bad bundles.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use intoto::crypto::{KeyType, PrivateKey, sign_metadata};
use intoto::model::envelope::{decode_base64, encode_base64};
use intoto::model::{EnvelopeKind, Metadata};
use intoto_store::backend::DigestRef;
use intoto_store::{
    Accepted, AttestationId, Query, Role, Store, Trust, UploadError, UploadFormat, gitoid,
    verify_upload,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

const LINK_V0_3: &str = "https://in-toto.io/attestation/link/v0.3";
const TEST_PREDICATE: &str = "https://example.com/test-result/v1";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A hex sha256 of `text`.
fn sha(text: &str) -> String {
    intoto::model::encoding::hex::encode(Sha256::digest(text.as_bytes()))
}

/// Signs documents with one ed25519 key, which its [`Trust`] trusts.
struct Signer {
    key: PrivateKey,
    trust: Trust,
}

impl Signer {
    fn new() -> Self {
        let key = PrivateKey::generate(KeyType::Ed25519, None).unwrap();
        let mut trust = Trust::new();
        trust.add_key(key.public_key().clone());
        Self { key, trust }
    }

    fn keyid(&self) -> String {
        self.key.keyid().as_str().to_owned()
    }

    /// `payload` wrapped as `kind` and signed, as its file would be written.
    fn sign(&self, payload: &Value, kind: EnvelopeKind) -> Vec<u8> {
        let mut md = Metadata::wrap(payload, kind);
        sign_metadata(&mut md, &self.key).unwrap();
        md.to_file_string().into_bytes()
    }

    /// A DSSE statement of `predicate_type` about `subjects` (name, hex).
    fn statement(
        &self,
        subjects: &[(&str, &str)],
        predicate_type: &str,
        predicate: Value,
    ) -> Vec<u8> {
        self.sign(
            &statement(subjects, predicate_type, predicate),
            EnvelopeKind::Dsse,
        )
    }

    /// A DSSE statement with the link predicate: step `step`, `materials`
    /// in, `subjects` out.
    fn link_statement(
        &self,
        step: &str,
        materials: &[(&str, &str)],
        subjects: &[(&str, &str)],
    ) -> Vec<u8> {
        let materials: Vec<Value> = materials
            .iter()
            .map(|(n, d)| json!({"name": n, "digest": {"sha256": d}}))
            .collect();
        self.statement(
            subjects,
            LINK_V0_3,
            json!({"name": step, "command": ["make", step], "materials": materials, "byproducts": {}, "environment": {}}),
        )
    }

    /// A classic link for `step` in `kind` (legacy: the metablock; DSSE).
    fn link(
        &self,
        step: &str,
        materials: &[(&str, &str)],
        products: &[(&str, &str)],
        kind: EnvelopeKind,
    ) -> Vec<u8> {
        let map = |items: &[(&str, &str)]| -> Value {
            items
                .iter()
                .map(|(n, d)| ((*n).to_owned(), json!({"sha256": d})))
                .collect::<serde_json::Map<String, Value>>()
                .into()
        };
        let link = json!({
            "_type": "link",
            "name": step,
            "command": ["run", step],
            "materials": map(materials),
            "products": map(products),
            "byproducts": {},
            "environment": {},
        });
        self.sign(&link, kind)
    }

    /// `bytes` verified as one uploaded document.
    fn accept(&self, bytes: &[u8]) -> Accepted {
        let mut accepted = verify_upload(bytes, UploadFormat::Document, &self.trust, now())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
        assert_eq!(accepted.len(), 1);
        accepted.remove(0)
    }

    /// The `n`th of a family of distinct test statements, each with its own
    /// subject `n` and the shared subject `shared`.
    fn numbered(&self, family: &str, n: usize, shared: &str) -> Vec<u8> {
        let own = sha(&format!("{family}/{n}"));
        self.statement(
            &[(&format!("{family}-{n}"), &own), ("shared", shared)],
            TEST_PREDICATE,
            json!({"family": family, "n": n}),
        )
    }
}

fn statement(subjects: &[(&str, &str)], predicate_type: &str, predicate: Value) -> Value {
    let subject: Vec<Value> = subjects
        .iter()
        .map(|(n, d)| json!({"name": n, "digest": {"sha256": d}}))
        .collect();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

fn digest(hex: &str) -> DigestRef {
    DigestRef::parse(&format!("sha256:{hex}")).unwrap()
}

fn by_subject(hex: &str) -> Query {
    Query {
        subject: Some(digest(hex)),
        limit: 100,
        ..Query::default()
    }
}

async fn ids(store: &dyn Store, query: &Query) -> Vec<String> {
    store
        .find(query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.id)
        .collect()
}

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

/// A database for one test: its URL, and the temporary folder of a SQLite
/// file.
struct Db {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("store.db").display());
        Self {
            url,
            _dir: Some(dir),
        }
    }

    fn postgres() -> Self {
        Self {
            url: intoto_test_support::server::fresh_postgres_database(),
            _dir: None,
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        intoto_store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.url))
    }
}

/// Each check as a test on SQLite and on PostgreSQL.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::Db::sqlite();
                    let store = db.open().await;
                    assert_eq!(store.backend(), "sqlite");
                    super::$case(store, &db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::Db::postgres();
                    let store = db.open().await;
                    assert_eq!(store.backend(), "postgres");
                    super::$case(store, &db).await;
                }
            )*
        }
    };
}

conformance!(
    put_then_get_is_byte_exact,
    put_is_idempotent,
    find_by_subject_material_type_and_step,
    pages_follow_upload_order_without_gaps,
    digests_are_case_insensitive,
    find_any_over_many_digests,
    get_by_gitoid_finds_the_bytes,
    describe_tells_what_was_indexed,
    unknown_ids_are_none,
    sql_looking_filters_match_nothing,
    a_batch_is_all_or_nothing,
    concurrent_puts_all_land,
    evidence_walks_a_three_step_chain,
    reopening_keeps_everything,
);

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

async fn put_then_get_is_byte_exact(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let legacy = s.link(
        "build",
        &[("src", &sha("src"))],
        &[("bin", &sha("bin"))],
        EnvelopeKind::Legacy,
    );
    let dsse = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({"ok": true}));
    // The same envelope laid out differently is other bytes, still signed
    // (DSSE signs the payload, not the envelope's layout).
    let pretty = {
        let value: Value = serde_json::from_slice(&dsse).unwrap();
        let mut text = serde_json::to_vec_pretty(&value).unwrap();
        text.extend_from_slice(b"\n\n");
        text
    };
    assert_ne!(pretty, dsse);
    let docs = [legacy, dsse, pretty];
    let records: Vec<Accepted> = docs.iter().map(|d| s.accept(d)).collect();
    let outcomes = store.put(records).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    for (doc, outcome) in docs.iter().zip(&outcomes) {
        assert!(outcome.created);
        assert_eq!(outcome.id, AttestationId::of(doc).as_str());
        assert_eq!(outcome.gitoid, gitoid(doc));
        let id = AttestationId::parse(&outcome.id).unwrap();
        assert_eq!(store.get(&id).await.unwrap().as_deref(), Some(&doc[..]));
    }
    assert_eq!(store.count().await.unwrap(), 3);
}

async fn put_is_idempotent(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let doc = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    let first = store.put(vec![s.accept(&doc)]).await.unwrap();
    assert!(first[0].created);
    assert_eq!(store.count().await.unwrap(), 1);
    let again = store.put(vec![s.accept(&doc)]).await.unwrap();
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].gitoid, first[0].gitoid);
    assert!(!again[0].created);
    // Twice in one batch, beside a new document.
    let other = s.statement(&[("b", &sha("b"))], TEST_PREDICATE, json!({}));
    let mixed = store
        .put(vec![s.accept(&doc), s.accept(&other), s.accept(&other)])
        .await
        .unwrap();
    assert_eq!(
        mixed.iter().map(|o| o.created).collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(store.count().await.unwrap(), 2);
    // Indexed once: the subject finds it once.
    assert_eq!(
        ids(store.as_ref(), &by_subject(&sha("a"))).await,
        [first[0].id.clone()]
    );
}

async fn find_by_subject_material_type_and_step(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let (src, bin) = (sha("src"), sha("bin"));
    let build = s.link_statement("build", &[("src", &src)], &[("bin", &bin)]);
    let test = s.statement(&[("bin", &bin)], TEST_PREDICATE, json!({"passed": true}));
    let legacy = s.link(
        "sign",
        &[("bin", &bin)],
        &[("bin.sig", &sha("sig"))],
        EnvelopeKind::Legacy,
    );
    let docs = [&build, &test, &legacy];
    let outcomes = store
        .put(docs.iter().map(|d| s.accept(d)).collect())
        .await
        .unwrap();
    let [build_id, test_id, legacy_id] = [0, 1, 2].map(|n| outcomes[n].id.clone());

    let store = store.as_ref();
    assert_eq!(
        ids(store, &by_subject(&bin)).await,
        [build_id.clone(), test_id.clone()]
    );
    let material = |hex: &str| Query {
        material: Some(digest(hex)),
        limit: 100,
        ..Query::default()
    };
    assert_eq!(ids(store, &material(&src)).await, [build_id.as_str()]);
    assert_eq!(ids(store, &material(&bin)).await, [legacy_id.as_str()]);
    assert!(ids(store, &material(&sha("nothing"))).await.is_empty());
    assert!(ids(store, &by_subject(&src)).await.is_empty());

    let typed = |q: Query, t: &str| Query {
        predicate_type: Some(t.to_owned()),
        ..q
    };
    assert_eq!(
        ids(store, &typed(by_subject(&bin), TEST_PREDICATE)).await,
        [test_id.as_str()]
    );
    assert_eq!(
        ids(store, &typed(by_subject(&bin), LINK_V0_3)).await,
        [build_id.as_str()]
    );
    assert!(
        ids(store, &typed(by_subject(&bin), "https://example.com/other"))
            .await
            .is_empty()
    );

    let step = |q: Query, step: &str| Query {
        step: Some(step.to_owned()),
        ..q
    };
    assert_eq!(
        ids(store, &step(by_subject(&bin), "build")).await,
        [build_id.as_str()]
    );
    assert!(ids(store, &step(by_subject(&bin), "sign")).await.is_empty());
    assert_eq!(
        ids(store, &step(material(&bin), "sign")).await,
        [legacy_id.as_str()]
    );
    // Filters without a digest.
    let all = Query {
        limit: 100,
        ..Query::default()
    };
    assert_eq!(
        ids(store, &all).await,
        [build_id.clone(), test_id, legacy_id.clone()]
    );
    assert_eq!(ids(store, &step(all.clone(), "sign")).await, [legacy_id]);
    assert_eq!(ids(store, &typed(all, LINK_V0_3)).await, [build_id]);
}

async fn pages_follow_upload_order_without_gaps(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let shared = sha("shared");
    let mut uploaded = Vec::new();
    // In several transactions, each of several documents.
    for batch in 0..10 {
        let records: Vec<Accepted> = (0..25)
            .map(|i| s.accept(&s.numbered("page", batch * 25 + i, &shared)))
            .collect();
        for outcome in store.put(records).await.unwrap() {
            assert!(outcome.created);
            uploaded.push(outcome.id);
        }
    }
    assert_eq!(uploaded.len(), 250);
    for base in [
        by_subject(&shared),
        Query {
            limit: 100,
            ..Query::default()
        },
    ] {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut query = base.clone();
        loop {
            let page = store.find(&query).await.unwrap();
            sizes.push(page.items.len());
            seen.extend(page.items.into_iter().map(|i| i.id));
            match page.next {
                Some(next) => query.after = Some(next.parse().unwrap()),
                None => break,
            }
            assert!(sizes.len() < 10, "paging does not end");
        }
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(
            seen, uploaded,
            "pages in upload order, no gap, no duplicate"
        );
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 250);
    }
    // Exactly one page's worth: no `next` after the last.
    let mut query = by_subject(&shared);
    query.limit = 250;
    let page = store.find(&query).await.unwrap();
    assert_eq!(page.items.len(), 250);
    assert_eq!(page.next, None);
    // The page size is bounded.
    query.limit = 0;
    assert_eq!(store.find(&query).await.unwrap().items.len(), 1);
}

async fn digests_are_case_insensitive(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let lower = sha("mixed case");
    let upper = lower.to_ascii_uppercase();
    let material_upper = sha("material").to_ascii_uppercase();
    let doc = s.link_statement("build", &[("m", &material_upper)], &[("out", &upper)]);
    let id = store.put(vec![s.accept(&doc)]).await.unwrap()[0].id.clone();
    let store = store.as_ref();
    // Stored lowercase: found by the lowercase digest as such.
    let exact = Query {
        subject: Some(DigestRef {
            algorithm: "sha256".into(),
            digest: lower.clone(),
        }),
        limit: 10,
        ..Query::default()
    };
    assert_eq!(ids(store, &exact).await, [id.as_str()]);
    // A query's digest is read lowercased, whatever its case.
    for text in [&upper, &lower, &format!("{}{}", &upper[..32], &lower[32..])] {
        assert_eq!(ids(store, &by_subject(text)).await, [id.as_str()], "{text}");
    }
    let material = Query {
        material: Some(digest(&material_upper)),
        limit: 10,
        ..Query::default()
    };
    assert_eq!(ids(store, &material).await, [id.as_str()]);
    let found = store
        .find_any(Role::Subject, &[digest(&upper)], 10)
        .await
        .unwrap();
    assert_eq!(found.iter().map(|f| f.id.clone()).collect::<Vec<_>>(), [id]);
}

async fn find_any_over_many_digests(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let shared = sha("shared");
    let records: Vec<Accepted> = (0..300)
        .map(|n| s.accept(&s.numbered("any", n, &shared)))
        .collect();
    let uploaded: Vec<String> = store
        .put(records)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    // 300 known digests (more than one query's worth) among 150 unknown.
    let mut digests: Vec<DigestRef> = (0..300)
        .map(|n| digest(&sha(&format!("any/{n}"))))
        .collect();
    for n in 0..150 {
        digests.insert(n * 2, digest(&sha(&format!("unknown/{n}"))));
    }
    let found = store.find_any(Role::Subject, &digests, 1000).await.unwrap();
    let found_ids: Vec<String> = found.iter().map(|f| f.id.clone()).collect();
    assert_eq!(found_ids.len(), 300);
    assert_eq!(
        found_ids.iter().collect::<BTreeSet<_>>(),
        uploaded.iter().collect::<BTreeSet<_>>()
    );
    // A document two of whose digests are asked for is found once.
    digests.push(digest(&shared));
    let found = store.find_any(Role::Subject, &digests, 1000).await.unwrap();
    assert_eq!(found.len(), 300);
    assert_eq!(
        found.iter().map(|f| &f.id).collect::<BTreeSet<_>>().len(),
        300
    );
    // Bounded.
    assert_eq!(
        store
            .find_any(Role::Subject, &digests, 10)
            .await
            .unwrap()
            .len(),
        10
    );
    // The role counts: these are subjects, not materials.
    assert!(
        store
            .find_any(Role::Material, &digests, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .find_any(Role::Subject, &[], 1000)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn get_by_gitoid_finds_the_bytes(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let doc = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    let outcome = store.put(vec![s.accept(&doc)]).await.unwrap().remove(0);
    assert_eq!(outcome.gitoid, gitoid(&doc));
    assert_eq!(
        store.get_by_gitoid(&outcome.gitoid).await.unwrap(),
        Some(doc.clone())
    );
    assert_eq!(
        store
            .get_by_gitoid(&outcome.gitoid.to_ascii_uppercase())
            .await
            .unwrap(),
        Some(doc)
    );
    // The id is not a gitoid.
    assert_eq!(store.get_by_gitoid(&outcome.id).await.unwrap(), None);
    assert_eq!(store.get_by_gitoid(&sha("nothing")).await.unwrap(), None);
}

async fn describe_tells_what_was_indexed(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let statement = s.link_statement("build", &[("src", &sha("src"))], &[("bin", &sha("bin"))]);
    let legacy = s.link(
        "package",
        &[("bin", &sha("bin"))],
        &[("pkg", &sha("pkg"))],
        EnvelopeKind::Legacy,
    );
    let dsse_link = s.link("sign", &[], &[("sig", &sha("sig"))], EnvelopeKind::Dsse);
    let before = now();
    let outcomes = store
        .put(vec![
            s.accept(&statement),
            s.accept(&legacy),
            s.accept(&dsse_link),
        ])
        .await
        .unwrap();
    let after = now();
    let describe = |n: usize| {
        let id = AttestationId::parse(&outcomes[n].id).unwrap();
        let store = Arc::clone(&store);
        async move { store.describe(&id).await.unwrap().unwrap() }
    };
    let stored_at_ok = |text: &str| {
        let t = chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp();
        assert!((before - 1..=after + 1).contains(&t), "{text}");
    };

    let d = describe(0).await;
    assert_eq!(d.id, outcomes[0].id);
    assert_eq!(d.gitoid, outcomes[0].gitoid);
    assert_eq!(d.kind, "statement");
    assert_eq!(d.envelope, "dsse");
    assert_eq!(
        d.payload_type.as_deref(),
        Some("application/vnd.in-toto+json")
    );
    assert_eq!(d.predicate_type.as_deref(), Some(LINK_V0_3));
    assert_eq!(d.step.as_deref(), Some("build"));
    assert_eq!(d.signers, [s.keyid()]);
    assert_eq!(d.size, i64::try_from(statement.len()).unwrap());
    stored_at_ok(&d.stored_at);

    let d = describe(1).await;
    assert_eq!(d.kind, "link");
    assert_eq!(d.envelope, "legacy");
    assert_eq!(d.payload_type, None);
    assert_eq!(d.predicate_type, None);
    assert_eq!(d.step.as_deref(), Some("package"));
    assert_eq!(d.signers, [s.keyid()]);
    assert_eq!(d.size, i64::try_from(legacy.len()).unwrap());
    stored_at_ok(&d.stored_at);

    let d = describe(2).await;
    assert_eq!(d.kind, "link");
    assert_eq!(d.envelope, "dsse");
    assert_eq!(
        d.payload_type.as_deref(),
        Some("application/vnd.in-toto+json")
    );
    assert_eq!(d.step.as_deref(), Some("sign"));
    // Upload order.
    let seqs = [
        describe(0).await.seq,
        describe(1).await.seq,
        describe(2).await.seq,
    ];
    assert!(seqs[0] < seqs[1] && seqs[1] < seqs[2], "{seqs:?}");
}

async fn unknown_ids_are_none(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let doc = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    store.put(vec![s.accept(&doc)]).await.unwrap();
    let unknown = AttestationId::of(b"never stored");
    assert_eq!(store.get(&unknown).await.unwrap(), None);
    assert_eq!(store.describe(&unknown).await.unwrap(), None);
    assert_eq!(store.get_by_gitoid(unknown.as_str()).await.unwrap(), None);
    assert!(ids(store.as_ref(), &by_subject(&sha("b"))).await.is_empty());
}

async fn sql_looking_filters_match_nothing(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let a = sha("a");
    let docs = [
        s.link_statement("build", &[], &[("a", &a)]),
        s.statement(&[("a", &a)], TEST_PREDICATE, json!({})),
    ];
    store
        .put(docs.iter().map(|d| s.accept(d)).collect())
        .await
        .unwrap();
    for hostile in [
        "' OR 1=1 --",
        "build' OR '1'='1",
        "\" OR \"\"=\"",
        "x'; DROP TABLE attestations; --",
        "%",
        "*",
    ] {
        for base in [
            by_subject(&a),
            Query {
                limit: 100,
                ..Query::default()
            },
        ] {
            let by_step = Query {
                step: Some(hostile.to_owned()),
                ..base.clone()
            };
            let by_type = Query {
                predicate_type: Some(hostile.to_owned()),
                ..base
            };
            for q in [by_step, by_type] {
                let page = store
                    .find(&q)
                    .await
                    .unwrap_or_else(|e| panic!("{hostile}: {e}"));
                assert!(page.items.is_empty(), "{hostile}");
                assert_eq!(page.next, None);
            }
        }
    }
    // Still all there.
    assert_eq!(store.count().await.unwrap(), 2);
    assert_eq!(ids(store.as_ref(), &by_subject(&a)).await.len(), 2);
}

async fn a_batch_is_all_or_nothing(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let first = s.statement(&[("first", &sha("first"))], TEST_PREDICATE, json!({}));
    let stored = store.put(vec![s.accept(&first)]).await.unwrap().remove(0);
    // A batch of three new documents whose last cannot be written (it
    // claims the gitoid of a stored one, which is unique): nothing of the
    // batch is stored, not even the two before it.
    let batch: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            s.statement(
                &[("new", &sha(&format!("new/{n}")))],
                TEST_PREDICATE,
                json!({"n": n}),
            )
        })
        .collect();
    let mut records: Vec<Accepted> = batch.iter().map(|d| s.accept(d)).collect();
    records[2].gitoid.clone_from(&stored.gitoid);
    assert!(
        store.put(records).await.is_err(),
        "a conflicting batch is refused"
    );
    assert_eq!(store.count().await.unwrap(), 1);
    for (n, doc) in batch.iter().enumerate() {
        assert_eq!(store.get(&AttestationId::of(doc)).await.unwrap(), None);
        assert!(
            ids(store.as_ref(), &by_subject(&sha(&format!("new/{n}"))))
                .await
                .is_empty()
        );
    }
    // The store goes on: the same documents, intact, are stored whole.
    let outcomes = store
        .put(batch.iter().map(|d| s.accept(d)).collect())
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.created));
    assert_eq!(store.count().await.unwrap(), 4);
    for (n, doc) in batch.iter().enumerate() {
        assert_eq!(
            store.get(&AttestationId::of(doc)).await.unwrap().as_deref(),
            Some(&doc[..])
        );
        assert_eq!(
            ids(store.as_ref(), &by_subject(&sha(&format!("new/{n}"))))
                .await
                .len(),
            1
        );
    }
}

async fn concurrent_puts_all_land(store: Arc<dyn Store>, _db: &Db) {
    let s = Arc::new(Signer::new());
    let shared = sha("shared");
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..50 {
        let store = Arc::clone(&store);
        let s = Arc::clone(&s);
        let shared = shared.clone();
        tasks.spawn(async move {
            // Each task: one batch of three, then two singles.
            let docs: Vec<Vec<u8>> = (0..5)
                .map(|i| s.numbered("concurrent", task * 5 + i, &shared))
                .collect();
            let mut outcomes = store
                .put(docs[..3].iter().map(|d| s.accept(d)).collect())
                .await
                .unwrap();
            for doc in &docs[3..] {
                outcomes.extend(store.put(vec![s.accept(doc)]).await.unwrap());
            }
            for (doc, outcome) in docs.iter().zip(&outcomes) {
                assert!(outcome.created);
                assert_eq!(outcome.id, AttestationId::of(doc).as_str());
            }
            docs
        });
    }
    let mut all = Vec::new();
    while let Some(docs) = tasks.join_next().await {
        all.extend(docs.unwrap());
    }
    assert_eq!(all.len(), 250);
    assert_eq!(store.count().await.unwrap(), 250);
    for doc in &all {
        assert_eq!(
            store.get(&AttestationId::of(doc)).await.unwrap().as_deref(),
            Some(&doc[..])
        );
    }
    // Each task's batch of three is contiguous in upload order.
    let mut query = by_subject(&shared);
    query.limit = 1000;
    let order: Vec<String> = ids(store.as_ref(), &query).await;
    assert_eq!(order.len(), 250);
    for task in 0..50 {
        let first = AttestationId::of(&s.numbered("concurrent", task * 5, &shared)).to_string();
        let at = order.iter().position(|id| *id == first).unwrap();
        for i in 1..3 {
            let next =
                AttestationId::of(&s.numbered("concurrent", task * 5 + i, &shared)).to_string();
            assert_eq!(
                order[at + i],
                next,
                "task {task}'s batch is one transaction"
            );
        }
    }
}

async fn evidence_walks_a_three_step_chain(store: Arc<dyn Store>, _db: &Db) {
    let s = Signer::new();
    let (src, bin, pkg) = (sha("source"), sha("binary"), sha("package"));
    // clone: a legacy link; build: a link statement; package: a DSSE link.
    let clone = s.link("clone", &[], &[("src/main.c", &src)], EnvelopeKind::Legacy);
    let build = s.link_statement("build", &[("src/main.c", &src)], &[("bin/app", &bin)]);
    let package = s.link(
        "package",
        &[("bin/app", &bin)],
        &[("app.tar.gz", &pkg)],
        EnvelopeKind::Dsse,
    );
    // Beside them: a test result about the package, and unrelated documents.
    let scan = s.statement(
        &[("app.tar.gz", &pkg)],
        TEST_PREDICATE,
        json!({"scan": "clean"}),
    );
    let unrelated = s.link_statement(
        "build",
        &[("other.c", &sha("other source"))],
        &[("other", &sha("other"))],
    );
    let docs = [&unrelated, &clone, &build, &package, &scan];
    for doc in docs {
        store.put(vec![s.accept(doc)]).await.unwrap();
    }
    let evidence = intoto_store::evidence::collect(store.as_ref(), &digest(&pkg))
        .await
        .unwrap();
    assert!(!evidence.truncated);
    let found: Vec<(Option<&str>, &[u8])> = evidence
        .found
        .iter()
        .map(|f| (f.meta.step.as_deref(), f.bytes.as_slice()))
        .collect();
    assert_eq!(found.len(), 4, "{found:?}");
    // Nearest the final artifact first.
    assert_eq!(
        found[..2].iter().map(|f| f.1).collect::<BTreeSet<_>>(),
        BTreeSet::from([&package[..], &scan[..]])
    );
    assert_eq!(found[2], (Some("build"), &build[..]));
    assert_eq!(found[3], (Some("clone"), &clone[..]));
    // From the middle of the chain: build and clone only.
    let evidence = intoto_store::evidence::collect(store.as_ref(), &digest(&bin))
        .await
        .unwrap();
    let steps: Vec<Option<&str>> = evidence
        .found
        .iter()
        .map(|f| f.meta.step.as_deref())
        .collect();
    assert_eq!(steps, [Some("build"), Some("clone")]);
    // Nothing is known of an unknown digest.
    let evidence = intoto_store::evidence::collect(store.as_ref(), &digest(&sha("unknown")))
        .await
        .unwrap();
    assert!(evidence.found.is_empty());
}

async fn reopening_keeps_everything(store: Arc<dyn Store>, db: &Db) {
    let s = Signer::new();
    let shared = sha("shared");
    let docs: Vec<Vec<u8>> = (0..20).map(|n| s.numbered("reopen", n, &shared)).collect();
    store
        .put(docs.iter().map(|d| s.accept(d)).collect())
        .await
        .unwrap();
    drop(store);
    // Opened again (the schema is migrated again, harmlessly), twice, and
    // two at once.
    for _ in 0..2 {
        let store = db.open().await;
        let other = db.open().await;
        assert_eq!(store.count().await.unwrap(), 20);
        assert_eq!(other.count().await.unwrap(), 20);
        for doc in &docs {
            assert_eq!(
                store.get(&AttestationId::of(doc)).await.unwrap().as_deref(),
                Some(&doc[..])
            );
        }
        let mut query = by_subject(&shared);
        query.limit = 100;
        let order = ids(store.as_ref(), &query).await;
        let expected: Vec<String> = docs
            .iter()
            .map(|d| AttestationId::of(d).to_string())
            .collect();
        assert_eq!(order, expected);
    }
    // And it still takes uploads, after what it had.
    let store = db.open().await;
    let more = s.numbered("reopen", 20, &shared);
    assert!(store.put(vec![s.accept(&more)]).await.unwrap()[0].created);
    let mut query = by_subject(&shared);
    query.limit = 100;
    assert_eq!(
        ids(store.as_ref(), &query).await.last(),
        Some(&AttestationId::of(&more).to_string())
    );
    assert_eq!(store.count().await.unwrap(), 21);
}

// ---------------------------------------------------------------------------
// Upload verification (no database)
// ---------------------------------------------------------------------------

fn bundle(lines: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in lines {
        // A bundle line is one line: DSSE files already are.
        assert!(!line.contains(&b'\n'));
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// A DSSE envelope with its payload changed after signing.
fn tampered(envelope: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(envelope).unwrap();
    let payload = decode_base64(value["payload"].as_str().unwrap()).unwrap();
    let mut statement: Value = serde_json::from_slice(&payload).unwrap();
    statement["subject"][0]["digest"]["sha256"] = json!(sha("something else"));
    value["payload"] = json!(encode_base64(statement.to_string().as_bytes()));
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn a_signed_document_is_accepted_with_its_index() {
    let s = Signer::new();
    let doc = s.link_statement("build", &[("src", &sha("src"))], &[("bin", &sha("bin"))]);
    let accepted = verify_upload(&doc, UploadFormat::Document, &s.trust, now()).unwrap();
    assert_eq!(accepted.len(), 1);
    let a = &accepted[0];
    assert_eq!(a.bytes, doc);
    assert_eq!(a.id, AttestationId::of(&doc));
    assert_eq!(a.gitoid, gitoid(&doc));
    assert_eq!(a.indexed.signers, [s.keyid()]);
    assert_eq!(a.indexed.subjects.len(), 1);
    assert_eq!(a.indexed.materials.len(), 1);
}

#[test]
fn an_unsigned_document_is_refused() {
    let s = Signer::new();
    for kind in [EnvelopeKind::Dsse, EnvelopeKind::Legacy] {
        let md = Metadata::wrap(
            &statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({})),
            kind,
        );
        let bytes = md.to_file_string().into_bytes();
        assert_eq!(
            verify_upload(&bytes, UploadFormat::Document, &s.trust, now()).unwrap_err(),
            UploadError::Unsigned {
                item: "document".into()
            }
        );
    }
}

#[test]
fn a_document_signed_by_an_unknown_key_is_refused() {
    let trusted = Signer::new();
    let stranger = Signer::new();
    let doc = stranger.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    assert_eq!(
        verify_upload(&doc, UploadFormat::Document, &trusted.trust, now()).unwrap_err(),
        UploadError::UnknownKey {
            item: "document".into(),
            keyid: stranger.keyid()
        }
    );
    // Nobody trusted: nobody writes.
    assert!(matches!(
        verify_upload(&doc, UploadFormat::Document, &Trust::new(), now()),
        Err(UploadError::UnknownKey { .. })
    ));
}

#[test]
fn a_tampered_document_is_refused() {
    let s = Signer::new();
    let doc = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    let bad = tampered(&doc);
    assert!(matches!(
        verify_upload(&bad, UploadFormat::Document, &s.trust, now()),
        Err(UploadError::BadSignature { ref item, ref keyid, .. }) if item == "document" && *keyid == s.keyid()
    ));
    // A legacy link with a changed product.
    let link = s.link("build", &[], &[("bin", &sha("bin"))], EnvelopeKind::Legacy);
    let mut value: Value = serde_json::from_slice(&link).unwrap();
    value["signed"]["products"]["bin"]["sha256"] = json!(sha("other"));
    let bad = serde_json::to_vec(&value).unwrap();
    assert!(matches!(
        verify_upload(&bad, UploadFormat::Document, &s.trust, now()),
        Err(UploadError::BadSignature { .. })
    ));
    // A signature from another document.
    let other = s.statement(&[("b", &sha("b"))], TEST_PREDICATE, json!({}));
    let mut value: Value = serde_json::from_slice(&doc).unwrap();
    let other: Value = serde_json::from_slice(&other).unwrap();
    value["signatures"] = other["signatures"].clone();
    let bad = serde_json::to_vec(&value).unwrap();
    assert!(matches!(
        verify_upload(&bad, UploadFormat::Document, &s.trust, now()),
        Err(UploadError::BadSignature { .. })
    ));
}

#[test]
fn a_bundle_with_one_bad_line_is_refused_whole() {
    let s = Signer::new();
    let docs: Vec<Vec<u8>> = (0..4)
        .map(|n| s.numbered("bundle", n, &sha("shared")))
        .collect();
    let good = bundle(&docs.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let accepted = verify_upload(&good, UploadFormat::Bundle, &s.trust, now()).unwrap();
    assert_eq!(
        accepted.iter().map(|a| a.bytes.clone()).collect::<Vec<_>>(),
        docs
    );

    let bad = tampered(&docs[2]);
    let body = bundle(&[&docs[0], &docs[1], &bad, &docs[3]]);
    assert!(matches!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now()),
        Err(UploadError::BadSignature { ref item, .. }) if item == "line 3"
    ));
    let stranger = Signer::new().statement(&[("x", &sha("x"))], TEST_PREDICATE, json!({}));
    let body = bundle(&[&docs[0], &stranger]);
    assert!(matches!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now()),
        Err(UploadError::UnknownKey { ref item, .. }) if item == "line 2"
    ));
    let body = bundle(&[&docs[0], b"{not json", &docs[1]]);
    assert!(matches!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now()),
        Err(UploadError::Malformed { ref item, .. }) if item == "line 2"
    ));
    // Blank lines are skipped, and counted in line numbers.
    let mut body = b"\n\r\n".to_vec();
    body.extend_from_slice(&bundle(&[&docs[0], &bad]));
    assert!(matches!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now()),
        Err(UploadError::BadSignature { ref item, .. }) if item == "line 4"
    ));
}

#[test]
fn a_blank_upload_is_empty() {
    let s = Signer::new();
    for body in [&b""[..], b"\n", b"\n\n  \r\n\t\n", b"   "] {
        assert_eq!(
            verify_upload(body, UploadFormat::Bundle, &s.trust, now()).unwrap_err(),
            UploadError::Empty,
            "{body:?}"
        );
        assert_eq!(
            verify_upload(body, UploadFormat::Document, &s.trust, now()).unwrap_err(),
            UploadError::Empty,
            "{body:?}"
        );
    }
}

#[test]
fn a_bundle_of_more_than_ten_thousand_lines_is_refused() {
    let s = Signer::new();
    let doc = s.statement(&[("a", &sha("a"))], TEST_PREDICATE, json!({}));
    let mut body = Vec::with_capacity((doc.len() + 1) * 10_001);
    for _ in 0..10_000 {
        body.extend_from_slice(&doc);
        body.push(b'\n');
    }
    assert_eq!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now())
            .unwrap()
            .len(),
        10_000,
        "ten thousand lines are taken"
    );
    body.extend_from_slice(&doc);
    body.push(b'\n');
    assert_eq!(
        verify_upload(&body, UploadFormat::Bundle, &s.trust, now()).unwrap_err(),
        UploadError::TooManyLines
    );
}
