//! The embedded store: one SQLite file, created with its schema on first
//! start. It runs in WAL mode with `synchronous=FULL`, so a committed
//! upload survives a crash of the process or the machine, and a crash in
//! the middle of a write leaves the file as it was before that write
//! (SQLite recovers the journal on the next open, without manual repair).

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};

use super::StoreError;
use super::batch::Batcher;

/// The embedded store.
pub struct SqliteStore {
    pool: SqlitePool,
    batcher: Batcher,
}

struct Writer {
    pool: SqlitePool,
}

fn migrator() -> Migrator {
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("attestations"),
        MigrationType::Simple,
        sqlx::AssertSqlSafe(include_str!(
            "../../migrations/sqlite/0001_attestations.sql"
        ))
        .into_sql_str(),
        false,
    )])
}

impl SqliteStore {
    /// Opens (creating if missing) the store at `path`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file cannot be opened or migrated.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(StoreError::from)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StoreError(format!("{}: cannot open: {e}", path.display())))?;
        migrator().run(&pool).await?;
        let batcher = Batcher::start(Arc::new(Writer { pool: pool.clone() }));
        Ok(Self { pool, batcher })
    }
}

super::sql::sql_store!(SqliteStore, Writer, sqlx::Sqlite, SqliteRow, "sqlite");
