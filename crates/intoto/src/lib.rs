//! in-toto for Rust: record what each step of a software supply chain did,
//! sign it, and verify that the whole chain was carried out as its owner
//! laid it out.
//!
//! This facade re-exports the workspace's crates and adds the file-system
//! glue the command-line tool and servers share:
//!
//! - [`model`]: layouts, links, rules, DSSE, ITE-6 statements, canonical JSON;
//! - [`crypto`]: keys, keyids, signing and signature checks;
//! - [`record`]: walking and hashing artifacts and running steps (unsigned links);
//! - [`gpg`]: GnuPG keyrings and signing through the `gpg` program;
//! - [`attest`]: signing ITE-6 statements into DSSE envelopes and bundles,
//!   and SLSA provenance for a recorded step;
//! - [`describe`]: what a metadata or bundle file holds, as `intoto show` prints it;
//! - [`fs`]: reading and atomically writing metadata and keys;
//! - [`link`]: signing links and writing them atomically;
//! - [`signer`]: what signs links, a private key or GnuPG;
//! - [`layout`]: the default expiry of layouts that are signed;
//! - [`verify`]: verifying a supply chain against its layout, with links
//!   from a folder and inspections run locally ([`verify::verify_supply_chain`]);
//! - [`report`]: a verdict as the JSON document and text `intoto verify`
//!   prints, and as a picture: the supply chain as a graph with the
//!   findings in place ([`report::graph`]), drawn as one HTML page
//!   ([`report::html`]);
//! - [`generate`]: attestation predicates from the reports of tools teams
//!   already run (JUnit test results, SARIF/Grype/Trivy scans, SPDX and
//!   CycloneDX SBOMs).
//!
//! ```no_run
//! use std::path::Path;
//!
//! use intoto::crypto::{KeyIdForm, sign_metadata, verify_by};
//!
//! let key = intoto::fs::read_private_key(Path::new("alice"), None, KeyIdForm::Modern)?;
//! let mut md = intoto::fs::read_metadata(Path::new("build.link"))?;
//! sign_metadata(&mut md, &key)?;
//! let verified = verify_by(md, key.public_key())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod attest;
pub mod describe;
pub mod display;
pub mod fs;
pub mod generate;
pub mod gpg;
pub mod layout;
pub mod link;
pub mod policy;
pub mod report;
pub mod signer;
pub mod verify;

pub use intoto_crypto as crypto;
pub use intoto_model as model;
pub use intoto_record as record;

pub(crate) use intoto_verify::error_chain;
