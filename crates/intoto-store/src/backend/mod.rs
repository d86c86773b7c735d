//! The storage contract ([`Store`]) and its backends: [`sqlite`], the
//! embedded default (one file, created with its schema on first start),
//! and [`postgres`], to scale out. Both store the bytes as received and
//! index subjects and materials by `(role, algorithm, digest)`; both group
//! concurrent writes into one transaction ([`batch`]), acknowledged only
//! once committed.

pub mod batch;
pub mod postgres;
mod sql;
pub mod sqlite;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::id::AttestationId;
use crate::upload::Accepted;

/// A boxed future, so that [`Store`] can be used as a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A document to store.
pub type Record = Accepted;

/// The most results in one page.
pub const MAX_PAGE: u32 = 1000;

/// Why the store failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self(format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self(format!("database schema: {e}"))
    }
}

/// Whether a digest is a subject or a material of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A subject (a link's products).
    Subject = 0,
    /// A material.
    Material = 1,
}

/// A digest to look up: `ALG:HEX`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestRef {
    /// The algorithm.
    pub algorithm: String,
    /// The digest, lowercase hex.
    pub digest: String,
}

impl DigestRef {
    /// Reads `ALG:HEX`: an algorithm of letters, digits, `-` and `_` (at
    /// most 32), and a hex digest of at most 256 digits.
    ///
    /// # Errors
    ///
    /// A message saying what a digest looks like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let err = || {
            format!("{text:?} is not a digest: write ALGORITHM:HEX, such as sha256:<64 hex digits>")
        };
        let (algorithm, hex) = text.split_once(':').ok_or_else(err)?;
        let algorithm_ok = !algorithm.is_empty()
            && algorithm.len() <= 32
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let hex_ok =
            !hex.is_empty() && hex.len() <= 256 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !(algorithm_ok && hex_ok) {
            return Err(err());
        }
        Ok(Self {
            algorithm: algorithm.to_owned(),
            digest: hex.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for DigestRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Attestations with this subject.
    pub subject: Option<DigestRef>,
    /// Attestations with this material (when no subject is given).
    pub material: Option<DigestRef>,
    /// Of this predicate type.
    pub predicate_type: Option<String>,
    /// Of this step.
    pub step: Option<String>,
    /// After this position (a page's `next`).
    pub after: Option<i64>,
    /// At most this many (1 to [`MAX_PAGE`]).
    pub limit: u32,
}

/// What the store knows of a stored document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAttestation {
    /// The sha256 of the bytes.
    pub id: String,
    /// The Archivista-style gitoid.
    pub gitoid: String,
    /// `statement` or `link`.
    pub kind: String,
    /// `dsse` or `legacy`.
    pub envelope: String,
    /// The DSSE payload type.
    #[serde(rename = "payloadType", skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    /// The predicate type.
    #[serde(rename = "predicateType", skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// The step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The keyids whose signatures verified on upload.
    pub signers: Vec<String>,
    /// The size of the bytes.
    pub size: i64,
    /// When it was stored (RFC 3339).
    #[serde(rename = "storedAt")]
    pub stored_at: String,
    /// Its position in upload order.
    #[serde(skip)]
    pub seq: i64,
}

/// One page of results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    /// The results, in upload order.
    pub items: Vec<StoredAttestation>,
    /// The cursor of the next page, if there may be one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The outcome of storing one document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PutOutcome {
    /// The sha256 of the bytes.
    pub id: String,
    /// The Archivista-style gitoid.
    pub gitoid: String,
    /// False when the same bytes were already stored.
    pub created: bool,
}

/// Where attestations are kept.
pub trait Store: Send + Sync + 'static {
    /// Stores `records` in one transaction: all of them, or none. Bytes
    /// already stored are left as they are (`created: false`).
    fn put(&self, records: Vec<Record>) -> StoreFuture<'_, Vec<PutOutcome>>;
    /// The bytes stored under `id`.
    fn get(&self, id: &AttestationId) -> StoreFuture<'_, Option<Vec<u8>>>;
    /// The bytes stored under an Archivista gitoid (64 hex digits).
    fn get_by_gitoid(&self, gitoid: &str) -> StoreFuture<'_, Option<Vec<u8>>>;
    /// What is known of `id`.
    fn describe(&self, id: &AttestationId) -> StoreFuture<'_, Option<StoredAttestation>>;
    /// A page of results.
    fn find(&self, query: &Query) -> StoreFuture<'_, Page>;
    /// The documents that have any of `digests` in `role`, at most `limit`.
    fn find_any(
        &self,
        role: Role,
        digests: &[DigestRef],
        limit: u32,
    ) -> StoreFuture<'_, Vec<StoredAttestation>>;
    /// How many documents are stored.
    fn count(&self) -> StoreFuture<'_, u64>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// Opens the store a URL names: `sqlite:PATH` (created with its schema if
/// missing) or `postgres://…` (the schema is created or migrated).
///
/// # Errors
///
/// [`StoreError`] when the database cannot be opened or migrated.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::open(url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        Ok(Arc::new(
            sqlite::SqliteStore::open(std::path::Path::new(path)).await?,
        ))
    } else {
        Err(StoreError(format!(
            "{}: not a database URL; use sqlite:PATH or postgres://USER@HOST/DB",
            redact(url)
        )))
    }
}

/// A database URL with its password, if any, replaced by `***`: URLs are
/// logged, secrets never.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The page size a request asks for, within bounds (default 100).
pub fn page_limit(asked: Option<u32>) -> u32 {
    asked.unwrap_or(100).clamp(1, MAX_PAGE)
}

/// RFC 3339 for a Unix time.
pub(crate) fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The signers column: a JSON array.
pub(crate) fn signers_column(signers: &[String]) -> String {
    serde_json::to_string(signers).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn signers_from_column(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Rows of artifacts inserted per statement.
pub(crate) const ARTIFACT_ROWS_PER_INSERT: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked() {
        let d = DigestRef::parse("sha256:ABCDEF").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.to_string(), "sha256:abcdef");
        for bad in [
            "",
            "sha256",
            "sha256:",
            ":ab",
            "sha256:xyz",
            "sha256:ab' OR '1'='1",
            "a/b:ab",
        ] {
            assert!(DigestRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://alice:s3cret@db:5432/intoto"),
            "postgres://alice:***@db:5432/intoto"
        );
        assert_eq!(redact("postgres://alice@db/x"), "postgres://alice@db/x");
        assert_eq!(redact("sqlite:store.db"), "sqlite:store.db");
    }
}
