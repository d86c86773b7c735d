//! `intoto serve`: the attestation store over HTTP.
//!
//! - [`api`]: the JSON API (`/v1/attestations`, `/v1/verify`,
//!   `/v1/evidence`, `/v1/admission`), its Archivista-compatible routes
//!   (`/upload`, `/download/{gitoid}`), and the OpenAPI document at
//!   `/openapi.json`; every error is one JSON envelope.
//! - [`admission`]: Kubernetes `AdmissionReview` requests: images pinned
//!   by digest, each verified against a policy over the store's evidence.
//! - [`web`]: the web page, served from the binary (no external network).
//! - [`serve`]: listening on loopback by default, TLS with rustls,
//!   graceful shutdown.
//! - [`client`]: the HTTP client `intoto store` and `intoto verify --store`
//!   use.
//!
//! The store itself (verify on upload, backends, evidence) is
//! `intoto-store`.

pub mod admission;
pub mod api;
pub mod client;
pub mod config;
mod serve;
mod state;
mod tls;
pub mod web;

pub use config::{AdmissionSettings, ServerConfig};
pub use serve::{Server, serve};
pub use state::AppState;
