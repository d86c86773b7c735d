//! The in-toto attestation store: what `intoto serve` keeps, and how.
//!
//! Nothing is stored that could not be verified. An upload (a DSSE
//! envelope, a classic link, or a JSON Lines bundle of them) is read
//! bounded ([`upload`]), every signature on every document is checked over
//! the bytes as received against the store's [`trust`] configuration, and
//! only then is each document stored, byte for byte, with an index of its
//! subjects and materials by digest ([`index`]).
//!
//! - [`Store`] is the storage contract; [`backend::sqlite`] (the embedded
//!   default) and [`backend::postgres`] implement it, and one conformance
//!   suite runs against both. Writes are grouped into transactions by
//!   [`backend::batch`], so that each is durable when acknowledged
//!   without a disk flush per upload.
//! - [`evidence`] walks a chain backwards from a final artifact's digest:
//!   the attestations that have it as a subject, then those whose
//!   subjects are their materials, and so on, bounded.
//! - Without the default `backends` feature, only reading and verifying
//!   uploads is built (no database, no async runtime): what the fuzz
//!   targets exercise.
//! - [`id`]: an attestation's id is the sha256 of its bytes, also shown as
//!   an Archivista-style gitoid.

#[cfg(feature = "backends")]
pub mod backend;
#[cfg(feature = "backends")]
pub mod evidence;
pub mod id;
pub mod index;
pub mod trust;
pub mod upload;
#[cfg(feature = "backends")]
pub mod verify;

#[cfg(feature = "backends")]
pub use backend::{Page, Query, Record, Role, Store, StoreError, StoredAttestation, open};
pub use id::{AttestationId, gitoid};
pub use index::{Artifact, Indexed};
pub use trust::{Trust, TrustError};
pub use upload::{Accepted, UploadError, UploadFormat, verify_upload};
