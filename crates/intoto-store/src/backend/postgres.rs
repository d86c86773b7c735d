//! The store on PostgreSQL, to scale out: the same schema and queries as
//! the embedded store, migrated on start. A transaction commits (and is
//! acknowledged) only once PostgreSQL has flushed it, with its default
//! `synchronous_commit`; a crash of the server in the middle of an upload
//! leaves nothing of it behind.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};

use super::StoreError;
use super::batch::Batcher;

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

super::sql::sql_store!(PostgresStore, Writer, sqlx::Postgres, PgRow, "postgres");
