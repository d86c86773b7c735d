//! The store on PostgreSQL, to scale out: the same schema and queries as
//! the embedded store, migrated on start. A transaction commits (and is
//! acknowledged) only once PostgreSQL has flushed it, with its default
//! `synchronous_commit`; a crash of the server in the middle of an upload
//! leaves nothing of it behind.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row, SqlSafeStr};

use super::batch::{BatchWriter, Batcher};
use super::{
    ARTIFACT_ROWS_PER_INSERT, DigestRef, Page, PutOutcome, Query, Record, Role, Store, StoreError,
    StoreFuture, StoredAttestation, rfc3339, signers_column, signers_from_column,
};
use crate::id::AttestationId;

const COLUMNS: &str = "a.seq, a.id, a.gitoid, a.kind, a.envelope, a.payload_type, a.predicate_type, a.step, a.signers, a.size, a.stored_at";

/// The store on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
    batcher: Batcher,
}

struct Writer {
    pool: PgPool,
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("attestations"),
        MigrationType::Simple,
        sqlx::AssertSqlSafe(include_str!(
            "../../migrations/postgres/0001_attestations.sql"
        ))
        .into_sql_str(),
        false,
    )])
}

impl PostgresStore {
    /// Connects to the database `url` names and creates or migrates its
    /// schema.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the database cannot be reached or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError(format!("{}: {e}", super::redact(url))))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| StoreError(format!("{}: cannot connect: {e}", super::redact(url))))?;
        migrator().run(&pool).await?;
        let batcher = Batcher::start(Arc::new(Writer { pool: pool.clone() }));
        Ok(Self { pool, batcher })
    }
}

impl BatchWriter for Writer {
    fn write(&self, records: Vec<Record>) -> StoreFuture<'_, Vec<PutOutcome>> {
        Box::pin(async move {
            let now = chrono::Utc::now().timestamp();
            let mut tx = self.pool.begin().await?;
            let mut out = Vec::with_capacity(records.len());
            for r in &records {
                let i = &r.indexed;
                let seq: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO attestations (id, gitoid, kind, envelope, payload_type, predicate_type, step, signers, size, stored_at, bytes) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING seq",
                )
                .bind(r.id.as_str())
                .bind(&r.gitoid)
                .bind(i.kind)
                .bind(i.envelope)
                .bind(i.payload_type.as_deref())
                .bind(i.predicate_type.as_deref())
                .bind(i.step.as_deref())
                .bind(signers_column(&i.signers))
                .bind(i64::try_from(r.bytes.len()).unwrap_or(i64::MAX))
                .bind(now)
                .bind(&r.bytes[..])
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(seq) = seq {
                    for (role, list) in
                        [(Role::Subject, &i.subjects), (Role::Material, &i.materials)]
                    {
                        for chunk in list.chunks(ARTIFACT_ROWS_PER_INSERT) {
                            let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
                                "INSERT INTO artifacts (seq, role, algorithm, digest, name) ",
                            );
                            qb.push_values(chunk, |mut b, a| {
                                b.push_bind(seq)
                                    .push_bind(role as i16)
                                    .push_bind(a.algorithm.clone())
                                    .push_bind(a.digest.clone())
                                    .push_bind(a.name.clone());
                            });
                            qb.build().execute(&mut *tx).await?;
                        }
                    }
                }
                out.push(PutOutcome {
                    id: r.id.to_string(),
                    gitoid: r.gitoid.clone(),
                    created: seq.is_some(),
                });
            }
            tx.commit().await?;
            Ok(out)
        })
    }
}

fn row(r: &PgRow) -> Result<StoredAttestation, StoreError> {
    Ok(StoredAttestation {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        gitoid: r.try_get("gitoid")?,
        kind: r.try_get("kind")?,
        envelope: r.try_get("envelope")?,
        payload_type: r.try_get("payload_type")?,
        predicate_type: r.try_get("predicate_type")?,
        step: r.try_get("step")?,
        signers: signers_from_column(r.try_get("signers")?),
        size: r.try_get("size")?,
        stored_at: rfc3339(r.try_get("stored_at")?),
    })
}

impl Store for PostgresStore {
    fn put(&self, records: Vec<Record>) -> StoreFuture<'_, Vec<PutOutcome>> {
        Box::pin(self.batcher.put(records))
    }

    fn get(&self, id: &AttestationId) -> StoreFuture<'_, Option<Vec<u8>>> {
        let id = id.to_string();
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT bytes FROM attestations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?,
            )
        })
    }

    fn get_by_gitoid(&self, gitoid: &str) -> StoreFuture<'_, Option<Vec<u8>>> {
        let gitoid = gitoid.to_ascii_lowercase();
        Box::pin(async move {
            Ok(
                sqlx::query_scalar("SELECT bytes FROM attestations WHERE gitoid = $1")
                    .bind(gitoid)
                    .fetch_optional(&self.pool)
                    .await?,
            )
        })
    }

    fn describe(&self, id: &AttestationId) -> StoreFuture<'_, Option<StoredAttestation>> {
        let id = id.to_string();
        Box::pin(async move {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM attestations a WHERE a.id = $1"
            ));
            let found = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
            found.as_ref().map(row).transpose()
        })
    }

    fn find(&self, query: &Query) -> StoreFuture<'_, Page> {
        let query = query.clone();
        Box::pin(async move {
            let limit = super::page_limit(Some(query.limit));
            let mut qb: QueryBuilder<Postgres> =
                QueryBuilder::new(format!("SELECT {COLUMNS} FROM "));
            let filter = match (&query.subject, &query.material) {
                (Some(d), _) => Some((Role::Subject, d)),
                (None, Some(d)) => Some((Role::Material, d)),
                (None, None) => None,
            };
            let order = if let Some((role, d)) = filter {
                qb.push("artifacts r JOIN attestations a ON a.seq = r.seq WHERE r.role = ")
                    .push_bind(role as i16)
                    .push(" AND r.algorithm = ")
                    .push_bind(d.algorithm.clone())
                    .push(" AND r.digest = ")
                    .push_bind(d.digest.clone());
                "r.seq"
            } else {
                qb.push("attestations a WHERE 1 = 1");
                "a.seq"
            };
            if let Some(t) = &query.predicate_type {
                qb.push(" AND a.predicate_type = ").push_bind(t.clone());
            }
            if let Some(s) = &query.step {
                qb.push(" AND a.step = ").push_bind(s.clone());
            }
            if let Some(after) = query.after {
                qb.push(format!(" AND {order} > ")).push_bind(after);
            }
            qb.push(format!(" ORDER BY {order} LIMIT "))
                .push_bind(i64::from(limit) + 1);
            let rows = qb.build().fetch_all(&self.pool).await?;
            let mut items = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
            let next = if items.len() > limit as usize {
                items.truncate(limit as usize);
                items.last().map(|i| i.seq.to_string())
            } else {
                None
            };
            Ok(Page { items, next })
        })
    }

    fn find_any(
        &self,
        role: Role,
        digests: &[DigestRef],
        limit: u32,
    ) -> StoreFuture<'_, Vec<StoredAttestation>> {
        let digests = digests.to_vec();
        Box::pin(async move {
            let mut found: Vec<StoredAttestation> = Vec::new();
            for chunk in digests.chunks(200) {
                let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
                    "SELECT DISTINCT {COLUMNS} FROM artifacts r JOIN attestations a ON a.seq = r.seq WHERE r.role = "
                ));
                qb.push_bind(role as i16).push(" AND (");
                for (n, d) in chunk.iter().enumerate() {
                    if n > 0 {
                        qb.push(" OR ");
                    }
                    qb.push("(r.algorithm = ")
                        .push_bind(d.algorithm.clone())
                        .push(" AND r.digest = ")
                        .push_bind(d.digest.clone())
                        .push(")");
                }
                qb.push(") ORDER BY a.seq LIMIT ")
                    .push_bind(i64::from(limit));
                for r in qb.build().fetch_all(&self.pool).await? {
                    let item = row(&r)?;
                    if !found.iter().any(|f| f.seq == item.seq) {
                        found.push(item);
                    }
                }
                if found.len() >= limit as usize {
                    found.truncate(limit as usize);
                    break;
                }
            }
            Ok(found)
        })
    }

    fn count(&self) -> StoreFuture<'_, u64> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM attestations")
                .fetch_one(&self.pool)
                .await?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
